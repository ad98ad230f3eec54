import type { Clock } from '../../lib/clock.js'
import { Decimal, isDecimalString, toDecimalString } from '../../lib/decimal.js'
import { AppError } from '../../lib/errors.js'
import { faultPoint } from '../../lib/fault.js'
import { newId } from '../../lib/ids.js'
import type { Logger } from '../../lib/logger.js'
import type { Db, IntentState } from '../../db/index.js'
import type { Alerts } from '../../monitoring/index.js'
import { finalIntentStates, type AccountRef, type IntentView, type OrderPurpose, type OrderSide, type OrderType, type PlaceOrder, type TradingVenue, type VenueOrder, type VenueResolver } from '../trading-types.js'
import { clientOrderIdFor } from './client-order-id.js'
import { createJournalStore, type IntentPatch, type IntentRow } from './journal-store.js'
import { createReconciler, isOrderNotFound } from './reconcile.js'

export type OrderJournalDeps = {
  db: Db
  clock: Clock
  venues: VenueResolver
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Wait after sending before an unanswered intent is reconciled (default 30 s: past the venues' receive windows). */
  resolveAfterMs?: number
  /** An intent lost for longer is reported, never re-sent (default 1 h). */
  resendWithinMs?: number
  /** Read the fee (and average) of a filled order from its trades when the venue's answer has none (default true). */
  feesFromTrades?: boolean
}

export type PlaceInput = { workspaceId: string; botId: string | null; key: string; account: AccountRef; purpose: OrderPurpose; order: PlaceOrder }

/** Errors that prove nothing was placed: the venue or the signer refused before acting. */
const refusalCodes = new Set(['EXCHANGE_REJECTED', 'BAD_INPUT', 'KEY_LIMIT_EXCEEDED', 'FORBIDDEN', 'EXCHANGE_AUTH', 'KEY_UNAVAILABLE', 'VAULT_SEALED', 'NOT_FOUND', 'INTEGRITY_FAILED', 'RATE_LIMITED'])

/**
 * Whether a failed createOrder may have reached the exchange. `rejected` only when the error proves it did
 * not (the venue answered no, or the signer refused before any I/O); a timeout, a lost connection, an
 * unreadable answer or anything unrecognised is `unknown`. A "duplicate" refusal means an order with this
 * client id exists: unknown too, for reconciliation to find.
 */
export const classifyPlaceError = (err: unknown): 'rejected' | 'unknown' => {
  // The signer refused to send it (it waited past its deadline): nothing reached the exchange.
  if (err instanceof AppError && err.reason === 'DEADLINE_PASSED') return 'rejected'
  if (!(err instanceof AppError) || !refusalCodes.has(err.code)) return 'unknown'
  if (err.reason === 'DUPLICATE_CLIENT_ORDER_ID' || /duplicate/i.test(err.message)) return 'unknown'
  // A rate-limit answer is a refusal; one that arrived after a timeout may not be.
  if (err.code === 'RATE_LIMITED' && /time(d)?[\s-]?out/i.test(err.message)) return 'unknown'
  return 'rejected'
}

const rank: Record<IntentState, number> = { intent: 0, sent: 1, unknown: 1, acknowledged: 2, partially_filled: 3, filled: 4, cancelled: 4, rejected: 4 }

const dec = (v: string | null | undefined): Decimal | null => (v !== null && v !== undefined && isDecimalString(v) ? new Decimal(v) : null)

/** ccxt's unified status (and the fill so far) as an intent state. */
export const intentStateOf = (order: Pick<VenueOrder, 'status' | 'filled'>): IntentState => {
  switch (order.status) {
    case 'closed':
      return 'filled'
    case 'canceled':
    case 'cancelled':
    case 'expired':
      return 'cancelled'
    case 'rejected':
      return 'rejected'
    default:
      // open, or a venue that answered with ids only ('unknown'): it exists and rests on the book.
      return (dec(order.filled) ?? new Decimal(0)).gt(0) ? 'partially_filled' : 'acknowledged'
  }
}

export const toIntentView = (r: IntentRow): IntentView => ({
  id: r.id,
  workspaceId: r.workspaceId,
  botId: r.botId,
  intentKey: r.intentKey,
  account: { kind: r.accountKind, id: r.accountId },
  venue: r.venue,
  symbol: r.symbol,
  side: r.side as OrderSide,
  type: r.type as OrderType,
  amount: r.amount,
  price: r.price,
  stopPrice: r.stopPrice,
  reduceOnly: r.reduceOnly,
  purpose: r.purpose as OrderPurpose,
  clientOrderId: r.clientOrderId,
  state: r.state,
  exchangeOrderId: r.exchangeOrderId,
  filled: r.filled,
  average: r.average,
  fee: r.fee,
  feeCurrency: r.feeCurrency,
  reason: r.reason,
  unresolved: r.unresolved,
  createdAt: r.createdAt.toISOString(),
  sentAt: r.sentAt?.toISOString() ?? null,
  updatedAt: r.updatedAt.toISOString(),
})

const norm = (v: string) => toDecimalString(new Decimal(v))

/** Checks an order before anything is written; mistakes in it are the caller's. */
const checkOrder = (order: PlaceOrder, venue: Pick<TradingVenue, 'venue' | 'supportsStopOrders'>) => {
  const positive = (name: string, v: string | undefined) => {
    if (v === undefined || !isDecimalString(v) || !new Decimal(v).gt(0)) throw new AppError('BAD_INPUT', `order ${name} must be a positive decimal like "0.001" (got "${String(v).slice(0, 40)}")`)
  }
  if (order.side !== 'buy' && order.side !== 'sell') throw new AppError('BAD_INPUT', `order side must be buy or sell (got "${String(order.side).slice(0, 20)}")`)
  if (!['market', 'limit', 'stop_market', 'stop_limit'].includes(order.type)) throw new AppError('BAD_INPUT', `order type must be market, limit, stop_market or stop_limit (got "${String(order.type).slice(0, 20)}")`)
  positive('amount', order.amount)
  if (order.type === 'limit' || order.type === 'stop_limit' || order.price !== undefined) positive('price', order.price)
  if (order.type === 'stop_market' || order.type === 'stop_limit') {
    positive('stopPrice', order.stopPrice)
    if (!venue.supportsStopOrders) throw new AppError('BAD_INPUT', `${venue.venue} cannot hold stop orders: trigger the stop from market data instead`)
  } else if (order.stopPrice !== undefined) throw new AppError('BAD_INPUT', `order stopPrice is only for stop_market and stop_limit orders`)
}

const accountOf = (row: IntentRow): AccountRef => ({ kind: row.accountKind, id: row.accountId })

/**
 * The order journal (DESIGN.md "Orders are never sent twice"): every order is written as an intent before
 * it is sent, moved to `sent` by a compare-and-swap before any I/O, and never retried blindly. One intent
 * per (bot, key): a machine repeating a command gets the first intent back, not a second order.
 */
export const createOrderJournal = (deps: OrderJournalDeps) => {
  const { db, clock, venues, logger } = deps
  const store = createJournalStore(db)
  const feesFromTrades = deps.feesFromTrades ?? true
  const listeners = new Set<(intent: IntentView) => void>()

  const emit = (row: IntentRow) => {
    if (listeners.size === 0) return
    const view = toIntentView(row)
    for (const listener of listeners) {
      try {
        listener(view)
      } catch (err) {
        logger?.error({ err, intentId: row.id }, 'order journal: a change listener failed')
      }
    }
  }

  /** Fields whose change is news to a bot (a refresh that only stamps checkedAt is not). */
  const changed = (a: IntentRow, b: IntentRow) =>
    a.state !== b.state || a.filled !== b.filled || a.exchangeOrderId !== b.exchangeOrderId || a.average !== b.average || a.fee !== b.fee || a.unresolved !== b.unresolved

  /** Writes `patch` if the intent is still in `row.state`; otherwise returns what another writer made of it. */
  const swap = async (row: IntentRow, patch: IntentPatch): Promise<{ row: IntentRow; won: boolean }> => {
    const updated = await store.transition(row.id, row.state, patch)
    if (updated) {
      if (changed(row, updated)) emit(updated)
      return { row: updated, won: true }
    }
    return { row: (await store.byId(row.id)) ?? row, won: false }
  }

  /** The order's fee and average from its trades, for venues whose order answer carries neither. */
  const fromTrades = async (row: IntentRow, venue: TradingVenue, orderTime: number | null): Promise<Pick<IntentPatch, 'fee' | 'feeCurrency' | 'average'>> => {
    if (!feesFromTrades || row.exchangeOrderId === null || !(dec(row.filled)?.gt(0) ?? false) || (row.fee !== null && row.average !== null)) return {}
    try {
      // The venue's own clock (the demo's is market-data time): its trades come at or after the order.
      const window = orderTime === null ? { limit: 200 } : { since: Math.max(0, orderTime - 1_000), limit: 200 }
      const trades = (await venue.fetchMyTrades({ symbol: row.symbol, ...window })).filter((t) => t.orderId === row.exchangeOrderId)
      if (trades.length === 0) return {}
      const patch: Pick<IntentPatch, 'fee' | 'feeCurrency' | 'average'> = {}
      const currencies = new Set(trades.map((t) => t.fee?.currency ?? null))
      if (row.fee === null && currencies.size === 1 && trades.every((t) => dec(t.fee?.cost) !== null)) {
        patch.fee = toDecimalString(trades.reduce((s, t) => s.add(dec(t.fee?.cost) ?? 0), new Decimal(0)))
        patch.feeCurrency = [...currencies][0] ?? null
      }
      const amount = trades.reduce((s, t) => s.add(dec(t.amount) ?? 0), new Decimal(0))
      if (row.average === null && amount.gt(0)) patch.average = toDecimalString(trades.reduce((s, t) => s.add((dec(t.price) ?? new Decimal(0)).mul(dec(t.amount) ?? 0)), new Decimal(0)).div(amount))
      return patch
    } catch (err) {
      logger?.warn({ intentId: row.id, code: err instanceof AppError ? err.code : 'INTERNAL' }, 'order journal: the fee of a filled order could not be read')
      return {}
    }
  }

  /** Records what the venue says of the intent's order. States only move forward; a fill never shrinks. */
  const apply = async (start: IntentRow, order: VenueOrder, venue?: TradingVenue): Promise<IntentRow> => {
    let row = start
    for (let attempt = 0; attempt < 5; attempt++) {
      if (finalIntentStates.has(row.state)) return row
      const now = clock.now()
      const seen = intentStateOf(order)
      const filled = Decimal.max(dec(row.filled) ?? 0, dec(order.filled) ?? 0)
      const forward = rank[seen] >= rank[row.state]
      let state: IntentState = forward ? seen : row.state
      if (state === 'acknowledged' && filled.gt(0)) state = 'partially_filled'
      const patch: IntentPatch = { updatedAt: now, checkedAt: now, state, filled: toDecimalString(filled) }
      if (row.exchangeOrderId === null && order.id && order.id !== 'undefined') patch.exchangeOrderId = order.id
      if (forward && dec(order.average) !== null) patch.average = norm(order.average ?? '0')
      if (forward && dec(order.fee?.cost) !== null) {
        patch.fee = norm(order.fee?.cost ?? '0')
        patch.feeCurrency = order.fee?.currency ?? null
      }
      if (state !== row.state) patch.reason = state === 'cancelled' && order.status === 'expired' ? 'expired at the exchange' : state === 'rejected' ? 'rejected by the exchange' : null
      // A final state is written once, complete: fee and average first, from the trades if the answer lacks them.
      if (venue && finalIntentStates.has(state)) Object.assign(patch, await fromTrades({ ...row, ...patch }, venue, order.timestamp))
      const { row: next, won } = await swap(row, patch)
      if (won) return next
      row = next
    }
    return row
  }

  /** Sends an intent: compare-and-swap to `sent` before any I/O, then exactly one createOrder. */
  const send = async (row: IntentRow, venue: TradingVenue): Promise<{ row: IntentRow; sent: boolean }> => {
    if (row.state !== 'intent') return { row, sent: false }
    const now = clock.now()
    const { row: sent, won } = await swap(row, { state: 'sent', sentAt: now, updatedAt: now, reason: null })
    if (!won) return { row: sent, sent: false }
    faultPoint('trading.after-sent')
    let order: VenueOrder
    try {
      order = await venue.createOrder({
        symbol: sent.symbol,
        side: sent.side as OrderSide,
        type: sent.type as OrderType,
        amount: sent.amount,
        price: sent.price ?? undefined,
        stopPrice: sent.stopPrice ?? undefined,
        reduceOnly: sent.reduceOnly || undefined,
        clientOrderId: sent.clientOrderId,
      })
    } catch (err) {
      const verdict = classifyPlaceError(err)
      const reason = err instanceof AppError ? err.message : 'the order request failed unexpectedly; it may have reached the exchange'
      if (!(err instanceof AppError)) logger?.error({ err, intentId: sent.id }, 'order journal: createOrder failed unexpectedly')
      return { row: (await swap(sent, { state: verdict, reason, updatedAt: clock.now() })).row, sent: true }
    }
    faultPoint('trading.after-create')
    return { row: await apply(sent, order, venue), sent: true }
  }

  const resolveAfterMs = deps.resolveAfterMs ?? 30_000
  const reconciler = createReconciler(
    { store, clock, venues, alerts: deps.alerts, logger, resolveAfterMs, resendWithinMs: deps.resendWithinMs ?? 3_600_000 },
    { send, apply, emit },
  )

  /** Seeds the client order id: the same intent always gets the same id on its account. */
  const seedOf = (input: PlaceInput, attempt: number) =>
    `${input.botId ?? `${input.workspaceId}:${input.account.kind}:${input.account.id}`}:${input.key}${attempt === 0 ? '' : `#${attempt}`}`

  const existing = (input: PlaceInput) => store.byKey({ workspaceId: input.workspaceId, botId: input.botId, key: input.key, accountKind: input.account.kind, accountId: input.account.id })

  /**
   * Journals and sends one order. Idempotent per (bot, key): a repeat returns the first intent as it is
   * now and sends nothing (unless that intent was never sent). Venue errors end in the intent (`rejected`
   * or `unknown`), never as an exception.
   * @throws AppError BAD_INPUT for an order the venue cannot take; NOT_FOUND for an account not the workspace's
   */
  const place = async (input: PlaceInput): Promise<IntentView> => {
    if (!/^[A-Za-z0-9._:-]{1,100}$/.test(input.key)) throw new AppError('BAD_INPUT', `order key "${input.key.slice(0, 40)}" must be 1-100 letters, digits or ._:-`)
    const before = await existing(input)
    if (before && before.state !== 'intent') return toIntentView(before)
    const venue = await venues(input.workspaceId, input.account, { botId: input.botId })
    checkOrder(input.order, venue)
    let row = before
    for (let attempt = 0; row === null && attempt < 3; attempt++) {
      const now = clock.now()
      const o = input.order
      const inserted = await store.insert({
        id: newId(now.getTime()),
        workspaceId: input.workspaceId,
        botId: input.botId,
        intentKey: input.key,
        accountKind: input.account.kind,
        accountId: input.account.id,
        venue: venue.venue,
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        amount: norm(o.amount),
        price: o.price === undefined ? null : norm(o.price),
        stopPrice: o.stopPrice === undefined ? null : norm(o.stopPrice),
        reduceOnly: o.reduceOnly === true,
        purpose: input.purpose,
        clientOrderId: clientOrderIdFor(venue.clientOrderId, seedOf(input, attempt)),
        state: 'intent',
        createdAt: now,
        updatedAt: now,
      })
      if (inserted) {
        emit(inserted)
        faultPoint('trading.after-intent')
        row = inserted
        break
      }
      // The same intent written concurrently; otherwise its client order id collided with another intent's.
      row = await existing(input)
      if (row && row.state !== 'intent') return toIntentView(row)
    }
    if (row === null) throw new AppError('INTERNAL', `no free client order id for order key "${input.key}"`)
    return toIntentView((await send(row, venue)).row)
  }

  const mustGet = async (id: string): Promise<IntentRow> => {
    const row = await store.byId(id)
    if (!row) throw new AppError('NOT_FOUND', `order intent "${id}" not found`)
    return row
  }

  /** Reads the order from the venue: by exchange id, by client order id, or among the open orders. */
  const refreshRow = async (row: IntentRow, venue: TradingVenue): Promise<IntentRow> => {
    let order: VenueOrder | undefined
    if (row.exchangeOrderId !== null) order = await venue.fetchOrder({ symbol: row.symbol, id: row.exchangeOrderId })
    else if (venue.recovery === 'client-order-id') order = await venue.fetchOrder({ symbol: row.symbol, clientOrderId: row.clientOrderId })
    else order = (await venue.fetchOpenOrders({ symbol: row.symbol })).find((o) => o.clientOrderId === row.clientOrderId)
    return order ? apply(row, order, venue) : row
  }

  /**
   * The intent's order as the venue has it now (fills, cancellation). Final states never change.
   * @throws AppError from the venue when it cannot answer (a read: the caller may try again)
   */
  const refresh = async (id: string): Promise<IntentView> => {
    const row = await mustGet(id)
    if (finalIntentStates.has(row.state) || row.state === 'intent') return toIntentView(row)
    return toIntentView(await refreshRow(row, await venues(row.workspaceId, accountOf(row), { botId: row.botId })))
  }

  /**
   * Cancels the intent's order. Never sent yet: cancelled here, so it never will be. Lost in flight on a
   * venue that finds orders by client id, and past the venue's window: if the venue has no such order it is
   * cancelled here too (reconciliation will not send it again). A failed cancel is not retried: the order is
   * read back instead, and the error is thrown only if it is still open.
   * @throws AppError CONFLICT while the order is not yet known at the venue (try again after reconciliation)
   */
  const cancel = async (id: string): Promise<IntentView> => {
    let row = await mustGet(id)
    if (finalIntentStates.has(row.state)) return toIntentView(row)
    if (row.state === 'intent') {
      const { row: after, won } = await swap(row, { state: 'cancelled', reason: 'cancelled before it was sent', updatedAt: clock.now() })
      if (won) return toIntentView(after)
      row = after
    }
    const venue = await venues(row.workspaceId, accountOf(row), { botId: row.botId })
    const notYetKnown = (cause?: unknown) => new AppError('CONFLICT', `order ${row.clientOrderId} is not known at ${row.venue} yet: cancel it again after reconciliation`, { cause })
    if (row.exchangeOrderId === null) {
      try {
        row = await refreshRow(row, venue)
      } catch (err) {
        const windowPassed = row.sentAt !== null && clock.now().getTime() - row.sentAt.getTime() > resolveAfterMs
        if (!(row.state === 'unknown' && venue.recovery === 'client-order-id' && isOrderNotFound(err) && windowPassed)) throw notYetKnown(err)
        const { row: after, won } = await swap(row, { state: 'cancelled', reason: `cancelled: ${row.venue} never received it`, updatedAt: clock.now() })
        if (won) return toIntentView(after)
        throw notYetKnown()
      }
    }
    if (finalIntentStates.has(row.state)) return toIntentView(row)
    if (row.exchangeOrderId === null) throw notYetKnown()
    try {
      return toIntentView(await apply(row, await venue.cancelOrder({ symbol: row.symbol, id: row.exchangeOrderId }), venue))
    } catch (err) {
      const after = await refreshRow(row, venue).catch(() => null)
      if (after && finalIntentStates.has(after.state)) return toIntentView(after)
      throw err
    }
  }

  return {
    place,
    cancel,
    refresh,
    resolveUnknown: reconciler.resolveUnknown,
    get: async (id: string): Promise<IntentView | null> => {
      const row = await store.byId(id)
      return row ? toIntentView(row) : null
    },
    byKey: async (botId: string, key: string): Promise<IntentView | null> => {
      const row = await store.byKey({ workspaceId: '', botId, key })
      return row ? toIntentView(row) : null
    },
    intentsOf: async (botId: string): Promise<IntentView[]> => (await store.ofBot(botId)).map(toIntentView),
    /** Acknowledged and partially filled intents: orders resting on a venue. */
    openIntents: async (filter: { workspaceId?: string; botId?: string; account?: AccountRef } = {}): Promise<IntentView[]> =>
      (await store.open({ workspaceId: filter.workspaceId, botId: filter.botId, accountKind: filter.account?.kind, accountId: filter.account?.id })).map(toIntentView),
    /** Every change of every intent, as it is written (the runtime turns them into bot events). Returns the unsubscribe. */
    onChange: (listener: (intent: IntentView) => void): (() => void) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
export type OrderJournal = ReturnType<typeof createOrderJournal>
