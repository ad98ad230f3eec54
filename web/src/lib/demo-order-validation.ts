import { compareDecimals, isMultipleOf, isPositiveDecimal, multiplyDecimals, normalizeDecimal, roundToStep } from './decimal-string'
import type { DemoAccountKind, DemoMarket, OrderSide } from './demo-parsers'

/**
 * The order form's checks, made before anything is sent. They mirror the demo engine's own
 * (src/demo/engine/place-order.ts) with the same messages, so what the form says is what the server
 * would have answered; the server still decides (the last price moves between the check and the fill).
 * All money is compared as exact decimals.
 */

export type DemoOrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'
/** Hedge mode: the long and the short position of a symbol are apart, and each order names one. */
export type PositionSide = 'long' | 'short'

export const positionSideLabels: Readonly<Record<PositionSide, string>> = { long: 'Long', short: 'Short' }

export const orderTypeLabels: Readonly<Record<DemoOrderType, string>> = {
  market: 'Market',
  limit: 'Limit',
  stop_market: 'Stop market',
  stop_limit: 'Stop limit',
}

export const timeInForceLabels: Readonly<Record<TimeInForce, string>> = {
  GTC: 'GTC — good till cancelled',
  IOC: 'IOC — immediate or cancel',
  FOK: 'FOK — fill or kill',
}

/** What the person typed, as typed. */
export type OrderDraft = {
  symbol: string
  type: DemoOrderType
  side: OrderSide
  amount: string
  price: string
  stopPrice: string
  timeInForce: TimeInForce
  postOnly: boolean
  reduceOnly: boolean
  /** Sent only when the account is in hedge mode. */
  positionSide: PositionSide
}

/** POST …/orders, as the contract names it. */
export type PlaceOrderBody = {
  symbol: string
  type: DemoOrderType
  side: OrderSide
  amount: string
  price?: string
  stopPrice?: string
  timeInForce?: TimeInForce
  postOnly?: true
  reduceOnly?: true
  positionSide?: PositionSide
}

export type OrderField = 'amount' | 'price' | 'stopPrice' | 'order'
export type OrderErrors = Partial<Record<OrderField, string>>

export type OrderCheck = { ok: true; body: PlaceOrderBody; notional: string | null } | { ok: false; errors: OrderErrors }

export const needsPrice = (type: DemoOrderType): boolean => type === 'limit' || type === 'stop_limit'
export const needsStopPrice = (type: DemoOrderType): boolean => type === 'stop_market' || type === 'stop_limit'
/** Market orders take what the book has; time in force matters only for a resting price. */
export const takesTimeInForce = needsPrice
export const canPostOnly = (type: DemoOrderType, timeInForce: TimeInForce): boolean => type === 'limit' && timeInForce === 'GTC'

/** "BTC/USDT:USDT" → { base: "BTC", quote: "USDT" }. */
export const symbolParts = (symbol: string): { base: string; quote: string } => {
  const [pair = symbol] = symbol.split(':')
  const [base = pair, quote = ''] = pair.split('/')
  return { base, quote }
}

const positiveDecimalMessage = (what: string) => `${what} must be a positive decimal number like "0.001"`

/** A positive decimal, or the engine's message for one that is not. */
const readPositive = (text: string, what: string): { value: string } | { error: string } =>
  isPositiveDecimal(text) ? { value: normalizeDecimal(text) } : { error: positiveDecimalMessage(what) }

const tickMessage = (what: string, value: string, tick: string) =>
  `Filter failure: PRICE_FILTER (${what} ${value} is not a multiple of the tick size ${normalizeDecimal(tick)}).`

/** The order value the exchange checks against its minimum: amount × (limit price, else trigger, else last). */
export const orderNotional = (amount: string, referencePrice: string | null): string | null =>
  referencePrice === null ? null : multiplyDecimals(amount, referencePrice)

/**
 * Checks a draft against the market's filters and builds the request body.
 * `accountKind` decides the notional rule: spot always, futures except reduce-only (as Binance USDⓈ-M).
 * `hedged` (futures in hedge mode) adds the position side, which the engine then requires; in one-way
 * mode the engine refuses one, so it is never sent.
 */
