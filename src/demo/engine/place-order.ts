import { Decimal, isDecimalString } from '../../lib/decimal.js'
import { bookOf, protectionKeyFor } from './book-model.js'
import {
  emitBalance,
  emitOrder,
  keyOf,
  lastDec,
  markDec,
  money,
  priceOfKey,
  spotBalance,
  str,
  ZERO,
  type AccountRt,
  type EngineCtx,
  type FuturesAccountRt,
  type MarketRt,
  type OrderRec,
} from './engine-state.js'
import type { DemoOrderType, PlaceOrderInput, PositionSide, TimeInForce } from './engine-types.js'
import { addOrderMargin, closableBy, hasAvailable, orderMarginOf, positionOf, settingsOf, tierFor } from './futures-ledger.js'
import { activate, detach } from './matching.js'
import { reject } from './rejection.js'
import { checkAccount } from './risk.js'
import { spotFree, spotReservation } from './spot-ledger.js'

/**
 * Placing and amending orders: every check first (filters, reference price, funds, leverage bracket,
 * reduce-only, post-only), then the changes. A check that fails throws a DemoRejection and nothing has
 * changed, so a rejected order holds nothing and emits nothing.
 */

const orderTypes: readonly DemoOrderType[] = ['market', 'limit', 'stop_market', 'stop_limit']
const timesInForce: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK']
const clientOrderIdPattern = /^[A-Za-z0-9._:-]{1,36}$/

export const positiveDecimal = (value: string | undefined, what: string): Decimal => {
  if (typeof value !== 'string' || !isDecimalString(value) || !new Decimal(value).gt(0)) return reject('BAD_INPUT', `${what} must be a positive decimal number like "0.001"`)
  return new Decimal(value)
}

export const accountOf = (ctx: EngineCtx, accountId: string): AccountRt => ctx.accounts.get(accountId) ?? reject('UNKNOWN_ACCOUNT', `Unknown demo account "${String(accountId).slice(0, 64)}".`)

export const marketFor = (ctx: EngineCtx, a: AccountRt, symbol: string): MarketRt => {
  const m = ctx.markets.get(symbol)
  if (m === undefined || m.isLinear !== (a.kind === 'futures')) return reject('UNKNOWN_SYMBOL', `Invalid symbol "${String(symbol).slice(0, 40)}".`)
  return m
}

const checkTick = (m: MarketRt, price: Decimal, what: string): void => {
  if (!price.mod(m.tick).isZero()) reject('PRICE_FILTER', `Filter failure: PRICE_FILTER (${what} ${str(price)} is not a multiple of the tick size ${str(m.tick)}).`)
}

const checkAmount = (m: MarketRt, amount: Decimal): void => {
  if (!amount.mod(m.lot).isZero()) reject('LOT_SIZE', `Filter failure: LOT_SIZE (amount ${str(amount)} is not a multiple of the step size ${str(m.lot)}).`)
  if (amount.lt(m.minAmount)) reject('MIN_AMOUNT', `Filter failure: LOT_SIZE (amount ${str(amount)} is below the minimum ${str(m.minAmount)}).`)
}

const checkNotional = (a: AccountRt, m: MarketRt, notional: Decimal, reduceOnly: boolean): void => {
  if (!notional.lt(m.minNotional)) return
  if (a.kind === 'spot') reject('MIN_NOTIONAL', `Filter failure: NOTIONAL (order value ${str(notional)} ${m.quote} is below the minimum ${str(m.minNotional)}).`)
  // Futures exempt reduce-only orders, as Binance USDⓈ-M does.
  if (!reduceOnly) reject('MIN_NOTIONAL', `Order's notional must be no smaller than ${str(m.minNotional)} (unless you choose reduce only).`)
}

const wouldTake = (ctx: EngineCtx, m: MarketRt, isBuy: boolean, priceKey: number): boolean => {
  const book = bookOf(ctx, m)
  return book !== null && (isBuy ? priceKey >= book.askKey : priceKey <= book.bidKey)
}

