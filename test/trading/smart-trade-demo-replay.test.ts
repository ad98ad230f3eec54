import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asc, eq } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../support/databases.js'
import { schema } from '../../src/db/index.js'
import { createDemoPriceSource, createDemoRuntime, createDemoTradingVenue, demoMarketsFor, type DemoRuntime } from '../../src/demo/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { AppError } from '../../src/lib/errors.js'
import { newId } from '../../src/lib/ids.js'
import { bundledMarketDataDir, expandCandle, parseCandleCsv, timeframeMs, type Candle } from '../../src/market/index.js'
import { createAlerts, createAuditChain } from '../../src/monitoring/index.js'
import { createOrderJournal } from '../../src/trading/journal/index.js'
import { signalBotMachine, smartTradeMachine } from '../../src/trading/machines/index.js'
import { createRiskGuard } from '../../src/trading/risk/index.js'
import { createBotRuntime, type BotRuntime, type Timers } from '../../src/trading/runtime/index.js'
import { smartTradeConfigSchema } from '../../src/trading/trading-api-types.js'
import type { VenueResolver } from '../../src/trading/trading-types.js'

/**
 * Smart Trade scenarios on the Demo exchange with replayed real data: Binance 1m candles of 16–20 May
 * 2021 from data/market (the 19 May crash included), expanded into trades by the market module and fed
 * to the demo engine, which matches the orders (its modelled book, fees, partial fills). The real
 * journal, risk guard, runtime and machines drive the trades; nothing is played by the test.
 */

const manualTimers: Timers = { setTimeout: () => 0, clearTimeout: () => {} }
const candlesOf = (file: string): Candle[] => parseCandleCsv(readFileSync(`${bundledMarketDataDir()}${file}`, 'utf8'), { source: file, timeframe: '1m' })
const at = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi)
const series: Record<string, Candle[]> = { 'BTC/USDT': candlesOf('binance_BTC-USDT_1m.csv'), 'ETH/USDT': candlesOf('binance_ETH-USDT_1m.csv') }

