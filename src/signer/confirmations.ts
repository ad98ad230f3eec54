import { createHash } from 'node:crypto'
import { and, asc, eq, inArray, lte, min } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { canonicalJson } from '../crypto/index.js'
import type { Db } from '../db/index.js'
import type { Vault, VaultKey } from '../vault/index.js'
import { trustedPasskeys, wideningOperations } from '../vault/vault-schema.js'
import { isWidening } from './limits.js'
import { isAcceptedCosePublicKey, verifyConfirmationAssertion } from './confirmation-assertion.js'
import { keyLimits, type SignerAuditEvent, type SignerParams, type TrustedPasskeyView, type WideningOperationView } from './signer-types.js'
import type { Ctx } from './signer-service.js'

/**
 * Widening what a key can do, confirmed by the signer itself (DESIGN.md "Operations that widen…").
 *
 * Invariants:
 * - Nothing the api can send widens a key at once. A widening is stored as a pending operation and takes
 *   effect only with a WebAuthn assertion (user verification required) whose challenge is the hash of
 *   that operation, signed by a passkey this signer trusts for the workspace — or once `notBefore` (now +
 *   the delay) has passed. Its creation is announced first (`key_widening_pending`).
 * - The challenge contains the operation id, which the signer made up, and an operation leaves `pending`
 *   exactly once (conditional UPDATE): an assertion cannot be replayed, even from synced passkeys whose
 *   counter stays 0. An assertion over another operation's hash does not match this one's challenge.
 * - A passkey is trusted only through the same path (`trust_passkey` operation): a passkey the api made up
 *   waits out the delay like any widening, announced as `passkey_trust_pending`.
 * - Narrowing is immediate and voids pending widenings it contradicts: disabling or destroying a key voids
 *   all of its pending operations; any change of its limits voids pending limit widenings (they were
 *   asked against the old limits); an operation whose key no longer looks as it did when proposed is
 *   `superseded`, never applied.
 * - Due operations are applied lazily, at the start of the workspace's next request that can observe a
 *   key (execute, listKeys, setLimits, proposals, confirmations, lists). Every observation of a key goes
 *   through such a request, so the effect is the same as a timer's, deterministic under the injected
 *   clock, and the events reach the api with that request (a timer would have no request to carry them).
 */

export type ConfirmationsDeps = {
  db: Db
  vault: Pick<Vault, 'getKey' | 'updateLimits'>
  clock: Clock
  /** How long a widening waits without a passkey confirmation. */
  delayMs: number
  /** PUBLIC_ORIGIN and its hostname: what the assertion's clientData and rpIdHash must name. */
  webauthn: { origin: string; rpId: string }
  /** Writes the signer's own audit log (before acting) and reports the event to the api. */
  record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void>
  /** One change to a key (or to a workspace's passkeys) at a time; shared with disable and setLimits. */
  exclusive: <T>(lockKey: string, fn: () => Promise<T>) => Promise<T>
  /** Re-verifies the key at the exchange and makes it active. */
  enableKey: (ctx: Ctx, key: VaultKey) => Promise<unknown>
}

type Operation = typeof wideningOperations.$inferSelect
type Via = 'passkey' | 'delay' | 'operator'

/** The states the operator socket's `enable` brings a key back from (its own authority: a key waiting for approval too). */
export const enableableStates: readonly string[] = ['disabled', 'unverified', 'pending_approval']
/**
 * The states a user-driven widening may enable. Not `pending_approval`: a key waiting for a second
 * person's approval (R42) becomes usable only through `approvePending`, never by one member's passkey or
 * by waiting out the delay.
 */
export const wideningEnableableStates: readonly string[] = ['disabled', 'unverified']
/** A compromised api may flood proposals; each is announced, and this bounds the table. */
const MAX_PENDING_PER_WORKSPACE = 50

const trustParams = z.object({ userId: z.string(), authenticatorId: z.string(), publicKey: z.string(), counter: z.number() })

/**
 * base64url(SHA-256(canonical JSON of the operation)): the WebAuthn challenge that confirms it.
 * The operation id makes it unique; the rest binds it to exactly this change of exactly this key.
 */
