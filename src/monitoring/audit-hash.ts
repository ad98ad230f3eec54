import { createHash } from 'node:crypto'
import { canonicalJson } from '../crypto/canonical-json.js'
import type { AuditEntry } from './audit-types.js'

/** What the hash covers: every field but the hash itself, in canonical JSON. */
export const hashedPart = (e: Omit<AuditEntry, 'hash'>) => ({
  chain: e.chain,
  seq: e.seq,
  prevHash: e.prevHash,
  workspaceId: e.workspaceId,
  type: e.type,
  actor: e.actor,
  occurredAt: e.occurredAt,
  ip: e.ip,
  requestId: e.requestId,
  outcome: e.outcome,
  details: e.details,
})

/** hash = SHA-256(prevHash ‖ canonical JSON of the entry), hex. */
export const entryHash = (e: Omit<AuditEntry, 'hash'>): string =>
  createHash('sha256').update(e.prevHash).update(canonicalJson(hashedPart(e))).digest('hex')
