import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Clock } from '../lib/clock.js'
import { AppError, systemErrorCode } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { parseCandleCsv, parseReplayFileName, parseTradeCsv } from './csv.js'
import { expandCandle } from './expand.js'
import { createFeedHub, feedFromHub, type FeedHub } from './feed-hub.js'
import { eventTime, timeframeMs, type Candle, type FeedStatus, type MarketEvent, type MarketFeed, type Timeframe, type Trade } from './market-types.js'
import { createPacer, type ReplaySpeed, type Scheduler } from './scheduler.js'

/**
 * Replay of recorded candles and trades, merged across symbols in time order.
 *
 * Order. Each candle becomes its price updates (expand.ts) followed by the closed candle itself at its
 * close time; trades are emitted as they are. Series are merged by event time (a candle's is its close
 * time); equal times keep the order of the `series` array, and within a series the file's order. So the
 * same input always gives the same sequence.
 *
 * Looping. Lap L shifts every time by L × span, where span covers the whole set rounded up to the largest
 * candle timeframe, so times keep increasing and stay aligned. Prices are not touched: the jump from the
 * last close back to the first open is real data meeting real data. Trade ids of lap L > 0 get `:L`
 * appended so they stay unique.
 */

export type CandleSeries = { kind: 'candles'; symbol: string; timeframe: Timeframe; candles: readonly Candle[] }
export type TradeSeries = { kind: 'trades'; symbol: string; trades: readonly Trade[] }
export type ReplaySeries = CandleSeries | TradeSeries

export type ReplayEventsOptions = {
  /** Interpolated updates per leg of a candle's path (default 3: 10 updates per candle). */
  ticksPerLeg?: number
  /** Laps over the data (default 1; Infinity loops forever). */
  laps?: number
  /** Shifts the whole set so it starts at or just after this time (aligned to the largest timeframe). */
  startAt?: number
}

export const defaultTicksPerLeg = 3

const symbolPattern = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/

/** @throws AppError BAD_INPUT for an empty or unordered series, a bad symbol, or two series of one kind for a symbol */
export const checkSeries = (series: readonly ReplaySeries[]): void => {
  if (series.length === 0) throw new AppError('BAD_INPUT', 'a replay needs at least one series')
  const seen = new Set<string>()
  for (const s of series) {
    if (!symbolPattern.test(s.symbol)) throw new AppError('BAD_INPUT', `"${s.symbol}" is not a unified symbol like "BTC/USDT"`)
    const key = `${s.symbol} ${s.kind}`
    if (seen.has(key)) throw new AppError('BAD_INPUT', `the replay has two ${s.kind} series for ${s.symbol}`)
    seen.add(key)
    const times = s.kind === 'candles' ? s.candles.map((c) => c.time) : s.trades.map((t) => t.time)
    if (times.length === 0) throw new AppError('BAD_INPUT', `the ${s.kind} series for ${s.symbol} is empty`)
    const step = s.kind === 'candles' ? timeframeMs[s.timeframe] : 1
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number
      const before = i === 0 ? -Infinity : (times[i - 1] as number)
      if (s.kind === 'candles' && (t <= before || t % step !== 0)) throw new AppError('BAD_INPUT', `candle ${i} of ${s.symbol} is out of order or not aligned to ${s.timeframe}`)
      if (s.kind === 'trades' && t < before) throw new AppError('BAD_INPUT', `trade ${i} of ${s.symbol} is out of time order`)
    }
  }
}

/** The shape of a replay set's timeline: first event, lap span and alignment. */
export const replayTimeline = (series: readonly ReplaySeries[]) => {
  let needed = 1
  let alignMs = 1
  for (const s of series) {
    if (s.kind === 'candles') alignMs = Math.max(alignMs, timeframeMs[s.timeframe])
  }
  const firstTimes = series.map((s) => (s.kind === 'candles' ? s.candles[0]?.time : s.trades[0]?.time) ?? Infinity)
  const first = Math.min(...firstTimes)
  for (const s of series) {
    if (s.kind === 'candles') {
      const last = s.candles[s.candles.length - 1]
      if (last) needed = Math.max(needed, last.time + timeframeMs[s.timeframe] - first)
    } else {
      const last = s.trades[s.trades.length - 1]
      if (last) needed = Math.max(needed, last.time - first + 1)
    }
  }
  return { first, alignMs, spanMs: Math.ceil(needed / alignMs) * alignMs }
}

