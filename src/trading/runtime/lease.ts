import type { Clock } from '../../lib/clock.js'
import type { BotRow, BotStore } from './bot-store.js'

/**
 * The leases this runtime holds, as it knows them: bot id → when the lease runs out (clock ms).
 *
 * Invariant: this runtime delivers an event to a bot only while `isHeld` says its lease is current, and
 * gives the bot up the moment a renewal fails — before the lease can expire and another runtime take
 * it. The database's compare-and-swap is the second guard: even a runtime that missed all of this (a
 * long pause of the event loop) cannot write a bot whose lease moved on.
 */
export const createLeaseKeeper = ({ store, clock, owner, leaseMs }: { store: Pick<BotStore, 'claim' | 'claimOne' | 'renew' | 'release'>; clock: Clock; owner: string; leaseMs: number }) => {
  const held = new Map<string, number>()
  const now = () => clock.now()

  const note = (rows: BotRow[]) => {
    for (const r of rows) held.set(r.id, r.leaseExpiresAt?.getTime() ?? 0)
    return rows
  }

  /** Free running bots, at most `limit`; rows of bots already held here are never returned. */
  const claim = async (limit: number): Promise<BotRow[]> => note(await store.claim({ owner, now: now(), leaseMs, limit }))

  const claimOne = async (id: string): Promise<BotRow | null> => {
    const row = await store.claimOne({ id, owner, now: now(), leaseMs })
    if (row !== null) note([row])
    return row
  }

  /** Records a lease taken by another statement (starting a bot takes it with the status change). */
  const adopt = (row: BotRow) => void note([row])

  /**
   * Extends every lease held; returns the ids lost. A renewal that fails outright (database
   * unreachable) loses them all: we cannot prove we still hold them.
   */
  const renew = async (): Promise<string[]> => {
    const ids = [...held.keys()]
    if (ids.length === 0) return []
    const at = now()
    let renewed: Set<string>
    try {
      renewed = await store.renew({ owner, ids, now: at, leaseMs })
    } catch {
      renewed = new Set()
    }
    const lost: string[] = []
    for (const id of ids) {
      if (!held.has(id)) continue // given up while the renewal ran
      if (renewed.has(id)) held.set(id, at.getTime() + leaseMs)
      else {
        held.delete(id)
        lost.push(id)
      }
    }
    return lost
  }

  const isHeld = (id: string): boolean => (held.get(id) ?? 0) > now().getTime()

  /** Stops counting a bot as held (its lease was released in the same statement that ended it, or is lost). */
  const forget = (id: string) => void held.delete(id)

  /** Gives leases back so another runtime can take the bots at once instead of waiting for expiry. */
  const release = async (ids?: readonly string[]): Promise<void> => {
    for (const id of ids ?? [...held.keys()]) held.delete(id)
    await store.release(ids === undefined ? { owner } : { owner, ids })
  }

  return { claim, claimOne, adopt, renew, isHeld, forget, release, heldIds: () => [...held.keys()], count: () => held.size }
}
export type LeaseKeeper = ReturnType<typeof createLeaseKeeper>
