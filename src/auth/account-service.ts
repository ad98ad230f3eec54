import { and, eq, gte, isNull } from 'drizzle-orm'
import { AppError, systemErrorCode } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import { hashPassword, verifyPassword, argon2Params, type Argon2Params } from './password.js'
import { assertAcceptablePassword } from './password-policy.js'
import type { ActiveSession, SessionService } from './session-service.js'
import type { LoginThrottle } from './login-throttle.js'
import type { AccountTokens } from './account-tokens.js'
import { accountTokenTtlMinutes } from './account-tokens.js'
import type { AccountMailer, SecurityChange } from './account-mail.js'
import { hasSecondFactor, type Factors } from './factors.js'
import type { SignupPolicy } from './signup-policy.js'
import { findUserByEmail, hasOperator, insertUserWithWorkspace, personalWorkspaceOf } from './workspace-store.js'

const { users, workspaces } = schema

export type RequestContext = { ip?: string | undefined; requestId?: string | undefined }

/** R27 (policy): after a factor is replaced or removed, no new exchange key for 24 hours. */
export const FACTOR_COOLDOWN_MS = 24 * 3_600_000

const isUniqueViolation = (err: unknown) => systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown })?.cause) === '23505'

export type AccountDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  alerts: Pick<Alerts, 'raiseIn'>
  sessions: Pick<SessionService, 'revokeAllIn' | 'revokeOthersIn'>
  throttle: Pick<LoginThrottle, 'succeeded'>
  tokens: Pick<AccountTokens, 'issueIn' | 'consumeIn' | 'peek'>
  mailer: AccountMailer
  factors: Pick<Factors, 'summary'>
  signup: Pick<SignupPolicy, 'isOpen'>
  /** Whether a workspace invitation link admits this address (teams): an invitee may sign up where sign-up is closed. */
  admitsInvitee?: ((token: string, email: string) => Promise<boolean>) | undefined
  passwordParams?: Argon2Params
  /** Tells the signer a passkey is gone (it stops trusting it for confirmations). */
  onPasskeyRemoved?: (userId: string, credentialId: string) => Promise<void>
}

/**
 * Account life cycle: sign-up and email verification, password reset and change, email change, the
 * anti-phishing code, and the emailed unlock and "this wasn't me" links. Answers that could reveal
 * whether an address has an account (sign-up, reset request) are the same either way (R28); what
 * differs goes to the address's owner by email. Every change of a credential or contact is announced
 * to the channel it replaces (R34).
 */
