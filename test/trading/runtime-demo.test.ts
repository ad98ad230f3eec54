import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asc, eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { schema } from '../../src/db/index.js'
import { createDemoPriceSource, createDemoRuntime, demoMarketsFor, type DemoRuntime } from '../../src/demo/index.js'
import { createDemoTradingVenue } from '../../src/demo/trading-venue.js'
import { createManualClock } from '../../src/lib/clock.js'
import { AppError } from '../../src/lib/errors.js'
import { newId } from '../../src/lib/ids.js'
import { createAlerts, createAuditChain } from '../../src/monitoring/index.js'
import { createOrderJournal } from '../../src/trading/journal/index.js'
import { signalBotMachine, smartTradeMachine } from '../../src/trading/machines/index.js'
import { createRiskGuard } from '../../src/trading/risk/index.js'
import { createBotRuntime, type BotRuntime, type Timers } from '../../src/trading/runtime/index.js'
import type { SmartTradeConfig } from '../../src/trading/trading-api-types.js'
import type { VenueResolver } from '../../src/trading/trading-types.js'

/** Timers that never fire: the test moves the clock and calls tick(). */
const manualTimers: Timers = { setTimeout: () => 0, clearTimeout: () => {} }

describe.each(backends)('bot runtime driving the demo exchange on %s', (kind) => {
  let database: TestDatabase
  let demo: DemoRuntime
  const clock = createManualClock('2026-12-04T10:00:00Z')
  const accountId = newId()
  const runtimes: BotRuntime[] = []

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    // No feed: prices come only from `ingest`, so the test decides how the market moves.
    demo = createDemoRuntime({ db: database.db, clock, seed: 'runtime-demo', markets: demoMarketsFor(['BTC/USDT']) })
    await demo.start()
    await demo.execute({ type: 'createAccount', accountId, kind: 'spot', balances: { USDT: '10000' } })
  })
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop()
    await demo.stop()
    await database.dispose()
  })

  /** The market trades at `price` a second later. */
  const marketAt = async (price: string) => {
    clock.advance(1_000)
    const wait = demo.ingest({ symbol: 'BTC/USDT', price, time: clock.now().getTime() })
    if (wait !== undefined) await wait
  }

  const runtime = (instanceId: string) => {
    const { db } = database
    const alerts = createAlerts({ db, clock })
    const venues: VenueResolver = async (_workspaceId, ref) => {
      if (ref.kind !== 'demo' || ref.id !== accountId) throw new AppError('NOT_FOUND', `demo account "${ref.id}" not found in this workspace`)
      return createDemoTradingVenue({ runtime: demo, accountId, kind: 'spot' })
    }
    const rt = createBotRuntime({
      db,
      clock,
      instanceId,
      machines: { smart_trade: smartTradeMachine, signal_bot: signalBotMachine },
      journal: createOrderJournal({ db, clock, venues, alerts }),
      risk: createRiskGuard({ db, clock }),
      venues,
      prices: createDemoPriceSource(demo),
      alerts,
      audit: createAuditChain({ db, clock }),
      timers: manualTimers,
    })
    runtimes.push(rt)
    return rt
  }

  /** Past one poll interval: open orders are read back from the demo exchange and fed to the bots. */
  const poll = async (rt: BotRuntime) => {
    clock.advance(2_000)
    await rt.tick()
    await rt.idle()
  }

  it('takes a smart trade from its entry to its first target as prices move, and to its last after a restart', async () => {
    const workspaceId = newId()
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'desk', createdAt: clock.now() })
    const config: SmartTradeConfig = {
      symbol: 'BTC/USDT',
      direction: 'long',
      amount: '0.1',
      // A marketable limit entry: it fills at once, and its price tells the machine the market quotes in
      // cents (a market entry gives it no price to learn that from before the targets are placed).
      entry: { type: 'limit', price: '20050.50' },
      takeProfit: { targets: [{ percent: '1', sharePercent: '50' }, { percent: '2', sharePercent: '50' }] },
      stopLoss: { percent: '5' },
    }
    const botId = newId()
    await database.db.insert(schema.bots).values({ id: botId, workspaceId, kind: 'smart_trade', name: 'Long BTC', accountKind: 'demo', accountId, config, state: {}, status: 'draft', createdAt: clock.now(), updatedAt: clock.now() })
    const row = async () => {
      const [r] = await database.db.select().from(schema.bots).where(eq(schema.bots.id, botId))
      if (!r) throw new Error('bot gone')
      return r
    }
    const intents = async () =>
      Object.fromEntries((await database.db.select().from(schema.orderIntents).where(eq(schema.orderIntents.botId, botId)).orderBy(asc(schema.orderIntents.createdAt))).map((i) => [i.intentKey, i]))

    await marketAt('20000')
    const first = runtime(`demo-1-${kind}`)
    await first.start()
    expect(await first.startBot(botId)).toMatchObject({ status: 'running' })
    await first.idle()

    // The entry filled at once; the two targets rest on the demo book as limit sells.
    let now = await intents()
    expect(now.entry).toMatchObject({ state: 'filled', side: 'buy', type: 'limit' })
    expect(now.tp1).toMatchObject({ state: 'acknowledged', side: 'sell', type: 'limit' })
    expect(now.tp2).toMatchObject({ state: 'acknowledged', side: 'sell', type: 'limit' })
    const tp1Price = Number(now.tp1?.price)
    const tp2Price = Number(now.tp2?.price)
    expect(tp1Price).toBeGreaterThan(20_000)
    expect(tp2Price).toBeGreaterThan(tp1Price)

    // Up through the first target, not the second. The demo book fills a resting order as volume
    // trades through its price, so that may take a few updates.
    await marketAt('20100')
    for (let i = 0; i < 10 && (await intents()).tp1?.state !== 'filled'; i++) {
      await marketAt(String(Math.ceil(tp1Price) + 5 + i))
      await poll(first)
    }
    now = await intents()
    expect(now.tp1?.state).toBe('filled')
    expect(now.tp2?.state).toBe('acknowledged')
    const live = first.liveOf(await row()) as { phase: string; targets: { key: string; status: string }[] }
    expect(live.phase).toBe('open')
    expect(live.targets.map((t) => t.key)).toEqual(['tp1', 'tp2'])
    expect((await row()).status).toBe('running')

    // A restart: the next runtime resumes the trade from its stored state and finishes it at the second target.
    await first.stop()
    const second = runtime(`demo-2-${kind}`)
    await second.start()
    await second.idle()
    expect(second.botIds()).toContain(botId)
    for (let i = 0; i < 10 && (await row()).status === 'running'; i++) {
      await marketAt(String(Math.ceil(tp2Price) + 5 + i))
      await poll(second)
    }
    expect(await row()).toMatchObject({ status: 'finished' })
    now = await intents()
    expect(Object.keys(now).sort()).toEqual(['entry', 'tp1', 'tp2'])
    expect(now.tp2?.state).toBe('filled')

    // Exactly one demo order per intent, whatever was repeated across the restart.
    await demo.barrier()
    const ended = await database.db.select().from(schema.demoOrders).where(eq(schema.demoOrders.accountId, accountId))
    const open = await demo.read((e) => e.openOrders(accountId))
    const sent = [...ended.map((o) => o.clientOrderId), ...open.map((o) => o.clientOrderId)]
    for (const intent of Object.values(now)) expect(sent.filter((id) => id === intent.clientOrderId)).toHaveLength(1)
    expect(sent).toHaveLength(3)
  })
})
