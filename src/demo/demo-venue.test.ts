import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count, eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { Decimal } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { createManualClock } from '../lib/clock.js'
import { createAuditChain } from '../monitoring/index.js'
import { createDemoRuntime, createDemoService, type DemoRuntime, type DemoService, type DemoVenue } from './index.js'
import type { DemoMarketDef } from './engine/index.js'
import markets from './engine/fixtures/markets.json' with { type: 'json' }

// Markets from the engine's fixtures: BTC/USDT spot (tick 0.01, lot 0.0001, min notional 5; modelled
// book with no jitter: ask = last + 0.01, bid = last − 0.01, 3 levels of 20,000 USDT) and the
// BTC/USDT:USDT perpetual (tick 0.1, levels of 1,000,000 USDT, liquidation fee 0.5 %, funding 0.01 %;
// default brackets: first up to 50,000 notional, MMR 0.4 %, maintenance amount 0, 125x). Demo fees:
// 0.1 % maker and taker. Prices fed as "BTC/USDT" move both markets; "BTC/USDT:USDT" only the perpetual.
const spot = markets.spot as DemoMarketDef
const perp = markets.btcPerp as DemoMarketDef
const SPOT = 'BTC/USDT'
const PERP = 'BTC/USDT:USDT'
/** A funding time: a multiple of 8 h since the epoch. */
const FUNDING = 28_800_000 * 59_000

