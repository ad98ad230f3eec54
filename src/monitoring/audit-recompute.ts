import type { KeyObject } from 'node:crypto'
import { entryHash } from './audit-hash.js'
import { checkpointSignatureValid, type SignedCheckpoint } from './audit-checkpoints.js'
import type { AuditEntry } from './audit-types.js'

export type BreakReason =
  | 'gap'
  | 'hash_mismatch'
  | 'link_mismatch'
  | 'head_mismatch'
  /** A signed checkpoint names a seq the chain no longer reaches: rows were cut off (with or without the head row). */
  | 'truncated'
  /** The entry at a signed checkpoint's seq has another hash: the chain up to it was rewritten. */
  | 'checkpoint_mismatch'
  /** A checkpoint whose signature does not verify under the pinned key. */
  | 'checkpoint_invalid'
  /** Archived segments that do not join up, or an archive file that disagrees with its record. */
  | 'archive_mismatch'

export type ChainBreak = { firstBadSeq: number; reason: BreakReason }

/** The first checkpoint (lowest seq) whose signature does not verify, if any. */
export const firstInvalidCheckpoint = (checkpoints: readonly SignedCheckpoint[], publicKey: KeyObject): SignedCheckpoint | undefined =>
  [...checkpoints].sort((a, b) => a.seq - b.seq).find((cp) => !checkpointSignatureValid(cp, publicKey))

/**
 * Recomputes a run of entries of one chain from an anchor (`prevHash` of the first and the seq it must
 * have), and holds them against signed checkpoints (already signature-checked, any order). Feed entries
 * in seq order with `push`; `finish` reports checkpoints the entries never reached. The same code checks
 * the live chain, archive files and offline exports.
 */
export const createRecompute = (start: { seq: number; prevHash: string }, checkpoints: readonly SignedCheckpoint[] = []) => {
  const pending = checkpoints.filter((c) => c.seq >= start.seq).sort((a, b) => a.seq - b.seq)
  let expectedSeq = start.seq
  let prevHash = start.prevHash
  let entries = 0
  let matched = 0
  let lastCheckpoint: SignedCheckpoint | undefined
  // Where a rewrite may have begun: right after the last checkpoint that still matched.
  let trustedUpTo = start.seq - 1

  const push = (e: AuditEntry): ChainBreak | undefined => {
    entries++
    if (e.seq !== expectedSeq) return { firstBadSeq: expectedSeq, reason: 'gap' }
    const { hash, ...unhashed } = e
    if (entryHash(unhashed) !== hash) return { firstBadSeq: e.seq, reason: 'hash_mismatch' }
    if (e.prevHash !== prevHash) return { firstBadSeq: e.seq, reason: 'link_mismatch' }
    while (pending[0] && pending[0].seq <= e.seq) {
      const cp = pending.shift() as SignedCheckpoint
      if (cp.seq === e.seq && cp.head !== hash) return { firstBadSeq: trustedUpTo + 1, reason: 'checkpoint_mismatch' }
      matched++
      lastCheckpoint = cp
      trustedUpTo = cp.seq
    }
    prevHash = hash
    expectedSeq++
    return undefined
  }

  /** After the last entry: a checkpoint beyond it means the chain was cut short. */
  const finish = (): ChainBreak | undefined => (pending.length > 0 ? { firstBadSeq: expectedSeq, reason: 'truncated' } : undefined)

  return {
    push,
    finish,
    get entries() {
      return entries
    },
    get lastSeq() {
      return expectedSeq - 1
    },
    get lastHash() {
      return prevHash
    },
    get checkpointsMatched() {
      return matched
    },
    get lastCheckpoint() {
      return lastCheckpoint
    },
  }
}
