import { sign } from 'node:crypto'
import { and, asc, desc, eq, gt, type SQL } from 'drizzle-orm'
import { AppError, systemErrorCode } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../db/index.js'
import { checkpointMessage, type SignedCheckpoint } from '../crypto/checkpoint-format.js'
import { auditCheckpoints } from '../vault/vault-schema.js'
import type { AuditSigningKey } from './audit-signing-key.js'
import type { SignerAuditEvent, SignerParams } from './signer-types.js'
import type { Ctx } from './signer-service.js'

export type CheckpointsDeps = {
  db: Db
  key: AuditSigningKey
  clock: Clock
  record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void>
  exclusive: <T>(lockKey: string, fn: () => Promise<T>) => Promise<T>
}

type Row = typeof auditCheckpoints.$inferSelect

const view = (r: Row): SignedCheckpoint => ({ chain: r.chain, seq: r.seq, head: r.head, time: r.time, signedAt: r.signedAt.toISOString(), signature: r.signature, keyId: r.keyId })

const isUniqueViolation = (err: unknown) => systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown })?.cause) === '23505'

/**
 * Signed audit checkpoints (SECURITY.md R38), kept in the signer's own store.
 *
 * Invariants:
 * - A chain's checkpoints only move forward. The same seq with the same head returns the stored
 *   checkpoint (a retry); the same seq with another head, or a seq below the newest one stored, is the
 *   api trying to rewrite history: refused (CONFLICT) and written to the signer's own log first
 *   (`audit_checkpoint_conflict`).
 * - The signature covers `checkpointMessage({chain, seq, head, time})` exactly as the api sent them;
 *   `time` is stored verbatim so the bytes can be rebuilt for verification.
 * - One chain's checkpoints are decided one at a time (and the primary key holds across processes).
 */
export const createCheckpoints = ({ db, key, clock, record, exclusive }: CheckpointsDeps) => {
  const publicKey = () => ({ publicKey: key.publicKeyPem, keyId: key.keyId })

  const conflict = async (ctx: Ctx, p: SignerParams<'signCheckpoint'>, reason: 'head_mismatch' | 'seq_behind', stored: Row): Promise<never> => {
    await record(ctx, { type: 'audit_checkpoint_conflict', outcome: 'denied', details: { chain: p.chain, seq: p.seq, head: p.head, storedSeq: stored.seq, storedHead: stored.head, reason } })
    throw new AppError(
      'CONFLICT',
      reason === 'head_mismatch'
        ? `chain "${p.chain}" already has a checkpoint at seq ${p.seq} with another head: checkpoints cannot be rewritten`
        : `chain "${p.chain}" has a checkpoint at seq ${stored.seq}: a checkpoint at ${p.seq} would move it backwards`,
      { reason: 'CHECKPOINT_CONFLICT' },
    )
  }

  const signCheckpoint = (ctx: Ctx, p: SignerParams<'signCheckpoint'>): Promise<SignedCheckpoint> =>
    exclusive(`checkpoint:${p.chain}`, async () => {
      const [same] = await db.select().from(auditCheckpoints).where(and(eq(auditCheckpoints.chain, p.chain), eq(auditCheckpoints.seq, p.seq))).limit(1)
      if (same) return same.head === p.head ? view(same) : conflict(ctx, p, 'head_mismatch', same)
      const [newest] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.chain, p.chain)).orderBy(desc(auditCheckpoints.seq)).limit(1)
      if (newest && newest.seq > p.seq) return conflict(ctx, p, 'seq_behind', newest)
      const signature = sign(null, checkpointMessage({ chain: p.chain, seq: p.seq, head: p.head, time: p.time }), key.privateKey).toString('base64')
      await record(ctx, { type: 'audit_checkpoint_signed', outcome: 'success', details: { chain: p.chain, seq: p.seq, head: p.head, keyId: key.keyId } })
      try {
        const [row] = await db.insert(auditCheckpoints).values({ chain: p.chain, seq: p.seq, head: p.head, time: p.time, signedAt: clock.now(), signature, keyId: key.keyId }).returning()
        return view(row as Row)
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `chain "${p.chain}" got a checkpoint at seq ${p.seq} meanwhile: ask again`, { reason: 'CHECKPOINT_CONFLICT' })
        throw err
      }
    })

  const listCheckpoints = async (p: SignerParams<'listCheckpoints'>) => {
    const where: SQL[] = []
    if (p.chain !== undefined) where.push(eq(auditCheckpoints.chain, p.chain))
    if (p.afterSeq !== undefined) where.push(gt(auditCheckpoints.seq, p.afterSeq))
    const rows = await db
      .select()
      .from(auditCheckpoints)
      .where(where.length > 0 ? and(...where) : undefined)
      .orderBy(asc(auditCheckpoints.chain), asc(auditCheckpoints.seq))
      .limit(p.limit ?? 1000)
    return { ...publicKey(), checkpoints: rows.map(view) }
  }

  return { signCheckpoint, listCheckpoints, auditPublicKey: publicKey }
}
export type Checkpoints = ReturnType<typeof createCheckpoints>
