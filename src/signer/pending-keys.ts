import { randomUUID } from 'node:crypto'
import { and, eq, lte } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { canonicalJson } from '../crypto/index.js'
import type { Db } from '../db/index.js'
import type { Vault, VaultKey } from '../vault/index.js'
import { vaultKeys } from '../vault/vault-schema.js'
import type { Executor } from './executor.js'
import { keyViewOf } from './key-view.js'
import { keyLimits, type KeyView, type SignerAuditEvent, type SignerParams } from './signer-types.js'
import type { Ctx } from './signer-service.js'
import { verifyKeyAtExchange, type Verification } from './verification.js'

/**
 * Keys waiting for a second person's approval (four-eyes, R42): `pending_approval`.
 *
 * Invariants:
 * - A pending key never executes (`execute` wants `active`), is never enabled through a user-driven
 *   widening (confirmations.ts `wideningEnableableStates`), and is not disabled, re-verified or turned
 *   into anything else on the api's word — only `approvePending` (re-verified at the exchange first) makes
 *   it usable, once, by a conditional state change; the operator socket's `enable` still may. A lockdown
 *   destroys it (a disabled key could be re-enabled by one person).
 * - It does not outlive the approval: rejected, cancelled or expired in the api, the api asks
 *   `discardPending` and every share is deleted. Whatever the api says or forgets, the signer destroys a
 *   pending key itself once it is older than `PENDING_KEY_TTL_MS` (the api's 24 h plus a grace hour) on
 *   the signer's own clock: on a timer (`start`) and before the reads that could show it (listKeys,
 *   status), written to the signer's log first (`key_pending_expired`).
 */

/** The api's approval window (24 h, teams' APPROVAL_TTL_MS) plus a grace hour for clock differences. */
export const PENDING_KEY_TTL_MS = 25 * 3_600_000
/** How often the timer sweeps (`start`). */
export const PENDING_KEY_SWEEP_EVERY_MS = 5 * 60_000

export type PendingKeysDeps = {
  db: Db
  vault: Pick<Vault, 'getKey' | 'destroy' | 'withSecret' | 'setVerification' | 'updateLimits' | 'setState'>
  executor: Executor
  clock: Clock
  record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void>
  exclusive: <T>(lockKey: string, fn: () => Promise<T>) => Promise<T>
  /** Voids the key's pending widenings, all or of some kinds (confirmations.ts). */
  supersedeForKey: (ctx: Ctx, keyId: string, reason: string, kinds?: ReadonlyArray<'limits' | 'enable' | 'trust_passkey'>) => Promise<void>
  /** The workspace policy's check (signer-service.ts): refuses, audited, unless the exchange reports the key as IP-restricted. */
  assertIpRestricted: (ctx: Ctx, exchange: string, verification: Verification, details: Record<string, unknown>) => Promise<void>
  ttlMs?: number
  /** Told when a timer sweep fails (the signer's logger); the next sweep tries again. */
  onSweepError?: (err: unknown) => void
}

export type PendingDiscardReason = 'rejected' | 'expired' | 'cancelled' | 'failed' | 'locked_down'

