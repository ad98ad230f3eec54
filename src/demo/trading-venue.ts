import { createDemoVenue, type DemoVenueDeps, type TradeView } from './demo-venue.js'
import type { DemoRuntime } from './demo-runtime.js'
import type { OrderView } from '../exchanges/index.js'

/**
 * A demo account as the trading module's venue (src/trading/trading-types.ts `TradingVenue`, which the
 * api root checks this against: demo/ may not import trading/). Orders go to the demo engine through the
 * same methods and errors as the demo's signer-shaped venue; stop orders rest on the engine, so a demo
 * bot's stop survives the platform being down like an exchange's would.
 */
export type DemoTradingVenueInput = DemoVenueDeps & { kind: 'spot' | 'futures'; runtime: Partial<Pick<DemoRuntime, 'marketDefs'>> }

/** "0.01" → 2: the decimals a price on this tick has (ticks here are powers of ten). */
const decimalsOfTick = (tick: string): number => {
  const dot = tick.indexOf('.')
  return dot === -1 ? 0 : tick.replace(/0+$/, '').length - dot - 1
}

/** The demo's client order id rule (demo-types.ts `demoClientOrderId`). */
const clientOrderIdRule = { maxLength: 36, pattern: '^[A-Za-z0-9._:-]{1,36}$' }

type DemoPlaceOrder = {
  symbol: string
  side: 'buy' | 'sell'
  type: 'market' | 'limit' | 'stop_market' | 'stop_limit'
  amount: string
  price?: string | undefined
  stopPrice?: string | undefined
  reduceOnly?: boolean | undefined
  clientOrderId: string
}

export const createDemoTradingVenue = ({ runtime, accountId, kind }: DemoTradingVenueInput) => {
  const venue = createDemoVenue({ runtime, accountId })
  return {
    account: { kind: 'demo' as const, id: accountId },
    venue: kind === 'spot' ? 'demo-spot' : 'demo-futures',
    market: kind === 'spot' ? ('spot' as const) : ('linear' as const),
    recovery: 'client-order-id' as const,
    clientOrderId: clientOrderIdRule,
    supportsStopOrders: true,
    priceDecimals: (symbol: string): number | null => {
      const def = runtime.marketDefs?.().find((m) => m.symbol === symbol)
      return def === undefined ? null : decimalsOfTick(def.tickSize)
    },
    amountDecimals: (symbol: string): number | null => {
      const def = runtime.marketDefs?.().find((m) => m.symbol === symbol)
      return def === undefined ? null : decimalsOfTick(def.lotSize)
    },
    createOrder: (o: DemoPlaceOrder): Promise<OrderView> =>
      venue.createOrder({
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        amount: o.amount,
        clientOrderId: o.clientOrderId,
        ...(o.price !== undefined ? { price: o.price } : {}),
        ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}),
        ...(o.reduceOnly ? { reduceOnly: true } : {}),
      }),
    cancelOrder: (a: { symbol: string; id: string }): Promise<OrderView> => venue.cancelOrder(a),
    fetchOrder: (a: { symbol: string; id?: string; clientOrderId?: string }): Promise<OrderView> =>
      venue.fetchOrder({ symbol: a.symbol, ...(a.id !== undefined ? { id: a.id } : {}), ...(a.clientOrderId !== undefined ? { clientOrderId: a.clientOrderId } : {}) }),
    fetchOpenOrders: (a: { symbol: string }): Promise<OrderView[]> => venue.fetchOpenOrders({ symbol: a.symbol }),
    fetchMyTrades: (a: { symbol: string; since?: number; limit?: number }): Promise<TradeView[]> =>
      venue.fetchMyTrades({ symbol: a.symbol, ...(a.since !== undefined ? { since: a.since } : {}), ...(a.limit !== undefined ? { limit: a.limit } : {}) }),
  }
}
export type DemoTradingVenue = ReturnType<typeof createDemoTradingVenue>
