import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { count } from 'drizzle-orm'
import { Decimal, toDecimalString } from '../src/lib/decimal.js'
import { systemClock } from '../src/lib/clock.js'
import { newId } from '../src/lib/ids.js'
import { migrate, openDatabase, schema } from '../src/db/index.js'
import { loadReplaySet, replayEvents } from '../src/market/index.js'
import { createDemoRuntime, demoMarketsFor, type DemoRuntime } from '../src/demo/index.js'
import { createDemoEngine, DemoRejection, type DemoEngine, type DemoEvent, type DemoMarketDef, type DemoPriceUpdate, type PlaceOrderInput } from '../src/demo/engine/index.js'

/**
 * `npm run bench -- demo`: the demo matching/trigger/margin engine alone (no persistence, no I/O in the
 * loop). Real Binance 1-minute BTC/USDT and ETH/USDT candles (../shared/data/market), each expanded to
 * open → low → high → close (open → high → low → close when falling) with 10/40/40/10 % of its volume,
 * replicated to 100 symbols — 50 spot, 50 linear perpetuals, alternately BTC and ETH, each a copy of the
 * real series started at a different candle — and interleaved so time only moves forward. 10,000 orders
 * rest, 100 per symbol: 40 limit buys and 40 limit sells 0.1 %–4 % from the price, 10 sell stops and 10
 * buy stops 0.4 %–4 % away; every order that fills (or fires) is placed again at the same distance from
 * the current price, so the book keeps 10,000 orders and the fill ratio stays fixed by that grid.
 * Futures orders alternate between a cross and an isolated account.
 */
const SYMBOLS = 100
const CANDLES = Number(process.env.BENCH_DEMO_CANDLES ?? 10_000)
const EXTRA_PLACEMENTS = Number(process.env.BENCH_DEMO_PLACEMENTS ?? 50_000)
const TARGET_UPDATES_PER_SEC = 500_000
const dataDir = process.env.BENCH_DEMO_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'market')

type Series = { prices: string[]; amounts: string[] }

const loadSeries = (file: string): Series => {
  const rows = readFileSync(join(dataDir, file), 'utf8').trim().split('\n').slice(1)
  const prices: string[] = []
  const amounts: string[] = []
  for (const row of rows.slice(0, CANDLES + SYMBOLS * 97)) {
    const [, open, high, low, close, volume] = row.split(',') as [string, string, string, string, string, string]
    const rising = Number(close) >= Number(open)
    const v = new Decimal(volume)
    const share = (w: string) => toDecimalString(v.mul(w).toDecimalPlaces(8, Decimal.ROUND_DOWN))
    prices.push(open, rising ? low : high, rising ? high : low, close)
    amounts.push(share('0.1'), share('0.4'), share('0.4'), share('0.1'))
  }
  return { prices, amounts }
}

const r1 = (x: number) => Number(x.toFixed(1))

const PERSIST_TICKS = Number(process.env.BENCH_DEMO_PERSIST_TICKS ?? 60_000)

/**
 * Fills per second with persistence on: the demo runtime (engine + event log, projections and
 * snapshots in one transaction per group of steps) on an embedded PGlite in a temporary directory,
 * fed with the bundled real replay (data/market: BTC/USDT and ETH/USDT 1m, 10 updates per candle, both
 * priced into a spot market and a USDT perpetual). 320 limit orders rest 0.01 %–0.4 % around the price;
 * every 5 updates the filled ones are placed again at the same distance, so fills dominate the load. Commands are not awaited one
 * by one (a bot does not wait for the previous bot); the clock stops once the last fill is committed.
 */
