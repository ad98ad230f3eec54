import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBybitEmulator, type BybitEmulator } from '../emulator/bybit-emulator.js'
import { startOkxEmulator, type OkxEmulator } from '../emulator/okx-emulator.js'
import { randomApiKey, randomHmacSecret, randomPassphrase } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { callAdmin } from '../../src/cli/admin-client.js'
import { encodeCredentialFields, sealTo } from '../../src/crypto/index.js'
import { AppError } from '../../src/lib/errors.js'
import { createSignerClient, type KeyView } from '../../src/signer/index.js'

/**
 * Connect-time verification and trading for OKX and Bybit, end to end: `bulwark start` (signer and api
 * under the permission model), credentials sealed to the signer, the real ccxt client in the signer
 * redirected by BULWARK_EXCHANGE_ENDPOINTS to the OKX and Bybit emulators, which check every signature.
 */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-exchanges-'))
const home = join(dir, 'home')
const adminSocket = join(home, 'run', 'admin.sock')
let okx: OkxEmulator
let bybit: BybitEmulator
let platform: Running
let env: Record<string, string>
let workspaceId: string

const key = () => ({ apiKey: randomApiKey(), secret: randomHmacSecret() })
const okxKeys = { good: key(), withdraw: key(), open: key() }
const bybitKeys = { good: key(), withdraw: key(), open: key() }
const passphrase = randomPassphrase()

beforeAll(async () => {
  const bound = ['127.0.0.1']
  okx = await startOkxEmulator({
    accounts: [
      { ...okxKeys.good, passphrase, ip: bound, balances: { USDT: '10000', BTC: '1' } },
      { ...okxKeys.withdraw, passphrase, ip: bound, perm: ['read_only', 'trade', 'withdraw'] },
      { ...okxKeys.open, passphrase, balances: { USDT: '10' } },
    ],
  })
  bybit = await startBybitEmulator({
    accounts: [
      { ...bybitKeys.good, ips: bound, balances: { USDT: '10000', BTC: '1' } },
      { ...bybitKeys.withdraw, ips: bound, permissions: { Wallet: ['AccountTransfer', 'Withdraw'] } },
      { ...bybitKeys.open, balances: { USDT: '10' } },
    ],
  })
  const port = await freePort()
  env = { BULWARK_HOME: home, PORT: String(port), BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ okx: okx.url, bybit: bybit.url }) }
  platform = spawnBulwark(['start'], env)
  await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
  const init = await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')
  expect(init.code).toBe(0)
  workspaceId = ((await callAdmin(adminSocket, 'operator-workspace')) as { workspaceId: string }).workspaceId
})

afterAll(async () => {
  if (platform?.child.exitCode === null) {
    platform.child.kill('SIGTERM')
    await platform.exited
  }
  await Promise.all([okx?.close(), bybit?.close()])
  rmSync(dir, { recursive: true, force: true })
})

/**
 * What `bulwark keys add` does, with a passphrase field it cannot take yet: the signer's public key from
 * its operator socket, the fields sealed to it here, the envelope relayed through the admin socket.
 */
const connect = async (exchange: string, fields: Record<string, string>): Promise<KeyView> => {
  const operator = createSignerClient({ socketPath: join(home, 'vault', 'sock', 'operator.sock'), auth: readFileSync(join(home, 'vault', 'operator.token'), 'utf8').trim() })
  const { publicKey } = (await operator.call('publicKey', null, {}).finally(() => operator.close())).result as { publicKey: string }
  const plaintext = encodeCredentialFields(fields)
  const envelope = await sealTo(publicKey, plaintext, { workspaceId, exchange, nonce: randomBytes(18).toString('base64url'), expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(), purpose: 'exchange-credentials' })
  plaintext.fill(0)
  return (await callAdmin(adminSocket, 'keys-connect', { workspaceId, exchange, envelope })) as KeyView
}

const refusal = async (p: Promise<unknown>): Promise<AppError> => {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof AppError)) throw new Error(`expected a refusal, got ${String(err)}`)
  return err
}

