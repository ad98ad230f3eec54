import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import { hashPassword, needsRehash, verifyPassword, argon2Params, type Argon2Params } from './password.js'
import type { AuthFactor, SessionContext, SessionService } from './session-service.js'
import { throttlePolicy, type LoginThrottle } from './login-throttle.js'
import type { Devices } from './devices.js'
import { describeDevice } from './devices.js'
import type { AccountTokens } from './account-tokens.js'
import type { AccountMailer } from './account-mail.js'
import type { Factors, SecondFactorMethod, SecondFactorProof } from './factors.js'
import type { PasskeyService } from './passkeys.js'
import { personalWorkspaceOf } from './workspace-store.js'
import { sessionIdleMinutesFor } from './idle-policy.js'

const { users, loginTickets } = schema

/** The one answer to every failed sign-in: no account enumeration by message (R28). */
export const LOGIN_FAILED = 'the email or the password is wrong'
const TICKET_FAILED = 'that code or passkey was not accepted; sign in again if this keeps happening'

/** The second step waits five minutes, for at most five wrong tries; then the password is asked again. */
const TICKET_TTL_MS = 5 * 60_000
const TICKET_MAX_FAILURES = 5
/** R33 (policy): a success after this many consecutive failures is announced to the owner. */
const SUSPICIOUS_FAILURES = 3
/** Policy: this many failures in a row is a burst the owner hears about (once; the lock at 10 follows). */
const FAILURE_BURST = 5

export type LoginContext = SessionContext & { requestId?: string | undefined; deviceCookie?: string | undefined }
export type SignedIn = { status: 'signed_in'; userId: string; token: string; sessionId: string; deviceCookie: string | undefined }
export type SecondFactorNeeded = { status: 'second_factor'; ticket: string; methods: SecondFactorMethod[] }

export type LoginDeps = {
  db: Db
  clock: Clock
  sessions: Pick<SessionService, 'createIn' | 'policy'>
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  alerts: Pick<Alerts, 'raiseIn'>
  throttle: Pick<LoginThrottle, 'check' | 'checkAddress' | 'failed' | 'failedAddress' | 'succeeded' | 'failuresOf'>
  devices: Pick<Devices, 'recognizeIn'>
  tokens: Pick<AccountTokens, 'issueIn'>
  mailer: AccountMailer
  factors: Pick<Factors, 'summary' | 'methods' | 'verify'>
  passkeys: Pick<PasskeyService, 'verifyAuthentication' | 'authenticationOptions'>
  /** argon2id parameters new hashes get; older, weaker hashes are rewritten at the next sign-in (R22). */
  passwordParams?: Argon2Params
}

/**
 * Sign-in: password, then the second factor when the user has one, or a passkey alone (passwordless).
 * Unknown accounts run the same path with a fixed dummy hash, so the work done (one argon2id
 * verification) and the answer are the same as for a wrong password (R28). Throttled attempts are
 * refused before any secret is checked (R24). A right password with a second factor gives only a
 * short-lived ticket; the session exists once the second factor is checked.
 */