const postOnlyMessage = (a: AccountRt) =>
  a.kind === 'spot' ? 'Order would immediately match and take.' : 'Due to the order could not be executed as maker, the Post Only order will be rejected.'

/**
 * Notional for the bracket check: the position on this side at mark, plus open orders on this side (their
 * held margin × leverage), plus `extra`.
 */
const exposureAfter = (a: FuturesAccountRt, m: MarketRt, positionSide: PositionSide, isBuy: boolean, leverage: number, extra: Decimal, except: OrderRec | null): Decimal => {
  const p = positionOf(a, m, positionSide)
  const held = orderMarginOf(a, m.symbol, positionSide, isBuy ? 'buy' : 'sell').minus(except?.reserved ?? ZERO)
  const n = p !== undefined && p.side === (isBuy ? 1 : -1) ? p.size.mul(markDec(m)) : ZERO
  return n.plus(held.mul(leverage)).plus(extra)
}

type FuturesTerms = { positionSide: PositionSide; margin: Decimal }

/** Reduce-only, bracket and margin checks for a futures order of `amount` at `price`. */
const futuresTerms = (
  ctx: EngineCtx,
  a: FuturesAccountRt,
  m: MarketRt,
  o: { isBuy: boolean; reduceOnly: boolean; positionSide?: 'long' | 'short' | undefined; amount: Decimal; price: Decimal },
  except: OrderRec | null,
): FuturesTerms => {
  let positionSide: PositionSide = 'both'
  if (a.hedged) positionSide = o.positionSide ?? reject('POSITION_SIDE_MISMATCH', "Order's position side does not match user's setting.")
  else if (o.positionSide !== undefined) reject('POSITION_SIDE_MISMATCH', "Order's position side does not match user's setting.")
  const closing = a.hedged ? (positionSide === 'long') !== o.isBuy : o.reduceOnly
  if (a.hedged && o.reduceOnly && !closing) reject('REDUCE_ONLY_WOULD_INCREASE', 'ReduceOnly Order is rejected.')
  const closable = closableBy(a, m, o.isBuy, positionSide)
  if (closing && (closable.isZero() || o.amount.gt(closable))) reject('REDUCE_ONLY_WOULD_INCREASE', 'ReduceOnly Order is rejected.')
  const openQty = closing ? ZERO : a.hedged ? o.amount : Decimal.max(ZERO, o.amount.minus(closable))
  const { leverage } = settingsOf(ctx, a, m)
  let margin = ZERO
  if (openQty.gt(0)) {
    const tier = tierFor(m, exposureAfter(a, m, positionSide, o.isBuy, leverage, openQty.mul(o.price), except))
    if (tier === undefined || tier.maxLeverage < leverage) reject('LEVERAGE_OVER_LIMIT', 'Exceeded the maximum allowable position at current leverage.')
    margin = money(openQty.mul(o.price).div(leverage), Decimal.ROUND_UP)
    const held = except === null ? ZERO : except.reserved
    if (!hasAvailable(ctx, a, margin.minus(held))) reject('INSUFFICIENT_FUNDS', 'Margin is insufficient.')
  }
  return { positionSide, margin }
}

