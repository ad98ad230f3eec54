import { Decimal } from '../../lib/decimal.js'
import {
  emitPosition,
  emitWallet,
  keyCeil,
  keyFloor,
  markDec,
  money,
  quantizePrice,
  ZERO,
  type EngineCtx,
  type FuturesAccountRt,
  type MarketRt,
  type OrderRec,
  type PosRec,
  type Tier,
} from './engine-state.js'
import type { DemoSymbolSettings, PositionSide } from './engine-types.js'

/**
 * USDT-margined linear perpetuals. The wallet balance includes isolated margins; the cross wallet is
 * wallet − Σ isolated margin. Equity of a margin group (one isolated position, or all cross positions
 * of an account) is its wallet + unrealized PnL at mark; it is liquidated when equity ≤ maintenance
 * margin (Σ notional × MMR − maintenance amount, by bracket). Solving that for the mark gives
 * Binance's published liquidation-price formula, which is what `isolatedLiquidationPrice` and
 * `crossLiquidationPrice` return.
 */

export const settingsOf = (ctx: EngineCtx, a: FuturesAccountRt, m: MarketRt): DemoSymbolSettings =>
  a.settings.get(m.symbol) ?? { leverage: Math.min(ctx.defaults.leverage, m.maxLeverage), marginMode: ctx.defaults.marginMode }
const leverageOf = (a: FuturesAccountRt, m: MarketRt): number => a.settings.get(m.symbol)?.leverage ?? Math.min(a.defaultLeverage, m.maxLeverage)

const marginKey = (o: OrderRec): string => `${o.market.symbol}|${o.positionSide}|${o.side}`

/** Every change of an order's held margin goes through here, so the totals stay exact. */
export const addOrderMargin = (a: FuturesAccountRt, o: OrderRec, delta: Decimal): void => {
  if (delta.isZero()) return
  const key = marginKey(o)
  const next = (a.orderMarginBy.get(key) ?? ZERO).plus(delta)
  if (next.isZero()) a.orderMarginBy.delete(key)
  else a.orderMarginBy.set(key, next)
  a.orderMargin = a.orderMargin.plus(delta)
  a.orderMarginF = a.orderMargin.toNumber()
}

export const orderMarginOf = (a: FuturesAccountRt, symbol: string, positionSide: PositionSide, side: 'buy' | 'sell'): Decimal => a.orderMarginBy.get(`${symbol}|${positionSide}|${side}`) ?? ZERO

/** The bracket a notional falls in (floor ≤ n < cap); undefined beyond the last bracket. */
export const tierFor = (m: MarketRt, notional: Decimal): Tier | undefined => m.tiers.find((t) => notional.lt(t.cap))
const tierAt = (m: MarketRt, notional: Decimal): Tier => tierFor(m, notional) ?? (m.tiers[m.tiers.length - 1] as Tier)
const tierAtF = (m: MarketRt, notional: number): Tier => {
  for (const t of m.tiers) if (notional < t.capF) return t
  return m.tiers[m.tiers.length - 1] as Tier
}

export const positionSides = (a: FuturesAccountRt): PositionSide[] => (a.hedged ? ['long', 'short'] : ['both'])
export const positionOf = (a: FuturesAccountRt, m: MarketRt, side: PositionSide): PosRec | undefined => a.positions.get(`${m.symbol}|${side}`)

export const ensurePosition = (ctx: EngineCtx, a: FuturesAccountRt, m: MarketRt, positionSide: PositionSide): PosRec => {
  const existing = positionOf(a, m, positionSide)
  if (existing !== undefined) return existing
  const pos: PosRec = {
    account: a,
    market: m,
    positionSide,
    key: `${a.id}|${m.symbol}|${positionSide}`,
    side: 0,
    size: ZERO,
    entry: ZERO,
    isoMargin: ZERO,
    isIsolated: settingsOf(ctx, a, m).marginMode === 'isolated',
    realizedPnl: ZERO,
    openedAt: ctx.now,
    updatedAt: ctx.now,
    sizeF: 0,
    entryF: 0,
    liqKey: 0,
    liqIndex: null,
  }
  a.positions.set(`${m.symbol}|${positionSide}`, pos)
  m.positions.add(pos)
  return pos
}

export const maintenanceMargin = (m: MarketRt, notional: Decimal): Decimal => {
  const t = tierAt(m, notional)
  return notional.mul(t.mmr).minus(t.cum)
}

export const unrealizedPnl = (p: PosRec, mark: Decimal): Decimal => (p.side === 0 ? ZERO : p.size.mul(mark.minus(p.entry)).mul(p.side))

/**
 * `LP = (WB + cum − s·Q·EP) / (Q·MMR − s·Q)`, with the bracket taken at the liquidation notional
 * (searched from the entry notional, so the result depends on the position alone).
 */
