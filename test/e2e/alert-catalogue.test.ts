import { TOTP, Secret } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startAccountsApp, type AccountsApp, type HarnessServices } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { createManualClock, systemClock } from '../../src/lib/clock.js'
import { createFactorService } from '../../src/auth/factor-service.js'
import { createExchangeAccounts, type ExchangeAccounts } from '../../src/keys/index.js'
import { createExchangeActivity } from '../../src/keys/exchange-activity.js'
import { createKeyHygiene, type KeyHygiene } from '../../src/keys/key-hygiene.js'
import { createMetrics, createWorkspaceSettings, type Alert } from '../../src/monitoring/index.js'
import { activityRoutes } from '../../src/api/routes/activity-routes.js'
import { settingsRoutes } from '../../src/api/routes/settings-routes.js'
import { metricsRoutes } from '../../src/api/routes/metrics-routes.js'
import { securityRoutes } from '../../src/api/routes/security-routes.js'

const ORIGIN = 'http://localhost:8080'
const PASSWORD = 'violet ostrich carburetor lighthouse'
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef'
const DAY = 86_400_000
type Session = { cookie: string; csrf: string }

/**
 * The alert catalogue end to end (issue 8): each rule fires exactly once for its trigger, driven through
 * the real flows — sign-ins over HTTP, account changes, keys connected, rotated, re-verified and removed
 * through the real signer against the Binance emulator, the hygiene job with the clock moved — and a
 * normal day raises nothing. Also the activity log, the security center, settings and /metrics.
 */