const listed = async () => (await callAdmin(adminSocket, 'keys-list', { workspaceId })) as KeyView[]
const hint = (apiKey: string) => `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`
const execute = (keyId: string, method: string, args: Record<string, unknown>) => callAdmin(adminSocket, 'keys-execute', { workspaceId, keyId, method, args })

describe('OKX through the signer', () => {
  let keyId = ''

  it('verifies a good key from GET /api/v5/account/config: active, withdraw off, IP restricted', async () => {
    const key = await connect('okx', { ...okxKeys.good, password: passphrase })
    keyId = key.keyId
    expect(key).toMatchObject({ exchange: 'okx', state: 'active', apiKeyHint: hint(okxKeys.good.apiKey) })
    expect(key.verification).toMatchObject({ status: 'verified', withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true })
    expect(okx.requests.filter((r) => r.isSigned).map((r) => `${r.method} ${r.path} ${String(r.isSignatureValid)}`)).toEqual(['GET /api/v5/account/config true'])
  })

  it('refuses a withdraw-enabled key with the fix, storing nothing', async () => {
    const err = await refusal(connect('okx', { ...okxKeys.withdraw, password: passphrase }))
    expect(err.code).toBe('KEY_HAS_WITHDRAW_PERMISSION')
    expect(err.message).toMatch(/^this OKX key can withdraw funds: edit it at OKX .*untick "Withdraw"/)
    expect((await listed()).map((k) => k.apiKeyHint)).not.toContain(hint(okxKeys.withdraw.apiKey))
  })

  it('stores a key without an IP whitelist but flags it', async () => {
    const key = await connect('okx', { ...okxKeys.open, password: passphrase })
    expect(key.verification).toMatchObject({ status: 'verified', ipRestricted: false, note: expect.stringContaining('not restricted to IP addresses') })
  })

  it('refuses a wrong passphrase with EXCHANGE_AUTH, storing nothing', async () => {
    const before = (await listed()).length
    const err = await refusal(connect('okx', { ...okxKeys.good, apiKey: okxKeys.good.apiKey, password: `${passphrase}x` }))
    expect(err.code).toBe('EXCHANGE_AUTH')
    expect(okx.requests.at(-1)).toMatchObject({ path: '/api/v5/account/config', errorCode: '50105' })
    expect((await listed()).length).toBe(before)
  })

  it('runs an order lifecycle: create, fetch by id and by client id, cancel; no request reaches a fund-moving route', async () => {
    okx.clearRequests()
    const placed = (await execute(keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '48000', clientOrderId: 'bulwarkOkx1' })) as { id: string; clientOrderId: string }
    expect(placed.clientOrderId).toBe('bulwarkOkx1')
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', id: placed.id })).toMatchObject({ id: placed.id, status: 'open', amount: '0.001', price: '48000' })
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', clientOrderId: 'bulwarkOkx1' })).toMatchObject({ id: placed.id })
    await execute(keyId, 'cancelOrder', { symbol: 'BTC/USDT', id: placed.id })
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', id: placed.id })).toMatchObject({ status: 'canceled' })
    const signed = okx.requests.filter((r) => r.isSigned)
    expect(signed.map((r) => r.path)).toEqual(['/api/v5/trade/order', '/api/v5/trade/order', '/api/v5/trade/order', '/api/v5/trade/cancel-order', '/api/v5/trade/order'])
    expect(signed.every((r) => r.isSignatureValid === true && r.apiKey === okxKeys.good.apiKey && r.status === 200)).toBe(true)
    expect(okx.withdrawals).toEqual([])
  })
})

