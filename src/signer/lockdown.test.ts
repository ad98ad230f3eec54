import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { startBinanceUsdmEmulator, type BinanceUsdmEmulator } from '../../test/emulator/binance-usdm-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { backends, createPostgresDatabase } from '../../test/support/databases.js'
import { registerPasskey } from '../../test/support/signer-harness.js'
import { createSoftAuthenticator } from '../../test/support/soft-authenticator.js'
import { encodeCredentialFields, sealTo } from '../crypto/sealing.js'
import { newId } from '../lib/ids.js'
import { createSignerClient, type SignerClient } from './client.js'
import { signerPaths, startSigner } from './main.js'
import { signerEnvSchema } from './signer-config.js'
import type { KeyView, SignerAuditEvent, WideningOperationView } from './signer-types.js'

const FUT = 'BTC/USDT:USDT'
const ORIGIN = 'http://localhost:8080'

/**
 * Lockdown's signer step through the real signer process root (`startSigner`: its own vault database,
 * three share stores, both sockets) and the real ccxt client against the spot and USDⓈ-M emulators:
 * every key of the workspace refuses at once, and only the cleanup a grant allows still reaches the exchange.
 */
describe.each(backends)('disableWorkspaceKeys and cleanup grants (%s)', (kind) => {
  let home: string
  let spot: BinanceEmulator
  let usdm: BinanceUsdmEmulator
  let signer: Awaited<ReturnType<typeof startSigner>>
  let api: SignerClient
  let operator: SignerClient
  let dropDb: (() => Promise<void>) | undefined
  const ws = newId()
  const otherWs = newId()
  const spotKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const futKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const otherKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const keys: Record<'spot' | 'fut' | 'other' | 'pending', KeyView> = {} as never
  let restingOrderId = ''
  let grant = ''

  const connect = async (workspaceId: string, exchange: string, creds: { apiKey: string; secret: string }): Promise<KeyView> => {
    const { publicKey } = (await api.call('publicKey', null, {})).result as { publicKey: string }
    const envelope = await sealTo(publicKey, encodeCredentialFields(creds), {
      workspaceId,
      exchange,
      nonce: randomBytes(18).toString('base64url'),
      expiresAt: new Date(Date.now() + 120_000).toISOString(),
      purpose: 'exchange-credentials',
    })
    return (await api.call('connect', workspaceId, { exchange, exchangeAccountId: newId(), envelope })).result as KeyView
  }
  const execute = (keyId: string, method: string, args: Record<string, unknown>, cleanupGrant?: string, workspaceId = ws) =>
    api.call('execute', workspaceId, { keyId, method, args, ...(cleanupGrant ? { cleanupGrant } : {}) })
  const auditLines = () => readFileSync(signerPaths(home).auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'bulwark-lockdown-'))
    spot = await startBinanceEmulator({ accounts: [{ ...spotKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } }, { ...otherKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '100' } }], prices: { BTCUSDT: '50000' } })
    usdm = await startBinanceUsdmEmulator({ accounts: [{ ...futKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], futuresBalance: '10000' }] })
    let vaultUrl: string | undefined
    if (kind === 'postgres') ({ url: vaultUrl, drop: dropDb } = await createPostgresDatabase({ fromTemplate: false }))
    signer = await startSigner(
      signerEnvSchema.parse({ BULWARK_HOME: home, LOG_LEVEL: 'silent', BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: spot.url, binanceusdm: usdm.url }), ...(vaultUrl ? { VAULT_DATABASE_URL: vaultUrl } : {}) }),
    )
    const paths = signerPaths(home)
    api = createSignerClient({ socketPath: paths.socket })
    operator = createSignerClient({ socketPath: paths.operatorSocket, auth: readFileSync(paths.operatorToken, 'utf8').trim() })

    keys.spot = await connect(ws, 'binance', spotKey)
    keys.fut = await connect(ws, 'binanceusdm', futKey)
    keys.other = await connect(otherWs, 'binance', otherKey)
    // A generated key pair waiting for its API key: never verified, so it never traded through us.
    keys.pending = ((await api.call('generateKeyPair', ws, { exchange: 'binance', exchangeAccountId: newId() })).result as { key: KeyView }).key
    // The operator lets the futures key trade its market; a position and a resting order exist before the lockdown.
    await operator.call('setLimits', ws, { keyId: keys.fut.keyId, limits: { ...keys.fut.limits, symbols: [FUT], maxOrderNotional: '10000', max24hNotional: '100000' } })
    await execute(keys.fut.keyId, 'createOrder', { symbol: FUT, type: 'market', side: 'buy', amount: '0.1' })
    restingOrderId = ((await execute(keys.spot.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000' })).result as { id: string }).id
  })
  afterAll(async () => {
    api?.close()
    operator?.close()
    await signer?.close()
    await spot?.close()
    await usdm?.close()
    await dropDb?.()
    rmSync(home, { recursive: true, force: true })
  })

  it('disables every key of the workspace in one step, voids its pending widenings and passkey trusts, and leaves other workspaces alone', async () => {
    const widening = (await api.call('proposeWidening', ws, { keyId: keys.spot.keyId, change: { kind: 'limits', limits: { ...keys.spot.limits, maxOrderNotional: '500' } } })).result as WideningOperationView
    const passkey = await registerPasskey(createSoftAuthenticator({ origin: ORIGIN }), newId(), ORIGIN)
    const trust = (await api.call('trustPasskey', ws, passkey)).result as WideningOperationView
    const { result, events } = await api.call('disableWorkspaceKeys', ws, { reason: 'lockdown: suspicious sign-in', cleanupMs: 120_000 })
    const r = result as { keys: KeyView[]; cleanupGrant?: string; cleanupUntil?: string }
    expect(r.keys.map((k) => [k.keyId, k.state, k.disabledReason]).sort()).toEqual(
      [keys.spot, keys.fut, keys.pending].map((k) => [k.keyId, 'disabled', 'lockdown: suspicious sign-in']).sort(),
    )
    expect(r.cleanupGrant).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(new Date(r.cleanupUntil ?? '').getTime()).toBeGreaterThan(Date.now())
    grant = r.cleanupGrant ?? ''
    const disabledEvent = events.find((e: SignerAuditEvent) => e.type === 'workspace_keys_disabled')
    expect(disabledEvent).toMatchObject({ outcome: 'success', details: { count: 3, reason: 'lockdown: suspicious sign-in', voidedOperations: 2 } })
    // The grant is a bearer value: it is in the result only, never in an event or the signer's log.
    expect(JSON.stringify(events)).not.toContain(grant)
    expect(readFileSync(signerPaths(home).auditLog, 'utf8')).not.toContain(grant)

    const pending = (await operator.call('listPendingWidenings', ws, {})).result as WideningOperationView[]
    expect(pending.map((o) => o.operationId)).not.toContain(widening.operationId)
    expect(pending.map((o) => o.operationId)).not.toContain(trust.operationId)
    const other = (await api.call('listKeys', otherWs, {})).result as KeyView[]
    expect(other.map((k) => k.state)).toEqual(['active'])
  })

  it('after it, every call without a grant is refused before anything reaches the exchange', async () => {
    spot.clearRequests()
    usdm.clearRequests()
    for (const [keyId, method, args] of [
      [keys.spot.keyId, 'fetchBalance', {}],
      [keys.spot.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }],
      [keys.fut.keyId, 'createOrder', { symbol: FUT, type: 'market', side: 'sell', amount: '0.1', reduceOnly: true }],
    ] as const) {
      await expect(execute(keyId, method, args)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    }
    expect([...spot.requests, ...usdm.requests].filter((r) => r.isSigned)).toEqual([])
  })

  it('with the grant, a disabled key reads open orders, cancels, and closes a futures position reduce-only — audited as a cleanup', async () => {
    const open = (await execute(keys.spot.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, grant)).result as Array<{ id: string }>
    expect(open.map((o) => o.id)).toEqual([restingOrderId])
    expect((await execute(keys.spot.keyId, 'cancelOrder', { symbol: 'BTC/USDT', id: restingOrderId }, grant)).result).toMatchObject({ id: restingOrderId, status: 'canceled' })
    expect(((await execute(keys.fut.keyId, 'fetchPositions', { symbols: [FUT] }, grant)).result as unknown[]).length).toBe(1)
    const close = await execute(keys.fut.keyId, 'createOrder', { symbol: FUT, type: 'market', side: 'sell', amount: '0.1', reduceOnly: true }, grant)
    expect(close.result).toMatchObject({ status: 'closed', filled: '0.1' })
    expect(close.events.find((e) => e.type === 'key_used')).toMatchObject({ details: { keyId: keys.fut.keyId, method: 'createOrder', cleanup: true } })
    expect(await execute(keys.fut.keyId, 'fetchPositions', { symbols: [FUT] }, grant).then((r) => r.result)).toEqual([])
    expect(auditLines().filter((l) => l.type === 'key_used' && (l.details as { cleanup?: boolean }).cleanup === true).length).toBe(5)
  })

  it('the grant allows nothing else: other methods, orders that could add exposure, other keys, other workspaces', async () => {
    spot.clearRequests()
    usdm.clearRequests()
    const refused: Array<[string, string, Record<string, unknown>, string?]> = [
      [keys.spot.keyId, 'fetchBalance', {}],
      [keys.spot.keyId, 'fetchMyTrades', { symbol: 'BTC/USDT' }],
      [keys.spot.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'sell', amount: '0.001', price: '60000' }],
      // reduce-only means nothing on a spot market: refused there
      [keys.spot.keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'market', side: 'sell', amount: '0.001', reduceOnly: true }],
      [keys.fut.keyId, 'createOrder', { symbol: FUT, type: 'market', side: 'buy', amount: '0.1' }],
      [keys.fut.keyId, 'createOrder', { symbol: FUT, type: 'limit', side: 'sell', amount: '0.1', price: '50000', reduceOnly: true }],
      [keys.fut.keyId, 'setLeverage', { symbol: FUT, leverage: 20 }],
      // never verified, so it never traded through us: nothing to clean up
      [keys.pending.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }],
    ]
    for (const [keyId, method, args] of refused) await expect(execute(keyId, method, args, grant)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    // A made-up grant, and the real one from another workspace (whose key stays active, but is not its to name).
    await expect(execute(keys.spot.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, randomBytes(32).toString('base64url'))).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    await expect(execute(keys.spot.keyId, 'fetchOpenOrders', { symbol: 'BTC/USDT' }, grant, otherWs)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect([...spot.requests, ...usdm.requests].filter((r) => r.isSigned)).toEqual([])
    expect(auditLines().filter((l) => l.type === 'cleanup_refused').length).toBe(refused.length + 1)
  })

  it('a second lockdown is harmless: keys stay disabled, and the workspace with no keys left answers with none', async () => {
    const again = (await api.call('disableWorkspaceKeys', ws, { reason: 'lockdown again' })).result as { keys: KeyView[]; cleanupGrant?: string }
    expect(again.keys.every((k) => k.state === 'disabled' && k.disabledReason === 'lockdown again')).toBe(true)
    expect(again.cleanupGrant).toBeUndefined()
    expect((await api.call('disableWorkspaceKeys', newId(), { reason: 'nothing here' })).result).toEqual({ keys: [] })
    await expect(api.call('disableWorkspaceKeys', ws, { reason: 'x', cleanupMs: 600_001 })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(api.call('disableWorkspaceKeys', ws, { reason: '' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
  })
})
