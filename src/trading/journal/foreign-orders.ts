import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Db } from '../../db/index.js'
import type { Alerts, AuditChain } from '../../monitoring/index.js'
import type { TradingVenue, VenueResolver } from '../trading-types.js'
import { createJournalStore } from './journal-store.js'

export type ForeignOrderScanDeps = {
  db: Db
  clock: Clock
  venues: VenueResolver
  /** Disables the account's key through the signer (keys/: ExchangeAccounts.disable). */
  disableAccount: (workspaceId: string, exchangeAccountId: string, reason: string) => Promise<void>
  alerts: Pick<Alerts, 'raise'>
  audit?: Pick<AuditChain, 'append'>
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
}

export type ForeignOrder = { symbol: string; orderId: string; clientOrderId: string | null }

/** Trades per symbol and scan; a full page means more remain (the cursor stops at the page's end). */
const TRADE_PAGE = 500
/** Trades younger than this are read again next time, in case the venue lists them late. */
const SETTLE_MS = 60_000
const ACTIVE_DAYS = 7

/**
 * Foreign-order detection (DESIGN.md "Orders are never sent twice"): an order or trade on the account
 * that the journal never placed means the key is used somewhere else — a critical alert, an audit event,
 * and the key disabled. Orders and trades from before the key was connected are the user's own history,
 * not foreign. An order of ours whose exchange id is not yet recorded (in flight) is recognised by its
 * client order id; when that cannot be read, the trade is looked at again next time rather than reported.
 */
