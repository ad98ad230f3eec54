import type { Parse } from './api'
import { isDecimalString } from './decimal-string'
import { isRecord, readList, readObject } from './json-guards'

/**
 * Types and parsers for the demo exchange API (/api/workspaces/:ws/demo/…; the server's views are the
 * zod schemas in src/demo/demo-types.ts, which the tests hold these parsers to).
 *
 * Money and amounts arrive as decimal strings and stay strings here: the page shows them as the
 * server wrote them and compares them with `decimal-string.ts`, never as floats. A decimal field
 * that is not a plain decimal string fails the parse (BAD_RESPONSE) rather than reaching a check.
 * Times arrive as ISO strings or Unix milliseconds and leave as milliseconds.
 */

export type FeedSource = 'live' | 'replay' | 'synthetic'
export type FeedState = 'running' | 'stopped' | 'unreachable' | 'fallback'

export type DemoFeed = {
  source: FeedSource
  state: FeedState
  /** What the source is exactly, or what went wrong: "2021-05", "binance unreachable since 12:03". */
  detail: string
  sinceMs: number | null
}

export type MarketKind = 'spot' | 'linear'

export type DemoMarket = {
  /** "BTC/USDT" (spot) or "BTC/USDT:USDT" (linear perpetual). */
  symbol: string
  kind: MarketKind
  /** null until the feed has traded the market once. */
  last: string | null
  mark: string | null
  bid: string | null
  ask: string | null
  tickSize: string
  lotSize: string
  minNotional: string
  maxLeverage: number | null
  fundingRate: string | null
  nextFundingTimeMs: number | null
}

export type DemoAccountKind = 'spot' | 'futures'

export type DemoAccount = {
  id: string
  name: string
  kind: DemoAccountKind
  createdAtMs: number
  resetCount: number
  fees: { maker: string; taker: string }
}

export type BalanceLine = { asset: string; free: string; used: string; total: string }

export type OrderSide = 'buy' | 'sell'

export type DemoOrder = {
  id: string
  clientOrderId: string | null
  symbol: string
  /** market, limit, stop_market, stop_limit; kept open for types a newer server adds. */
  type: string
  side: OrderSide
  /** open, closed, canceled, expired, rejected… */
  status: string
  /** Nullable in the venue's unified shape (src/exchanges/venue-types.ts), though the demo always sets them. */
  amount: string | null
  filled: string | null
  price: string | null
  /** The trigger of a stop order, when the server sends it (ccxt's `stopPrice` or `triggerPrice`). */
  stopPrice: string | null
  average: string | null
  timestampMs: number | null
}

export type DemoFill = {
  id: string
  orderId: string
  symbol: string
  side: OrderSide
  price: string
  amount: string
  fee: { cost: string; currency: string }
  liquidity: 'maker' | 'taker'
  timestampMs: number
}

export type DemoPosition = {
  symbol: string
  side: 'long' | 'short'
  contracts: string
  entryPrice: string
  /** null until the market has a mark price. */
  markPrice: string | null
  unrealizedPnl: string
  realizedPnl: string
  leverage: number
  marginMode: 'isolated' | 'cross'
  liquidationPrice: string | null
  roePct: string
}

export type DemoSymbolSettings = { symbol: string; leverage: number; marginMode: 'isolated' | 'cross' }

/** GET …/accounts/:id/settings: hedge mode and every perpetual's leverage and margin mode (spot: none). */
export type DemoSettings = { hedged: boolean; symbols: DemoSymbolSettings[] }

export type Candle = { timeMs: number; open: string; high: string; low: string; close: string; volume: string }

export type DemoPnl = { equity: string; realizedPnl: string; unrealizedPnl: string; fees: string; funding: string }

