import { Decimal } from '../../lib/decimal.js'
import { bookOf, depthWithin, jitterFactor, lotsOf, protectionKeyFor } from './book-model.js'
import {
  emit,
  emitOrder,
  keyOf,
  priceOfKey,
  remaining,
  str,
  ZERO,
  type Book,
  type EngineCtx,
  type MarketRt,
  type OrderRec,
} from './engine-state.js'
import { addOrderMargin, closableBy, futuresFill } from './futures-ledger.js'
import { draw, streams } from './prng.js'
import { spotFill, spotRelease } from './spot-ledger.js'

/**
 * Order activation and fills against the reference market:
 * - takers (market orders, marketable limits) walk the modelled book, one fill per level; what the
 *   visible book cannot fill waits for the next update (market orders never beyond their protection
 *   price; limit orders keep taking while still marketable, then rest);
 * - resting limits fill as makers at their own price when a trade goes through it (up to the larger of
 *   the trade and one modelled level), or, when a trade prints exactly at it, once the volume that was
 *   queued ahead of them has traded;
 * - stops fire when the last price reaches them from the side they were placed on.
 */

export const detach = (o: OrderRec): void => {
  const m = o.market
  if (o.where === 'book') (o.isBuy ? m.buys : m.sells).remove(o.priceKey, o)
  else if (o.where === 'stop') (o.triggerDirection === 'rise' ? m.riseStops : m.fallStops).remove(o.stopKey, o)
  else if (o.where === 'working') m.working.splice(m.working.indexOf(o), 1)
  o.where = 'none'
}

/** Ends an order: leaves every index, gives back what it held, emits its final state. */
export const finishOrder = (ctx: EngineCtx, o: OrderRec, status: 'closed' | 'canceled' | 'expired', reason: string | null): void => {
  detach(o)
  const a = o.account
  if (a.kind === 'spot') spotRelease(ctx, a, o)
  else {
    addOrderMargin(a, o, o.reserved.neg())
    o.reserved = ZERO
  }
  o.status = status
  o.statusReason = reason
  o.updatedAt = ctx.now
  ctx.orders.delete(o.id)
  a.orders.delete(o.id)
  if (o.clientOrderId !== null) ctx.clientIds.delete(`${a.id}\n${o.clientOrderId}`)
  emitOrder(ctx, o)
}

/** True for a hedge-mode order that closes its position (sell long, buy short). */
export const isClosing = (o: { account: OrderRec['account']; positionSide: OrderRec['positionSide']; isBuy: boolean }): boolean =>
  o.account.kind === 'futures' && o.account.hedged && (o.positionSide === 'long') !== o.isBuy

/** Caps a fill of a reducing order to what the position still has; expires the order when nothing is left. */
const capReducing = (ctx: EngineCtx, o: OrderRec, qty: Decimal): Decimal => {
  const a = o.account
  if (a.kind !== 'futures' || !(o.reduceOnly || isClosing(o))) return qty
  const closable = closableBy(a, o.market, o.isBuy, o.positionSide)
  if (closable.isZero()) {
    finishOrder(ctx, o, 'expired', 'reduce_only')
    return ZERO
  }
  return Decimal.min(qty, closable)
}

const fill = (ctx: EngineCtx, o: OrderRec, qty: Decimal, price: Decimal, isMaker: boolean): void => {
  const a = o.account
  let fee: Decimal
  let realizedPnl: string | null = null
  if (a.kind === 'spot') fee = spotFill(ctx, a, o, qty, price, isMaker)
  else {
    const r = futuresFill(ctx, a, o, qty, price, isMaker)
    fee = r.fee
    realizedPnl = str(r.realizedPnl)
  }
  const cost = qty.mul(price)
  o.filled = o.filled.plus(qty)
  o.cost = o.cost.plus(cost)
  o.fee = o.fee.plus(fee)
  o.updatedAt = ctx.now
  emit(ctx, {
    type: 'fill',
    fill: {
      id: String(++ctx.counters.fill),
      orderId: o.id,
      clientOrderId: o.clientOrderId,
      accountId: a.id,
      symbol: o.market.symbol,
      side: o.side,
      positionSide: o.positionSide,
      amount: str(qty),
      price: str(price),
      cost: str(cost),
      fee: str(fee),
      feeCurrency: o.feeCurrency,
      liquidity: isMaker ? 'maker' : 'taker',
      realizedPnl,
      time: ctx.now,
    },
  })
  if (o.filled.eq(o.amount)) finishOrder(ctx, o, 'closed', null)
}

