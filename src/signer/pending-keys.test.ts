import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { createLogger } from '../lib/logger.js'
import { encodeCredentialFields, generateRecipientKeyPair, sealTo } from '../crypto/sealing.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, loadOrCreateKeyFile, vaultKeys, type ShareStore } from '../vault/index.js'
import { createSignerAuditLog } from './audit-log.js'
import { createSignerClient, type SignerClient } from './client.js'
import { createExecutor } from './executor.js'
import { createSignerHandlers } from './handlers.js'
import { PENDING_KEY_TTL_MS } from './pending-keys.js'
import { createRateBudget } from './rate-budget.js'
import { startRpcServer } from './rpc-server.js'
import { createSignerService, type Ctx } from './signer-service.js'
import type { KeyLimits, KeyView, SignerAuditEvent } from './signer-types.js'

const HOUR_MS = 3_600_000
const ORIGIN = 'http://localhost:8080'

/**
 * Keys waiting for a second person's approval (R42), on the real signer: its vault on its own database
 * with the three share stores in reach of the test (to see every share go), real ccxt against the Binance
 * emulator, and "the api" played through the api's socket with the api's own client — whatever a
 * compromised api could send, it sends there. The operator's authority is the service itself.
 */
describe.each(backends)('keys waiting for approval in the signer (%s)', (kind) => {
  const clock = createManualClock(Date.now())
  const credentials = () => ({ apiKey: randomApiKey(), secret: randomHmacSecret() })
  const restricted = { ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } }
  let database: TestDatabase
  let dir: string
  let emulator: BinanceEmulator
  let stores: ShareStore[]
  let client: SignerClient
  let service: ReturnType<typeof createSignerService>
  let recipientPublicKey: string
  let closeServer: () => Promise<void>
  let auditLogPath: string

  beforeAll(async () => {
    database = await openTestDatabase(kind, 'vault')
    dir = mkdtempSync(join(tmpdir(), 'bulwark-pending-keys-'))
    emulator = await startBinanceEmulator({ accounts: [], prices: { BTCUSDT: '50000', ETHUSDT: '3000' } })
    const recipient = await generateRecipientKeyPair()
    recipientPublicKey = recipient.publicKey
    stores = [createDatabaseShareStore('store-1', database.db), createDirectoryShareStore('store-2', join(dir, 's2')), createDirectoryShareStore('store-3', join(dir, 's3'))]
    const vault = createVault({
      db: database.db,
      stores,
      keys: createKeyHierarchy(join(dir, 'master.key')),
      fingerprintKey: loadOrCreateKeyFile(join(dir, 'fp.key')),
      clock,
      threshold: 2,
      onEvent: () => {},
    })
    auditLogPath = join(dir, 'audit.log')
    service = createSignerService({
      vault,
      db: database.db,
      executor: createExecutor({ endpoints: { binance: emulator.url }, budget: createRateBudget(), onRefusal: () => {} }),
      audit: createSignerAuditLog(auditLogPath),
      recipient,
      clock,
      widening: { delayMs: 24 * HOUR_MS, origin: ORIGIN },
    })
    const handlers = createSignerHandlers({ service, vault, requestEvents: new AsyncLocalStorage<SignerAuditEvent[]>() })
    const socketPath = join(dir, 'api.sock')
    const server = await startRpcServer(socketPath, handlers.api, createLogger({ level: 'silent', name: 'pending-keys-test' }))
    closeServer = server.close
    client = createSignerClient({ socketPath })
  })
  afterAll(async () => {
    client.close()
    await closeServer()
    await emulator.close()
    await database.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A key registered at the exchange (IP-restricted to us unless told otherwise). */
  const exchangeKey = (settings: Record<string, unknown> = restricted) => {
    const c = credentials()
    emulator.addAccount({ ...c, ...settings })
    return c
  }
  const seal = (workspaceId: string, c: { apiKey: string; secret: string }) =>
    sealTo(recipientPublicKey, encodeCredentialFields(c), {
      workspaceId,
      exchange: 'binance',
      nonce: randomBytes(18).toString('base64url'),
      expiresAt: new Date(clock.now().getTime() + 120_000).toISOString(),
      purpose: 'exchange-credentials',
    })

  /** The api's socket: result and the audit events it reports. */
  const call = async <T>(op: string, ws: string, params: Record<string, unknown>) => {
    const { result, events } = await client.call(op as 'listKeys', ws, params as never)
    return { result: result as T, events }
  }
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      return { code: err.code, reason: err.reason, message: err.message, events: (err.details as { events: SignerAuditEvent[] }).events }
    }
    throw new Error('expected the call to be refused')
  }
  const typesOf = (events: SignerAuditEvent[]) => events.map((e) => e.type)
  const connect = async (ws: string, c: { apiKey: string; secret: string }, extra: Record<string, unknown> = {}) =>
    call<KeyView>('connect', ws, { exchange: 'binance', exchangeAccountId: newId(), envelope: await seal(ws, c), ...extra })
  const listed = async (ws: string) => (await call<KeyView[]>('listKeys', ws, {})).result

  /** How many share versions each store holds for a key. */
  const sharesOf = async (keyId: string) => Promise.all(stores.map(async (s) => (await s.listVersions(keyId)).length))
  /** Every share record of a workspace, in every store. */
  const sharesOfWorkspace = async (ws: string) => {
    let n = 0
    for (const s of stores) for await (const r of s.all()) if (r.workspaceId === ws) n++
    return n
  }
  const signedCallsOf = (apiKey: string) => emulator.requests.filter((r) => r.apiKey === apiKey && r.isSigned)

  it('refuses a key the exchange does not report as IP-restricted before storing anything (workspace policy), audited, with the fix', async () => {
    const ws = newId()
    const open = exchangeKey({ balances: { USDT: '10' } })
    const refused = await refusal(connect(ws, open, { requireIpRestricted: true, pendingApproval: true }))
    expect(refused).toMatchObject({ code: 'KEY_NOT_IP_RESTRICTED' })
    expect(refused.message).toMatch(/Fix: restrict the key to the platform's egress addresses at Binance/)
    expect(refused.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'key_connect_refused', outcome: 'denied', details: expect.objectContaining({ reason: 'KEY_NOT_IP_RESTRICTED' }) })]))
    expect(await database.db.select().from(vaultKeys).where(eq(vaultKeys.workspaceId, ws))).toEqual([])
    expect(await sharesOfWorkspace(ws)).toBe(0)
    expect(readFileSync(auditLogPath, 'utf8')).toContain('KEY_NOT_IP_RESTRICTED')
    // The same policy lets an IP-restricted key through; without the policy the open key connects (the refusal was the policy's).
    expect((await connect(ws, exchangeKey(), { requireIpRestricted: true })).result).toMatchObject({ state: 'active', verification: { ipRestricted: true } })
    expect((await connect(ws, exchangeKey({ balances: { USDT: '10' } }))).result).toMatchObject({ state: 'active', verification: { ipRestricted: false } })
  })

  it('a pending key is verified and stored, but cannot trade, be enabled by a widening, be disabled or be re-verified into another state', async () => {
    const ws = newId()
    const c = exchangeKey()
    const { result: key, events } = await connect(ws, c, { pendingApproval: true })
    expect(key).toMatchObject({ state: 'pending_approval', verification: { status: 'verified', withdrawEnabled: false } })
    expect(typesOf(events)).toContain('key_connected')
    expect(await sharesOf(key.keyId)).toEqual([1, 1, 1])
    const before = signedCallsOf(c.apiKey).length
    expect(await refusal(call('execute', ws, { keyId: key.keyId, method: 'fetchBalance', args: {} }))).toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect(await refusal(call('proposeWidening', ws, { keyId: key.keyId, change: { kind: 'enable' } }))).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_APPROVAL' })
    expect(await refusal(call('disable', ws, { keyId: key.keyId, reason: 'to enable it alone' }))).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_APPROVAL' })
    expect(await refusal(call('reverify', ws, { keyId: key.keyId }))).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_APPROVAL' })
    expect(signedCallsOf(c.apiKey)).toHaveLength(before) // nothing reached the exchange with it
    expect((await listed(ws)).map((k) => [k.keyId, k.state])).toEqual([[key.keyId, 'pending_approval']])
    expect(await call('listPendingWidenings', ws, {})).toMatchObject({ result: [] })
  })

  it('approvePending re-verifies at the exchange and makes the key usable, exactly once', async () => {
    const ws = newId()
    const c = exchangeKey()
    const { result: key } = await connect(ws, c, { pendingApproval: true })
    emulator.clearRequests()
    const { result: approved, events } = await call<KeyView>('approvePending', ws, { keyId: key.keyId, requireIpRestricted: true })
    expect(approved).toMatchObject({ keyId: key.keyId, state: 'active', verification: { status: 'verified', ipRestricted: true } })
    expect(signedCallsOf(c.apiKey).map((r) => r.path)).toEqual(['/sapi/v1/account/apiRestrictions'])
    expect(events).toEqual([expect.objectContaining({ type: 'key_approved', details: expect.objectContaining({ keyId: key.keyId, state: 'active' }) })])
    expect(await call('execute', ws, { keyId: key.keyId, method: 'fetchBalance', args: {} })).toMatchObject({ result: expect.objectContaining({ USDT: expect.anything() }) })
    expect(await refusal(call('approvePending', ws, { keyId: key.keyId }))).toMatchObject({ code: 'CONFLICT' })
    // Another workspace cannot approve (or see) it.
    expect(await refusal(call('approvePending', newId(), { keyId: key.keyId }))).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('a replacement waits without touching the key it replaces, then takes over its current limits and disabled state', async () => {
    const ws = newId()
    const { result: old } = await connect(ws, exchangeKey())
    const narrow: KeyLimits = { ...old.limits, maxOrderNotional: '50' }
    await call('setLimits', ws, { keyId: old.keyId, limits: narrow })
    const { result: next } = await connect(ws, exchangeKey(), { pendingApproval: true, replacesKeyId: old.keyId, exchangeAccountId: old.exchangeAccountId })
    expect(next).toMatchObject({ state: 'pending_approval', exchangeAccountId: old.exchangeAccountId, limits: { maxOrderNotional: '50' } })
    // The old key keeps serving while the new one waits, and nothing a member does to it now is undone by the approval.
    expect(await call('execute', ws, { keyId: old.keyId, method: 'fetchBalance', args: {} })).toBeTruthy()
    const narrower: KeyLimits = { ...narrow, maxOrderNotional: '20' }
    await call('setLimits', ws, { keyId: old.keyId, limits: narrower })
    await call('disable', ws, { keyId: old.keyId, reason: 'paused by a member' })
    const { result: approved } = await call<KeyView>('approvePending', ws, { keyId: next.keyId, replacesKeyId: old.keyId })
    expect(approved).toMatchObject({ state: 'disabled', disabledReason: 'replaced a disabled key: paused by a member', limits: narrower })
    // A key of another account is not something this key can replace.
    const { result: stranger } = await connect(ws, exchangeKey())
    const { result: third } = await connect(ws, exchangeKey(), { pendingApproval: true, replacesKeyId: next.keyId, exchangeAccountId: old.exchangeAccountId })
    expect(await refusal(call('approvePending', ws, { keyId: third.keyId, replacesKeyId: stranger.keyId }))).toMatchObject({ code: 'BAD_INPUT' })
    expect((await listed(ws)).find((k) => k.keyId === third.keyId)?.state).toBe('pending_approval')
  })

  it('a key that can now withdraw, or lost its IP whitelist under the policy, is refused at approval and destroyed', async () => {
    const ws = newId()
    const withdrawing = exchangeKey()
    const { result: a } = await connect(ws, withdrawing, { pendingApproval: true })
    const account = emulator.account(withdrawing.apiKey)
    account.permissions.enableWithdrawals = true
    const refusedA = await refusal(call('approvePending', ws, { keyId: a.keyId }))
    expect(refusedA).toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION' })
    expect(typesOf(refusedA.events)).toEqual(['key_approval_refused', 'key_pending_discarded'])
    expect(await sharesOf(a.keyId)).toEqual([0, 0, 0])

    const opened = exchangeKey()
    const { result: b } = await connect(ws, opened, { pendingApproval: true, requireIpRestricted: true })
    emulator.account(opened.apiKey).ipRestrict = false
    expect(await refusal(call('approvePending', ws, { keyId: b.keyId, requireIpRestricted: true }))).toMatchObject({ code: 'KEY_NOT_IP_RESTRICTED' })
    expect(await sharesOf(b.keyId)).toEqual([0, 0, 0])
    expect(await listed(ws)).toEqual([])
  })

  it('discardPending destroys every share of a pending key in every store, and refuses any other key', async () => {
    const ws = newId()
    const { result: active } = await connect(ws, exchangeKey())
    expect(await refusal(call('discardPending', ws, { keyId: active.keyId, reason: 'rejected' }))).toMatchObject({ code: 'CONFLICT' })
    expect(await sharesOf(active.keyId)).toEqual([1, 1, 1])
    const c = exchangeKey()
    const { result: pending } = await connect(ws, c, { pendingApproval: true })
    expect(await sharesOf(pending.keyId)).toEqual([1, 1, 1])
    const { result, events } = await call('discardPending', ws, { keyId: pending.keyId, reason: 'rejected' })
    expect(result).toEqual({ keyId: pending.keyId, state: 'destroyed' })
    expect(events).toEqual([expect.objectContaining({ type: 'key_pending_discarded', details: expect.objectContaining({ keyId: pending.keyId, reason: 'rejected' }) })])
    expect(await sharesOf(pending.keyId)).toEqual([0, 0, 0])
    expect((await listed(ws)).map((k) => k.keyId)).toEqual([active.keyId])
    expect(await refusal(call('approvePending', ws, { keyId: pending.keyId }))).toMatchObject({ code: 'NOT_FOUND' })
    // The reuse lock went with it: the same exchange key can be connected again.
    expect((await connect(ws, c, { pendingApproval: true })).result).toMatchObject({ state: 'pending_approval' })
  })

  it("destroys a pending key on the signer's own clock once it has waited past the TTL, whatever the api does", async () => {
    const ws = newId()
    const quiet = newId()
    const { result: mine } = await connect(ws, exchangeKey(), { pendingApproval: true })
    const { result: theirs } = await connect(quiet, exchangeKey(), { pendingApproval: true })
    const { result: late } = await connect(ws, exchangeKey(), { pendingApproval: true })
    clock.advance(PENDING_KEY_TTL_MS - 60_000)
    expect((await listed(ws)).map((k) => k.keyId).sort()).toEqual([mine.keyId, late.keyId].sort())
    clock.advance(120_000)
    // Approving it now is too late: refused, and destroyed on the way.
    expect(await refusal(call('approvePending', ws, { keyId: late.keyId }))).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_KEY_EXPIRED' })
    expect(await sharesOf(late.keyId)).toEqual([0, 0, 0])
    // The workspace's next look at its keys sweeps the rest, and the events reach its chain with that request.
    const { result, events } = await call<KeyView[]>('listKeys', ws, {})
    expect(result).toEqual([])
    expect(events).toEqual([expect.objectContaining({ type: 'key_pending_expired', details: expect.objectContaining({ keyId: mine.keyId, reason: 'expired' }) })])
    expect(await sharesOf(mine.keyId)).toEqual([0, 0, 0])
    // A workspace nobody looks at: any status request (and the timer) sweeps every workspace.
    expect(await sharesOf(theirs.keyId)).toEqual([1, 1, 1])
    await call('status', quiet, {})
    expect(await sharesOf(theirs.keyId)).toEqual([0, 0, 0])
    expect(await database.db.select({ state: vaultKeys.state }).from(vaultKeys).where(eq(vaultKeys.keyId, theirs.keyId))).toEqual([{ state: 'destroyed' }])
    // Each in the signer's own log (the status sweep also took the keys earlier tests left waiting).
    const log = readFileSync(auditLogPath, 'utf8').split('\n').filter((l) => l.includes('key_pending_expired'))
    expect(log.map((l) => (JSON.parse(l) as { details: { keyId: string } }).details.keyId)).toEqual(expect.arrayContaining([mine.keyId, theirs.keyId, late.keyId]))
    // An active key of the same age is not the sweep's business.
    const { result: active } = await connect(ws, exchangeKey())
    clock.advance(PENDING_KEY_TTL_MS * 2)
    expect(await service.sweepPendingKeys()).toBe(0)
    expect((await listed(ws)).map((k) => k.state)).toEqual(['active'])
    expect(await sharesOf(active.keyId)).toEqual([1, 1, 1])
  })

  it('a lockdown destroys the keys waiting for approval instead of disabling them', async () => {
    const ws = newId()
    const { result: active } = await connect(ws, exchangeKey())
    const { result: pending } = await connect(ws, exchangeKey(), { pendingApproval: true })
    const { result, events } = await call<{ keys: KeyView[] }>('disableWorkspaceKeys', ws, { reason: 'lockdown' })
    expect(result.keys.map((k) => [k.keyId, k.state])).toEqual([[active.keyId, 'disabled']])
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'key_pending_discarded', details: expect.objectContaining({ keyId: pending.keyId, reason: 'locked_down' }) })]))
    expect(await sharesOf(pending.keyId)).toEqual([0, 0, 0])
    // And a widening could not bring it back: there is nothing left to enable.
    expect(await refusal(call('proposeWidening', ws, { keyId: pending.keyId, change: { kind: 'enable' } }))).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('completing a generated Ed25519 key pair honours the IP policy before storing the API key, and can wait for approval', async () => {
    const ws = newId()
    const { result: made } = await call<{ key: KeyView; publicKeyPem: string }>('generateKeyPair', ws, { exchange: 'binance', exchangeAccountId: newId() })
    const apiKey = randomApiKey()
    emulator.addAccount({ apiKey, ed25519PublicKeyPem: made.publicKeyPem, balances: { USDT: '50' } })
    const refused = await refusal(call('completeKeyPair', ws, { keyId: made.key.keyId, apiKey, requireIpRestricted: true, pendingApproval: true }))
    expect(refused).toMatchObject({ code: 'KEY_NOT_IP_RESTRICTED' })
    const [waiting] = await listed(ws)
    expect(waiting).toMatchObject({ keyId: made.key.keyId, state: 'unverified', verification: { status: 'awaiting_api_key' } })
    expect(waiting?.apiKeyHint).toBe(made.key.apiKeyHint) // the refused API key was not stored
    Object.assign(emulator.account(apiKey), { ipRestrict: true, ipWhitelist: ['127.0.0.1'] })
    const { result: done } = await call<KeyView>('completeKeyPair', ws, { keyId: made.key.keyId, apiKey, requireIpRestricted: true, pendingApproval: true })
    expect(done).toMatchObject({ state: 'pending_approval', verification: { status: 'verified', ipRestricted: true } })
    expect(await refusal(call('execute', ws, { keyId: done.keyId, method: 'fetchBalance', args: {} }))).toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect((await call<KeyView>('approvePending', ws, { keyId: done.keyId })).result).toMatchObject({ state: 'active' })
  })

  it('the operator socket may still enable a pending key (its own authority)', async () => {
    const ws = newId()
    const { result: pending } = await connect(ws, exchangeKey(), { pendingApproval: true })
    const operator: Ctx = { workspaceId: ws, requestId: 'operator-enable', events: [] }
    expect(await service.enable(operator, { keyId: pending.keyId })).toMatchObject({ state: 'active' })
  })
})
