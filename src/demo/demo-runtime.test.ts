import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asc, count, sql } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createLiveFeed, createManualScheduler, loadReplaySet, replayEvents, type MarketEvent, type PublicMarketApi, type ReplaySeries } from '../market/index.js'
import { createDemoRuntime, createDemoService, demoMarketsFor, type DemoRuntime } from './index.js'
import { DemoRejection, type DemoSnapshot } from './engine/index.js'

// Real Binance 1-minute BTC/USDT and ETH/USDT candles (data/market, May 2021), expanded to price updates
// by src/market's replay; markets are the default demo set (spot + USDT perpetual per symbol, reference
// filters, the engine's jittered book model), so these runs exercise queue positions and depth jitter.
const MARKETS = demoMarketsFor(['BTC/USDT', 'ETH/USDT'])
const TICKS = 4_000
const accounts = { spot: newId(), cross: newId(), isolated: newId() }

type Tick = Extract<MarketEvent, { kind: 'tick' | 'trade' }>

const at = (price: string, factor: string, decimals: number) => toDecimalString(new Decimal(price).mul(factor).toDecimalPlaces(decimals, Decimal.ROUND_DOWN))

/** Commands at fixed ticks, derived from the engine's own prices and open orders, so two runs agree. */
const scriptAfter = async (rt: DemoRuntime, i: number): Promise<void> => {
  const tryRun = async (cmd: Parameters<DemoRuntime['execute']>[0]) => {
    try {
      await rt.execute(cmd)
    } catch (err) {
      if (!(err instanceof DemoRejection)) throw err
    }
  }
  const last = await rt.read((e) => ({ btc: e.market('BTC/USDT')?.lastPrice ?? null, perp: e.market('BTC/USDT:USDT')?.lastPrice ?? null, eth: e.market('ETH/USDT:USDT')?.lastPrice ?? null }))
  if (last.btc === null || last.perp === null || last.eth === null) return
  const spot = (o: Record<string, string | boolean>) => tryRun({ type: 'placeOrder', order: { accountId: accounts.spot, symbol: 'BTC/USDT', ...o } as never })
  const perp = (accountId: string, symbol: string, o: Record<string, string | boolean>) => tryRun({ type: 'placeOrder', order: { accountId, symbol, ...o } as never })
  if (i % 40 === 0) await spot({ type: 'limit', side: 'buy', amount: '0.01', price: at(last.btc, '0.999', 2) })
  if (i % 60 === 0) await spot({ type: 'limit', side: 'sell', amount: '0.005', price: at(last.btc, '1.001', 2), clientOrderId: `s${i}` })
  if (i % 130 === 0) await spot({ type: 'market', side: i % 260 === 0 ? 'buy' : 'sell', amount: '0.02' })
  if (i % 170 === 0) await spot({ type: 'stop_market', side: 'sell', amount: '0.005', stopPrice: at(last.btc, '0.997', 2) })
  if (i % 50 === 0) await perp(accounts.cross, 'BTC/USDT:USDT', { type: 'limit', side: i % 100 === 0 ? 'buy' : 'sell', amount: '0.01', price: at(last.perp, i % 100 === 0 ? '0.9995' : '1.0005', 1) })
  if (i % 90 === 0) await perp(accounts.isolated, 'ETH/USDT:USDT', { type: 'market', side: i % 180 === 0 ? 'buy' : 'sell', amount: '0.05' })
  if (i % 230 === 0) {
    const oldest = await rt.read((e) => e.openOrders(accounts.spot)[0] ?? null)
    if (oldest !== null) await tryRun({ type: 'cancelOrder', accountId: accounts.spot, id: oldest.id })
  }
}

const setup = async (rt: DemoRuntime) => {
  await rt.execute({ type: 'createAccount', accountId: accounts.spot, kind: 'spot', balances: { USDT: '100000', BTC: '1' } })
  await rt.execute({ type: 'createAccount', accountId: accounts.cross, kind: 'futures', balances: { USDT: '20000' } })
  await rt.execute({ type: 'createAccount', accountId: accounts.isolated, kind: 'futures', balances: { USDT: '2000' } })
  await rt.execute({ type: 'setMarginMode', accountId: accounts.isolated, symbol: 'ETH/USDT:USDT', marginMode: 'isolated' })
  await rt.execute({ type: 'setLeverage', accountId: accounts.isolated, symbol: 'ETH/USDT:USDT', leverage: 50 })
}

const drive = async (rt: DemoRuntime, ticks: readonly Tick[], from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const wait = rt.ingest(ticks[i] as Tick)
    if (wait !== undefined) await wait
    await scriptAfter(rt, i)
  }
  await rt.barrier()
}

const snapshotOf = (rt: DemoRuntime): Promise<DemoSnapshot> => rt.read((e) => e.snapshot())