export const placeOrder = (ctx: EngineCtx, input: PlaceOrderInput): OrderRec => {
  const a = accountOf(ctx, input.accountId)
  const m = marketFor(ctx, a, input.symbol)
  const { type, side } = input
  if (!orderTypes.includes(type)) reject('BAD_INPUT', `type must be one of ${orderTypes.join(', ')}`)
  if (side !== 'buy' && side !== 'sell') reject('BAD_INPUT', 'side must be buy or sell')
  const isBuy = side === 'buy'
  const timeInForce = input.timeInForce ?? 'GTC'
  if (!timesInForce.includes(timeInForce)) reject('BAD_INPUT', 'timeInForce must be GTC, IOC or FOK')
  const postOnly = input.postOnly === true
  const reduceOnly = input.reduceOnly === true
  const amount = positiveDecimal(input.amount, 'amount')
  const hasLimit = type === 'limit' || type === 'stop_limit'
  const hasStop = type === 'stop_market' || type === 'stop_limit'
  if (hasLimit !== (input.price !== undefined)) reject('INVALID_ORDER', hasLimit ? `A ${type} order needs a price.` : `A ${type} order takes no price.`)
  if (hasStop !== (input.stopPrice !== undefined)) reject('INVALID_ORDER', hasStop ? `A ${type} order needs a stopPrice.` : `A ${type} order takes no stopPrice.`)
  const price = hasLimit ? positiveDecimal(input.price, 'price') : null
  const stopPrice = hasStop ? positiveDecimal(input.stopPrice, 'stopPrice') : null
  if (postOnly && (type !== 'limit' || timeInForce !== 'GTC')) reject('INVALID_ORDER', 'Post-only applies to GTC limit orders only.')
  const clientOrderId = input.clientOrderId ?? null
  if (clientOrderId !== null) {
    if (typeof clientOrderId !== 'string' || !clientOrderIdPattern.test(clientOrderId)) reject('BAD_INPUT', 'clientOrderId must be 1-36 letters, digits or ._:-')
    if (ctx.clientIds.has(`${a.id}\n${clientOrderId}`)) reject('DUPLICATE_CLIENT_ORDER_ID', 'Duplicate order sent.')
  }
  if (price !== null) checkTick(m, price, 'price')
  if (stopPrice !== null) checkTick(m, stopPrice, 'stopPrice')
  checkAmount(m, amount)
  if (type !== 'limit' && m.lastPrice === null) reject('NO_PRICE', `No price for ${m.symbol} yet: market and stop orders wait for the first trade.`)
  const stopKey = stopPrice === null ? 0 : keyOf(m, stopPrice)
  if (stopPrice !== null && stopKey === m.lastKey) reject('WOULD_TRIGGER_IMMEDIATELY', 'Order would immediately trigger.')
  const refPrice = price ?? stopPrice ?? lastDec(m)
  checkNotional(a, m, amount.mul(refPrice), reduceOnly)
  const priceKey = price === null ? 0 : keyOf(m, price)
  if (postOnly && wouldTake(ctx, m, isBuy, priceKey)) reject('POST_ONLY_WOULD_TAKE', postOnlyMessage(a))

  let positionSide: PositionSide = 'both'
  let reservePrice: Decimal | null = null
  let reserved: Decimal
  if (a.kind === 'spot') {
    if (reduceOnly) reject('NOT_SUPPORTED', 'reduceOnly is not supported for spot orders.')
    if (input.positionSide !== undefined) reject('INVALID_ORDER', 'positionSide applies to futures orders only.')
    if (isBuy) reservePrice = price ?? priceOfKey(m, protectionKeyFor(m, true, stopPrice === null ? m.lastKey : stopKey))
    const r = spotReservation({ isBuy, amount, reservePrice, market: m })
    if (spotFree(a, r.asset).lt(r.amount)) reject('INSUFFICIENT_FUNDS', 'Account has insufficient balance for requested action.')
    reserved = r.amount
  } else {
    const terms = futuresTerms(ctx, a, m, { isBuy, reduceOnly, positionSide: input.positionSide, amount, price: refPrice }, null)
    positionSide = terms.positionSide
    reserved = terms.margin
  }

  // Accepted: from here on the order exists.
  const num = ++ctx.counters.order
  const o: OrderRec = {
    id: String(num),
    num,
    clientOrderId,
    account: a,
    market: m,
    type,
    side,
    isBuy,
    timeInForce,
    postOnly,
    reduceOnly,
    positionSide,
    amount,
    price,
    priceKey,
    stopPrice,
    stopKey,
    triggerDirection: stopPrice === null ? null : stopKey > m.lastKey ? 'rise' : 'fall',
    triggeredAt: null,
    status: 'open',
    statusReason: null,
    filled: ZERO,
    cost: ZERO,
    fee: ZERO,
    feeCurrency: a.kind === 'futures' ? a.asset : isBuy ? m.base : m.quote,
    reserved,
    reservePrice,
    protectionKey: type === 'market' ? protectionKeyFor(m, isBuy, m.lastKey) : 0,
    queueAhead: ZERO,
    rank: 0,
    where: 'none',
    activeAt: -1,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  }
  if (o.protectionKey > 0 && reservePrice !== null) o.protectionKey = Math.min(o.protectionKey, keyOf(m, reservePrice))
  ctx.orders.set(o.id, o)
  a.orders.set(o.id, o)
  if (clientOrderId !== null) ctx.clientIds.set(`${a.id}\n${clientOrderId}`, o)
  if (o.triggerDirection !== null) {
    o.rank = ++ctx.counters.rank
    o.where = 'stop'
    ;(o.triggerDirection === 'rise' ? m.riseStops : m.fallStops).add(stopKey, o)
  }
  emitOrder(ctx, o)
  if (a.kind === 'spot') {
    const asset = isBuy ? m.quote : m.base
    const b = spotBalance(a, asset)
    b.used = b.used.plus(reserved)
    emitBalance(ctx, a, asset)
  } else addOrderMargin(a, o, reserved)
  if (o.triggerDirection === null) activate(ctx, o)
  if (a.kind === 'futures') checkAccount(ctx, a, m)
  return o
}

