import type { Decimal } from '../../lib/decimal.js'
import { emitBalance, spotBalance, ZERO, type EngineCtx, type OrderRec, type SpotAccountRt } from './engine-state.js'

/**
 * Spot balances. Invariants: 0 ≤ used ≤ total for every asset; `used` is exactly the sum of the open
 * orders' `reserved`; a buy never spends more than its reservation (fills never exceed `reservePrice`).
 * Fees are taken from what the fill delivers (base on a buy, quote on a sell), as Binance does by default.
 */

/** What an order must hold: quote `amount × reservePrice` for a buy, the base amount for a sell. */
export const spotReservation = (o: { isBuy: boolean; amount: Decimal; reservePrice: Decimal | null; market: { base: string; quote: string } }) =>
  o.isBuy ? { asset: o.market.quote, amount: o.amount.mul(o.reservePrice as Decimal) } : { asset: o.market.base, amount: o.amount }

/** Read-only: validation must not even create an empty balance entry. */
export const spotFree = (a: SpotAccountRt, asset: string): Decimal => {
  const b = a.balances.get(asset)
  return b === undefined ? ZERO : b.total.minus(b.used)
}

export const spotHold = (ctx: EngineCtx, a: SpotAccountRt, o: OrderRec): void => {
  const r = spotReservation(o)
  o.reserved = r.amount
  const b = spotBalance(a, r.asset)
  b.used = b.used.plus(r.amount)
  emitBalance(ctx, a, r.asset)
}

/** Gives back what an ending order still holds. */
export const spotRelease = (ctx: EngineCtx, a: SpotAccountRt, o: OrderRec): void => {
  if (o.reserved.isZero()) return
  const asset = o.isBuy ? o.market.quote : o.market.base
  const b = spotBalance(a, asset)
  b.used = b.used.minus(o.reserved)
  o.reserved = o.reserved.minus(o.reserved)
  emitBalance(ctx, a, asset)
}

/** Books one fill; returns the fee (in the currency the fill delivers). */
export const spotFill = (ctx: EngineCtx, a: SpotAccountRt, o: OrderRec, qty: Decimal, price: Decimal, isMaker: boolean): Decimal => {
  const { base, quote } = o.market
  const rate = isMaker ? a.makerFee : a.takerFee
  const cost = qty.mul(price)
  const q = spotBalance(a, quote)
  const b = spotBalance(a, base)
  let fee: Decimal
  if (o.isBuy) {
    fee = qty.mul(rate)
    const held = qty.mul(o.reservePrice as Decimal)
    q.total = q.total.minus(cost)
    q.used = q.used.minus(held)
    o.reserved = o.reserved.minus(held)
    b.total = b.total.plus(qty).minus(fee)
  } else {
    fee = cost.mul(rate)
    b.total = b.total.minus(qty)
    b.used = b.used.minus(qty)
    o.reserved = o.reserved.minus(qty)
    q.total = q.total.plus(cost).minus(fee)
  }
  emitBalance(ctx, a, quote)
  emitBalance(ctx, a, base)
  return fee
}
