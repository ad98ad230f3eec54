import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { rowsOf, schema, type Db } from '../src/db/index.js'
import { createDemoPriceSource, createDemoRuntime, createDemoService, createDemoTradingVenue, type DemoRuntime } from '../src/demo/index.js'
import type { DemoMarketDef } from '../src/demo/engine/index.js'
import { systemClock } from '../src/lib/clock.js'
import { AppError } from '../src/lib/errors.js'
import { newId } from '../src/lib/ids.js'
import { expandCandle, type Candle } from '../src/market/index.js'
import { createAlerts, createAuditChain } from '../src/monitoring/index.js'
import { createOrderJournal } from '../src/trading/journal/index.js'
import { signalBotMachine, smartTradeMachine } from '../src/trading/machines/index.js'
import { createRiskGuard } from '../src/trading/risk/index.js'
import { createBotRuntime, type RuntimeState } from '../src/trading/runtime/index.js'
import { signalBotConfigSchema } from '../src/trading/trading-api-types.js'
import type { BotEvent, BotMachine, MachineContext, PriceSource } from '../src/trading/trading-types.js'
import { createVenueResolver } from '../src/trading/venue-resolver.js'
import { createAnchors, indicatorFor, loadSeries, marketDefs, SYMBOLS } from './bots-replay.js'
import { benchLogger, createHistogram, openDumped, r1, rssMB, seedWorkspace, sleep, type Histogram } from './bots-env.js'

/**
 * Part 1 of `npm run bench -- bots`, run in a worker process of its own per size (so its RSS is its own):
 * N indicator signal bots on 100 demo accounts and 100 demo markets, driven by a paced replay.
 *
 * Markets: as bench/demo.ts, 50 spot and 50 linear perpetuals, each a copy of the real Binance 1-minute
 * BTC/USDT or ETH/USDT series in data/market started at a different candle. Replay in real time: each
 * 1-minute candle is 60 price updates along its path (src/market expandCandle: open → low → high → close,
 * or high before low when it fell), one update per symbol per second, the 100 symbols spread evenly over
 * the second (one `ingest` every 10 ms). A symbol's candle closes with its 60th update; symbols are
 * phase-shifted, so in the spread phase the closes spread over the minute. The burst phase is a minute
 * boundary: every symbol's last price and candle close at once.
 *
 * Prices reach the bots the real way (demo runtime `ingest` → engine → `onPrice` → the demo PriceSource
 * → the runtime's price hub → each bot's queue). Closed candles do not: the demo runtime builds candles
 * only from a market feed, and this bench drives `ingest` itself, so the PriceSource handed to the
 * runtime is the demo one with `subscribeCandles` served by the bench from the same replay.
 *
 * Bots: written to the database as running signal bots that had started before, so the runtime claims
 * and resumes them as after an api restart (no first transition to write for each). Warm-up: 27 closes
 * per symbol, fed unpaced, so every indicator is stable. The machine wrapper ignores the signals of this
 * phase (the runtime still logs them): otherwise the warm-up alone would place thousands of orders. From
 * the measured phases on, the real machine decides everything.
 *
 * Latency: the signal-bot machine given to createBotRuntime is wrapped; every step caused by market data
 * is timed from the moment its update was handed to the runtime (just before `ingest`; the candle is
 * handed right after it) to the end of the machine's step — the order decision (its commands are carried
 * out after that). Price steps and indicator-signal steps are counted together and apart.
 */

const ACCOUNTS_PER_KIND = 50
const UPDATES_PER_CANDLE = 60
const WARMUP_CANDLES = 27
const BURSTS = 3
type CandleListener = Parameters<PriceSource['subscribeCandles']>[3]

export type IndicatorResult = Awaited<ReturnType<typeof runIndicators>>

