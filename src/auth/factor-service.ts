import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { and, eq, min } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import type { ActiveSession, SessionService } from './session-service.js'
import type { TotpService } from './totp.js'
import type { RecoveryCodes } from './recovery-codes.js'
import type { PasskeyService } from './passkeys.js'
import type { AccountMailer, SecurityChange } from './account-mail.js'
import { hasSecondFactor, type Factors } from './factors.js'
import { personalWorkspaceOf } from './workspace-store.js'

const { users, recoveryCodes, totpCredentials } = schema

/** Adding the next second factor this soon after the first is setting the account up (no cooldown). */
const ONBOARDING_MS = 3_600_000

export type FactorContext = { ip?: string | undefined; requestId?: string | undefined }

/**
 * Enrolling and removing second factors. Adding one needs a fresh step-up (the routes check it), so a
 * stolen session cannot bind the thief's authenticator. The first factor comes with ten recovery codes,
 * shown once; removing the last factor removes them. Each change rotates the session token (R29) and
 * is announced by email (R34). `onPasskeyAdded` lets the signer learn the new public key (it trusts it
 * only after its own delay — see the signer's confirmations).
 */
export const createFactorService = ({
  db,
  clock,
  sessions,
  totp,
  recovery,
  passkeys,
  factors,
  mailer,
  audit,
  alerts,
  onPasskeyAdded,
  onPasskeyRemoved,
}: {
  db: Db
  clock: Clock
  sessions: Pick<SessionService, 'rotate'>
  totp: Pick<TotpService, 'beginSetup' | 'confirm' | 'disable'>
  recovery: Pick<RecoveryCodes, 'generate'>
  passkeys: Pick<PasskeyService, 'registrationOptions' | 'verifyRegistration' | 'remove' | 'rename' | 'list'>
  factors: Pick<Factors, 'summary'>
  mailer: AccountMailer
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  /** `second_factor_changed` into the member's own workspace (R34); the accounts graph passes it. */
  alerts?: Pick<Alerts, 'raiseIn'> | undefined
  onPasskeyAdded?: (userId: string, passkeyId: string) => Promise<void>
  onPasskeyRemoved?: (userId: string, credentialId: string) => Promise<void>
}) => {
  const emailOf = async (userId: string, tx: DbOrTx = db) => {
    const [u] = await tx.select({ email: users.email, displayName: users.displayName }).from(users).where(eq(users.id, userId)).limit(1)
    if (!u) throw new AppError('NOT_FOUND', 'account not found')
    return u
  }

  /** Changes of the sign-in factors themselves: each is also an in-app alert (recovery codes are not a factor change). */
  const factorChanges: ReadonlySet<string> = new Set(['totp_enabled', 'totp_disabled', 'passkey_added', 'passkey_removed'])

  /** Announces the change and records it, in one transaction. */
  const record = async (session: ActiveSession, type: string, change: SecurityChange, ctx: FactorContext, extra?: (tx: DbOrTx) => Promise<void>) => {
    const { email } = await emailOf(session.userId)
    await db.transaction(async (tx) => {
      if (extra) await extra(tx)
      await mailer.sendIn(tx, { userId: session.userId, address: email }, { template: 'security_notice', vars: { change, time: clock.now().toISOString(), ip: ctx.ip } })
      await audit.appendIn(tx, { workspaceId: null, type, actor: { type: 'user', id: session.userId }, outcome: 'success', ...ctx, details: {} })
      const workspaceId = alerts && factorChanges.has(type) ? await personalWorkspaceOf(tx, session.userId) : undefined
      if (alerts && workspaceId) await alerts.raiseIn(tx, { workspaceId, rule: 'second_factor_changed', details: { userId: session.userId, change: type, ip: ctx.ip ?? null } })
    })
  }

  /**
   * R27: removing a factor, and adding one beside an existing one, start the 24 h key cooldown: an
   * intruder who passed one step-up (a phished code) and plants their own factor cannot connect a key
   * with it for a day, while the owner gets the "second factor changed" email and alert. Except while
   * the account is being set up: within an hour of its first second factor, adding the next one (the
   * app, then a passkey) is onboarding, not a takeover, and must not block a new user's first key.
   */
  const markFactorsChanged = (userId: string) => db.update(users).set({ factorsChangedAt: clock.now() }).where(eq(users.id, userId))

  /** When the account got its first second factor that it still has (undefined: none). */
  const firstFactorAt = async (userId: string): Promise<number | undefined> => {
    const [totpRow] = await db.select({ at: totpCredentials.confirmedAt }).from(totpCredentials).where(eq(totpCredentials.userId, userId)).limit(1)
    const [passkeyRow] = await db.select({ at: min(schema.passkeys.createdAt) }).from(schema.passkeys).where(eq(schema.passkeys.userId, userId))
    const times = [totpRow?.at, passkeyRow?.at].filter((at): at is Date => at instanceof Date).map((at) => at.getTime())
    return times.length === 0 ? undefined : Math.min(...times)
  }

  /** Adding a factor beside an existing one: the cooldown, unless the account is still being set up. */
  const markFactorAdded = async (userId: string, first: number | undefined) => {
    if (first !== undefined && clock.now().getTime() - first > ONBOARDING_MS) await markFactorsChanged(userId)
  }

  /** Recovery codes when this is the user's first second factor; none otherwise. */
  const codesIfFirst = async (userId: string, hadFactor: boolean) => (hadFactor ? [] : recovery.generate(userId))

  const beginTotp = async (session: ActiveSession) => totp.beginSetup(session.userId, (await emailOf(session.userId)).email)

  const enableTotp = async (session: ActiveSession, code: string, ctx: FactorContext) => {
    const had = hasSecondFactor(await factors.summary(session.userId))
    const first = await firstFactorAt(session.userId)
    await totp.confirm(session.userId, code)
    if (had) await markFactorAdded(session.userId, first)
    const recoveryCodes = await codesIfFirst(session.userId, had)
    await record(session, 'totp_enabled', 'totp_enabled', ctx)
    return { recoveryCodes, token: await sessions.rotate(session.sessionId) }
  }

  /** Removing the last factor also drops the recovery codes (they stand in for a factor, not beside nothing). */
  const dropCodesIfNoFactor = async (userId: string, tx: DbOrTx) => {
    if (!hasSecondFactor(await factors.summary(userId))) await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
  }

  const disableTotp = async (session: ActiveSession, ctx: FactorContext) => {
    if (!(await totp.disable(session.userId))) throw new AppError('NOT_FOUND', 'the authenticator app is not turned on')
    await markFactorsChanged(session.userId)
    await dropCodesIfNoFactor(session.userId, db)
    await record(session, 'totp_disabled', 'totp_disabled', ctx)
  }

  const regenerateRecoveryCodes = async (session: ActiveSession, ctx: FactorContext) => {
    if (!hasSecondFactor(await factors.summary(session.userId))) throw new AppError('CONFLICT', 'turn on an authenticator app or add a passkey first: recovery codes stand in for one')
    const codes = await recovery.generate(session.userId)
    await record(session, 'recovery_codes_regenerated', 'recovery_codes_regenerated', ctx)
    return codes
  }

  const passkeyOptions = async (session: ActiveSession) => {
    const u = await emailOf(session.userId)
    return passkeys.registrationOptions({ userId: session.userId, email: u.email, displayName: u.displayName, sessionId: session.sessionId })
  }

  const addPasskey = async (session: ActiveSession, response: RegistrationResponseJSON, name: string, ctx: FactorContext) => {
    const had = hasSecondFactor(await factors.summary(session.userId))
    const first = await firstFactorAt(session.userId)
    const added = await passkeys.verifyRegistration({ userId: session.userId, sessionId: session.sessionId, response, name })
    if (had) await markFactorAdded(session.userId, first)
    const codes = await codesIfFirst(session.userId, had)
    await record(session, 'passkey_added', 'passkey_added', ctx)
    if (onPasskeyAdded) await onPasskeyAdded(session.userId, added.id)
    return { ...added, recoveryCodes: codes, token: await sessions.rotate(session.sessionId) }
  }

  const removePasskey = async (session: ActiveSession, id: string, ctx: FactorContext) => {
    const [row] = await db.select({ credentialId: schema.passkeys.credentialId }).from(schema.passkeys).where(and(eq(schema.passkeys.id, id), eq(schema.passkeys.userId, session.userId))).limit(1)
    await passkeys.remove(session.userId, id)
    await markFactorsChanged(session.userId)
    if (row && onPasskeyRemoved) await onPasskeyRemoved(session.userId, row.credentialId)
    await dropCodesIfNoFactor(session.userId, db)
    await record(session, 'passkey_removed', 'passkey_removed', ctx)
  }

  return {
    beginTotp,
    enableTotp,
    disableTotp,
    regenerateRecoveryCodes,
    passkeyOptions,
    addPasskey,
    removePasskey,
    renamePasskey: (session: ActiveSession, id: string, name: string) => passkeys.rename(session.userId, id, name),
    listPasskeys: (session: ActiveSession) => passkeys.list(session.userId),
  }
}
export type FactorService = ReturnType<typeof createFactorService>