const takerLimitKey = (o: OrderRec): number => {
  const limit = o.price === null ? (o.isBuy ? Infinity : -Infinity) : o.priceKey
  if (o.protectionKey === 0) return limit
  return o.isBuy ? Math.min(limit, o.protectionKey) : Math.max(limit, o.protectionKey)
}

/** One pass over the visible book. `within`: some level was inside the limit; `exhausted`: all were. */
const walk = (ctx: EngineCtx, o: OrderRec, book: Book): { within: boolean; exhausted: boolean } => {
  const m = o.market
  const limitKey = takerLimitKey(o)
  let within = false
  o.activeAt = m.updates
  for (let i = 0; i < book.levels; i++) {
    const key = o.isBuy ? book.askKey + i * book.stepKey : book.bidKey - i * book.stepKey
    if (o.isBuy ? key > limitKey : key < limitKey) return { within, exhausted: false }
    within = true
    const qty = capReducing(ctx, o, Decimal.min(remaining(o), book.levelQty))
    if (o.status !== 'open') return { within, exhausted: false }
    fill(ctx, o, qty, priceOfKey(m, key), false)
    if (o.status !== 'open') return { within, exhausted: false }
  }
  return { within, exhausted: true }
}

const isMarketLike = (o: OrderRec): boolean => o.type === 'market' || o.type === 'stop_market'

const rest = (ctx: EngineCtx, o: OrderRec, queueAhead: Decimal): void => {
  detach(o)
  o.queueAhead = queueAhead
  o.rank = ++ctx.counters.rank
  o.where = 'book'
  ;(o.isBuy ? o.market.buys : o.market.sells).add(o.priceKey, o)
}

const work = (ctx: EngineCtx, o: OrderRec): void => {
  if (o.where === 'working') return
  detach(o)
  o.rank = ++ctx.counters.rank
  o.where = 'working'
  o.market.working.push(o)
}

/** Volume modelled as queued ahead of a new resting order: none inside the spread, about one level otherwise. */
const initialQueue = (ctx: EngineCtx, o: OrderRec, book: Book | null): Decimal => {
  if (book === null || (o.isBuy ? o.priceKey > book.bidKey : o.priceKey < book.askKey)) return ZERO
  return lotsOf(o.market, book.levelQty.toNumber() * jitterFactor(o.market, draw(ctx.seedHash, streams.queue, o.num)))
}

/** Starts a new, triggered or amended order: takes what it can now, then rests, works or expires. */
export const activate = (ctx: EngineCtx, o: OrderRec): void => {
  const m = o.market
  const book = bookOf(ctx, m)
  o.activeAt = m.updates
  const marketable = book !== null && (isMarketLike(o) || (o.isBuy ? o.priceKey >= book.askKey : o.priceKey <= book.bidKey))
  if (!marketable || book === null) {
    if (o.timeInForce !== 'GTC') return finishOrder(ctx, o, 'expired', o.timeInForce === 'FOK' ? 'fok' : 'ioc')
    rest(ctx, o, initialQueue(ctx, o, book))
    return emitOrder(ctx, o)
  }
  if (o.timeInForce === 'FOK' && depthWithin(book, o.isBuy, takerLimitKey(o)).lt(remaining(o))) return finishOrder(ctx, o, 'expired', 'fok')
  work(ctx, o)
  const r = walk(ctx, o, book)
  if (o.status !== 'open') return
  if (o.timeInForce !== 'GTC') return finishOrder(ctx, o, 'expired', 'ioc')
  if (isMarketLike(o)) {
    if (!r.within) return finishOrder(ctx, o, 'expired', 'protection')
  } else if (!r.exhausted) rest(ctx, o, ZERO)
  emitOrder(ctx, o)
}

