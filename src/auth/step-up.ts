import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { schema, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import { verifyPassword } from './password.js'
import type { ActiveSession, AuthFactor, SessionService } from './session-service.js'
import type { LoginThrottle } from './login-throttle.js'
import { hasSecondFactor, type Factors, type SecondFactorProof } from './factors.js'
import type { PasskeyService } from './passkeys.js'

const { users, memberships, workspaces } = schema

export type StepUpProof = SecondFactorProof | { password: string }
export type StepUpContext = { ip?: string | undefined; requestId?: string | undefined }

/**
 * Step-up (R32): sensitive actions need a proof of identity not older than five minutes. Users with a
 * second factor must use it (a password alone is what a thief would have); users without one use their
 * password. Owners and admins of a workspace whose policy asks for it must use a passkey with user
 * verification (R26). API tokens never satisfy step-up: they have no session.
 */
export const createStepUp = ({
  db,
  sessions,
  factors,
  passkeys,
  throttle,
  audit,
}: {
  db: Db
  sessions: Pick<SessionService, 'markAuthenticated' | 'stepUpUntil'>
  factors: Pick<Factors, 'summary' | 'verify'>
  passkeys: Pick<PasskeyService, 'authenticationOptions'>
  throttle: Pick<LoginThrottle, 'check' | 'failed' | 'succeeded'>
  audit: Pick<AuditChain, 'append'>
}) => {
  /** Workspaces where the user is owner/admin and the policy (explicit, or on by default for teams) asks for a passkey. */
  const passkeyRequired = async (userId: string, workspaceId?: string): Promise<boolean> => {
    const rows = await db
      .select({
        policy: workspaces.requirePasskeyForAdmins,
        members: sql<number>`(select count(*) from memberships m2 where m2.workspace_id = ${memberships.workspaceId})`,
      })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(
        and(eq(memberships.userId, userId), inArray(memberships.role, ['owner', 'admin']), isNull(workspaces.deletedAt), workspaceId ? eq(memberships.workspaceId, workspaceId) : undefined),
      )
    return rows.some((r) => r.policy ?? Number(r.members) > 1)
  }

  const passkeyOptions = (session: ActiveSession) => passkeys.authenticationOptions({ purpose: 'step_up', userId: session.userId, sessionId: session.sessionId })

  /** Checks a fresh proof and records it on the session. */
  const stepUp = async (session: ActiveSession, proof: StepUpProof, ctx: StepUpContext): Promise<{ stepUpUntil: Date; factor: AuthFactor }> => {
    await throttle.check(session.email, ctx.ip)
    const summary = await factors.summary(session.userId)
    let factor: AuthFactor
    try {
      if ('password' in proof) {
        if (hasSecondFactor(summary)) throw new AppError('SECOND_FACTOR_REQUIRED', 'confirm with your authenticator app, a passkey or a recovery code, not the password')
        const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, session.userId)).limit(1)
        if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, proof.password))) throw new AppError('UNAUTHENTICATED', 'that password is not right')
        factor = 'password'
      } else {
        factor = await factors.verify(session.userId, proof, { purpose: 'step_up', bindingId: session.sessionId })
      }
    } catch (err) {
      if (err instanceof AppError && (err.code === 'UNAUTHENTICATED' || err.code === 'OTP_REPLAY')) {
        await throttle.failed(session.email, ctx.ip)
        await audit.append({ workspaceId: null, type: err.code === 'OTP_REPLAY' ? 'otp_replay' : 'step_up_failed', actor: { type: 'user', id: session.userId }, outcome: 'failure', ...ctx, details: { factor: Object.keys(proof)[0] } })
        // A failed step-up must not read as "sign in first": the session is fine, the proof was not.
        if (err.code === 'UNAUTHENTICATED') throw new AppError('FORBIDDEN', err.message)
      }
      throw err
    }
    await throttle.succeeded(session.email)
    const stepUpUntil = await sessions.markAuthenticated(session.sessionId, factor)
    await audit.append({ workspaceId: null, type: 'step_up_succeeded', actor: { type: 'user', id: session.userId }, outcome: 'success', ...ctx, details: { factor } })
    return { stepUpUntil, factor }
  }

  /**
   * Guards a sensitive action.
   * `enrolment`: the action adds a second factor (the first passkey, an authenticator app). A user whom the
   * passkey policy covers but who has no passkey yet confirms it the usual way: asking them for a passkey
   * there would leave them no way to ever add one.
   * @throws AppError STEP_UP_REQUIRED (no fresh proof, or a weaker one than the user has),
   *   PHISHING_RESISTANT_FACTOR_REQUIRED (policy asks for a passkey and the user has none)
   */
  const require = async (session: ActiveSession, opts: { workspaceId?: string; enrolment?: boolean } = {}): Promise<void> => {
    const fresh = sessions.stepUpUntil(session) !== undefined
    if (await passkeyRequired(session.userId, opts.workspaceId)) {
      const hasPasskey = (await factors.summary(session.userId)).passkeys > 0
      if (!hasPasskey && opts.enrolment) return requireUsual(session, fresh)
      if (!hasPasskey) {
        throw new AppError('PHISHING_RESISTANT_FACTOR_REQUIRED', 'your workspace requires a passkey for this: add one under Security first', { reason: 'PASSKEY' })
      }
      if (!fresh || session.authenticatedWith !== 'passkey_uv') throw new AppError('STEP_UP_REQUIRED', 'confirm it is you with your passkey, then try again', { reason: 'PASSKEY' })
      return
    }
    return requireUsual(session, fresh)
  }

  /** Without the passkey policy: a fresh proof, made with the second factor when the user has one. */
  const requireUsual = async (session: ActiveSession, fresh: boolean): Promise<void> => {
    if (!fresh) throw new AppError('STEP_UP_REQUIRED', 'confirm it is you, then try again')
    if (session.authenticatedWith === 'password' && hasSecondFactor(await factors.summary(session.userId))) {
      throw new AppError('STEP_UP_REQUIRED', 'confirm it is you with your second factor, then try again')
    }
  }

  return { stepUp, require, passkeyOptions, passkeyRequired }
}
export type StepUp = ReturnType<typeof createStepUp>
