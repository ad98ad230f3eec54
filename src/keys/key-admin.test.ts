import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createAlerts, createAuditChain, workspaceChain } from '../monitoring/index.js'
import type { KeyView } from '../signer/index.js'
import { createKeyRelay } from './key-admin.js'

/**
 * The api's relay to the real signer (its api socket, own vault database, ccxt against the emulator),
 * with the api's real database: lockdown's disableAll and the cleanup grant, as incident/ uses them.
 */
describe.each(backends)('key relay to the signer (%s)', (kind) => {
  let apiDb: TestDatabase
  let signer: SignerHarness
  let relay: ReturnType<typeof createKeyRelay>
  let alerts: ReturnType<typeof createAlerts>
  const clock = createManualClock(Date.now())
  const ws = newId()
  const account = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const second = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const actor = { type: 'user' as const, id: newId() }
  let key: KeyView
  let key2: KeyView

  beforeAll(async () => {
    apiDb = await openTestDatabase(kind, 'api')
    signer = await startSignerHarness(kind, {
      clock,
      emulator: {
        accounts: [
          { ...account, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000', BTC: '1' } },
          { ...second, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } },
        ],
        prices: { BTCUSDT: '50000' },
      },
    })
    await apiDb.db.insert(schema.workspaces).values({ id: ws, name: 'Desk', createdAt: clock.now() })
    alerts = createAlerts({ db: apiDb.db, clock })
    relay = createKeyRelay({ db: apiDb.db, signer: signer.client, audit: createAuditChain({ db: apiDb.db, clock }), alerts, clock })
    key = await relay.connect(ws, 'binance', await signer.seal(ws, account))
    key2 = await relay.connect(ws, 'binance', await signer.seal(ws, second))
    for (const k of [key, key2]) {
      await apiDb.db.insert(schema.exchangeAccounts).values({ id: k.exchangeAccountId, workspaceId: ws, exchange: 'binance', label: k.keyId.slice(0, 8), keyId: k.keyId, state: 'active', apiKeyHint: k.apiKeyHint, verification: {}, createdAt: clock.now(), keyCreatedAt: clock.now() })
    }
  })
  afterAll(async () => {
    await signer.close()
    await apiDb.dispose()
  })

  const chainTypes = async () =>
    (await apiDb.db.select({ type: schema.auditEvents.type }).from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))).map((r) => r.type)

  const activity = () => apiDb.db.select().from(schema.exchangeActivity).where(eq(schema.exchangeActivity.workspaceId, ws)).orderBy(asc(schema.exchangeActivity.occurredAt), asc(schema.exchangeActivity.id))
  const lastUsed = async (keyId: string) => (await apiDb.db.select({ at: schema.exchangeAccounts.lastUsedAt }).from(schema.exchangeAccounts).where(eq(schema.exchangeAccounts.keyId, keyId)))[0]?.at?.toISOString() ?? null

  it('journals every call with its exchange, the endpoint the signer sent, the bot, and last use at most once a minute', async () => {
    const botId = newId()
    const t0 = clock.now().toISOString()
    await relay.execute(ws, key.keyId, 'fetchBalance', {}, actor, { botId })
    expect(await lastUsed(key.keyId)).toBe(t0)
    clock.advance(30_000)
    await relay.execute(ws, key.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor, { botId })
    expect(await lastUsed(key.keyId)).toBe(t0) // a minute has not passed: not rewritten
    clock.advance(31_000)
    await relay.execute(ws, key.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000', clientOrderId: 'journal-1' }, actor)
    expect(await lastUsed(key.keyId)).toBe(clock.now().toISOString())
    // Refused by the signer before any request: no endpoint, outcome denied. 0.01 BTC × 50,000 = 500 > 100 per order.
    await expect(relay.execute(ws, key.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '49000' }, actor)).rejects.toMatchObject({ code: 'KEY_LIMIT_EXCEEDED' })

    const rows = await activity()
    expect(rows.map((r) => [r.method, r.exchange, r.endpoint, r.botId, r.outcome, r.exchangeAccountId])).toEqual([
      ['fetchBalance', 'binance', 'GET /api/v3/account', botId, 'success', key.exchangeAccountId],
      ['fetchOpenOrders', 'binance', 'GET /api/v3/openOrders', botId, 'success', key.exchangeAccountId],
      ['createOrder', 'binance', 'POST /api/v3/order', null, 'success', key.exchangeAccountId],
      ['createOrder', 'binance', null, null, 'denied', key.exchangeAccountId],
    ])
    expect(rows[2]?.details).toEqual({ symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000', clientOrderId: 'journal-1' })
    // The endpoint fact feeds the activity log, not the audit chain.
    expect(await chainTypes()).not.toContain('exchange_request')
    await relay.execute(ws, key.keyId, 'cancelOrder', { symbol: 'BTC/USDT', id: String(((await relay.execute(ws, key.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor)) as Array<{ id: string }>)[0]?.id) }, actor)
  })

  it('an exchange that refuses the key raises exchange_auth_failed once per key (deduplicated), and journals the failure', async () => {
    // The emulator's live account state (read-only in its type; the emulator reads it per request).
    const state = signer.emulator.account(second.apiKey) as { credential: ReturnType<SignerHarness['emulator']['account']>['credential'] }
    const genuine = state.credential
    state.credential = { secret: randomHmacSecret() } // the secret no longer matches: Binance -1022
    try {
      for (let i = 0; i < 2; i++) await expect(relay.execute(ws, key2.keyId, 'fetchBalance', {}, actor)).rejects.toMatchObject({ code: 'EXCHANGE_AUTH' })
    } finally {
      state.credential = genuine
    }
    const raised = (await alerts.list(ws)).filter((a) => a.rule === 'exchange_auth_failed')
    expect(raised).toEqual([expect.objectContaining({ severity: 'warning', details: { keyId: key2.keyId, exchange: 'binance' }, occurrences: 2 })])
    expect((await activity()).filter((r) => r.keyId === key2.keyId).map((r) => [r.outcome, r.errorCode, r.endpoint])).toEqual([
      ['failure', 'EXCHANGE_AUTH', 'GET /api/v3/account'],
      ['failure', 'EXCHANGE_AUTH', 'GET /api/v3/account'],
    ])
    // A key that works raises nothing.
    expect((await alerts.list(ws)).filter((a) => a.rule === 'exchange_auth_failed' && (a.details as { keyId?: string }).keyId === key.keyId)).toEqual([])
  })

  it('disableAll: every key refuses at once, the chain records it, and the grant lets only cleanup through until it expires', async () => {
    const order = (await relay.execute(ws, key.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000' }, actor)) as { id: string }
    const done = await relay.disableAll(ws, 'lockdown', actor, { cleanupMs: 120_000 })
    expect(done.keys.map((k) => k.state)).toEqual(['disabled', 'disabled'])
    expect(done.cleanupUntil).toBe(new Date(clock.now().getTime() + 120_000).toISOString())
    expect(await chainTypes()).toContain('workspace_keys_disabled')

    await expect(relay.execute(ws, key.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    const grant = { cleanupGrant: done.cleanupGrant ?? '' }
    expect(await relay.execute(ws, key.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor, grant)).toEqual([expect.objectContaining({ id: order.id })])
    expect(await relay.execute(ws, key.keyId, 'cancelOrder', { symbol: 'BTC/USDT', id: order.id }, actor, grant)).toMatchObject({ status: 'canceled' })
    await expect(relay.execute(ws, key.keyId, 'fetchBalance', {}, actor, grant)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })

    // The grant ends at cleanupUntil (the signer's clock): afterwards even cleanup is refused.
    clock.advance(120_000)
    signer.emulator.clearRequests()
    await expect(relay.execute(ws, key2.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, actor, grant)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect(signer.emulator.requests.filter((r) => r.isSigned)).toEqual([])
    expect((await chainTypes()).filter((t) => t === 'cleanup_refused').length).toBe(2)
  })
})