/** The field readers of `readObject`, plus decimals, times and the lenient numbers this API uses. */
const readDemo = (value: unknown, what: string) => {
  const fields = readObject(value, what)
  const record = isRecord(value) ? value : {}
  const wrong = (key: string, expected: string): never => {
    throw new Error(`${what}: expected "${key}" to be ${expected}`)
  }
  const isAbsent = (key: string) => record[key] === null || record[key] === undefined
  const decimal = (key: string): string => {
    const field = record[key]
    return typeof field === 'string' && isDecimalString(field) ? field : wrong(key, 'a decimal string')
  }
  const timeMs = (key: string): number => {
    const field = record[key]
    if (typeof field === 'number' && Number.isFinite(field)) return field
    const parsed = typeof field === 'string' ? Date.parse(field) : Number.NaN
    return Number.isFinite(parsed) ? parsed : wrong(key, 'an ISO time or Unix milliseconds')
  }
  return {
    ...fields,
    decimal,
    nullableDecimal: (key: string): string | null => (isAbsent(key) ? null : decimal(key)),
    timeMs,
    nullableTimeMs: (key: string): number | null => (isAbsent(key) ? null : timeMs(key)),
    /** A whole number sent as a number or a numeric string ("20"). */
    integer: (key: string): number => {
      const field = record[key]
      const parsed = typeof field === 'number' ? field : typeof field === 'string' && /^\d+$/.test(field) ? Number(field) : Number.NaN
      return Number.isSafeInteger(parsed) ? parsed : wrong(key, 'a whole number')
    },
    nullableInteger: (key: string): number | null => {
      if (isAbsent(key)) return null
      const field = record[key]
      return typeof field === 'number' && Number.isSafeInteger(field) ? field : wrong(key, 'a whole number or null')
    },
    /** OHLCV values: decimal strings by contract, numbers accepted (they only feed the chart). */
    decimalOrNumber: (key: string): string => {
      const field = record[key]
      if (typeof field === 'number' && Number.isFinite(field)) return String(field)
      return decimal(key)
    },
  }
}

export const parseDemoFeed: Parse<DemoFeed> = (body) => {
  const fields = readDemo(body, 'demo feed')
  return {
    source: fields.oneOf('source', ['live', 'replay', 'synthetic'] as const),
    state: fields.oneOf('state', ['running', 'stopped', 'unreachable', 'fallback'] as const),
    detail: fields.nullableString('detail') ?? '',
    sinceMs: fields.nullableTimeMs('since'),
  }
}

export const parseDemoMarket = (value: unknown): DemoMarket => {
  const fields = readDemo(value, 'demo market')
  return {
    symbol: fields.string('symbol'),
    kind: fields.oneOf('kind', ['spot', 'linear'] as const),
    last: fields.nullableDecimal('last'),
    mark: fields.nullableDecimal('mark'),
    bid: fields.nullableDecimal('bid'),
    ask: fields.nullableDecimal('ask'),
    tickSize: fields.decimal('tickSize'),
    lotSize: fields.decimal('lotSize'),
    minNotional: fields.decimal('minNotional'),
    maxLeverage: fields.nullableInteger('maxLeverage'),
    fundingRate: fields.nullableDecimal('fundingRate'),
    nextFundingTimeMs: fields.nullableTimeMs('nextFundingTime'),
  }
}

export const parseDemoMarkets: Parse<DemoMarket[]> = (body) => readList(body, 'demo markets', parseDemoMarket)

export const parseDemoAccount: Parse<DemoAccount> = (body) => {
  const fields = readDemo(body, 'demo account')
  const fees = readDemo(fields.record('fees'), 'demo account fees')
  return {
    id: fields.string('id'),
    name: fields.string('name'),
    kind: fields.oneOf('kind', ['spot', 'futures'] as const),
    createdAtMs: fields.timeMs('createdAt'),
    resetCount: fields.integer('resetCount'),
    fees: { maker: fees.decimal('maker'), taker: fees.decimal('taker') },
  }
}

export const parseDemoAccounts: Parse<DemoAccount[]> = (body) => readList(body, 'demo accounts', parseDemoAccount)

/** `{ USDT: { free, used, total }, … }` as lines sorted by asset, so the table does not reorder between polls. */
export const parseDemoBalance: Parse<BalanceLine[]> = (body) => {
  if (!isRecord(body)) throw new Error('demo balance: expected an object')
  return Object.keys(body)
    .sort()
    .map((asset) => {
      const fields = readDemo(body[asset], `demo balance of ${asset}`)
      return { asset, free: fields.decimal('free'), used: fields.decimal('used'), total: fields.decimal('total') }
    })
}

const sides = ['buy', 'sell'] as const

