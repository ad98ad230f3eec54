import { and, asc, desc, eq, gt, lte, sql } from 'drizzle-orm'
import { rowsOf, schema, type DbOrTx } from '../db/index.js'
import type { AuditEntry, AuditActor, AuditOutcome } from './audit-types.js'

const { auditEvents, auditChainHeads, auditArchives } = schema

export type ChainHead = { seq: number; hash: string }

/**
 * Locks the chain's head row for the rest of the transaction, creating it at genesis if needed. One
 * statement: an upsert that "updates" an existing row takes its row lock and returns it.
 */
export const lockChainHead = async (tx: DbOrTx, chain: string, genesisHash: string): Promise<ChainHead> => {
  const [head] = await tx
    .insert(auditChainHeads)
    .values({ chain, seq: 0, hash: genesisHash })
    .onConflictDoUpdate({ target: auditChainHeads.chain, set: { chain: sql`excluded.chain` } })
    .returning({ seq: auditChainHeads.seq, hash: auditChainHeads.hash })
  if (!head) throw new Error(`audit chain head ${chain} vanished`)
  return { seq: Number(head.seq), hash: head.hash }
}

const rowOf = (e: AuditEntry): typeof auditEvents.$inferInsert => ({
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

/** Writes consecutive entries of one chain (one multi-row insert) and moves the head to the last. */
export const insertEntries = async (tx: DbOrTx, entries: readonly AuditEntry[]): Promise<void> => {
  const last = entries.at(-1)
  if (!last) return
  await tx.insert(auditEvents).values(entries.map(rowOf))
  await tx.update(auditChainHeads).set({ seq: last.seq, hash: last.hash }).where(eq(auditChainHeads.chain, last.chain))
}

export const insertEntry = (tx: DbOrTx, e: AuditEntry): Promise<void> => insertEntries(tx, [e])

/** The head row of a chain, created at genesis when missing (no lock: grouped appends compare-and-swap it). */
export const readOrCreateHead = async (db: DbOrTx, chain: string, genesisHash: string): Promise<ChainHead> => {
  await db.insert(auditChainHeads).values({ chain, seq: 0, hash: genesisHash }).onConflictDoNothing()
  const [h] = await db.select().from(auditChainHeads).where(eq(auditChainHeads.chain, chain)).limit(1)
  if (!h) throw new Error(`audit chain head ${chain} vanished`)
  return { seq: Number(h.seq), hash: h.hash }
}

/**
 * Appends consecutive entries of one chain in ONE statement (one round trip, one commit): the head row
 * moves from `expected` to the last entry — a compare-and-swap that takes the head's row lock, as every
 * append does — and the entries are inserted only if it moved. False (nothing written) when the head
 * was no longer `expected`: another writer got there first; re-read the head and link again.
 */
export const appendLinkedIfHead = async (db: DbOrTx, expected: ChainHead, entries: readonly AuditEntry[]): Promise<boolean> => {
  const last = entries.at(-1)
  if (!last) return true
  // One JSON parameter whatever the group size: the statement text never changes (parsed and planned
  // alike each time) and no parameter list grows with the group.
  const rows = JSON.stringify(
    entries.map((e) => ({
      chain: e.chain,
      seq: e.seq,
      prev_hash: e.prevHash,
      hash: e.hash,
      workspace_id: e.workspaceId,
      type: e.type,
      actor_type: e.actor.type,
      actor_id: e.actor.id ?? null,
      occurred_at: e.occurredAt,
      ip: e.ip,
      request_id: e.requestId,
      outcome: e.outcome,
      details: e.details,
    })),
  )
  const result = await db.execute(sql`
    with moved as (
      update audit_chain_heads set seq = ${last.seq}, hash = ${last.hash}
      where chain = ${last.chain} and seq = ${expected.seq} and hash = ${expected.hash}
      returning chain
    )
    insert into audit_events (chain, seq, prev_hash, hash, workspace_id, type, actor_type, actor_id, occurred_at, ip, request_id, outcome, details)
    select r.chain, r.seq, r.prev_hash, r.hash, r.workspace_id, r.type, r.actor_type, r.actor_id, r.occurred_at, r.ip, r.request_id, r.outcome, r.details
    from jsonb_to_recordset(${rows}::jsonb) as r(chain text, seq bigint, prev_hash text, hash text, workspace_id uuid, type text, actor_type text, actor_id text, occurred_at timestamptz, ip text, request_id text, outcome text, details jsonb)
    where exists (select 1 from moved)
    returning seq`)
  return rowsOf(result).length === entries.length
}

type Row = typeof auditEvents.$inferSelect

export const toEntry = (r: Row): AuditEntry => ({
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

/** Entries of one chain in `seq` order after `afterSeq` (up to `toSeq`), a page at a time (verification streams them). */
export const readChainPage = async (db: DbOrTx, chain: string, afterSeq: number, limit: number, toSeq?: number): Promise<AuditEntry[]> =>
  (
    await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.chain, chain), gt(auditEvents.seq, afterSeq), toSeq === undefined ? undefined : lte(auditEvents.seq, toSeq)))
      .orderBy(asc(auditEvents.seq))
      .limit(limit)
  ).map(toEntry)

type RawRow = { seq: string | number; prev_hash: string; hash: string; workspace_id: string | null; type: string; actor_type: string; actor_id: string | null; occurred_at: string; ip: string | null; request_id: string | null; outcome: string; details: string | Record<string, unknown> }

/**
 * `readChainPage` for verification of long chains: the time comes back as the ISO text the hash covers
 * and details as text, so neither driver builds Date objects or parses JSON it is about to redo.
 */
export const readChainPageRaw = async (db: DbOrTx, chain: string, afterSeq: number, limit: number): Promise<AuditEntry[]> => {
  const result = await db.execute(sql`
    select seq, prev_hash, hash, workspace_id, type, actor_type, actor_id,
           to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at,
           ip, request_id, outcome, details::text as details
    from audit_events where chain = ${chain} and seq > ${afterSeq} order by seq limit ${limit}`)
  return rowsOf<RawRow>(result).map((r) => ({
    chain,
    seq: Number(r.seq),
    prevHash: r.prev_hash,
    hash: r.hash,
    workspaceId: r.workspace_id,
    type: r.type,
    actor: (r.actor_id === null ? { type: r.actor_type } : { type: r.actor_type, id: r.actor_id }) as AuditActor,
    occurredAt: r.occurred_at,
    ip: r.ip,
    requestId: r.request_id,
    outcome: r.outcome as AuditOutcome,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }))
}

export const listChains = async (db: DbOrTx): Promise<Array<{ chain: string } & ChainHead>> =>
  (await db.select().from(auditChainHeads).orderBy(asc(auditChainHeads.chain))).map((h) => ({ chain: h.chain, seq: Number(h.seq), hash: h.hash }))

export const chainHead = async (db: DbOrTx, chain: string): Promise<ChainHead | undefined> => {
  const [h] = await db.select().from(auditChainHeads).where(eq(auditChainHeads.chain, chain)).limit(1)
  return h ? { seq: Number(h.seq), hash: h.hash } : undefined
}

export type ArchiveRecord = typeof auditArchives.$inferSelect

/** The archived segments of a chain, oldest first. */
export const listArchives = async (db: DbOrTx, chain: string): Promise<ArchiveRecord[]> =>
  db.select().from(auditArchives).where(eq(auditArchives.chain, chain)).orderBy(asc(auditArchives.fromSeq))

export const lastArchive = async (db: DbOrTx, chain: string): Promise<ArchiveRecord | undefined> =>
  (await db.select().from(auditArchives).where(eq(auditArchives.chain, chain)).orderBy(desc(auditArchives.toSeq)).limit(1))[0]