export const createLoginService = (deps: LoginDeps) => {
  const { db, clock, sessions, audit, alerts, throttle, devices, tokens, mailer, factors, passkeys } = deps
  const params = deps.passwordParams ?? argon2Params
  // Computed once, up front (not awaited here): the first unknown-account attempt must not pay for it.
  const dummyHash = hashPassword('not a real password, only here to spend the same time', params)

  const auditFailure = (type: string, userId: string | undefined, ctx: LoginContext, details: Record<string, unknown>) =>
    audit.append({ workspaceId: null, type, actor: { type: 'user', id: userId }, outcome: 'failure', ip: ctx.ip, requestId: ctx.requestId, details })

  /** Counts a failure; when this one locks the account, its owner gets the unlock link (R24: lockout must not deny access). */
  const countFailure = async (email: string, userId: string | undefined, ctx: LoginContext) => {
    const failures = await throttle.failed(email, ctx.ip)
    if (userId && failures === FAILURE_BURST) {
      // Someone may be guessing the password: said once per burst, to the owner's own workspace.
      await db.transaction(async (tx) => {
        const workspaceId = await personalWorkspaceOf(tx, userId)
        if (workspaceId) await alerts.raiseIn(tx, { workspaceId, rule: 'login_failure_burst', severity: 'warning', details: { userId, failures, ip: ctx.ip ?? null, browser: describeDevice(ctx.userAgent) }, dedupKey: userId })
      })
    }
    if (userId && (failures === throttlePolicy.lockAfter || failures === throttlePolicy.ceiling)) {
      await db.transaction(async (tx) => {
        const link = await tokens.issueIn(tx, userId, 'unlock')
        await mailer.sendIn(tx, { userId, address: email }, { template: 'account_unlock', vars: { link } })
        await audit.appendIn(tx, { workspaceId: null, type: 'account_throttle_locked', actor: { type: 'system' }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { userId, failures } })
      })
    }
  }

  /** Creates the session, recognises the device, audits, and alerts on a new device — in one transaction. */
  const completeSignIn = async (user: { id: string; email: string }, factor: AuthFactor, ctx: LoginContext): Promise<SignedIn> => {
    const failuresBefore = await throttle.failuresOf(user.email)
    const signedIn = await db.transaction(async (tx) => {
      const device = await devices.recognizeIn(tx, user.id, ctx.deviceCookie, ctx)
      const session = await sessions.createIn(tx, user.id, ctx, { factor, idleMinutes: await sessionIdleMinutesFor(tx, user.id, sessions.policy), deviceId: device.deviceId })
      await audit.appendIn(tx, {
        workspaceId: null,
        type: 'login_succeeded',
        actor: { type: 'user', id: user.id },
        outcome: 'success',
        ip: ctx.ip,
        requestId: ctx.requestId,
        details: { factor, session: session.sessionId, device: device.deviceId, newDevice: device.isNew },
      })
      // The first device of an account is where it was made: nothing to warn about yet.
      if (device.isNew && !device.firstForUser) await announceNewDevice(tx, user, ctx)
      if (failuresBefore >= SUSPICIOUS_FAILURES) await announceSuccessAfterFailures(tx, user, failuresBefore, ctx)
      return { status: 'signed_in' as const, userId: user.id, ...session, deviceCookie: device.cookieToken }
    })
    await throttle.succeeded(user.email)
    return signedIn
  }

  /** R33: a success right after several failures may be a guess that finally worked. */
  const announceSuccessAfterFailures = async (tx: DbOrTx, user: { id: string; email: string }, failures: number, ctx: LoginContext) => {
    const time = clock.now().toISOString()
    const workspaceId = await personalWorkspaceOf(tx, user.id)
    if (workspaceId) await alerts.raiseIn(tx, { workspaceId, rule: 'signin_after_failures', severity: 'warning', details: { userId: user.id, failures, ip: ctx.ip ?? null, browser: describeDevice(ctx.userAgent) } })
    const notMeLink = await tokens.issueIn(tx, user.id, 'not_me', { since: time })
    await mailer.sendIn(tx, { userId: user.id, address: user.email }, { template: 'security_notice', vars: { change: 'signin_after_failures', time, ip: ctx.ip, detail: `${failures} failed attempts before it`, notMeLink } })
  }

  /** R33: an in-app alert and an email with time, IP, browser and a "this wasn't me" link. */
  const announceNewDevice = async (tx: DbOrTx, user: { id: string; email: string }, ctx: LoginContext) => {
    const time = clock.now().toISOString()
    const browser = describeDevice(ctx.userAgent)
    const workspaceId = await personalWorkspaceOf(tx, user.id)
    if (workspaceId) await alerts.raiseIn(tx, { workspaceId, rule: 'new_device', severity: 'warning', details: { userId: user.id, time, ip: ctx.ip ?? null, browser } })
    const notMeLink = await tokens.issueIn(tx, user.id, 'not_me', { since: time })
    await mailer.sendIn(tx, { userId: user.id, address: user.email }, { template: 'new_device', vars: { time, ip: ctx.ip ?? 'unknown', browser, notMeLink } })
  }

  const passwordStep = async (email: string, password: string, ctx: LoginContext): Promise<SignedIn | SecondFactorNeeded> => {
    try {
      await throttle.check(email, ctx.ip)
    } catch (err) {
      await audit.append({ workspaceId: null, type: 'login_throttled', actor: { type: 'user' }, outcome: 'denied', ip: ctx.ip, requestId: ctx.requestId, details: {} })
      throw err
    }
    const normalized = email.trim().toLowerCase()
    const [user] = await db
      .select({ id: users.id, email: users.email, passwordHash: users.passwordHash, disabledAt: users.disabledAt, lockedAt: users.lockedAt })
      .from(users)
      .where(eq(users.email, normalized))
      .limit(1)
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password)
    // A locked account ("this wasn't me") answers like a wrong password: the owner recovers by the emailed link.
    if (!user || !ok || user.disabledAt || user.lockedAt) {
      await countFailure(normalized, user?.id, ctx)
      await auditFailure('login_failed', user?.id, ctx, { factor: 'password' })
      throw new AppError('UNAUTHENTICATED', LOGIN_FAILED)
    }
    if (user.passwordHash && needsRehash(user.passwordHash, params)) {
      await db.update(users).set({ passwordHash: await hashPassword(password, params) }).where(eq(users.id, user.id))
    }
    const methods = factors.methods(await factors.summary(user.id))
    if (methods.length === 0) return completeSignIn(user, 'password', ctx)

    const ticket = randomToken(32)
    const now = clock.now()
    await db.insert(loginTickets).values({ id: newId(now.getTime()), tokenHash: sha256Hex(ticket), userId: user.id, createdAt: now, expiresAt: new Date(now.getTime() + TICKET_TTL_MS) })
    await audit.append({ workspaceId: null, type: 'login_password_accepted', actor: { type: 'user', id: user.id }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { methods } })
    return { status: 'second_factor', ticket, methods }
  }

  /** The live ticket, or UNAUTHENTICATED: used, expired, unknown or tried too often. */
  const liveTicket = async (ticket: string) => {
    const [row] = await db
      .select({ id: loginTickets.id, userId: loginTickets.userId, email: users.email, disabledAt: users.disabledAt, lockedAt: users.lockedAt })
      .from(loginTickets)
      .innerJoin(users, eq(users.id, loginTickets.userId))
      .where(
        and(eq(loginTickets.tokenHash, sha256Hex(ticket)), isNull(loginTickets.usedAt), gt(loginTickets.expiresAt, clock.now()), lt(loginTickets.failures, TICKET_MAX_FAILURES)),
      )
      .limit(1)
    if (!row || row.disabledAt || row.lockedAt) throw new AppError('UNAUTHENTICATED', 'the sign-in has expired: enter your email and password again')
    return row
  }

  /** Options for a passkey as the second factor, bound to this ticket. */
  const secondFactorPasskeyOptions = async (ticket: string) => {
    const row = await liveTicket(ticket)
    return passkeys.authenticationOptions({ purpose: 'second_factor', userId: row.userId, sessionId: row.id })
  }

  const secondFactorStep = async (ticket: string, proof: SecondFactorProof, ctx: LoginContext): Promise<SignedIn> => {
    const row = await liveTicket(ticket)
    try {
      await throttle.check(row.email, ctx.ip)
    } catch (err) {
      await audit.append({ workspaceId: null, type: 'login_throttled', actor: { type: 'user', id: row.userId }, outcome: 'denied', ip: ctx.ip, requestId: ctx.requestId, details: {} })
      throw err
    }
    // Each try is counted before the factor is checked, atomically: parallel guesses on one ticket get five
    // tries in all, never five each.
    const counted = await db
      .update(loginTickets)
      .set({ failures: sql`${loginTickets.failures} + 1` })
      .where(and(eq(loginTickets.id, row.id), isNull(loginTickets.usedAt), lt(loginTickets.failures, TICKET_MAX_FAILURES)))
      .returning({ id: loginTickets.id })
    if (counted.length === 0) throw new AppError('UNAUTHENTICATED', 'the sign-in has expired: enter your email and password again')
    let factor: AuthFactor
    try {
      factor = await factors.verify(row.userId, proof, { purpose: 'second_factor', bindingId: row.id })
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'UNAUTHENTICATED' && err.code !== 'OTP_REPLAY')) throw err
      await countFailure(row.email, row.userId, ctx)
      await auditFailure(err.code === 'OTP_REPLAY' ? 'otp_replay' : 'login_failed', row.userId, ctx, { factor: Object.keys(proof)[0] })
      // R33: a right password followed by a wrong second factor means someone may hold the password.
      await db.transaction(async (tx) => {
        const workspaceId = await personalWorkspaceOf(tx, row.userId)
        if (workspaceId)
          await alerts.raiseIn(tx, { workspaceId, rule: 'second_factor_failed', severity: 'warning', details: { userId: row.userId, ip: ctx.ip ?? null, browser: describeDevice(ctx.userAgent) }, dedupKey: row.userId })
      })
      throw err.code === 'OTP_REPLAY' ? err : new AppError('UNAUTHENTICATED', TICKET_FAILED)
    }
    const used = await db.update(loginTickets).set({ usedAt: clock.now() }).where(and(eq(loginTickets.id, row.id), isNull(loginTickets.usedAt))).returning({ id: loginTickets.id })
    if (used.length === 0) throw new AppError('UNAUTHENTICATED', 'the sign-in has expired: enter your email and password again')
    if (factor === 'recovery_code') {
      await db.transaction((tx) =>
        mailer.sendIn(tx, { userId: row.userId, address: row.email }, { template: 'security_notice', vars: { change: 'recovery_code_used', time: clock.now().toISOString(), ip: ctx.ip } }),
      )
    }
    return completeSignIn({ id: row.userId, email: row.email }, factor, ctx)
  }

  /** Passwordless: a discoverable passkey with user verification is both factors at once. */
  const passkeyOptions = () => passkeys.authenticationOptions({ purpose: 'login' })

  const passkeyLogin = async (response: AuthenticationResponseJSON, ctx: LoginContext): Promise<SignedIn> => {
    await throttle.checkAddress(ctx.ip)
    try {
      const result = await passkeys.verifyAuthentication({ purpose: 'login', response, requireUserVerification: true })
      const [user] = await db.select({ id: users.id, email: users.email, disabledAt: users.disabledAt, lockedAt: users.lockedAt }).from(users).where(eq(users.id, result.userId)).limit(1)
      if (!user || user.disabledAt || user.lockedAt) throw new AppError('UNAUTHENTICATED', 'that passkey could not be verified')
      return await completeSignIn(user, 'passkey_uv', ctx)
    } catch (err) {
      if (err instanceof AppError && err.code === 'UNAUTHENTICATED') {
        await throttle.failedAddress(ctx.ip)
        await auditFailure('login_failed', undefined, ctx, { factor: 'passkey' })
      }
      throw err
    }
  }

  return { passwordStep, secondFactorStep, secondFactorPasskeyOptions, passkeyOptions, passkeyLogin }
}
export type LoginService = ReturnType<typeof createLoginService>
