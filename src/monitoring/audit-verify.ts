import type { DbOrTx } from '../db/index.js'
import { GENESIS_HASH, type AuditEntry } from './audit-types.js'
import { chainHead, listArchives, listChains, readChainPageRaw, type ArchiveRecord, type ChainHead } from './audit-store.js'
import { publicKeyOf, type ChainCheckpoints, type CheckpointSource } from './audit-checkpoints.js'
import { createRecompute, firstInvalidCheckpoint, type BreakReason } from './audit-recompute.js'

export type ChainVerdict = {
  chain: string
  ok: boolean
  /** Live entries read. */
  entries: number
  /** The first sequence number at which the chain stops being trustworthy. */
  firstBadSeq?: number
  reason?: BreakReason
  /** Entries moved to archive files (retention); the live chain continues from the last one's hash. */
  archivedEntries?: number
  /** With checkpoints: how many signed checkpoints the chain matched, and the newest of them. */
  checkpointsVerified?: number
  lastCheckpoint?: { seq: number; time: string } | null
  /** Checkpoints were asked for but could not be read (the signer was unreachable): only the links were checked. */
  checkpointsUnavailable?: string
}

/** Checks one archive file against its record and the checkpoints (audit-archive.ts supplies it). */
export type ArchiveFileCheck = (record: ArchiveRecord, checkpoints: ChainCheckpoints | undefined) => Promise<{ ok: true } | { ok: false; firstBadSeq: number }>

export type VerifyOptions = {
  /** The head row to hold the chain against (`verifyAllChains` passes it). */
  head?: ChainHead
  /** The chain's signed checkpoints with their public key (pinned from the signer). */
  checkpoints?: ChainCheckpoints
  /** Also read every archive file of the chain and recompute it. */
  checkArchiveFile?: ArchiveFileCheck
}

const PAGE = 5_000

const bad = (chain: string, entries: number, firstBadSeq: number, reason: BreakReason, extra: Partial<ChainVerdict> = {}): ChainVerdict => ({ chain, ok: false, entries, firstBadSeq, reason, ...extra })

/**
 * Recomputes one chain from its entries. A modified entry fails its own hash; a deleted one leaves a gap
 * in `seq`; reordered entries break the `prevHash` links; a truncated tail disagrees with the head row.
 * With signed checkpoints (R38) it also catches what the head row cannot: the entry at each checkpoint's
 * seq must exist with that hash, so cutting rows off — head row included — or rewriting the whole chain
 * is reported (`truncated`, `checkpoint_mismatch`). Archived segments must join up, from genesis to the
 * live chain's first entry, and the signed checkpoint at an archive's end must match it.
 */
export const verifyChain = async (db: DbOrTx, chain: string, opts: VerifyOptions = {}): Promise<ChainVerdict> => {
  const cps = opts.checkpoints
  const withCheckpoints = (extra: Partial<ChainVerdict>): Partial<ChainVerdict> => (cps ? extra : {})
  if (cps && cps.checkpoints.length > 0) {
    const invalid = firstInvalidCheckpoint(cps.checkpoints, publicKeyOf(cps.publicKey))
    if (invalid) return bad(chain, 0, invalid.seq, 'checkpoint_invalid', { checkpointsVerified: 0, lastCheckpoint: null })
  }

  // Archived segments: contiguous from genesis; the live chain starts where the last one ends.
  let start = { seq: 1, prevHash: GENESIS_HASH }
  let archivedEntries = 0
  for (const a of await listArchives(db, chain)) {
    if (a.fromSeq !== start.seq || a.firstPrevHash !== start.prevHash) return bad(chain, 0, start.seq, 'archive_mismatch')
    const atEnd = cps?.checkpoints.find((c) => c.seq === a.toSeq)
    if (atEnd && atEnd.head !== a.lastHash) return bad(chain, 0, a.fromSeq, 'checkpoint_mismatch')
    if (opts.checkArchiveFile) {
      const checked = await opts.checkArchiveFile(a, cps)
      if (!checked.ok) return bad(chain, 0, checked.firstBadSeq, 'archive_mismatch')
    }
    archivedEntries += a.entries
    start = { seq: a.toSeq + 1, prevHash: a.lastHash }
  }
  const archived = archivedEntries > 0 ? { archivedEntries } : {}

  const run = createRecompute(start, cps?.checkpoints ?? [])
  const summary = () => withCheckpoints({ checkpointsVerified: run.checkpointsMatched, lastCheckpoint: run.lastCheckpoint ? { seq: run.lastCheckpoint.seq, time: run.lastCheckpoint.time } : null })
  // With a head row, the walk stops at its seq: entries appended after the head was read belong to the
  // next verification, not to a false head_mismatch (the chain keeps growing while it is verified).
  const upTo = opts.head?.seq ?? Number.POSITIVE_INFINITY
  // The next page is fetched while this one is hashed (PostgreSQL answers meanwhile).
  let next: Promise<AuditEntry[]> | undefined = readChainPageRaw(db, chain, start.seq - 1, PAGE)
  while (next) {
    const page: AuditEntry[] = await next
    const last = page.at(-1)
    next = page.length === PAGE && last && last.seq < upTo ? readChainPageRaw(db, chain, last.seq, PAGE) : undefined
    for (const e of page) {
      if (e.seq > upTo) break
      const broken = run.push(e)
      if (broken) {
        await next?.catch(() => {})
        return bad(chain, run.entries, broken.firstBadSeq, broken.reason, { ...archived, ...summary() })
      }
    }
  }
  const cut = run.finish()
  if (cut) return bad(chain, run.entries, cut.firstBadSeq, cut.reason, { ...archived, ...summary() })
  const head = opts.head
  if (head && (head.seq !== run.lastSeq || head.hash !== run.lastHash)) {
    return bad(chain, run.entries, Math.min(head.seq, run.lastSeq) + 1, 'head_mismatch', { ...archived, ...summary() })
  }
  return { chain, ok: true, entries: run.entries, ...archived, ...summary() }
}

export type VerifyAllOptions = {
  /** Where the signed checkpoints come from (the signer, through the api root). */
  checkpoints?: CheckpointSource
  checkArchiveFile?: ArchiveFileCheck
}

/** Verifies every chain (or one), against its head row and, when given, its signed checkpoints. */
export const verifyAllChains = async (db: DbOrTx, only?: string, opts: VerifyAllOptions = {}): Promise<ChainVerdict[]> => {
  const chains = (await listChains(db)).filter((c) => only === undefined || c.chain === only)
  const verdicts: ChainVerdict[] = []
  for (const c of chains) {
    let checkpoints: ChainCheckpoints | undefined
    let unavailable: string | undefined
    if (opts.checkpoints) {
      try {
        checkpoints = await opts.checkpoints.forChain(c.chain)
      } catch (err) {
        // A pinned key that changed is an integrity failure, not an outage: it must not pass quietly.
        if (err instanceof Error && 'code' in err && err.code === 'INTEGRITY_FAILED') throw err
        unavailable = err instanceof Error ? err.message : 'the signer did not answer'
      }
    }
    // The head is read after the checkpoints: every checkpoint the signer gave was signed over a head this
    // one has reached, so a checkpoint beyond it means rows were cut, never a race with a fresh signature.
    const head = (await chainHead(db, c.chain)) ?? c
    const verdict = await verifyChain(db, c.chain, { head, ...(checkpoints ? { checkpoints } : {}), ...(opts.checkArchiveFile ? { checkArchiveFile: opts.checkArchiveFile } : {}) })
    verdicts.push(unavailable === undefined ? verdict : { ...verdict, checkpointsUnavailable: unavailable })
  }
  return verdicts
}
