import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../db/index.js'
import { signerSeal } from '../vault/vault-schema.js'
import type { SignerAuditEvent } from './signer-types.js'
import type { Ctx } from './signer-service.js'

/**
 * The operator's global seal (SECURITY.md R19 as amended: an operator-only action).
 *
 * Invariants:
 * - Sealing and unsealing exist on the operator socket only; the state is a row in the signer's own
 *   store, so a restart keeps the signer sealed. Both are written to the signer's own log first.
 * - While sealed, every operation on every socket is refused with UNAVAILABLE / SIGNER_SEALED except the
 *   ones below: narrowing (a key can always be disabled or destroyed, a widening or a passkey dropped),
 *   what only describes the signer (public keys, status, clock skew), the audit checkpoints (R38 keeps
 *   working through an incident), and the operator's seal, backup and master-rotation tools. Nothing that
 *   assembles a key, signs an exchange request or widens a key runs; due widenings wait until unsealed.
 * - The check happens when a request starts: a call already past it when the seal lands finishes.
 */
export const allowedWhileSealed: ReadonlySet<string> = new Set([
  // narrowing, from the api as well
  'disable',
  'disableWorkspaceKeys',
  'destroy',
  // A key waiting for approval that was rejected, cancelled or expired: destroying it is narrowing.
  'discardPending',
  'untrustPasskey',
  'cancelWidening',
  // describing the signer, and the audit trail
  'auditHash',
  'publicKey',
  'status',
  'clockSkew',
  'signCheckpoint',
  'listCheckpoints',
  'auditPublicKey',
  // the operator's own tools
  'seal',
  'unseal',
  'sealStatus',
  'rotateMaster',
  'backupVault',
  'recoveryKit',
])

export type SealState = { sealed: boolean; reason: string | null; changedAt: string | null }

export type SealDeps = { db: Db; clock: Clock; record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void> }

export const createSeal = ({ db, clock, record }: SealDeps) => {
  /** Read once from the store, then kept here: this process is the only writer. */
  let cached: Promise<SealState> | undefined

  const load = async (): Promise<SealState> => {
    const [row] = await db.select().from(signerSeal).limit(1)
    return row ? { sealed: row.sealed, reason: row.reason, changedAt: row.changedAt.toISOString() } : { sealed: false, reason: null, changedAt: null }
  }

  const status = (): Promise<SealState> => {
    cached ??= load().catch((err: unknown) => {
      cached = undefined
      throw err
    })
    return cached
  }

  const write = async (sealed: boolean, reason: string | null): Promise<SealState> => {
    const changedAt = clock.now()
    await db
      .insert(signerSeal)
      .values({ id: 1, sealed, reason, changedAt })
      .onConflictDoUpdate({ target: signerSeal.id, set: { sealed, reason, changedAt } })
    const state = { sealed, reason, changedAt: changedAt.toISOString() }
    cached = Promise.resolve(state)
    return state
  }

  return {
    status,
    /** Refuses an operation while sealed, unless it is one the seal lets through. */
    assertAllowed: async (op: string): Promise<void> => {
      if (allowedWhileSealed.has(op)) return
      if ((await status()).sealed) throw new AppError('UNAVAILABLE', `the signer is sealed by its operator and refuses "${op}" until it is unsealed`, { reason: 'SIGNER_SEALED' })
    },
    seal: async (ctx: Ctx, p: { reason: string }): Promise<SealState> => {
      const before = await status()
      await record(ctx, { type: 'signer_sealed', outcome: 'success', details: { reason: p.reason, wasSealed: before.sealed } })
      return write(true, p.reason)
    },
    unseal: async (ctx: Ctx): Promise<SealState> => {
      const before = await status()
      await record(ctx, { type: 'signer_unsealed', outcome: 'success', details: { wasSealed: before.sealed, sealedFor: before.reason } })
      return write(false, null)
    },
  }
}
export type Seal = ReturnType<typeof createSeal>