describe.each(backends)('demo runtime on %s', (kind) => {
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let series: ReplaySeries[] = []
  const ticks: Tick[] = []
  const opened: TestDatabase[] = []
  const open = async () => {
    const d = await openTestDatabase(kind)
    opened.push(d)
    return d
  }
  const runtimeOn = (d: TestDatabase, extra: Partial<Parameters<typeof createDemoRuntime>[0]> = {}) => createDemoRuntime({ db: d.db, clock, seed: 'runtime-tests', markets: MARKETS, ...extra })
  const fillsOf = async (d: TestDatabase) => JSON.stringify(await d.db.select().from(schema.demoFills).orderBy(asc(schema.demoFills.seq)))
  const eventsOf = async (d: TestDatabase) => JSON.stringify((await d.db.select({ e: schema.demoEvents.event }).from(schema.demoEvents).orderBy(asc(schema.demoEvents.seq))).map((r) => r.e))

  beforeAll(async () => {
    series = await loadReplaySet()
    for (const e of replayEvents(series)) {
      if (e.kind !== 'candle') ticks.push(e)
      if (ticks.length >= TICKS) break
    }
  })
  afterAll(async () => {
    for (const d of opened) await d.dispose()
  })

  it('resumes exactly after a stop and a start against the same database, mid-run', async () => {
    const whole = runtimeOn(await open())
    await whole.start()
    await setup(whole)
    await drive(whole, ticks, 0, TICKS)

    const d = await open()
    const first = runtimeOn(d, { snapshotEveryEvents: 300 })
    await first.start()
    await setup(first)
    await drive(first, ticks, 0, TICKS / 2)
    const before = JSON.stringify(await snapshotOf(first))
    const openBefore = await first.read((e) => e.openOrders(accounts.spot).length + e.openOrders(accounts.cross).length)
    const positionsBefore = await first.read((e) => e.positions(accounts.cross).length + e.positions(accounts.isolated).length)
    expect(openBefore).toBeGreaterThan(0)
    expect(positionsBefore).toBeGreaterThan(0)
    await first.stop()

    const second = runtimeOn(d, { snapshotEveryEvents: 300 })
    await second.start()
    expect(JSON.stringify(await snapshotOf(second))).toBe(before) // open orders, queue positions, positions, market model: all as they were
    await drive(second, ticks, TICKS / 2, TICKS)

    expect(JSON.stringify(await snapshotOf(second))).toBe(JSON.stringify(await snapshotOf(whole)))
    const fills = await fillsOf(d)
    expect(JSON.parse(fills).length).toBeGreaterThan(50)
    expect(fills).toBe(await fillsOf(opened[0] as TestDatabase))
    await whole.stop()
    await second.stop()
  })

  it('recovers the accounts exactly from the last snapshot and the event log after a crash (no shutdown snapshot)', async () => {
    const d = await open()
    const crashed = runtimeOn(d, { snapshotEveryEvents: 250 })
    await crashed.start()
    await setup(crashed)
    await drive(crashed, ticks, 0, TICKS / 2)
    const lost = await snapshotOf(crashed)
    // The process dies here: no stop(), so the latest snapshot is older than the log's end.
    const [snap] = await d.db.select({ seq: schema.demoSnapshots.seq }).from(schema.demoSnapshots).orderBy(sql`seq desc`).limit(1)
    expect(snap?.seq).toBeLessThan(lost.counters.event)

    const next = runtimeOn(d)
    await next.start()
    const back = await snapshotOf(next)
    expect(JSON.stringify({ accounts: back.accounts, orders: back.orders, counters: back.counters })).toBe(JSON.stringify({ accounts: lost.accounts, orders: lost.orders, counters: lost.counters }))
    // And it goes on writing a gap-free log.
    await drive(next, ticks, TICKS / 2, TICKS / 2 + 400)
    const seqs = (await d.db.select({ seq: schema.demoEvents.seq }).from(schema.demoEvents).orderBy(asc(schema.demoEvents.seq))).map((r) => r.seq)
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))
    await next.stop()
  })

  it('gives identical fills and event logs, bit for bit, for the same seed and the same replay', async () => {
    const runs: TestDatabase[] = []
    for (const seed of ['same-seed', 'same-seed', 'other-seed']) {
      const d = await open()
      const rt = runtimeOn(d, { seed })
      await rt.start()
      await setup(rt)
      await drive(rt, ticks, 0, TICKS)
      await rt.stop()
      runs.push(d)
    }
    const [a, b, c] = runs as [TestDatabase, TestDatabase, TestDatabase]
    expect(JSON.parse(await fillsOf(a)).length).toBeGreaterThan(50)
    expect(await fillsOf(b)).toBe(await fillsOf(a))
    expect(await eventsOf(b)).toBe(await eventsOf(a))
    // The seed matters (depth and queue jitter), so the comparison above could fail.
    expect(await eventsOf(c)).not.toBe(await eventsOf(a))
  })

  it('slows the feed when the database falls behind, and drops nothing', async () => {
    const d = await open()
    const rt = runtimeOn(d, { maxPendingEvents: 40 })
    await rt.start()
    await setup(rt)
    await drive(rt, ticks, 0, 200)
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    let locked = () => {}
    const isLocked = new Promise<void>((resolve) => (locked = resolve))
    const blocker = d.db.transaction(async (tx) => {
      await tx.execute(sql`lock table demo_events in exclusive mode`)
      locked()
      await released
    })
    await isLocked
    try {
      // Commands that each write events, while nothing can be written.
      let paused: Promise<void> | undefined
      for (let fed = 200; fed < TICKS && paused === undefined; fed++) {
        void rt.execute({ type: 'placeOrder', order: { accountId: accounts.spot, symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '1000' } }).catch(() => {})
        paused = rt.ingest(ticks[fed] as Tick)
      }
      expect(paused).toBeDefined() // the feed loop must wait here
      expect(rt.pendingEvents()).toBeGreaterThan(40)
      let isResumed = false
      void paused?.then(() => (isResumed = true))
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(isResumed).toBe(false) // still blocked: the feed stays paused rather than running ahead
      release()
      await blocker
      await paused
    } finally {
      release()
    }
    await rt.barrier()
    const last = await rt.read((e) => e.snapshot().counters.event)
    const [{ n } = { n: 0 }] = await d.db.select({ n: count() }).from(schema.demoEvents)
    expect(n).toBe(last) // every event is in the database, none dropped
    await rt.stop()
  })

  it('rebuilds the engine from the database when a write fails, so the failed command never happened', async () => {
    const d = await open()
    const rt = runtimeOn(d)
    await rt.start()
    await setup(rt)
    await drive(rt, ticks, 0, 100)
    const before = await snapshotOf(rt)
    const failing = rt.execute({ type: 'placeOrder', order: { accountId: accounts.spot, symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '1000' } }, async (tx) => {
      await tx.execute(sql`select 1 / 0`) // the database refuses the transaction
    })
    await expect(failing).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    const after = await snapshotOf(rt)
    expect(JSON.stringify({ a: after.accounts, o: after.orders, c: after.counters })).toBe(JSON.stringify({ a: before.accounts, o: before.orders, c: before.counters }))
    const placed = await rt.execute({ type: 'placeOrder', order: { accountId: accounts.spot, symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '1000' } })
    expect(placed.events[0]?.seq).toBe(before.counters.event + 1)
    await rt.stop()
  })

  it('shows the feed falling back to recorded data, visibly, and fills orders from it', async () => {
    const scheduler = createManualScheduler(clock.now().getTime())
    const unreachable: PublicMarketApi = {
      id: 'binance',
      loadMarkets: () => Promise.reject(new Error('getaddrinfo ENOTFOUND api.binance.com')),
      fetchTicker: () => Promise.reject(new Error('unreachable')),
      fetchTrades: () => Promise.reject(new Error('unreachable')),
      fetchOHLCV: () => Promise.reject(new Error('unreachable')),
    }
    const d = await open()
    const rt = runtimeOn(d, {
      markets: undefined,
      scheduler,
      openFeed: async () =>
        createLiveFeed({ exchange: unreachable, symbols: ['BTC/USDT', 'ETH/USDT'], pollIntervalMs: 1000, failuresBeforeUnreachable: 2, fallback: { series, label: 'bundled data/market', speed: 600 }, scheduler, clock }),
    })
    await rt.start()
    const demo = createDemoService({ runtime: rt, clock })
    expect((await demo.markets()).map((m) => m.symbol)).toEqual(['BTC/USDT', 'BTC/USDT:USDT', 'ETH/USDT', 'ETH/USDT:USDT'])
    for (let i = 0; i < 5 && demo.feed().state !== 'fallback'; i++) await scheduler.advance(1000)
    expect(demo.feed()).toMatchObject({ source: 'replay', state: 'fallback', detail: expect.stringMatching(/binance public API unreachable.*RECORDED data, not live/) })

    await rt.execute({ type: 'createAccount', accountId: accounts.spot, kind: 'spot' })
    for (let i = 0; i < 20 && (await demo.markets())[0]?.last === null; i++) await scheduler.advance(1000)
    const last = (await demo.markets())[0]?.last as string
    const buy = await rt.execute({ type: 'placeOrder', order: { accountId: accounts.spot, symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: at(last, '0.998', 2) } })
    const isFilled = () => rt.read((e) => e.openOrders(accounts.spot).length === 0)
    for (let i = 0; i < 600 && !(await isFilled()); i++) await scheduler.advance(1000)
    await rt.barrier()
    const fills = await d.db.select().from(schema.demoFills)
    expect(fills.map((f) => [f.orderId, f.price, f.amount, f.liquidity])).toEqual([[buy.order?.id, at(last, '0.998', 2), '0.01', 'maker']])
    expect((await demo.candles({ symbol: 'BTC/USDT:USDT', timeframe: '1m', limit: 5 })).length).toBeGreaterThan(0) // the perpetual charts its price source
    expect(() => demo.candles({ symbol: 'BTC/USDT', timeframe: '2h', limit: 5 })).toThrow(AppError)
    await rt.stop()
    expect(demo.feed()).toMatchObject({ source: 'replay', state: 'stopped' })
  })
})
