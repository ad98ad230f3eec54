import { randomBytes } from 'node:crypto'
import { and, asc, count as countRows, eq, gt, isNull, lt, lte, or, type SQL } from 'drizzle-orm'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { newId, uuidPattern } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'

const { passkeys, webauthnChallenges, memberships } = schema

/**
 * Passkeys (SECURITY.md R25, R26). Invariants:
 * - A challenge is 256 random bits (or ≥ 128 bits supplied by the caller), used at most once, bound to
 *   its purpose, user and session, and dead after five minutes. "Used once" is the database's job: a
 *   conditional UPDATE that also checks the binding and the expiry, never a read followed by a write.
 * - Origin and rpId must match exactly; user presence is always required; user verification is
 *   required for step-up and confirmations whatever the caller asks for.
 * - A counter that does not move forward (when it is non-zero) is refused and raised as a possible
 *   cloned authenticator, only after the signature checked out (so nobody can raise it with junk).
 * - Every failure is the same UNAUTHENTICATED answer; why it failed goes to the audit log only.
 *
 * Audit details avoid field names the secret filter refuses (anything with "pass", "credential",
 * "session id"): a passkey is `authenticator`, a session `session`.
 */

export const PASSKEY_FAILED = 'the passkey could not be verified: try again'
export const CHALLENGE_TTL_MS = 5 * 60_000
const CHALLENGE_BYTES = 32
const MIN_CHALLENGE_BYTES = 16
const MAX_CHALLENGE_BYTES = 64
const NAME_MAX = 60
/** WebAuthn caps credential ids at 1023 bytes; base64url makes that 1364 characters. */
const CREDENTIAL_ID_MAX_CHARS = 1364
/** The algorithms we offer and accept: Ed25519, ES256, RS256. */
const ALGORITHMS = [-8, -7, -257]
const TRANSPORTS: readonly AuthenticatorTransportFuture[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']

export type AssertionPurpose = 'login' | 'second_factor' | 'step_up' | 'confirm'
type ChallengePurpose = AssertionPurpose | 'register'
type RequestContext = { ip?: string | undefined; requestId?: string | undefined }

export type PasskeyDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  alerts: Pick<Alerts, 'raise'>
  /** The hostname of PUBLIC_ORIGIN. */
  rpId: string
  rpName: string
  /** PUBLIC_ORIGIN. */
  origin: string
}

export type PasskeyView = {
  id: string
  name: string
  deviceType: string
  backedUp: boolean
  transports: string[]
  createdAt: string
  lastUsedAt: string | null
}

export type RegistrationOptionsInput = { userId: string; email: string; displayName: string; sessionId: string }
export type VerifyRegistrationInput = RequestContext & { userId: string; sessionId: string; response: RegistrationResponseJSON; name?: string | undefined }
export type AuthenticationOptionsInput = {
  purpose: AssertionPurpose
  /** Required for every purpose but 'login' (passwordless: the assertion says who it is). */
  userId?: string | undefined
  sessionId?: string | undefined
  /** Caller-chosen challenge bytes (≥ 16); required for 'confirm', where it is the hash of the operation. */
  challenge?: Uint8Array | undefined
}
export type VerifyAuthenticationInput = RequestContext & {
  purpose: AssertionPurpose
  response: AuthenticationResponseJSON
  userId?: string | undefined
  sessionId?: string | undefined
  /** Forced on for 'step_up' and 'confirm'. */
  requireUserVerification: boolean
  /** Required for 'confirm': the operation hash the assertion must have signed. */
  expectedChallenge?: Uint8Array | undefined
}
export type VerifiedAssertion = { userId: string; passkeyId: string; userVerified: boolean }

/** The WebAuthn user handle: the 16 bytes of our user id, so it never carries the email. */
export const passkeyUserHandle = (userId: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'))

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const fromB64url = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(text, 'base64url'))

const isUniqueViolation = (err: unknown) => systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown } | null)?.cause) === '23505'

