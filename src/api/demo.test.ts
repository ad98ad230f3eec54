import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createAccounts, createOperatorSetup, isAllowed, type Accounts, type Action } from '../auth/index.js'
import { hashPassword } from '../auth/password.js'
import { insertUserWithWorkspace } from '../auth/workspace-store.js'
import { schema, type Role } from '../db/index.js'
import { createDemoRuntime, createDemoService, type DemoRuntime } from '../demo/index.js'
import type { DemoMarketDef } from '../demo/engine/index.js'
import markets from '../demo/engine/fixtures/markets.json' with { type: 'json' }
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createLogger } from '../lib/logger.js'
import { createAlerts, createAuditChain, createOutbox } from '../monitoring/index.js'
import { buildApp } from './app.js'
import type { App } from './app-types.js'
import { routeTableOf } from './app.js'

const ORIGIN = 'http://localhost:8080'
const PASSWORD = 'violet ostrich carburetor lighthouse'
const SPOT = 'BTC/USDT'

// Spot BTC/USDT of the engine fixtures: tick 0.01, lot 0.0001, min notional 5; ask = last + 0.01. Fees 0.1 %.
describe.each(backends)('demo API on %s', (kind) => {
  let database: TestDatabase
  let app: App
  let runtime: DemoRuntime
  let accounts: Accounts
  let workspaceId = ''
  let ownerId = ''
  let otherWorkspace = ''
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let time = 1_700_000_000_000
  type Session = { cookie: string; csrf: string }
  let owner: Session
  let viewer: Session
  const members = {} as Record<Role, Session>
  let stranger: Session

  const signIn = async (email: string): Promise<Session> => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD }, headers: { origin: ORIGIN } })
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-sid='))?.split(';')[0] ?? ''
    const me = await app.inject({ url: '/api/me', headers: { cookie } })
    return { cookie, csrf: me.json<{ csrfToken: string }>().csrfToken }
  }
  const call = (s: Session, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url: `/api/workspaces/${workspaceId}/demo${url}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: s.cookie, 'x-csrf-token': s.csrf } })
  const trade = async (price: string) => {
    time += 1_000
    await runtime.ingest({ symbol: SPOT, price, amount: '1', time })
    await runtime.barrier()
  }
  const eventCount = async () => (await database.db.select({ n: count() }).from(schema.demoEvents))[0]?.n

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const audit = createAuditChain({ db: database.db, clock })
    const alerts = createAlerts({ db: database.db, clock })
    accounts = createAccounts({
      db: database.db,
      clock,
      audit,
      alerts,
      mailer: createOutbox({ db: database.db, clock }),
      csrfKey: randomBytes(32),
      totpSeedKey: randomBytes(32),
      publicOrigin: ORIGIN,
      host: '127.0.0.1',
      signupMode: 'auto',
    })
    runtime = createDemoRuntime({ db: database.db, clock, seed: 'api-tests', markets: [markets.spot as DemoMarketDef, markets.btcPerp as DemoMarketDef] })
    await runtime.start()
    app = await buildApp({
      config: { BODY_LIMIT_BYTES: 65_536, TRUSTED_PROXIES: [], PUBLIC_ORIGIN: ORIGIN },
      logger: createLogger({ level: 'silent' }),
      version: '0',
      readiness: {},
      setup: createOperatorSetup({ db: database.db, clock, audit, tokenTtlHours: 1 }),
      auth: { db: database.db, accounts, alerts, demo: createDemoService({ runtime, clock, audit }) },
    })
    await app.ready()

    const hash = await hashPassword(PASSWORD)
    const add = (email: string) =>
      database.db.transaction((tx) => insertUserWithWorkspace(tx, { email, displayName: email, passwordHash: hash, isOperator: false, emailVerifiedAt: clock.now() }, 'Personal', clock.now()))
    ;({ userId: ownerId, workspaceId } = await add('owner@example.com'))
    for (const role of ['admin', 'trader', 'viewer'] as const) {
      const m = await add(`${role}@example.com`)
      await database.db.insert(schema.memberships).values({ workspaceId, userId: m.userId, role, createdAt: clock.now() })
      members[role] = await signIn(`${role}@example.com`)
    }
    ;({ workspaceId: otherWorkspace } = await add('stranger@example.com'))
    owner = await signIn('owner@example.com')
    members.owner = owner
    viewer = members.viewer
    stranger = await signIn('stranger@example.com')
    await trade('20000')
  })
  afterAll(async () => {
    await app.close()
    await runtime.stop()
    await database.dispose()
  })

  it('registers every demo route with a declared policy action', () => {
    const demo = routeTableOf(app).filter((r) => r.url.includes('/demo'))
    expect(demo.length).toBe(17)
    for (const r of demo) expect([`${r.method} ${r.url}`, r.action]).toEqual([`${r.method} ${r.url}`, r.method === 'GET' ? 'demo.read' : 'demo.trade'])
  })

  it('gives each role exactly what the policy says on every demo route; another workspace is NOT_FOUND', async () => {
    for (const r of routeTableOf(app).filter((x) => x.url.includes('/demo'))) {
      const url = r.url.replace(':workspaceId', workspaceId).replace(/:[A-Za-z]+/g, () => newId())
      for (const role of ['owner', 'admin', 'trader', 'viewer'] as const) {
        const s = members[role]
        const res = await app.inject({ method: r.method as 'GET', url, ...(r.method === 'GET' ? {} : { payload: {} }), headers: { origin: ORIGIN, cookie: s.cookie, 'x-csrf-token': s.csrf } })
        expect({ route: `${r.method} ${r.url}`, role, refused: res.statusCode === 403 }).toEqual({ route: `${r.method} ${r.url}`, role, refused: !isAllowed(role, r.action as Action) })
      }
      const foreign = await app.inject({ method: r.method as 'GET', url, ...(r.method === 'GET' ? {} : { payload: {} }), headers: { origin: ORIGIN, cookie: stranger.cookie, 'x-csrf-token': stranger.csrf } })
      expect(foreign.json()).toMatchObject({ code: 'NOT_FOUND', message: `workspace "${workspaceId}" not found` })
    }
  })

  it('creates an account, trades on it, and shows balances, orders, fills and PnL', async () => {
    const created = await call(owner, 'POST', '/accounts', { name: 'Scalping test', kind: 'spot' })
    expect(created.statusCode).toBe(201)
    const account = created.json<{ id: string }>()
    expect(account).toEqual({ id: expect.any(String), name: 'Scalping test', kind: 'spot', createdAt: '2026-12-04T08:00:00.000Z', resetCount: 0, fees: { maker: '0.001', taker: '0.001' } })
    const a = `/accounts/${account.id}`
    expect((await call(owner, 'GET', '/accounts')).json()).toEqual([account])
    expect((await call(owner, 'GET', `${a}/balance`)).json()).toEqual({ USDT: { free: '10000', used: '0', total: '10000' } })

    const placed = await call(owner, 'POST', `${a}/orders`, { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.1', price: '19000', clientOrderId: 'web-1' })
    expect(placed.statusCode).toBe(201)
    const order = placed.json<{ id: string }>()
    expect(order).toEqual({ id: expect.any(String), clientOrderId: 'web-1', symbol: SPOT, type: 'limit', side: 'buy', status: 'open', amount: '0.1', filled: '0', price: '19000', stopPrice: null, average: null, timestamp: time })
    expect((await call(owner, 'GET', `${a}/balance`)).json()).toEqual({ USDT: { free: '8100', used: '1900', total: '10000' } }) // 0.1 × 19,000 held
    const stop = (await call(owner, 'POST', `${a}/orders`, { symbol: SPOT, type: 'stop_market', side: 'buy', amount: '0.01', stopPrice: '21000' })).json<{ id: string; stopPrice: string }>()
    expect(stop.stopPrice).toBe('21000')
    expect((await call(owner, 'GET', `${a}/orders?status=open`)).json<{ id: string }[]>().map((o) => o.id)).toEqual([order.id, stop.id])
    const canceled = await call(owner, 'DELETE', `${a}/orders/${stop.id}`)
    expect([canceled.statusCode, canceled.json<{ status: string }>().status]).toEqual([200, 'canceled'])

    await trade('18999.99') // a trade through 19,000 fills the resting buy as maker
    expect((await call(owner, 'GET', `${a}/orders?status=closed`)).json<{ id: string; status: string }[]>().map((o) => [o.id, o.status])).toEqual([
      [order.id, 'closed'],
      [stop.id, 'canceled'],
    ])
    expect((await call(owner, 'GET', `${a}/fills?symbol=${encodeURIComponent(SPOT)}`)).json()).toEqual([
      { id: expect.any(String), orderId: order.id, symbol: SPOT, side: 'buy', price: '19000', amount: '0.1', fee: { cost: '0.0001', currency: 'BTC' }, liquidity: 'maker', timestamp: time }, // fee 0.1 × 0.001 BTC
    ])
    await trade('19500')
    expect((await call(owner, 'GET', `${a}/pnl`)).json()).toEqual({
      equity: '10048.05', // 8,100 USDT + 0.0999 BTC × 19,500
      realizedPnl: '0',
      unrealizedPnl: '49.95', // (19,500 − 19,000) × 0.0999 BTC held
      fees: '1.9', // 0.0001 BTC × 19,000
      funding: '0',
    })
    expect((await call(owner, 'GET', `${a}/positions`)).json()).toEqual([])

    const reset = await call(owner, 'POST', `${a}/reset`, { balance: '2500' })
    expect(reset.json()).toMatchObject({ id: account.id, resetCount: 1 })
    expect((await call(owner, 'GET', `${a}/balance`)).json<Record<string, { total: string }>>().USDT?.total).toBe('2500')
    expect((await call(owner, 'GET', `${a}/fills`)).json()).toHaveLength(1) // history kept
    const audit = await database.db.select({ type: schema.auditEvents.type }).from(schema.auditEvents)
    expect(audit.map((e) => e.type).filter((t) => t.startsWith('demo_'))).toEqual(['demo_account_created', 'demo_account_reset'])
  })

  it('answers a refused order with 422 EXCHANGE_REJECTED in the exchange words, and writes nothing', async () => {
    const account = (await call(owner, 'POST', '/accounts', { name: 'Small', kind: 'spot', initialBalance: '100' })).json<{ id: string }>()
    const before = await eventCount()
    const refused = [
      [{ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.01', price: '19000' }, /^createOrder: insufficient funds at the exchange \(Account has insufficient balance for requested action\.\)$/], // 190 > 100
      [{ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.0002', price: '19000' }, /^createOrder: the exchange rejected it \(Filter failure: NOTIONAL/], // 3.8 < 5
      [{ symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price: '19000.001' }, /PRICE_FILTER/],
      [{ symbol: 'ETH/USDT', type: 'market', side: 'buy', amount: '0.01' }, /Invalid symbol "ETH\/USDT"/],
    ] as const
    for (const [body, message] of refused) {
      const res = await call(owner, 'POST', `/accounts/${account.id}/orders`, body)
      expect([res.statusCode, res.json<{ code: string }>().code, res.json<{ message: string }>().message]).toEqual([422, 'EXCHANGE_REJECTED', expect.stringMatching(message)])
    }
    const leverage = await call(owner, 'POST', `/accounts/${account.id}/leverage`, { symbol: SPOT, leverage: 3 })
    expect([leverage.statusCode, leverage.json<{ message: string }>().message]).toEqual([422, expect.stringMatching(/futures accounts only/)])
    const cancel = await call(owner, 'DELETE', `/accounts/${account.id}/orders/424242`)
    expect([cancel.statusCode, cancel.json<{ message: string }>().message]).toEqual([422, 'cancelOrder: the exchange rejected it (Unknown order sent.)'])
    expect(await eventCount()).toBe(before)
    expect((await call(owner, 'GET', `/accounts/${account.id}/balance`)).json()).toEqual({ USDT: { free: '100', used: '0', total: '100' } })
  })

  it('refuses malformed bodies with 400 naming the field, before anything runs', async () => {
    const account = (await call(owner, 'POST', '/accounts', { name: 'Checks', kind: 'futures' })).json<{ id: string }>()
    const before = await eventCount()
    const cases: [string, unknown, string][] = [
      ['/accounts', { name: 'x', kind: 'spot', leverage: 5 }, 'body: unknown field "leverage"'],
      ['/accounts', { name: 'x', kind: 'margin' }, 'body.kind:'],
      ['/accounts', { name: 'x', kind: 'spot', initialBalance: '-5' }, 'body.initialBalance:'],
      ['/accounts', { name: 'x', kind: 'spot', initialBalance: '0' }, 'body.initialBalance: must be more than 0'],
      [`/accounts/${account.id}/orders`, { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.1' }, 'body.price: a limit order needs a price'],
      [`/accounts/${account.id}/orders`, { symbol: SPOT, type: 'stop_market', side: 'buy', amount: '0.1' }, 'body.stopPrice: a stop order needs a stopPrice'],
      [`/accounts/${account.id}/orders`, { symbol: 'btcusdt', type: 'market', side: 'buy', amount: '0.1' }, 'body.symbol: must be a unified symbol'],
      [`/accounts/${account.id}/orders`, { symbol: SPOT, type: 'market', side: 'buy', amount: 0.1 }, 'body.amount:'],
      [`/accounts/${account.id}/leverage`, { symbol: 'BTC/USDT:USDT', leverage: 126 }, 'body.leverage:'],
      [`/accounts/${account.id}/margin-mode`, { symbol: 'BTC/USDT:USDT', marginMode: 'isolated' }, 'body.mode:'], // the contract names it "mode"
      [`/accounts/${account.id}/reset`, { balance: '1e6' }, 'body.balance:'],
    ]
    for (const [url, body, message] of cases) {
      const res = await call(owner, 'POST', url, body)
      expect([url, res.statusCode, res.json<{ code: string }>().code, res.json<{ message: string }>().message]).toEqual([url, 400, 'BAD_INPUT', expect.stringContaining(message)])
    }
    expect(await eventCount()).toBe(before)
    expect((await call(owner, 'GET', '/accounts')).json<unknown[]>().length).toBe(3)
  })

  it('sets leverage, margin mode and position mode on a futures account', async () => {
    const account = (await call(owner, 'POST', '/accounts', { name: 'Perp', kind: 'futures' })).json<{ id: string }>()
    const a = `/accounts/${account.id}`
    const settings = async () => {
      const res = await call(viewer, 'GET', `${a}/settings`)
      return [res.statusCode, res.json()]
    }
    expect(await settings()).toEqual([200, { hedged: false, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 20, marginMode: 'cross' }] }]) // the engine's defaults
    expect((await call(owner, 'POST', `${a}/leverage`, { symbol: 'BTC/USDT:USDT', leverage: 10 })).json()).toEqual({ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'cross' })
    expect(await settings()).toEqual([200, { hedged: false, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'cross' }] }])
    expect((await call(owner, 'POST', `${a}/margin-mode`, { symbol: 'BTC/USDT:USDT', mode: 'isolated' })).json()).toEqual({ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'isolated' })
    expect((await call(owner, 'POST', `${a}/position-mode`, { hedged: true })).json()).toEqual({ hedged: true })
    expect(await settings()).toEqual([200, { hedged: true, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'isolated' }] }])
    // A spot account has neither: one-way and no symbols, like its empty positions list.
    const spot = (await call(owner, 'POST', '/accounts', { name: 'Spot settings', kind: 'spot' })).json<{ id: string }>()
    expect((await call(viewer, 'GET', `/accounts/${spot.id}/settings`)).json()).toEqual({ hedged: false, symbols: [] })
    const o = await call(owner, 'POST', `${a}/orders`, { symbol: 'BTC/USDT:USDT', type: 'market', side: 'buy', amount: '0.01', positionSide: 'long' })
    expect(o.json()).toMatchObject({ status: 'closed', filled: '0.01', average: '19500.1' }) // the perpetual follows BTC/USDT: ask = 19,500 + one 0.1 tick
    expect((await call(owner, 'GET', `${a}/positions`)).json()).toEqual([
      { symbol: 'BTC/USDT:USDT', side: 'long', contracts: '0.01', entryPrice: '19500.1', markPrice: expect.any(String), unrealizedPnl: expect.any(String), realizedPnl: '0', leverage: 10, marginMode: 'isolated', liquidationPrice: expect.any(String), roePct: expect.any(String) },
    ])
  })

  it('shows markets, the feed and candles to every member; viewers cannot trade; other workspaces see nothing', async () => {
    const marketsRes = (await call(viewer, 'GET', '/markets')).json<{ symbol: string }[]>()
    expect(marketsRes).toEqual([
      { symbol: SPOT, kind: 'spot', last: expect.any(String), mark: null, bid: expect.any(String), ask: expect.any(String), tickSize: '0.01', lotSize: '0.0001', minNotional: '5', maxLeverage: null, fundingRate: null, nextFundingTime: null },
      { symbol: 'BTC/USDT:USDT', kind: 'linear', last: expect.any(String), mark: expect.any(String), bid: expect.any(String), ask: expect.any(String), tickSize: '0.1', lotSize: '0.001', minNotional: '5', maxLeverage: 125, fundingRate: '0.0001', nextFundingTime: expect.any(Number) },
    ])
    expect((await call(viewer, 'GET', '/feed')).json()).toEqual({ source: 'replay', state: 'stopped', detail: expect.stringContaining('no market data feed'), since: clock.now().getTime() })
    const candles = await call(viewer, 'GET', `/candles?symbol=${encodeURIComponent(SPOT)}&timeframe=1m&limit=10`)
    expect([candles.statusCode, candles.json<{ message: string }>().message]).toEqual([400, 'the demo feed has no candles for "BTC/USDT"'])
    const list = (await call(viewer, 'GET', '/accounts')).json<{ id: string }[]>()
    expect(list.length).toBeGreaterThan(0)
    const id = list[0]?.id as string
    expect((await call(viewer, 'GET', `/accounts/${id}/balance`)).statusCode).toBe(200)
    const refused = await call(viewer, 'POST', `/accounts/${id}/orders`, { symbol: SPOT, type: 'market', side: 'buy', amount: '0.001' })
    expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([403, 'FORBIDDEN'])
    const foreign = await app.inject({ url: `/api/workspaces/${workspaceId}/demo/accounts/${id}/balance`, headers: { cookie: stranger.cookie } })
    expect(foreign.json()).toMatchObject({ code: 'NOT_FOUND', message: `workspace "${workspaceId}" not found` })
    // An account id from another workspace is unknown in this one.
    const own = (await app.inject({ method: 'POST', url: `/api/workspaces/${otherWorkspace}/demo/accounts`, payload: { name: 'Mine', kind: 'spot' }, headers: { origin: ORIGIN, cookie: stranger.cookie, 'x-csrf-token': stranger.csrf } })).json<{ id: string }>()
    const crossed = await call(owner, 'GET', `/accounts/${own.id}/balance`)
    expect([crossed.statusCode, crossed.json<{ message: string }>().message]).toEqual([404, `demo account "${own.id}" not found`])
  })

  it('lets API tokens read with read scope and trade with trade scope', async () => {
    const reader = await accounts.apiTokens.create({ userId: ownerId }, { name: 'r', workspaceId, scope: 'read', expiresInDays: 1, allowedIps: [] }, {})
    const trader = await accounts.apiTokens.create({ userId: ownerId }, { name: 't', workspaceId, scope: 'trade', expiresInDays: 1, allowedIps: [] }, {})
    const withToken = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      app.inject({ method, url: `/api/workspaces/${workspaceId}/demo${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })
    expect((await withToken(reader.token, 'GET', '/accounts')).statusCode).toBe(200)
    expect((await withToken(reader.token, 'POST', '/accounts', { name: 'Bot', kind: 'spot' })).statusCode).toBe(403)
    const bot = await withToken(trader.token, 'POST', '/accounts', { name: 'Bot', kind: 'spot' })
    expect(bot.statusCode).toBe(201)
    const o = await withToken(trader.token, 'POST', `/accounts/${bot.json<{ id: string }>().id}/orders`, { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price: '19000' })
    expect([o.statusCode, o.json<{ status: string }>().status]).toEqual([201, 'open'])
  })
})
