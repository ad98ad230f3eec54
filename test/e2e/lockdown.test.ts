import { TOTP, Secret } from 'otpauth'
import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { createAccountTokens } from '../../src/auth/index.js'
import { withEmergencyLinks } from '../../src/auth/account-mail.js'
import { createOutbox, createWorkspaceSettings, verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import { createDemoService, type DemoRuntime } from '../../src/demo/index.js'
import { createIncidents, incidentAdminHandlers, type IncidentDetailView, type Incidents, type LockdownResultView } from '../../src/incident/index.js'
import { incidentRoutes } from '../../src/api/routes/incident-routes.js'

type Session = { cookie: string; csrf: string }
const SPOT = 'BTC/USDT'
const HOUR_MS = 3_600_000

/**
 * Lockdown end to end (R19 as amended): a team workspace with an exchange key in the real signer (ccxt
 * against the Binance emulator), open orders there (ours and a foreign one), a running bot and an open demo
 * order. One POST and: the key refuses, bots are stopped, the exchange shows no open order, every session of
 * every member is 401, the workspace answers reads only, and the incident's timeline holds each step. Then the
 * unlock — password + authenticator code + emailed link, cooling-off 0 — and the key back through
 * re-verification and the signer's enable widening. Last, the emergency link of a security email.
 */
describe.each(backends)('lockdown on %s', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let incidents: Incidents
  let demo: DemoRuntime
  const clock = createManualClock(Date.now())
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let ws = ''
  let owner: Session
  let trader: Session
  let totp: TOTP
  let keyId = ''
  let botId = ''
  let webhookSecret = ''
  let demoAccountId = ''
  let incidentId = ''

  const send = (who: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: who.cookie, 'x-csrf-token': who.csrf } })
  const code = () => {
    clock.advance(30_000)
    return totp.generate({ timestamp: clock.now().getTime() })
  }
  /** The owner signs in with password and authenticator code (which also counts as a fresh step-up). */
  const signInOwner = async (): Promise<Session> => {
    const first = (await t.post('/api/auth/login', { email: 'owner@example.com', password: 'violet ostrich carburetor lighthouse' })).json<{ status: string; ticket: string }>()
    expect(first.status).toBe('second_factor')
    const res = await t.post('/api/auth/login', { ticket: first.ticket, totp: code() })
    expect(res.statusCode).toBe(200)
    const cookie = t.cookieOf(res)
    return { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
  }
  const openOnExchange = () => signer.emulator.account(key.apiKey).orders.filter((o) => o.status === 'NEW')
  const chainTypes = async () => (await database.db.select({ type: schema.auditEvents.type }).from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))).map((r) => r.type)

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      wideningDelayMs: HOUR_MS,
      emulator: { accounts: [{ ...key, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '5000', BTC: '0' } }], prices: { BTCUSDT: '50000' } },
    })
    // Security emails carry the emergency link, as the api root wires the mailer.
    const mailer = withEmergencyLinks(createOutbox({ db: database.db, clock }), createAccountTokens({ db: database.db, clock, publicOrigin: ORIGIN }))
    t = await startAccountsApp(database, {
      clock,
      signer: signer.client,
      trading: true,
      overrides: { mailer },
      routes: (h) => {
        incidents = createIncidents({
          db: h.db,
          clock: h.clock,
          audit: h.audit,
          alerts: h.alerts,
          outbox: h.outbox,
          accounts: h.accounts,
          settings: createWorkspaceSettings({ db: h.db, clock: h.clock }),
          keys: h.relay,
          exchangeAccounts: h.exchangeAccounts,
          trading: h.trading?.controls,
          demo: h.demo ? createDemoService({ runtime: h.demo, clock: h.clock, audit: h.audit }) : undefined,
          coolingOffSeconds: 0,
        })
        return [(app) => incidentRoutes(app, { db: h.db, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp, incidents })]
      },
    })
    demo = t.demo as DemoRuntime
    ;({ workspaceId: ws } = await t.addUser('owner@example.com'))
    const { userId: traderId } = await t.addUser('trader@example.com')
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: traderId, role: 'trader', createdAt: clock.now() })
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    await database.db.update(schema.users).set({ antiPhishingCode: 'amber-falcon' }).where(eq(schema.users.email, 'trader@example.com'))
    const o = await t.signIn('owner@example.com')
    owner = { cookie: o.cookie, csrf: o.csrf }
    const tr = await t.signIn('trader@example.com')
    trader = { cookie: tr.cookie, csrf: tr.csrf }
    const setup = (await t.post('/api/auth/totp/setup', {}, owner)).json<{ secret: string }>()
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    owner.cookie = t.cookieOf(await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, owner))
    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    const connected = await send(owner, 'POST', '/exchange-accounts', { exchange: 'binance', label: 'Main', envelope: await signer.seal(ws, key) })
    expect(connected.json()).toMatchObject({ state: 'active' })
    keyId = connected.json<{ keyId: string }>().keyId

    // Two resting orders of ours through the signer, and one placed "in the exchange's web UI".
    for (const price of ['48000', '48500']) await t.relay?.execute(ws, keyId, 'createOrder', { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.001', price }, { type: 'user' })
    signer.emulator.placeForeignOrder(key.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '47000' })
    expect(openOnExchange()).toHaveLength(3)

    // A running webhook bot and a resting order on a demo account.
    demoAccountId = (await send(trader, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })).json<{ id: string }>().id
    await demo.ingest({ symbol: SPOT, price: '50000', amount: '5', time: clock.now().getTime() })
    await demo.barrier()
    const created = await send(trader, 'POST', '/signal-bots', { name: 'TV', demoAccountId, config: { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
    ;({ bot: { id: botId }, webhook: { secret: webhookSecret } } = created.json<{ bot: { id: string }; webhook: { secret: string } }>())
    expect((await send(trader, 'POST', `/bots/${botId}/start`)).json()).toMatchObject({ status: 'running' })
    expect((await send(trader, 'POST', `/demo/accounts/${demoAccountId}/orders`, { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.01', price: '40000' })).statusCode).toBe(201)
  }, 180_000)
  afterAll(async () => {
    await incidents?.stop()
    await t?.close()
    await signer?.close()
    await database?.dispose()
  })

  it('puts the emergency link in security emails (here: the authenticator app was turned on)', async () => {
    const mail = await t.lastEmail('owner@example.com', 'security_notice')
    expect(mail?.textBody).toMatch(/this link locks down every workspace you trade in:\nhttp:\/\/localhost:8080\/emergency-lockdown#token=[A-Za-z0-9_-]{43}\n/)
  })

  it('locks down: the key refuses, bots stop, exchange and demo orders are cancelled, every session ends', async () => {
    // The owner's step-up is older than five minutes by now: a lockdown from a session needs a fresh one.
    clock.advance(6 * 60_000)
    expect((await send(owner, 'POST', '/lockdown', { reason: 'laptop stolen' })).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    const res = await send(owner, 'POST', '/lockdown', { reason: 'laptop stolen' })
    expect(res.statusCode).toBe(202)
    const result = res.json<LockdownResultView>()
    expect(result).toMatchObject({ joined: false, keysDisabled: 1, pending: ['orders', 'sessions', 'notify'], incident: { state: 'open', trigger: 'web', ordersMode: 'cancel', reason: 'laptop stolen' } })
    incidentId = result.incident.id

    // From the answer on, the key refuses (whatever the background steps are doing).
    await expect(t.relay?.execute(ws, keyId, 'fetchBalance', {}, { type: 'user' })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    await incidents.idle()

    expect(openOnExchange()).toEqual([])
    expect((await createDemoService({ runtime: demo, clock, audit: t.audit }).orders(ws, demoAccountId, { status: 'open' })).length).toBe(0)
    for (const s of [owner, trader]) expect((await t.me(s.cookie)).statusCode).toBe(401)
    const [bot] = await database.db.select({ status: schema.bots.status }).from(schema.bots).where(eq(schema.bots.id, botId))
    expect(bot?.status).toBe('stopped')
    const [halt] = await database.db.select().from(schema.tradingHalts).where(eq(schema.tradingHalts.workspaceId, ws))
    expect(halt).toBeDefined()
    // The signal webhook of a stopped bot is refused, and places nothing.
    const hook = await t.app.inject({ method: 'POST', url: `/api/hooks/signal/${botId}`, payload: JSON.stringify({ secret: webhookSecret, action: 'enter_long', symbol: 'BINANCE:BTCUSDT', timestamp: clock.now().toISOString(), signalId: 'after-lockdown' }), headers: { 'content-type': 'text/plain' } })
    expect(hook.json()).toMatchObject({ code: 'CONFLICT', reason: 'BOT_NOT_RUNNING' })
  })

  it('records the incident with its timeline, audit events in order, and emails every member with their anti-phishing code', async () => {
    owner = await signInOwner()
    const detail = (await send(owner, 'GET', `/incidents/${incidentId}`)).json<IncidentDetailView>()
    expect(detail.timeline.map((e) => [e.kind, e.outcome])).toEqual([
      ['lockdown_triggered', 'success'],
      ['keys', 'success'],
      ['lock', 'success'],
      ['bots', 'success'],
      ['orders', 'success'],
      ['sessions', 'success'],
      ['notify', 'success'],
    ])
    expect(detail.summary).toMatchObject({
      keys: { disabled: 1 },
      bots: { stoppedBots: 1, wasHalted: false, haltSetByLockdown: true },
      orders: { mode: 'cancel', found: 4, cancelled: 4, failed: 0 },
      sessions: { members: 2, sessionsEnded: 2 },
    })
    const types = await chainTypes()
    const from = types.indexOf('lockdown_triggered')
    expect(types.slice(from).filter((x) => x === 'lockdown_triggered' || x === 'lockdown_step')).toEqual(['lockdown_triggered', ...Array(6).fill('lockdown_step')])
    expect(types).toContain('workspace_keys_disabled')
    expect(await verifyChain(database.db, workspaceChain(ws))).toMatchObject({ ok: true })
    expect((await t.alerts.list(ws)).find((a) => a.rule === 'lockdown_started')).toMatchObject({ severity: 'critical', details: { incidentId } })
    const mail = await t.lastEmail('trader@example.com', 'lockdown_started')
    expect(mail?.textBody.split('\n')[0]).toBe('Your Bulwark anti-phishing code: amber-falcon')
    expect(mail?.textBody).toContain('locked down from the web app by owner')
    expect(mail?.textBody).toMatch(/emergency-lockdown#token=/)
    expect(await t.lastEmail('owner@example.com', 'lockdown_started')).toBeDefined()
  })

  it('answers reads while locked and refuses every change with WORKSPACE_LOCKED', async () => {
    expect((await send(owner, 'GET', '/bots')).statusCode).toBe(200)
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { id: incidentId, state: 'open' } })
    const refused = await send(owner, 'POST', `/bots/${botId}/start`)
    expect([refused.statusCode, refused.json()]).toEqual([423, expect.objectContaining({ code: 'WORKSPACE_LOCKED' })])
    expect((await send(owner, 'POST', '/demo/accounts', { name: 'More', kind: 'spot' })).statusCode).toBe(423)
    // A second lockdown joins the open incident.
    const again = await send(owner, 'POST', '/lockdown', {})
    expect(again.json()).toMatchObject({ joined: true, incident: { id: incidentId } })
    await incidents.idle()
    owner = await signInOwner()
  })

  it('unlocks with password + authenticator code + the emailed link (cooling-off 0); keys stay disabled, bots stopped', async () => {
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: 'wrong password here', totp: code() })).json()).toMatchObject({ code: 'FORBIDDEN' })
    const tr = await t.signIn('trader@example.com')
    expect((await send({ cookie: tr.cookie, csrf: tr.csrf }, 'POST', '/incident/unlock/request', { password: 'violet ostrich carburetor lighthouse', totp: '123456' })).statusCode).toBe(403)
    const requested = await send(owner, 'POST', '/incident/unlock/request', { password: 'violet ostrich carburetor lighthouse', totp: code() })
    expect(requested.statusCode).toBe(202)
    expect(requested.json()).toMatchObject({ incidentId, state: 'unlocking', emailedTo: 'owner@example.com', coolingOffSeconds: 0 })
    // Still locked until the link is used.
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { state: 'unlocking' } })
    const token = await t.linkToken('owner@example.com', 'unlock_requested')
    expect(token).not.toBe('')
    const confirmed = await t.post('/api/incident/unlock/confirm', { token })
    expect(confirmed.json()).toMatchObject({ workspaceId: ws, incidentId, state: 'resolved' })
    expect((await t.post('/api/incident/unlock/confirm', { token })).json()).toMatchObject({ code: 'BAD_INPUT' })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: false, incident: null })
    const types = await chainTypes()
    expect(types.slice(types.indexOf('unlock_requested'))).toEqual(expect.arrayContaining(['unlock_requested', 'unlock_confirmed', 'unlock_completed', 'trading_resumed']))
    const [bot] = await database.db.select({ status: schema.bots.status }).from(schema.bots).where(eq(schema.bots.id, botId))
    expect(bot?.status).toBe('stopped')
    await expect(t.relay?.execute(ws, keyId, 'fetchBalance', {}, { type: 'user' })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect(await t.lastEmail('trader@example.com', 'unlock_completed')).toBeDefined()
  })

  it('brings a key back after re-verification and the signer-enforced enable widening', async () => {
    const res = await send(owner, 'POST', `/incident/keys/${keyId}/reenable`)
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ status: 'pending_confirmation', key: { keyId, state: 'disabled' }, operation: { kind: 'enable', state: 'pending' } })
    // No passkey here: the widening applies after the signer's announced delay.
    await expect(t.relay?.execute(ws, keyId, 'fetchBalance', {}, { type: 'user' })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    clock.advance(HOUR_MS + 1_000)
    await t.relay?.listPendingWidenings(ws)
    await expect(t.relay?.execute(ws, keyId, 'fetchBalance', {}, { type: 'user' })).resolves.toBeDefined()
  })

  it('locks down from the emergency link: the preview changes nothing, the POST locks, a second use is refused', async () => {
    const token = await t.linkToken('trader@example.com', 'unlock_completed')
    expect(token).not.toBe('')
    const preview = await t.post('/api/incident/emergency/preview', { token })
    // The trader's own personal workspace too: everywhere they may pull the brake.
    expect(preview.json<{ workspaces: unknown[] }>().workspaces).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: ws, role: 'trader', locked: false }), expect.objectContaining({ role: 'owner', locked: false })]),
    )
    expect(preview.json<{ workspaces: unknown[] }>().workspaces).toHaveLength(2)
    const [wsRow] = await database.db.select({ lockedAt: schema.workspaces.lockedAt }).from(schema.workspaces).where(eq(schema.workspaces.id, ws))
    expect(wsRow?.lockedAt).toBeNull()
    const locked = await t.post('/api/incident/emergency', { token })
    expect(locked.statusCode).toBe(200)
    const entries = locked.json<{ workspaces: Array<{ id: string; incidentId: string | null; error: string | null }> }>().workspaces
    expect(entries.map((e) => e.error)).toEqual([null, null])
    const entry = entries.find((e) => e.id === ws)
    await incidents.idle()
    const [open] = await database.db
      .select()
      .from(schema.incidents)
      .where(and(eq(schema.incidents.workspaceId, ws), eq(schema.incidents.state, 'open')))
    expect(open).toMatchObject({ id: entry?.incidentId, trigger: 'emergency_link' })
    expect((await t.post('/api/incident/emergency', { token })).json()).toMatchObject({ code: 'BAD_INPUT' })
    await expect(t.relay?.execute(ws, keyId, 'fetchBalance', {}, { type: 'user' })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
  })
})

