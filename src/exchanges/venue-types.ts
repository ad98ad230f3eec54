import { z } from 'zod'

/**
 * The venue methods the signer executes with a key (DESIGN.md "Venue"). Demo exchanges implement the
 * same names and shapes. Amounts and prices cross every boundary as decimal strings.
 */
const decimal = z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'must be a positive decimal number like "0.001"')
const symbol = z.string().regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/, 'must be a unified symbol like "BTC/USDT"')
const clientOrderId = z.string().regex(/^[A-Za-z0-9._:-]{1,36}$/, 'must be 1-36 letters, digits or ._:-')

export const venueCalls = {
  fetchBalance: z.object({}).strict(),
  createOrder: z
    .object({
      symbol,
      type: z.enum(['market', 'limit']),
      side: z.enum(['buy', 'sell']),
      amount: decimal,
      price: decimal.optional(),
      clientOrderId: clientOrderId.optional(),
      postOnly: z.boolean().optional(),
      reduceOnly: z.boolean().optional(),
    })
    .strict()
    .refine((o) => o.type === 'market' || o.price !== undefined, { message: 'a limit order needs a price', path: ['price'] }),
  cancelOrder: z.object({ symbol, id: z.string().min(1).max(64) }).strict(),
  fetchOrder: z.object({ symbol, id: z.string().min(1).max(64).optional(), clientOrderId: clientOrderId.optional() }).strict(),
  // The symbol is required: without one Binance charges 80 weight against the IP every key shares.
  fetchOpenOrders: z.object({ symbol }).strict(),
  fetchMyTrades: z.object({ symbol, since: z.number().int().nonnegative().optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
  fetchPositions: z.object({ symbols: z.array(symbol).max(50).optional() }).strict(),
  setLeverage: z.object({ symbol, leverage: z.number().int().min(1).max(125) }).strict(),
  /**
   * The venue's dead-man switch (catalogue `deadManSwitch`): after `timeoutMs` without another call the
   * venue cancels the open orders of the symbol, or of the account where its switch is account-wide; 0
   * stops the countdown. Venues without one refuse it (BAD_INPUT). Ten minutes is our own ceiling.
   */
  cancelAllOrdersAfter: z.object({ symbol, timeoutMs: z.number().int().min(0).max(600_000) }).strict(),
} as const

export type VenueMethod = keyof typeof venueCalls
export const venueMethods = Object.keys(venueCalls) as VenueMethod[]
export type VenueArgs<M extends VenueMethod> = z.infer<(typeof venueCalls)[M]>

/** The unified shapes the signer returns (ccxt's, with decimals as strings). */
export type OrderView = {
  id: string
  clientOrderId: string | null
  symbol: string
  type: string
  side: string
  status: string
  amount: string | null
  filled: string | null
  price: string | null
  average: string | null
  timestamp: number | null
  /** Present when the venue reported the order's fee in one currency. */
  fee?: { cost: string; currency: string | null }
}
export type BalanceView = Record<string, { free: string; used: string; total: string }>
