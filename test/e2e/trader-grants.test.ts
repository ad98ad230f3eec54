import { TOTP, Secret } from 'otpauth'
import { and, count, desc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import type { RequestLogEntry } from '../emulator/binance-emulator.js'
import { schema } from '../../src/db/index.js'
import type { DemoRuntime } from '../../src/demo/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import type { Trading } from '../../src/trading/index.js'

type Session = { cookie: string; csrf: string }
type Caller = Session | { token: string }
type Bot = { id: string; status: string; account: { kind: string; id: string; label: string } }
type Approval = { id: string; kind: string; summary: string; state: string; result: Record<string, unknown> | null }
type Entry = { kind: string; id: string; label: string; tradable: boolean }
const SPOT = 'BTC/USDT'
const REFUSAL = { code: 'FORBIDDEN', reason: 'ACCOUNT_NOT_GRANTED', message: 'you may trade only on the exchange accounts granted to you' }

/**
 * Per-member grants (issue 10) and four-eyes on trading (R42), over HTTP with the real signer (vault, key
 * policy, ccxt against the Binance emulator): a trader narrowed to one of the workspace's two exchange
 * accounts trades on it and nowhere else (nothing written, no order at the exchange), may still stop any
 * bot; the owner and demo accounts are not narrowed; the trader's API token inherits the grants. Raising an
 * exchange account's risk limits and promoting a bot wait for a second person, and apply when approved.
 */
describe.each(backends)('trader grants and trading four-eyes on %s', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let demo: DemoRuntime
  let trading: Trading
  const clock = createManualClock(Date.now())
  const mainKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const otherKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let ws = ''
  let owner: Session
  let trader: Session
  let admin: Session
  let viewer: Session
  let traderToken = ''
  let totp: TOTP
  let main = ''
  let other = ''
  let paper = ''
  let keySeq = 0

  const headersOf = (who: Caller): Record<string, string> => ('token' in who ? { authorization: `Bearer ${who.token}` } : { origin: ORIGIN, cookie: who.cookie, 'x-csrf-token': who.csrf })
  const send = (who: Caller, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { ...headersOf(who), ...headers } })
  const createTrade = (who: Caller, account: { kind: 'demo' | 'exchange'; id: string }, key = `grants-${++keySeq}-${kind}`) =>
    send(who, 'POST', '/smart-trades', { account, config: { symbol: SPOT, direction: 'long', amount: '0.01', entry: { type: 'limit', price: '4900' } } }, { 'idempotency-key': key })
  const posts = () => signer.emulator.requests.filter((r): r is RequestLogEntry => r.method === 'POST' && r.path === '/api/v3/order').length
  const counts = async () => ({
    bots: (await database.db.select({ n: count() }).from(schema.bots))[0]?.n,
    intents: (await database.db.select({ n: count() }).from(schema.orderIntents))[0]?.n,
    orders: posts(),
  })
  const refusalOf = (res: { statusCode: number; json: () => unknown }) => ({ status: res.statusCode, body: res.json() })
  const refused = { status: 403, body: expect.objectContaining(REFUSAL) }
  const passwordStepUp = async (s: Session) => expect((await t.post('/api/auth/step-up', { password: PASSWORD }, s)).statusCode).toBe(200)
  const approve = async (id: string) => {
    await passwordStepUp(admin)
    return send(admin, 'POST', `/approvals/${id}/approve`)
  }
  /** A step-up with a fresh authenticator code (a code is good once, so each is 30 s after the last). */
  const ownerStepUp = async () => {
    clock.advance(30_000)
    expect((await t.post('/api/auth/step-up', { totp: totp.generate({ timestamp: clock.now().getTime() }) }, owner)).statusCode).toBe(200)
  }
  const signInAs = async (email: string): Promise<Session> => {
    const { cookie, csrf } = await t.signIn(email)
    return { cookie, csrf }
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      // A limit buy of 0.01 BTC at 4,900 is 49 USDT: inside the keys' default limits, and it rests below the market.
      emulator: {
        accounts: [
          { ...mainKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000', BTC: '0' } },
          { ...otherKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000', BTC: '0' } },
        ],
        prices: { BTCUSDT: '5000' },
      },
    })
    t = await startAccountsApp(database, { clock, signer: signer.client, trading: true, approvals: true })
    demo = t.demo as DemoRuntime
    trading = t.trading as Trading
    const approvals = t.approvals
    if (!approvals) throw new Error('the harness built no approvals service')
    // As main.ts registers them.
    approvals.register('limits.raise', { apply: (payload, ctx) => trading.controls.applyRiskLimits(payload, ctx) })
    approvals.register('bot.promote', { apply: (payload, ctx) => trading.promotion.applyPromotion(payload, ctx) })

    ;({ workspaceId: ws } = await t.addUser('owner@example.com'))
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    const member = async (email: string, role: 'admin' | 'trader' | 'viewer', accountScope: 'all' | 'granted' = 'all') => {
      const { userId } = await t.addUser(email)
      await database.db.insert(schema.memberships).values({ workspaceId: ws, userId, role, accountScope, createdAt: clock.now() })
      return userId
    }
    const traderId = await member('trader@example.com', 'trader', 'granted')
    await member('admin@example.com', 'admin')
    await member('viewer@example.com', 'viewer')

    // Keys need a second factor (workspace policy): the owner turns on the authenticator app.
    owner = await signInAs('owner@example.com')
    const setup = (await t.post('/api/auth/totp/setup', {}, owner)).json<{ secret: string }>()
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    owner.cookie = t.cookieOf(await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, owner))
    await ownerStepUp()
    const connect = async (key: { apiKey: string; secret: string }, label: string) => {
      const res = await t.post(`/api/workspaces/${ws}/exchange-accounts`, { exchange: 'binance', label, envelope: await signer.seal(ws, key) }, owner)
      expect(res.json()).toMatchObject({ state: 'active' })
      return res.json<{ id: string }>().id
    }
    main = await connect(mainKey, 'Main')
    other = await connect(otherKey, 'Other')
    paper = (await send(owner, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })).json<{ id: string }>().id
    await database.db.insert(schema.memberAccountGrants).values({ workspaceId: ws, userId: traderId, exchangeAccountId: main, createdAt: clock.now() })

    trader = await signInAs('trader@example.com')
    admin = await signInAs('admin@example.com')
    viewer = await signInAs('viewer@example.com')
    // A fresh sign-in counts as step-up: the trader makes a trade-scoped token for scripts.
    const created = await t.post('/api/tokens', { name: 'script', workspaceId: ws, scope: 'trade', expiresInDays: 30 }, trader)
    expect(created.statusCode).toBe(201)
    traderToken = created.json<{ token: string }>().token

    clock.advance(1_000)
    await demo.ingest({ symbol: SPOT, price: '5000', amount: '5', time: clock.now().getTime() })
    await demo.barrier()
  }, 180_000)
  afterAll(async () => {
    await t.close()
    await signer.close()
    await database.dispose()
  })

  it('lists every account to everyone, marking those the caller may trade on', async () => {
    const tradable = async (who: Caller) => Object.fromEntries((await send(who, 'GET', '/trading/accounts')).json<Entry[]>().map((a) => [a.label, a.tradable]))
    expect(await tradable(trader)).toEqual({ Paper: true, Main: true, Other: false })
    expect(await tradable({ token: traderToken })).toEqual({ Paper: true, Main: true, Other: false })
    expect(await tradable(owner)).toEqual({ Paper: true, Main: true, Other: true })
    expect(await tradable(admin)).toEqual({ Paper: true, Main: true, Other: true })
    expect(await tradable(viewer)).toEqual({ Paper: false, Main: false, Other: false })
  })

  it('a narrowed trader places a Smart Trade on the granted account; on another one nothing is written or sent', async () => {
    const placed = await createTrade(trader, { kind: 'exchange', id: main })
    expect(placed.statusCode).toBe(201)
    expect(placed.json<Bot>()).toMatchObject({ status: 'running', account: { kind: 'exchange', id: main, label: 'Main' } })
    expect(signer.emulator.account(mainKey.apiKey).orders).toHaveLength(1)

    const before = await counts()
    const key = `grants-refused-${kind}`
    expect(refusalOf(await createTrade(trader, { kind: 'exchange', id: other }, key))).toEqual(refused)
    expect(refusalOf(await createTrade({ token: traderToken }, { kind: 'exchange', id: other }))).toEqual(refused)
    expect(await counts()).toEqual(before)
    expect(signer.emulator.account(otherKey.apiKey).orders).toEqual([])

    // The refusal did not take the Idempotency-Key: the owner, who trades everywhere, uses it.
    const byOwner = await createTrade(owner, { kind: 'exchange', id: other }, key)
    expect([byOwner.statusCode, byOwner.headers['idempotent-replayed']]).toEqual([201, 'false'])
    expect(signer.emulator.account(otherKey.apiKey).orders).toHaveLength(1)
  })

  it("a narrowed trader cannot act on a bot of another account, but can stop it", async () => {
    const theirs = (await createTrade(owner, { kind: 'exchange', id: other })).json<Bot>().id
    const before = await counts()
    const attempts = [
      ['POST', `/smart-trades/${theirs}/cancel`, undefined, {}],
      ['POST', `/smart-trades/${theirs}/close`, undefined, { 'idempotency-key': `close-${theirs}` }],
      ['PATCH', `/smart-trades/${theirs}`, { stopLoss: { percent: '5' } }, {}],
      ['POST', `/bots/${theirs}/pause`, undefined, {}],
      ['POST', `/bots/${theirs}/start`, undefined, {}],
    ] as const
    for (const who of [trader, { token: traderToken }] as Caller[]) {
      for (const [method, path, body, headers] of attempts) expect({ path, ...refusalOf(await send(who, method, path, body, headers)) }).toEqual({ path, ...refused })
    }
    expect(await counts()).toEqual(before)
    expect((await send(owner, 'GET', `/bots/${theirs}`)).json<Bot>().status).toBe('running')

    // Stopping is always safe: anyone who may trade can pull the brake on any bot.
    const stopped = await send(trader, 'POST', `/bots/${theirs}/stop`)
    expect([stopped.statusCode, stopped.json<Bot>().status]).toEqual([200, 'stopped'])
    // And the trader's own trade on the granted account is theirs to cancel.
    const mine = (await createTrade({ token: traderToken }, { kind: 'exchange', id: main })).json<Bot>()
    expect(mine.account.id).toBe(main)
    expect((await send(trader, 'POST', `/smart-trades/${mine.id}/cancel`)).json<Bot>().status).toBe('stopped')
  })

  it("a bot promoted to another account: its webhook secret and settings are not the trader's; the kill switch is", async () => {
    const webhookBot = { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } }
    const id = (await send(owner, 'POST', '/signal-bots', { name: 'Desk', demoAccountId: paper, config: webhookBot })).json<{ bot: Bot }>().bot.id
    await ownerStepUp()
    expect((await send(owner, 'POST', `/bots/${id}/promote`, { exchangeAccountId: other })).json<Bot>().account).toMatchObject({ kind: 'exchange', id: other })
    const sealed = async () => (await database.db.select({ sealed: schema.bots.webhookSecretSealed, version: schema.bots.version }).from(schema.bots).where(eq(schema.bots.id, id)))[0]
    const before = await sealed()
    await passwordStepUp(trader)
    expect(refusalOf(await send(trader, 'GET', `/signal-bots/${id}/webhook`))).toEqual(refused)
    expect(refusalOf(await send(trader, 'POST', `/signal-bots/${id}/webhook/rotate`))).toEqual(refused)
    expect(refusalOf(await send(trader, 'PATCH', `/signal-bots/${id}`, { name: 'Mine now' }))).toEqual(refused)
    expect(refusalOf(await send(trader, 'POST', `/bots/${id}/start`))).toEqual(refused)
    expect(await sealed()).toEqual(before)
    expect((await send(owner, 'GET', `/signal-bots/${id}/webhook`)).statusCode).toBe(200) // the owner, signed in with step-up, may

    // The kill switch is for anyone who can trade: stopping is always safe.
    expect((await send(trader, 'POST', '/trading/halt', { reason: 'looks wrong' })).json()).toMatchObject({ halted: true })
    await ownerStepUp()
    expect((await send(owner, 'DELETE', '/trading/halt')).json()).toMatchObject({ halted: false })
  })

  it('demo accounts are never narrowed', async () => {
    const onDemo = await createTrade(trader, { kind: 'demo', id: paper })
    expect([onDemo.statusCode, onDemo.json<Bot>().account.kind]).toEqual([201, 'demo'])
    const bot = await send(trader, 'POST', '/signal-bots', { name: 'TV', demoAccountId: paper, config: { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
    expect(bot.statusCode).toBe(201)
    const id = bot.json<{ bot: Bot }>().bot.id
    expect((await send(trader, 'POST', `/bots/${id}/start`)).json<Bot>().status).toBe('running')
    expect((await send(trader, 'POST', `/bots/${id}/pause`)).json<Bot>().status).toBe('paused')
  })

  it('promotion: refused to an account not granted; to the granted one it waits for a second person, then applies as checked again', async () => {
    const created = await send(trader, 'POST', '/signal-bots', { name: 'Breakout', demoAccountId: paper, config: { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
    const id = created.json<{ bot: Bot }>().bot.id
    await passwordStepUp(trader)
    expect(refusalOf(await send(trader, 'POST', `/bots/${id}/promote`, { exchangeAccountId: other }))).toEqual(refused)
    expect((await send(trader, 'GET', `/bots/${id}`)).json<Bot>().account).toMatchObject({ kind: 'demo', id: paper })

    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    // Still refused before any request is made: a grant is checked when the promotion is asked for.
    expect(refusalOf(await send(trader, 'POST', `/bots/${id}/promote`, { exchangeAccountId: other }))).toEqual(refused)
    // Checked again when approved: a bot started on demo in the meantime is not moved.
    const early = (await send(trader, 'POST', `/bots/${id}/promote`, { exchangeAccountId: main })).json<{ approval: Approval }>().approval
    expect((await send(trader, 'POST', `/bots/${id}/start`)).json<Bot>().status).toBe('running')
    expect((await approve(early.id)).json()).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^stop or pause the bot before promoting it/) })
    expect((await send(trader, 'GET', `/approvals/${early.id}`)).json()).toMatchObject({ state: 'failed' })
    expect((await send(trader, 'GET', `/bots/${id}`)).json<Bot>()).toMatchObject({ status: 'running', account: { kind: 'demo', id: paper } })
    expect((await send(trader, 'POST', `/bots/${id}/stop`)).json<Bot>().status).toBe('stopped')

    await passwordStepUp(trader)
    const pending = await send(trader, 'POST', `/bots/${id}/promote`, { exchangeAccountId: main })
    expect(pending.statusCode).toBe(202)
    const { approval } = pending.json<{ approval: Approval }>()
    expect(approval).toMatchObject({ kind: 'bot.promote', state: 'pending' })
    expect(approval.summary).toMatch(/^Promote the Signal Bot "Breakout" from the demo account "Paper" to the real account "Main" \(on demo: 0 trades over [\d.]+ days?\)$/)
    const [row] = await database.db.select({ payload: schema.approvalRequests.payload }).from(schema.approvalRequests).where(eq(schema.approvalRequests.id, approval.id))
    expect(row?.payload).toEqual({ botId: id, exchangeAccountId: main })
    expect((await send(trader, 'GET', `/bots/${id}`)).json<Bot>().account).toMatchObject({ kind: 'demo', id: paper })

    const approved = await approve(approval.id)
    expect(approved.json()).toMatchObject({ state: 'approved', result: { botId: id, exchangeAccountId: main, status: 'stopped' } })
    expect((await send(trader, 'GET', `/bots/${id}`)).json<Bot>()).toMatchObject({ status: 'stopped', account: { kind: 'exchange', id: main, label: 'Main' } })
    const [audit] = await database.db
      .select({ actorId: schema.auditEvents.actorId, details: schema.auditEvents.details })
      .from(schema.auditEvents)
      .where(and(eq(schema.auditEvents.workspaceId, ws), eq(schema.auditEvents.type, 'bot_promoted')))
      .orderBy(desc(schema.auditEvents.seq))
      .limit(1)
    const traderId = (await t.me(trader.cookie)).json<{ user: { id: string } }>().user.id
    expect(audit?.details).toMatchObject({ botId: id, toExchangeAccountId: main, approvalId: approval.id, requestedBy: traderId })
    expect(audit?.actorId).not.toBe(traderId)
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws))
  })

  it('risk limits: raising an exchange account\'s waits for a second person; tightening and demo accounts apply at once', async () => {
    const risk = (account: 'exchange' | 'demo', id: string) => `/trading/accounts/${account}/${id}/risk`
    const limitsOf = async (path: string) => (await send(owner, 'GET', path)).json()
    expect(refusalOf(await send(trader, 'PUT', risk('exchange', main), { maxOrderNotional: '10' }))).toMatchObject({ status: 403 }) // admins' business anyway
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))

    // From no limit to one: tighter, at once.
    expect(refusalOf(await send(owner, 'PUT', risk('exchange', main), { maxOrderNotional: '100', maxOpenOrders: 5 }))).toEqual({ status: 200, body: { maxOrderNotional: '100', maxOpenOrders: 5 } })
    const raise = await send(owner, 'PUT', risk('exchange', main), { maxOrderNotional: '500', maxOpenOrders: 3 })
    expect(raise.statusCode).toBe(202)
    const { approval } = raise.json<{ approval: Approval }>()
    expect(approval).toMatchObject({ kind: 'limits.raise', state: 'pending', summary: 'Raise the risk limits of "Main": max order notional 100 → 500; max open orders 5 → 3' })
    // Nothing changes until it is approved, the tightened field included.
    expect(await limitsOf(risk('exchange', main))).toEqual({ maxOrderNotional: '100', maxOpenOrders: 5 })
    const approved = await approve(approval.id)
    expect(approved.json()).toMatchObject({ state: 'approved' })
    expect(await limitsOf(risk('exchange', main))).toEqual({ maxOrderNotional: '500', maxOpenOrders: 3 })
    const [changed] = await database.db
      .select({ actorId: schema.auditEvents.actorId, details: schema.auditEvents.details })
      .from(schema.auditEvents)
      .where(and(eq(schema.auditEvents.workspaceId, ws), eq(schema.auditEvents.type, 'risk_limits_changed')))
      .orderBy(desc(schema.auditEvents.seq))
      .limit(1)
    const ownerId = (await t.me(owner.cookie)).json<{ user: { id: string } }>().user.id
    const adminId = (await t.me(admin.cookie)).json<{ user: { id: string } }>().user.id
    expect(changed).toMatchObject({ actorId: adminId, details: { accountKind: 'exchange', accountId: main, approvalId: approval.id, requestedBy: ownerId } })

    // Removing a limit is a raise; lowering applies at once. A request approved after the limits changed
    // under it is not applied: the approver approved a change from other limits.
    const removal = await send(owner, 'PUT', risk('exchange', main), { maxOrderNotional: '500' })
    expect(removal.statusCode).toBe(202)
    const stale = removal.json<{ approval: Approval }>().approval
    expect(stale.summary).toBe('Raise the risk limits of "Main": max open orders 3 → no limit')
    expect(refusalOf(await send(owner, 'PUT', risk('exchange', main), { maxOrderNotional: '50', maxOpenOrders: 3 }))).toEqual({ status: 200, body: { maxOrderNotional: '50', maxOpenOrders: 3 } })
    expect((await approve(stale.id)).json()).toMatchObject({ code: 'CONFLICT', reason: 'RISK_LIMITS_CHANGED' })
    expect(await limitsOf(risk('exchange', main))).toEqual({ maxOrderNotional: '50', maxOpenOrders: 3 })
    expect((await send(owner, 'GET', `/approvals/${stale.id}`)).json()).toMatchObject({ state: 'failed' })

    // A demo account holds no real money: its limits change at once, raised or not.
    expect(refusalOf(await send(owner, 'PUT', risk('demo', paper), { maxOrderNotional: '10' }))).toEqual({ status: 200, body: { maxOrderNotional: '10' } })
    expect(refusalOf(await send(owner, 'PUT', risk('demo', paper), {}))).toEqual({ status: 200, body: {} })
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws))
    // With approvals off, a raise applies at once.
    expect(refusalOf(await send(owner, 'PUT', risk('exchange', main), {}))).toEqual({ status: 200, body: {} })
  })
})