export const operationChallenge = (op: { operationId: string; workspaceId: string; keyId: string | null; kind: string; params: unknown }): string =>
  createHash('sha256')
    .update(canonicalJson({ operationId: op.operationId, workspaceId: op.workspaceId, keyId: op.keyId, kind: op.kind, params: op.params }))
    .digest('base64url')

const view = (r: Operation): WideningOperationView => ({
  operationId: r.operationId,
  workspaceId: r.workspaceId,
  keyId: r.keyId,
  kind: r.kind,
  params: r.params as Record<string, unknown>,
  state: r.state,
  challenge: r.challenge,
  createdAt: r.createdAt.toISOString(),
  notBefore: r.notBefore.toISOString(),
  resolvedAt: r.resolvedAt?.toISOString() ?? null,
  resolvedVia: (r.resolvedVia as Via | null) ?? null,
  confirmedBy: r.confirmedBy,
  note: r.note,
})

const REFUSED = 'the passkey confirmation was refused'

export const createConfirmations = ({ db, vault, clock, delayMs, webauthn, record, exclusive, enableKey }: ConfirmationsDeps) => {
  const ops = wideningOperations
  /** Per workspace, the earliest `notBefore` of a pending operation (ms): most requests skip the query. */
  const nextDue = new Map<string, number>()
  /** Bumped by every new operation, so a refresh that raced with one never forgets it. */
  const created = new Map<string, number>()

  const refreshDue = async (workspaceId: string) => {
    const before = created.get(workspaceId) ?? 0
    const [row] = await db.select({ at: min(ops.notBefore) }).from(ops).where(and(eq(ops.workspaceId, workspaceId), eq(ops.state, 'pending')))
    const queried = row?.at ? new Date(row.at).getTime() : Number.POSITIVE_INFINITY
    nextDue.set(workspaceId, (created.get(workspaceId) ?? 0) === before ? queried : Math.min(queried, nextDue.get(workspaceId) ?? Number.POSITIVE_INFINITY))
  }

  const lockKeyOf = (op: Pick<Operation, 'keyId' | 'workspaceId'>) => (op.keyId ? `key:${op.keyId}` : `passkeys:${op.workspaceId}`)

  const load = async (ctx: Ctx, operationId: string): Promise<Operation> => {
    const [row] = await db.select().from(ops).where(and(eq(ops.operationId, operationId), eq(ops.workspaceId, ctx.workspaceId))).limit(1)
    if (!row) throw new AppError('NOT_FOUND', `widening "${operationId}" not found`)
    return row
  }

  const summary = (op: Operation): Record<string, unknown> => {
    if (op.kind === 'trust_passkey') {
      const p = trustParams.parse(op.params)
      return { operationId: op.operationId, kind: op.kind, userId: p.userId, authenticatorId: p.authenticatorId }
    }
    return { operationId: op.operationId, kind: op.kind, keyId: op.keyId, ...(op.kind === 'limits' ? (op.params as Record<string, unknown>) : {}) }
  }

  /** Moves a claimed (`applying`) operation to its final state. */
  const finish = async (op: Operation, state: 'applied' | 'superseded' | 'failed', note: string | null): Promise<Operation> => {
    const [row] = await db
      .update(ops)
      .set({ state, note, resolvedAt: clock.now() })
      .where(and(eq(ops.operationId, op.operationId), eq(ops.state, 'applying')))
      .returning()
    return row ?? op
  }

  const supersede = async (ctx: Ctx, op: Operation, note: string) => {
    await record(ctx, { type: 'key_widening_superseded', outcome: 'failure', details: { ...summary(op), reason: note } })
    return finish(op, 'superseded', note)
  }

  /** The effect of a claimed operation; called under its lock. Never leaves it `applying` unless the process dies. */
  const effect = async (ctx: Ctx, op: Operation): Promise<Operation> => {
    const via = (op.resolvedVia ?? 'delay') as Via
    try {
      if (op.kind === 'trust_passkey') {
        const p = trustParams.parse(op.params)
        // Every change to a workspace's trusted passkeys holds this operation's lock: no race with this read.
        const [existing] = await db
          .select({ id: trustedPasskeys.authenticatorId })
          .from(trustedPasskeys)
          .where(and(eq(trustedPasskeys.workspaceId, op.workspaceId), eq(trustedPasskeys.authenticatorId, p.authenticatorId)))
        if (existing) return await supersede(ctx, op, 'the passkey was already trusted')
        await record(ctx, { type: 'passkey_trusted', outcome: 'success', details: { ...summary(op), via } })
        await db
          .insert(trustedPasskeys)
          .values({ workspaceId: op.workspaceId, authenticatorId: p.authenticatorId, userId: p.userId, publicKey: Buffer.from(p.publicKey, 'base64url'), counter: p.counter, trustedAt: clock.now(), trustedVia: via, operationId: op.operationId })
        return await finish(op, 'applied', null)
      }
      let key: VaultKey
      try {
        key = await vault.getKey(op.keyId ?? '', op.workspaceId)
      } catch (err) {
        if (err instanceof AppError && err.code === 'NOT_FOUND') return await supersede(ctx, op, 'the key no longer exists')
        throw err
      }
      const base = op.base as { limits?: unknown; state?: string }
      if (op.kind === 'limits') {
        if (canonicalJson(keyLimits.parse(key.limits)) !== canonicalJson(base.limits)) return await supersede(ctx, op, "the key's limits changed since it was proposed")
        await record(ctx, { type: 'key_limits_changed', outcome: 'success', details: { keyId: key.keyId, widened: true, operationId: op.operationId, via } })
        await vault.updateLimits(key.keyId, op.workspaceId, keyLimits.parse((op.params as { limits: unknown }).limits))
        // Other pending limit widenings were asked against the limits just replaced.
        await supersedeForKey(ctx, key.keyId, "the key's limits were changed", ['limits'])
      } else {
        if (key.state !== base.state || !wideningEnableableStates.includes(key.state)) return await supersede(ctx, op, `the key is ${key.state} now`)
        await enableKey(ctx, key)
      }
      await record(ctx, { type: 'key_widening_applied', outcome: 'success', details: { ...summary(op), via } })
      return await finish(op, 'applied', null)
    } catch (err) {
      const reason = err instanceof AppError ? err.code : 'INTERNAL'
      const failed = await finish(op, 'failed', err instanceof AppError ? err.message : 'internal error')
      await record(ctx, { type: 'key_widening_failed', outcome: 'failure', details: { ...summary(op), via, reason } })
      return failed
    }
  }

  /** Claims a pending operation for `via` (delay: only once due) and applies it, under its lock. */
  const applyOperation = (ctx: Ctx, op: Operation, via: 'delay' | 'operator'): Promise<Operation> =>
    exclusive(lockKeyOf(op), async () => {
      const [claimed] = await db
        .update(ops)
        .set({ state: 'applying', resolvedVia: via })
        .where(and(eq(ops.operationId, op.operationId), eq(ops.state, 'pending'), ...(via === 'delay' ? [lte(ops.notBefore, clock.now())] : [])))
        .returning()
      if (!claimed) return load(ctx, op.operationId)
      return effect(ctx, claimed)
    })

  /** Applies this workspace's operations whose delay has passed. */
  const applyDue = async (ctx: Ctx): Promise<void> => {
    const ws = ctx.workspaceId
    if (!nextDue.has(ws)) await refreshDue(ws)
    const now = clock.now()
    if ((nextDue.get(ws) ?? Number.POSITIVE_INFINITY) > now.getTime()) return
    const due = await db
      .select()
      .from(ops)
      .where(and(eq(ops.workspaceId, ws), eq(ops.state, 'pending'), lte(ops.notBefore, now)))
      .orderBy(asc(ops.notBefore))
    for (const op of due) await applyOperation(ctx, op, 'delay')
    await refreshDue(ws)
  }

  /** Stores a pending operation and announces it (before it exists: the announcement is never missing). */
  const createOperation = async (ctx: Ctx, input: { keyId: string | null; kind: Operation['kind']; params: Record<string, unknown>; base: Record<string, unknown> }, announce: boolean): Promise<Operation> => {
    const pending = await db.select({ id: ops.operationId }).from(ops).where(and(eq(ops.workspaceId, ctx.workspaceId), eq(ops.state, 'pending'))).limit(MAX_PENDING_PER_WORKSPACE)
    if (pending.length >= MAX_PENDING_PER_WORKSPACE) throw new AppError('RATE_LIMITED', `there are already ${MAX_PENDING_PER_WORKSPACE} pending widenings: cancel some first`)
    const now = clock.now()
    const operationId = newId(now.getTime())
    const row = {
      operationId,
      workspaceId: ctx.workspaceId,
      keyId: input.keyId,
      kind: input.kind,
      params: input.params,
      base: input.base,
      challenge: operationChallenge({ operationId, workspaceId: ctx.workspaceId, keyId: input.keyId, kind: input.kind, params: input.params }),
      state: 'pending' as const,
      createdAt: now,
      notBefore: new Date(now.getTime() + delayMs),
    }
    if (announce) {
      const type = input.kind === 'trust_passkey' ? 'passkey_trust_pending' : 'key_widening_pending'
      await record(ctx, { type, outcome: 'success', details: { ...summary(row as Operation), notBefore: row.notBefore.toISOString() } })
    }
    const [stored] = await db.insert(ops).values(row).returning()
    created.set(ctx.workspaceId, (created.get(ctx.workspaceId) ?? 0) + 1)
    nextDue.set(ctx.workspaceId, Math.min(nextDue.get(ctx.workspaceId) ?? Number.POSITIVE_INFINITY, row.notBefore.getTime()))
    return stored as Operation
  }

  const proposeWidening = async (ctx: Ctx, p: SignerParams<'proposeWidening'>): Promise<WideningOperationView> => {
    // Compared with what is in effect now, due widenings included.
    await applyDue(ctx)
    const key = await vault.getKey(p.keyId, ctx.workspaceId)
    if (p.change.kind === 'limits') {
      const current = keyLimits.parse(key.limits)
      if (!isWidening(current, p.change.limits)) throw new AppError('BAD_INPUT', 'this change does not widen the key: set the limits directly (setLimits)', { reason: 'not_a_widening' })
      return view(await createOperation(ctx, { keyId: key.keyId, kind: 'limits', params: { limits: p.change.limits }, base: { limits: current } }, true))
    }
    if (key.state === 'pending_approval') throw new AppError('CONFLICT', 'the key is waiting for approval: a second owner or admin must approve it; it cannot be enabled another way', { reason: 'PENDING_APPROVAL' })
    if (!wideningEnableableStates.includes(key.state)) throw new AppError('CONFLICT', `the key is ${key.state}: only a disabled or unverified key can be enabled`)
    return view(await createOperation(ctx, { keyId: key.keyId, kind: 'enable', params: {}, base: { state: key.state } }, true))
  }

  const trustPasskey = async (ctx: Ctx, p: SignerParams<'trustPasskey'>, isOperator: boolean): Promise<WideningOperationView> => {
    if (!isAcceptedCosePublicKey(p.publicKey)) throw new AppError('BAD_INPUT', 'publicKey: not a COSE public key of an accepted algorithm (Ed25519, ES256, RS256)')
    await applyDue(ctx)
    const [existing] = await db
      .select({ id: trustedPasskeys.authenticatorId })
      .from(trustedPasskeys)
      .where(and(eq(trustedPasskeys.workspaceId, ctx.workspaceId), eq(trustedPasskeys.authenticatorId, p.authenticatorId)))
    if (existing) throw new AppError('CONFLICT', 'this passkey is already trusted for this workspace')
    const op = await createOperation(ctx, { keyId: null, kind: 'trust_passkey', params: { ...p }, base: {} }, !isOperator)
    return view(isOperator ? await applyOperation(ctx, op, 'operator') : op)
  }

  const untrustPasskey = (ctx: Ctx, p: SignerParams<'untrustPasskey'>) =>
    exclusive(`passkeys:${ctx.workspaceId}`, async () => {
      const which = p.authenticatorId !== undefined ? { authenticatorId: p.authenticatorId } : { userId: p.userId }
      await record(ctx, { type: 'passkey_untrusted', outcome: 'success', details: which })
      const removed = await db
        .delete(trustedPasskeys)
        .where(and(eq(trustedPasskeys.workspaceId, ctx.workspaceId), p.authenticatorId !== undefined ? eq(trustedPasskeys.authenticatorId, p.authenticatorId) : eq(trustedPasskeys.userId, p.userId ?? '')))
        .returning({ authenticatorId: trustedPasskeys.authenticatorId })
      const trusts = await db.select().from(ops).where(and(eq(ops.workspaceId, ctx.workspaceId), eq(ops.kind, 'trust_passkey'), eq(ops.state, 'pending')))
      const matching = trusts.filter((op) => {
        const t = trustParams.parse(op.params)
        return p.authenticatorId !== undefined ? t.authenticatorId === p.authenticatorId : t.userId === p.userId
      })
      const cancelled = matching.length
        ? await db
            .update(ops)
            .set({ state: 'cancelled', resolvedAt: clock.now(), note: 'the passkey was removed' })
            .where(and(inArray(ops.operationId, matching.map((op) => op.operationId)), eq(ops.state, 'pending')))
            .returning({ id: ops.operationId })
        : []
      return { removed: removed.map((r) => r.authenticatorId), cancelledOperations: cancelled.map((c) => c.id) }
    })

  const listPasskeys = async (ctx: Ctx): Promise<TrustedPasskeyView[]> => {
    await applyDue(ctx)
    const rows = await db.select().from(trustedPasskeys).where(eq(trustedPasskeys.workspaceId, ctx.workspaceId))
    return rows.map((r) => ({ userId: r.userId, authenticatorId: r.authenticatorId, counter: r.counter, trustedAt: r.trustedAt.toISOString(), trustedVia: r.trustedVia }))
  }

  const confirmWidening = async (ctx: Ctx, p: SignerParams<'confirmWidening'>): Promise<WideningOperationView> => {
    await applyDue(ctx)
    const op = await load(ctx, p.operationId)
    const authenticatorId = p.assertion.id
    const refuse = async (reason: string, code: 'FORBIDDEN' | 'CONFLICT' = 'FORBIDDEN', message = REFUSED): Promise<never> => {
      await record(ctx, { type: 'widening_confirmation_refused', outcome: 'denied', details: { ...summary(op), authenticatorId, reason } })
      throw new AppError(code, message, { reason })
    }
    if (op.state !== 'pending') return refuse('operation_not_pending', 'CONFLICT', `widening "${op.operationId}" is ${op.state}: it can no longer be confirmed`)
    const [passkey] = await db
      .select()
      .from(trustedPasskeys)
      .where(and(eq(trustedPasskeys.workspaceId, ctx.workspaceId), eq(trustedPasskeys.authenticatorId, authenticatorId)))
    if (!passkey) return refuse('passkey_not_trusted', 'FORBIDDEN', `${REFUSED}: the signer does not trust this passkey for this workspace (yet)`)
    const verdict = await verifyConfirmationAssertion({ assertion: p.assertion, challenge: op.challenge, webauthn, passkey })
    if (!verdict.ok) return refuse(verdict.reason)
    const newCounter = verdict.newCounter
    // A genuine signature with a counter that did not move forward: a cloned authenticator (R25).
    if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter) {
      await record(ctx, { type: 'authenticator_clone_suspected', outcome: 'denied', details: { authenticatorId, userId: passkey.userId, storedCounter: passkey.counter, newCounter } })
      return refuse('counter_regression')
    }
    return exclusive(lockKeyOf(op), async () => {
      const conflict = new Error('not claimed')
      let claimed: Operation | undefined
      try {
        claimed = await db.transaction(async (tx) => {
          // Both conditional, both or neither: the counter moves only from the value verified against, and
          // the operation leaves `pending` once — a replayed or concurrent assertion claims nothing.
          const [pk] = await tx
            .update(trustedPasskeys)
            .set({ counter: newCounter })
            .where(and(eq(trustedPasskeys.workspaceId, ctx.workspaceId), eq(trustedPasskeys.authenticatorId, authenticatorId), eq(trustedPasskeys.counter, passkey.counter)))
            .returning({ id: trustedPasskeys.authenticatorId })
          if (!pk) throw conflict
          const [row] = await tx
            .update(ops)
            .set({ state: 'applying', resolvedVia: 'passkey', confirmedBy: authenticatorId })
            .where(and(eq(ops.operationId, op.operationId), eq(ops.workspaceId, ctx.workspaceId), eq(ops.state, 'pending')))
            .returning()
          if (!row) throw conflict
          return row
        })
      } catch (err) {
        if (err !== conflict) throw err
      }
      if (!claimed) return refuse('operation_not_pending', 'CONFLICT', `widening "${op.operationId}" was already resolved or confirmed`)
      try {
        await record(ctx, { type: 'key_widening_confirmed', outcome: 'success', details: { ...summary(claimed), authenticatorId, userId: passkey.userId } })
      } catch (err) {
        await finish(claimed, 'failed', 'the signer could not write its audit log')
        throw err
      }
      return view(await effect(ctx, claimed))
    })
  }

  const cancelWidening = async (ctx: Ctx, p: SignerParams<'cancelWidening'>): Promise<WideningOperationView> => {
    const op = await load(ctx, p.operationId)
    return exclusive(lockKeyOf(op), async () => {
      // Under the operation's lock nothing else moves it out of `pending`, so this read stays true.
      const current = await load(ctx, op.operationId)
      if (current.state !== 'pending') throw new AppError('CONFLICT', `widening "${op.operationId}" is ${current.state}: it can no longer be cancelled`)
      await record(ctx, { type: 'key_widening_cancelled', outcome: 'success', details: summary(op) })
      const [row] = await db
        .update(ops)
        .set({ state: 'cancelled', resolvedAt: clock.now() })
        .where(and(eq(ops.operationId, op.operationId), eq(ops.workspaceId, ctx.workspaceId), eq(ops.state, 'pending')))
        .returning()
      if (!row) throw new AppError('CONFLICT', `widening "${op.operationId}" can no longer be cancelled`)
      return view(row)
    })
  }

  /** Operator socket: applies a pending operation at once (the operator token is the signer's own trust domain). */
  const approveWidening = async (ctx: Ctx, p: { operationId: string }): Promise<WideningOperationView> => {
    const op = await load(ctx, p.operationId)
    if (op.state !== 'pending') throw new AppError('CONFLICT', `widening "${op.operationId}" is ${op.state}`)
    return view(await applyOperation(ctx, op, 'operator'))
  }

  const listPendingWidenings = async (ctx: Ctx): Promise<WideningOperationView[]> => {
    await applyDue(ctx)
    const rows = await db
      .select()
      .from(ops)
      .where(and(eq(ops.workspaceId, ctx.workspaceId), inArray(ops.state, ['pending', 'applying'])))
      .orderBy(asc(ops.createdAt))
    return rows.map(view)
  }

  /**
   * Voids a key's pending operations (all of them, or only the given kinds) after a narrowing change.
   * Call under the key's lock.
   */
  const supersedeForKey = async (ctx: Ctx, keyId: string, reason: string, kinds?: ReadonlyArray<Operation['kind']>): Promise<void> => {
    const rows = await db
      .update(ops)
      .set({ state: 'superseded', resolvedAt: clock.now(), note: reason })
      .where(and(eq(ops.keyId, keyId), eq(ops.workspaceId, ctx.workspaceId), eq(ops.state, 'pending'), ...(kinds ? [inArray(ops.kind, [...kinds])] : [])))
      .returning({ operationId: ops.operationId, kind: ops.kind })
    if (rows.length > 0) await record(ctx, { type: 'key_widening_superseded', outcome: 'success', details: { keyId, operationIds: rows.map((r) => r.operationId), reason } })
  }

  return { applyDue, proposeWidening, confirmWidening, cancelWidening, approveWidening, listPendingWidenings, trustPasskey, untrustPasskey, listPasskeys, supersedeForKey }
}
export type Confirmations = ReturnType<typeof createConfirmations>