const rejectedWith = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe.each(backends)('demo venue on %s', (kind) => {
  let database: TestDatabase
  let runtime: DemoRuntime
  let demo: DemoService
  let workspaceId = ''
  let userId = ''
  let time = FUNDING + 60_000
  const clock = createManualClock('2026-12-04T08:00:00Z')

  /** One trade of the reference market, applied and written before the test goes on. */
  const trade = async (symbol: string, price: string, amount = '1', at?: number) => {
    time = at ?? time + 1_000
    const wait = runtime.ingest({ symbol, price, amount, time })
    if (wait !== undefined) await wait
    await runtime.barrier()
  }
  const newAccount = async (accountKind: 'spot' | 'futures', initialBalance?: string): Promise<{ id: string; venue: DemoVenue }> => {
    const a = await demo.createAccount({ userId }, workspaceId, { name: `${accountKind} test`, kind: accountKind, ...(initialBalance === undefined ? {} : { initialBalance }) })
    return { id: a.id, venue: await demo.venue(workspaceId, a.id) }
  }
  const rows = async () => {
    const n = async (table: typeof schema.demoEvents | typeof schema.demoOrders | typeof schema.demoFills) => (await database.db.select({ n: count() }).from(table))[0]?.n
    return { events: await n(schema.demoEvents), orders: await n(schema.demoOrders), fills: await n(schema.demoFills) }
  }
  const engineState = () => runtime.read((e) => JSON.stringify(e.snapshot()))

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    runtime = createDemoRuntime({ db: database.db, clock, seed: 'venue-scenarios', markets: [spot, perp] })
    await runtime.start()
    demo = createDemoService({ runtime, clock, audit: createAuditChain({ db: database.db, clock }) })
    userId = newId()
    workspaceId = newId()
    await database.db.insert(schema.users).values({ id: userId, email: 'trader@example.com', displayName: 'trader', createdAt: clock.now() })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'Personal', isPersonal: true, createdAt: clock.now() })
    await trade(SPOT, '20000')
  })
  afterAll(async () => {
    await runtime.stop()
    await database.dispose()
  })

  it('creates an account with 10,000 USDT, reserves for a limit order, fills it when a trade crosses, and charges fees', async () => {
    const { id, venue } = await newAccount('spot')
    expect(await venue.fetchBalance()).toEqual({ USDT: { free: '10000', used: '0', total: '10000' } })
    const [row] = await database.db.select().from(schema.demoAccounts).where(eq(schema.demoAccounts.id, id))
    expect(row).toMatchObject({ workspaceId, kind: 'spot', createdBy: userId, resetCount: 0 })

    const buy = await venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.1', price: '19000' })
    expect(buy).toMatchObject({ symbol: SPOT, type: 'limit', side: 'buy', status: 'open', amount: '0.1', filled: '0', price: '19000' })
    expect(await venue.fetchBalance()).toEqual({ USDT: { free: '8100', used: '1900', total: '10000' } }) // 0.1 × 19,000 held
    expect(await venue.fetchOpenOrders({ symbol: SPOT })).toEqual([buy])

    await trade(SPOT, '19500') // above the order: nothing
    expect((await venue.fetchOrder({ symbol: SPOT, id: buy.id })).status).toBe('open')
    await trade(SPOT, '18999.99') // a trade through 19,000 fills the resting buy as maker
    const closed = await venue.fetchOrder({ symbol: SPOT, id: buy.id })
    expect(closed).toMatchObject({ status: 'closed', filled: '0.1', average: '19000' })
    expect(await venue.fetchOpenOrders({ symbol: SPOT })).toEqual([])
    const [fill] = await venue.fetchMyTrades({ symbol: SPOT })
    expect(fill).toEqual({ id: expect.any(String), orderId: buy.id, symbol: SPOT, side: 'buy', price: '19000', amount: '0.1', fee: { cost: '0.0001', currency: 'BTC' }, timestamp: time }) // 0.1 BTC × 0.001
    expect(await venue.fetchBalance()).toEqual({
      BTC: { free: '0.0999', used: '0', total: '0.0999' }, // 0.1 − 0.0001 fee
      USDT: { free: '8100', used: '0', total: '8100' }, // 10,000 − 1,900
    })

    const sell = await venue.createOrder({ symbol: SPOT, type: 'limit', side: 'sell', amount: '0.0999', price: '20000', clientOrderId: 'tp-1' })
    expect((await venue.fetchBalance()).BTC).toEqual({ free: '0', used: '0.0999', total: '0.0999' })
    await trade(SPOT, '20000.01')
    expect(await venue.fetchOrder({ symbol: SPOT, clientOrderId: 'tp-1' })).toMatchObject({ id: sell.id, status: 'closed', filled: '0.0999' })
    expect((await venue.fetchMyTrades({ symbol: SPOT })).map((t) => [t.side, t.price, t.amount, t.fee])).toEqual([
      ['buy', '19000', '0.1', { cost: '0.0001', currency: 'BTC' }],
      ['sell', '20000', '0.0999', { cost: '1.998', currency: 'USDT' }], // 0.0999 × 20,000 = 1,998 × 0.001
    ])
    expect((await venue.fetchBalance()).USDT?.total).toBe('10096.002') // 8,100 + 1,998 − 1.998
    expect(await demo.pnl(workspaceId, id)).toEqual({
      equity: '10096.002',
      realizedPnl: '99.9', // (20,000 − 19,000 average cost) × 0.0999 sold
      unrealizedPnl: '0', // nothing held
      fees: '3.898', // 0.0001 BTC × 19,000 + 1.998 USDT
      funding: '0',
    }) // 99.9 − 3.898 = 96.002 = equity − 10,000
  })

  it('takes liquidity with a market order at the modelled ask and charges the taker fee', async () => {
    const { venue } = await newAccount('spot')
    await trade(SPOT, '20000')
    const o = await venue.createOrder({ symbol: SPOT, type: 'market', side: 'buy', amount: '0.25' })
    expect(o).toMatchObject({ status: 'closed', filled: '0.25', average: '20000.01' }) // ask = last + one tick
    const [t] = await venue.fetchMyTrades({ symbol: SPOT })
    expect(t?.fee).toEqual({ cost: '0.00025', currency: 'BTC' }) // 0.25 × 0.001 taker
    expect(await venue.fetchBalance()).toEqual({
      BTC: { free: '0.24975', used: '0', total: '0.24975' }, // 0.25 − 0.00025
      USDT: { free: '4999.9975', used: '0', total: '4999.9975' }, // 10,000 − 0.25 × 20,000.01; the 5 % protection hold is released
    })
  })

  it('cancels an order, releases what it held, and answers for it by client order id afterwards', async () => {
    const { venue } = await newAccount('spot')
    await trade(SPOT, '20000')
    const o = await venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.2', price: '19500', clientOrderId: 'dip-1' })
    expect((await venue.fetchBalance()).USDT).toEqual({ free: '6100', used: '3900', total: '10000' }) // 0.2 × 19,500
    const canceled = await venue.cancelOrder({ symbol: SPOT, id: o.id })
    expect(canceled).toMatchObject({ id: o.id, status: 'canceled', filled: '0' })
    expect((await venue.fetchBalance()).USDT).toEqual({ free: '10000', used: '0', total: '10000' })
    expect(await venue.fetchOrder({ symbol: SPOT, clientOrderId: 'dip-1' })).toEqual(canceled)
    // A second cancel is what Binance answers for an order that is no longer open.
    const again = await rejectedWith(venue.cancelOrder({ symbol: SPOT, id: o.id }))
    expect([again.code, again.message]).toEqual(['EXCHANGE_REJECTED', 'cancelOrder: the exchange rejected it (Unknown order sent.)'])
  })

  it('resets an account to a new balance and keeps its history; PnL counts from the reset', async () => {
    const { id, venue } = await newAccount('spot')
    await trade(SPOT, '20000')
    await venue.createOrder({ symbol: SPOT, type: 'market', side: 'buy', amount: '0.1' })
    const resting = await venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.1', price: '19000' })
    const before = await venue.fetchMyTrades({ symbol: SPOT })
    expect(before).toHaveLength(1)

    const reset = await demo.resetAccount({ userId }, workspaceId, id, { balance: '5000' })
    expect(reset).toMatchObject({ id, resetCount: 1 })
    expect(await venue.fetchBalance()).toEqual({ BTC: { free: '0', used: '0', total: '0' }, USDT: { free: '5000', used: '0', total: '5000' } })
    expect(await venue.fetchOpenOrders({ symbol: SPOT })).toEqual([])
    expect(await venue.fetchOrder({ symbol: SPOT, id: resting.id })).toMatchObject({ status: 'canceled' })
    expect(await venue.fetchMyTrades({ symbol: SPOT })).toEqual(before) // history kept
    expect(await demo.pnl(workspaceId, id)).toEqual({ equity: '5000', realizedPnl: '0', unrealizedPnl: '0', fees: '0', funding: '0' })
    expect((await demo.listAccounts(workspaceId)).find((a) => a.id === id)).toMatchObject({ resetCount: 1, fees: { maker: '0.001', taker: '0.001' } })
  })

  it('opens an isolated futures position via the venue and liquidates it at the formula price, recording the liquidation', async () => {
    const { id, venue } = await newAccount('futures')
    await venue.setMarginMode({ symbol: PERP, marginMode: 'isolated' })
    expect(await venue.setLeverage({ symbol: PERP, leverage: 20 })).toEqual({ symbol: PERP, leverage: 20 })
    await trade(PERP, '20000')
    await venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '1', price: '20000' })
    await trade(PERP, '19990') // fills as maker: fee 20,000 × 0.001 = 20; isolated margin 20,000 / 20 = 1,000
    // LP = (WB + cum − Q·EP) / (Q·MMR − Q) = (1,000 + 0 − 20,000) / (0.004 − 1) = 19,076.3052208835…
    const lp = new Decimal(1000).minus(20000).div(new Decimal('0.004').minus(1))
    const [position] = await venue.fetchPositions({ symbols: [PERP] })
    expect(position).toMatchObject({
      symbol: PERP,
      side: 'long',
      contracts: '1',
      entryPrice: '20000',
      markPrice: '19990',
      leverage: 20,
      marginMode: 'isolated',
      collateral: '1000',
      unrealizedPnl: '-10', // 1 × (19,990 − 20,000)
      liquidationPrice: lp.toDecimalPlaces(9).toFixed(),
      hedged: false,
    })
    expect((await demo.positions(workspaceId, id))[0]).toMatchObject({ side: 'long', contracts: '1', roePct: '-1' }) // −10 / (20,000 / 20)
    await trade(PERP, '19076.4') // above the liquidation price
    expect(await venue.fetchPositions({})).toHaveLength(1)
    await trade(PERP, '19076.3')
    expect(await venue.fetchPositions({})).toEqual([])
    const [liq] = await database.db.select().from(schema.demoLiquidations).where(eq(schema.demoLiquidations.accountId, id))
    expect(liq).toMatchObject({
      symbol: PERP,
      marginMode: 'isolated',
      contracts: '1',
      markPrice: '19076.3',
      realizedPnl: '-923.7', // 1 × (19,076.3 − 20,000)
      fee: '95.3815', // 19,076.3 × 0.005
      lossCovered: '19.0815', // 1,000 − 923.7 − 95.3815 < 0: absorbed
    })
    expect((await venue.fetchBalance()).USDT?.total).toBe('8980') // 10,000 − 20 fee − the 1,000 margin
    expect(await demo.pnl(workspaceId, id)).toEqual({ equity: '8980', realizedPnl: '-923.7', unrealizedPnl: '0', fees: '115.3815', funding: '0' }) // 20 + 95.3815
  })

  it('pays funding at the funding time and records the payment', async () => {
    const { id, venue } = await newAccount('futures')
    await trade(PERP, '20000')
    await venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '1', price: '20000' })
    await trade(PERP, '19990') // long 1 at 20,000 (cross, 20x), fee 20
    await trade(PERP, '20100')
    const next = (Math.floor(time / 28_800_000) + 1) * 28_800_000
    await trade(PERP, '20200', '1', next + 1_000) // funding at the mark in force at the funding time: 20,100
    const paid = await database.db.select().from(schema.demoFunding).where(eq(schema.demoFunding.accountId, id))
    expect(paid.map((f) => [f.symbol, f.markPrice, f.rate, f.amount, f.fundingTime])).toEqual([[PERP, '20100', '0.0001', '-2.01', next]]) // 1 × 20,100 × 0.0001, paid by the long
    expect(await demo.pnl(workspaceId, id)).toEqual({
      equity: '10177.99', // wallet 10,000 − 20 − 2.01 + unrealized 200
      realizedPnl: '0',
      unrealizedPnl: '200', // 1 × (20,200 − 20,000)
      fees: '20',
      funding: '-2.01',
    })
  })

  it('refuses what an exchange would refuse with EXCHANGE_REJECTED and the exchange wording, writing nothing', async () => {
    const s = await newAccount('spot', '1000')
    const f = await newAccount('futures', '1000')
    await trade(SPOT, '20000')
    await s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.01', price: '19000', clientOrderId: 'dup-1' }) // 190 held
    await f.venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '0.01', price: '19000' }) // an open order locks the margin mode; 9.5 held at 20x
    const g = await newAccount('futures', '1000')
    await g.venue.setLeverage({ symbol: PERP, leverage: 125 })
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['spot funds', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.05', price: '19000' }), /^createOrder: insufficient funds at the exchange \(Account has insufficient balance/], // 950 > 810 free
      ['min notional', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.0002', price: '20000' }), /^createOrder: the exchange rejected it \(Filter failure: NOTIONAL/], // 4 < 5
      ['tick size', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price: '19000.005' }), /PRICE_FILTER/],
      ['lot size', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.00015', price: '19000' }), /LOT_SIZE/],
      ['post-only taking', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price: '20000.01', postOnly: true }), /would immediately match and take/],
      ['stop at the last price', () => s.venue.createOrder({ symbol: SPOT, type: 'stop_market', side: 'sell', amount: '0.001', stopPrice: '20000' }), /immediately trigger/],
      ['duplicate client order id', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price: '18000', clientOrderId: 'dup-1' }), /Duplicate order sent/],
      ['futures symbol on spot', () => s.venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '0.001', price: '19000' }), /Invalid symbol/],
      ['reduce-only on spot', () => s.venue.createOrder({ symbol: SPOT, type: 'limit', side: 'sell', amount: '0.001', price: '21000', reduceOnly: true }), /spot/],
      ['unknown order', () => s.venue.cancelOrder({ symbol: SPOT, id: '999999' }), /^cancelOrder: the exchange rejected it \(Unknown order sent\.\)$/],
      ['leverage on spot', () => s.venue.setLeverage({ symbol: SPOT, leverage: 2 }), /^setLeverage: .*futures accounts only/],
      ['futures margin', () => f.venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '1.1', price: '19000' }), /^createOrder: insufficient funds at the exchange \(Margin is insufficient/], // 1.1 × 19,000 / 20 = 1,045 > 990.5
      ['bracket at leverage', () => g.venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '3', price: '19000' }), /maximum allowable position/], // 57,000 ≥ 50,000: the 125x bracket
      ['reduce-only that would open', () => f.venue.createOrder({ symbol: PERP, type: 'limit', side: 'sell', amount: '0.01', price: '21000', reduceOnly: true }), /ReduceOnly Order is rejected/],
      ['margin mode with open orders', () => f.venue.setMarginMode({ symbol: PERP, marginMode: 'isolated' }), /^setMarginMode: the exchange rejected it \(Margin type cannot be changed if there exists open orders/],
      ['position mode with open orders', () => f.venue.setPositionMode({ hedged: true }), /Position side cannot be changed if there exists open orders/],
      ['hedge side in one-way mode', () => f.venue.createOrder({ symbol: PERP, type: 'limit', side: 'buy', amount: '0.01', price: '19000', positionSide: 'long' }), /position side does not match/],
      ['unknown order by client id', () => s.venue.fetchOrder({ symbol: SPOT, clientOrderId: 'nope' }), /^fetchOrder: the exchange rejected it \(Order does not exist\.\)$/],
      ['an order under another symbol', () => s.venue.fetchOrder({ symbol: 'ETH/USDT', clientOrderId: 'dup-1' }), /Order does not exist/],
    ]
    for (const [name, call, message] of cases) {
      const rowsBefore = await rows()
      const stateBefore = await engineState()
      const err = await rejectedWith(call())
      expect({ name, code: err.code, message: err.message }).toEqual({ name, code: 'EXCHANGE_REJECTED', message: expect.stringMatching(message) })
      expect({ name, rows: await rows(), state: await engineState() }).toEqual({ name, rows: rowsBefore, state: stateBefore })
    }
  })

  it('validates arguments like the signer does (BAD_INPUT naming the field) before anything runs', async () => {
    const { venue } = await newAccount('spot')
    const before = await rows()
    const cases: [Promise<unknown>, string][] = [
      [venue.createOrder({ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.1' }), 'createOrder: price a limit order needs a price'],
      [venue.createOrder({ symbol: SPOT, type: 'market', side: 'buy', amount: '1e-3' }), 'createOrder: amount must be a positive decimal number like "0.001"'],
      [venue.call('createOrder', { symbol: SPOT, type: 'market', side: 'buy', amount: '0.1', leverage: 3 }), 'createOrder: args Unrecognized key: "leverage"'],
      [venue.fetchOrder({ symbol: SPOT }), 'fetchOrder needs an id or a clientOrderId'],
    ]
    for (const [p, message] of cases) expect(await rejectedWith(p)).toMatchObject({ code: 'BAD_INPUT', message })
    expect(await rows()).toEqual(before)
  })
})
