import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { registerPasskey, startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { createSoftAuthenticator } from '../support/soft-authenticator.js'
import { createManualClock } from '../../src/lib/clock.js'
import { newId } from '../../src/lib/ids.js'
import { schema } from '../../src/db/index.js'
import { createAlerts, createAuditChain, verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import { createKeyRelay } from '../../src/keys/index.js'
import type { KeyView } from '../../src/signer/index.js'
import type { WideningOperationView } from '../../src/signer/signer-types.js'

const ORIGIN = 'http://localhost:8080'
const DAY_MS = 86_400_000

/**
 * The api's half of confirmations: `keys/key-admin.ts` relays to the signer's api socket (the real signer
 * service and RPC server, its own vault database) and records what the signer reports in the workspace's
 * audit chain, raising alerts the user sees for pending widenings and passkey trusts (real api database).
 */
describe.each(backends)('widening through the api relay (%s)', (kind) => {
  let apiDb: TestDatabase
  let signer: SignerHarness
  let relay: ReturnType<typeof createKeyRelay>
  let alerts: ReturnType<typeof createAlerts>
  const clock = createManualClock(Date.now())
  const ws = newId()
  const account = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const user = createSoftAuthenticator({ origin: ORIGIN })

  beforeAll(async () => {
    apiDb = await openTestDatabase(kind, 'api')
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      wideningDelayMs: DAY_MS,
      emulator: { accounts: [{ ...account, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } }], prices: { BTCUSDT: '50000' } },
    })
    await apiDb.db.insert(schema.workspaces).values({ id: ws, name: 'Desk', createdAt: clock.now() })
    alerts = createAlerts({ db: apiDb.db, clock })
    relay = createKeyRelay({ db: apiDb.db, signer: signer.client, audit: createAuditChain({ db: apiDb.db, clock }), alerts })
    await relay.connect(ws, 'binance', await signer.seal(ws, account))
  })
  afterAll(async () => {
    await signer.close()
    await apiDb.dispose()
  })

  const chainTypes = async () =>
    (await apiDb.db.select({ type: schema.auditEvents.type }).from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))).map((r) => r.type)
  const alertOf = async (rule: string) => (await alerts.list(ws)).find((a) => a.rule === rule)

  it('announces pending widenings and passkey trusts as alerts, and records confirmations and refusals in the chain', async () => {
    const [key] = (await relay.list(ws)) as KeyView[]
    if (!key) throw new Error('no key')
    const actor = { type: 'user' as const, id: newId() }

    const pending = (await relay.proposeWidening(ws, key.keyId, { kind: 'limits', limits: { ...key.limits, maxOrderNotional: '1000' } }, actor)) as WideningOperationView
    expect(await alertOf('key_widening_pending')).toMatchObject({ severity: 'warning', details: expect.objectContaining({ operationId: pending.operationId, notBefore: pending.notBefore }) })

    // The user's passkey, registered by the api and relayed: pending too, and announced.
    const passkey = await registerPasskey(user, actor.id, ORIGIN)
    const trust = (await relay.trustPasskey(ws, passkey, actor)) as WideningOperationView
    expect(trust.state).toBe('pending')
    expect(await alertOf('passkey_trust_pending')).toMatchObject({ severity: 'warning', details: expect.objectContaining({ operationId: trust.operationId, authenticatorId: passkey.authenticatorId }) })

    // Before the passkey is trusted, its assertion is refused, and that lands in the chain as well.
    const assertion = (op: WideningOperationView) => user.authenticate({ challenge: op.challenge, rpId: 'localhost' }, { credentialId: passkey.authenticatorId })
    await expect(relay.confirmWidening(ws, pending.operationId, assertion(pending), actor)).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'passkey_not_trusted' })
    expect(await alertOf('widening_confirmation_refused')).toMatchObject({ severity: 'warning' })

    // A day later the trust has applied (announced a day ahead); the passkey now confirms a widening at once.
    clock.advance(DAY_MS)
    const listed = (await relay.listPendingWidenings(ws)) as WideningOperationView[]
    expect(listed.map((o) => o.operationId)).not.toContain(trust.operationId)
    const next = (await relay.proposeWidening(ws, key.keyId, { kind: 'enable' }, actor).catch((e: unknown) => e)) as { code?: string }
    expect(next.code).toBe('CONFLICT') // the key is active: nothing to enable
    const more = (await relay.proposeWidening(ws, key.keyId, { kind: 'limits', limits: { ...key.limits, maxOrderNotional: '1000', maxOrdersPerMinute: 50 } }, actor)) as WideningOperationView
    expect(((await relay.confirmWidening(ws, more.operationId, assertion(more), actor)) as WideningOperationView).state).toBe('applied')

    const types = await chainTypes()
    for (const t of ['key_widening_pending', 'passkey_trust_pending', 'widening_confirmation_refused', 'passkey_trusted', 'key_widening_applied', 'key_widening_confirmed']) expect(types).toContain(t)
    const confirmed = await apiDb.db
      .select()
      .from(schema.auditEvents)
      .where(and(eq(schema.auditEvents.chain, workspaceChain(ws)), eq(schema.auditEvents.type, 'key_widening_confirmed')))
    expect(confirmed[0]).toMatchObject({ actorType: 'user', actorId: actor.id })
    expect(await verifyChain(apiDb.db, workspaceChain(ws))).toMatchObject({ ok: true })
  })
})
