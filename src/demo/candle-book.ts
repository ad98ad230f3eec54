import { timeframeMs, type CandleEvent, type Timeframe } from '../market/index.js'
import type { DemoCandleView } from './demo-types.js'

/** Timeframes the chart can ask for; each is kept when it is a multiple of the feed's native candles. */
export const chartTimeframes: readonly Timeframe[] = ['1m', '5m', '15m', '1h', '4h', '1d']

/**
 * The latest closed candles of the running feed, per symbol and timeframe, in bounded rings (memory
 * stays flat however long the feed runs). Only what the feed emitted: nothing is invented or filled.
 */
export const createCandleBook = (capacity = 1000) => {
  const rings = new Map<string, DemoCandleView[]>()
  const key = (symbol: string, tf: string) => `${symbol} ${tf}`

  const add = (c: CandleEvent): void => {
    const k = key(c.symbol, c.timeframe)
    let ring = rings.get(k)
    if (ring === undefined) rings.set(k, (ring = []))
    const last = ring[ring.length - 1]
    // A restarted feed may emit a time the ring already has; the later candle replaces nothing older.
    if (last !== undefined && c.time <= last.time) return
    ring.push({ time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })
    if (ring.length > capacity * 2) ring.splice(0, ring.length - capacity)
  }

  /** The latest `limit` candles, oldest first. */
  const latest = (symbol: string, tf: Timeframe, limit: number): DemoCandleView[] => {
    const ring = rings.get(key(symbol, tf)) ?? []
    return ring.slice(Math.max(0, ring.length - Math.min(limit, capacity)))
  }

  return { add, latest }
}
export type CandleBook = ReturnType<typeof createCandleBook>

/** The chart timeframes a native timeframe can be aggregated into. */
export const timeframesFrom = (native: Timeframe): Timeframe[] => chartTimeframes.filter((tf) => timeframeMs[tf] % timeframeMs[native] === 0)