export const runIndicators = async (bots: number, apiDump: string, seconds: number) => {
  const started = performance.now()
  const log = (line: string) => process.stderr.write(`  [${bots} bots, ${r1((performance.now() - started) / 1000)} s] ${line}\n`)
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-bots-'))
  const database = await openDumped(apiDump, dir, 'db')
  const { db } = database
  const clock = systemClock
  const { logger, counts: logCounts } = benchLogger()
  try {
    const markets = marketDefs()
    const series = [loadSeries('binance_BTC-USDT_1m.csv'), loadSeries('binance_ETH-USDT_1m.csv')] as const
    const candleOf = (k: number, i: number): Candle => {
      const s = series[k % 2] as Candle[]
      return s[(Math.floor(k / 2) * 113 + i) % s.length] as Candle
    }
    /** A candle's 60 updates (the expansion's first point is the open, which the previous close stands for). */
    const pathOf = (k: number, i: number): string[] => expandCandle(candleOf(k, i), 60_000, UPDATES_PER_CANDLE / 3).slice(1).map((t) => t.price)

    const setupStart = performance.now()
    const audit = createAuditChain({ db, clock })
    const alerts = createAlerts({ db, clock })
    const demo: DemoRuntime = createDemoRuntime({ db, clock, seed: 'bench-bots', markets, logger, alerts })
    await demo.start()
    const demoService = createDemoService({ runtime: demo, clock, audit })

    // 100 demo accounts in 5 workspaces (the demo's limit is 20 per workspace): half spot, half futures.
    type Account = { id: string; workspaceId: string; userId: string }
    const spot: Account[] = []
    const futures: Account[] = []
    for (let w = 0; w < (2 * ACCOUNTS_PER_KIND) / 20; w++) {
      const who = await seedWorkspace(db, clock, `bench-demo-${w}`)
      for (let a = 0; a < 20; a++) {
        const kind = a % 2 === 0 ? 'spot' : 'futures'
        const view = await demoService.createAccount({ userId: who.userId }, who.workspaceId, { name: `bench ${kind} ${w}.${a}`, kind, initialBalance: '1000000' })
        ;(kind === 'spot' ? spot : futures).push({ id: view.id, ...who })
      }
    }

    // Prices the real way; candles served here from the same replay (see the header).
    const demoPrices = createDemoPriceSource(demo)
    const candleListeners = new Map<string, Set<CandleListener>>()
    const prices: PriceSource = {
      subscribe: (venue, symbol, listener) => demoPrices.subscribe(venue, symbol, listener),
      last: (venue, symbol) => demoPrices.last(venue, symbol),
      subscribeCandles: (venue, symbol, timeframe, listener) => {
        if (!demoPrices.handles(venue) || timeframe !== '1m') return () => {}
        const set = candleListeners.get(symbol) ?? new Set()
        candleListeners.set(symbol, set)
        set.add(listener)
        return () => void set.delete(listener)
      },
    }

    const venues = createVenueResolver({
      db,
      demo: async (workspaceId, accountId) => {
        const row = await demo.store.accountIn(workspaceId, accountId)
        return row ? createDemoTradingVenue({ runtime: demo, accountId: row.id, kind: row.kind }) : null
      },
      execute: async () => {
        throw new AppError('UNAVAILABLE', 'no signer in this benchmark part')
      },
    })

    // The timing decorator: the machine's step is the order decision.
    const anchors = createAnchors()
    let measuring: 'warm-up' | 'off' | 'spread' | 'burst' = 'off'
    const spreadSteps = { all: createHistogram(), price: createHistogram(), signal: createHistogram() }
    const burstSteps = { all: createHistogram(), price: createHistogram(), signal: createHistogram() }
    let unmatched = 0
    let decisionsWithOrders = 0
    const onStep = (event: BotEvent, placed: boolean) => {
      if ((measuring !== 'spread' && measuring !== 'burst') || (event.type !== 'price' && event.type !== 'signal')) return
      const symbol = event.type === 'price' ? event.symbol : event.signal.symbol
      const anchor = anchors.get(symbol, event.time)
      if (anchor === undefined) {
        unmatched++
        return
      }
      const done = performance.now()
      anchor.lastDone = Math.max(anchor.lastDone, done)
      const h = anchor.phase === 'spread' ? spreadSteps : burstSteps
      h.all.record(done - anchor.wall)
      h[event.type].record(done - anchor.wall)
      if (placed) decisionsWithOrders++
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the runtime's machine table is untyped per kind
    const timed: BotMachine<any, any> = {
      ...signalBotMachine,
      step: (state, event, ctx) => {
        if (measuring === 'warm-up' && event.type === 'signal') return { state, commands: [] }
        const t = signalBotMachine.step(state, event, ctx)
        onStep(event, t.commands.some((c) => c.type === 'place'))
        return t
      },
    }

    const runtime = createBotRuntime({
      db,
      clock,
      instanceId: `bench-bots-${process.pid}`,
      machines: { smart_trade: smartTradeMachine, signal_bot: timed },
      journal: createOrderJournal({ db, clock, venues, alerts, logger }),
      risk: createRiskGuard({ db, clock }),
      venues,
      prices,
      alerts,
      audit,
      logger,
    })

    // The bots: symbol k gets every 100th bot; its account rotates over the 50 of its kind.
    const now = clock.now()
    let rows: (typeof schema.bots.$inferInsert)[] = []
    const flush = async () => {
      if (rows.length > 0) await db.insert(schema.bots).values(rows)
      rows = []
    }
    for (let i = 0; i < bots; i++) {
      const k = i % SYMBOLS
      const group = Math.floor(i / SYMBOLS)
      const market = markets[k] as DemoMarketDef
      const account = (market.kind === 'spot' ? spot : futures)[(k + group) % ACCOUNTS_PER_KIND] as Account
      const config = signalBotConfigSchema.parse({
        symbols: [market.symbol],
        sizing: { kind: 'base', amount: k % 2 === 0 ? '0.01' : '0.1' }, // a whole number of lot steps after the 0.1 % fee
        sides: 'long',
        source: { kind: 'indicator', indicator: indicatorFor(group), timeframe: '1m' },
      })
      // Started before (as after an api restart): the runtime resumes them from their stored state.
      // A signal bot's start reads only the market kind; the cast keeps this bench off the context's other fields.
      const machine = signalBotMachine.start(config, { market: market.kind === 'spot' ? 'spot' : 'linear', supportsStopOrders: true, now: now.getTime(), lastPrice: () => null } as unknown as MachineContext).state
      const state: RuntimeState = { runtime: 1, machine, wakes: [], orders: {}, outbox: [], lastStopLossAt: null }
      rows.push({ id: newId(), workspaceId: account.workspaceId, kind: 'signal_bot', name: `bench ${i}`, accountKind: 'demo', accountId: account.id, config, state, status: 'running', version: 1, createdBy: account.userId, createdAt: now, updatedAt: now, startedAt: now })
      if (rows.length === 500) await flush()
    }
    await flush()
    ;(globalThis as { gc?: () => void }).gc?.()
    const baselineRssMB = rssMB()
    const baselineHeapMB = r1(process.memoryUsage().heapUsed / 1_048_576)
    await runtime.start()
    // start() claims until a batch comes back short; one the claim timer took at the same time is picked up on its next round.
    for (let waited = 0; runtime.status().bots < bots && waited < 20_000; waited += 250) await sleep(250)
    await runtime.idle()
    const attached = runtime.status().bots
    const setupMs = performance.now() - setupStart
    log(`${attached} bots running after ${r1(setupMs / 1000)} s (demo accounts, bot rows, the runtime claiming and resuming them)`)

    // Per symbol: the candle being replayed, its path, and the update within it.
    const candleIdx = Array.from({ length: SYMBOLS }, () => WARMUP_CANDLES)
    const paths = Array.from({ length: SYMBOLS }, (_, k) => pathOf(k, WARMUP_CANDLES))
    const pos = Array.from({ length: SYMBOLS }, (_, k) => Math.floor((k * UPDATES_PER_CANDLE) / SYMBOLS))
    const emitCandle = (symbol: string, close: string, time: number) => {
      const set = candleListeners.get(symbol)
      if (set !== undefined) for (const l of set) l({ symbol, close: Number(close), time })
    }
    /** Hands one price of symbol k to the runtime (and the candle when it is a close). */
    const hand = (k: number, price: string, isClose: boolean, phase: 'spread' | 'burst' | null, wall: number): Promise<void> | undefined => {
      const { symbol } = markets[k] as DemoMarketDef
      const time = Date.now()
      if (phase !== null) anchors.set(symbol, time, wall, phase)
      const wait = demo.ingest({ symbol, price, time })
      if (isClose) emitCandle(symbol, price, time)
      return wait
    }
    /** The next update of symbol k; with `close`, its candle's close at once (a minute boundary). */
    const update = (k: number, phase: 'spread' | 'burst', wall: number, close = false): Promise<void> | undefined => {
      const path = paths[k] as string[]
      const at = close ? UPDATES_PER_CANDLE - 1 : (pos[k] as number)
      const isClose = at === UPDATES_PER_CANDLE - 1
      const wait = hand(k, path[at] as string, isClose, phase, wall)
      if (isClose) {
        candleIdx[k] = (candleIdx[k] as number) + 1
        paths[k] = pathOf(k, candleIdx[k] as number)
        pos[k] = 0
      } else pos[k] = at + 1
      return wait
    }

    // Warm-up: enough closed candles for every indicator to be stable (one close each, unpaced).
    const warmStart = performance.now()
    measuring = 'warm-up'
    for (let c = 0; c < WARMUP_CANDLES; c++) {
      for (let k = 0; k < SYMBOLS; k++) {
        const wait = hand(k, candleOf(k, c).close, true, null, 0)
        if (wait !== undefined) await wait
      }
      // Each round settles before the next, and timers get their turn: PGlite answers through
      // microtasks only, so a loop that never sleeps would starve the runtime's lease renewals.
      await runtime.idle()
      await sleep(1)
    }
    await runtime.idle()
    await demo.barrier()
    measuring = 'off'
    const warmupMs = performance.now() - warmStart
    ;(globalThis as { gc?: () => void }).gc?.()
    const rssAfterWarmupMB = rssMB()
    const memAfterWarmup = process.memoryUsage()
    const heapAfterWarmupMB = r1(memAfterWarmup.heapUsed / 1_048_576)
    /** Outside the JS heap: mostly PGlite's WebAssembly memory, which grows with the database's work and never shrinks. */
    const externalAfterWarmupMB = r1(memAfterWarmup.external / 1_048_576)
    log(`warm-up: ${WARMUP_CANDLES} candles per symbol in ${r1(warmupMs / 1000)} s; rss ${rssAfterWarmupMB} MB (heap ${heapAfterWarmupMB} MB, external ${externalAfterWarmupMB} MB; before the bots were attached: rss ${baselineRssMB} MB, heap ${baselineHeapMB} MB)`)
    const intentsBefore = await intentCount(db)

    // Spread: one update per symbol per second, evenly over the second.
    let peakRssMB = rssAfterWarmupMB
    const sampler = setInterval(() => (peakRssMB = Math.max(peakRssMB, rssMB())), 500)
    const lag = createHistogram()
    const intervalMs = 1000 / SYMBOLS
    const spreadMs = seconds * 1000
    measuring = 'spread'
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let j = 0
    for (;;) {
      const elapsed = performance.now() - t0
      if (elapsed >= spreadMs) break
      const due = Math.floor(elapsed / intervalMs)
      while (j <= due) {
        const wall = performance.now()
        lag.record(wall - (t0 + j * intervalMs))
        const wait = update(j % SYMBOLS, 'spread', wall)
        if (wait !== undefined) await wait
        j++
      }
      await sleep(t0 + j * intervalMs - performance.now())
    }
    await runtime.idle()
    const spreadUpdates = j
    const spreadSeconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / (spreadSeconds * 1000)) * 100)
    const perUpdateSpread = anchors.drain().map((a) => a.latency)

    // Bursts: every symbol's price and 1-minute candle close at once (a minute boundary).
    await sleep(1000)
    measuring = 'burst'
    for (let b = 0; b < BURSTS; b++) {
      const wall = performance.now()
      for (let k = 0; k < SYMBOLS; k++) {
        const wait = update(k, 'burst', wall, true)
        if (wait !== undefined) await wait
      }
      await runtime.idle()
      await sleep(1000)
    }
    measuring = 'off'
    clearInterval(sampler)
    const perUpdateBurst = anchors.drain().map((a) => a.latency)
    await demo.barrier()

    const intentsAfter = await intentCount(db)
    const byState = Object.fromEntries(rowsOf<{ state: string; n: string | number }>(await db.execute(sql`select state, count(*) as n from order_intents group by state`)).map((r) => [r.state, Number(r.n)]))
    const rejections = rowsOf<{ reason: string | null; n: string | number }>(await db.execute(sql`select reason, count(*) as n from order_intents where state = 'rejected' group by reason order by count(*) desc limit 3`)).map((r) => `${Number(r.n)}× ${(r.reason ?? '').slice(0, 160)}`)
    const signals = Number(rowsOf<{ n: string | number }>(await db.execute(sql`select count(*) as n from bot_signals where source = 'indicator'`))[0]?.n ?? 0)
    const botStates = Object.fromEntries(rowsOf<{ status: string; n: string | number }>(await db.execute(sql`select status, count(*) as n from bots group by status`)).map((r) => [r.status, Number(r.n)]))
    const perUpdate = (xs: number[]) => {
      const h = createHistogram()
      for (const x of xs) h.record(x)
      return h.summary()
    }
    const s = (h: Histogram) => h.summary()
    const result = {
      bots,
      attached,
      setupSeconds: r1(setupMs / 1000),
      baselineRssMB,
      baselineHeapMB,
      rssAfterWarmupMB,
      heapAfterWarmupMB,
      externalAfterWarmupMB,
      peakRssMB,
      spread: { seconds: r1(spreadSeconds), updates: spreadUpdates, updatesPerSec: Math.round(spreadUpdates / spreadSeconds), cpuPercent, steps: s(spreadSteps.all), priceSteps: s(spreadSteps.price), signalSteps: s(spreadSteps.signal), perUpdate: perUpdate(perUpdateSpread), feedLag: s(lag) },
      burst: { bursts: BURSTS, steps: s(burstSteps.all), priceSteps: s(burstSteps.price), signalSteps: s(burstSteps.signal), perUpdate: perUpdate(perUpdateBurst) },
      decisionsWithOrders,
      unmatchedSteps: unmatched,
      ordersPlaced: intentsAfter,
      ordersPlacedMeasured: intentsAfter - intentsBefore,
      intentsByState: byState,
      rejections,
      indicatorSignals: signals,
      botStatuses: botStates,
      warnings: logCounts,
    }
    await runtime.stop()
    await demo.stop()
    return result
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const intentCount = async (db: Db) => Number(rowsOf<{ n: string | number }>(await db.execute(sql`select count(*) as n from order_intents`))[0]?.n ?? 0)