function* candleEvents(s: CandleSeries, ticksPerLeg: number, offsetOf: (lap: number) => number, laps: number): Generator<MarketEvent> {
  const tfMs = timeframeMs[s.timeframe]
  let seq = 0
  for (let lap = 0; lap < laps; lap++) {
    const offset = offsetOf(lap)
    for (const c of s.candles) {
      const time = c.time + offset
      for (const t of expandCandle(c, tfMs, ticksPerLeg)) yield { kind: 'tick', symbol: s.symbol, time: t.time + offset, price: t.price, amount: t.amount, seq: seq++ }
      yield { kind: 'candle', symbol: s.symbol, timeframe: s.timeframe, time, closeTime: time + tfMs, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }
    }
  }
}

function* tradeEvents(s: TradeSeries, offsetOf: (lap: number) => number, laps: number): Generator<MarketEvent> {
  for (let lap = 0; lap < laps; lap++) {
    const offset = offsetOf(lap)
    for (const t of s.trades) yield { kind: 'trade', symbol: s.symbol, time: t.time + offset, id: lap === 0 ? t.id : `${t.id}:${lap}`, price: t.price, amount: t.amount, side: t.side }
  }
}

type Head = { time: number; index: number; event: MarketEvent; source: Iterator<MarketEvent> }

const before = (a: Head, b: Head) => a.time < b.time || (a.time === b.time && a.index < b.index)

/** A binary min-heap by (time, series index): O(log n) per event for the 100-symbol benchmark. */
const createHeap = () => {
  const items: Head[] = []
  const swap = (i: number, j: number) => {
    const t = items[i] as Head
    items[i] = items[j] as Head
    items[j] = t
  }
  const push = (h: Head) => {
    items.push(h)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i] as Head, items[parent] as Head)) break
      swap(i, parent)
      i = parent
    }
  }
  const pop = (): Head | undefined => {
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < items.length && before(items[l] as Head, items[m] as Head)) m = l
        if (r < items.length && before(items[r] as Head, items[m] as Head)) m = r
        if (m === i) break
        swap(i, m)
        i = m
      }
    }
    return top
  }
  return { push, pop }
}

/**
 * The replay as a plain synchronous sequence, for the feed below and for callers that want events
 * without pacing (the benchmark, deterministic engine tests).
 * @throws AppError BAD_INPUT (see checkSeries; ticksPerLeg out of 1..1000; laps not ≥ 1)
 */
export function* replayEvents(series: readonly ReplaySeries[], opts: ReplayEventsOptions = {}): Generator<MarketEvent> {
  checkSeries(series)
  const ticksPerLeg = opts.ticksPerLeg ?? defaultTicksPerLeg
  const laps = opts.laps ?? 1
  if (!(laps >= 1) || (Number.isFinite(laps) && !Number.isInteger(laps))) throw new AppError('BAD_INPUT', 'laps must be a whole number of at least 1, or Infinity')
  const firstCandle = series.find((s): s is CandleSeries => s.kind === 'candles')?.candles[0]
  if (firstCandle) expandCandle(firstCandle, 60_000, ticksPerLeg) // validates ticksPerLeg before anything is emitted
  const { first, alignMs, spanMs } = replayTimeline(series)
  const start = opts.startAt === undefined ? 0 : Math.ceil((opts.startAt - first) / alignMs) * alignMs
  const offsetOf = (lap: number) => start + lap * spanMs
  const heap = createHeap()
  series.forEach((s, index) => {
    const source = s.kind === 'candles' ? candleEvents(s, ticksPerLeg, offsetOf, laps) : tradeEvents(s, offsetOf, laps)
    const r = source.next()
    if (!r.done) heap.push({ time: eventTime(r.value), index, event: r.value, source })
  })
  for (let head = heap.pop(); head; head = heap.pop()) {
    yield head.event
    const r = head.source.next()
    if (!r.done) heap.push({ time: eventTime(r.value), index: head.index, event: r.value, source: head.source })
  }
}

/** Symbol → native candle timeframe (null for a symbol that only has trades). */
export const replaySymbols = (series: readonly ReplaySeries[]): Map<string, Timeframe | null> => {
  const out = new Map<string, Timeframe | null>()
  for (const s of series) {
    if (s.kind === 'candles') out.set(s.symbol, s.timeframe)
    else if (!out.has(s.symbol)) out.set(s.symbol, null)
  }
  return out
}

export type ReplayRunInput = {
  series: readonly ReplaySeries[]
  speed: ReplaySpeed
  atEnd: 'stop' | 'loop'
  ticksPerLeg?: number
  startAt?: number
  scheduler: Scheduler
}