export const createPendingKeys = ({ db, vault, executor, clock, record, exclusive, supersedeForKey, assertIpRestricted, ttlMs = PENDING_KEY_TTL_MS, onSweepError }: PendingKeysDeps) => {
  const isExpired = (key: Pick<VaultKey, 'createdAt'>, now = clock.now()) => key.createdAt.getTime() + ttlMs <= now.getTime()
  const expiresAt = (key: Pick<VaultKey, 'createdAt'>) => new Date(key.createdAt.getTime() + ttlMs).toISOString()

  /**
   * Destroys a pending key (all shares, every store) after writing `type` to the signer's log. Call under
   * the key's lock. Only a key still `pending_approval`: a key that became active meanwhile is left alone.
   */
  const destroyPending = async (ctx: Ctx, key: VaultKey, type: 'key_pending_discarded' | 'key_pending_expired', reason: PendingDiscardReason) => {
    await record(ctx, { type, outcome: 'success', details: { keyId: key.keyId, exchange: key.exchange, reason, createdAt: key.createdAt.toISOString() } })
    await vault.destroy(key.keyId, ctx.workspaceId, { onlyIf: 'pending_approval' })
    executor.forget(key.keyId)
    await supersedeForKey(ctx, key.keyId, 'the key waiting for approval was destroyed')
  }

  /** The api's discard (approval rejected, cancelled, expired or failed): destroys the key if it is still pending. */
  const discard = (ctx: Ctx, keyId: string, reason: PendingDiscardReason) =>
    exclusive(`key:${keyId}`, async () => {
      const key = await vault.getKey(keyId, ctx.workspaceId)
      if (key.state !== 'pending_approval') throw new AppError('CONFLICT', `the key is ${key.state}: only a key waiting for approval can be discarded`)
      await destroyPending(ctx, key, 'key_pending_discarded', reason)
      return { keyId, state: 'destroyed' as const }
    })

  /** Destroys one expired key under its lock (re-read there: it may have been approved or discarded meanwhile). */
  const expireOne = (ctx: Ctx, keyId: string) =>
    exclusive(`key:${keyId}`, async () => {
      const key = await vault.getKey(keyId, ctx.workspaceId).catch(() => undefined)
      if (!key || key.state !== 'pending_approval' || !isExpired(key)) return false
      await destroyPending(ctx, key, 'key_pending_expired', 'expired')
      return true
    })

  /**
   * Destroys every pending key older than the TTL: one workspace's (with that request's context, so the
   * events reach its audit chain) or all of them (each with a context of its own: the signer's log only).
   */
  const sweep = async (ctx?: Ctx): Promise<number> => {
    const cutoff = new Date(clock.now().getTime() - ttlMs)
    const rows = await db
      .select({ keyId: vaultKeys.keyId, workspaceId: vaultKeys.workspaceId })
      .from(vaultKeys)
      .where(and(eq(vaultKeys.state, 'pending_approval'), lte(vaultKeys.createdAt, cutoff), ...(ctx ? [eq(vaultKeys.workspaceId, ctx.workspaceId)] : [])))
    let destroyed = 0
    for (const row of rows) {
      const own: Ctx = ctx ?? { workspaceId: row.workspaceId, requestId: `pending-key-sweep-${randomUUID()}`, events: [] }
      if (await expireOne(own, row.keyId)) destroyed++
    }
    return destroyed
  }

  /** Lets the ops that make a pending key usable refuse an expired one (and destroy it on the way). */
  const assertNotExpired = async (ctx: Ctx, key: VaultKey) => {
    if (!isExpired(key)) return
    await destroyPending(ctx, key, 'key_pending_expired', 'expired')
    throw new AppError('CONFLICT', `the key waited for approval past ${expiresAt(key)} and was destroyed: connect it again`, { reason: 'PENDING_KEY_EXPIRED' })
  }

  /**
   * Four-eyes approval (R42): re-verified at the exchange under the key's lock, then made usable exactly
   * once (a conditional state change from `pending_approval`): `active`, or `unverified` when the exchange
   * cannot say (as a connect would). A replacement takes over as an immediate one does: the replaced key's
   * current limits and, when it is disabled, its disabled state. A key the exchange now refuses or that can
   * move funds, or one the workspace policy refuses, is destroyed.
   */
  const approve = (ctx: Ctx, p: SignerParams<'approvePending'>): Promise<KeyView> =>
    exclusive(`key:${p.keyId}`, async () => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      if (key.state !== 'pending_approval') throw new AppError('CONFLICT', `the key is ${key.state}: it is not waiting for approval`)
      await assertNotExpired(ctx, key)
      const replaced = p.replacesKeyId ? await vault.getKey(p.replacesKeyId, ctx.workspaceId) : undefined
      if (replaced && (replaced.exchangeAccountId !== key.exchangeAccountId || replaced.exchange !== key.exchange || replaced.keyId === key.keyId)) {
        throw new AppError('BAD_INPUT', 'the key to replace belongs to another exchange account')
      }
      const refuse = async (err: unknown, destroy: boolean): Promise<never> => {
        await record(ctx, { type: 'key_approval_refused', outcome: 'denied', details: { keyId: key.keyId, exchange: key.exchange, reason: err instanceof AppError ? err.code : 'INTERNAL' } })
        if (destroy) await destroyPending(ctx, key, 'key_pending_discarded', 'failed')
        throw err
      }
      let verification: Verification
      try {
        verification = await vault.withSecret(key.keyId, ctx.workspaceId, (credentials) => verifyKeyAtExchange(executor, `verify-${randomUUID()}`, key.exchange, credentials, clock.now(), { testnet: key.isTestnet }))
      } catch (err) {
        // Fail closed on what the exchange said about the key itself; anything else leaves the decision to the api.
        return refuse(err, err instanceof AppError && (err.code === 'KEY_HAS_WITHDRAW_PERMISSION' || err.code === 'EXCHANGE_AUTH'))
      }
      if (p.requireIpRestricted) {
        try {
          await assertIpRestricted(ctx, key.exchange, verification, { keyId: key.keyId })
        } catch (err) {
          return refuse(err, true)
        }
      }
      await vault.setVerification(key.keyId, ctx.workspaceId, verification)
      let state: 'active' | 'unverified' | 'disabled' = verification.status === 'verified' || (key.isTestnet && verification.status === 'unverifiable') ? 'active' : 'unverified'
      let reason: string | undefined
      if (replaced) {
        // The limits the account has now: ones narrowed while this key waited stay narrowed.
        const limits = keyLimits.parse(replaced.limits)
        if (canonicalJson(limits) !== canonicalJson(keyLimits.parse(key.limits))) {
          await vault.updateLimits(key.keyId, ctx.workspaceId, limits)
          await supersedeForKey(ctx, key.keyId, "the key's limits were changed", ['limits'])
        }
        if (replaced.state === 'disabled' && state === 'active') {
          state = 'disabled'
          reason = `replaced a disabled key: ${replaced.disabledReason ?? 'disabled'}`
        }
      }
      await record(ctx, { type: 'key_approved', outcome: 'success', details: { keyId: key.keyId, exchange: key.exchange, state, verification: verification.status, ...(replaced ? { replaces: replaced.keyId } : {}) } })
      return keyViewOf(await vault.setState(key.keyId, ctx.workspaceId, state, reason, { from: 'pending_approval' }))
    })

  /** Destroys every key of the workspace still waiting for approval (a lockdown); one that fails is left for the caller's next step. */
  const discardAllIn = async (ctx: Ctx, reason: PendingDiscardReason): Promise<void> => {
    const pending = await db
      .select({ keyId: vaultKeys.keyId })
      .from(vaultKeys)
      .where(and(eq(vaultKeys.workspaceId, ctx.workspaceId), eq(vaultKeys.state, 'pending_approval')))
    for (const { keyId } of pending) {
      await exclusive(`key:${keyId}`, async () => {
        const key = await vault.getKey(keyId, ctx.workspaceId)
        if (key.state === 'pending_approval') await destroyPending(ctx, key, 'key_pending_discarded', reason)
      }).catch(() => undefined)
    }
  }

  /** Sweeps every `everyMs` until the returned stop is called (signer/main.ts). The timer does not keep the process alive. */
  const start = (everyMs = PENDING_KEY_SWEEP_EVERY_MS): (() => void) => {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      sweep()
        .catch((err: unknown) => onSweepError?.(err))
        .finally(() => {
          running = false
        })
    }, everyMs)
    timer.unref()
    return () => clearInterval(timer)
  }

  return { approve, discard, discardAllIn, sweep, start }
}
export type PendingKeys = ReturnType<typeof createPendingKeys>
