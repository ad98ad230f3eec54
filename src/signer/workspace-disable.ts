import { and, eq, inArray, notInArray, or } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../db/index.js'
import type { Vault } from '../vault/index.js'
import { vaultKeys, wideningOperations } from '../vault/vault-schema.js'
import type { CleanupGrants } from './cleanup-grants.js'
import type { Confirmations } from './confirmations.js'
import { keyViewOf } from './key-view.js'
import type { KeyView, SignerAuditEvent, SignerParams } from './signer-types.js'
import type { Ctx } from './signer-service.js'

export type WorkspaceDisableDeps = {
  db: Db
  vault: Pick<Vault, 'getKey' | 'setState'>
  clock: Clock
  grants: CleanupGrants
  record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void>
  exclusive: <T>(lockKey: string, fn: () => Promise<T>) => Promise<T>
  supersedeForKey: Confirmations['supersedeForKey']
}

export type WorkspaceDisableResult = { keys: KeyView[]; cleanupGrant?: string; cleanupUntil?: string }

/** States a key had that let it trade through us, so it may have orders to clean up. */
const cleanableStates: readonly string[] = ['active', 'disabled']

/**
 * Lockdown's first step: every key of the workspace refuses at once (narrowing, from anywhere).
 *
 * One transaction disables every key that is not destroyed and voids every pending widening of those
 * keys — and the workspace's pending passkey trusts, which are exactly what an intruder would leave
 * behind to confirm a re-enable later. Then, under each key's lock, a change that was in flight (an
 * enable being applied while the transaction ran) is disabled again, so nothing started before the
 * lockdown outlives it.
 */
export const createWorkspaceDisable = ({ db, vault, clock, grants, record, exclusive, supersedeForKey }: WorkspaceDisableDeps) =>
  async (ctx: Ctx, p: SignerParams<'disableWorkspaceKeys'>): Promise<WorkspaceDisableResult> => {
    const ws = ctx.workspaceId
    const now = clock.now()
    const untilMs = p.cleanupMs === undefined ? undefined : now.getTime() + p.cleanupMs
    const ops = wideningOperations
    const before = await db.transaction(async (tx) => {
      const keys = await tx
        .select()
        .from(vaultKeys)
        .where(and(eq(vaultKeys.workspaceId, ws), notInArray(vaultKeys.state, ['destroyed', 'writing', 'pending_approval'])))
        .for('update')
      const keyIds = keys.map((k) => k.keyId)
      const voidable = or(eq(ops.kind, 'trust_passkey'), ...(keyIds.length > 0 ? [inArray(ops.keyId, keyIds)] : []))
      const pending = await tx
        .select({ operationId: ops.operationId })
        .from(ops)
        .where(and(eq(ops.workspaceId, ws), eq(ops.state, 'pending'), voidable))
        .for('update')
      // Written to the signer's own log before anything changes: a failed write rolls the whole step back.
      await record(ctx, {
        type: 'workspace_keys_disabled',
        outcome: 'success',
        details: { count: keys.length, reason: p.reason, keyIds, voidedOperations: pending.length, ...(untilMs === undefined ? {} : { cleanupUntil: new Date(untilMs).toISOString() }) },
      })
      if (pending.length > 0) {
        await record(ctx, { type: 'key_widening_superseded', outcome: 'success', details: { operationIds: pending.map((o) => o.operationId), reason: 'the workspace was locked down' } })
        await tx
          .update(ops)
          .set({ state: 'superseded', resolvedAt: now, note: 'the workspace was locked down' })
          .where(and(inArray(ops.operationId, pending.map((o) => o.operationId)), eq(ops.state, 'pending')))
      }
      if (keyIds.length > 0) await tx.update(vaultKeys).set({ state: 'disabled', disabledReason: p.reason, updatedAt: now }).where(inArray(vaultKeys.keyId, keyIds))
      return keys
    })

    // The vault keeps key rows for a moment; writing the same state through it drops that copy, so the
    // next call on any of these keys reads `disabled`.
    const disabled = await Promise.all(before.map((k) => vault.setState(k.keyId, ws, 'disabled', p.reason)))

    // An operation that held a key's lock while the transaction ran (an enable being applied) may have
    // turned the key active again: under each lock, after it, make sure it is disabled.
    const settled = await Promise.all(
      disabled.map((k) =>
        exclusive(`key:${k.keyId}`, async () => {
          const current = await vault.getKey(k.keyId, ws).catch(() => undefined)
          if (!current || current.state === 'disabled') return current ?? k
          await record(ctx, { type: 'key_disabled', outcome: 'success', details: { keyId: k.keyId, reason: p.reason } })
          const again = await vault.setState(k.keyId, ws, 'disabled', p.reason)
          await supersedeForKey(ctx, k.keyId, 'the workspace was locked down')
          return again
        }),
      ),
    )

    const result: WorkspaceDisableResult = { keys: settled.map(keyViewOf) }
    if (untilMs !== undefined) {
      const { grant, until } = grants.mint(ws, before.filter((k) => cleanableStates.includes(k.state)).map((k) => k.keyId), new Date(untilMs))
      result.cleanupGrant = grant
      result.cleanupUntil = until.toISOString()
    }
    return result
  }
