import { z } from 'zod'

/**
 * The HTTP API's schemas for trading (routes in src/api/routes/trading-routes.ts), shared with the web
 * app. Amounts and prices are decimal strings; percentages are decimal strings of percent ("2.5" = 2.5 %).
 */

export const decimalString = z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,12})?$/, 'must be a decimal number like "0.001"')
const positiveDecimal = decimalString.refine((s) => Number(s) > 0, 'must be greater than zero')
export const percentString = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,4})?$/, 'must be a percentage like "2.5"')
  .refine((s) => Number(s) > 0 && Number(s) < 1000, 'must be between 0 and 1000 %')
export const unifiedSymbol = z.string().regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/, 'must be a unified symbol like "BTC/USDT" or "BTC/USDT:USDT"')

export const accountRefSchema = z.object({ kind: z.enum(['demo', 'exchange']), id: z.string().uuid() }).strict()

// ---------------------------------------------------------------------------------------------
// Risk limits (per account, and per bot in its config). Every field optional: absent means no limit
// of that kind at this level. The stricter of the account's and the bot's applies.

export const riskLimitsSchema = z
  .object({
    /** Largest order, in the quote currency (amount × price). */
    maxOrderNotional: positiveDecimal.optional(),
    /** Largest position per symbol after the order, in the quote currency. */
    maxPositionNotional: positiveDecimal.optional(),
    /** Open orders of this bot / account at once. */
    maxOpenOrders: z.number().int().min(1).max(1000).optional(),
    /** Realized + unrealized loss since 00:00 UTC, in the quote currency, that stops the bot. */
    maxDailyLoss: positiveDecimal.optional(),
    /** No new entry for this long after a stop-loss filled. */
    cooldownAfterStopLossSeconds: z.number().int().min(0).max(7 * 86_400).optional(),
    /** Fat-finger guard: a limit or stop price at most this far from the last price. */
    priceBandPercent: percentString.optional(),
  })
  .strict()
export type RiskLimits = z.infer<typeof riskLimitsSchema>

// ---------------------------------------------------------------------------------------------
// Smart Trades

export const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('market') }).strict(),
  z.object({ type: z.literal('limit'), price: positiveDecimal }).strict(),
  /** Enters at market once the price crosses `triggerPrice` (upwards for a long's breakout, either way: `direction`). */
  z.object({ type: z.literal('conditional'), triggerPrice: positiveDecimal, direction: z.enum(['above', 'below']), limitPrice: positiveDecimal.optional() }).strict(),
])

export const takeProfitTargetSchema = z
  .object({
    /** A price, or a percentage from the entry's average price (in the trade's favour). */
    price: positiveDecimal.optional(),
    percent: percentString.optional(),
    /** Share of the position closed at this target, in percent; the shares add up to 100. */
    sharePercent: percentString,
  })
  .strict()
  .refine((t) => (t.price === undefined) !== (t.percent === undefined), { message: 'a target has a price or a percent, not both' })

export const stopLossSchema = z
  .object({
    price: positiveDecimal.optional(),
    percent: percentString.optional(),
    /** Follows the best price at this distance (percent); only moves in the trade's favour. */
    trailingPercent: percentString.optional(),
    /** Moves the stop to the entry price once the first target filled. */
    moveToBreakevenAfterFirstTarget: z.boolean().optional(),
  })
  .strict()
  .refine((s) => !(s.price !== undefined && s.percent !== undefined), { message: 'a stop loss has a price or a percent, not both' })
  .refine((s) => s.price !== undefined || s.percent !== undefined || s.trailingPercent !== undefined, { message: 'a stop loss needs a price, a percent or a trailing percent' })

export const smartTradeConfigSchema = z
  .object({
    symbol: unifiedSymbol,
    /** Spot: long only (buy then sell). Futures (symbols with ":"): long or short. */
    direction: z.enum(['long', 'short']),
    /** Base amount. */
    amount: positiveDecimal,
    entry: entrySchema,
    takeProfit: z
      .object({
        targets: z.array(takeProfitTargetSchema).max(5),
        /** After the price reaches the last target, follow it up and close when it falls back this far (percent). */
        trailingPercent: percentString.optional(),
      })
      .strict()
      .optional(),
    stopLoss: stopLossSchema.optional(),
    /** Close at market this many seconds after the entry filled (or cancel the entry if it has not). */
    timeoutSeconds: z.number().int().min(60).max(90 * 86_400).optional(),
    risk: riskLimitsSchema.optional(),
  })
  .strict()
  .refine((c) => c.takeProfit === undefined || c.takeProfit.targets.length === 0 || c.takeProfit.targets.reduce((s, t) => s + Number(t.sharePercent), 0) === 100, {
    message: 'the take-profit shares must add up to 100 %',
    path: ['takeProfit', 'targets'],
  })
  .refine((c) => c.direction === 'long' || c.symbol.includes(':'), { message: 'a spot trade can only go long (buy, then sell)', path: ['direction'] })