describe('Bybit through the signer', () => {
  let keyId = ''
  /** `bulwark keys add` itself: two lines (API key, secret) on standard input. */
  const add = (k: { apiKey: string; secret: string }) => runBulwark(['keys', 'add', '--exchange', 'bybit', '--credentials-stdin'], env, `${k.apiKey}\n${k.secret}\n`)

  it('`bulwark keys add` verifies a good key from GET /v5/user/query-api: active, withdraw off, IP restricted', async () => {
    const added = await add(bybitKeys.good)
    expect(added.stderr).toBe('')
    expect(added.stdout).toMatch(/ bybit .* active/)
    expect(added.stdout).toContain('withdraw disabled ✓; IP restricted ✓; trading enabled ✓')
    keyId = added.stdout.split(/\s+/)[0] ?? ''
    expect(bybit.requests.filter((r) => r.isSigned).map((r) => r.path)).toEqual(['/v5/user/query-api'])
  })

  it('refuses a key with Withdrawal and Account Transfer, with the boxes to untick, storing nothing', async () => {
    const refused = await add(bybitKeys.withdraw)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/this Bybit key can withdraw funds: .*untick "Withdrawal", "Account Transfer"/)
    expect((await listed()).map((k) => k.apiKeyHint)).not.toContain(hint(bybitKeys.withdraw.apiKey))
  })

  it('stores a key bound to no IP but flags it, with the expiry Bybit gives such keys', async () => {
    const added = await add(bybitKeys.open)
    expect(added.stdout).toContain('IP UNRESTRICTED')
    const key = (await listed()).find((k) => k.apiKeyHint === hint(bybitKeys.open.apiKey))
    expect(key?.verification).toMatchObject({ status: 'verified', ipRestricted: false, expiresAt: expect.stringMatching(/^\d{4}-/) })
  })

  it('refuses a wrong secret (Bybit has no passphrase) with EXCHANGE_AUTH, storing nothing', async () => {
    const before = (await listed()).length
    const err = await refusal(connect('bybit', { apiKey: bybitKeys.good.apiKey, secret: randomHmacSecret() }))
    expect(err.code).toBe('EXCHANGE_AUTH')
    expect(bybit.requests.at(-1)).toMatchObject({ path: '/v5/user/query-api', errorCode: '10004' })
    expect((await listed()).length).toBe(before)
  })

  it('runs an order lifecycle: create, fetch by id, cancel; with the preset, ccxt makes no query-api lookup before the order', async () => {
    bybit.clearRequests()
    const placed = (await execute(keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '48000', clientOrderId: 'bulwark-bybit-1' })) as { id: string; clientOrderId: string }
    expect(placed.clientOrderId).toBe('bulwark-bybit-1')
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', id: placed.id })).toMatchObject({ id: placed.id, status: 'open', amount: '0.001', price: '48000', clientOrderId: 'bulwark-bybit-1' })
    await execute(keyId, 'cancelOrder', { symbol: 'BTC/USDT', id: placed.id })
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', id: placed.id })).toMatchObject({ status: 'canceled' })
    const signed = bybit.requests.filter((r) => r.isSigned)
    expect(signed.map((r) => r.path)).toEqual(['/v5/order/create', '/v5/order/realtime', '/v5/order/cancel', '/v5/order/realtime'])
    expect(signed.every((r) => r.isSignatureValid === true && r.apiKey === bybitKeys.good.apiKey && r.status === 200)).toBe(true)
    expect(bybit.withdrawals).toEqual([])
  })

  // ccxt 4.5.84's bybit.fetchOrder does not translate clientOrderId to orderLinkId; the executor names it
  // Bybit's way and refuses an answer that is another order (Bybit answers with recent orders otherwise).
  it('finds a Bybit order by client order id through the signer, not a neighbour', async () => {
    await execute(keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '48100', clientOrderId: 'bulwark-first' })
    await execute(keyId, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.002', price: '48200', clientOrderId: 'bulwark-second' })
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', clientOrderId: 'bulwark-first' })).toMatchObject({ clientOrderId: 'bulwark-first', amount: '0.001' })
    expect(await execute(keyId, 'fetchOrder', { symbol: 'BTC/USDT', clientOrderId: 'bulwark-second' })).toMatchObject({ clientOrderId: 'bulwark-second', amount: '0.002' })
  })
})