export const createForeignOrderScan = ({ db, clock, venues, disableAccount, alerts, audit, logger }: ForeignOrderScanDeps) => {
  const store = createJournalStore(db)

  /** One symbol: foreign orders, and how far its trades were read with certainty. */
  const scanSymbol = async (venue: TradingVenue, exchangeAccountId: string, symbol: string, connectedAt: number, since: number) => {
    const foreign = new Map<string, ForeignOrder>()
    const open = (await venue.fetchOpenOrders({ symbol })).filter((o) => o.timestamp === null || o.timestamp >= connectedAt)
    const trades = (await venue.fetchMyTrades({ symbol, since, limit: TRADE_PAGE })).filter((t) => t.timestamp === null || t.timestamp >= Math.max(since, connectedAt))
    const known = await store.known('exchange', exchangeAccountId, {
      exchangeOrderIds: [...new Set([...open.map((o) => o.id), ...trades.flatMap((t) => (t.orderId === null ? [] : [t.orderId]))])],
      clientOrderIds: open.flatMap((o) => (o.clientOrderId === null ? [] : [o.clientOrderId])),
    })
    const inFlight = (await store.inFlight('exchange', exchangeAccountId, symbol)).map((r) => r.clientOrderId)
    let uncertainFrom = Number.POSITIVE_INFINITY

    for (const o of open) {
      if (known.exchangeOrderIds.has(o.id) || (o.clientOrderId !== null && known.clientOrderIds.has(o.clientOrderId))) continue
      if (o.clientOrderId === null && inFlight.length > 0) continue // cannot tell it from ours in flight: its trades will say
      foreign.set(o.id, { symbol, orderId: o.id, clientOrderId: o.clientOrderId })
    }
    for (const orderId of new Set(trades.flatMap((t) => (t.orderId === null || known.exchangeOrderIds.has(t.orderId) ? [] : [t.orderId])))) {
      if (foreign.has(orderId)) continue
      // Every order of ours is either recorded with its exchange id or in flight without one.
      if (inFlight.length > 0) {
        try {
          const order = await venue.fetchOrder({ symbol, id: orderId })
          if (order.clientOrderId !== null && inFlight.includes(order.clientOrderId)) continue
          foreign.set(orderId, { symbol, orderId, clientOrderId: order.clientOrderId })
        } catch (err) {
          logger?.warn({ exchangeAccountId, symbol, code: err instanceof AppError ? err.code : 'INTERNAL' }, 'foreign-order scan: an unmatched trade could not be identified yet')
          for (const t of trades) if (t.orderId === orderId && t.timestamp !== null) uncertainFrom = Math.min(uncertainFrom, t.timestamp)
        }
        continue
      }
      foreign.set(orderId, { symbol, orderId, clientOrderId: null })
    }

    const stamps = trades.flatMap((t) => (t.timestamp === null ? [] : [t.timestamp]))
    const newest = stamps.length > 0 ? Math.max(...stamps) : since
    // A full page: continue from its last trade next time. Otherwise everything up to (nearly) now was read.
    const readUntil = trades.length >= TRADE_PAGE ? newest : Math.max(since, newest + 1, clock.now().getTime() - SETTLE_MS)
    return { foreign: [...foreign.values()], until: Math.min(readUntil, uncertainFrom) }
  }

  const report = async (workspaceId: string, exchangeAccountId: string, found: ForeignOrder[]) => {
    for (const f of found) {
      const details = { exchangeAccountId, symbol: f.symbol, orderId: f.orderId, clientOrderId: f.clientOrderId }
      await alerts.raise({ workspaceId, rule: 'foreign_order_detected', severity: 'critical', details, dedupKey: `${exchangeAccountId}:${f.orderId}` })
      await audit?.append({ workspaceId, type: 'foreign_order_detected', actor: { type: 'system' }, outcome: 'failure', details })
    }
    const first = found[0]
    const more = found.length > 1 ? ` and ${found.length - 1} more` : ''
    await disableAccount(workspaceId, exchangeAccountId, `an order Bulwark never placed was found (${first?.symbol ?? ''} order ${first?.orderId ?? ''}${more}): the key is used elsewhere`)
  }

  /**
   * Compares the account's open orders and its trades since the last scan (for these symbols) with the
   * journal. Anything foreign: alerted, audited, and the account's key disabled; then the cursor moves.
   * @throws AppError NOT_FOUND for an account not the workspace's; the venue's error when it cannot answer
   */
  const scanAccount = async (workspaceId: string, exchangeAccountId: string, symbols: string[]): Promise<{ foreign: ForeignOrder[] }> => {
    const account = await store.exchangeAccount(workspaceId, exchangeAccountId)
    if (!account) throw new AppError('NOT_FOUND', `exchange account "${exchangeAccountId}" not found in this workspace`)
    if (account.removedAt !== null || symbols.length === 0) return { foreign: [] }
    const connectedAt = account.keyCreatedAt.getTime()
    const since = Math.max((await store.cursor(exchangeAccountId)) ?? connectedAt, connectedAt)
    const venue = await venues(workspaceId, { kind: 'exchange', id: exchangeAccountId })
    const foreign: ForeignOrder[] = []
    let until = Number.POSITIVE_INFINITY
    for (const symbol of [...new Set(symbols)].sort()) {
      const r = await scanSymbol(venue, exchangeAccountId, symbol, connectedAt, since)
      foreign.push(...r.foreign)
      until = Math.min(until, r.until)
    }
    // Reported (and the key disabled) before the cursor moves: a failed disable is found again next time.
    if (foreign.length > 0) await report(workspaceId, exchangeAccountId, foreign)
    if (Number.isFinite(until) && until > since) await store.advanceCursor(exchangeAccountId, until, clock.now())
    return { foreign }
  }

  /** Every exchange account with intents in the last 7 days, over the symbols it traded. Errors are per account. */
  const scanAll = async (): Promise<{ scanned: number; foreign: number; failed: number }> => {
    const summary = { scanned: 0, foreign: 0, failed: 0 }
    const accounts = await store.activeExchangeAccounts(new Date(clock.now().getTime() - ACTIVE_DAYS * 86_400_000))
    for (const a of accounts) {
      try {
        const account = await store.exchangeAccount(a.workspaceId, a.accountId)
        // A disabled key cannot read either; it was reported when it was disabled.
        if (!account || account.removedAt !== null || account.state === 'disabled') continue
        summary.foreign += (await scanAccount(a.workspaceId, a.accountId, a.symbols)).foreign.length
        summary.scanned++
      } catch (err) {
        summary.failed++
        logger?.warn({ exchangeAccountId: a.accountId, code: err instanceof AppError ? err.code : 'INTERNAL', err: err instanceof AppError ? undefined : err }, 'foreign-order scan failed for an account')
      }
    }
    return summary
  }

  return { scanAccount, scanAll }
}
export type ForeignOrderScan = ReturnType<typeof createForeignOrderScan>
