import { z } from 'zod'

/**
 * Request bodies and response views of the demo exchange API (shared with the web app: zod only).
 * Money, prices and amounts are decimal strings; engine times are Unix milliseconds of the market
 * data (a replay's times are the recorded ones), account times are ISO strings.
 */

const positiveDecimal = z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'must be a positive decimal number like "0.001"')
/** Decimal strings as the engine prints them; PnL and funding may be negative. */
const decimal = z.string()
export const demoSymbol = z.string().regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/, 'must be a unified symbol like "BTC/USDT" or "BTC/USDT:USDT"')
export const demoClientOrderId = z.string().regex(/^[A-Za-z0-9._:-]{1,36}$/, 'must be 1-36 letters, digits or ._:-')
/** A starting or reset balance: positive, at most a trillion, at most 8 decimals. */
export const demoBalanceAmount = positiveDecimal
  .refine((v) => !/^0(\.0+)?$/.test(v), 'must be more than 0')
  .refine((v) => (v.split('.')[0] ?? '').length <= 13 && (v.split('.')[1] ?? '').length <= 8, 'must be at most 1000000000000 with at most 8 decimals')
const feeRate = z.string().regex(/^0(\.\d{1,6})?$/, 'must be a fee rate below 1 like "0.001"')

export const demoAccountKinds = ['spot', 'futures'] as const
export type DemoAccountKind = (typeof demoAccountKinds)[number]

export const createDemoAccountBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters'),
    kind: z.enum(demoAccountKinds),
    initialBalance: demoBalanceAmount.optional(),
    /** The user's real fee tier (default 0.1 % maker and taker). */
    fees: z.object({ maker: feeRate, taker: feeRate }).strict().optional(),
  })
  .strict()
export type CreateDemoAccountBody = z.infer<typeof createDemoAccountBody>

export const resetDemoAccountBody = z.object({ balance: demoBalanceAmount.optional() }).strict()
export type ResetDemoAccountBody = z.infer<typeof resetDemoAccountBody>

export const demoOrderTypes = ['market', 'limit', 'stop_market', 'stop_limit'] as const

/** The demo venue's createOrder: the ccxt venues' arguments plus stop orders, time in force and hedge-mode sides. */
export const placeDemoOrderBody = z
  .object({
    symbol: demoSymbol,
    type: z.enum(demoOrderTypes),
    side: z.enum(['buy', 'sell']),
    amount: positiveDecimal,
    price: positiveDecimal.optional(),
    stopPrice: positiveDecimal.optional(),
    timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional(),
    postOnly: z.boolean().optional(),
    reduceOnly: z.boolean().optional(),
    /** Hedge mode only: which position the order opens or closes. */
    positionSide: z.enum(['long', 'short']).optional(),
    clientOrderId: demoClientOrderId.optional(),
  })
  .strict()
  .refine((o) => !(o.type === 'limit' || o.type === 'stop_limit') || o.price !== undefined, { message: 'a limit order needs a price', path: ['price'] })
  .refine((o) => !(o.type === 'stop_market' || o.type === 'stop_limit') || o.stopPrice !== undefined, { message: 'a stop order needs a stopPrice', path: ['stopPrice'] })
export type PlaceDemoOrderBody = z.infer<typeof placeDemoOrderBody>

export const setDemoLeverageBody = z.object({ symbol: demoSymbol, leverage: z.number().int('must be a whole number').min(1).max(125) }).strict()
export const setDemoMarginModeBody = z.object({ symbol: demoSymbol, mode: z.enum(['isolated', 'cross']) }).strict()
export const setDemoPositionModeBody = z.object({ hedged: z.boolean() }).strict()

export const demoOrdersQuery = z
  .object({
    status: z.enum(['open', 'closed']).optional(),
    symbol: demoSymbol.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict()
export const demoFillsQuery = z.object({ symbol: demoSymbol.optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict()
export const demoCandlesQuery = z
  .object({
    symbol: demoSymbol,
    timeframe: z.string().regex(/^\d{1,2}[mhd]$/, 'must be a timeframe like "1m" or "1h"').default('1m'),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
  })
  .strict()

export const demoAccountView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(demoAccountKinds),
  createdAt: z.string(),
  resetCount: z.number().int(),
  fees: z.object({ maker: decimal, taker: decimal }),
})
export type DemoAccountView = z.infer<typeof demoAccountView>

export const demoBalanceView = z.record(z.string(), z.object({ free: decimal, used: decimal, total: decimal }))

/** ccxt's unified order (as every venue returns it), plus the stop price of stop orders. */
export const demoOrderView = z.object({
  id: z.string(),
  clientOrderId: z.string().nullable(),
  symbol: z.string(),
  type: z.string(),
  side: z.string(),
  status: z.string(),
  amount: decimal.nullable(),
  filled: decimal.nullable(),
  price: decimal.nullable(),
  stopPrice: decimal.nullable(),
  average: decimal.nullable(),
  timestamp: z.number().nullable(),
})
export type DemoOrderView = z.infer<typeof demoOrderView>

export const demoFillView = z.object({
  id: z.string(),
  orderId: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  price: decimal,
  amount: decimal,
  fee: z.object({ cost: decimal, currency: z.string() }),
  liquidity: z.enum(['maker', 'taker']),
  timestamp: z.number(),
})
export type DemoFillView = z.infer<typeof demoFillView>

export const demoPositionView = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  contracts: decimal,
  entryPrice: decimal,
  markPrice: decimal.nullable(),
  unrealizedPnl: decimal,
  realizedPnl: decimal,
  leverage: z.number().int(),
  marginMode: z.enum(['isolated', 'cross']),
  liquidationPrice: decimal.nullable(),
  roePct: decimal,
})
export type DemoPositionApiView = z.infer<typeof demoPositionView>

export const demoMarketView = z.object({
  symbol: z.string(),
  kind: z.enum(['spot', 'linear']),
  last: decimal.nullable(),
  mark: decimal.nullable(),
  bid: decimal.nullable(),
  ask: decimal.nullable(),
  tickSize: decimal,
  lotSize: decimal,
  minNotional: decimal,
  maxLeverage: z.number().int().nullable(),
  fundingRate: decimal.nullable(),
  nextFundingTime: z.number().nullable(),
})
export type DemoMarketApiView = z.infer<typeof demoMarketView>

export const demoCandleView = z.object({ time: z.number(), open: decimal, high: decimal, low: decimal, close: decimal, volume: decimal })
export type DemoCandleView = z.infer<typeof demoCandleView>

export const demoPnlView = z.object({ equity: decimal, realizedPnl: decimal, unrealizedPnl: decimal, fees: decimal, funding: decimal })
export type DemoPnlView = z.infer<typeof demoPnlView>

export const demoSymbolSettingsView = z.object({ symbol: z.string(), leverage: z.number().int(), marginMode: z.enum(['isolated', 'cross']) })
export const demoPositionModeView = z.object({ hedged: z.boolean() })
