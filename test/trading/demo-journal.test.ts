import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { AppError } from '../../src/lib/errors.js'
import { armFaultPoints, FaultInjected, parseFaultPoints } from '../../src/lib/fault.js'
import { newId } from '../../src/lib/ids.js'
import { createAlerts, createAuditChain } from '../../src/monitoring/index.js'
import { createDemoRuntime, createDemoService, type DemoRuntime, type DemoService } from '../../src/demo/index.js'
import { createDemoTradingVenue } from '../../src/demo/trading-venue.js'
import type { DemoMarketDef } from '../../src/demo/engine/index.js'
import markets from '../../src/demo/engine/fixtures/markets.json' with { type: 'json' }
import { createOrderJournal, type OrderJournal } from '../../src/trading/journal/index.js'
import type { AccountRef, IntentView, PlaceOrder, TradingVenue } from '../../src/trading/trading-types.js'

// The engine's fixture markets: BTC/USDT spot (modelled book: ask = last + 0.01, bid = last − 0.01) and
// the BTC/USDT:USDT perpetual; demo fees 0.1 % maker and taker. Prices fed as "BTC/USDT" move both.
const SPOT = 'BTC/USDT'
const PERP = 'BTC/USDT:USDT'

/**
 * The order journal on the demo exchange (the real engine, prices ingested by hand): fills with fees,
 * stop orders resting on the venue, cancellation, and reconciliation after a crash by client order id.
 */
describe.each(backends)('order journal on the demo exchange (%s)', (kind) => {
  let database: TestDatabase
  let runtime: DemoRuntime
  let demo: DemoService
  let journal: OrderJournal
  let time = 1_750_000_000_000
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const workspaceId = newId()
  const userId = newId()
  const venues = new Map<string, TradingVenue>()
  const changes: IntentView[] = []

  const trade = async (symbol: string, price: string) => {
    time += 1_000
    const wait = runtime.ingest({ symbol, price, amount: '1', time })
    if (wait !== undefined) await wait
    await runtime.barrier()
  }
  const account = async (k: 'spot' | 'futures'): Promise<AccountRef> => {
    const a = await demo.createAccount({ userId }, workspaceId, { name: `${k} bot`, kind: k })
    // Type-checked against the trading contract: the demo returns the TradingVenue shape without importing trading/.
    const venue: TradingVenue = createDemoTradingVenue({ runtime, accountId: a.id, kind: k })
    venues.set(a.id, venue)
    return venue.account
  }
  const place = (ref: AccountRef, key: string, order: PlaceOrder) => journal.place({ workspaceId, botId: null, key, account: ref, purpose: 'entry', order })

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    runtime = createDemoRuntime({ db: database.db, clock, seed: 'demo-journal', markets: [markets.spot as DemoMarketDef, markets.btcPerp as DemoMarketDef] })
    await runtime.start()
    demo = createDemoService({ runtime, clock, audit: createAuditChain({ db: database.db, clock }) })
    await database.db.insert(schema.users).values({ id: userId, email: 'trader@example.com', displayName: 'trader', createdAt: clock.now() })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'Personal', isPersonal: true, createdAt: clock.now() })
    journal = createOrderJournal({
      db: database.db,
      clock,
      alerts: createAlerts({ db: database.db, clock }),
      venues: async (ws, ref) => {
        const v = venues.get(ref.id)
        if (ws !== workspaceId || !v) throw new AppError('NOT_FOUND', `demo account "${ref.id}" not found in this workspace`)
        return v
      },
    })
    journal.onChange((i) => changes.push(i))
    await trade(SPOT, '20000')
  })
  afterAll(async () => {
    await runtime.stop()
    await database.dispose()
  })
  afterEach(() => armFaultPoints(new Map()))

  it('fills a market order at the modelled ask and records the fee from the fills', async () => {
    const spot = await account('spot')
    const filled = await place(spot, 'd1.entry', { symbol: SPOT, side: 'buy', type: 'market', amount: '0.25' })
    expect(filled).toMatchObject({ state: 'filled', filled: '0.25', average: '20000.01', fee: '0.00025', feeCurrency: 'BTC', venue: 'demo-spot' }) // 0.25 × 0.1 % taker, in BTC
  })

  it('rests a limit order, follows its fill with refresh, and tells the listener', async () => {
    const spot = await account('spot')
    const resting = await place(spot, 'd2.entry', { symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19000' })
    expect(resting).toMatchObject({ state: 'acknowledged', exchangeOrderId: expect.any(String) })
    await trade(SPOT, '18999.99') // a trade through 19,000 fills the resting buy as maker
    expect(await journal.refresh(resting.id)).toMatchObject({ state: 'filled', filled: '0.1', average: '19000', fee: '0.0001' }) // 0.1 BTC × 0.1 %
    expect(changes.filter((c) => c.id === resting.id).map((c) => c.state)).toEqual(['intent', 'sent', 'acknowledged', 'filled'])
    await trade(SPOT, '20000')
  })

  it('keeps a stop-loss on the venue, where it triggers without the platform, and cancels one no longer needed', async () => {
    const futures = await account('futures')
    await trade(PERP, '20000')
    expect(await place(futures, 'd3.entry', { symbol: PERP, side: 'buy', type: 'market', amount: '0.1' })).toMatchObject({ state: 'filled' })
    const stop = await place(futures, 'd3.sl', { symbol: PERP, side: 'sell', type: 'stop_market', amount: '0.1', stopPrice: '19500', reduceOnly: true })
    expect(stop).toMatchObject({ state: 'acknowledged', stopPrice: '19500', reduceOnly: true, venue: 'demo-futures' })
    const tp = await place(futures, 'd3.tp', { symbol: PERP, side: 'sell', type: 'limit', amount: '0.1', price: '21000', reduceOnly: true })
    await trade(PERP, '19400')
    expect(await journal.refresh(stop.id)).toMatchObject({ state: 'filled', filled: '0.1' })
    expect(await journal.cancel(tp.id)).toMatchObject({ state: 'cancelled', filled: '0' })
    expect((await journal.openIntents({ account: futures })).map((i) => i.id)).toEqual([])
    await trade(PERP, '20000')
  })

  it('after a crash before the answer, finds the order by client order id or sends it once more', async () => {
    const spot = await account('spot')
    await trade(SPOT, '20000') // both limit buys below the market: they rest
    armFaultPoints(parseFaultPoints('trading.after-sent').points)
    await expect(place(spot, 'd4.never-sent', { symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19500' })).rejects.toBeInstanceOf(FaultInjected)
    armFaultPoints(parseFaultPoints('trading.after-create').points)
    await expect(place(spot, 'd4.sent', { symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19600' })).rejects.toBeInstanceOf(FaultInjected)
    armFaultPoints(new Map())
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 }) // not before the window
    clock.advance(31_000)
    expect(await journal.resolveUnknown()).toEqual({ resolved: 1, resent: 1, unresolved: 0 })
    const open = await venues.get(spot.id)?.fetchOpenOrders({ symbol: SPOT })
    expect(open?.map((o) => o.price).sort()).toEqual(['19500', '19600']) // one order each
    expect((await journal.openIntents({ account: spot })).map((i) => [i.intentKey, i.state])).toEqual([
      ['d4.never-sent', 'acknowledged'],
      ['d4.sent', 'acknowledged'],
    ])
  })
})