const persistedFills = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-demo-'))
  const database = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'db'), lockPath: join(dir, 'db.lock') })
  try {
    await migrate(database)
    const markets = demoMarketsFor(['BTC/USDT', 'ETH/USDT'])
    const runtime: DemoRuntime = createDemoRuntime({ db: database.db, clock: systemClock, seed: 'bench-demo-persisted', markets })
    await runtime.start()
    const spot = newId()
    const futures = newId()
    await runtime.execute({ type: 'createAccount', accountId: spot, kind: 'spot', balances: { USDT: '1000000000', BTC: '100000', ETH: '1000000' } })
    await runtime.execute({ type: 'createAccount', accountId: futures, kind: 'futures', balances: { USDT: '1000000000' } })
    for (const m of markets) if (m.kind === 'linear') await runtime.execute({ type: 'setLeverage', accountId: futures, symbol: m.symbol, leverage: 5 })
    const ticks = replayEvents(await loadReplaySet(), { laps: Infinity })

    type Slot = { symbol: string; side: 'buy' | 'sell'; distance: string; account: string; decimals: number; amount: string; id: string | null; isPlacing: boolean }
    const slots: Slot[] = []
    for (const m of markets) {
      const decimals = m.tickSize.split('.')[1]?.length ?? 0
      const amount = m.base === 'BTC' ? '0.003' : '0.03' // above every minimum notional (BTC perpetual: 100 USDT)
      for (let j = 1; j <= 40; j++) {
        const distance = toDecimalString(new Decimal(j).mul('0.0001'))
        for (const side of ['buy', 'sell'] as const) slots.push({ symbol: m.symbol, side, distance, account: m.kind === 'spot' ? spot : futures, decimals, amount, id: null, isPlacing: false })
      }
    }
    const pending: Promise<unknown>[] = []
    let rejected = 0
    const place = async (slot: Slot) => {
      const last = await runtime.read((e) => e.market(slot.symbol)?.lastPrice ?? null)
      if (last === null || slot.isPlacing) return
      slot.isPlacing = true
      const factor = slot.side === 'buy' ? Decimal.sub(1, slot.distance) : Decimal.add(1, slot.distance)
      const price = toDecimalString(new Decimal(last).mul(factor).toDecimalPlaces(slot.decimals, Decimal.ROUND_DOWN))
      try {
        const p = runtime.execute({ type: 'placeOrder', order: { accountId: slot.account, symbol: slot.symbol, type: 'limit', side: slot.side, amount: slot.amount, price } })
        pending.push(p.catch(() => {}))
        slot.id = (await p).order?.id ?? null
      } catch (err) {
        if (!(err instanceof DemoRejection)) throw err
        rejected++
      } finally {
        slot.isPlacing = false
      }
    }
    const replace = async () => {
      const open = new Set(await runtime.read((e) => [...e.openOrders(spot), ...e.openOrders(futures)].map((o) => o.id)))
      for (const slot of slots) if (!slot.isPlacing && (slot.id === null || !open.has(slot.id))) void place(slot)
    }

    const start = performance.now()
    let fed = 0
    for (const e of ticks) {
      if (e.kind === 'candle') continue
      const wait = runtime.ingest(e)
      if (wait !== undefined) await wait
      if (++fed % 5 === 0) await replace()
      if (fed >= PERSIST_TICKS) break
    }
    await Promise.all(pending)
    await runtime.barrier()
    const ms = performance.now() - start
    await runtime.stop()
    const fills = (await database.db.select({ n: count() }).from(schema.demoFills))[0]?.n ?? 0
    const events = (await database.db.select({ n: count() }).from(schema.demoEvents))[0]?.n ?? 0
    return { fills, events, ms, updates: fed, rejected }
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const run = async () => {
  const t0 = performance.now()
  const series = [loadSeries('binance_BTC-USDT_1m.csv'), loadSeries('binance_ETH-USDT_1m.csv')] as const
  const candles = Math.min(CANDLES, Math.floor((series[0].prices.length - SYMBOLS * 97 * 4) / 4))
  const steps = candles * 4
  const loadMs = performance.now() - t0

  const markets: DemoMarketDef[] = []
  const spotBalances: Record<string, string> = { USDT: '1000000000' }
  for (let k = 0; k < SYMBOLS; k++) {
    const isBtc = k % 2 === 0
    const base = `${isBtc ? 'B' : 'E'}${k}`
    const linear = k >= SYMBOLS / 2
    markets.push({
      symbol: linear ? `${base}/USDT:USDT` : `${base}/USDT`,
      kind: linear ? 'linear' : 'spot',
      base,
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: isBtc ? '0.00001' : '0.0001',
      minNotional: '5',
    })
    if (!linear) spotBalances[base] = '1000000'
  }
  const engine: DemoEngine = createDemoEngine({ seed: 'bench-demo', markets })
  let time = 1_618_951_320_000
  engine.execute({ type: 'createAccount', accountId: 'spot', kind: 'spot', balances: spotBalances, time })
  engine.execute({ type: 'createAccount', accountId: 'cross', kind: 'futures', balances: { USDT: '1000000000' }, time })
  engine.execute({ type: 'createAccount', accountId: 'iso', kind: 'futures', balances: { USDT: '1000000000' }, time })
  for (const m of markets.slice(SYMBOLS / 2)) engine.execute({ type: 'setMarginMode', accountId: 'iso', symbol: m.symbol, marginMode: 'isolated', time })

  // Symbol k replays its series from candle k × 97 on.
  const offset = (k: number) => k * 97 * 4
  const seriesOf = (k: number) => series[k % 2] as Series
  const u: DemoPriceUpdate = { symbol: '', price: '', amount: '', time }
  const feed = (step: number) => {
    let events = 0
    for (let k = 0; k < SYMBOLS; k++) {
      const s = seriesOf(k)
      const i = offset(k) + step
      u.symbol = (markets[k] as DemoMarketDef).symbol
      u.price = s.prices[i] as string
      u.amount = s.amounts[i] as string
      u.time = time
      const out = engine.update(u)
      if (out.length > 0) events += handle(out)
    }
    return events
  }

  type Slot = { k: number; kind: 'limit' | 'stop'; side: 'buy' | 'sell'; distance: string; account: string }
  const slots = new Map<string, Slot>()
  let placements = 0
  let placeMs = 0
  const lastPrice: string[] = markets.map(() => '0')
  const place = (slot: Slot) => {
    const m = markets[slot.k] as DemoMarketDef
    const price = new Decimal(lastPrice[slot.k] as string)
    // Limits rest on their own side; stops wait on the far side (sell stops below, buy stops above).
    const below = (slot.side === 'buy') === (slot.kind === 'limit')
    const at = toDecimalString(price.mul(below ? Decimal.sub(1, slot.distance) : Decimal.add(1, slot.distance)).toDecimalPlaces(2))
    const amount = slot.k % 2 === 0 ? '0.001' : '0.01'
    const order: PlaceOrderInput =
      slot.kind === 'limit'
        ? { accountId: slot.account, symbol: m.symbol, type: 'limit', side: slot.side, amount, price: at }
        : { accountId: slot.account, symbol: m.symbol, type: 'stop_market', side: slot.side, amount, stopPrice: at }
    const t = performance.now()
    try {
      const r = engine.execute({ type: 'placeOrder', order, time })
      placeMs += performance.now() - t
      placements++
      for (const e of r.events) if (e.type === 'fill') fills++
      // An order that filled at once (the price moved since) is placed again after the next update.
      if (r.order?.status === 'open') slots.set(r.order.id, slot)
      else pending.push(slot)
    } catch (err) {
      placeMs += performance.now() - t
      if (!(err instanceof DemoRejection)) throw err
      rejected++
      pending.push(slot)
    }
  }
  let pending: Slot[] = []
  let rejected = 0
  let fills = 0
  const handle = (events: readonly DemoEvent[]) => {
    for (const e of events) {
      if (e.type === 'fill') fills++
      else if (e.type === 'order' && e.order.status !== 'open') {
        const slot = slots.get(e.order.id)
        if (slot !== undefined) {
          slots.delete(e.order.id)
          pending.push(slot)
        }
      }
    }
    return events.length
  }

  // Prices for step 0, then the 10,000 resting orders.
  feed(0)
  for (let k = 0; k < SYMBOLS; k++) lastPrice[k] = seriesOf(k).prices[offset(k)] as string
  const accountFor = (k: number, j: number) => (k < SYMBOLS / 2 ? 'spot' : j % 2 === 0 ? 'cross' : 'iso')
  const initial: Slot[] = []
  for (let k = 0; k < SYMBOLS; k++) {
    for (let j = 0; j < 40; j++) {
      const distance = toDecimalString(new Decimal(j + 1).mul('0.001'))
      initial.push({ k, kind: 'limit', side: 'buy', distance, account: accountFor(k, j) }, { k, kind: 'limit', side: 'sell', distance, account: accountFor(k, j + 1) })
    }
    for (let j = 0; j < 10; j++) {
      const distance = toDecimalString(new Decimal(j + 1).mul('0.004'))
      initial.push({ k, kind: 'stop', side: 'sell', distance, account: accountFor(k, j) }, { k, kind: 'stop', side: 'buy', distance, account: accountFor(k, j + 1) })
    }
  }
  for (const slot of initial) place(slot)
  const initialPlacements = placements
  const initialPlaceMs = placeMs
  const resting = engine.openOrders('spot').length + engine.openOrders('cross').length + engine.openOrders('iso').length

  // The run: every update of every symbol, re-placing what filled after each round.
  pending = []
  placements = 0
  placeMs = 0
  let updates = 0
  let events = 0
  const runStart = performance.now()
  for (let step = 1; step < steps; step++) {
    time += 15_000
    events += feed(step)
    updates += SYMBOLS
    if (pending.length > 0) {
      const todo = pending
      pending = []
      for (const slot of todo) {
        lastPrice[slot.k] = seriesOf(slot.k).prices[offset(slot.k) + step] as string
        place(slot)
      }
    }
  }
  const runMs = performance.now() - runStart
  const updateOnlyMs = runMs - placeMs
  const replaced = placements

  // Placement throughput on its own: resting limit orders far from the market, then cancelled (untimed).
  const extraIds: [string, string][] = []
  let extraMs = 0
  for (let n = 0; n < EXTRA_PLACEMENTS; n++) {
    const k = n % SYMBOLS
    const m = markets[k] as DemoMarketDef
    const price = toDecimalString(new Decimal(seriesOf(k).prices[offset(k) + steps - 1] as string).mul('0.5').toDecimalPlaces(2))
    const account = k < SYMBOLS / 2 ? 'spot' : n % 2 === 0 ? 'cross' : 'iso'
    const t = performance.now()
    const r = engine.execute({ type: 'placeOrder', order: { accountId: account, symbol: m.symbol, type: 'limit', side: 'buy', amount: k % 2 === 0 ? '0.001' : '0.01', price }, time })
    extraMs += performance.now() - t
    extraIds.push([account, r.order?.id as string])
  }
  for (const [accountId, id] of extraIds) engine.execute({ type: 'cancelOrder', accountId, id, time })

  const mem = process.memoryUsage()
  const rssMB = r1(mem.rss / 1_048_576)
  const heapMB = r1(mem.heapUsed / 1_048_576)
  const updatesPerSec = Math.round(updates / (runMs / 1000))
  const updatesOnlyPerSec = Math.round(updates / (updateOnlyMs / 1000))
  const ordersPerSec = Math.round((initialPlacements + replaced + EXTRA_PLACEMENTS) / ((initialPlaceMs + placeMs + extraMs) / 1000))
  const out = process.stdout
  out.write(`demo engine: ${SYMBOLS} symbols (50 spot, 50 linear), ${candles} candles × 4 steps each, data loaded in ${r1(loadMs)} ms\n`)
  out.write(`  resting orders: ${resting} (placed ${initialPlacements} in ${r1(initialPlaceMs)} ms)\n`)
  out.write(`  price updates: ${updates} in ${r1(runMs)} ms → ${updatesPerSec}/s including re-placements (${updatesOnlyPerSec}/s for the updates alone); target ≥ ${TARGET_UPDATES_PER_SEC}/s\n`)
  out.write(`  fills: ${fills} (${r1((fills / updates) * 1000)} per 1,000 updates), events: ${events}, re-placed orders: ${replaced}, rejected re-placements: ${rejected}\n`)
  out.write(`  order placements: ${ordersPerSec}/s (${initialPlacements + replaced + EXTRA_PLACEMENTS} placements incl. ${EXTRA_PLACEMENTS} resting far from the market)\n`)
  out.write(`  memory: rss ${rssMB} MB, heap used ${heapMB} MB\n`)

  const persisted = await persistedFills()
  const persistedFillsPerSec = Math.round(persisted.fills / (persisted.ms / 1000))
  const persistedEventsPerSec = Math.round(persisted.events / (persisted.ms / 1000))
  out.write(
    `demo with persistence (embedded PGlite, bundled replay, 4 markets, 320 resting orders): ${persisted.updates} updates, ${persisted.fills} fills and ${persisted.events} events committed in ${r1(persisted.ms)} ms\n`,
  )
  out.write(`  persisted fills: ${persistedFillsPerSec}/s, persisted events: ${persistedEventsPerSec}/s, rejected re-placements: ${persisted.rejected}\n`)
  out.write(
    `${JSON.stringify({
      name: 'demo',
      updatesPerSec,
      ordersPerSec,
      persistedFillsPerSec,
      rssMB,
      updatesOnlyPerSec,
      updates,
      fills,
      restingOrders: resting,
      symbols: SYMBOLS,
      persistedFills: persisted.fills,
      persistedEventsPerSec,
      persistedUpdates: persisted.updates,
      meetsTarget: updatesPerSec >= TARGET_UPDATES_PER_SEC,
      note: 'rssMB is measured after the engine-only run, before the persisted run opens PGlite',
    })}\n`,
  )
}