export type SmartTradeConfig = z.infer<typeof smartTradeConfigSchema>

export const createSmartTradeBody = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    account: accountRefSchema,
    config: smartTradeConfigSchema,
  })
  .strict()
export type CreateSmartTradeBody = z.infer<typeof createSmartTradeBody>

/** Editable while the trade runs: targets and stop (entry and amount are fixed once sent). */
export const editSmartTradeBody = z
  .object({
    takeProfit: smartTradeConfigSchema.shape.takeProfit,
    stopLoss: stopLossSchema.optional(),
    timeoutSeconds: z.number().int().min(60).max(90 * 86_400).optional(),
  })
  .strict()

// ---------------------------------------------------------------------------------------------
// Signal Bots

const fastBelowSlow = { message: 'the fast period must be shorter than the slow one', path: ['fast'] }
export const indicatorSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('rsi'), period: z.number().int().min(2).max(100), oversold: z.number().min(1).max(50), overbought: z.number().min(50).max(99) })
    .strict()
    .refine((i) => i.oversold < i.overbought, { message: 'oversold must be below overbought', path: ['oversold'] }),
  z.object({ type: z.literal('ema_cross'), fast: z.number().int().min(2).max(200), slow: z.number().int().min(3).max(400) }).strict().refine((i) => i.fast < i.slow, fastBelowSlow),
  z.object({ type: z.literal('sma_cross'), fast: z.number().int().min(2).max(200), slow: z.number().int().min(3).max(400) }).strict().refine((i) => i.fast < i.slow, fastBelowSlow),
  z
    .object({ type: z.literal('macd_cross'), fast: z.number().int().min(2).max(100), slow: z.number().int().min(3).max(200), signal: z.number().int().min(2).max(100) })
    .strict()
    .refine((i) => i.fast < i.slow, fastBelowSlow),
  z.object({ type: z.literal('bollinger'), period: z.number().int().min(5).max(200), deviation: z.number().min(0.5).max(5) }).strict(),
])
export type IndicatorConfig = z.infer<typeof indicatorSchema>

/** TradingView's published webhook sender addresses (https://www.tradingview.com/support/solutions/43000529348). */
export const tradingViewSenderIps = ['52.89.214.238', '34.212.75.30', '54.218.53.128', '52.32.178.7'] as const

export const signalSourceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('webhook'),
      /** Source addresses allowed (IPv4/IPv6 or CIDR); 'tradingview' expands to TradingView's senders. Empty: any. */
      allowIps: z.array(z.string().min(2).max(64)).max(50).default([]),
      /** A signal whose timestamp is older (or further ahead) than this is refused. */
      maxLagSeconds: z.number().int().min(5).max(3600).default(60),
      /** Signals per minute; more are refused with RATE_LIMITED. */
      ratePerMinute: z.number().int().min(1).max(600).default(30),
      /** Refuse signals without a valid HMAC signature header (for senders that can sign). */
      requireSignature: z.boolean().default(false),
    })
    .strict(),
  z.object({ kind: z.literal('indicator'), indicator: indicatorSchema, timeframe: z.enum(['1m', '5m', '15m', '1h', '4h', '1d']) }).strict(),
])
export type SignalSourceConfig = z.infer<typeof signalSourceSchema>

export const signalBotConfigSchema = z
  .object({
    symbols: z.array(unifiedSymbol).min(1).max(20),
    /** Base amount per entry, or a quote amount converted at the last price. */
    sizing: z.discriminatedUnion('kind', [z.object({ kind: z.literal('base'), amount: positiveDecimal }).strict(), z.object({ kind: z.literal('quote'), amount: positiveDecimal }).strict()]),
    /** Which entries it takes: long only (spot), short only or both (futures). */
    sides: z.enum(['long', 'short', 'both']).default('long'),
    /** Defaults for every entry; a signal's own TP/SL prices override them. */
    takeProfitPercent: percentString.optional(),
    stopLossPercent: percentString.optional(),
    trailingStopPercent: percentString.optional(),
    source: signalSourceSchema,
    risk: riskLimitsSchema.optional(),
    /** What a rejected order does to the bot. */
    onRejection: z.enum(['continue', 'stop']).default('continue'),
  })
  .strict()
export type SignalBotConfig = z.infer<typeof signalBotConfigSchema>

export const createSignalBotBody = z
  .object({
    name: z.string().trim().min(1).max(80),
    /** A new bot always starts on a demo account; real accounts come by promotion. */
    demoAccountId: z.string().uuid(),
    config: signalBotConfigSchema,
  })
  .strict()
export type CreateSignalBotBody = z.infer<typeof createSignalBotBody>

export const editSignalBotBody = z.object({ name: z.string().trim().min(1).max(80).optional(), config: signalBotConfigSchema.optional() }).strict()

export const promoteBotBody = z.object({ exchangeAccountId: z.string().uuid() }).strict()

