import { Decimal } from '../../lib/decimal.js'
import { byNum, emit, emitPosition, emitWallet, markDec, str, ZERO, type EngineCtx, type FuturesAccountRt, type MarketRt, type PosRec } from './engine-state.js'
import { afterPositionChange, crossMarginExcess, positionOf, positionSides, refreshCrossTerm, settingsOf } from './futures-ledger.js'
import { finishOrder, isClosing } from './matching.js'

/**
 * Funding and liquidation. Funding is paid at every funding time (multiples of the interval since the
 * epoch) that an update's time passes, at the mark in force then: longs pay `size × mark × rate` to
 * shorts when the rate is positive. Liquidation closes at mark and charges `size × mark × fee rate`;
 * a loss beyond the margin is absorbed (no negative balance), as an insurance fund would.
 */

const byKey = (a: PosRec, b: PosRec): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

export const applyFunding = (ctx: EngineCtx, m: MarketRt): void => {
  while (m.nextFundingTime !== null && ctx.now >= m.nextFundingTime) {
    const fundingTime = m.nextFundingTime
    m.nextFundingTime = fundingTime + m.fundingIntervalMs
    if (m.markPrice === null) continue
    const mark = markDec(m)
    for (const p of [...m.positions].filter((q) => q.side !== 0).sort(byKey)) {
      const a = p.account
      const amount = p.size.mul(mark).mul(m.fundingRate).mul(-p.side)
      a.wallet = a.wallet.plus(amount)
      if (p.isIsolated) {
        p.isoMargin = p.isoMargin.plus(amount)
        a.isoSum = a.isoSum.plus(amount)
      }
      p.updatedAt = ctx.now
      emit(ctx, {
        type: 'funding',
        accountId: a.id,
        symbol: m.symbol,
        positionSide: p.positionSide,
        rate: str(m.fundingRate),
        markPrice: str(mark),
        contracts: str(p.size),
        amount: str(amount),
        fundingTime,
      })
      emitWallet(ctx, a)
      emitPosition(ctx, p)
      afterPositionChange(p)
    }
  }
}

const close = (ctx: EngineCtx, p: PosRec, pnl: Decimal): void => {
  p.realizedPnl = p.realizedPnl.plus(pnl)
  p.size = ZERO
  p.side = 0
  p.entry = ZERO
  p.isoMargin = ZERO
  p.updatedAt = ctx.now
}

const liquidationEvent = (ctx: EngineCtx, p: PosRec, pnl: Decimal, fee: Decimal, covered: Decimal): void =>
  emit(ctx, {
    type: 'liquidation',
    id: String(++ctx.counters.fill),
    accountId: p.account.id,
    symbol: p.market.symbol,
    positionSide: p.positionSide,
    marginMode: p.isIsolated ? 'isolated' : 'cross',
    side: p.side === 1 ? 'long' : 'short',
    contracts: str(p.size),
    markPrice: str(markDec(p.market)),
    realizedPnl: str(pnl),
    fee: str(fee),
    lossCovered: str(covered),
  })

export const liquidateIsolated = (ctx: EngineCtx, p: PosRec): void => {
  const a = p.account
  const m = p.market
  // Orders that could only reduce this position have nothing left to reduce.
  for (const o of [...a.orders.values()].sort(byNum)) {
    if (o.market === m && o.positionSide === p.positionSide && (o.reduceOnly || isClosing(o))) finishOrder(ctx, o, 'canceled', 'liquidation')
  }
  const mark = markDec(m)
  const pnl = p.size.mul(mark.minus(p.entry)).mul(p.side)
  const fee = p.size.mul(mark).mul(m.liqFeeRate)
  const net = p.isoMargin.plus(pnl).minus(fee)
  const covered = net.isNegative() ? net.neg() : ZERO
  liquidationEvent(ctx, p, pnl, fee, covered)
  a.wallet = a.wallet.plus(pnl).minus(fee).plus(covered)
  a.isoSum = a.isoSum.minus(p.isoMargin)
  close(ctx, p, pnl)
  emitWallet(ctx, a)
  emitPosition(ctx, p)
  afterPositionChange(p)
}

