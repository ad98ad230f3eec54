import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { backends, createPostgresDatabase } from '../../test/support/databases.js'
import { encodeCredentialFields, sealTo } from '../crypto/sealing.js'
import { newId } from '../lib/ids.js'
import { createSignerClient, type SignerClient } from './client.js'
import { signerPaths, startSigner } from './main.js'
import { signerEnvSchema } from './signer-config.js'
import type { KeyView } from './signer-types.js'

/**
 * Operator-only operations through the real signer process root (`startSigner`, both sockets, its own
 * vault database) and real ccxt against the emulator: the global seal (R19 as amended), which survives
 * a restart, and the operations the api's socket does not have at all.
 */
describe.each(backends)('the operator socket: global seal and operator-only operations (%s)', (kind) => {
  let home: string
  let spot: BinanceEmulator
  let signer: Awaited<ReturnType<typeof startSigner>> | undefined
  let api: SignerClient
  let operator: SignerClient
  let vaultUrl: string | undefined
  let dropDb: (() => Promise<void>) | undefined
  const ws = newId()
  const creds = [0, 1].map(() => ({ apiKey: randomApiKey(), secret: randomHmacSecret() }))
  const keys: KeyView[] = []

  const boot = async () => {
    signer = await startSigner(
      signerEnvSchema.parse({ BULWARK_HOME: home, LOG_LEVEL: 'silent', BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: spot.url }), ...(vaultUrl ? { VAULT_DATABASE_URL: vaultUrl } : {}) }),
    )
    const paths = signerPaths(home)
    api = createSignerClient({ socketPath: paths.socket })
    operator = createSignerClient({ socketPath: paths.operatorSocket, auth: readFileSync(paths.operatorToken, 'utf8').trim() })
  }
  const shutdown = async () => {
    api.close()
    operator.close()
    await signer?.close()
    signer = undefined
  }
  const connect = async (c: { apiKey: string; secret: string }): Promise<KeyView> => {
    const { publicKey } = (await api.call('publicKey', null, {})).result as { publicKey: string }
    const envelope = await sealTo(publicKey, encodeCredentialFields(c), { workspaceId: ws, exchange: 'binance', nonce: randomBytes(18).toString('base64url'), expiresAt: new Date(Date.now() + 120_000).toISOString(), purpose: 'exchange-credentials' })
    return (await api.call('connect', ws, { exchange: 'binance', exchangeAccountId: newId(), envelope })).result as KeyView
  }
  const sealedRefusal = { code: 'UNAVAILABLE', reason: 'SIGNER_SEALED' }
  const auditTypes = () => readFileSync(signerPaths(home).auditLog, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'bulwark-operator-'))
    spot = await startBinanceEmulator({ accounts: creds.map((c) => ({ ...c, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } })), prices: { BTCUSDT: '50000' } })
    if (kind === 'postgres') ({ url: vaultUrl, drop: dropDb } = await createPostgresDatabase({ fromTemplate: false }))
    await boot()
    for (const c of creds) keys.push(await connect(c))
  })
  afterAll(async () => {
    if (signer) await shutdown()
    await spot?.close()
    await dropDb?.()
    rmSync(home, { recursive: true, force: true })
  })

  it('the api socket has no operator operations: seal, unseal, backups and the recovery kit do not exist there', async () => {
    for (const op of ['seal', 'unseal', 'sealStatus', 'backupVault', 'recoveryKit', 'rotateMaster', 'approveWidening'] as const) {
      await expect(api.call(op, null, op === 'seal' ? { reason: 'x' } : op === 'recoveryKit' ? { threshold: 2, shares: 3 } : {})).rejects.toMatchObject({ code: 'NOT_FOUND' })
    }
    // And the operator socket itself wants the token.
    const noToken = createSignerClient({ socketPath: signerPaths(home).operatorSocket })
    await expect(noToken.call('seal', null, { reason: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    noToken.close()
    expect(((await api.call('status', null, {})).result as { sealed: boolean }).sealed).toBe(false)
  })

  it('R37: the API key appears nowhere raw in the signer log; the operator auditHash reproduces the fingerprint logged for it', async () => {
    const [first] = keys as [KeyView]
    const [cred] = creds as [{ apiKey: string; secret: string }]
    const log = readFileSync(signerPaths(home).auditLog, 'utf8')
    for (const secret of [cred.apiKey, cred.secret]) {
      for (const form of [secret, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')]) expect(log).not.toContain(form)
    }
    const connected = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; keyId?: string; fingerprint?: string; details?: { keyId?: string; fingerprint?: string } })
      .map((e) => ({ type: e.type, keyId: e.details?.keyId ?? e.keyId, fingerprint: e.details?.fingerprint ?? e.fingerprint }))
      .find((e) => e.type === 'key_connected' && e.keyId === first.keyId)
    expect(connected?.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect((await operator.call('auditHash', null, { value: cred.apiKey })).result).toEqual({ fingerprint: connected?.fingerprint })
    expect((await operator.call('auditHash', null, { value: `${cred.apiKey}x` })).result).not.toEqual({ fingerprint: connected?.fingerprint })
    // An auditor's function: never on the api's socket.
    await expect(api.call('auditHash' as 'status', null, { value: cred.apiKey } as never)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('sealed: every key use and widening is refused on both sockets before any exchange request; narrowing and audit still work', async () => {
    expect((await operator.call('seal', null, { reason: 'incident 42: suspected api compromise' })).result).toMatchObject({ sealed: true, reason: 'incident 42: suspected api compromise' })
    spot.clearRequests()
    const [first, second] = keys as [KeyView, KeyView]
    const refused: Array<[SignerClient, string, string | null, Record<string, unknown>]> = [
      [api, 'execute', ws, { keyId: first.keyId, method: 'fetchBalance', args: {} }],
      [api, 'listKeys', ws, {}],
      [api, 'setLimits', ws, { keyId: first.keyId, limits: { ...first.limits, maxOrderNotional: '10' } }],
      [api, 'reverify', ws, { keyId: first.keyId }],
      [api, 'proposeWidening', ws, { keyId: first.keyId, change: { kind: 'enable' } }],
      [api, 'generateKeyPair', ws, { exchange: 'binance', exchangeAccountId: newId() }],
      [operator, 'execute', ws, { keyId: first.keyId, method: 'fetchBalance', args: {} }],
      [operator, 'enable', ws, { keyId: first.keyId }],
      [operator, 'verifyVault', null, {}],
    ]
    for (const [client, op, workspaceId, params] of refused) await expect(client.call(op as 'status', workspaceId, params as never)).rejects.toMatchObject(sealedRefusal)
    await expect(connect(creds[0] as { apiKey: string; secret: string })).rejects.toMatchObject(sealedRefusal)
    expect(spot.requests).toEqual([])

    // What stays open: describing the signer, narrowing, the audit trail.
    expect((await api.call('status', null, {})).result).toMatchObject({ sealed: true, sealReason: 'incident 42: suspected api compromise' })
    expect((await api.call('publicKey', null, {})).result).toMatchObject({ publicKey: expect.any(String) })
    await api.call('clockSkew', null, {})
    expect((await api.call('disable', ws, { keyId: second.keyId, reason: 'during the seal' })).result).toMatchObject({ state: 'disabled' })
    expect(((await api.call('disableWorkspaceKeys', ws, { reason: 'lockdown during the seal' })).result as { keys: KeyView[] }).keys.map((k) => k.state)).toEqual(['disabled', 'disabled'])
    await api.call('untrustPasskey', ws, { userId: newId() })
    const head = createHash('sha256').update('e1').digest('hex')
    expect((await api.call('signCheckpoint', null, { chain: 'system', seq: 1, head, time: new Date().toISOString() })).result).toMatchObject({ seq: 1, head })
    expect(((await api.call('listCheckpoints', null, {})).result as { checkpoints: unknown[] }).checkpoints).toHaveLength(1)
    expect(spot.requests.filter((r) => r.isSigned)).toEqual([])
    expect(auditTypes()).toContain('signer_sealed')
  })

  it('stays sealed across a restart (state in its own store), with the same audit key and checkpoints', async () => {
    const before = (await api.call('auditPublicKey', null, {})).result as { keyId: string }
    await shutdown()
    await boot()
    expect((await operator.call('sealStatus', null, {})).result).toMatchObject({ sealed: true, reason: 'incident 42: suspected api compromise' })
    await expect(api.call('listKeys', ws, {})).rejects.toMatchObject(sealedRefusal)
    expect((await api.call('auditPublicKey', null, {})).result).toEqual(before)
    expect(((await api.call('listCheckpoints', null, { chain: 'system' })).result as { keyId: string; checkpoints: Array<{ keyId: string }> }).checkpoints.map((c) => c.keyId)).toEqual([before.keyId])
  })

  it('backups and the recovery kit run on the operator socket (the seal lets them through), with their input checked there', async () => {
    for (const bad of [{ threshold: 1, shares: 3 }, { threshold: 3, shares: 2 }, { threshold: 2, shares: 17 }, { threshold: 2.5, shares: 3 }]) {
      await expect(operator.call('recoveryKit', null, bad)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    }
    const kit = (await operator.call('recoveryKit', null, { threshold: 2, shares: 3 })).result as { shares: string[]; threshold: number }
    expect(kit).toMatchObject({ threshold: 2 })
    expect(kit.shares).toHaveLength(3)
    const backup = (await operator.call('backupVault', null, {})).result as { archives: Array<{ name: string; file: string }> }
    expect(backup.archives.map((a) => a.name)).toEqual(expect.arrayContaining(['store-1', 'store-2', 'store-3']))
    await expect(operator.call('backupVault', null, { outDir: '/tmp/elsewhere' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    // The signer's own log has the kit's counts, never a share.
    const log = readFileSync(signerPaths(home).auditLog, 'utf8')
    expect(auditTypes()).toContain('recovery_kit_issued')
    for (const share of kit.shares) expect(log).not.toContain(share)
  })

  it('unsealed by the operator: operations run again (the keys stay as narrowed meanwhile)', async () => {
    expect((await operator.call('unseal', null, {})).result).toMatchObject({ sealed: false, reason: null })
    expect(((await api.call('listKeys', ws, {})).result as KeyView[]).map((k) => k.state)).toEqual(['disabled', 'disabled'])
    await operator.call('enable', ws, { keyId: (keys[0] as KeyView).keyId })
    expect((await api.call('execute', ws, { keyId: (keys[0] as KeyView).keyId, method: 'fetchBalance', args: {} })).result).toMatchObject({ USDT: { total: '1000' } })
    expect(auditTypes().filter((t) => t === 'signer_sealed' || t === 'signer_unsealed')).toEqual(['signer_sealed', 'signer_unsealed'])
    expect(((await api.call('status', null, {})).result as { sealed: boolean }).sealed).toBe(false)
  })
})