export const isolatedLiquidationPrice = (p: PosRec): Decimal | null => {
  if (p.side === 0) return null
  const m = p.market
  const s = p.side
  let tier = tierAt(m, p.size.mul(p.entry))
  for (let i = 0; i <= m.tiers.length; i++) {
    const lp = p.isoMargin.plus(tier.cum).minus(p.size.mul(p.entry).mul(s)).div(p.size.mul(tier.mmr).minus(p.size.mul(s)))
    if (!lp.gt(0)) return null
    const next = tierAt(m, p.size.mul(lp))
    if (next === tier) return quantizePrice(m, lp)
    tier = next
  }
  return null
}

const crossPositions = (a: FuturesAccountRt): PosRec[] => [...a.positions.values()].filter((p) => !p.isIsolated && p.side !== 0)

/**
 * Cross: `LP = (WB − TMM₁ + UPNL₁ + Σcum − Σ s·Q·EP) / (Σ Q·MMR − Σ s·Q)` over the positions of this
 * symbol, where WB is the cross wallet and TMM₁/UPNL₁ are the other symbols' maintenance margin and
 * unrealized PnL at their marks.
 */
export const crossLiquidationPrice = (a: FuturesAccountRt, m: MarketRt): Decimal | null => {
  const mine = crossPositions(a).filter((p) => p.market === m)
  if (mine.length === 0) return null
  let others = a.wallet.minus(a.isoSum)
  for (const p of crossPositions(a)) {
    if (p.market === m) continue
    const mark = markDec(p.market)
    others = others.plus(unrealizedPnl(p, mark)).minus(maintenanceMargin(p.market, p.size.mul(mark)))
  }
  let tiers = mine.map((p) => tierAt(m, p.size.mul(markDec(m))))
  for (let i = 0; i <= m.tiers.length; i++) {
    let num = others
    let den = ZERO
    mine.forEach((p, j) => {
      const t = tiers[j] as Tier
      num = num.plus(t.cum).minus(p.size.mul(p.entry).mul(p.side))
      den = den.plus(p.size.mul(t.mmr)).minus(p.size.mul(p.side))
    })
    if (den.isZero()) return null
    const lp = num.div(den)
    if (!lp.gt(0)) return null
    const next = mine.map((p) => tierAt(m, p.size.mul(lp)))
    if (next.every((t, j) => t === tiers[j])) return quantizePrice(m, lp)
    tiers = next
  }
  return null
}

/** Exact cross equity minus maintenance margin; null without cross positions. */
export const crossMarginExcess = (a: FuturesAccountRt): Decimal | null => {
  const ps = crossPositions(a)
  if (ps.length === 0) return null
  let x = a.wallet.minus(a.isoSum)
  for (const p of ps) {
    const mark = markDec(p.market)
    x = x.plus(unrealizedPnl(p, mark)).minus(maintenanceMargin(p.market, p.size.mul(mark)))
  }
  return x
}

/**
 * Whether `available ≥ need`. The float mirror decides when it is clear by far more than its rounding
 * error; only a near tie runs the exact decimal sum, so the answer is always the exact one.
 */
export const hasAvailable = (ctx: EngineCtx, a: FuturesAccountRt, need: Decimal): boolean => {
  let avail = a.crossWalletF - a.orderMarginF
  let scale = Math.abs(a.crossWalletF) + a.orderMarginF
  for (const t of a.crossTerms.values()) {
    avail += t.u
    scale += t.n
  }
  const needF = need.toNumber()
  const tol = 1e-9 * (scale + Math.abs(needF)) + 1e-9
  if (avail - needF > tol) return true
  if (avail - needF < -tol) return false
  return !availableMargin(ctx, a).lt(need)
}

/** Cross wallet + cross unrealized PnL − cross initial margin − order margin: what a new order may use. */
export const availableMargin = (ctx: EngineCtx, a: FuturesAccountRt): Decimal => {
  let x = a.wallet.minus(a.isoSum).minus(a.orderMargin)
  for (const p of crossPositions(a)) {
    const mark = markDec(p.market)
    x = x.plus(unrealizedPnl(p, mark)).minus(p.size.mul(mark).div(settingsOf(ctx, a, p.market).leverage))
  }
  return x
}

/** The cross-check's float term for one market: Σ (uPnL − MM) and Σ notional at the current mark. */
export const refreshCrossTerm = (a: FuturesAccountRt, m: MarketRt): void => {
  const term = a.crossTerms.get(m)
  if (term === undefined) return
  const markF = m.markKey / m.keyScale
  const lev = leverageOf(a, m)
  let t = 0
  let u = 0
  let n = 0
  for (const p of term.positions) {
    const notional = p.sizeF * markF
    const tier = tierAtF(m, notional)
    const upnl = p.side * p.sizeF * (markF - p.entryF)
    t += upnl - (notional * tier.mmrF - tier.cumF)
    u += upnl - notional / lev
    n += notional
  }
  term.t = t
  term.u = u
  term.n = n
}