const describeSeries = (series: readonly ReplaySeries[]) => series.map((s) => `${s.symbol} ${s.kind === 'candles' ? s.timeframe : 'trades'}`).join(', ')
const describeSpeed = (speed: ReplaySpeed) => (speed === 'max' ? 'as fast as subscribers read' : `×${speed}`)

/** Human words for a replay, for status details. */
export const describeReplay = (input: Pick<ReplayRunInput, 'series' | 'speed' | 'atEnd'>, label: string) =>
  `${label} (${describeSeries(input.series)}) at ${describeSpeed(input.speed)}, ${input.atEnd === 'loop' ? 'looping' : 'stopping at the end'}`

/**
 * Publishes a replay into a hub until the data ends (atEnd 'stop') or the signal aborts. Used by the
 * replay feed and by the live feed's fallback. Returns the number of events published.
 */
export const runReplay = async (hub: FeedHub, input: ReplayRunInput, signal: AbortSignal): Promise<number> => {
  const events = replayEvents(input.series, {
    ticksPerLeg: input.ticksPerLeg,
    laps: input.atEnd === 'loop' ? Infinity : 1,
    startAt: input.startAt,
  })
  const pacer = createPacer(input.scheduler, input.speed)
  let count = 0
  for (const e of events) {
    if (signal.aborted) break
    const wait = pacer.wait(eventTime(e), signal)
    if (wait) {
      await wait
      if (signal.aborted) break
    }
    const room = hub.publish(e)
    count++
    if (room) await room
  }
  return count
}

export type ReplayFeedInput = ReplayRunInput & {
  clock: Clock
  /** Names the data in the status detail, e.g. "bundled data/market". */
  label?: string
  logger?: Pick<Logger, 'error'>
}

/** @throws AppError BAD_INPUT for bad series, speed or ticksPerLeg */
export const createReplayFeed = (input: ReplayFeedInput): MarketFeed => {
  checkSeries(input.series)
  createPacer(input.scheduler, input.speed) // validates the speed now rather than at start
  if (input.series.some((s) => s.kind === 'candles')) expandCandle({ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '0' }, 60_000, input.ticksPerLeg ?? defaultTicksPerLeg)
  const label = input.label ?? 'recorded data'
  const hub = createFeedHub({ clock: input.clock, symbols: replaySymbols(input.series), initialStatus: { source: 'replay', state: 'stopped', detail: 'not started' } })
  const running: Omit<FeedStatus, 'since'> = { source: 'replay', state: 'running', detail: `replaying ${describeReplay(input, label)}` }
  return feedFromHub(
    hub,
    async (signal) => {
      hub.setStatus(running)
      const count = await runReplay(hub, input, signal)
      if (!signal.aborted) hub.setStatus({ source: 'replay', state: 'stopped', detail: `end of replay data: ${count} events from ${label}` })
    },
    () => ({ source: 'replay', detail: '' }),
    input.logger,
  )
}

/** `data/market/` of this installation, resolved from this file (src/market/ or dist/market/). */
export const bundledMarketDataDir = (): string => fileURLToPath(new URL('../../data/market/', import.meta.url))

/** The bundled default: real Binance spot 1m candles (see data/market/README.md). */
export const defaultReplayFiles = ['binance_BTC-USDT_1m.csv', 'binance_ETH-USDT_1m.csv'] as const

/**
 * Reads replay files named `<venue>_<BASE>-<QUOTE>_<timeframe|trades>.csv` from a directory.
 * @throws AppError BAD_INPUT for a missing, unreadable, misnamed or malformed file (naming line and field)
 */
export const loadReplaySet = async (opts: { dir?: string; files?: readonly string[] } = {}): Promise<ReplaySeries[]> => {
  const dir = opts.dir ?? bundledMarketDataDir()
  const files = opts.files ?? defaultReplayFiles
  const out: ReplaySeries[] = []
  for (const file of files) {
    const name = parseReplayFileName(file)
    let text: string
    try {
      text = await readFile(join(dir, file), 'utf8')
    } catch (err) {
      const code = systemErrorCode(err)
      throw new AppError('BAD_INPUT', `replay file "${file}" ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`} in ${dir}`, { cause: err })
    }
    if (name.kind === 'trades') out.push({ kind: 'trades', symbol: name.symbol, trades: parseTradeCsv(text, { source: file }) })
    else out.push({ kind: 'candles', symbol: name.symbol, timeframe: name.timeframe, candles: parseCandleCsv(text, { source: file, timeframe: name.timeframe }) })
  }
  return out
}