/** A stop whose price was reached becomes the market or limit order it carries. */
const trigger = (ctx: EngineCtx, o: OrderRec): void => {
  const m = o.market
  detach(o)
  o.triggeredAt = ctx.now
  if (o.type === 'stop_market') {
    const band = protectionKeyFor(m, o.isBuy, m.lastKey)
    // A spot buy never spends more than it holds: its reservation price caps the band.
    o.protectionKey = o.reservePrice === null ? band : Math.min(band, keyOf(m, o.reservePrice))
  }
  activate(ctx, o)
}

const floorLots = (m: MarketRt, amount: Decimal): Decimal => amount.div(m.lot).floor().mul(m.lot)

/** A resting order at or through which the reference market just traded. */
const restingFill = (ctx: EngineCtx, o: OrderRec, book: Book, amount: Decimal | null): void => {
  const m = o.market
  let qty: Decimal
  if (o.priceKey !== m.lastKey) {
    const capacity = amount !== null && amount.gt(book.levelQty) ? amount : book.levelQty
    qty = Decimal.min(remaining(o), capacity)
    o.queueAhead = ZERO
  } else {
    if (amount === null || amount.isZero()) return
    const left = o.queueAhead.minus(amount)
    if (!left.isNegative()) {
      o.queueAhead = left
      return emit(ctx, { type: 'queue', accountId: o.account.id, orderId: o.id, queueAhead: str(left) })
    }
    o.queueAhead = ZERO
    qty = Decimal.min(remaining(o), floorLots(m, left.neg()))
    if (qty.isZero()) return emit(ctx, { type: 'queue', accountId: o.account.id, orderId: o.id, queueAhead: '0' })
  }
  qty = capReducing(ctx, o, qty)
  if (o.status !== 'open') return
  fill(ctx, o, qty, o.price as Decimal, true)
  if (o.status === 'open') emitOrder(ctx, o)
}

/** A taker that could not finish on an earlier update. */
const keepTaking = (ctx: EngineCtx, o: OrderRec, book: Book): void => {
  if (!isMarketLike(o) && !(o.isBuy ? o.priceKey >= book.askKey : o.priceKey <= book.bidKey)) {
    rest(ctx, o, ZERO)
    return emitOrder(ctx, o)
  }
  const r = walk(ctx, o, book)
  if (o.status !== 'open') return
  if (isMarketLike(o) && !r.within) return finishOrder(ctx, o, 'expired', 'protection')
  if (!isMarketLike(o) && !r.exhausted) rest(ctx, o, ZERO)
  emitOrder(ctx, o)
}

/** Everything one price update of `m` sets off, in a fixed order: stops, resting makers, working takers. */
export const processUpdate = (ctx: EngineCtx, m: MarketRt, amountText: string | undefined): void => {
  const key = m.lastKey
  if (m.riseStops.min() <= key) for (const o of m.riseStops.atOrBelow(key)) if (o.status === 'open') trigger(ctx, o)
  if (m.fallStops.max() >= key) for (const o of m.fallStops.atOrAbove(key)) if (o.status === 'open') trigger(ctx, o)
  const buysCross = m.buys.max() >= key
  const sellsCross = m.sells.min() <= key
  if (!buysCross && !sellsCross && m.working.length === 0) return
  const book = bookOf(ctx, m) as Book
  const amount = amountText === undefined ? null : new Decimal(amountText)
  const fresh = m.updates
  if (buysCross) for (const o of m.buys.atOrAbove(key)) if (o.status === 'open' && o.where === 'book' && o.activeAt !== fresh) restingFill(ctx, o, book, amount)
  if (sellsCross) for (const o of m.sells.atOrBelow(key)) if (o.status === 'open' && o.where === 'book' && o.activeAt !== fresh) restingFill(ctx, o, book, amount)
  if (m.working.length > 0) for (const o of m.working.slice()) if (o.status === 'open' && o.where === 'working' && o.activeAt !== fresh) keepTaking(ctx, o, book)
}
