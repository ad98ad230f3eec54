import { TOTP, Secret } from 'otpauth'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { createManualClock } from '../lib/clock.js'
import { rowsOf } from '../db/index.js'

type Session = { cookie: string; csrf: string }
const ORIGIN = 'http://localhost:8080'

/**
 * Exchange accounts over HTTP with the real signer (in-process, its own vault database, real ccxt
 * against the Binance emulator): the accounts policy before any key, the sealed connect, withdraw-enabled
 * keys refused with nothing stored, masked listing, narrowing vs widening of limits, the daily
 * re-verification disabling a key that became dangerous, the activity journal, and removal.
 */
describe.each(backends)('exchange accounts on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let signer: SignerHarness
  const clock = createManualClock(Date.now())
  const good = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const withdrawing = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const replacement = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let workspaceId = ''
  let s: Session

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      emulator: {
        accounts: [
          { ...good, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } },
          { ...withdrawing, ipRestrict: true, ipWhitelist: ['127.0.0.1'], permissions: { enableWithdrawals: true } },
          { ...replacement, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '777' } },
        ],
        prices: { BTCUSDT: '50000', ETHUSDT: '3000' },
      },
    })
    t = await startAccountsApp(database, { clock, signer: signer.client })
    await t.setup.initFromCli({ email: 'ops@example.com', password: 'violet ostrich carburetor lighthouse', workspaceName: 'Desk' })
    ;({ workspaceId } = await t.addUser('trader@example.com'))
    s = await t.signIn('trader@example.com')
  }, 120_000)
  afterAll(async () => {
    await t.close()
    await signer.close()
    await database.dispose()
  })

  const base = () => `/api/workspaces/${workspaceId}/exchange-accounts`
  const connect = async (credentials: { apiKey: string; secret: string }, label = 'Main') =>
    t.post(base(), { exchange: 'binance', label, envelope: await signer.seal(workspaceId, credentials) }, s)

  it('lists the catalogue with the egress addresses to whitelist', async () => {
    const res = await t.app.inject({ url: '/api/exchanges' })
    expect(res.json()).toMatchObject({ egressIps: ['203.0.113.10'], exchanges: expect.arrayContaining([expect.objectContaining({ id: 'binance' })]) })
  })

  it('refuses a key before two-factor is on (workspace policy), then connects a sealed key verified at the exchange', async () => {
    const refused = await connect(good)
    expect(refused.json()).toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' })
    // Turn on the authenticator app (fresh sign-in counts as step-up for five minutes).
    const setup = (await t.post('/api/auth/totp/setup', {}, s)).json<{ secret: string }>()
    const totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    const enabled = await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, s)
    s.cookie = t.cookieOf(enabled)
    // This session signed in with the password alone: now that there is a second factor, connecting needs it.
    expect((await connect(good)).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    clock.advance(30_000)
    expect((await t.post('/api/auth/step-up', { totp: totp.generate({ timestamp: clock.now().getTime() }) }, s)).statusCode).toBe(200)
    const res = await connect(good)
    expect(res.statusCode).toBe(201)
    const account = res.json<{ id: string; state: string; apiKeyHint: string; verification: { status: string; withdrawEnabled: boolean; ipRestricted: boolean } }>()
    expect(account.state).toBe('active')
    expect(account.verification).toMatchObject({ status: 'verified', withdrawEnabled: false, ipRestricted: true })
    expect(account.apiKeyHint).not.toContain(good.apiKey)
    const listed = (await t.call('GET', base(), s)).json<Array<{ id: string; label: string }>>()
    expect(listed).toEqual([expect.objectContaining({ id: account.id, label: 'Main' })])
    expect(JSON.stringify(rowsOf(await database.db.execute(sql`select * from exchange_accounts`)))).not.toContain(good.secret)
  })

  it("marks an account testnet: its key talks to the venue's test environment only; venues without one refuse", async () => {
    const demo = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    signer.emulator.addAccount({ ...demo, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } })
    const res = await t.post(base(), { exchange: 'binance', label: 'Demo', testnet: true, envelope: await signer.seal(workspaceId, demo) }, s)
    expect(res.json()).toMatchObject({ label: 'Demo', testnet: true, state: 'active' })
    const kraken = await t.post(base(), { exchange: 'kraken', label: 'K', testnet: true, envelope: await signer.seal(workspaceId, demo, 'kraken') }, s)
    expect(kraken.json()).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/Kraken has no testnet or demo environment/) })
    expect((await t.call('DELETE', `${base()}/${res.json<{ id: string }>().id}`, s)).statusCode).toBe(204)
  })

  it('refuses a withdraw-enabled key with the fix, storing nothing', async () => {
    const res = await connect(withdrawing, 'Risky')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION' })
    expect((await t.call('GET', base(), s)).json<Array<{ label: string }>>().map((a) => a.label)).toEqual(['Main'])
  })

  it('narrows limits at once; a widening waits for a passkey confirmation or the signer delay (202 with the operation)', async () => {
    const [account] = (await t.call('GET', base(), s)).json<Array<{ id: string; limits: { maxOrderNotional: string; symbols: string[] } }>>()
    const limits = { symbols: ['BTC/USDT'], maxOrderNotional: '50', max24hNotional: '500', maxOrdersPerMinute: 5, priceBandPct: '5' }
    const narrowed = await t.call('PUT', `${base()}/${account?.id}/limits`, s, { limits })
    expect(narrowed.json()).toMatchObject({ status: 'applied', account: { limits: { maxOrderNotional: '50' } } })
    const widened = await t.call('PUT', `${base()}/${account?.id}/limits`, s, { limits: { ...limits, maxOrderNotional: '5000' } })
    expect(widened.statusCode).toBe(202)
    expect(widened.json()).toMatchObject({ status: 'pending_confirmation', operation: { kind: 'limits', state: 'pending', challenge: expect.any(String) } })
    const pending = (await t.call('GET', `/api/workspaces/${workspaceId}/key-widenings`, s)).json<Array<{ operationId: string }>>()
    expect(pending).toHaveLength(1)
    // Still the narrow limits: nothing the api can send widens the key at once.
    expect((await t.call('GET', base(), s)).json<Array<{ limits: { maxOrderNotional: string } }>>()[0]?.limits.maxOrderNotional).toBe('50')
    const options = await t.post(`/api/workspaces/${workspaceId}/key-widenings/${pending[0]?.operationId}/options`, {}, s)
    // This user has no passkey: the options cannot be made (the widening simply waits out the delay).
    expect(options.statusCode).toBe(400)
    expect((await t.post(`/api/workspaces/${workspaceId}/key-widenings/${pending[0]?.operationId}/cancel`, {}, s)).json()).toMatchObject({ state: 'cancelled' })
  })

  it('journals every private call through the signer', async () => {
    const [account] = (await t.call('GET', base(), s)).json<Array<{ id: string }>>()
    const [row] = rowsOf<{ keyId: string }>(await database.db.execute(sql`select key_id as "keyId" from exchange_accounts where id = ${account?.id}`))
    await t.relay?.execute(workspaceId, row?.keyId ?? '', 'fetchBalance', {}, { type: 'user' })
    await expect(t.relay?.execute(workspaceId, row?.keyId ?? '', 'createOrder', { symbol: 'DOGE/USDT', type: 'market', side: 'buy', amount: '1' }, { type: 'user' })).rejects.toMatchObject({ code: 'KEY_LIMIT_EXCEEDED' })
    const journal = rowsOf<{ method: string; outcome: string }>(await database.db.execute(sql`select method, outcome from exchange_activity order by occurred_at`))
    expect(journal).toEqual([expect.objectContaining({ method: 'fetchBalance', outcome: 'success' }), expect.objectContaining({ method: 'createOrder', outcome: 'denied' })])
    expect((await t.call('GET', base(), s)).json<Array<{ lastUsedAt: string | null }>>()[0]?.lastUsedAt).not.toBeNull()
  })

  it('replaces the key in place: the new key is verified and serving before the old one is destroyed', async () => {
    const [before] = (await t.call('GET', base(), s)).json<Array<{ id: string; keyId: string; label: string }>>()
    const rotated = await t.post(`${base()}/${before?.id}/rotate`, { envelope: await signer.seal(workspaceId, replacement) }, s)
    expect(rotated.statusCode).toBe(200)
    const after = rotated.json<{ id: string; keyId: string; label: string; state: string }>()
    expect(after).toMatchObject({ id: before?.id, label: before?.label, state: 'active' })
    // Replacing the key never widens the account: the narrowed limits come along (not the defaults).
    expect(after).toMatchObject({ limits: { maxOrderNotional: '50', symbols: ['BTC/USDT'] } })
    expect(after.keyId).not.toBe(before?.keyId)
    // The account now trades with the new key; the old key's shares are gone from the signer.
    expect(await t.relay?.execute(workspaceId, after.keyId, 'fetchBalance', {}, { type: 'user' })).toMatchObject({ USDT: { total: '777' } })
    expect((await t.relay?.list(workspaceId))?.map((k) => k.keyId)).toEqual([after.keyId])
    // A replacement with a key that fails verification leaves the current key untouched.
    const refused = await t.post(`${base()}/${before?.id}/rotate`, { envelope: await signer.seal(workspaceId, withdrawing) }, s)
    expect(refused.json()).toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION' })
    expect((await t.call('GET', base(), s)).json<Array<{ keyId: string; state: string }>>()[0]).toMatchObject({ keyId: after.keyId, state: 'active' })
  })

  it('R16: the daily re-verification disables a key that gained withdraw permission, with a critical alert', async () => {
    signer.emulator.account(replacement.apiKey).permissions.enableWithdrawals = true
    expect(await t.exchangeAccounts?.reverifyAll()).toEqual({ checked: 1, failed: 0 })
    const [account] = (await t.call('GET', base(), s)).json<Array<{ state: string; disabledReason: string | null; verification: { withdrawEnabled?: boolean } | null }>>()
    expect(account?.state).toBe('disabled')
    expect(account?.disabledReason).toMatch(/withdraw/)
    // The stored verdict says so too, so no "withdraw disabled" badge or score point outlives it.
    expect(account?.verification?.withdrawEnabled).toBe(true)
    const alerts = (await t.call('GET', `/api/workspaces/${workspaceId}/alerts`, s)).json<Array<{ rule: string; severity: string }>>()
    expect(alerts).toContainEqual(expect.objectContaining({ rule: 'key_permission_changed', severity: 'critical' }))
    signer.emulator.account(replacement.apiKey).permissions.enableWithdrawals = false
  })

  it('Ed25519: the signer makes the key pair, only the public key leaves it; the API key the exchange issues completes it', async () => {
    const made = await t.post(`${base()}/ed25519`, { exchange: 'binance', label: 'Ed25519' }, s)
    expect(made.statusCode).toBe(201)
    const { account, publicKeyPem } = made.json<{ account: { id: string; state: string; verification: { status: string } }; publicKeyPem: string }>()
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    expect(made.body).not.toMatch(/PRIVATE KEY/)
    expect(account).toMatchObject({ state: 'unverified', verification: { status: 'awaiting_api_key' } })
    // The user registers the public key at the exchange, which issues an API key for it.
    const apiKey = randomApiKey()
    signer.emulator.addAccount({ apiKey, ed25519PublicKeyPem: publicKeyPem, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '50' } })
    const done = await t.post(`${base()}/${account.id}/api-key`, { apiKey }, s)
    expect(done.json()).toMatchObject({ state: 'active', verification: { status: 'verified', withdrawEnabled: false } })
    const [row] = rowsOf<{ keyId: string }>(await database.db.execute(sql`select key_id as "keyId" from exchange_accounts where id = ${account.id}`))
    // Signed with the Ed25519 key inside the signer: the emulator checks the signature against the public key.
    expect(await t.relay?.execute(workspaceId, row?.keyId ?? '', 'fetchBalance', {}, { type: 'user' })).toMatchObject({ USDT: { total: '50' } })
    expect((await t.post(`${base()}/${account.id}/api-key`, { apiKey }, s)).json()).toMatchObject({ code: 'CONFLICT' })
    expect((await t.call('DELETE', `${base()}/${account.id}`, s)).statusCode).toBe(204)
  })

  it('removes an account: every share destroyed, and the listing is empty', async () => {
    const [account] = (await t.call('GET', base(), s)).json<Array<{ id: string }>>()
    expect((await t.call('DELETE', `${base()}/${account?.id}`, s)).statusCode).toBe(204)
    expect((await t.call('GET', base(), s)).json()).toEqual([])
    const keys = await t.relay?.list(workspaceId)
    expect(keys).toEqual([])
  })
})
