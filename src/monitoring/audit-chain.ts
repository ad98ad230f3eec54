import { AppError } from '../lib/errors.js'
import { findSecretFields } from '../lib/redact.js'
import type { Clock } from '../lib/clock.js'
import type { Db, DbOrTx } from '../db/index.js'
import { auditEventType, GENESIS_HASH, SYSTEM_CHAIN, workspaceChain, type AuditEntry, type AuditEventInput } from './audit-types.js'
import { entryHash } from './audit-hash.js'
import { appendLinkedIfHead, insertEntries, lockChainHead, readOrCreateHead, type ChainHead } from './audit-store.js'

export type AuditDeps = {
  db: Db
  clock: Clock
  /** Most appends written in one grouped transaction (bounded by the statement's parameter count). */
  maxGroup?: number
}

/** Validates an event before anything is written: bad input never reaches the chain. */
const checkEvent = (event: AuditEventInput) => {
  if (!auditEventType.safeParse(event.type).success) throw new AppError('BAD_INPUT', `audit event type "${event.type}" must be lowercase snake case`)
  const secrets = findSecretFields(event.details ?? {})
  if (secrets.length > 0) {
    // Secrets never enter the audit log; HMAC secret-derived identifiers before recording them.
    throw new AppError('INTERNAL', `audit details may not carry secret fields (${secrets.join(', ')})`)
  }
}

export const chainOf = (event: Pick<AuditEventInput, 'workspaceId'>) => (event.workspaceId === null ? SYSTEM_CHAIN : workspaceChain(event.workspaceId))

/** Links events after `head`, in order; `at` is the time they are written (millisecond precision, as stored). */
const link = (chain: string, head: { seq: number; hash: string }, events: readonly AuditEventInput[], at: Date): AuditEntry[] => {
  // Millisecond precision, as stored: the hash must be recomputable from what the database returns.
  const occurredAt = new Date(at.getTime()).toISOString()
  let { seq, hash } = head
  return events.map((event) => {
    const unhashed = {
      chain,
      seq: ++seq,
      prevHash: hash,
      workspaceId: event.workspaceId,
      type: event.type,
      actor: event.actor.id === undefined ? { type: event.actor.type } : { type: event.actor.type, id: event.actor.id },
      occurredAt,
      ip: event.ip ?? null,
      requestId: event.requestId ?? null,
      outcome: event.outcome,
      details: JSON.parse(JSON.stringify(event.details ?? {})) as Record<string, unknown>,
    }
    hash = entryHash(unhashed)
    return { ...unhashed, hash }
  })
}

type Waiting = { event: AuditEventInput; resolve: (e: AuditEntry) => void; reject: (err: unknown) => void }

/**
 * The append-only audit chains. Appends to one chain are serialized by a row lock on the chain head, so
 * concurrent writers (connections or api instances) always produce a gap-free, correctly linked chain.
 *
 * `append` is grouped: while one write to a chain is in flight, the appends that arrive for that chain
 * wait in a per-process queue and are then written together — one statement that moves the head by
 * compare-and-swap (under its row lock) and inserts every entry, one commit. Each caller's promise
 * resolves only once its entry is committed. `appendIn` stays per transaction: it commits with the
 * caller's change.
 */
export const createAuditChain = ({ db, clock, maxGroup = 500 }: AuditDeps) => {
  /** Appends inside the caller's transaction, so the event commits or rolls back with the change it records. */
  const appendIn = async (tx: DbOrTx, event: AuditEventInput): Promise<AuditEntry> => {
    checkEvent(event)
    const chain = chainOf(event)
    const head = await lockChainHead(tx, chain, GENESIS_HASH)
    const [entry] = link(chain, head, [event], clock.now())
    if (!entry) throw new Error('unreachable: one event links to one entry')
    await insertEntries(tx, [entry])
    return entry
  }

  const queues = new Map<string, Waiting[]>()
  /** The head this process last wrote or read per chain: a guess, checked by the compare-and-swap. */
  const knownHeads = new Map<string, ChainHead>()

  /** Writes one group: link after the known head, swap it in; if another writer moved it, re-read and relink. */
  const writeGroup = async (chain: string, events: readonly AuditEventInput[]): Promise<AuditEntry[]> => {
    let head = knownHeads.get(chain) ?? (await readOrCreateHead(db, chain, GENESIS_HASH))
    for (;;) {
      const linked = link(chain, head, events, clock.now())
      if (await appendLinkedIfHead(db, head, linked)) {
        const last = linked.at(-1)
        if (last) knownHeads.set(chain, { seq: last.seq, hash: last.hash })
        return linked
      }
      head = await readOrCreateHead(db, chain, GENESIS_HASH)
    }
  }

  /** Drains one chain's queue, a group per statement, until nobody is waiting. */
  const drain = async (chain: string, queue: Waiting[]) => {
    for (;;) {
      // Let the callers whose previous append just resolved queue their next one first, so a group
      // gathers every writer rather than alternating between one and the rest.
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (queue.length === 0) break
      const group = queue.splice(0, maxGroup)
      try {
        const entries = await writeGroup(
          chain,
          group.map((w) => w.event),
        )
        group.forEach((w, i) => w.resolve(entries[i] as AuditEntry))
      } catch (err) {
        // Nothing of the group was written (one statement): every caller learns it.
        knownHeads.delete(chain)
        for (const w of group) w.reject(err)
      }
    }
    queues.delete(chain)
  }

  /** Appends in a transaction of its own (grouped with the other appends waiting for the same chain). */
  const append = (event: AuditEventInput): Promise<AuditEntry> => {
    try {
      checkEvent(event)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    const chain = chainOf(event)
    return new Promise<AuditEntry>((resolve, reject) => {
      const waiting = queues.get(chain)
      if (waiting) return void waiting.push({ event, resolve, reject })
      const queue: Waiting[] = [{ event, resolve, reject }]
      queues.set(chain, queue)
      void drain(chain, queue)
    })
  }

  return { append, appendIn }
}

export type AuditChain = ReturnType<typeof createAuditChain>
