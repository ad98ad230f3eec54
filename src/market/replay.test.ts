import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import { eventTime, type Candle, type CandleEvent, type MarketEvent, type Subscription } from './market-types.js'
import { openMarketFeed } from './market-feed.js'
import { createReplayFeed, loadReplaySet, replayEvents, type ReplaySeries } from './replay.js'
import { createManualScheduler, yieldToEventLoop } from './scheduler.js'

const m = 60_000
const t0 = Date.UTC(2021, 4, 19, 12, 0)

/** Three rising 1m candles for A/USDT and two for B/USDT starting a minute later. */
const small: ReplaySeries[] = [
  {
    kind: 'candles',
    symbol: 'A/USDT',
    timeframe: '1m',
    candles: [
      { time: t0, open: '10', high: '12', low: '9', close: '11', volume: '4' },
      { time: t0 + m, open: '11', high: '13', low: '10', close: '12', volume: '8' },
      { time: t0 + 2 * m, open: '12', high: '12', low: '8', close: '9', volume: '4' },
    ],
  },
  {
    kind: 'candles',
    symbol: 'B/USDT',
    timeframe: '1m',
    candles: [
      { time: t0 + m, open: '5', high: '6', low: '4', close: '5', volume: '4' },
      { time: t0 + 2 * m, open: '5', high: '7', low: '5', close: '7', volume: '4' },
    ],
  },
]

const candlesOf = (s: ReplaySeries | undefined): readonly Candle[] => (s?.kind === 'candles' ? s.candles : [])

const collect = async (sub: Subscription, limit = Infinity): Promise<MarketEvent[]> => {
  const out: MarketEvent[] = []
  for await (const e of sub) {
    out.push(e)
    if (out.length >= limit) break
  }
  return out
}

const digest = (events: Iterable<MarketEvent>) => {
  const h = createHash('sha256')
  for (const e of events) h.update(JSON.stringify(e))
  return h.digest('hex')
}

const describeEvent = (e: MarketEvent) => `${e.symbol} ${e.kind} ${eventTime(e) - t0} ${e.kind === 'candle' ? e.close : e.price}`

describe('replayEvents', () => {
  it('merges symbols in time order: each candle after its updates, ties in series order', () => {
    const events = [...replayEvents(small, { ticksPerLeg: 1 })]
    // 5 candles × (4 updates + 1 candle)
    expect(events).toHaveLength(25)
    expect(events.slice(0, 6).map(describeEvent)).toEqual([
      'A/USDT tick 0 10',
      'A/USDT tick 15000 9', // rising: low first
      'A/USDT tick 30000 12',
      'A/USDT tick 45000 11',
      'A/USDT candle 60000 11', // closes at t0 + 1m, before the next minute's first update
      'A/USDT tick 60000 11',
    ])
    // At t0 + 1m both A's second open and B's first open happen: A (listed first) comes first.
    expect(events.slice(5, 7).map(describeEvent)).toEqual(['A/USDT tick 60000 11', 'B/USDT tick 60000 5'])
    for (let i = 1; i < events.length; i++) expect(eventTime(events[i] as MarketEvent)).toBeGreaterThanOrEqual(eventTime(events[i - 1] as MarketEvent))
    const seqs = events.filter((e) => e.kind === 'tick' && e.symbol === 'A/USDT').map((e) => (e.kind === 'tick' ? e.seq : -1))
    expect(seqs).toEqual([...Array(12).keys()])
  })

  it('is the same sequence on every run of the bundled data', async () => {
    const set = await loadReplaySet()
    const a = digest(replayEvents(set))
    expect(digest(replayEvents(set))).toBe(a)
    // 7001 BTC + 6999 ETH candles × (10 updates + 1 candle) at the default ticksPerLeg of 3
    let count = 0
    for (const _ of replayEvents(set)) count++
    expect(count).toBe((7001 + 6999) * 11)
  })

  it('loops with times shifted by whole laps and lap-suffixed trade ids', () => {
    const trades: ReplaySeries = { kind: 'trades', symbol: 'A/USDT', trades: [{ time: t0 + 5, id: '77', price: '10', amount: '1', side: 'buy' }] }
    const events = [...replayEvents([...small, trades], { ticksPerLeg: 1, laps: 2 })]
    const perLap = events.length / 2
    expect(perLap).toBe(26)
    // span: from t0 to the last close at t0 + 3m = 3 minutes (already aligned to 1m)
    for (let i = 0; i < perLap; i++) expect(eventTime(events[i + perLap] as MarketEvent) - eventTime(events[i] as MarketEvent)).toBe(3 * m)
    expect(events.filter((e) => e.kind === 'trade').map((e) => (e.kind === 'trade' ? e.id : ''))).toEqual(['77', '77:1'])
  })

  it('shifts the set to start at an aligned time', () => {
    const start = Date.UTC(2026, 11, 4, 10, 17, 30)
    const first = replayEvents(small, { startAt: start }).next().value as MarketEvent
    expect(eventTime(first)).toBe(Date.UTC(2026, 11, 4, 10, 18)) // the next whole minute
  })

  it('rejects unordered candles and duplicate series', () => {
    const bad: ReplaySeries = { kind: 'candles', symbol: 'A/USDT', timeframe: '1m', candles: [...candlesOf(small[0])].reverse() }
    expect(() => [...replayEvents([bad])]).toThrow(/out of order/)
    expect(() => [...replayEvents([small[0] as ReplaySeries, small[0] as ReplaySeries])]).toThrow(/two candles series for A\/USDT/)
  })
})

