import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { createManualClock } from '../lib/clock.js'
import { createAuditChain } from '../monitoring/index.js'
import { createDemoRuntime, createDemoService, type DemoRuntime, type DemoService } from './index.js'
import { createDemoTradingVenue } from './trading-venue.js'
import type { DemoMarketDef } from './engine/index.js'
import markets from './engine/fixtures/markets.json' with { type: 'json' }

// The engine's fixture markets (BTC/USDT spot, tick 0.01; the BTC/USDT:USDT perpetual), demo fees 0.1 %.
const SPOT = 'BTC/USDT'

const refusal = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe.each(backends)('demo trading venue on %s', (kind) => {
  let database: TestDatabase
  let runtime: DemoRuntime
  let demo: DemoService
  let time = 1_750_000_000_000
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const workspaceId = newId()
  const userId = newId()

  const trade = async (price: string) => {
    time += 1_000
    const wait = runtime.ingest({ symbol: SPOT, price, amount: '1', time })
    if (wait !== undefined) await wait
    await runtime.barrier()
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    runtime = createDemoRuntime({ db: database.db, clock, seed: 'trading-venue', markets: [markets.spot as DemoMarketDef, markets.btcPerp as DemoMarketDef] })
    await runtime.start()
    demo = createDemoService({ runtime, clock, audit: createAuditChain({ db: database.db, clock }) })
    await database.db.insert(schema.users).values({ id: userId, email: 'trader@example.com', displayName: 'trader', createdAt: clock.now() })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'Personal', isPersonal: true, createdAt: clock.now() })
    await trade('20000')
  })
  afterAll(async () => {
    await runtime.stop()
    await database.dispose()
  })

  const venueOf = async (k: 'spot' | 'futures') => {
    const a = await demo.createAccount({ userId }, workspaceId, { name: `${k} venue`, kind: k })
    return createDemoTradingVenue({ runtime, accountId: a.id, kind: k })
  }

  it('describes itself as the trading module expects: client order ids, recovery by client id, stops on the venue', async () => {
    const spot = await venueOf('spot')
    const futures = await venueOf('futures')
    expect([spot.venue, spot.market, spot.recovery, spot.supportsStopOrders, spot.account.kind]).toEqual(['demo-spot', 'spot', 'client-order-id', true, 'demo'])
    expect([futures.venue, futures.market]).toEqual(['demo-futures', 'linear'])
    expect(spot.clientOrderId).toEqual({ maxLength: 36, pattern: '^[A-Za-z0-9._:-]{1,36}$' })
  })

  it('places with our client order id, finds the order by it, and rests a stop order on the engine', async () => {
    const v = await venueOf('spot')
    const limit = await v.createOrder({ symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19000', clientOrderId: 'bw-limit-1' })
    expect(limit).toMatchObject({ clientOrderId: 'bw-limit-1', status: 'open', amount: '0.1', price: '19000' })
    expect(await v.fetchOrder({ symbol: SPOT, clientOrderId: 'bw-limit-1' })).toEqual(limit)
    expect(await v.fetchOpenOrders({ symbol: SPOT })).toEqual([limit])
    const stop = await v.createOrder({ symbol: SPOT, side: 'buy', type: 'stop_market', amount: '0.01', stopPrice: '21000', clientOrderId: 'bw-stop-1' })
    expect(stop).toMatchObject({ type: 'stop_market', status: 'open' })
    await trade('21000.5') // through the stop: it triggers and buys at market
    expect(await v.fetchOrder({ symbol: SPOT, id: stop.id })).toMatchObject({ status: 'closed', filled: '0.01' })
    const [fill] = await v.fetchMyTrades({ symbol: SPOT })
    expect(fill).toMatchObject({ orderId: stop.id, amount: '0.01', fee: { cost: '0.00001', currency: 'BTC' } }) // 0.01 BTC × 0.1 % taker
    expect(await v.cancelOrder({ symbol: SPOT, id: limit.id })).toMatchObject({ status: 'canceled' })
  })

  it("carries the engine's refusal code as the error's reason: no such order, a duplicate client order id", async () => {
    const v = await venueOf('spot')
    const missing = await refusal(v.fetchOrder({ symbol: SPOT, clientOrderId: 'bw-never-sent' }))
    expect([missing.code, missing.reason]).toEqual(['EXCHANGE_REJECTED', 'ORDER_NOT_FOUND'])
    await v.createOrder({ symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19000', clientOrderId: 'bw-dup' })
    const dup = await refusal(v.createOrder({ symbol: SPOT, side: 'buy', type: 'limit', amount: '0.1', price: '19000', clientOrderId: 'bw-dup' }))
    expect([dup.code, dup.reason, dup.message]).toEqual(['EXCHANGE_REJECTED', 'DUPLICATE_CLIENT_ORDER_ID', 'createOrder: the exchange rejected it (Duplicate order sent.)'])
    const broke = await refusal(v.createOrder({ symbol: SPOT, side: 'buy', type: 'market', amount: '100', clientOrderId: 'bw-big' }))
    expect([broke.code, broke.reason]).toEqual(['EXCHANGE_REJECTED', 'INSUFFICIENT_FUNDS'])
  })
})
