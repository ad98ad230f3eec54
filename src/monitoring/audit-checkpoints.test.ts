import { generateKeyPairSync, sign } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { createLogger } from '../lib/logger.js'
import { checkpointMessage } from '../crypto/checkpoint-format.js'
import { createAlerts } from './alerts.js'
import { createAuditChain } from './audit-chain.js'
import { createAuditCheckpointer, createCheckpointSource, type CheckpointSigner, type SignedCheckpoint } from './audit-checkpoints.js'
import { entryHash } from './audit-hash.js'
import { readChainPage } from './audit-store.js'
import { verifyAllChains, verifyChain } from './audit-verify.js'
import { workspaceChain } from './audit-types.js'

/**
 * The signer's side of R38 as its contract says (src/signer: signCheckpoint / listCheckpoints): an
 * Ed25519 key of its own, checkpoints that only move forward. The real signer is exercised in
 * test/e2e/audit-checkpoints.test.ts; this stand-in lets the tampering matrix run on both databases.
 */
const checkpointStore = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const stored: SignedCheckpoint[] = []
  let failing = false
  const signer: CheckpointSigner = {
    sign: async (cp) => {
      if (failing) throw new AppError('UNAVAILABLE', 'signer unreachable')
      const newest = stored.filter((s) => s.chain === cp.chain).at(-1)
      if (newest && (newest.seq > cp.seq || (newest.seq === cp.seq && newest.head !== cp.head))) throw new AppError('CONFLICT', 'checkpoints only move forward')
      if (newest && newest.seq === cp.seq) return newest
      const signed = { ...cp, signedAt: cp.time, signature: sign(null, checkpointMessage(cp), privateKey).toString('base64'), keyId: 'test-key' }
      stored.push(signed)
      return signed
    },
    list: async ({ chain, afterSeq = -1, limit }) => ({
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      keyId: 'test-key',
      checkpoints: stored.filter((c) => (chain === undefined || c.chain === chain) && c.seq > afterSeq).slice(0, limit),
    }),
  }
  return { signer, stored, fail: (on: boolean) => (failing = on) }
}

/** What an attacker with owner rights on the database can do: switch off the append-only trigger. */
const tamper = async (database: TestDatabase, ...statements: Array<ReturnType<typeof sql>>) => {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`)
    for (const s of statements) await tx.execute(s)
    await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`)
  })
}

