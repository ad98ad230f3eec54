import { Decimal } from '../../lib/decimal.js'
import { ceilTickKey, floorTickKey, type Book, type EngineCtx, type MarketRt } from './engine-state.js'
import { draw } from './prng.js'

/**
 * The modelled order book around the last trade: a spread of at least one tick either side and
 * `levels` price levels per side, each holding a share of the recent per-minute traded volume (never
 * less than `minLevelNotional`), jittered ±`jitterPct` per update by the seeded PRNG. Paper orders take from
 * this book but never change the reference market, nor each other's view of it.
 */

/** Adds traded volume to the per-minute ring, clearing the minutes that passed without trades. */
export const addVolume = (m: MarketRt, time: number, amount: number): void => {
  const minute = Math.floor(time / 60_000)
  const ring = m.volumeBuckets
  const w = ring.length
  if (minute > m.volumeMinute) {
    if (m.volumeMinute < 0 || minute - m.volumeMinute >= w) ring.fill(0)
    else for (let t = m.volumeMinute + 1; t <= minute; t++) ring[t % w] = 0
    m.volumeMinute = minute
  }
  // A late update (older minute) counts towards the newest bucket: the window only moves forward.
  const slot = m.volumeMinute % w
  ring[slot] = (ring[slot] as number) + amount
}

export const recentVolumePerMinute = (m: MarketRt): number => {
  let sum = 0
  for (const v of m.volumeBuckets) sum += v
  return sum / m.volumeBuckets.length
}

/** The book at the current update (cached until the next one); null before the first price. */
export const bookOf = (ctx: EngineCtx, m: MarketRt): Book | null => {
  if (m.lastPrice === null) return null
  if (m.bookCache !== null) return m.bookCache
  const p = m.lastKey
  const b = m.book
  const halfKey = Math.max(m.tickKey / 2, (p * b.halfSpreadBps) / 10_000)
  const askKey = ceilTickKey(m, p + halfKey)
  const bidKey = Math.max(m.tickKey, floorTickKey(m, p - halfKey))
  const stepKey = Math.max(m.tickKey, ceilTickKey(m, (p * b.levelBps) / 10_000))
  const priceF = p / m.keyScale
  const jitter = jitterFactor(m, draw(ctx.seedHash, m.stream, m.updates))
  const qty = Math.max(recentVolumePerMinute(m) * b.depthShare, b.minLevelNotional / priceF) * jitter
  m.bookCache = { bidKey, askKey, stepKey, levels: b.levels, levelQty: lotsOf(m, qty) }
  return m.bookCache
}

/** Base amount the book offers to a taker on `isBuy`'s side up to `limitKey` (inclusive). */
export const depthWithin = (book: Book, isBuy: boolean, limitKey: number): Decimal => {
  let n = 0
  for (let i = 0; i < book.levels; i++) {
    const key = isBuy ? book.askKey + i * book.stepKey : book.bidKey - i * book.stepKey
    if (isBuy ? key > limitKey : key < limitKey) break
    n++
  }
  return book.levelQty.mul(n)
}

/** 1 ± jitterPct for a uniform draw u in [0, 1). */
export const jitterFactor = (m: MarketRt, u: number): number => 1 + ((2 * u - 1) * m.book.jitterPct) / 100

/** A model amount (float) as a whole number of lots, at least one (the epsilon absorbs 1/0.0001 = 9999.999…). */
export const lotsOf = (m: MarketRt, amount: number): Decimal => m.lot.mul(Math.max(1, Math.floor(amount / m.lotF + 1e-9)))

/** A market order's worst allowed price: `protectionPct` from the reference, on the tick grid. */
export const protectionKeyFor = (m: MarketRt, isBuy: boolean, refKey: number): number => {
  const pct = m.book.protectionPct / 100
  return isBuy ? floorTickKey(m, refKey * (1 + pct)) : Math.max(m.tickKey, ceilTickKey(m, refKey * (1 - pct)))
}

export const decimalOfAmount = (amount: string | undefined): Decimal | null => (amount === undefined ? null : new Decimal(amount))