/**
 * The webhook body (POST /api/hooks/signal/:botId). TradingView sends the alert message as written,
 * with its placeholders filled in: `{{ticker}}` gives "BTCUSDT", `{{timenow}}` an ISO time.
 */
export const webhookSignalBody = z
  .object({
    secret: z.string().min(16).max(128),
    action: z.string().min(1).max(32),
    symbol: z.string().min(1).max(40).optional(),
    amount: z.union([z.string(), z.number()]).optional(),
    price: z.union([z.string(), z.number()]).optional(),
    takeProfit: z.union([z.string(), z.number()]).optional(),
    stopLoss: z.union([z.string(), z.number()]).optional(),
    /** ISO 8601 or Unix seconds/ms. */
    timestamp: z.union([z.string(), z.number()]),
    signalId: z.string().min(1).max(100).optional(),
  })
  .strict()
export type WebhookSignalBody = z.infer<typeof webhookSignalBody>

// ---------------------------------------------------------------------------------------------
// Views

export const orderViewSchema = z.object({
  id: z.string(),
  botId: z.string().nullable(),
  intentKey: z.string(),
  account: accountRefSchema,
  venue: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.string(),
  amount: z.string(),
  price: z.string().nullable(),
  stopPrice: z.string().nullable(),
  reduceOnly: z.boolean(),
  purpose: z.string(),
  clientOrderId: z.string(),
  state: z.string(),
  exchangeOrderId: z.string().nullable(),
  filled: z.string(),
  average: z.string().nullable(),
  fee: z.string().nullable(),
  feeCurrency: z.string().nullable(),
  reason: z.string().nullable(),
  unresolved: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type OrderApiView = z.infer<typeof orderViewSchema>

export const pnlViewSchema = z.object({ realized: z.string(), unrealized: z.string(), fees: z.string(), currency: z.string() })

export const botViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['smart_trade', 'signal_bot']),
  name: z.string(),
  account: accountRefSchema.extend({ label: z.string() }),
  status: z.enum(['draft', 'running', 'paused', 'stopped', 'finished', 'failed']),
  statusReason: z.string().nullable(),
  config: z.unknown(),
  /** What the machine says about itself: phase, position, stop price and where stops live. */
  live: z.record(z.string(), z.unknown()),
  pnl: pnlViewSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  promotedAt: z.string().nullable(),
})
export type BotApiView = z.infer<typeof botViewSchema>

export const signalViewSchema = z.object({
  id: z.string(),
  source: z.string(),
  receivedAt: z.string(),
  signalId: z.string().nullable(),
  action: z.string().nullable(),
  verdict: z.enum(['accepted', 'rejected']),
  code: z.string().nullable(),
  message: z.string(),
  sourceIp: z.string().nullable(),
})

export const webhookInfoSchema = z.object({
  url: z.string(),
  secret: z.string(),
  /** The alert message to paste into TradingView, placeholders included. */
  tradingViewMessage: z.string(),
  /** How to sign, for senders that can: header names and the signed string. */
  signature: z.object({ timestampHeader: z.string(), signatureHeader: z.string(), scheme: z.string() }),
})

export const demoRecordSchema = z.object({
  trades: z.number(),
  wins: z.number(),
  realizedPnl: z.string(),
  fees: z.string(),
  maxDrawdown: z.string(),
  daysRun: z.number(),
  currency: z.string(),
})
export type DemoRecordView = z.infer<typeof demoRecordSchema>

/** An account a bot can trade on (GET …/trading/accounts). */
export const tradingAccountViewSchema = z.object({
  kind: z.enum(['demo', 'exchange']),
  id: z.string(),
  label: z.string(),
  /** 'demo-spot', 'demo-futures' or a catalogue venue id. */
  venue: z.string(),
  market: z.enum(['spot', 'linear']),
  /** Whether a Smart Trade's stop rests on the venue here (else the platform triggers it from market data). */
  stopsOnExchange: z.boolean(),
  /** An exchange account whose key is not active cannot trade. */
  canTrade: z.boolean(),
})
export type TradingAccountView = z.infer<typeof tradingAccountViewSchema>

/** An account as GET …/trading/accounts lists it for the caller. */
export const tradingAccountEntrySchema = tradingAccountViewSchema.extend({
  /**
   * Whether the caller may trade on it: their role (and token scope) allows trading and, on an exchange
   * account, they trade on every one or were granted this one (per-member grants). Demo accounts are never narrowed.
   */
  tradable: z.boolean(),
})
export type TradingAccountEntry = z.infer<typeof tradingAccountEntrySchema>

export const haltViewSchema = z.object({ halted: z.boolean(), haltedAt: z.string().nullable(), reason: z.string().nullable() })
export const haltBody = z.object({ reason: z.string().trim().min(1).max(200) }).strict()
export const ordersQuery = z
  .object({ botId: z.string().uuid().optional(), state: z.enum(['open', 'final', 'unknown']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict()