describe.each(backends)('alert catalogue on %s', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let h: HarnessServices
  // The accounts graph wires its own services; key lifecycle and factor alerts need the alerts sink
  // passed to them (the api root does it), so these tests build those two services as the root does.
  let keys: ExchangeAccounts
  let hygiene: KeyHygiene
  let factorService: ReturnType<typeof createFactorService>
  const clock = createManualClock(Date.now())
  const main = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const second = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const replacement = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const gone = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let workspaceId = ''
  let userId = ''
  let s: Session
  let deviceCookie = ''
  let totp: TOTP

  const emulatorAccount = (c: { apiKey: string; secret: string }, usdt = '10000') => ({ ...c, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: usdt, BTC: '1' } })

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, { clock, origin: ORIGIN, emulator: { accounts: [main, second, replacement, gone].map((c) => emulatorAccount(c)), prices: { BTCUSDT: '50000' } } })
    t = await startAccountsApp(database, {
      clock,
      signer: signer.client,
      routes: (services) => {
        h = services
        const { db } = services
        const a = services.accounts
        if (!services.relay) throw new Error('the harness has a signer')
        keys = createExchangeAccounts({ db, clock, relay: services.relay, audit: services.audit, alerts: services.alerts, mayConnect: (u, w) => a.accounts.assertMayConnectKeys(u, w) })
        hygiene = createKeyHygiene({ db, clock, alerts: services.alerts, accounts: keys })
        factorService = createFactorService({ db, clock, sessions: a.sessions, totp: a.totp, recovery: a.recovery, passkeys: a.passkeys, factors: a.factors, mailer: services.outbox, audit: services.audit, alerts: services.alerts })
        const settings = createWorkspaceSettings({ db, clock, audit: services.audit })
        const common = { db, sessions: a.sessions, apiTokens: a.apiTokens }
        return [
          // The relay journals calls at wall-clock time (key-admin.ts), so the summary's window is read on that clock too.
          (app) => activityRoutes(app, { ...common, activity: createExchangeActivity({ db, clock: systemClock }) }),
          (app) => settingsRoutes(app, { ...common, stepUp: a.stepUp, settings }),
          (app) => securityRoutes(app, { ...common, hygiene }),
          (app) => metricsRoutes(app, { metrics: createMetrics({ db }), token: METRICS_TOKEN }),
        ]
      },
    })
    await t.setup.initFromCli({ email: 'ops@example.com', password: PASSWORD, workspaceName: 'Desk' })
    ;({ workspaceId, userId } = await t.addUser('trader@example.com'))
    // The account's first sign-in: its first device, nothing to warn about.
    const first = await t.signIn('trader@example.com')
    s = { cookie: first.cookie, csrf: first.csrf }
    deviceCookie = t.deviceCookieOf(first.res) ?? ''
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await signer?.close()
    await database?.dispose()
  })

  const alertsOf = async (rule?: string): Promise<Alert[]> => (await h.alerts.list(workspaceId, { limit: 500 })).filter((a) => rule === undefined || a.rule === rule)
  /** Runs `act` and returns the alerts it raised (new ones, and repeats counted on an existing one). */
  const raisedBy = async (act: () => Promise<unknown>): Promise<Alert[]> => {
    const before = new Map((await alertsOf()).map((a) => [a.id, a.occurrences]))
    await act()
    return (await alertsOf()).filter((a) => before.get(a.id) !== a.occurrences)
  }
  const login = (email: string, password: string, headers: Record<string, string> = {}) => t.post('/api/auth/login', { email, password }, undefined, headers)
  const actor = () => ({ type: 'user' as const, id: userId })
  /** Password and authenticator code from the known device (after the clock moved, the old session has ended). */
  const signInWithTotp = async (): Promise<Session> => {
    const first = await login('trader2@example.com', PASSWORD, { cookie: deviceCookie })
    const { ticket } = first.json<{ ticket: string }>()
    clock.advance(30_000) // a fresh time step: a code is accepted once
    const res = await t.post('/api/auth/login', { ticket, totp: totp.generate({ timestamp: clock.now().getTime() }) }, undefined, { cookie: deviceCookie })
    if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`)
    const cookie = t.cookieOf(res)
    return { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
  }

  it('a normal day raises nothing: sign-ins from the known device, reading, trading calls', async () => {
    const raised = await raisedBy(async () => {
      for (let i = 0; i < 2; i++) expect((await login('trader@example.com', PASSWORD, { cookie: deviceCookie })).statusCode).toBe(200)
      expect((await t.call('GET', `/api/workspaces/${workspaceId}/alerts`, s)).statusCode).toBe(200)
      expect((await t.call('GET', `/api/workspaces/${workspaceId}/settings`, s)).statusCode).toBe(200)
      // One wrong password is a typo, not a burst.
      expect((await login('trader@example.com', 'not the password at all')).statusCode).toBe(401)
      expect((await login('trader@example.com', PASSWORD, { cookie: deviceCookie })).statusCode).toBe(200)
    })
    expect(raised).toEqual([])
  })

  it('new_device: a sign-in from an unseen browser, once; the same device again raises nothing', async () => {
    const raised = await raisedBy(() => login('trader@example.com', PASSWORD, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' }))
    expect(raised).toEqual([expect.objectContaining({ rule: 'new_device', severity: 'warning', occurrences: 1, details: expect.objectContaining({ userId, browser: expect.any(String) }) })])
    expect(await raisedBy(() => login('trader@example.com', PASSWORD, { cookie: deviceCookie }))).toEqual([])
  })

  it('login_failure_burst: five wrong passwords in a row, once (the sixth does not repeat it)', async () => {
    const raised = await raisedBy(async () => {
      for (let i = 0; i < 6; i++) expect((await login('trader@example.com', `wrong guess number ${i}`)).statusCode).toBe(401)
    })
    expect(raised).toEqual([expect.objectContaining({ rule: 'login_failure_burst', severity: 'warning', occurrences: 1, details: expect.objectContaining({ userId, failures: 5 }) })])
    // The owner signs in afterwards: that is the separate "success after failures" rule, once.
    const after = await raisedBy(() => login('trader@example.com', PASSWORD, { cookie: deviceCookie }))
    expect(after.map((a) => a.rule)).toEqual(['signin_after_failures'])
  })

  it('password_changed: a change in the settings, once', async () => {
    const fresh = await t.signIn('trader@example.com', PASSWORD, { cookie: deviceCookie })
    const next = 'amber walrus telescope orchard'
    const raised = await raisedBy(async () => expect((await t.call('PUT', '/api/auth/password', fresh, { currentPassword: PASSWORD, newPassword: next })).statusCode).toBe(204))
    expect(raised).toEqual([expect.objectContaining({ rule: 'password_changed', severity: 'warning', details: expect.objectContaining({ userId, via: 'settings' }) })])
    // Back to the usual password (a second change is a second alert: each change is news).
    const again = await t.signIn('trader@example.com', next, { cookie: deviceCookie })
    await t.call('PUT', '/api/auth/password', again, { currentPassword: next, newPassword: PASSWORD })
    expect(await alertsOf('password_changed')).toHaveLength(2)
    s = await t.signIn('trader@example.com', PASSWORD, { cookie: deviceCookie })
  })

  it('email_changed: only when the new address confirms, once', async () => {
    const requested = await raisedBy(async () => expect((await t.post('/api/auth/email', { newEmail: 'trader2@example.com' }, s)).statusCode).toBe(202))
    expect(requested).toEqual([])
    const token = await t.linkToken('trader2@example.com', 'email_change_confirm')
    const raised = await raisedBy(async () => expect((await t.post('/api/auth/confirm-email', { token })).statusCode).toBe(200))
    expect(raised).toEqual([expect.objectContaining({ rule: 'email_changed', severity: 'warning', details: expect.objectContaining({ userId }) })])
    s = await t.signIn('trader2@example.com', PASSWORD, { cookie: deviceCookie })
  })

  it('second_factor_changed: turning on the authenticator app, once', async () => {
    const session = await t.accounts.sessions.authenticate(s.cookie.split('=')[1] ?? '')
    if (!session) throw new Error('signed in above')
    const setup = await factorService.beginTotp(session)
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    const raised = await raisedBy(() => factorService.enableTotp(session, totp.generate({ timestamp: clock.now().getTime() }), { ip: '203.0.113.7' }))
    expect(raised).toEqual([expect.objectContaining({ rule: 'second_factor_changed', severity: 'warning', details: expect.objectContaining({ change: 'totp_enabled' }) })])
  })

  let accountId = ''
  it('key_connected: a sealed key verified by the signer, once', async () => {
    const raised = await raisedBy(async () => {
      const account = await keys.connect(actor(), workspaceId, { exchange: 'binance', label: 'Main', envelope: await signer.seal(workspaceId, main) })
      accountId = account.id
    })
    expect(raised).toEqual([expect.objectContaining({ rule: 'key_connected', severity: 'info', details: expect.objectContaining({ exchangeAccountId: accountId, exchange: 'binance', label: 'Main' }) })])
    expect(JSON.stringify(raised)).not.toContain(main.secret)
  })

  it('key_rotated: connect the new key, switch the account, disable and destroy the old — orders of the old key stay reachable', async () => {
    const [before] = await keys.list(workspaceId)
    if (!before) throw new Error('connected above')
    // An order the old key placed, resting on the exchange account (the same account the new key belongs to).
    const placed = (await h.relay?.execute(workspaceId, before.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '48000' }, actor())) as { id: string }
    const oldAccount = signer.emulator.account(main.apiKey)
    const newAccount = signer.emulator.account(replacement.apiKey)
    // Two API keys of one exchange account: the replacement key sees the same wallet and orders.
    newAccount.balances = oldAccount.balances
    ;(newAccount.orders as unknown[]).push(...oldAccount.orders)

    const raised = await raisedBy(async () => {
      const after = await keys.rotate(actor(), workspaceId, accountId, await signer.seal(workspaceId, replacement))
      expect(after).toMatchObject({ id: accountId, state: 'active' })
      expect(after.keyId).not.toBe(before.keyId)
    })
    expect(raised).toEqual([expect.objectContaining({ rule: 'key_rotated', severity: 'info', details: expect.objectContaining({ oldKeyId: before.keyId }) })])
    const [after] = await keys.list(workspaceId)
    // The old key refuses; the account's orders are reachable through the new key (cancel included).
    await expect(h.relay?.execute(workspaceId, before.keyId, 'fetchBalance', {}, actor())).rejects.toMatchObject({ code: expect.stringMatching(/KEY_UNAVAILABLE|NOT_FOUND/) })
    const open = (await h.relay?.execute(workspaceId, after?.keyId ?? '', 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor())) as Array<{ id: string }>
    expect(open.map((o) => o.id)).toContain(placed.id)
    expect(await h.relay?.execute(workspaceId, after?.keyId ?? '', 'cancelOrder', { id: placed.id, symbol: 'BTC/USDT' }, actor())).toMatchObject({ id: placed.id })
  })

  it('key_permission_changed: the key gains withdraw permission at the exchange; re-verification disables it, one critical alert', async () => {
    signer.emulator.account(replacement.apiKey).permissions.enableWithdrawals = true
    const raised = await raisedBy(() => keys.reverifyAll())
    expect(raised).toEqual([expect.objectContaining({ rule: 'key_permission_changed', severity: 'critical' })])
    expect((await keys.list(workspaceId))[0]).toMatchObject({ state: 'disabled' })
    // The daily job again: the key is disabled, so it is not asked again and nothing repeats.
    expect(await raisedBy(() => keys.reverifyAll())).toEqual([])
    signer.emulator.account(replacement.apiKey).permissions.enableWithdrawals = false
  })

  it('key_removed: once, and the key is gone from the signer', async () => {
    const account = await keys.connect(actor(), workspaceId, { exchange: 'binance', label: 'Spare', envelope: await signer.seal(workspaceId, gone) })
    const raised = await raisedBy(() => keys.remove(actor(), workspaceId, account.id))
    expect(raised).toEqual([expect.objectContaining({ rule: 'key_removed', details: expect.objectContaining({ exchangeAccountId: account.id, label: 'Spare' }) })])
    expect((await h.relay?.list(workspaceId))?.map((k) => k.keyId)).not.toContain(account.keyId)
  })

  it('key_rotation_due and key_unused: the daily job with the clock past the rotation age, once a week per key', async () => {
    const fresh = await keys.connect(actor(), workspaceId, { exchange: 'binance', label: 'Second', envelope: await signer.seal(workspaceId, second) })
    await h.relay?.execute(workspaceId, fresh.keyId, 'fetchBalance', {}, actor())
    // Today: a fresh key, just used.
    expect(await raisedBy(() => hygiene.checkKeys())).toEqual([])
    // 84 days on (90-day period, reminder 7 days ahead: due from day 83), unused since day 0 (30 days).
    clock.advance(84 * DAY)
    const raised = await raisedBy(() => hygiene.checkKeys())
    const forFresh = raised.filter((a) => a.details.keyId === fresh.keyId)
    expect(forFresh.map((a) => a.rule).sort()).toEqual(['key_rotation_due', 'key_unused'])
    expect(forFresh.find((a) => a.rule === 'key_rotation_due')).toMatchObject({ severity: 'warning', occurrences: 1, details: expect.objectContaining({ ageDays: 84, rotationDays: 90 }) })
    // The next day's run counts on the same alerts (de-duplicated per key for a week), it does not add any.
    clock.advance(DAY)
    const count = (await alertsOf()).length
    await hygiene.checkKeys()
    expect(await alertsOf()).toHaveLength(count)
    // The security center shows the same facts.
    s = await signInWithTotp()
    const health = (await t.call('GET', `/api/workspaces/${workspaceId}/security/keys`, s)).json<Array<{ keyId: string; ageDays: number; rotationDueInDays: number; badges: Record<string, boolean> }>>()
    expect(health.find((k) => k.keyId === fresh.keyId)).toMatchObject({ ageDays: 85, rotationDueInDays: 5, badges: { withdrawDisabled: true, ipRestricted: true, tradingEnabled: true } })
  })

  it('the exchange-activity log: filtered, paged and summarized per key', async () => {
    const [account] = (await keys.list(workspaceId)).filter((k) => k.label === 'Second')
    if (!account) throw new Error('connected above')
    for (let i = 0; i < 3; i++) await h.relay?.execute(workspaceId, account.keyId, 'fetchBalance', {}, actor())
    await expect(h.relay?.execute(workspaceId, account.keyId, 'createOrder', { symbol: 'DOGE/USDT', type: 'market', side: 'buy', amount: '1' }, actor())).rejects.toMatchObject({ code: 'KEY_LIMIT_EXCEEDED' })
    const base = `/api/workspaces/${workspaceId}/activity`
    const page1 = (await t.call('GET', `${base}?keyId=${account.keyId}&method=fetchBalance&limit=2`, s)).json<{ entries: Array<{ method: string; outcome: string }>; next: string | null }>()
    expect(page1.entries).toHaveLength(2)
    const page2 = (await t.call('GET', `${base}?keyId=${account.keyId}&method=fetchBalance&limit=2&cursor=${page1.next}`, s)).json<{ entries: Array<{ id: string }>; next: string | null }>()
    // 1 call on the day it was connected + 3 now = 4 fetchBalance calls: two pages of two, no more.
    expect(page2.entries).toHaveLength(2)
    expect(page2.next).toBeNull()
    const denied = (await t.call('GET', `${base}?outcome=denied&keyId=${account.keyId}`, s)).json<{ entries: Array<{ method: string; errorCode: string }> }>()
    expect(denied.entries).toEqual([expect.objectContaining({ method: 'createOrder', errorCode: 'KEY_LIMIT_EXCEEDED' })])
    expect((await t.call('GET', `${base}?outcome=maybe`, s)).json()).toMatchObject({ code: 'BAD_INPUT' })

    const newest = (await t.call('GET', `${base}?keyId=${account.keyId}&limit=1`, s)).json<{ entries: Array<{ occurredAt: string }> }>().entries[0]
    const summary = (await t.call('GET', `${base}/summary?keyId=${account.keyId}`, s)).json<Array<{ requests: number; denied: number; lastUsedAt: string; perDay: Array<{ requests: number }>; latencyP50Ms: number | null }>>()
    expect(summary).toHaveLength(1)
    // 1 + 3 fetchBalance, 1 refused createOrder
    expect(summary[0]).toMatchObject({ requests: 5, denied: 1, errors: 0, lastUsedAt: newest?.occurredAt, latencyP50Ms: expect.any(Number) })
    expect(summary[0]?.perDay).toHaveLength(30)
    expect(summary[0]?.perDay.reduce((n, d) => n + d.requests, 0)).toBe(5)
  })

  it('settings: security rules cannot be turned off; others can, with step-up, and then stay quiet', async () => {
    const url = `/api/workspaces/${workspaceId}/settings`
    s = await signInWithTotp() // a sign-in with both factors is a fresh step-up
    expect((await t.call('PATCH', url, s, { alerts: { rules: { foreign_order_detected: { enabled: false } } } })).json()).toMatchObject({ code: 'BAD_INPUT' })
    const patched = await t.call('PATCH', url, s, { alerts: { rules: { key_connected: { enabled: false } } }, keys: { rotationDays: 60 } })
    expect(patched.json()).toMatchObject({ alerts: { rules: { key_connected: { enabled: false } } }, keys: { rotationDays: 60, remindDaysBefore: 7 } })
    const rules = (await t.call('GET', `/api/workspaces/${workspaceId}/alert-rules`, s)).json<Array<{ id: string; enabled: boolean; canDisable: boolean }>>()
    expect(rules.find((r) => r.id === 'key_connected')).toMatchObject({ enabled: false, canDisable: true })
    expect(rules.find((r) => r.id === 'signer_refused')).toMatchObject({ enabled: true, canDisable: false })
    const quiet = await raisedBy(async () => keys.connect(actor(), workspaceId, { exchange: 'binance', label: 'Quiet', envelope: await signer.seal(workspaceId, gone) }))
    expect(quiet).toEqual([])
  })

  it('GET /metrics: 401 without the token, Prometheus text with it', async () => {
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-wrong-token-wrong-token' } })).statusCode).toBe(401)
    // A session is not the metrics token.
    expect((await t.app.inject({ url: '/metrics', headers: { cookie: s.cookie } })).statusCode).toBe(401)
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/plain/)
    expect(res.body).toMatch(/bulwark_logins_total\{outcome="success"\} [1-9]/)
    expect(res.body).toMatch(/bulwark_logins_total\{outcome="failure"\} [1-9]/)
    expect(res.body).toMatch(/bulwark_alerts_total\{rule="key_permission_changed",severity="critical"\} 1/)
    expect(res.body).toMatch(/bulwark_bots\{status="running"\} 0/)
    expect(res.body).not.toContain(METRICS_TOKEN)
  })
})
