import { AppError } from '../../lib/errors.js'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../../monitoring/index.js'
import type { TradingVenue, VenueOrder, VenueResolver } from '../trading-types.js'
import type { IntentRow, JournalStore } from './journal-store.js'

/** What reconciliation needs of the journal: the one way to send an intent, record an order, and announce a change. */
export type ReconcileOps = {
  /** Sends an intent in state `intent` (compare-and-swap to `sent` first); `sent` false when another writer got there first. */
  send: (row: IntentRow, venue: TradingVenue) => Promise<{ row: IntentRow; sent: boolean }>
  /** Records what the venue says about the intent's order (never regressing a state). */
  apply: (row: IntentRow, order: VenueOrder, venue: TradingVenue) => Promise<IntentRow>
  emit: (row: IntentRow) => void
}

export type ReconcileDeps = {
  store: JournalStore
  clock: Clock
  venues: VenueResolver
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'info' | 'warn' | 'error'> | undefined
  /** How long after sending an unanswered intent is looked at (beyond the venue's receive window). */
  resolveAfterMs: number
  /** An intent lost for longer is reported rather than re-sent: venues forget orders that ended without fills. */
  resendWithinMs: number
}

export type ResolveSummary = { resolved: number; resent: number; unresolved: number }

/** The venue's own word that it has no order with that client id (ccxt OrderNotFound, the demo's ORDER_NOT_FOUND). */
export const isOrderNotFound = (err: unknown): boolean => err instanceof AppError && err.reason === 'ORDER_NOT_FOUND'

const accountOf = (row: IntentRow) => ({ kind: row.accountKind, id: row.accountId })

/**
 * Reconciliation of intents whose answer was lost (README.md "Intent states"). Nothing is re-sent unless
 * the venue can say for certain that the order does not exist: by client order id, once the venue's
 * window for the original request has passed. Everywhere else a lost intent is reported, never re-sent.
 */
export const createReconciler = (deps: ReconcileDeps, ops: ReconcileOps) => {
  const { store, clock, venues, alerts, logger } = deps

  /** Gives up on finding the order: reported once, never re-sent; the intent stays `unknown`. */
  const report = async (row: IntentRow, why: string): Promise<void> => {
    const now = clock.now()
    const updated = await store.transition(row.id, 'unknown', { unresolved: true, reason: why, updatedAt: now, checkedAt: now })
    if (!updated) return
    ops.emit(updated)
    await alerts.raise({
      workspaceId: row.workspaceId,
      rule: 'order_unresolved',
      severity: 'warning',
      details: { intentId: row.id, botId: row.botId, venue: row.venue, symbol: row.symbol, side: row.side, amount: row.amount, clientOrderId: row.clientOrderId, reason: why },
      dedupKey: row.id,
    })
  }

  const checked = async (row: IntentRow) => {
    await store.transition(row.id, row.state, { checkedAt: clock.now(), updatedAt: row.updatedAt })
  }

  /** Sends once more with the same client order id, after the venue said it has none. */
  const resend = async (row: IntentRow, venue: TradingVenue): Promise<'resent' | 'unresolved'> => {
    const back = await store.transition(row.id, 'unknown', { state: 'intent', reason: null, updatedAt: clock.now() })
    if (!back) return 'unresolved'
    ops.emit(back)
    return (await ops.send(back, venue)).sent ? 'resent' : 'unresolved'
  }

  const resolveOne = async (found: IntentRow): Promise<keyof ResolveSummary> => {
    const venue = await venues(found.workspaceId, accountOf(found))
    if (found.state === 'intent') return (await ops.send(found, venue)).sent ? 'resent' : 'unresolved'
    let row = found
    if (row.state === 'sent') {
      // The process stopped between the compare-and-swap and the answer: the order may exist.
      const lost = await store.transition(row.id, 'sent', { state: 'unknown', reason: 'no answer was recorded: the process stopped while sending', updatedAt: clock.now() })
      if (!lost) return 'unresolved'
      ops.emit(lost)
      row = lost
    }
    const lostForMs = clock.now().getTime() - (row.sentAt ?? row.createdAt).getTime()
    switch (venue.recovery) {
      case 'client-order-id': {
        let order: VenueOrder
        try {
          order = await venue.fetchOrder({ symbol: row.symbol, clientOrderId: row.clientOrderId })
        } catch (err) {
          if (!isOrderNotFound(err)) {
            // The venue could not say (down, rate-limited): try again on the next run.
            logger?.warn({ intentId: row.id, code: err instanceof AppError ? err.code : 'INTERNAL' }, 'order journal: an unknown intent could not be looked up yet')
            await checked(row)
            return 'unresolved'
          }
          if (lostForMs > deps.resendWithinMs) {
            await report(row, `${venue.venue} has no order ${row.clientOrderId}, but the intent is too old to send again safely (the venue forgets orders that ended)`)
            return 'unresolved'
          }
          return resend(row, venue)
        }
        await ops.apply(row, order, venue)
        return 'resolved'
      }
      case 'recent-orders-scan': {
        let open: VenueOrder[]
        try {
          open = await venue.fetchOpenOrders({ symbol: row.symbol })
        } catch (err) {
          logger?.warn({ intentId: row.id, code: err instanceof AppError ? err.code : 'INTERNAL' }, 'order journal: open orders could not be read yet')
          await checked(row)
          return 'unresolved'
        }
        const order = open.find((o) => o.clientOrderId === row.clientOrderId)
        if (order) {
          await ops.apply(row, order, venue)
          return 'resolved'
        }
        await report(row, `${venue.venue} cannot look an order up by client order id and ${row.clientOrderId} is not among the open orders: check the exchange; it is never sent again`)
        return 'unresolved'
      }
      case 'at-most-once':
        await report(row, `${venue.venue} cannot find a lost order again: check the exchange; it is never sent again`)
        return 'unresolved'
    }
  }

  /** One pass over every intent whose answer is overdue; safe to run concurrently with placing (compare-and-swap). */
  const resolveUnknown = async (): Promise<ResolveSummary> => {
    const summary: ResolveSummary = { resolved: 0, resent: 0, unresolved: 0 }
    const rows = await store.toResolve(new Date(clock.now().getTime() - deps.resolveAfterMs))
    for (const row of rows) {
      try {
        summary[await resolveOne(row)]++
      } catch (err) {
        // One account's trouble (removed, key gone) must not stop the others.
        logger?.warn({ intentId: row.id, code: err instanceof AppError ? err.code : 'INTERNAL', err: err instanceof AppError ? undefined : err }, 'order journal: an intent could not be reconciled')
        summary.unresolved++
      }
    }
    return summary
  }

  return { resolveUnknown }
}