/**
 * Lockdown and unlock without a signer (no exchange keys: that step is skipped and says so), on the real app
 * with demo trading: who may pull the brake and how, `leave` for open orders, the cooling-off after the
 * emailed confirmation (moved clock, then the due unlock is applied), and a lockdown that cancels a pending
 * unlock so its emailed link no longer works.
 */
const COOLING_OFF_SECONDS = 3_600

describe.each(backends)('incidents without a signer on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let incidents: Incidents
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let ws = ''
  let owner: Session
  let viewer: Session
  let totp: TOTP
  let demoAccountId = ''

  const send = (who: Session | { bearer: string }, method: 'GET' | 'POST', path: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/workspaces/${ws}${path}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: 'bearer' in who ? { authorization: `Bearer ${who.bearer}` } : { origin: ORIGIN, cookie: who.cookie, 'x-csrf-token': who.csrf },
    })
  const code = () => {
    clock.advance(30_000)
    return totp.generate({ timestamp: clock.now().getTime() })
  }
  const signInOwner = async (): Promise<Session> => {
    const first = (await t.post('/api/auth/login', { email: 'owner@example.com', password: PASSWORD })).json<{ ticket: string }>()
    const res = await t.post('/api/auth/login', { ticket: first.ticket, totp: code() })
    const cookie = t.cookieOf(res)
    return { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
  }
  const openIncident = async () => (await database.db.select().from(schema.incidents).where(eq(schema.incidents.workspaceId, ws))).find((i) => i.state !== 'resolved')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      clock,
      trading: true,
      routes: (h) => {
        incidents = createIncidents({
          db: h.db,
          clock: h.clock,
          audit: h.audit,
          alerts: h.alerts,
          outbox: h.outbox,
          accounts: h.accounts,
          settings: createWorkspaceSettings({ db: h.db, clock: h.clock }),
          trading: h.trading?.controls,
          demo: h.demo ? createDemoService({ runtime: h.demo, clock: h.clock, audit: h.audit }) : undefined,
          coolingOffSeconds: COOLING_OFF_SECONDS,
        })
        return [(app) => incidentRoutes(app, { db: h.db, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp, incidents })]
      },
    })
    ;({ workspaceId: ws } = await t.addUser('owner@example.com'))
    const { userId: viewerId } = await t.addUser('viewer@example.com')
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: viewerId, role: 'viewer', createdAt: clock.now() })
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    const o = await t.signIn('owner@example.com')
    owner = { cookie: o.cookie, csrf: o.csrf }
    const v = await t.signIn('viewer@example.com')
    viewer = { cookie: v.cookie, csrf: v.csrf }
    const setup = (await t.post('/api/auth/totp/setup', {}, owner)).json<{ secret: string }>()
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    owner.cookie = t.cookieOf(await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, owner))
    const demo = t.demo as DemoRuntime
    demoAccountId = (await send(owner, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })).json<{ id: string }>().id
    await demo.ingest({ symbol: 'BTC/USDT', price: '50000', amount: '5', time: clock.now().getTime() })
    await demo.barrier()
    expect((await send(owner, 'POST', `/demo/accounts/${demoAccountId}/orders`, { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '40000' })).statusCode).toBe(201)
  }, 120_000)
  afterAll(async () => {
    await incidents?.stop()
    await t?.close()
    await database?.dispose()
  })

  it('lets a viewer read but not pull the brake, and an API token with trade scope pull it without step-up', async () => {
    expect((await send(viewer, 'GET', '/lockdown')).json()).toEqual({ locked: false, lockedAt: null, incident: null })
    expect((await send(viewer, 'POST', '/lockdown', {})).statusCode).toBe(403)
    const reader = await t.accounts.apiTokens.create({ userId: (await t.me(owner.cookie)).json<{ user: { id: string } }>().user.id }, { name: 'ro', workspaceId: ws, scope: 'read', expiresInDays: 1, allowedIps: [] }, {})
    expect((await send({ bearer: reader.token }, 'POST', '/lockdown', {})).json()).toMatchObject({ code: 'FORBIDDEN' })
    const trader = await t.accounts.apiTokens.create({ userId: (await t.me(owner.cookie)).json<{ user: { id: string } }>().user.id }, { name: 'monitor', workspaceId: ws, scope: 'trade', expiresInDays: 1, allowedIps: [] }, {})
    const res = await send({ bearer: trader.token }, 'POST', '/lockdown', { reason: 'our monitor saw a withdrawal attempt', orders: 'leave' })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ joined: false, keysDisabled: 0, incident: { trigger: 'web', ordersMode: 'leave', openedBy: { type: 'api_token', id: trader.id } } })
    await incidents.idle()
    // The token that pulled the brake is revoked with every other access to the workspace.
    expect((await send({ bearer: trader.token }, 'GET', '/lockdown')).statusCode).toBe(401)
    const incident = await openIncident()
    const detail = (await incidents.get(ws, incident?.id ?? '')) as IncidentDetailView
    expect(detail.timeline.map((e) => [e.kind, e.outcome])).toEqual([
      ['lockdown_triggered', 'success'],
      ['keys', 'skipped'],
      ['lock', 'success'],
      ['bots', 'success'],
      ['orders', 'skipped'],
      ['sessions', 'success'],
      ['notify', 'success'],
    ])
    expect(detail.summary).toMatchObject({ sessions: { members: 2, apiAccessRevoked: 2 } })
    // `leave`: the demo order is still open.
    expect(await createDemoService({ runtime: t.demo as DemoRuntime, clock, audit: t.audit }).orders(ws, demoAccountId, { status: 'open' })).toHaveLength(1)
  })

  it('opens only after the emailed confirmation AND the cooling-off period', async () => {
    owner = await signInOwner()
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).statusCode).toBe(202)
    const confirmed = await t.post('/api/incident/unlock/confirm', { token: await t.linkToken('owner@example.com', 'unlock_requested') })
    const notBefore = new Date(clock.now().getTime() + COOLING_OFF_SECONDS * 1000).toISOString()
    expect(confirmed.json()).toMatchObject({ state: 'unlocking', unlockNotBefore: notBefore })
    expect((await t.lastEmail('owner@example.com', 'unlock_requested'))?.textBody).toContain('The workspace opens 60 minutes after you confirm.')
    // A second request while confirmed is refused; the workspace is still locked before the time.
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).json()).toMatchObject({ code: 'CONFLICT' })
    expect(await incidents.settleDueUnlocks()).toBe(0)
    expect((await send(owner, 'POST', '/demo/accounts', { name: 'x', kind: 'spot' })).statusCode).toBe(423)
    clock.advance(COOLING_OFF_SECONDS * 1000)
    expect(await incidents.settleDueUnlocks()).toBe(1)
    owner = await signInOwner()
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: false, incident: null })
  })

  it('locks down from the admin socket (bulwark lockdown), waiting for every step; bad input is BAD_INPUT', async () => {
    const verbs = incidentAdminHandlers(incidents)
    await expect(verbs.lockdown?.({ workspaceId: 'nope' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(verbs.lockdown?.({ workspaceId: ws, orders: 'sell_everything' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    const answer = (await verbs.lockdown?.({ workspaceId: ws, orders: 'leave', reason: 'operator drill' })) as { joined: boolean; pending: string[]; incident: IncidentDetailView }
    expect(answer).toMatchObject({ joined: false, pending: [], incident: { trigger: 'cli', openedBy: { type: 'operator_cli', id: null }, reason: 'operator drill' } })
    expect(answer.incident.timeline.map((e) => e.kind)).toEqual(['lockdown_triggered', 'keys', 'lock', 'bots', 'orders', 'sessions', 'notify'])
    expect((await t.lastEmail('owner@example.com', 'lockdown_started'))?.textBody).toContain('with the bulwark command on the server by the operator.')
    // Unlock it again for the next test (cooling-off: move the clock past it).
    owner = await signInOwner()
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).statusCode).toBe(202)
    await t.post('/api/incident/unlock/confirm', { token: await t.linkToken('owner@example.com', 'unlock_requested') })
    clock.advance(COOLING_OFF_SECONDS * 1000)
    expect(await incidents.settleDueUnlocks()).toBe(1)
    owner = await signInOwner()
  })

  it('cancels a pending unlock when the workspace is locked down again: the emailed link no longer confirms', async () => {
    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    expect((await send(owner, 'POST', '/lockdown', { orders: 'cancel' })).statusCode).toBe(202)
    await incidents.idle()
    // `cancel`: the demo order is gone now.
    expect(await createDemoService({ runtime: t.demo as DemoRuntime, clock, audit: t.audit }).orders(ws, demoAccountId, { status: 'open' })).toHaveLength(0)
    owner = await signInOwner()
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).statusCode).toBe(202)
    const token = await t.linkToken('owner@example.com', 'unlock_requested')
    expect((await openIncident())?.state).toBe('unlocking')
    // An intruder who knew the password and code asked; the owner pulls the brake again.
    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    expect((await send(owner, 'POST', '/lockdown', {})).json()).toMatchObject({ joined: true })
    await incidents.idle()
    expect((await openIncident())?.state).toBe('open')
    expect((await t.post('/api/incident/unlock/confirm', { token })).json()).toMatchObject({ code: 'CONFLICT' })
    const detail = await incidents.get(ws, (await openIncident())?.id ?? '')
    expect(detail.timeline.find((e) => e.kind === 'lockdown_repeated')?.details).toMatchObject({ cancelledUnlock: true })
  })
})