/** The challenge the client says it signed; we look it up rather than trusting anything else in the response. */
const challengeOf = (clientDataJSON: unknown): string | undefined => {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 8192) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }
    return typeof parsed.challenge === 'string' && parsed.challenge.length > 0 && parsed.challenge.length <= 128 ? parsed.challenge : undefined
  } catch {
    return undefined
  }
}

const validName = (name: string): string => {
  const trimmed = name.trim()
  if (trimmed.length < 1 || trimmed.length > NAME_MAX) throw new AppError('BAD_INPUT', `name: a passkey name is 1 to ${NAME_MAX} characters`)
  return trimmed
}

/** Internal: a refusal whose reason is for the audit log, never for the response. */
class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly userId?: string,
    readonly detail?: string,
  ) {
    super(reason)
  }
}

/** The library reports every verification failure by throwing a plain Error; those are refusals. */
const libraryVerdict = async <T>(userId: string | undefined, check: () => Promise<T>): Promise<T> => {
  try {
    return await check()
  } catch (err) {
    throw new Refusal('verification_failed', userId, err instanceof Error ? err.message : String(err))
  }
}

const matches = (column: typeof webauthnChallenges.userId | typeof webauthnChallenges.sessionId, value: string | null): SQL =>
  value === null ? isNull(column) : eq(column, value)

