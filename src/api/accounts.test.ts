import { TOTP, Secret } from 'otpauth'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { PASSWORD, startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'
import { createSoftAuthenticator } from '../../test/support/soft-authenticator.js'
import { rowsOf, schema } from '../db/index.js'
import { parsePhc, throttlePolicy } from '../auth/index.js'

type Session = { cookie: string; csrf: string }

/**
 * Accounts over real HTTP (the app built in-process, injected clock, real outbox): sign-up and email
 * links, TOTP and recovery codes at sign-in, step-up, passkeys, devices and "this wasn't me", resets,
 * lockout with the emailed unlock link, API tokens, the anti-phishing code (R20–R35).
 */
describe.each(backends)('accounts on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database)
    await t.setup.initFromCli({ email: 'ops@example.com', password: PASSWORD, workspaceName: 'Desk' })
  })
  afterAll(async () => {
    await t.close()
    await database.dispose()
  })

  /** The authenticator app: a code for the clock's current step (or a neighbouring one). */
  const codeFor = (secret: string, stepOffset = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: t.clock.now().getTime() + stepOffset * 30_000 })
  const nextStep = () => t.clock.advance(30_000)

  const enableTotp = async (s: Session) => {
    const setup = await t.post('/api/auth/totp/setup', {}, s)
    expect(setup.statusCode).toBe(200)
    const { secret, otpauthUri, qrDataUrl } = setup.json<{ secret: string; otpauthUri: string; qrDataUrl: string }>()
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Bulwark:.+secret=/)
    expect(qrDataUrl).toMatch(/^data:image\/png;base64,/)
    const enabled = await t.post('/api/auth/totp/enable', { code: codeFor(secret) }, s)
    expect(enabled.statusCode).toBe(200)
    const rotated = t.cookieOf(enabled) // R29: enrolment rotates the session token
    expect(rotated).not.toBe(s.cookie)
    expect((await t.me(s.cookie)).statusCode).toBe(401)
    s.cookie = rotated
    return { secret, recoveryCodes: enabled.json<{ recoveryCodes: string[] }>().recoveryCodes }
  }

  it('signs up with a personal workspace, the same answer for a taken address (R28), and verifies the email once', async () => {
    const fresh = await t.post('/api/auth/register', { email: 'new@example.com', password: PASSWORD })
    const taken = await t.post('/api/auth/register', { email: 'ops@example.com', password: PASSWORD })
    expect(fresh.statusCode).toBe(202)
    expect(fresh.body).toBe(taken.body)
    // The owner of the taken address hears about it; the newcomer gets a verification link.
    expect((await t.lastEmail('ops@example.com'))?.textBody).toContain('sign up')
    const token = await t.linkToken('new@example.com', 'verify_email')
    expect(token).not.toBe('')
    const s = await t.signIn('new@example.com')
    const before = (await t.me(s.cookie)).json<{ user: { emailVerified: boolean }; workspaces: Array<{ role: string }> }>()
    expect(before.user.emailVerified).toBe(false)
    expect(before.workspaces).toEqual([expect.objectContaining({ role: 'owner' })])
    expect((await t.post('/api/auth/verify-email', { token })).statusCode).toBe(200)
    expect((await t.post('/api/auth/verify-email', { token })).json()).toMatchObject({ code: 'BAD_INPUT' })
    expect((await t.me(s.cookie)).json<{ user: { emailVerified: boolean } }>().user.emailVerified).toBe(true)
  })

  it('R20/R21: rejects short, common and context passwords with the reason; accepts long ones without truncating', async () => {
    const reg = (email: string, password: string) => t.post('/api/auth/register', { email, password })
    expect((await reg('a@example.com', 'fourteen chars')).json()).toMatchObject({ code: 'PASSWORD_REJECTED', reason: 'TOO_SHORT' })
    expect((await reg('b@example.com', 'password1234567')).json()).toMatchObject({ code: 'PASSWORD_REJECTED', reason: 'BREACHED_OR_COMMON' })
    expect((await reg('c@example.com', 'Bulwark2025!!!!!!')).json()).toMatchObject({ code: 'PASSWORD_REJECTED', reason: 'BREACHED_OR_COMMON' })
    const long = `${'violet ostrich carburetor lighthouse '.repeat(3)}xq`.slice(0, 100)
    expect((await reg('long@example.com', long)).statusCode).toBe(202)
    expect((await t.post('/api/auth/login', { email: 'long@example.com', password: `${long.slice(0, 99)}Z` })).statusCode).toBe(401)
    expect((await t.post('/api/auth/login', { email: 'long@example.com', password: long })).statusCode).toBe(200)
    expect((await t.post('/api/auth/register', { email: 'd@example.com', password: PASSWORD, admin: true })).json()).toMatchObject({ code: 'BAD_INPUT', message: 'body: unknown field "admin"' })
  })

  it('R22: every stored hash is argon2id at or above the floor', async () => {
    const rows = rowsOf<{ h: string }>(await database.db.execute(sql`select password_hash as h from users where password_hash is not null`))
    expect(rows.length).toBeGreaterThan(0)
    for (const { h } of rows) {
      const p = parsePhc(h)
      expect(p.algorithm).toBe('argon2id')
      expect(p.memorySize).toBeGreaterThanOrEqual(19_456)
      expect(p.iterations).toBeGreaterThanOrEqual(2)
      expect(p.parallelism).toBe(1)
      expect(p.saltBytes).toBeGreaterThanOrEqual(16)
    }
  })

  it('R24: parallel guesses on one sign-in ticket get five tries in all, counted before the code is checked', async () => {
    await t.addUser('burst@example.com')
    const s = await t.signIn('burst@example.com')
    const { secret } = await enableTotp(s)
    const ticket = (await t.post('/api/auth/login', { email: 'burst@example.com', password: PASSWORD })).json<{ ticket: string }>().ticket
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => t.post('/api/auth/login', { ticket, totp: String(100_000 + i) })))
    expect(guesses.every((g) => g.statusCode === 401)).toBe(true)
    nextStep()
    // The ticket is spent: even the right code is refused on it.
    expect((await t.post('/api/auth/login', { ticket, totp: codeFor(secret) })).json()).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/expired/) })
  })

  it('R23/R27: TOTP at sign-in, each code once (replay → OTP_REPLAY), step −2 refused, recovery codes single-use', async () => {
    await t.addUser('totp@example.com')
    const s = await t.signIn('totp@example.com')
    const { secret, recoveryCodes } = await enableTotp(s)
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    const stored = JSON.stringify(rowsOf(await database.db.execute(sql`select * from recovery_codes`)))
    for (const code of recoveryCodes) expect(stored).not.toContain(code.split('.')[1] ?? code)
    expect((await t.lastEmail('totp@example.com', 'security_notice'))?.textBody).toMatch(/authenticator|two-factor|TOTP/i)

    const password = async () => {
      const res = await t.post('/api/auth/login', { email: 'totp@example.com', password: PASSWORD })
      expect(res.json()).toMatchObject({ status: 'second_factor', methods: ['totp', 'recovery_code'] })
      expect(t.cookieOf(res)).toBe('') // no session before the second factor
      return res.json<{ ticket: string }>().ticket
    }
    nextStep()
    const code = codeFor(secret)
    const first = await t.post('/api/auth/login', { ticket: await password(), totp: code })
    expect(first.json()).toMatchObject({ status: 'signed_in' })
    const replay = await t.post('/api/auth/login', { ticket: await password(), totp: code })
    expect(replay.statusCode).toBe(401)
    expect(replay.json()).toMatchObject({ code: 'OTP_REPLAY' })
    nextStep()
    expect((await t.post('/api/auth/login', { ticket: await password(), totp: codeFor(secret, -2) })).statusCode).toBe(401)

    const recovery = recoveryCodes[0] ?? ''
    expect((await t.post('/api/auth/login', { ticket: await password(), recoveryCode: recovery })).json()).toMatchObject({ status: 'signed_in' })
    expect((await t.lastEmail('totp@example.com', 'security_notice'))?.textBody).toMatch(/recovery code/i)
    expect((await t.post('/api/auth/login', { ticket: await password(), recoveryCode: recovery })).statusCode).toBe(401)
    expect((await t.post('/api/auth/login', { ticket: 'x'.repeat(43), totp: '123456' })).statusCode).toBe(401)
    expect((await t.post('/api/auth/login', { ticket: await password(), totp: '123456', recoveryCode: recovery })).json()).toMatchObject({ code: 'BAD_INPUT' })
  })

  it('R32: sensitive actions need a fresh second factor; 6 minutes later STEP_UP_REQUIRED; a password is not enough with 2FA', async () => {
    await t.addUser('step@example.com')
    const s = await t.signIn('step@example.com')
    const { secret } = await enableTotp(s)
    // Signed in minutes ago with the password alone: with a second factor now, that confirms nothing, and /api/me says so.
    expect((await t.post('/api/auth/recovery-codes', {}, s)).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    expect((await t.me(s.cookie)).json()).toMatchObject({ stepUpUntil: null })
    t.clock.advance(6 * 60_000)
    const stale = await t.post('/api/auth/recovery-codes', {}, s)
    expect(stale.statusCode).toBe(401)
    expect(stale.json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    expect((await t.me(s.cookie)).statusCode).toBe(200) // the session itself is fine
    expect((await t.post('/api/auth/step-up', { password: PASSWORD }, s)).json()).toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' })
    const wrong = await t.post('/api/auth/step-up', { totp: '000000' }, s)
    expect(wrong.statusCode).toBe(403)
    nextStep()
    const ok = await t.post('/api/auth/step-up', { totp: codeFor(secret) }, s)
    expect(ok.statusCode).toBe(200)
    expect(new Date(ok.json<{ stepUpUntil: string }>().stepUpUntil).getTime()).toBe(t.clock.now().getTime() + 5 * 60_000)
    expect((await t.me(s.cookie)).json()).toMatchObject({ stepUpUntil: ok.json<{ stepUpUntil: string }>().stepUpUntil })
    expect((await t.post('/api/auth/recovery-codes', {}, s)).json<{ recoveryCodes: string[] }>().recoveryCodes).toHaveLength(10)
    // Without the CSRF token the same call is refused whatever the step-up.
    expect((await t.post('/api/auth/recovery-codes', {}, { cookie: s.cookie })).statusCode).toBe(403)
  })

  it('R25: registers a passkey, signs in without a password (UV), uses it as second factor; a replayed assertion is refused', async () => {
    const { userId } = await t.addUser('key@example.com')
    const s = await t.signIn('key@example.com')
    const authenticator = createSoftAuthenticator({ origin: 'http://localhost:8080' })
    const options = await t.post('/api/auth/passkeys/options', {}, s)
    expect(options.statusCode).toBe(200)
    const added = await t.post('/api/auth/passkeys', { response: authenticator.register(options.json()), name: 'Laptop' }, s)
    expect(added.statusCode).toBe(201)
    expect(added.json<{ recoveryCodes: string[] }>().recoveryCodes).toHaveLength(10)
    s.cookie = t.cookieOf(added)
    expect((await t.call('GET', '/api/auth/passkeys', s)).json()).toEqual([expect.objectContaining({ name: 'Laptop' })])

    const loginOptions = await t.post('/api/auth/passkey/options', {})
    const assertion = authenticator.authenticate(loginOptions.json(), { userVerified: true })
    const signedIn = await t.post('/api/auth/passkey/login', { response: assertion })
    expect(signedIn.json()).toMatchObject({ status: 'signed_in', userId })
    expect((await t.post('/api/auth/passkey/login', { response: assertion })).statusCode).toBe(401)

    const pw = await t.post('/api/auth/login', { email: 'key@example.com', password: PASSWORD })
    expect(pw.json()).toMatchObject({ status: 'second_factor', methods: ['passkey', 'recovery_code'] })
    const ticket = pw.json<{ ticket: string }>().ticket
    const second = await t.post('/api/auth/login/passkey-options', { ticket })
    expect((await t.post('/api/auth/login', { ticket, passkey: authenticator.authenticate(second.json()) })).json()).toMatchObject({ status: 'signed_in' })
  })

  it('R33: a sign-in from a new device alerts in-app and by email with a "not me" link that ends every session and locks the account', async () => {
    await t.addUser('device@example.com')
    const home = await t.signIn('device@example.com')
    const homeDevice = t.deviceCookieOf(home.res)
    expect(homeDevice).toBeDefined()
    const before = (await t.emailsTo('device@example.com')).length
    // The same browser again: no alert.
    await t.signIn('device@example.com', PASSWORD, { cookie: homeDevice ?? '', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36' })
    expect((await t.emailsTo('device@example.com')).length).toBe(before)
    // Another browser: exactly one email, with the time, the IP, the browser and the link.
    await t.signIn('device@example.com', PASSWORD, { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0', 'x-forwarded-for': '203.0.113.9' })
    const mails = (await t.emailsTo('device@example.com')).filter((m) => m.template === 'new_device')
    expect(mails).toHaveLength(1)
    expect(mails[0]?.textBody).toMatch(/Firefox 133 on Windows/)
    const [{ workspaceId } = { workspaceId: '' }] = rowsOf<{ workspaceId: string }>(
      await database.db.execute(sql`select m.workspace_id as "workspaceId" from memberships m join users u on u.id = m.user_id where u.email = 'device@example.com'`),
    )
    const alerts = (await t.call('GET', `/api/workspaces/${workspaceId}/alerts`, home)).json<Array<{ rule: string }>>()
    expect(alerts.filter((a) => a.rule === 'new_device')).toHaveLength(1)

    // The intruder's session (the new device) makes itself an API token before the owner reacts.
    t.clock.advance(1_000) // its alert email is then unambiguously the newest
    const intruder = await t.signIn('device@example.com', PASSWORD, { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0' })
    const token = (await t.post('/api/tokens', { name: 'mine now', workspaceId, scope: 'read', expiresInDays: 30 }, intruder)).json<{ token: string }>().token
    const bearer = () => t.app.inject({ url: `/api/workspaces/${workspaceId}/alerts`, headers: { authorization: `Bearer ${token}` } })
    expect((await bearer()).statusCode).toBe(200)
    const notMe = await t.linkToken('device@example.com', 'new_device')
    expect((await t.post('/api/auth/not-me', { token: notMe })).json()).toMatchObject({ status: 'locked' })
    expect((await t.me(home.cookie)).statusCode).toBe(401)
    expect((await t.me(intruder.cookie)).statusCode).toBe(401)
    expect((await bearer()).statusCode).toBe(401) // API tokens end with the sessions
    expect((await t.post('/api/auth/login', { email: 'device@example.com', password: PASSWORD })).statusCode).toBe(401)
    // Recovery: the reset link that came with the lock.
    const reset = await t.linkToken('device@example.com', 'password_reset')
    expect((await t.post('/api/auth/password-reset', { token: reset, password: 'mauve teapot wanders at dusk again' })).statusCode).toBe(200)
    expect((await t.post('/api/auth/login', { email: 'device@example.com', password: 'mauve teapot wanders at dusk again' })).statusCode).toBe(200)
  })

  it('R27/R31: a password reset ends every session and never turns off the second factor', async () => {
    await t.addUser('reset@example.com')
    const s = await t.signIn('reset@example.com')
    await enableTotp(s)
    const other = await t.signIn('ops@example.com')
    expect((await t.post('/api/auth/password-reset/request', { email: 'reset@example.com' })).body).toBe((await t.post('/api/auth/password-reset/request', { email: 'ghost@example.com' })).body)
    const token = await t.linkToken('reset@example.com', 'password_reset')
    const weak = await t.post('/api/auth/password-reset', { token, password: 'short' })
    expect(weak.json()).toMatchObject({ code: 'PASSWORD_REJECTED' })
    const done = await t.post('/api/auth/password-reset', { token, password: 'mauve teapot wanders at dusk' })
    expect(done.json()).toMatchObject({ status: 'password_changed', secondFactorStillRequired: true })
    expect((await t.post('/api/auth/password-reset', { token, password: 'mauve teapot wanders at dusk' })).statusCode).toBe(400)
    expect((await t.me(s.cookie)).statusCode).toBe(401)
    expect((await t.me(other.cookie)).statusCode).toBe(200)
    expect((await t.post('/api/auth/login', { email: 'reset@example.com', password: 'mauve teapot wanders at dusk' })).json()).toMatchObject({ status: 'second_factor' })
  })

  it('R24: the lock sends an unlock link by email, which lets the right password in at once', async () => {
    await t.addUser('locked@example.com')
    for (let i = 0; i < throttlePolicy.lockAfter; i++) await t.post('/api/auth/login', { email: 'locked@example.com', password: 'not the password at all' })
    expect((await t.post('/api/auth/login', { email: 'locked@example.com', password: PASSWORD })).statusCode).toBe(429)
    const token = await t.linkToken('locked@example.com', 'account_unlock')
    expect((await t.post('/api/auth/unlock', { token })).json()).toMatchObject({ status: 'unlocked' })
    expect((await t.post('/api/auth/login', { email: 'locked@example.com', password: PASSWORD })).statusCode).toBe(200)
  })

  it('R33: a success right after several failures is announced by email with a "not me" link', async () => {
    await t.addUser('guessed@example.com')
    await t.signIn('guessed@example.com')
    for (let i = 0; i < 3; i++) await t.post('/api/auth/login', { email: 'guessed@example.com', password: 'not the password at all' })
    await t.signIn('guessed@example.com')
    const mail = (await t.emailsTo('guessed@example.com')).find((m) => m.template === 'security_notice' && m.subject.includes('failed attempts'))
    expect(mail?.textBody).toMatch(/3 failed attempts/)
    expect(mail?.textBody).toMatch(/#token=/)
  })

  it('R27: replacing a factor starts a 24-hour wait before exchange keys can be connected', async () => {
    const { userId, workspaceId } = await t.addUser('cool@example.com')
    const s = await t.signIn('cool@example.com')
    const { secret } = await enableTotp(s)
    // First enrolment: no wait.
    await expect(t.accounts.accounts.assertMayConnectKeys(userId, workspaceId)).resolves.toBeUndefined()
    nextStep()
    expect((await t.post('/api/auth/step-up', { totp: codeFor(secret) }, s)).statusCode).toBe(200)
    expect((await t.post('/api/auth/totp/disable', {}, s)).statusCode).toBe(204)
    await expect(t.accounts.accounts.assertMayConnectKeys(userId, workspaceId)).rejects.toMatchObject({ reason: 'FACTOR_COOLDOWN' })
    t.clock.advance(24 * 3_600_000 + 1_000)
    await expect(t.accounts.accounts.assertMayConnectKeys(userId, workspaceId)).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' })
  })

  it('adding a second factor beside the first starts no wait while the account is being set up, and the 24-hour wait after that', async () => {
    const { userId, workspaceId } = await t.addUser('both@example.com')
    const s = await t.signIn('both@example.com')
    const { secret } = await enableTotp(s)
    nextStep()
    expect((await t.post('/api/auth/step-up', { totp: codeFor(secret) }, s)).statusCode).toBe(200)
    const authenticator = createSoftAuthenticator({ origin: 'http://localhost:8080' })
    const options = await t.post('/api/auth/passkeys/options', {}, s)
    const added = await t.post('/api/auth/passkeys', { response: authenticator.register(options.json()), name: 'Laptop' }, s)
    expect(added.statusCode).toBe(201)
    expect(added.json<{ recoveryCodes: string[] }>().recoveryCodes).toEqual([]) // not the first factor
    await expect(t.accounts.accounts.assertMayConnectKeys(userId, workspaceId)).resolves.toBeUndefined()
    // Once set up (the factors enrolled two hours ago), a factor added — an intruder's, after one phished
    // step-up — holds keys off for a day.
    s.cookie = t.cookieOf(added)
    await database.db.execute(sql`update totp_credentials set confirmed_at = confirmed_at - interval '2 hours' where user_id = ${userId}`)
    await database.db.execute(sql`update passkeys set created_at = created_at - interval '2 hours' where user_id = ${userId}`)
    nextStep()
    expect((await t.post('/api/auth/step-up', { totp: codeFor(secret) }, s)).statusCode).toBe(200)
    const again = await t.post('/api/auth/passkeys', { response: createSoftAuthenticator({ origin: 'http://localhost:8080' }).register((await t.post('/api/auth/passkeys/options', {}, s)).json()), name: 'Phone' }, s)
    expect(again.statusCode).toBe(201)
    await expect(t.accounts.accounts.assertMayConnectKeys(userId, workspaceId)).rejects.toMatchObject({ reason: 'FACTOR_COOLDOWN' })
  })

  it('R35: every email carries the anti-phishing code once set (setting it needs step-up)', async () => {
    await t.addUser('phish@example.com')
    const s = await t.signIn('phish@example.com')
    t.clock.advance(6 * 60_000)
    expect((await t.call('PUT', '/api/auth/anti-phishing-code', s, { code: 'blue-falcon-7' })).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    expect((await t.post('/api/auth/step-up', { password: PASSWORD }, s)).statusCode).toBe(200)
    expect((await t.call('PUT', '/api/auth/anti-phishing-code', s, { code: 'blue-falcon-7' })).statusCode).toBe(204)
    await t.post('/api/auth/password-reset/request', { email: 'phish@example.com' })
    expect((await t.lastEmail('phish@example.com', 'password_reset'))?.textBody).toContain('blue-falcon-7')
    expect((await t.me(s.cookie)).json()).toMatchObject({ user: { antiPhishingCode: 'blue-falcon-7' } })
  })

  it('R34: an email change confirms at the new address and notifies the old one', async () => {
    await t.addUser('old@example.com')
    const s = await t.signIn('old@example.com')
    expect((await t.post('/api/auth/email', { newEmail: 'fresh@example.com' }, s)).statusCode).toBe(202)
    const token = await t.linkToken('fresh@example.com', 'email_change_confirm')
    expect((await t.post('/api/auth/confirm-email', { token })).json()).toMatchObject({ status: 'email_changed' })
    expect((await t.lastEmail('old@example.com', 'security_notice'))?.textBody).toContain('fresh@example.com')
    expect((await t.me(s.cookie)).json()).toMatchObject({ user: { email: 'fresh@example.com' } })
  })

  it('API tokens: shown once, stored hashed, scoped to a workspace, IP-bound, revocable, never enough for account routes', async () => {
    const { workspaceId } = await t.addUser('bot@example.com')
    const { workspaceId: foreign } = await t.addUser('someone@example.com')
    const s = await t.signIn('bot@example.com')
    const created = await t.post('/api/tokens', { name: 'script', workspaceId, scope: 'read', expiresInDays: 30, allowedIps: ['127.0.0.1/32'] }, s)
    expect(created.statusCode).toBe(201)
    const { token, id } = created.json<{ token: string; id: string }>()
    expect(token).toMatch(/^bwt_/)
    expect(JSON.stringify(rowsOf(await database.db.execute(sql`select * from api_tokens`)))).not.toContain(token.slice(4))
    const bearer = (url: string, method: 'GET' | 'POST' = 'GET', ip = '127.0.0.1') =>
      t.app.inject({ method, url, remoteAddress: ip, headers: { authorization: `Bearer ${token}` }, ...(method === 'POST' ? { payload: { totp: '123456' } } : {}) })
    expect((await bearer(`/api/workspaces/${workspaceId}/alerts`)).statusCode).toBe(200)
    expect((await bearer(`/api/workspaces/${foreign}/alerts`)).statusCode).toBe(404)
    expect((await bearer(`/api/workspaces/${workspaceId}/alerts`, 'GET', '198.51.100.7')).statusCode).toBe(401)
    expect((await bearer('/api/me')).statusCode).toBe(403)
    expect((await bearer('/api/auth/step-up', 'POST')).statusCode).toBe(403) // tokens never satisfy step-up
    const listed = (await t.call('GET', '/api/tokens', s)).json<Array<{ id: string; lastUsedAt: string | null }>>()
    expect(listed.find((x) => x.id === id)?.lastUsedAt).not.toBeNull()
    expect((await t.post('/api/tokens', { name: 'x', workspaceId: foreign, scope: 'read', expiresInDays: 1 }, s)).statusCode).toBe(404)
    expect((await t.call('DELETE', `/api/tokens/${id}`, s)).statusCode).toBe(204)
    expect((await bearer(`/api/workspaces/${workspaceId}/alerts`)).statusCode).toBe(401)
  })

  it('R29: a session id issued before sign-in is worthless after it (no fixation); the DB holds no raw token', async () => {
    const first = await t.signIn('ops@example.com')
    const again = await t.post('/api/auth/login', { email: 'ops@example.com', password: PASSWORD }, undefined, { cookie: first.cookie })
    expect(t.cookieOf(again)).not.toBe(first.cookie)
    const raw = first.cookie.split('=')[1] ?? ''
    const [row] = await database.db.select().from(schema.sessions).where(eq(schema.sessions.tokenHash, raw)).limit(1)
    expect(row).toBeUndefined()
  })
})