export const liquidateCross = (ctx: EngineCtx, a: FuturesAccountRt): void => {
  for (const o of [...a.orders.values()].sort(byNum)) {
    if (settingsOf(ctx, a, o.market).marginMode === 'cross') finishOrder(ctx, o, 'canceled', 'liquidation')
  }
  const ps = [...a.positions.values()].filter((p) => !p.isIsolated && p.side !== 0).sort(byKey)
  const parts = ps.map((p) => {
    const mark = markDec(p.market)
    return { p, pnl: p.size.mul(mark.minus(p.entry)).mul(p.side), fee: p.size.mul(mark).mul(p.market.liqFeeRate) }
  })
  const net = parts.reduce((x, r) => x.plus(r.pnl).minus(r.fee), ZERO)
  const after = a.wallet.minus(a.isoSum).plus(net)
  const covered = after.isNegative() ? after.neg() : ZERO
  parts.forEach((r, i) => liquidationEvent(ctx, r.p, r.pnl, r.fee, i === parts.length - 1 ? covered : ZERO))
  a.wallet = a.wallet.plus(net).plus(covered)
  for (const r of parts) {
    close(ctx, r.p, r.pnl)
    emitPosition(ctx, r.p)
    afterPositionChange(r.p)
  }
  emitWallet(ctx, a)
}

/** The float pre-check says "maybe"; only then is the exact decimal check run. */
const crossMaybeDue = (a: FuturesAccountRt): boolean => {
  let sum = a.crossWalletF
  let scale = Math.abs(a.crossWalletF)
  for (const t of a.crossTerms.values()) {
    sum += t.t
    scale += t.n
  }
  return sum <= 1e-9 * scale + 1e-9
}

const crossDue = (a: FuturesAccountRt): boolean => {
  if (!crossMaybeDue(a)) return false
  const x = crossMarginExcess(a)
  return x !== null && !x.gt(0)
}

/** After `m`'s mark moved: isolated positions it crossed, then cross accounts holding `m`. */
export const checkMarket = (ctx: EngineCtx, m: MarketRt): void => {
  const mk = m.markKey
  if (m.liqLong.max() >= mk) for (const p of m.liqLong.atOrAbove(mk)) if (p.side !== 0) liquidateIsolated(ctx, p)
  if (m.liqShort.min() <= mk) for (const p of m.liqShort.atOrBelow(mk)) if (p.side !== 0) liquidateIsolated(ctx, p)
  if (m.crossHolders.size === 0) return
  let due: FuturesAccountRt[] | null = null
  for (const a of m.crossHolders) {
    refreshCrossTerm(a, m)
    if (crossDue(a)) (due ??= []).push(a)
  }
  if (due !== null) for (const a of due.sort((x, y) => (x.id < y.id ? -1 : 1))) liquidateCross(ctx, a)
}

/**
 * After a command changed a futures account: anything already past its liquidation point goes now. An
 * order command can only move positions of its own market (`m`); the others are checked as well otherwise.
 */
export const checkAccount = (ctx: EngineCtx, a: FuturesAccountRt, m?: MarketRt): void => {
  const mine = m === undefined ? [...a.positions.values()] : positionSides(a).flatMap((side) => positionOf(a, m, side) ?? [])
  for (const p of mine.sort(byKey)) {
    if (p.side === 0 || p.market.markPrice === null) continue
    const mk = p.market.markKey
    if ((p.liqIndex === 'long' && mk <= p.liqKey) || (p.liqIndex === 'short' && mk >= p.liqKey)) liquidateIsolated(ctx, p)
  }
  if (crossDue(a)) liquidateCross(ctx, a)
}