describe('replay feed', () => {
  const deps = () => ({ clock: createManualClock('2026-12-04T10:00:00Z'), scheduler: createManualScheduler(0) })

  it('as fast as possible: delivers exactly replayEvents, then stops and says so', async () => {
    const feed = createReplayFeed({ ...deps(), series: small, speed: 'max', atEnd: 'stop', ticksPerLeg: 1, label: 'test data' })
    expect(feed.status()).toMatchObject({ source: 'replay', state: 'stopped', detail: 'not started' })
    const sub = feed.subscribe({ symbols: ['A/USDT', 'B/USDT'], timeframes: ['1m'] })
    feed.start()
    expect(feed.status()).toMatchObject({ source: 'replay', state: 'running' })
    expect(feed.status().detail).toMatch(/^replaying test data \(A\/USDT 1m, B\/USDT 1m\) at as fast as subscribers read, stopping at the end$/)
    const got = await collect(sub)
    expect(got).toEqual([...replayEvents(small, { ticksPerLeg: 1 })])
    await feed.done()
    expect(feed.status()).toEqual({ source: 'replay', state: 'stopped', detail: 'end of replay data: 25 events from test data', since: Date.parse('2026-12-04T10:00:00Z') })
  })

  it('at ×60 spaces updates by data time / 60 on the scheduler', async () => {
    const { clock, scheduler } = deps()
    const feed = createReplayFeed({ clock, scheduler, series: [small[0] as ReplaySeries], speed: 60, atEnd: 'stop', ticksPerLeg: 1 })
    const sub = feed.subscribe({ symbols: ['A/USDT'], timeframes: ['1m'] })
    const got: MarketEvent[] = []
    const reading = (async () => {
      for await (const e of sub) got.push(e)
    })()
    feed.start()
    await scheduler.advance(0)
    expect(got).toHaveLength(1) // the first update is due at once
    // updates are 15 s apart in data time: 15000 / 60 = 250 ms apart on the scheduler
    await scheduler.advance(249)
    expect(got).toHaveLength(1)
    await scheduler.advance(1)
    expect(got).toHaveLength(2)
    await scheduler.advance(500)
    expect(got.map((e) => e.kind)).toEqual(['tick', 'tick', 'tick', 'tick'])
    await scheduler.advance(250) // t0 + 1m: the first candle closes and the next opens
    expect(got.slice(4).map((e) => e.kind)).toEqual(['candle', 'tick'])
    await scheduler.advance(2 * 1000)
    await reading
    expect(got).toHaveLength(15)
    expect(feed.status().state).toBe('stopped')
  })

  it('at ×1 waits the real minute of a candle', async () => {
    const { clock, scheduler } = deps()
    const feed = createReplayFeed({ clock, scheduler, series: [small[0] as ReplaySeries], speed: 1, atEnd: 'stop', ticksPerLeg: 1 })
    const sub = feed.subscribe({ symbols: ['A/USDT'], ticks: false, timeframes: ['1m'] })
    const got: MarketEvent[] = []
    void (async () => {
      for await (const e of sub) got.push(e)
    })()
    feed.start()
    await scheduler.advance(59_999)
    expect(got).toHaveLength(0)
    await scheduler.advance(1)
    expect(got.map(describeEvent)).toEqual(['A/USDT candle 60000 11'])
    await feed.stop()
  })

  it('loops at the end when asked, with time still increasing', async () => {
    const feed = createReplayFeed({ ...deps(), series: small, speed: 'max', atEnd: 'loop', ticksPerLeg: 1 })
    const sub = feed.subscribe({ symbols: ['A/USDT', 'B/USDT'] })
    feed.start()
    const got = await collect(sub, 100) // 20 updates per lap: five laps
    await feed.stop()
    for (let i = 1; i < got.length; i++) expect(eventTime(got[i] as MarketEvent)).toBeGreaterThan(eventTime(got[i - 1] as MarketEvent) - 1)
    expect(eventTime(got[99] as MarketEvent)).toBeGreaterThanOrEqual(t0 + 4 * 3 * m)
    expect(feed.status()).toMatchObject({ state: 'stopped', detail: 'stopped by the operator' })
  })

  it('builds 5m candles from 1m ones, and a late subscriber gets no truncated candle', async () => {
    const series = await loadReplaySet({ files: ['binance_BTC-USDT_1m.csv'] })
    const candles = candlesOf(series[0])
    const feed = createReplayFeed({ ...deps(), series, speed: 'max', atEnd: 'stop' })
    // bufferSize 1: the source cannot run ahead of this test by more than one candle
    const early = feed.subscribe({ symbols: ['BTC/USDT'], ticks: false, timeframes: ['5m', '1h'], bufferSize: 1 })
    feed.start()
    const first = (await early.next()).value as CandleEvent
    // 2021-05-16 00:00–00:05 from the first five 1m rows
    const five = candles.slice(0, 5)
    expect(first).toEqual({
      kind: 'candle',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      time: five[0]?.time,
      closeTime: (five[0]?.time ?? 0) + 5 * m,
      open: five[0]?.open,
      high: toDecimalString(Decimal.max(...five.map((c) => c.high))),
      low: toDecimalString(Decimal.min(...five.map((c) => c.low))),
      close: five[4]?.close,
      volume: toDecimalString(five.reduce((sum, c) => sum.plus(c.volume), new Decimal(0))),
    })
    // The feed is now inside 00:05–00:10. A new 15m aggregator starts mid-bucket: its 00:00 candle would be
    // truncated, so the first one delivered is 00:15. The 1h aggregator already existed (for `early`) and saw
    // the hour from its start, so `late` gets that whole hour.
    const late = feed.subscribe({ symbols: ['BTC/USDT'], ticks: false, timeframes: ['15m', '1h'] })
    void collect(early)
    const lateGot = (await collect(late, 5)) as CandleEvent[]
    expect(lateGot.map((c) => `${c.timeframe} ${(c.time - (candles[0]?.time ?? 0)) / m}`)).toEqual(['15m 15', '15m 30', '15m 45', '1h 0', '15m 60'])
    const hour = candles.slice(0, 60)
    expect(lateGot[3]).toMatchObject({ open: hour[0]?.open, close: hour[59]?.close, high: toDecimalString(Decimal.max(...hour.map((c) => c.high))) })
    await feed.stop()
  })

  it('holds a subscriber that does not read to its buffer size and waits for it (no drops, bounded)', async () => {
    const feed = createReplayFeed({ ...deps(), series: small, speed: 'max', atEnd: 'stop', ticksPerLeg: 1 })
    const slow = feed.subscribe({ symbols: ['A/USDT', 'B/USDT'], bufferSize: 3 })
    const fast = feed.subscribe({ symbols: ['A/USDT', 'B/USDT'] })
    const fastGot: MarketEvent[] = []
    const reading = (async () => {
      for await (const e of fast) fastGot.push(e)
    })()
    feed.start()
    for (let i = 0; i < 5; i++) await yieldToEventLoop()
    expect(fastGot).toHaveLength(3) // the source waits once `slow` holds 3
    const slowGot = await collect(slow, 2) // reading makes room; then leaving the loop closes `slow`
    expect(slowGot).toEqual(fastGot.slice(0, 2))
    await reading
    expect(fastGot).toEqual([...replayEvents(small, { ticksPerLeg: 1 })].filter((e) => e.kind === 'tick'))
  })

  it('refuses subscriptions it cannot serve', () => {
    const trades: ReplaySeries = { kind: 'trades', symbol: 'C/USDT', trades: [{ time: 1, id: '1', price: '1', amount: '1', side: 'buy' }] }
    const feed = createReplayFeed({ ...deps(), series: [...small, trades], speed: 'max', atEnd: 'stop' })
    expect(() => feed.subscribe({ symbols: ['X/USDT'] })).toThrow(/symbol "X\/USDT" is not carried by this feed/)
    expect(() => feed.subscribe({ symbols: ['C/USDT'], timeframes: ['1m'] })).toThrow(/no candles for "C\/USDT"/)
    expect(() => feed.subscribe({ symbols: ['A/USDT'], bufferSize: 0 })).toThrow(AppError)
    expect(() => feed.subscribe({ symbols: [] })).toThrow(/at least one symbol/)
    const fiveMinute: ReplaySeries = { kind: 'candles', symbol: 'D/USDT', timeframe: '5m', candles: [{ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '1' }] }
    const feed5 = createReplayFeed({ ...deps(), series: [fiveMinute], speed: 'max', atEnd: 'stop' })
    expect(() => feed5.subscribe({ symbols: ['D/USDT'], timeframes: ['1m'] })).toThrow(/1m candles cannot be built from the 5m candles/)
    expect(() => createReplayFeed({ ...deps(), series: small, speed: 0, atEnd: 'stop' })).toThrow(/speed must be/)
    expect(() => createReplayFeed({ ...deps(), series: small, speed: 'max', atEnd: 'stop', ticksPerLeg: 0 })).toThrow(/ticksPerLeg/)
  })
})

describe('openMarketFeed', () => {
  it('opens the bundled replay by default and names it in the status', async () => {
    const feed = await openMarketFeed({ source: 'replay', speed: 'max', atEnd: 'stop' }, { clock: createManualClock(0), scheduler: createManualScheduler(0) })
    expect([...feed.symbols()]).toEqual([['BTC/USDT', '1m'], ['ETH/USDT', '1m']])
    feed.start()
    expect(feed.status().detail).toBe('replaying bundled data/market (BTC/USDT 1m, ETH/USDT 1m) at as fast as subscribers read, stopping at the end')
    await feed.stop()
  })
})