export const checkOrder = (draft: OrderDraft, market: DemoMarket, accountKind: DemoAccountKind, hedged = false): OrderCheck => {
  const errors: OrderErrors = {}
  const { type } = draft

  let amount: string | undefined
  const amountRead = readPositive(draft.amount.trim(), 'amount')
  if ('error' in amountRead) errors.amount = amountRead.error
  else if (!isMultipleOf(amountRead.value, market.lotSize)) {
    errors.amount = `Filter failure: LOT_SIZE (amount ${amountRead.value} is not a multiple of the step size ${normalizeDecimal(market.lotSize)}).`
  } else amount = amountRead.value

  const readPrice = (text: string, field: 'price' | 'stopPrice', isNeeded: boolean): string | undefined => {
    if (!isNeeded) return undefined
    const trimmed = text.trim()
    if (trimmed === '') {
      errors[field] = `A ${type} order needs a ${field}.`
      return undefined
    }
    const read = readPositive(trimmed, field)
    if ('error' in read) {
      errors[field] = read.error
      return undefined
    }
    if (!isMultipleOf(read.value, market.tickSize)) {
      errors[field] = tickMessage(field, read.value, market.tickSize)
      return undefined
    }
    return read.value
  }
  const price = readPrice(draft.price, 'price', needsPrice(type))
  const stopPrice = readPrice(draft.stopPrice, 'stopPrice', needsStopPrice(type))

  const timeInForce = takesTimeInForce(type) ? draft.timeInForce : undefined
  const postOnly = draft.postOnly && type === 'limit'
  const reduceOnly = draft.reduceOnly && accountKind === 'futures'
  if (draft.postOnly && !canPostOnly(type, draft.timeInForce)) errors.order = 'Post-only applies to GTC limit orders only.'
  if (draft.reduceOnly && accountKind === 'spot') errors.order = 'reduceOnly is not supported for spot orders.'
  const positionSide = hedged && accountKind === 'futures' ? draft.positionSide : undefined
  // In hedge mode only a sell on the long side or a buy on the short side closes.
  if (reduceOnly && positionSide !== undefined && (positionSide === 'long') === (draft.side === 'buy')) errors.order = 'ReduceOnly Order is rejected.'

  if (type !== 'limit' && market.last === null && errors.order === undefined) {
    errors.order = `No price for ${market.symbol} yet: market and stop orders wait for the first trade.`
  }

  const arePricesKnown = (!needsPrice(type) || price !== undefined) && (!needsStopPrice(type) || stopPrice !== undefined)
  const notional = amount !== undefined && arePricesKnown ? orderNotional(amount, price ?? stopPrice ?? market.last) : null
  if (notional !== null && errors.order === undefined && compareDecimals(notional, market.minNotional) < 0) {
    const minimum = normalizeDecimal(market.minNotional)
    if (accountKind === 'spot') {
      errors.order = `Filter failure: NOTIONAL (order value ${notional} ${symbolParts(market.symbol).quote} is below the minimum ${minimum}).`
    } else if (!reduceOnly) {
      errors.order = `Order's notional must be no smaller than ${minimum} (unless you choose reduce only).`
    }
  }

  if (Object.keys(errors).length > 0 || amount === undefined) return { ok: false, errors }
  return {
    ok: true,
    notional,
    body: {
      symbol: market.symbol,
      type,
      side: draft.side,
      amount,
      ...(price === undefined ? {} : { price }),
      ...(stopPrice === undefined ? {} : { stopPrice }),
      ...(timeInForce === undefined ? {} : { timeInForce }),
      ...(postOnly ? { postOnly: true as const } : {}),
      ...(reduceOnly ? { reduceOnly: true as const } : {}),
      ...(positionSide === undefined ? {} : { positionSide }),
    },
  }
}

/**
 * The nearest amount the exchange would take, for a "use this instead" button: rounded down to the lot
 * (never more than typed), or one lot when that would be nothing. Undefined when the text is no
 * positive decimal or already fits.
 */
export const suggestAmount = (text: string, lotSize: string): string | undefined => {
  const trimmed = text.trim()
  if (!isPositiveDecimal(trimmed) || isMultipleOf(trimmed, lotSize)) return undefined
  const rounded = roundToStep(trimmed, lotSize, 'down')
  return compareDecimals(rounded, '0') > 0 ? rounded : normalizeDecimal(lotSize)
}

/** The nearest price on the tick grid (one tick when that would be nothing); undefined when it already fits. */
export const suggestPrice = (text: string, tickSize: string): string | undefined => {
  const trimmed = text.trim()
  if (!isPositiveDecimal(trimmed) || isMultipleOf(trimmed, tickSize)) return undefined
  const rounded = roundToStep(trimmed, tickSize, 'nearest')
  return compareDecimals(rounded, '0') > 0 ? rounded : normalizeDecimal(tickSize)
}

/** The engine's check on a leverage setting (src/demo/engine/account-commands.ts). */
export const checkLeverage = (text: string, market: Pick<DemoMarket, 'symbol' | 'maxLeverage'>): { ok: true; leverage: number } | { ok: false; error: string } => {
  const trimmed = text.trim()
  const max = market.maxLeverage ?? 125
  const leverage = /^\d{1,3}$/.test(trimmed) ? Number(trimmed) : Number.NaN
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > max) {
    return { ok: false, error: `Leverage ${trimmed.slice(0, 12)} is not valid for ${market.symbol} (1-${max}).` }
  }
  return { ok: true, leverage }
}

/** The initial or reset balance of a demo account: a positive decimal string. */
export const checkBalance = (text: string, what: string): { ok: true; balance: string } | { ok: false; error: string } => {
  const trimmed = text.trim()
  return isPositiveDecimal(trimmed) ? { ok: true, balance: normalizeDecimal(trimmed) } : { ok: false, error: `${what} must be a positive decimal number like "10000".` }
}
