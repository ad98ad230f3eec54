import { AppError } from '../../lib/errors.js'
import type { CatalogueEntry } from '../../exchanges/index.js'
import type { AccountRef, TradingVenue, VenueOrder, VenueTrade } from '../trading-types.js'

export type ExchangeTradingVenueInput = {
  account: AccountRef
  workspaceId: string
  /** The signer's key id of the account (changes when the key is replaced: resolve the venue per use). */
  keyId: string
  entry: CatalogueEntry
  /** The signer's `execute`, through the key relay (which journals every call in the exchange-activity log). */
  execute: (workspaceId: string, keyId: string, method: string, args: Record<string, unknown>, opts?: { ttlMs?: number; botId?: string }) => Promise<unknown>
  /** The bot this venue acts for (recorded in the exchange-activity log). */
  botId?: string
}

/**
 * How long the signer may hold an order before sending it (its per-key queue, the rate budget). Shorter
 * than the journal's resolveAfterMs (30 s), so by the time reconciliation asks the exchange, an order
 * that is not there can no longer arrive: re-sending it cannot make a second one.
 */
export const ORDER_TTL_MS = 20_000

/** The signer takes client order ids of at most 36 characters (exchanges/venue-types.ts `venueCalls`). */
const SIGNER_MAX_CLIENT_ORDER_ID = 36

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The signer answers with ccxt's unified order (decimals as strings); anything else is the signer's fault. */
const asOrder = (method: string, v: unknown): VenueOrder => {
  if (!isRecord(v) || typeof v.id !== 'string') throw new AppError('INTERNAL', `${method}: the signer answered without an order`)
  return v as VenueOrder
}

/**
 * A connected exchange account as a TradingVenue: every call goes through the signer with the account's
 * key, under the signer's policy and per-key limits. The signer's venue calls have no stop orders yet, so
 * stops on exchange accounts are triggered by the platform from market data (`supportsStopOrders: false`);
 * where the catalogue lists a dead-man switch, the venue offers it (runtime/dead-man.ts keeps it armed).
 */
export const createExchangeTradingVenue = ({ account, workspaceId, keyId, entry, execute, botId }: ExchangeTradingVenueInput): TradingVenue => {
  const forBot = botId ? { botId } : {}
  const call = (method: string, args: Record<string, unknown>) => execute(workspaceId, keyId, method, args, forBot)
  const deadMan = entry.deadManSwitch
  return {
    ...(deadMan === null
      ? {}
      : {
          deadManSwitch: {
            scope: deadMan.scope,
            maxTimeoutMs: deadMan.maxSeconds === null ? null : deadMan.maxSeconds * 1000,
            armCancelAllAfter: async (symbol: string, timeoutMs: number) => {
              await call('cancelAllOrdersAfter', { symbol, timeoutMs })
            },
          },
        }),
    account,
    venue: entry.id,
    market: entry.market,
    recovery: entry.orderRecovery.mode,
    clientOrderId: { maxLength: Math.min(entry.clientOrderId.maxLength, SIGNER_MAX_CLIENT_ORDER_ID), pattern: entry.clientOrderId.pattern },
    supportsStopOrders: false,
    createOrder: async (order) => {
      if (order.type !== 'market' && order.type !== 'limit') throw new AppError('BAD_INPUT', `${entry.name} accounts take market and limit orders only: a ${order.type} order is triggered by the platform`)
      const args: Record<string, unknown> = { symbol: order.symbol, type: order.type, side: order.side, amount: order.amount, clientOrderId: order.clientOrderId }
      if (order.price !== undefined && order.type === 'limit') args.price = order.price
      if (order.reduceOnly) args.reduceOnly = true
      return asOrder('createOrder', await execute(workspaceId, keyId, 'createOrder', args, { ttlMs: ORDER_TTL_MS, ...forBot }))
    },
    cancelOrder: async ({ symbol, id }) => asOrder('cancelOrder', await call('cancelOrder', { symbol, id })),
    fetchOrder: async ({ symbol, id, clientOrderId }) =>
      asOrder('fetchOrder', await call('fetchOrder', { symbol, ...(id !== undefined ? { id } : {}), ...(clientOrderId !== undefined ? { clientOrderId } : {}) })),
    fetchOpenOrders: async ({ symbol }) => {
      const orders = await call('fetchOpenOrders', { symbol })
      if (!Array.isArray(orders)) throw new AppError('INTERNAL', 'fetchOpenOrders: the signer answered without a list')
      return orders.map((o) => asOrder('fetchOpenOrders', o))
    },
    fetchMyTrades: async ({ symbol, since, limit }) => {
      const trades = await call('fetchMyTrades', { symbol, ...(since !== undefined ? { since: Math.max(0, Math.floor(since)) } : {}), ...(limit !== undefined ? { limit } : {}) })
      if (!Array.isArray(trades)) throw new AppError('INTERNAL', 'fetchMyTrades: the signer answered without a list')
      return trades as VenueTrade[]
    },
  }
}
