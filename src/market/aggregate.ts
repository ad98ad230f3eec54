import { Decimal, toDecimalString } from '../lib/decimal.js'
import { timeframeMs, type CandleEvent, type Timeframe } from './market-types.js'

/**
 * Builds closed candles of a timeframe from finer data: from a source's native candles (a 5m candle from
 * five 1m candles) or from price updates (synthetic). Buckets are aligned to Unix time, as exchanges do.
 *
 * A bucket is emitted once it is closed: when its last native candle arrives, or when data for a later
 * bucket arrives (a gap in the data, e.g. exchange maintenance, closes it with what traded). The first
 * bucket an aggregator sees is dropped when it did not see the bucket's start (a subscriber that joined
 * mid-bucket must not get a truncated candle); later buckets with a gap at their start are real data and
 * are emitted.
 */

type Acc = { time: number; open: string; high: Decimal; low: Decimal; close: string; volume: Decimal; isPartial: boolean }

const finish = (symbol: string, timeframe: Timeframe, a: Acc): CandleEvent => ({
  kind: 'candle',
  symbol,
  timeframe,
  time: a.time,
  closeTime: a.time + timeframeMs[timeframe],
  open: a.open,
  high: toDecimalString(a.high),
  low: toDecimalString(a.low),
  close: a.close,
  volume: toDecimalString(a.volume),
})

const bucketOf = (time: number, tfMs: number) => Math.floor(time / tfMs) * tfMs

/** Native candles of one symbol → closed candles of `timeframe` (a multiple of the native one). */
export const createCandleAggregator = (symbol: string, timeframe: Timeframe) => {
  const tfMs = timeframeMs[timeframe]
  let acc: Acc | null = null
  let hasSeen = false

  /** Returns the candles this native candle closes (at most two: a gap-closed one and its own). */
  const push = (c: CandleEvent): CandleEvent[] => {
    const out: CandleEvent[] = []
    const bucket = bucketOf(c.time, tfMs)
    if (acc !== null && acc.time !== bucket) {
      if (!acc.isPartial) out.push(finish(symbol, timeframe, acc))
      acc = null
    }
    if (acc === null) {
      acc = { time: bucket, open: c.open, high: new Decimal(c.high), low: new Decimal(c.low), close: c.close, volume: new Decimal(c.volume), isPartial: !hasSeen && c.time !== bucket }
    } else {
      const high = new Decimal(c.high)
      const low = new Decimal(c.low)
      if (high.gt(acc.high)) acc.high = high
      if (low.lt(acc.low)) acc.low = low
      acc.close = c.close
      acc.volume = acc.volume.plus(c.volume)
    }
    hasSeen = true
    if (c.closeTime >= bucket + tfMs) {
      if (!acc.isPartial) out.push(finish(symbol, timeframe, acc))
      acc = null
    }
    return out
  }
  return { push }
}
export type CandleAggregator = ReturnType<typeof createCandleAggregator>

/** Price updates of one symbol → closed candles of `timeframe`. */
export const createTickCandleBuilder = (symbol: string, timeframe: Timeframe) => {
  const tfMs = timeframeMs[timeframe]
  let acc: Acc | null = null
  let hasSeen = false

  /** Returns the candle this update closes (emit it before the update), if any. */
  const push = (time: number, price: string, amount: string): CandleEvent | undefined => {
    const bucket = bucketOf(time, tfMs)
    let closed: CandleEvent | undefined
    if (acc !== null && acc.time !== bucket) {
      if (!acc.isPartial) closed = finish(symbol, timeframe, acc)
      acc = null
    }
    const p = new Decimal(price)
    if (acc === null) {
      acc = { time: bucket, open: price, high: p, low: p, close: price, volume: new Decimal(amount), isPartial: !hasSeen && time !== bucket }
    } else {
      if (p.gt(acc.high)) acc.high = p
      if (p.lt(acc.low)) acc.low = p
      acc.close = price
      acc.volume = acc.volume.plus(amount)
    }
    hasSeen = true
    return closed
  }
  return { push }
}
