import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { TOTP, Secret } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { startAccountsApp, type AccountsApp, type HarnessServices } from '../../../test/support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../../../test/support/signer-harness.js'
import { createSoftAuthenticator } from '../../../test/support/soft-authenticator.js'
import { randomApiKey, randomHmacSecret } from '../../../test/emulator/emulator-fixtures.js'
import { createManualClock } from '../../lib/clock.js'
import { schema } from '../../db/index.js'
import { createKeyHygiene } from '../../keys/key-hygiene.js'
import { createNotificationChannels } from '../../monitoring/index.js'
import type { SecurityCenterScore, SecurityCheck } from '../../monitoring/security-score.js'
import { securityRoutes } from './security-routes.js'

const ORIGIN = 'http://localhost:8080'
const PASSWORD = 'violet ostrich carburetor lighthouse'
const DAY = 86_400_000
type Session = { cookie: string; csrf: string }

/**
 * The security score over HTTP with the real account services, the real signer and the Binance emulator:
 * each check turns done when its condition is met through the real flow (TOTP enrolment, a passkey, the
 * anti-phishing code, an email channel, a key connected and re-verified) and back when it stops holding
 * (recovery codes used up, the key loses its IP restriction, gains withdraw permission, grows old).
 */
describe.each(backends)('security score on %s', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let h: HarnessServices
  const clock = createManualClock(Date.now())
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const spare = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let workspaceId = ''
  let userId = ''
  let s: Session
  let totpSecret = ''

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, { clock, origin: ORIGIN, emulator: { accounts: [{ ...key, ipRestrict: false, balances: { USDT: '1000' } }, { ...spare, ipRestrict: true, ipWhitelist: ['127.0.0.1'] }], prices: { BTCUSDT: '50000' } } })
    t = await startAccountsApp(database, {
      clock,
      signer: signer.client,
      routes: (services) => {
        h = services
        const a = services.accounts
        if (!services.exchangeAccounts) throw new Error('the harness has a signer')
        const hygiene = createKeyHygiene({ db: services.db, clock, alerts: services.alerts, accounts: services.exchangeAccounts })
        // As main.ts wires it: the api's shared MeReader, whose entry app.ts drops on each change.
        return [(app) => securityRoutes(app, { db: services.db, sessions: a.sessions, apiTokens: a.apiTokens, hygiene, me: a.me })]
      },
    })
    await t.setup.initFromCli({ email: 'ops@example.com', password: PASSWORD, workspaceName: 'Desk' })
    ;({ workspaceId, userId } = await t.addUser('trader@example.com'))
    const first = await t.signIn('trader@example.com')
    s = { cookie: first.cookie, csrf: first.csrf }
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await signer?.close()
    await database?.dispose()
  })

  const score = async (session: Session = s): Promise<SecurityCenterScore> => {
    const res = await t.call('GET', `/api/workspaces/${workspaceId}/security/score`, session)
    expect(res.statusCode, res.body).toBe(200)
    return res.json<SecurityCenterScore>()
  }
  const checkOf = async (id: SecurityCheck['id']) => (await score()).checks.find((c) => c.id === id)
  const codeNow = () => new TOTP({ secret: Secret.fromBase32(totpSecret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: clock.now().getTime() })
  const actor = () => ({ type: 'user' as const, id: userId })
  /** Password and an authenticator code (of a fresh time step: a code is accepted once). */
  const signInAgain = async () => {
    clock.advance(30_000)
    const first = await t.post('/api/auth/login', { email: 'trader@example.com', password: PASSWORD })
    const signedIn = await t.post('/api/auth/login', { ticket: first.json<{ ticket: string }>().ticket, totp: codeNow() })
    expect(signedIn.statusCode, signedIn.body).toBe(200)
    const cookie = t.cookieOf(signedIn)
    s = { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
  }
  const keys = () => {
    if (!h.exchangeAccounts) throw new Error('the harness has a signer')
    return h.exchangeAccounts
  }

  it('a new member without keys: the key checks done with "No keys yet", a step for each of the rest', async () => {
    const { score: value, checks } = await score()
    expect(value).toBe(35)
    expect(checks.map((c) => [c.id, c.done])).toEqual([
      ['two_factor', false],
      ['passkey', false],
      ['anti_phishing', false],
      ['recovery_codes', false],
      ['keys_ip_restricted', true],
      ['keys_rotated', true],
      ['keys_no_withdraw', true],
      ['alert_channel', false],
    ])
    expect(checks.find((c) => c.id === 'two_factor')).toMatchObject({ label: 'Two-factor sign-in is on', weight: 25, fix: { label: 'Turn on two-factor sign-in', path: '/security' } })
    expect(checks.filter((c) => c.id.startsWith('keys_')).map((c) => c.detail)).toEqual(['No keys yet', 'No keys yet', 'No keys yet'])
  })

  it('refuses a bad workspace id, someone else\'s workspace, and no session', async () => {
    expect((await t.call('GET', '/api/workspaces/not-a-uuid/security/score', s)).statusCode).toBe(404)
    const other = await t.addUser('other@example.com')
    expect((await t.call('GET', `/api/workspaces/${other.workspaceId}/security/score`, s)).statusCode).toBe(404)
    expect((await t.app.inject({ url: `/api/workspaces/${workspaceId}/security/score` })).statusCode).toBe(401)
  })

  it('TOTP turns on two-factor and brings recovery codes; using every code up undoes that check, new codes restore it', async () => {
    const setup = await t.post('/api/auth/totp/setup', {}, s)
    totpSecret = setup.json<{ secret: string }>().secret
    const enabled = await t.post('/api/auth/totp/enable', { code: codeNow() }, s)
    expect(enabled.statusCode).toBe(200)
    s.cookie = t.cookieOf(enabled)
    expect(await score()).toMatchObject({ score: 35 + 25 + 5 })
    expect(await checkOf('two_factor')).toMatchObject({ done: true, detail: 'Signing in asks for an authenticator code' })

    for (const code of enabled.json<{ recoveryCodes: string[] }>().recoveryCodes) await h.accounts.recovery.consume(userId, code)
    // Used outside this api's requests: the member's cached view shows it within the second (auth/me.ts).
    clock.advance(1_000)
    expect(await checkOf('recovery_codes')).toMatchObject({ done: false, detail: 'Every recovery code is used', fix: { label: 'Make new recovery codes' } })
    // Past the enrolment, a second factor confirms sensitive changes: step up with a code of a new time step.
    clock.advance(30_000)
    expect((await t.post('/api/auth/step-up', { totp: codeNow() }, s)).statusCode).toBe(200)
    const fresh = await t.post('/api/auth/recovery-codes', {}, s)
    expect(fresh.statusCode).toBe(200)
    s.cookie = t.cookieOf(fresh) || s.cookie
    expect(await checkOf('recovery_codes')).toMatchObject({ done: true, detail: '10 codes left' })
  })

  it('a passkey, the anti-phishing code and an email channel each complete their check', async () => {
    const authenticator = createSoftAuthenticator({ origin: ORIGIN })
    const options = await t.post('/api/auth/passkeys/options', {}, s)
    expect(options.statusCode, options.body).toBe(200)
    const added = await t.post('/api/auth/passkeys', { response: authenticator.register(options.json()), name: 'Laptop' }, s)
    expect(added.statusCode).toBe(201)
    s.cookie = t.cookieOf(added) || s.cookie
    expect(await checkOf('passkey')).toMatchObject({ done: true, detail: '1 passkey' })

    expect((await t.call('PUT', '/api/auth/anti-phishing-code', s, { code: 'blue-falcon-7' })).statusCode).toBe(204)
    const phishing = await checkOf('anti_phishing')
    expect(phishing).toMatchObject({ done: true })
    // The code itself is the member's secret against forged emails: the score never carries it.
    expect(JSON.stringify(await score())).not.toContain('blue-falcon-7')

    const channels = createNotificationChannels({ db: h.db, clock, audit: h.audit, alerts: h.alerts, webhookKey: randomBytes(32), allowPrivate: true })
    await channels.createEmail(workspaceId, { userId, canManageWebhooks: true }, {})
    expect(await checkOf('alert_channel')).toMatchObject({ done: true, detail: 'Alerts go to email' })
    expect(await score()).toMatchObject({ score: 100 })
  })

  it('a key without IP restriction lowers the score; restricting it at the exchange and re-verifying restores it', async () => {
    // Keys can be connected a day after the sign-in factors last changed (the passkey above).
    clock.advance(DAY + 60_000)
    await signInAgain()
    const account = await keys().connect(actor(), workspaceId, { exchange: 'binance', label: 'Main', envelope: await signer.seal(workspaceId, key) })
    expect(await checkOf('keys_ip_restricted')).toMatchObject({ done: false, detail: '0 of 1 key is IP-restricted; "Main" is not' })
    expect(await score()).toMatchObject({ score: 85 })
    Object.assign(signer.emulator.account(key.apiKey), { ipRestrict: true, ipWhitelist: ['127.0.0.1'] })
    await keys().reverify(actor(), workspaceId, account.id)
    expect(await checkOf('keys_ip_restricted')).toMatchObject({ done: true, detail: '1 of 1 key is IP-restricted' })
    expect(await checkOf('keys_no_withdraw')).toMatchObject({ done: true, detail: '1 key, none with withdraw permission' })
  })

  it('a key past the workspace rotation period fails the age check', async () => {
    expect(await checkOf('keys_rotated')).toMatchObject({ done: true, label: 'No active key is older than 90 days' })
    clock.advance(91 * DAY)
    await signInAgain() // the session has ended by now
    expect(await checkOf('keys_rotated')).toMatchObject({ done: false, detail: '"Main" is due for rotation', fix: { path: '/exchanges' } })
  })

  it('a key whose withdraw permission is not confirmed off fails the withdraw check until the exchange answers', async () => {
    // The exchange does not answer the permission check: the signer stores the key unverified (it cannot trade).
    signer.emulator.failNext('/sapi/v1/account/apiRestrictions', { mode: 'error500' })
    const account = await keys().connect(actor(), workspaceId, { exchange: 'binance', label: 'Spare', envelope: await signer.seal(workspaceId, spare) })
    expect(account.state).toBe('unverified')
    expect(await checkOf('keys_no_withdraw')).toMatchObject({ done: false, detail: '"Spare": withdraw permission on, or not confirmed off' })
    await keys().reverify(actor(), workspaceId, account.id)
    expect(await checkOf('keys_no_withdraw')).toMatchObject({ done: true, detail: '2 keys, none with withdraw permission' })
  })

  it('warns, beside the score, when approvals are off in a team and names members the two-factor policy limits to viewer', async () => {
    // Alone in the workspace: approvals off is nobody else's business, and nothing to warn about.
    expect((await score()).warnings).toEqual([])
    const before = (await score()).score
    const colleague = await t.addUser('colleague@example.com')
    await h.db.insert(schema.memberships).values({ workspaceId, userId: colleague.userId, role: 'trader', createdAt: clock.now() })
    const { warnings, score: value } = await score()
    expect(value).toBe(before) // warnings never move the member's own score
    expect(warnings).toEqual([expect.objectContaining({ id: 'approvals_off', severity: 'warning', members: [], fix: { label: 'Turn approvals on', path: '/policies' } })])
    expect(warnings[0]?.message).toContain('Four-eyes approvals are off in a workspace of 2 members')

    await h.db.update(schema.workspaces).set({ approvalsRequired: true, requireTwoFactor: true }).where(eq(schema.workspaces.id, workspaceId))
    expect((await score()).warnings).toEqual([
      {
        id: 'members_limited_by_two_factor',
        severity: 'info',
        message: '1 member acts as a viewer until they set up two-factor sign-in, as this workspace requires: colleague',
        members: [{ userId: colleague.userId, displayName: 'colleague', email: 'colleague@example.com' }],
        fix: { label: 'Ask them to turn on two-factor sign-in', path: '/team' },
      },
    ])
  })
})