export const createAccountService = (deps: AccountDeps) => {
  const { db, clock, audit, alerts, sessions, throttle, tokens, mailer, factors, signup } = deps

  /** API tokens are sessions of a kind: a reset or a "this wasn't me" ends them too. */
  const revokeApiTokensIn = (tx: DbOrTx, userId: string) =>
    tx.update(schema.apiTokens).set({ revokedAt: now() }).where(and(eq(schema.apiTokens.userId, userId), isNull(schema.apiTokens.revokedAt))).returning({ id: schema.apiTokens.id })
  const params = deps.passwordParams ?? argon2Params
  const now = () => clock.now()
  // Inside a transaction, reads go through `tx`: PGlite has one connection, and a read on `db` would wait for the transaction.
  const userRow = async (userId: string, tx: DbOrTx = db) => {
    const [u] = await tx.select().from(users).where(eq(users.id, userId)).limit(1)
    if (!u) throw new AppError('NOT_FOUND', 'account not found')
    return u
  }
  const notice = (tx: Parameters<AccountMailer['sendIn']>[0], user: { id: string; email: string }, change: SecurityChange, ctx: RequestContext, detail?: string) =>
    mailer.sendIn(tx, { userId: user.id, address: user.email }, { template: 'security_notice', vars: { change, time: now().toISOString(), ip: ctx.ip, detail } })
  /** The in-app side of a credential or contact change (R34), in the change's transaction: into the member's own workspace. */
  const alertChange = async (tx: DbOrTx, userId: string, rule: 'password_changed' | 'email_changed', ctx: RequestContext, details: Record<string, unknown> = {}) => {
    const workspaceId = await personalWorkspaceOf(tx, userId)
    if (workspaceId) await alerts.raiseIn(tx, { workspaceId, rule, details: { userId, ip: ctx.ip ?? null, ...details } })
  }

  const register = async (input: { email: string; password: string; displayName?: string | undefined; invitationToken?: string | undefined }, ctx: RequestContext): Promise<{ status: 'check_email' }> => {
    if (!(await hasOperator(db))) throw new AppError('FORBIDDEN', 'this instance has no operator yet: claim it with the setup token first')
    // Someone invited to a workspace may sign up with the invited address even where sign-up is closed; the
    // address still has to be verified before the invitation can be accepted.
    const invited = input.invitationToken !== undefined && (await deps.admitsInvitee?.(input.invitationToken, input.email)) === true
    if (!invited && !(await signup.isOpen())) throw new AppError('FORBIDDEN', 'sign-up is closed on this instance: ask its operator for an invitation')
    const displayName = input.displayName?.trim() || (input.email.split('@')[0] ?? input.email)
    assertAcceptablePassword(input.password, { userInputs: [input.email, input.email.split('@')[0] ?? '', displayName], secondFactor: false })
    // Hashed whether or not the address is taken, so both answers cost the same (R28).
    const passwordHash = await hashPassword(input.password, params)
    try {
      await db.transaction(async (tx) => {
        const existing = await findUserByEmail(tx, input.email)
        if (existing) {
          await notice(tx, { id: existing.id, email: input.email }, 'signup_attempt_existing', ctx)
          await audit.appendIn(tx, { workspaceId: null, type: 'signup_existing_email', actor: { type: 'user' }, outcome: 'denied', ...ctx, details: { userId: existing.id } })
          return
        }
        const ids = await insertUserWithWorkspace(tx, { email: input.email, displayName, passwordHash, isOperator: false }, 'Personal', now())
        const link = await tokens.issueIn(tx, ids.userId, 'verify_email')
        await mailer.sendIn(tx, { userId: ids.userId, address: input.email }, { template: 'verify_email', vars: { link } })
        await audit.appendIn(tx, { workspaceId: null, type: 'user_registered', actor: { type: 'user', id: ids.userId }, outcome: 'success', ...ctx, details: { userId: ids.userId } })
        await audit.appendIn(tx, { workspaceId: ids.workspaceId, type: 'workspace_created', actor: { type: 'user', id: ids.userId }, outcome: 'success', ...ctx, details: { name: 'Personal', personal: true } })
      })
    } catch (err) {
      // Two sign-ups for one address at once: the loser answers like any taken address.
      if (!isUniqueViolation(err)) throw err
    }
    return { status: 'check_email' }
  }

  const verifyEmail = async (token: string, ctx: RequestContext) =>
    db.transaction(async (tx) => {
      const { userId } = await tokens.consumeIn(tx, token, 'verify_email')
      await tx.update(users).set({ emailVerifiedAt: now() }).where(eq(users.id, userId))
      await audit.appendIn(tx, { workspaceId: null, type: 'email_verified', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: {} })
      return { verified: true as const }
    })

  const requestPasswordReset = async (email: string, ctx: RequestContext): Promise<{ status: 'check_email' }> => {
    await db.transaction(async (tx) => {
      const [user] = await tx.select({ id: users.id, disabledAt: users.disabledAt }).from(users).where(eq(users.email, email)).limit(1)
      if (!user || user.disabledAt) return
      const link = await tokens.issueIn(tx, user.id, 'reset_password')
      await mailer.sendIn(tx, { userId: user.id, address: email }, { template: 'password_reset', vars: { link, expiresMinutes: accountTokenTtlMinutes.reset_password } })
      await audit.appendIn(tx, { workspaceId: null, type: 'password_reset_requested', actor: { type: 'user', id: user.id }, outcome: 'success', ...ctx, details: {} })
    })
    return { status: 'check_email' }
  }

  /**
   * Sets a new password from an emailed link. Every session ends; a second factor stays (R27: a reset
   * never disables MFA), and it also lifts a "this wasn't me" lock — the link proves the mailbox.
   */
  const resetPassword = async (token: string, password: string, ctx: RequestContext) => {
    // Checked before the link is used up, so a rejected password leaves the link working.
    const { userId } = await tokens.peek(token, 'reset_password')
    const user = await userRow(userId)
    const secondFactor = hasSecondFactor(await factors.summary(userId))
    assertAcceptablePassword(password, { userInputs: [user.email, user.displayName], secondFactor })
    const passwordHash = await hashPassword(password, params)
    await db.transaction(async (tx) => {
      const used = await tokens.consumeIn(tx, token, 'reset_password')
      if (used.userId !== userId) throw new AppError('BAD_INPUT', 'this link is not valid any more')
      await tx.update(users).set({ passwordHash, passwordChangedAt: now(), lockedAt: null }).where(eq(users.id, userId))
      const ended = await sessions.revokeAllIn(tx, userId)
      await revokeApiTokensIn(tx, userId)
      await notice(tx, user, 'password_changed', ctx, 'by a reset link')
      await alertChange(tx, userId, 'password_changed', ctx, { via: 'reset_link' })
      await audit.appendIn(tx, { workspaceId: null, type: 'password_reset', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: { sessionsEnded: ended } })
    })
    await throttle.succeeded(user.email)
    return { status: 'password_changed' as const, secondFactorStillRequired: secondFactor }
  }

  /** Needs step-up (the route checks it) and the current password; other sessions end (R31). */
  const changePassword = async (session: ActiveSession, current: string, next: string, ctx: RequestContext) => {
    const user = await userRow(session.userId)
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) throw new AppError('FORBIDDEN', 'the current password is not right')
    assertAcceptablePassword(next, { userInputs: [user.email, user.displayName], secondFactor: hasSecondFactor(await factors.summary(user.id)) })
    const passwordHash = await hashPassword(next, params)
    await db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash, passwordChangedAt: now() }).where(eq(users.id, user.id))
      const ended = await sessions.revokeOthersIn(tx, user.id, session.sessionId)
      await notice(tx, user, 'password_changed', ctx)
      await alertChange(tx, user.id, 'password_changed', ctx, { via: 'settings' })
      await audit.appendIn(tx, { workspaceId: null, type: 'password_changed', actor: { type: 'user', id: user.id }, outcome: 'success', ...ctx, details: { sessionsEnded: ended } })
    })
  }

  /** Sends a confirmation link to the new address; nothing changes until it is used. */
  const requestEmailChange = async (session: ActiveSession, newEmail: string, ctx: RequestContext) => {
    const user = await userRow(session.userId)
    if (newEmail === user.email) throw new AppError('BAD_INPUT', 'newEmail: that is already your address')
    await db.transaction(async (tx) => {
      const link = await tokens.issueIn(tx, user.id, 'change_email', { newEmail })
      await mailer.sendIn(tx, { userId: user.id, address: newEmail }, { template: 'email_change_confirm', vars: { link, newEmail } })
      await audit.appendIn(tx, { workspaceId: null, type: 'email_change_requested', actor: { type: 'user', id: user.id }, outcome: 'success', ...ctx, details: {} })
    })
    return { status: 'check_email' as const }
  }

  const confirmEmailChange = async (token: string, ctx: RequestContext) => {
    try {
      return await db.transaction(async (tx) => {
        const { userId, payload } = await tokens.consumeIn(tx, token, 'change_email')
        const user = await userRow(userId, tx)
        const newEmail = String(payload.newEmail)
        await tx.update(users).set({ email: newEmail, emailVerifiedAt: now() }).where(eq(users.id, userId))
        // R34: the notice goes to the address being replaced.
        await notice(tx, user, 'email_changed', ctx, `new address: ${newEmail}`)
        await alertChange(tx, userId, 'email_changed', ctx)
        await audit.appendIn(tx, { workspaceId: null, type: 'email_changed', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: {} })
        return { status: 'email_changed' as const }
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'another account uses that address now', { cause: err })
      throw err
    }
  }

  /** Shown in every email we send (R35); step-up checked by the route. */
  const setAntiPhishingCode = async (session: ActiveSession, code: string, ctx: RequestContext) => {
    const user = await userRow(session.userId)
    await db.transaction(async (tx) => {
      await tx.update(users).set({ antiPhishingCode: code }).where(eq(users.id, user.id))
      await notice(tx, user, 'anti_phishing_code_changed', ctx)
      await audit.appendIn(tx, { workspaceId: null, type: 'anti_phishing_code_changed', actor: { type: 'user', id: user.id }, outcome: 'success', ...ctx, details: {} })
    })
  }

  /** The emailed unlock link after too many failed sign-ins (R24): the right credentials work again at once. */
  const unlock = async (token: string, ctx: RequestContext) => {
    const email = await db.transaction(async (tx) => {
      const { userId } = await tokens.consumeIn(tx, token, 'unlock')
      const user = await userRow(userId, tx)
      await audit.appendIn(tx, { workspaceId: null, type: 'account_unlocked', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: {} })
      return user.email
    })
    await throttle.succeeded(email)
    return { status: 'unlocked' as const }
  }

  /**
   * "This wasn't me" from a new-device email (R33): every session ends and the account is locked until
   * its owner sets a new password through the reset link sent now.
   */
  const notMe = async (token: string, ctx: RequestContext) => {
    const removed: string[] = []
    let owner = ''
    const result = await db.transaction(async (tx) => {
      const { userId, payload } = await tokens.consumeIn(tx, token, 'not_me')
      owner = userId
      const user = await userRow(userId, tx)
      await tx.update(users).set({ lockedAt: now() }).where(eq(users.id, userId))
      const ended = await sessions.revokeAllIn(tx, userId)
      const tokensRevoked = (await revokeApiTokensIn(tx, userId)).length
      // Whatever was added since the sign-in the owner disowns is the intruder's: passkeys and an authenticator app.
      const since = typeof payload.since === 'string' ? new Date(payload.since) : undefined
      if (since && !Number.isNaN(since.getTime())) {
        const gone = await tx.delete(schema.passkeys).where(and(eq(schema.passkeys.userId, userId), gte(schema.passkeys.createdAt, since))).returning({ credentialId: schema.passkeys.credentialId })
        removed.push(...gone.map((g) => g.credentialId))
        await tx.delete(schema.totpCredentials).where(and(eq(schema.totpCredentials.userId, userId), gte(schema.totpCredentials.createdAt, since)))
      }
      const link = await tokens.issueIn(tx, userId, 'reset_password')
      await mailer.sendIn(tx, { userId, address: user.email }, { template: 'password_reset', vars: { link, expiresMinutes: accountTokenTtlMinutes.reset_password } })
      const workspaceId = await personalWorkspaceOf(tx, userId)
      if (workspaceId) await alerts.raiseIn(tx, { workspaceId, rule: 'account_locked_by_owner', severity: 'critical', details: { userId, ip: ctx.ip ?? null } })
      await audit.appendIn(tx, {
        workspaceId: null,
        type: 'account_locked',
        actor: { type: 'user', id: userId },
        outcome: 'success',
        ...ctx,
        details: { via: 'not_me', sessionsEnded: ended, scriptGrantsRevoked: tokensRevoked, authenticatorsRemoved: removed.length },
      })
      return { status: 'locked' as const }
    })
    for (const credentialId of removed) await deps.onPasskeyRemoved?.(owner, credentialId)
    return result
  }

  /**
   * Before any exchange key is connected: a verified email, and (workspace policy, default on) a second
   * factor (R26 as amended).
   * @throws AppError EMAIL_NOT_VERIFIED, SECOND_FACTOR_REQUIRED
   */
  const assertMayConnectKeys = async (userId: string, workspaceId: string) => {
    const user = await userRow(userId)
    if (!user.emailVerifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'verify your email address first: use the link we sent you')
    // R27: after a second factor was replaced or removed, someone who took over the account must not get keys in at once.
    const cooldownEnds = user.factorsChangedAt ? user.factorsChangedAt.getTime() + FACTOR_COOLDOWN_MS : 0
    if (cooldownEnds > now().getTime()) {
      throw new AppError('FORBIDDEN', `your sign-in factors changed recently: exchange keys can be connected again after ${new Date(cooldownEnds).toISOString()} (a safety wait of 24 hours)`, { reason: 'FACTOR_COOLDOWN' })
    }
    const [ws] = await db.select({ require2fa: workspaces.requireTwoFactorForKeys }).from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1)
    if ((ws?.require2fa ?? true) && !hasSecondFactor(await factors.summary(userId))) {
      throw new AppError('SECOND_FACTOR_REQUIRED', 'turn on two-factor sign-in (authenticator app or passkey) before connecting an exchange key')
    }
  }

  return { register, verifyEmail, requestPasswordReset, resetPassword, changePassword, requestEmailChange, confirmEmailChange, setAntiPhishingCode, unlock, notMe, assertMayConnectKeys }
}
export type AccountService = ReturnType<typeof createAccountService>
