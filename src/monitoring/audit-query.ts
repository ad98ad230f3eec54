import { createHash } from 'node:crypto'
import { and, count, desc, eq, gte, ilike, inArray, lt, max, or, sql } from 'drizzle-orm'
import { canonicalJson } from '../crypto/canonical-json.js'
import type { Clock } from '../lib/clock.js'
import { schema, type DbOrTx } from '../db/index.js'
import { toEntry } from './audit-store.js'
import { auditOutcomes, SYSTEM_CHAIN, workspaceChain, type AuditActor, type AuditEntry, type AuditOutcome } from './audit-types.js'

const { auditEvents, users } = schema

export type AuditFilter = {
  type?: string | undefined
  /** An actor id (a user id, `bot-runtime`, …). */
  actor?: string | undefined
  /** A member's user id: the entries that person did (signed in or through their API tokens). */
  member?: string | undefined
  outcome?: AuditOutcome | undefined
  /** Free text, matched in the event type and the details' JSON text (case-insensitive). */
  q?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
}

export type AuditPage = { entries: AuditEntry[]; nextCursor: string | null }

/** `%`, `_` and `\` are literal in a search: the user types text, not a LIKE pattern. */
const likeLiteral = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

type PageRequest = { cursor?: number | undefined; limit: number }

/**
 * One page of a chain, newest first: filter, free-text search, keyset paging on `seq` (the cursor is
 * the last seq seen, so paging is stable while new entries arrive at the top).
 */
const queryChain = async (db: DbOrTx, chain: string, filter: AuditFilter, page: PageRequest): Promise<AuditPage> => {
  const conditions = [
    eq(auditEvents.chain, chain),
    filter.type === undefined ? undefined : eq(auditEvents.type, filter.type),
    filter.actor === undefined ? undefined : eq(auditEvents.actorId, filter.actor),
    filter.member === undefined ? undefined : and(eq(auditEvents.actorType, 'user'), eq(auditEvents.actorId, filter.member)),
    filter.outcome === undefined ? undefined : eq(auditEvents.outcome, filter.outcome),
    filter.from === undefined ? undefined : gte(auditEvents.occurredAt, filter.from),
    filter.to === undefined ? undefined : lt(auditEvents.occurredAt, filter.to),
    filter.q === undefined ? undefined : or(ilike(auditEvents.type, likeLiteral(filter.q)), sql`${auditEvents.details}::text ilike ${likeLiteral(filter.q)}`),
    page.cursor === undefined ? undefined : lt(auditEvents.seq, page.cursor),
  ]
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.seq))
    .limit(page.limit + 1)
  const entries = rows.slice(0, page.limit).map(toEntry)
  return { entries, nextCursor: rows.length > page.limit ? String(entries.at(-1)?.seq) : null }
}

/** One page of a workspace's chain (what its members see on the Audit page). */
export const queryAudit = (db: DbOrTx, workspaceId: string, filter: AuditFilter, page: PageRequest): Promise<AuditPage> => queryChain(db, workspaceChain(workspaceId), filter, page)

/**
 * One page of a person's own account events: the system chain's entries this user did (sign-up, email
 * verified, sign-ins, factors, password, sessions). Only their own: the actor is fixed, whatever the filter says.
 */
export const queryAccountAudit = (db: DbOrTx, userId: string, filter: Omit<AuditFilter, 'actor' | 'member'>, page: PageRequest): Promise<AuditPage> =>
  queryChain(db, SYSTEM_CHAIN, { ...filter, actor: userId, member: undefined }, page)

/** Someone who appears as the actor of entries in a workspace's chain (a member now, or a former one). */
export type AuditMember = {
  userId: string
  /** Null when the account no longer exists. */
  email: string | null
  displayName: string | null
  entries: number
  lastAt: Date
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** More distinct people than any workspace has; the list is for a filter menu. */
const MAX_MEMBERS = 500

/**
 * The people who did something recorded in a workspace's chain, most recently active first: who the
 * Audit page's member filter offers. `only` narrows it to one user (someone who may see only their own
 * entries learns nothing about anyone else, not even that others appear).
 */
export const auditMembers = async (db: DbOrTx, workspaceId: string, only?: string): Promise<AuditMember[]> => {
  const lastAt = max(auditEvents.occurredAt)
  const actors = await db
    .select({ userId: auditEvents.actorId, entries: count(), lastAt })
    .from(auditEvents)
    .where(and(eq(auditEvents.chain, workspaceChain(workspaceId)), eq(auditEvents.actorType, 'user'), only === undefined ? undefined : eq(auditEvents.actorId, only)))
    .groupBy(auditEvents.actorId)
    .orderBy(desc(lastAt))
    .limit(MAX_MEMBERS)
  const ids = actors.flatMap((a) => (a.userId !== null && UUID.test(a.userId) ? [a.userId] : []))
  const people = ids.length === 0 ? [] : await db.select({ id: users.id, email: users.email, displayName: users.displayName }).from(users).where(inArray(users.id, ids))
  const byId = new Map(people.map((p) => [p.id, p]))
  return actors.flatMap((a) => {
    if (a.userId === null || a.lastAt === null) return []
    const person = byId.get(a.userId)
    return [{ userId: a.userId, email: person?.email ?? null, displayName: person?.displayName ?? null, entries: Number(a.entries), lastAt: new Date(a.lastAt) }]
  })
}

/** The filter as recorded in `audit_log_read` (dates as ISO strings, absent fields left out). */
export const describeFilter = (filter: AuditFilter): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : String(v)
  return out
}

export type AuditReadThrottle = ReturnType<typeof createAuditReadThrottle>

/**
 * R40: reading the audit log is itself audited, but paging through one filter must not flood the
 * chain. One `audit_log_read` per member, workspace and filter per window (a minute); per process,
 * in memory — several api instances may each record one, which errs on the side of more records.
 */
export const createAuditReadThrottle = ({ clock, windowMs = 60_000, maxKeys = 10_000 }: { clock: Clock; windowMs?: number; maxKeys?: number }) => {
  const lastRecorded = new Map<string, number>()
  /** Whether this read should be recorded now (and remembers that it was). */
  const shouldRecord = (actorKey: string, workspaceId: string, filter: Record<string, string>): boolean => {
    const now = clock.now().getTime()
    const key = createHash('sha256').update(canonicalJson({ actorKey, workspaceId, filter })).digest('base64url')
    const last = lastRecorded.get(key)
    if (last !== undefined && now - last < windowMs) return false
    if (lastRecorded.size >= maxKeys) {
      for (const [k, at] of lastRecorded) if (now - at >= windowMs) lastRecorded.delete(k)
      // Still full: forget the oldest (at worst, one more record than needed).
      if (lastRecorded.size >= maxKeys) lastRecorded.delete(lastRecorded.keys().next().value as string)
    }
    lastRecorded.delete(key)
    lastRecorded.set(key, now)
    return true
  }
  return { shouldRecord }
}

export { auditOutcomes, type AuditActor }
