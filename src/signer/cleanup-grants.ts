import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../lib/clock.js'

/**
 * Cleanup grants: what a lockdown leaves a workspace's freshly disabled keys able to do for a few
 * minutes, so open orders can be cancelled and positions closed after every key already refuses to trade.
 *
 * Invariants:
 * - A grant is a random 256-bit bearer value made here, held only in this process's memory (as its
 *   SHA-256; a restart forgets every grant, which only ends cleanups early) and bound to one workspace,
 *   the keys it disabled, and an expiry no more than 10 minutes away.
 * - It lets a disabled key run only the methods below: reading open orders and positions, cancelling,
 *   and a reduce-only market order on a contract market (the one order that can only shrink exposure).
 *   Every other call on a disabled key is refused as if there were no grant. The key's own limits
 *   (symbols, notional, rate) still apply to that order.
 */
export const cleanupMethods: readonly string[] = ['fetchOpenOrders', 'cancelOrder', 'cancelAllOrders', 'fetchPositions']

export const MAX_CLEANUP_MS = 600_000

type Grant = { workspaceId: string; keyIds: ReadonlySet<string>; untilMs: number }

const digest = (grant: string) => createHash('sha256').update(grant).digest('hex')

/** Whether a call is one a cleanup grant may make; `args` are the validated venue arguments. */
export const isCleanupCall = (method: string, args: Record<string, unknown>): boolean => {
  if (cleanupMethods.includes(method)) return true
  if (method !== 'createOrder') return false
  // A unified contract symbol names its settle currency (BTC/USDT:USDT): reduce-only means nothing on spot,
  // where a venue could ignore the flag and open exposure.
  return args.type === 'market' && args.reduceOnly === true && typeof args.symbol === 'string' && args.symbol.includes(':')
}

export const createCleanupGrants = ({ clock }: { clock: Clock }) => {
  const grants = new Map<string, Grant>()

  const sweep = (nowMs: number) => {
    for (const [id, g] of grants) if (g.untilMs <= nowMs) grants.delete(id)
  }

  /** A new grant for these keys of one workspace, valid until `until` (at most 10 minutes from now). */
  const mint = (workspaceId: string, keyIds: Iterable<string>, until: Date): { grant: string; until: Date } => {
    const nowMs = clock.now().getTime()
    sweep(nowMs)
    const grant = randomBytes(32).toString('base64url')
    const untilMs = Math.min(until.getTime(), nowMs + MAX_CLEANUP_MS)
    grants.set(digest(grant), { workspaceId, keyIds: new Set(keyIds), untilMs })
    return { grant, until: new Date(untilMs) }
  }

  /** True only for a live grant of this workspace that covers this key and a cleanup call. */
  const allows = (grant: string, workspaceId: string, keyId: string, method: string, args: Record<string, unknown>): boolean => {
    const g = grants.get(digest(grant))
    if (!g) return false
    if (g.untilMs <= clock.now().getTime()) {
      grants.delete(digest(grant))
      return false
    }
    return g.workspaceId === workspaceId && g.keyIds.has(keyId) && isCleanupCall(method, args)
  }

  return { mint, allows }
}
export type CleanupGrants = ReturnType<typeof createCleanupGrants>
