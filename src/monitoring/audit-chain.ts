import { AppError } from '../lib/errors.js'
import { findSecretFields } from '../lib/redact.js'
import type { Clock } from '../lib/clock.js'
import type { Db, DbOrTx } from '../db/index.js'
import { auditEventType, GENESIS_HASH, SYSTEM_CHAIN, workspaceChain, type AuditEntry, type AuditEventInput } from './audit-types.js'
import { entryHash } from './audit-hash.js'
import { insertEntry, lockChainHead } from './audit-store.js'

export type AuditDeps = { db: Db; clock: Clock }

/** Validates an event before anything is written: bad input never reaches the chain. */
const checkEvent = (event: AuditEventInput) => {
  if (!auditEventType.safeParse(event.type).success) throw new AppError('BAD_INPUT', `audit event type "${event.type}" must be lowercase snake case`)
  const secrets = findSecretFields(event.details ?? {})
  if (secrets.length > 0) {
    // Secrets never enter the audit log; HMAC secret-derived identifiers before recording them.
    throw new AppError('INTERNAL', `audit details may not carry secret fields (${secrets.join(', ')})`)
  }
}

/**
 * The append-only audit chains. Appends to one chain are serialized by a row lock on the chain head, so
 * concurrent writers (connections or api instances) always produce a gap-free, correctly linked chain.
 */
export const createAuditChain = ({ db, clock }: AuditDeps) => {
  /** Appends inside the caller's transaction, so the event commits or rolls back with the change it records. */
  const appendIn = async (tx: DbOrTx, event: AuditEventInput): Promise<AuditEntry> => {
    checkEvent(event)
    const chain = event.workspaceId === null ? SYSTEM_CHAIN : workspaceChain(event.workspaceId)
    const head = await lockChainHead(tx, chain, GENESIS_HASH)
    const unhashed = {
      chain,
      seq: head.seq + 1,
      prevHash: head.hash,
      workspaceId: event.workspaceId,
      type: event.type,
      actor: event.actor.id === undefined ? { type: event.actor.type } : { type: event.actor.type, id: event.actor.id },
      // Millisecond precision, as stored: the hash must be recomputable from what the database returns.
      occurredAt: new Date(clock.now().getTime()).toISOString(),
      ip: event.ip ?? null,
      requestId: event.requestId ?? null,
      outcome: event.outcome,
      details: JSON.parse(JSON.stringify(event.details ?? {})) as Record<string, unknown>,
    }
    const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) }
    await insertEntry(tx, entry)
    return entry
  }

  /** Appends in a transaction of its own. */
  const append = (event: AuditEventInput): Promise<AuditEntry> => db.transaction((tx) => appendIn(tx, event))

  return { append, appendIn }
}

export type AuditChain = ReturnType<typeof createAuditChain>