export const syncCrossWallet = (a: FuturesAccountRt): void => {
  a.crossWalletF = a.wallet.minus(a.isoSum).toNumber()
}

/** Re-indexes a position after any change; drops it once closed. */
export const afterPositionChange = (p: PosRec): void => {
  const a = p.account
  const m = p.market
  if (p.liqIndex === 'long') m.liqLong.remove(p.liqKey, p)
  else if (p.liqIndex === 'short') m.liqShort.remove(p.liqKey, p)
  p.liqIndex = null
  p.sizeF = p.size.toNumber()
  p.entryF = p.entry.toNumber()
  if (p.side === 0) {
    a.positions.delete(`${m.symbol}|${p.positionSide}`)
    m.positions.delete(p)
  }
  const crossHere = positionSides(a).flatMap((side) => positionOf(a, m, side) ?? []).filter((q) => !q.isIsolated && q.side !== 0)
  if (crossHere.length === 0) {
    a.crossTerms.delete(m)
    m.crossHolders.delete(a)
  } else {
    a.crossTerms.set(m, { t: 0, u: 0, n: 0, positions: crossHere })
    m.crossHolders.add(a)
    refreshCrossTerm(a, m)
  }
  if (p.side !== 0 && p.isIsolated) {
    const lp = isolatedLiquidationPrice(p)
    if (lp !== null) {
      p.liqIndex = p.side === 1 ? 'long' : 'short'
      p.liqKey = p.side === 1 ? keyFloor(m, lp) : keyCeil(m, lp)
      ;(p.side === 1 ? m.liqLong : m.liqShort).add(p.liqKey, p)
    }
  }
  syncCrossWallet(a)
}

/** How much of the position an order on `o`'s side and position side could close. */
export const closableBy = (a: FuturesAccountRt, m: MarketRt, isBuy: boolean, positionSide: PositionSide): Decimal => {
  const p = positionOf(a, m, positionSide)
  if (p === undefined || p.side === 0) return ZERO
  return p.side === (isBuy ? -1 : 1) ? p.size : ZERO
}

/** Books one fill on the position; returns the fee and the PnL realized by its closing part. */
export const futuresFill = (ctx: EngineCtx, a: FuturesAccountRt, o: OrderRec, qty: Decimal, price: Decimal, isMaker: boolean): { fee: Decimal; realizedPnl: Decimal } => {
  const m = o.market
  const lev = settingsOf(ctx, a, m).leverage
  const dir = o.isBuy ? 1 : -1
  const rest = o.amount.minus(o.filled)
  // Order margin is released in proportion to the filled share of what was left.
  const release = qty.eq(rest) ? o.reserved : money(o.reserved.mul(qty).div(rest), Decimal.ROUND_DOWN)
  o.reserved = o.reserved.minus(release)
  addOrderMargin(a, o, release.neg())
  let pos = ensurePosition(ctx, a, m, o.positionSide)
  let realized = ZERO
  let open = qty
  if (pos.side !== 0 && pos.side !== dir) {
    const close = Decimal.min(qty, pos.size)
    realized = close.mul(price.minus(pos.entry)).mul(pos.side)
    if (pos.isIsolated) {
      const freed = close.eq(pos.size) ? pos.isoMargin : money(pos.isoMargin.mul(close).div(pos.size))
      pos.isoMargin = pos.isoMargin.minus(freed)
      a.isoSum = a.isoSum.minus(freed)
    }
    pos.size = pos.size.minus(close)
    pos.realizedPnl = pos.realizedPnl.plus(realized)
    pos.updatedAt = ctx.now
    a.wallet = a.wallet.plus(realized)
    open = qty.minus(close)
    if (pos.size.isZero()) {
      pos.side = 0
      pos.entry = ZERO
      emitPosition(ctx, pos)
      afterPositionChange(pos)
      if (open.gt(0)) pos = ensurePosition(ctx, a, m, o.positionSide)
    }
  }
  if (open.gt(0)) {
    pos.entry = pos.size.isZero() ? price : quantizePrice(m, pos.size.mul(pos.entry).plus(open.mul(price)).div(pos.size.plus(open)))
    pos.size = pos.size.plus(open)
    pos.side = dir
    pos.updatedAt = ctx.now
    if (pos.isIsolated) {
      const im = money(open.mul(price).div(lev))
      pos.isoMargin = pos.isoMargin.plus(im)
      a.isoSum = a.isoSum.plus(im)
    }
  }
  const fee = qty.mul(price).mul(isMaker ? a.makerFee : a.takerFee)
  a.wallet = a.wallet.minus(fee)
  emitWallet(ctx, a)
  if (pos.side !== 0) {
    emitPosition(ctx, pos)
    afterPositionChange(pos)
  }
  return { fee, realizedPnl: realized }
}