describe('smart trades on Demo over replayed real data (pglite)', () => {
  let database: TestDatabase
  let demo: DemoRuntime
  let runtime: BotRuntime
  const clock = createManualClock('2021-05-15T23:00:00Z')
  const spotAccount = newId()
  const futuresAccount = newId()
  const workspaceId = newId()
  let cursor = at(2021, 5, 15, 23)

  beforeAll(async () => {
    database = await openTestDatabase('pglite')
    const { db } = database
    demo = createDemoRuntime({ db, clock, seed: 'replay-scenarios', markets: demoMarketsFor(['BTC/USDT', 'ETH/USDT']) })
    await demo.start()
    await demo.execute({ type: 'createAccount', accountId: spotAccount, kind: 'spot', balances: { USDT: '100000' } })
    await demo.execute({ type: 'createAccount', accountId: futuresAccount, kind: 'futures', balances: { USDT: '100000' } })
    await db.insert(schema.workspaces).values({ id: workspaceId, name: 'replay', createdAt: clock.now() })
    const alerts = createAlerts({ db, clock })
    const venues: VenueResolver = async (_ws, ref) => {
      if (ref.kind === 'demo' && ref.id === spotAccount) return createDemoTradingVenue({ runtime: demo, accountId: spotAccount, kind: 'spot' })
      if (ref.kind === 'demo' && ref.id === futuresAccount) return createDemoTradingVenue({ runtime: demo, accountId: futuresAccount, kind: 'futures' })
      throw new AppError('NOT_FOUND', 'no such account')
    }
    runtime = createBotRuntime({
      db,
      clock,
      instanceId: 'replay',
      machines: { smart_trade: smartTradeMachine, signal_bot: signalBotMachine },
      journal: createOrderJournal({ db, clock, venues, alerts }),
      risk: createRiskGuard({ db, clock }),
      venues,
      prices: createDemoPriceSource(demo),
      alerts,
      audit: createAuditChain({ db, clock }),
      timers: manualTimers,
      // The replay moves the clock a market minute between ticks: leases outlast that.
      leaseMs: 600_000,
      heartbeatMs: 60_000,
    })
    await runtime.start()
  })
  afterAll(async () => {
    await runtime.stop()
    await demo.stop()
    await database.dispose()
  })

  /** Replays both symbols from the cursor up to `until` (or until `done`), polling the runtime each market minute. */
  const replayUntil = async (until: number, done: () => Promise<boolean>) => {
    const ticks = Object.entries(series)
      .flatMap(([symbol, candles]) => candles.filter((c) => c.time >= cursor && c.time < until).flatMap((c) => expandCandle(c, timeframeMs['1m'], 2).map((t) => ({ symbol, ...t }))))
      .sort((a, b) => a.time - b.time)
    let lastPoll = cursor
    for (const t of ticks) {
      if (t.time > clock.now().getTime()) clock.set(new Date(t.time))
      const wait = demo.ingest({ symbol: t.symbol, price: t.price, amount: t.amount, time: t.time })
      if (wait !== undefined) await wait
      if (t.time - lastPoll >= 60_000) {
        lastPoll = t.time
        await runtime.tick()
        await runtime.idle()
        if (await done()) break
      }
    }
    cursor = Math.max(cursor, clock.now().getTime() + 1)
  }

  /** Jumps the market to five minutes before `time` (the engine's clock only moves forward) and replays those minutes. */
  const skipTo = async (time: number) => {
    cursor = Math.max(cursor, time - 300_000)
    await replayUntil(time, async () => false)
  }

  const createTrade = async (account: string, input: unknown) => {
    const config = smartTradeConfigSchema.parse(input)
    const id = newId()
    const now = clock.now()
    await database.db.insert(schema.bots).values({ id, workspaceId, kind: 'smart_trade', name: 'replay', accountKind: 'demo', accountId: account, config, state: {}, status: 'draft', createdAt: now, updatedAt: now })
    await runtime.startBot(id)
    await runtime.idle()
    return id
  }
  const botRow = async (id: string) => (await database.db.select().from(schema.bots).where(eq(schema.bots.id, id)))[0]
  const finished = (id: string) => async () => (await botRow(id))?.status !== 'running'
  const intentsOf = async (id: string) => Object.fromEntries((await database.db.select().from(schema.orderIntents).where(eq(schema.orderIntents.botId, id)).orderBy(asc(schema.orderIntents.createdAt))).map((i) => [i.intentKey, i]))
  const live = async (id: string) => runtime.liveOf((await botRow(id)) ?? { kind: 'smart_trade', state: {} }) as Record<string, unknown>

  it('TP ladder: three targets on the 16 May rally fill in turn and the trade finishes in profit', async () => {
    await skipTo(at(2021, 5, 16, 0, 5)) // prices known before the entry
    const id = await createTrade(spotAccount, {
      symbol: 'BTC/USDT',
      direction: 'long',
      amount: '0.1',
      entry: { type: 'market' },
      takeProfit: { targets: [{ percent: '0.5', sharePercent: '40' }, { percent: '1', sharePercent: '30' }, { percent: '1.5', sharePercent: '30' }] },
      stopLoss: { percent: '5' },
    })
    await replayUntil(at(2021, 5, 16, 23), finished(id))
    const intents = await intentsOf(id)
    expect(intents.entry?.state).toBe('filled')
    for (const tp of ['tp1', 'tp2', 'tp3']) expect(intents[tp]?.state).toBe('filled')
    // 40 % + 30 % + 30 % of what the entry bought (less the fee taken in BTC) add up exactly.
    const sold = ['tp1', 'tp2', 'tp3'].reduce((s, k) => s + Number(intents[k]?.filled), 0)
    expect(sold).toBeCloseTo(Number(intents.entry?.filled) - Number(intents.entry?.fee ?? 0), 8)
    expect(await botRow(id)).toMatchObject({ status: 'finished' })
    expect(await live(id)).toMatchObject({ phase: 'finished', exitReason: 'take_profit' })
    expect(Number((await live(id)).realizedPnl)).toBeGreaterThan(0)
  })

  it('trailing stop: a long opened before the 19 May crash is taken out by its trailing stop, above the fixed level it started at', async () => {
    await skipTo(at(2021, 5, 19, 11))
    const id = await createTrade(spotAccount, { symbol: 'BTC/USDT', direction: 'long', amount: '0.1', entry: { type: 'market' }, stopLoss: { trailingPercent: '2' } })
    const start = await live(id)
    await replayUntil(at(2021, 5, 19, 20), finished(id))
    const end = await live(id)
    expect(end).toMatchObject({ phase: 'finished', exitReason: 'stop_loss', stopPlacement: 'platform' })
    const intents = await intentsOf(id)
    // Spot: the platform triggered the stop and sold at market (no stop order rests on a spot account).
    expect(intents.close).toMatchObject({ state: 'filled', side: 'sell', type: 'market', purpose: 'stop_loss' })
    expect(Number(end.stopPrice)).toBeGreaterThanOrEqual(Number(start.stopPrice ?? 0))
  })

  it('breakeven on Demo Futures: after the first target the stop resting on the exchange moves to the entry price', async () => {
    await skipTo(at(2021, 5, 20, 0))
    const id = await createTrade(futuresAccount, {
      symbol: 'ETH/USDT:USDT',
      direction: 'long',
      amount: '1',
      entry: { type: 'market' },
      takeProfit: { targets: [{ percent: '0.3', sharePercent: '50' }, { percent: '8', sharePercent: '50' }] },
      stopLoss: { percent: '4', moveToBreakevenAfterFirstTarget: true },
    })
    const done = async () => (await intentsOf(id))['sl.2'] !== undefined && (await intentsOf(id))['sl.2']?.state !== 'intent'
    await replayUntil(at(2021, 5, 20, 23), async () => (await finished(id)()) || (await done()))
    const intents = await intentsOf(id)
    expect(intents.tp1?.state).toBe('filled')
    expect(intents.sl).toMatchObject({ type: 'stop_market', reduceOnly: true, state: 'cancelled' })
    const entry = Number(intents.entry?.average)
    expect(Number(intents['sl.2']?.stopPrice)).toBeCloseTo(entry, 1)
    expect(await live(id)).toMatchObject({ stopPlacement: 'exchange' })
  })

  it('timeout: a limit entry far below the market is cancelled when its hour is up, leaving nothing open', async () => {
    const id = await createTrade(spotAccount, { symbol: 'BTC/USDT', direction: 'long', amount: '0.01', entry: { type: 'limit', price: '20000' }, timeoutSeconds: 3600 })
    const startedAt = clock.now().getTime()
    await replayUntil(startedAt + 3_700_000, finished(id))
    expect(await botRow(id)).toMatchObject({ status: 'finished' })
    expect((await intentsOf(id)).entry?.state).toBe('cancelled')
    expect(await live(id)).toMatchObject({ phase: 'cancelled' })
    expect(await demo.read((e) => e.openOrders(spotAccount))).toEqual([])
  })
})
