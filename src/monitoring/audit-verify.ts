import type { DbOrTx } from '../db/index.js'
import { GENESIS_HASH } from './audit-types.js'
import { entryHash } from './audit-hash.js'
import { listChains, readChainPage } from './audit-store.js'

export type ChainVerdict = {
  chain: string
  ok: boolean
  entries: number
  /** The first sequence number at which the chain stops being trustworthy. */
  firstBadSeq?: number
  reason?: 'gap' | 'hash_mismatch' | 'link_mismatch' | 'head_mismatch'
}

const PAGE = 5_000

/**
 * Recomputes one chain from its entries. A modified entry fails its own hash; a deleted one leaves a gap
 * in `seq`; reordered entries break the `prevHash` links; a truncated tail disagrees with the head row
 * (signed checkpoints in the signer's store, added with monitoring, catch truncation of both).
 */
export const verifyChain = async (db: DbOrTx, chain: string, head?: { seq: number; hash: string }): Promise<ChainVerdict> => {
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  let entries = 0
  for (;;) {
    const page = await readChainPage(db, chain, expectedSeq - 1, PAGE)
    for (const e of page) {
      entries++
      if (e.seq !== expectedSeq) return { chain, ok: false, entries, firstBadSeq: expectedSeq, reason: 'gap' }
      const { hash, ...unhashed } = e
      if (entryHash(unhashed) !== hash) return { chain, ok: false, entries, firstBadSeq: e.seq, reason: 'hash_mismatch' }
      if (e.prevHash !== prevHash) return { chain, ok: false, entries, firstBadSeq: e.seq, reason: 'link_mismatch' }
      prevHash = hash
      expectedSeq++
    }
    if (page.length < PAGE) break
  }
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prevHash)) {
    return { chain, ok: false, entries, firstBadSeq: Math.min(head.seq, expectedSeq - 1) + 1, reason: 'head_mismatch' }
  }
  return { chain, ok: true, entries }
}

/** Verifies every chain (or one), against its head row. */
export const verifyAllChains = async (db: DbOrTx, only?: string): Promise<ChainVerdict[]> => {
  const chains = (await listChains(db)).filter((c) => only === undefined || c.chain === only)
  const verdicts: ChainVerdict[] = []
  for (const c of chains) verdicts.push(await verifyChain(db, c.chain, c))
  return verdicts
}
