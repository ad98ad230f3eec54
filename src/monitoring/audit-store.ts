import { and, asc, eq, gt } from 'drizzle-orm'
import { schema, type DbOrTx } from '../db/index.js'
import type { AuditEntry, AuditActor, AuditOutcome } from './audit-types.js'

const { auditEvents, auditChainHeads } = schema

export type ChainHead = { seq: number; hash: string }

/** Locks the chain's head row for the rest of the transaction, creating it at genesis if needed. */
export const lockChainHead = async (tx: DbOrTx, chain: string, genesisHash: string): Promise<ChainHead> => {
  await tx.insert(auditChainHeads).values({ chain, seq: 0, hash: genesisHash }).onConflictDoNothing()
  const [head] = await tx.select().from(auditChainHeads).where(eq(auditChainHeads.chain, chain)).for('update')
  if (!head) throw new Error(`audit chain head ${chain} vanished`)
  return { seq: Number(head.seq), hash: head.hash }
}

export const insertEntry = async (tx: DbOrTx, e: AuditEntry): Promise<void> => {
  await tx.insert(auditEvents).values({
    chain: e.chain,
    seq: e.seq,
    prevHash: e.prevHash,
    hash: e.hash,
    workspaceId: e.workspaceId,
    type: e.type,
    actorType: e.actor.type,
    actorId: e.actor.id ?? null,
    occurredAt: new Date(e.occurredAt),
    ip: e.ip,
    requestId: e.requestId,
    outcome: e.outcome,
    details: e.details,
  })
  await tx.update(auditChainHeads).set({ seq: e.seq, hash: e.hash }).where(eq(auditChainHeads.chain, e.chain))
}

type Row = typeof auditEvents.$inferSelect

const toEntry = (r: Row): AuditEntry => ({
  chain: r.chain,
  seq: Number(r.seq),
  prevHash: r.prevHash,
  hash: r.hash,
  workspaceId: r.workspaceId,
  type: r.type,
  actor: (r.actorId === null ? { type: r.actorType } : { type: r.actorType, id: r.actorId }) as AuditActor,
  occurredAt: r.occurredAt.toISOString(),
  ip: r.ip,
  requestId: r.requestId,
  outcome: r.outcome as AuditOutcome,
  details: r.details as Record<string, unknown>,
})

/** Entries of one chain in `seq` order after `afterSeq`, a page at a time (verification streams them). */
export const readChainPage = async (db: DbOrTx, chain: string, afterSeq: number, limit: number): Promise<AuditEntry[]> =>
  (await db.select().from(auditEvents).where(and(eq(auditEvents.chain, chain), gt(auditEvents.seq, afterSeq))).orderBy(asc(auditEvents.seq)).limit(limit)).map(toEntry)

export const listChains = async (db: DbOrTx): Promise<Array<{ chain: string } & ChainHead>> =>
  (await db.select().from(auditChainHeads).orderBy(asc(auditChainHeads.chain))).map((h) => ({ chain: h.chain, seq: Number(h.seq), hash: h.hash }))