export const parseDemoOrder: Parse<DemoOrder> = (body) => {
  const fields = readDemo(body, 'demo order')
  const record = isRecord(body) ? body : {}
  const triggerKey = record.stopPrice !== undefined && record.stopPrice !== null ? 'stopPrice' : 'triggerPrice'
  return {
    id: fields.string('id'),
    clientOrderId: fields.nullableString('clientOrderId'),
    symbol: fields.string('symbol'),
    type: fields.string('type'),
    side: fields.oneOf('side', sides),
    status: fields.string('status'),
    amount: fields.nullableDecimal('amount'),
    filled: fields.nullableDecimal('filled'),
    price: fields.nullableDecimal('price'),
    stopPrice: fields.nullableDecimal(triggerKey),
    average: fields.nullableDecimal('average'),
    timestampMs: fields.nullableTimeMs('timestamp'),
  }
}

export const parseDemoOrders: Parse<DemoOrder[]> = (body) => readList(body, 'demo orders', parseDemoOrder)

export const parseDemoFill = (value: unknown): DemoFill => {
  const fields = readDemo(value, 'demo fill')
  const fee = readDemo(fields.record('fee'), 'demo fill fee')
  return {
    id: fields.string('id'),
    orderId: fields.string('orderId'),
    symbol: fields.string('symbol'),
    side: fields.oneOf('side', sides),
    price: fields.decimal('price'),
    amount: fields.decimal('amount'),
    fee: { cost: fee.decimal('cost'), currency: fee.string('currency') },
    liquidity: fields.oneOf('liquidity', ['maker', 'taker'] as const),
    timestampMs: fields.timeMs('timestamp'),
  }
}

export const parseDemoFills: Parse<DemoFill[]> = (body) => readList(body, 'demo fills', parseDemoFill)

export const parseDemoPosition = (value: unknown): DemoPosition => {
  const fields = readDemo(value, 'demo position')
  return {
    symbol: fields.string('symbol'),
    side: fields.oneOf('side', ['long', 'short'] as const),
    contracts: fields.decimal('contracts'),
    entryPrice: fields.decimal('entryPrice'),
    markPrice: fields.nullableDecimal('markPrice'),
    unrealizedPnl: fields.decimal('unrealizedPnl'),
    realizedPnl: fields.decimal('realizedPnl'),
    leverage: fields.integer('leverage'),
    marginMode: fields.oneOf('marginMode', ['isolated', 'cross'] as const),
    liquidationPrice: fields.nullableDecimal('liquidationPrice'),
    roePct: fields.decimal('roePct'),
  }
}

export const parseDemoPositions: Parse<DemoPosition[]> = (body) => readList(body, 'demo positions', parseDemoPosition)

const parseDemoSymbolSettings = (value: unknown): DemoSymbolSettings => {
  const fields = readDemo(value, 'demo symbol settings')
  return { symbol: fields.string('symbol'), leverage: fields.integer('leverage'), marginMode: fields.oneOf('marginMode', ['isolated', 'cross'] as const) }
}

export const parseDemoSettings: Parse<DemoSettings> = (body) => {
  const fields = readDemo(body, 'demo settings')
  return { hedged: fields.boolean('hedged'), symbols: fields.array('symbols', parseDemoSymbolSettings) }
}

/** The settings of one symbol, or undefined before they load or for a symbol the account cannot trade. */
export const symbolSettingsOf = (settings: DemoSettings | null | undefined, symbol: string): DemoSymbolSettings | undefined =>
  settings?.symbols.find((entry) => entry.symbol === symbol)

export const parseCandle = (value: unknown): Candle => {
  const fields = readDemo(value, 'candle')
  return {
    timeMs: fields.timeMs('time'),
    open: fields.decimalOrNumber('open'),
    high: fields.decimalOrNumber('high'),
    low: fields.decimalOrNumber('low'),
    close: fields.decimalOrNumber('close'),
    volume: fields.decimalOrNumber('volume'),
  }
}

export const parseCandles: Parse<Candle[]> = (body) => readList(body, 'candles', parseCandle)

export const parseDemoPnl: Parse<DemoPnl> = (body) => {
  const fields = readDemo(body, 'demo PnL')
  return {
    equity: fields.decimal('equity'),
    realizedPnl: fields.decimal('realizedPnl'),
    unrealizedPnl: fields.decimal('unrealizedPnl'),
    fees: fields.decimal('fees'),
    funding: fields.decimal('funding'),
  }
}