export const createPasskeyService = ({ db, clock, audit, alerts, rpId, rpName, origin }: PasskeyDeps) => {
  // Exactly one origin, in the form browsers put in clientDataJSON (no trailing slash, no path).
  const expectedOrigin = new URL(origin).origin
  const originHost = new URL(origin).hostname
  if (originHost !== rpId && !originHost.endsWith(`.${rpId}`)) throw new Error(`rpId "${rpId}" is not the origin's host or a parent of it`)

  const issueChallenge = async (purpose: ChallengePurpose, challenge: string, userId: string | null, sessionId: string | null) => {
    const now = clock.now()
    const inserted = await db
      .insert(webauthnChallenges)
      .values({ id: newId(now.getTime()), challenge, purpose, userId, sessionId, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) })
      .onConflictDoNothing({ target: webauthnChallenges.challenge })
      .returning({ id: webauthnChallenges.id })
    if (inserted.length > 0) return
    // Only a caller-supplied challenge can collide: the same operation asked to be confirmed again. A prompt
    // the user dismissed left it unused: re-issue it (for this user and session, with a fresh expiry).
    if (purpose === 'confirm') {
      const reissued = await db
        .update(webauthnChallenges)
        .set({ userId, sessionId, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) })
        .where(and(eq(webauthnChallenges.challenge, challenge), eq(webauthnChallenges.purpose, 'confirm'), isNull(webauthnChallenges.usedAt)))
        .returning({ id: webauthnChallenges.id })
      if (reissued.length > 0) return
    }
    throw new AppError('CONFLICT', 'this challenge was issued before: include a fresh nonce in the operation')
  }

  /** Single use, enforced by the database: the row is claimed only if unused, unexpired and bound as expected. */
  const consumeChallenge = async (challenge: string | undefined, purpose: ChallengePurpose, userId: string | null, sessionId: string | null) => {
    if (challenge === undefined) throw new Refusal('malformed_client_data', userId ?? undefined)
    const now = clock.now()
    const claimed = await db
      .update(webauthnChallenges)
      .set({ usedAt: now })
      .where(
        and(
          eq(webauthnChallenges.challenge, challenge),
          eq(webauthnChallenges.purpose, purpose),
          isNull(webauthnChallenges.usedAt),
          gt(webauthnChallenges.expiresAt, now),
          matches(webauthnChallenges.userId, userId),
          matches(webauthnChallenges.sessionId, sessionId),
        ),
      )
      .returning({ id: webauthnChallenges.id })
    if (claimed.length === 0) throw new Refusal('challenge_unknown_used_expired_or_unbound', userId ?? undefined)
  }

  const refused = async (err: unknown, purpose: ChallengePurpose, ctx: RequestContext, fallbackUserId?: string): Promise<never> => {
    // Only refusals become the generic 401: a database outage or a bug must not look like a bad passkey.
    if (!(err instanceof Refusal)) throw err
    const refusal = err
    const userId = refusal.userId ?? fallbackUserId
    await audit.append({
      workspaceId: null,
      type: 'passkey_failed',
      actor: { type: 'user', id: userId },
      outcome: 'failure',
      ip: ctx.ip,
      requestId: ctx.requestId,
      // Library messages name the origin or challenge the client sent: useful, not secret, bounded.
      details: { purpose, reason: refusal.reason, ...(refusal.detail ? { detail: refusal.detail.slice(0, 300) } : {}) },
    })
    throw new AppError('UNAUTHENTICATED', PASSKEY_FAILED)
  }

  const userPasskeys = (userId: string) => db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id))

  const transportsOf = (value: unknown): AuthenticatorTransportFuture[] =>
    Array.isArray(value) ? value.filter((t): t is AuthenticatorTransportFuture => TRANSPORTS.includes(t as AuthenticatorTransportFuture)) : []

  const registrationOptions = async ({ userId, email, displayName, sessionId }: RegistrationOptionsInput): Promise<PublicKeyCredentialCreationOptionsJSON> => {
    const existing = await userPasskeys(userId)
    const options = await generateRegistrationOptions({
      rpName,
      rpID: rpId,
      userName: email,
      userID: passkeyUserHandle(userId),
      userDisplayName: displayName,
      challenge: new Uint8Array(randomBytes(CHALLENGE_BYTES)),
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p.transports) })),
      // A fresh object each call: the library writes requireResidentKey into the one it is given.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: ALGORITHMS,
    })
    await issueChallenge('register', options.challenge, userId, sessionId)
    return options
  }

  const verifyRegistration = async ({ userId, sessionId, response, name, ip, requestId }: VerifyRegistrationInput): Promise<{ id: string; name: string }> => {
    const label = validName(name ?? 'Passkey')
    const ctx = { ip, requestId }
    try {
      const challenge = challengeOf(response?.response?.clientDataJSON)
      await consumeChallenge(challenge, 'register', userId, sessionId)
      const verification = await libraryVerdict(userId, () =>
        verifyRegistrationResponse({
          response,
          expectedChallenge: challenge ?? '',
          expectedOrigin,
          expectedRPID: rpId,
          requireUserPresence: true,
          requireUserVerification: false,
          supportedAlgorithmIDs: ALGORITHMS,
        }),
      )
      const info = verification.registrationInfo
      if (!verification.verified || !info) throw new Refusal('attestation_not_verified', userId)
      // The library takes the id from authData without comparing it to the one the client reported.
      if (info.credential.id !== response.id || info.credential.id.length > CREDENTIAL_ID_MAX_CHARS) throw new Refusal('credential_id_mismatch', userId)
      const now = clock.now()
      const id = newId(now.getTime())
      try {
        await db.transaction(async (tx) => {
          await tx.insert(passkeys).values({
            id,
            userId,
            credentialId: info.credential.id,
            publicKey: b64url(info.credential.publicKey),
            counter: info.credential.counter,
            transports: transportsOf(info.credential.transports),
            name: label,
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
            createdAt: now,
          })
          await audit.appendIn(tx, {
            workspaceId: null,
            type: 'passkey_registered',
            actor: { type: 'user', id: userId },
            outcome: 'success',
            ...ctx,
            details: { authenticator: id, name: label, deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, userVerified: info.userVerified },
          })
        })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        await audit.append({ workspaceId: null, type: 'passkey_failed', actor: { type: 'user', id: userId }, outcome: 'failure', ...ctx, details: { purpose: 'register', reason: 'already_registered' } })
        throw new AppError('CONFLICT', 'this passkey is already registered', { cause: err })
      }
      return { id, name: label }
    } catch (err) {
      return refused(err, 'register', ctx, userId)
    }
  }

  const authenticationOptions = async ({ purpose, userId, sessionId, challenge }: AuthenticationOptionsInput): Promise<PublicKeyCredentialRequestOptionsJSON> => {
    if (purpose === 'login' && userId !== undefined) throw new AppError('BAD_INPUT', 'a passwordless sign-in is not bound to a user')
    if (purpose !== 'login' && userId === undefined) throw new AppError('BAD_INPUT', `a ${purpose} passkey check needs the user`)
    if (purpose === 'confirm' && challenge === undefined) throw new AppError('BAD_INPUT', 'a confirmation needs the hash of the operation as its challenge')
    if (challenge !== undefined && (challenge.length < MIN_CHALLENGE_BYTES || challenge.length > MAX_CHALLENGE_BYTES)) {
      throw new AppError('BAD_INPUT', `a challenge is ${MIN_CHALLENGE_BYTES} to ${MAX_CHALLENGE_BYTES} bytes`)
    }
    const allowCredentials = userId === undefined ? [] : (await userPasskeys(userId)).map((p) => ({ id: p.credentialId, transports: transportsOf(p.transports) }))
    if (userId !== undefined && allowCredentials.length === 0) throw new AppError('BAD_INPUT', 'this account has no passkey')
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      allowCredentials,
      challenge: new Uint8Array(challenge ?? randomBytes(CHALLENGE_BYTES)),
      timeout: CHALLENGE_TTL_MS,
      userVerification: purpose === 'step_up' || purpose === 'confirm' ? 'required' : 'preferred',
    })
    await issueChallenge(purpose, options.challenge, userId ?? null, sessionId ?? null)
    return options
  }

  /** Refused and raised: the signature is good but the counter went backwards (R25). */
  const cloneSuspected = async (row: typeof passkeys.$inferSelect, receivedCounter: number, purpose: AssertionPurpose, ctx: RequestContext) => {
    const facts = { userId: row.userId, authenticator: row.id, name: row.name, storedCounter: row.counter, receivedCounter, purpose }
    await audit.append({ workspaceId: null, type: 'authenticator_clone_suspected', actor: { type: 'user', id: row.userId }, outcome: 'denied', ...ctx, details: facts })
    // Raised where the people who can act on it look: every workspace the user belongs to (the personal
    // one included); an account without any goes to the operator.
    const workspaces = await db.select({ id: memberships.workspaceId }).from(memberships).where(eq(memberships.userId, row.userId))
    const targets = workspaces.length > 0 ? workspaces.map((w) => w.id) : [null]
    for (const workspaceId of targets) {
      await alerts.raise({ workspaceId, rule: 'authenticator_clone_suspected', severity: 'critical', details: facts, dedupKey: row.id })
    }
    throw new Refusal('counter_regression', row.userId)
  }

  const verifyAuthentication = async (input: VerifyAuthenticationInput): Promise<VerifiedAssertion> => {
    const { purpose, response, sessionId, ip, requestId } = input
    const ctx = { ip, requestId }
    const userId = purpose === 'login' ? undefined : input.userId
    try {
      if (purpose !== 'login' && userId === undefined) throw new AppError('BAD_INPUT', `a ${purpose} passkey check needs the user`)
      if (purpose === 'confirm' && input.expectedChallenge === undefined) throw new AppError('BAD_INPUT', 'a confirmation needs the hash of the operation')
      const challenge = challengeOf(response?.response?.clientDataJSON)
      if (input.expectedChallenge !== undefined && challenge !== b64url(input.expectedChallenge)) throw new Refusal('challenge_not_the_expected_operation', userId)
      await consumeChallenge(challenge, purpose, userId ?? null, sessionId ?? null)

      const credentialId = typeof response.id === 'string' && response.id.length <= CREDENTIAL_ID_MAX_CHARS ? response.id : ''
      const [row] = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId)).limit(1)
      if (!row) throw new Refusal('unknown_credential', userId)
      if (userId !== undefined && row.userId !== userId) throw new Refusal('credential_of_another_user', userId)
      const userHandle = response.response.userHandle
      if (userHandle && userHandle !== b64url(passkeyUserHandle(row.userId))) throw new Refusal('user_handle_mismatch', row.userId)

      const requireUserVerification = input.requireUserVerification || purpose === 'step_up' || purpose === 'confirm'
      const { verified, authenticationInfo } = await libraryVerdict(row.userId, () =>
        verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge ?? '',
          expectedOrigin,
          expectedRPID: rpId,
          requireUserVerification,
          // Counter 0 turns the library's own counter check off: it throws a plain Error before checking the
          // signature, and a regression must be told apart (and only believed with a valid signature).
          credential: { id: row.credentialId, publicKey: fromB64url(row.publicKey), counter: 0, transports: transportsOf(row.transports) },
        }),
      )
      if (!verified) throw new Refusal('bad_signature', row.userId)

      const received = authenticationInfo.newCounter
      if (row.counter > 0 && received <= row.counter) await cloneSuspected(row, received, purpose, ctx)
      // The same rule again in the UPDATE: two assertions racing with one counter value cannot both pass.
      const updated = await db
        .update(passkeys)
        .set({ counter: received, lastUsedAt: clock.now(), backedUp: authenticationInfo.credentialBackedUp })
        .where(and(eq(passkeys.id, row.id), or(eq(passkeys.counter, 0), lt(passkeys.counter, received))))
        .returning({ id: passkeys.id })
      if (updated.length === 0) await cloneSuspected(row, received, purpose, ctx)
      return { userId: row.userId, passkeyId: row.id, userVerified: authenticationInfo.userVerified }
    } catch (err) {
      return refused(err, purpose, ctx, userId)
    }
  }

  const list = async (userId: string): Promise<PasskeyView[]> =>
    (await userPasskeys(userId)).map((p) => ({
      id: p.id,
      name: p.name,
      deviceType: p.deviceType,
      backedUp: p.backedUp,
      transports: transportsOf(p.transports),
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    }))

  /** Another user's passkey is NOT_FOUND, like one that does not exist. */
  const rename = async (userId: string, id: string, name: string): Promise<{ id: string; name: string }> => {
    const label = validName(name)
    if (!uuidPattern.test(id)) throw new AppError('NOT_FOUND', `passkey "${id}" not found`)
    const updated = await db.update(passkeys).set({ name: label }).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning({ id: passkeys.id })
    if (updated.length === 0) throw new AppError('NOT_FOUND', `passkey "${id}" not found`)
    return { id, name: label }
  }

  /** Whether removing the last passkey is allowed (R26 policy for owners and admins) is the caller's decision. */
  const remove = async (userId: string, id: string, ctx: RequestContext = {}): Promise<void> => {
    if (!uuidPattern.test(id)) throw new AppError('NOT_FOUND', `passkey "${id}" not found`)
    await db.transaction(async (tx) => {
      const deleted = await tx.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning({ id: passkeys.id, name: passkeys.name })
      const [row] = deleted
      if (!row) throw new AppError('NOT_FOUND', `passkey "${id}" not found`)
      await audit.appendIn(tx, { workspaceId: null, type: 'passkey_removed', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: { authenticator: id, name: row.name } })
    })
  }

  const count = async (userId: string): Promise<number> => {
    const [row] = await db.select({ n: countRows() }).from(passkeys).where(eq(passkeys.userId, userId))
    return row?.n ?? 0
  }

  /** Deletes challenges that can no longer be used; for a periodic job. Returns how many went. */
  const purgeExpiredChallenges = async (): Promise<number> => {
    const gone = await db.delete(webauthnChallenges).where(lte(webauthnChallenges.expiresAt, clock.now())).returning({ id: webauthnChallenges.id })
    return gone.length
  }

  return { registrationOptions, verifyRegistration, authenticationOptions, verifyAuthentication, list, rename, remove, count, purgeExpiredChallenges }
}

export type PasskeyService = ReturnType<typeof createPasskeyService>