describe.each(backends)('signed audit checkpoints on %s (R38)', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-01T00:00:00Z')
  const logger = createLogger({ level: 'silent' })
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  /** A chain of n entries, a signed checkpoint of its head, and the source verify reads them from. */
  const seeded = async (n: number) => {
    const ws = newId()
    const chain = workspaceChain(ws)
    const audit = createAuditChain({ db: database.db, clock })
    for (let i = 0; i < n; i++) {
      clock.advance(1_000)
      await audit.append({ workspaceId: ws, type: 'test_event', actor: { type: 'user', id: `u${i}` }, outcome: 'success', requestId: `r${i}`, details: { i } })
    }
    const store = checkpointStore()
    const checkpointer = createAuditCheckpointer({ db: database.db, clock, signer: store.signer, alerts: createAlerts({ db: database.db, clock }), logger })
    await checkpointer.checkpointAll()
    const source = createCheckpointSource(store.signer)
    const verify = async () => verifyChain(database.db, chain, { checkpoints: await source.forChain(chain) })
    return { ws, chain, audit, store, checkpointer, source, verify }
  }

  it('signs only chains that moved, and a clean chain verifies against its checkpoint', async () => {
    const { ws, chain, audit, store, checkpointer, verify } = await seeded(3)
    const mine = () => store.stored.filter((c) => c.chain === chain)
    expect(mine().map((c) => c.seq)).toEqual([3])
    await checkpointer.checkpointAll()
    expect(mine().map((c) => c.seq)).toEqual([3]) // unchanged head: nothing new to sign
    await audit.append({ workspaceId: ws, type: 'test_event', actor: { type: 'system' }, outcome: 'success' })
    await checkpointer.checkpointAll()
    expect(mine().map((c) => c.seq)).toEqual([3, 4])
    expect(await verify()).toEqual({ chain, ok: true, entries: 4, checkpointsVerified: 2, lastCheckpoint: { seq: 4, time: clock.now().toISOString() } })
  })

  it('raises audit_checkpoint_failed when the signer fails, and signs on the next round', async () => {
    const { ws, chain, audit, store, checkpointer } = await seeded(1)
    await audit.append({ workspaceId: ws, type: 'test_event', actor: { type: 'system' }, outcome: 'success' })
    store.fail(true)
    expect((await checkpointer.checkpointAll()).failed).toBeGreaterThanOrEqual(1)
    const raised = await createAlerts({ db: database.db, clock }).list(null)
    expect(raised.find((a) => a.rule === 'audit_checkpoint_failed' && a.details.chain === chain)).toMatchObject({ severity: 'warning', details: { chain, seq: 2, reason: 'UNAVAILABLE' } })
    store.fail(false)
    await checkpointer.checkpointAll()
    expect(store.stored.filter((c) => c.chain === chain).map((c) => c.seq)).toEqual([1, 2])
  })

  it('reports the first bad seq of a mutated field', async () => {
    const { chain, verify } = await seeded(20)
    await tamper(database, sql`update audit_events set outcome = 'failure' where chain = ${chain} and seq = 7`)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 7, reason: 'hash_mismatch' })
  })

  it('reports the first bad seq of a deleted row', async () => {
    const { chain, verify } = await seeded(20)
    await tamper(database, sql`delete from audit_events where chain = ${chain} and seq = 9`)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 9, reason: 'gap' })
  })

  it('reports the first bad seq of two swapped rows', async () => {
    const { chain, verify } = await seeded(20)
    await tamper(
      database,
      sql`update audit_events set seq = case seq when 5 then -12 when 12 then -5 end where chain = ${chain} and seq in (5, 12)`,
      sql`update audit_events set seq = -seq where chain = ${chain} and seq < 0`,
    )
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'hash_mismatch' })
  })

  it('catches the last 10 rows cut off after a checkpoint, even with the head row rewound to match', async () => {
    const { chain, verify } = await seeded(20)
    const [tenth] = await readChainPage(database.db, chain, 9, 1)
    await tamper(
      database,
      sql`delete from audit_events where chain = ${chain} and seq > 10`,
      sql`update audit_chain_heads set seq = 10, hash = ${tenth?.hash ?? ''} where chain = ${chain}`,
    )
    // Without checkpoints the rewound head row hides the cut; the signed checkpoint at 20 does not.
    expect(await verifyAllChains(database.db, chain)).toEqual([{ chain, ok: true, entries: 10 }])
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 11, reason: 'truncated', entries: 10 })
  })

  it('catches a chain rewritten consistently from a seq on (every hash recomputed)', async () => {
    const { chain, verify } = await seeded(8)
    // The attacker edits entry 6 and re-links 6..8 so every hash and link checks out.
    const entries = await readChainPage(database.db, chain, 0, 100)
    let prevHash = entries[4]?.hash ?? ''
    const statements = [] as Array<ReturnType<typeof sql>>
    for (const e of entries.slice(5)) {
      const edited = { ...e, prevHash, outcome: e.seq === 6 ? ('denied' as const) : e.outcome }
      const { hash: _old, ...unhashed } = edited
      const hash = entryHash(unhashed)
      statements.push(sql`update audit_events set outcome = ${edited.outcome}, prev_hash = ${prevHash}, hash = ${hash} where chain = ${chain} and seq = ${e.seq}`)
      prevHash = hash
    }
    statements.push(sql`update audit_chain_heads set hash = ${prevHash} where chain = ${chain}`)
    await tamper(database, ...statements)
    expect(await verifyAllChains(database.db, chain)).toEqual([{ chain, ok: true, entries: 8 }])
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 1, reason: 'checkpoint_mismatch' })
  })

  it('refuses a checkpoint whose signature does not verify under the pinned key', async () => {
    const { chain, source } = await seeded(4)
    const real = await source.forChain(chain)
    const forged = real.checkpoints.map((c) => ({ ...c, seq: c.seq + 1 }))
    expect(await verifyChain(database.db, chain, { checkpoints: { ...real, checkpoints: forged } })).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'checkpoint_invalid' })
  })

  it('refuses checkpoints from a signer with another key than the pinned one', async () => {
    const { chain, source } = await seeded(2)
    await source.forChain(chain) // pins the key
    const other = checkpointStore()
    const swapped = createCheckpointSource({ list: async (q) => ({ ...(await other.signer.list(q)) }) }, { publicKey: (await source.forChain(chain)).publicKey })
    await expect(swapped.forChain(chain)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
  })
})
