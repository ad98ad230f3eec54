import { TOTP, Secret } from 'otpauth'
import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import type { RequestLogEntry } from '../emulator/binance-emulator.js'
import { schema } from '../../src/db/index.js'
import type { DemoRuntime } from '../../src/demo/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import type { SignerClient } from '../../src/signer/index.js'

type Session = { cookie: string; csrf: string }
type Bot = { id: string; status: string; account: { kind: string; id: string; label: string } }
type Order = { intentKey: string; clientOrderId: string; state: string; side: string; type: string; amount: string; filled: string; account: { kind: string; id: string }; venue: string }
const SPOT = 'BTC/USDT'

/**
 * A webhook bot's whole path to a real exchange: an exchange account connected through the real signer
 * (vault, key policy, ccxt against the Binance emulator), a signal bot proven on demo, stopped, promoted
 * with step-up and started; then a TradingView-style webhook places exactly one order at the emulator,
 * journalled in the exchange-activity log. A viewer reading it all never makes the signer move.
 */
describe.each(backends)('webhook signals through the signer on %s', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let demo: DemoRuntime
  const clock = createManualClock(Date.now())
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let signerCalls = 0
  let ws = ''
  let s: Session
  let viewer: Session
  let totp: TOTP
  let exchangeAccountId = ''
  let demoAccountId = ''
  let botId = ''
  let secret = ''

  const send = (who: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: who.cookie, 'x-csrf-token': who.csrf } })
  /** A step-up with a fresh authenticator code (a code is good once, so each is 30 s after the last). */
  const stepUp = async () => {
    clock.advance(30_000)
    const res = await t.post('/api/auth/step-up', { totp: totp.generate({ timestamp: clock.now().getTime() }) }, s)
    expect(res.statusCode).toBe(200)
  }
  const hook = (action: string, signalId: string) => {
    clock.advance(1_000)
    return t.app.inject({ method: 'POST', url: `/api/hooks/signal/${botId}`, payload: JSON.stringify({ secret, action, symbol: 'BINANCE:BTCUSDT', timestamp: clock.now().toISOString(), signalId }), headers: { 'content-type': 'text/plain' } })
  }
  const orders = async () => (await send(s, 'GET', `/bots/${botId}/orders`)).json<Order[]>().reverse()
  const posts = () => signer.emulator.requests.filter((r): r is RequestLogEntry => r.method === 'POST' && r.path === '/api/v3/order')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      // 0.01 BTC at 5,000 is 50 USDT: inside the key's default limits (100 USDT an order), and its
      // 0.1 % fee (0.00001 BTC) leaves an amount the exchange's 0.00001 lot size can sell.
      emulator: { accounts: [{ ...key, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000', BTC: '0' } }], prices: { BTCUSDT: '5000' } },
    })
    const client = signer.client
    const counting: SignerClient = { ...client, call: ((...args: Parameters<SignerClient['call']>) => (signerCalls++, client.call(...args))) as SignerClient['call'] }
    t = await startAccountsApp(database, { clock, signer: counting, trading: true })
    demo = t.demo as DemoRuntime
    ;({ workspaceId: ws } = await t.addUser('trader@example.com'))
    const { userId } = await t.addUser('viewer@example.com')
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId, role: 'viewer', createdAt: clock.now() })
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    const signedIn = await t.signIn('trader@example.com')
    s = { cookie: signedIn.cookie, csrf: signedIn.csrf }
    const v = await t.signIn('viewer@example.com')
    viewer = { cookie: v.cookie, csrf: v.csrf }
    // Keys need a second factor (workspace policy): the authenticator app, as a user turns it on.
    const setup = (await t.post('/api/auth/totp/setup', {}, s)).json<{ secret: string }>()
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    s.cookie = t.cookieOf(await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, s))
    await stepUp()
    const connected = await t.post(`/api/workspaces/${ws}/exchange-accounts`, { exchange: 'binance', label: 'Main', envelope: await signer.seal(ws, key) }, s)
    expect(connected.json()).toMatchObject({ state: 'active' })
    exchangeAccountId = connected.json<{ id: string }>().id
    demoAccountId = (await send(s, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })).json<{ id: string }>().id
    clock.advance(1_000)
    await demo.ingest({ symbol: SPOT, price: '5000', amount: '5', time: clock.now().getTime() })
    await demo.barrier()
  }, 120_000)
  afterAll(async () => {
    await t.close()
    await signer.close()
    await database.dispose()
  })

  it('proves a webhook bot on demo: no exchange call', async () => {
    const created = await send(s, 'POST', '/signal-bots', { name: 'TV', demoAccountId, config: { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
    expect(created.statusCode).toBe(201)
    ;({ bot: { id: botId }, webhook: { secret } } = created.json<{ bot: Bot; webhook: { secret: string } }>())
    await send(s, 'POST', `/bots/${botId}/start`)
    const before = posts().length
    expect((await hook('enter_long', 'demo-1')).statusCode).toBe(202)
    expect((await hook('exit_long', 'demo-2')).statusCode).toBe(202)
    expect((await orders()).map((o) => [o.intentKey, o.venue, o.side, o.state])).toEqual([
      ['p1.entry', 'demo-spot', 'buy', 'filled'],
      ['p1.close', 'demo-spot', 'sell', 'filled'],
    ])
    expect(posts().length).toBe(before)
  })

  it('is promoted to the exchange account only with step-up, once stopped', async () => {
    clock.advance(6 * 60_000)
    const promote = () => send(s, 'POST', `/bots/${botId}/promote`, { exchangeAccountId })
    expect((await promote()).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    await stepUp()
    expect((await promote()).json()).toMatchObject({ code: 'CONFLICT' }) // still running on demo
    expect((await send(s, 'POST', `/bots/${botId}/stop`)).json<Bot>().status).toBe('stopped')
    const promoted = await promote()
    expect(promoted.statusCode).toBe(200)
    expect(promoted.json<Bot>()).toMatchObject({ status: 'stopped', account: { kind: 'exchange', id: exchangeAccountId, label: 'Main' }, promotedAt: clock.now().toISOString() })
    expect((await send(s, 'POST', `/bots/${botId}/start`)).json<Bot>().status).toBe('running')
  })

  it('places exactly one order at the exchange per signal, through the signer, journalled', async () => {
    const before = posts().length
    const entered = await hook('enter_long', 'live-1')
    expect([entered.statusCode, entered.json()]).toEqual([202, { accepted: true, signal: expect.any(String), action: 'enter_long', symbol: SPOT }])
    // A promoted bot starts a fresh run; its keys carry the promotion, so none can meet a demo intent's.
    const live = async () => (await orders()).filter((o) => o.account.kind === 'exchange')
    const entry = (await live()).find((o) => o.intentKey.endsWith('.p1.entry'))
    expect(entry).toMatchObject({ venue: 'binance', account: { kind: 'exchange', id: exchangeAccountId }, side: 'buy', type: 'market', amount: '0.01', state: 'filled', filled: '0.01' })
    expect(posts().slice(before)).toEqual([expect.objectContaining({ status: 200, params: expect.objectContaining({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', newClientOrderId: entry?.clientOrderId }) })])
    expect(signer.emulator.account(key.apiKey).orders.filter((o) => o.clientOrderId === entry?.clientOrderId)).toHaveLength(1)

    const exited = await hook('exit_long', 'live-2')
    expect(exited.statusCode).toBe(202)
    expect((await live()).map((o) => o.intentKey)).toEqual([entry?.intentKey, expect.stringMatching(/^live[0-9a-z]+\.p1\.close$/)])
    const close = (await live()).find((o) => o.intentKey.endsWith('.p1.close'))
    expect(close).toMatchObject({ venue: 'binance', side: 'sell', type: 'market', amount: '0.00999', state: 'filled' }) // 0.01 bought − 0.00001 BTC fee
    expect(posts().slice(before).map((p) => [p.params.side, p.params.newClientOrderId])).toEqual([
      ['BUY', entry?.clientOrderId],
      ['SELL', close?.clientOrderId],
    ])
    // The same signal again is refused and sends nothing.
    expect((await hook('enter_long', 'live-1')).json()).toMatchObject({ code: 'CONFLICT', reason: 'DUPLICATE_SIGNAL' })
    expect(posts().length).toBe(before + 2)

    const activity = await database.db
      .select({ method: schema.exchangeActivity.method, outcome: schema.exchangeActivity.outcome })
      .from(schema.exchangeActivity)
      .where(eq(schema.exchangeActivity.workspaceId, ws))
      .orderBy(asc(schema.exchangeActivity.occurredAt))
    expect(activity.filter((a) => a.method === 'createOrder')).toEqual([
      { method: 'createOrder', outcome: 'success' },
      { method: 'createOrder', outcome: 'success' },
    ])
  })

  it('a viewer reads the promoted bot, its orders and signals without one call to the signer', async () => {
    const calls = signerCalls
    for (const path of ['/bots', `/bots/${botId}`, `/bots/${botId}/orders`, `/bots/${botId}/signals`, `/bots/${botId}/demo-record`, '/trading/accounts', `/trading/accounts/exchange/${exchangeAccountId}/risk`, '/orders']) {
      expect({ path, status: (await send(viewer, 'GET', path)).statusCode }).toEqual({ path, status: 200 })
    }
    for (const [method, path] of [['POST', `/bots/${botId}/stop`], ['GET', `/signal-bots/${botId}/webhook`], ['POST', '/trading/halt']] as const) {
      expect({ path, status: (await send(viewer, method, path, method === 'POST' ? { reason: 'x' } : undefined)).statusCode }).toEqual({ path, status: 403 })
    }
    expect(signerCalls).toBe(calls)
  })
})