export type AmendInput = { accountId: string; id: string; amount?: string; price?: string }

/** A resting limit order's new price and/or amount; priority is kept only for a same-price decrease. */
export const amendOrder = (ctx: EngineCtx, input: AmendInput): OrderRec => {
  const a = accountOf(ctx, input.accountId)
  const o = a.orders.get(String(input.id)) ?? reject('ORDER_NOT_FOUND', 'Unknown order sent.')
  if (o.type !== 'limit' || o.where !== 'book') reject('INVALID_ORDER', 'Only resting limit orders can be amended.')
  const m = o.market
  const amount = input.amount === undefined ? o.amount : positiveDecimal(input.amount, 'amount')
  const price = input.price === undefined ? (o.price as Decimal) : positiveDecimal(input.price, 'price')
  checkTick(m, price, 'price')
  checkAmount(m, amount)
  if (!amount.gt(o.filled)) reject('INVALID_ORDER', `The new amount must exceed the ${str(o.filled)} already filled.`)
  checkNotional(a, m, amount.mul(price), o.reduceOnly)
  const priceKey = keyOf(m, price)
  if (o.postOnly && wouldTake(ctx, m, o.isBuy, priceKey)) reject('POST_ONLY_WOULD_TAKE', postOnlyMessage(a))
  const rest = amount.minus(o.filled)
  let reserved: Decimal
  if (a.kind === 'spot') {
    reserved = o.isBuy ? rest.mul(price) : rest
    const asset = o.isBuy ? m.quote : m.base
    if (spotFree(a, asset).lt(reserved.minus(o.reserved))) reject('INSUFFICIENT_FUNDS', 'Account has insufficient balance for requested action.')
  } else {
    const side = o.positionSide === 'both' ? undefined : o.positionSide
    reserved = futuresTerms(ctx, a, m, { isBuy: o.isBuy, reduceOnly: o.reduceOnly, positionSide: side, amount: rest, price }, o).margin
  }

  const keepsPriority = price.eq(o.price as Decimal) && !amount.gt(o.amount)
  const extra = reserved.minus(o.reserved)
  detach(o)
  o.amount = amount
  o.price = price
  o.priceKey = priceKey
  if (o.reservePrice !== null) o.reservePrice = price
  o.reserved = reserved
  o.updatedAt = ctx.now
  if (a.kind === 'spot') {
    const asset = o.isBuy ? m.quote : m.base
    const b = spotBalance(a, asset)
    b.used = b.used.plus(extra)
    emitBalance(ctx, a, asset)
  } else addOrderMargin(a, o, extra)
  if (keepsPriority) {
    o.where = 'book'
    ;(o.isBuy ? m.buys : m.sells).add(priceKey, o)
    emitOrder(ctx, o)
  } else activate(ctx, o)
  if (a.kind === 'futures') checkAccount(ctx, a, m)
  return o
}
