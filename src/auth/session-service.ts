import { createHmac } from 'node:crypto'
import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, safeEqual, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import { describeDevice } from './devices.js'
import type { AuditChain } from '../monitoring/index.js'

const { sessions, users } = schema

export const SESSION_COOKIE = '__Host-sid'

export type SessionPolicy = { idleMinutes: number; privilegedIdleMinutes: number; absoluteHours: number; stepUpMinutes: number }
/** SECURITY.md R30 and R32: idle 30 minutes (15 for owners/admins of a team), absolute 12 hours; step-up lasts 5 minutes. */
export const defaultSessionPolicy: SessionPolicy = { idleMinutes: 30, privilegedIdleMinutes: 15, absoluteHours: 12, stepUpMinutes: 5 }

/** How the user last proved who they are. `passkey_uv` is a passkey with user verification (phishing-resistant, R26). */
export type AuthFactor = 'password' | 'totp' | 'recovery_code' | 'passkey' | 'passkey_uv'

export type SessionContext = { ip?: string | undefined; userAgent?: string | undefined }
export type ActiveSession = {
  sessionId: string
  userId: string
  email: string
  authenticatedAt: Date
  authenticatedWith: AuthFactor
}

/** Last-seen writes are coalesced: at most one per session per minute, so a busy dashboard costs no writes. */
const TOUCH_EVERY_MS = 60_000
/** How long a read session may be reused (R31: a revocation elsewhere shows within 1 s). */
const CACHE_TTL_MS = 1_000
const CACHE_MAX = 10_000

/**
 * Sessions: opaque 256-bit tokens, stored only as SHA-256, checked for revocation, idle and absolute
 * expiry on every request (R29–R31). There is no session cache: a revoked session fails on its next
 * request. The CSRF token is an HMAC of the session id under the platform's CSRF key, so it needs no
 * storage and dies with the session.
 */
export const createSessionService = ({
  db,
  clock,
  csrfKey,
  policy = defaultSessionPolicy,
  audit,
}: {
  db: Db
  clock: Clock
  csrfKey: Buffer
  policy?: SessionPolicy
  /** Records sign-outs and revocations (R36: every session event). */
  audit?: Pick<AuditChain, 'append'> | undefined
}) => {
  /** A new session in the caller's transaction; the token is returned once and never stored. */
  const createIn = async (
    tx: DbOrTx,
    userId: string,
    ctx: SessionContext,
    /** `idleMinutes` (sign-in computes it from the workspace policies, auth/idle-policy.ts) wins over `privileged`. */
    opts: { factor: AuthFactor; privileged?: boolean; idleMinutes?: number; deviceId?: string | undefined } = { factor: 'password' },
  ): Promise<{ token: string; sessionId: string }> => {
    const now = clock.now()
    const token = randomToken(32)
    const sessionId = newId(now.getTime())
    await tx.insert(sessions).values({
      id: sessionId,
      tokenHash: sha256Hex(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      authenticatedWith: opts.factor,
      idleMinutes: opts.idleMinutes ?? (opts.privileged ? policy.privilegedIdleMinutes : policy.idleMinutes),
      deviceId: opts.deviceId ?? null,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + policy.absoluteHours * 3_600_000),
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent?.slice(0, 300) ?? null,
    })
    return { token, sessionId }
  }
  const create = (userId: string, ctx: SessionContext, opts?: Parameters<typeof createIn>[3]) => createIn(db, userId, ctx, opts)

  /**
   * Recently read sessions, for at most CACHE_TTL_MS of the injected clock: a busy dashboard then costs
   * one lookup per second per session, not one per request. Every change this service makes to a
   * session drops its entry at once; a change made by another api instance shows within CACHE_TTL_MS,
   * which is the bound on "a revoked session stops working" (R31: within 1 s).
   */
  type Cached = { row: typeof sessions.$inferSelect; email: string; blocked: boolean; at: number }
  const cache = new Map<string, Cached>()
  const forgetSession = (sessionId: string) => {
    for (const [hash, c] of cache) if (c.row.id === sessionId) cache.delete(hash)
  }
  const forgetUser = (userId: string) => {
    for (const [hash, c] of cache) if (c.row.userId === userId) cache.delete(hash)
  }

  const lookup = async (tokenHash: string, now: number): Promise<Cached | undefined> => {
    const hit = cache.get(tokenHash)
    if (hit && now - hit.at < CACHE_TTL_MS) return hit
    const [row] = await lookupQuery.execute({ tokenHash })
    if (!row) {
      cache.delete(tokenHash)
      return undefined
    }
    const fresh: Cached = { row: row.s, email: row.email, blocked: row.disabledAt !== null || row.lockedAt !== null, at: now }
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string)
    cache.set(tokenHash, fresh)
    return fresh
  }
  const lookupQuery = db
    .select({ s: sessions, email: users.email, disabledAt: users.disabledAt, lockedAt: users.lockedAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sql.placeholder('tokenHash')))
    .limit(1)
    .prepare('session_by_token')

  /** The session a token belongs to, if it is live; touches last-seen (coalesced). */
  const authenticate = async (token: string): Promise<ActiveSession | undefined> => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined
    const now = clock.now().getTime()
    const found = await lookup(sha256Hex(token), now)
    if (!found) return undefined
    const s = found.row
    if (s.revokedAt || found.blocked || s.expiresAt.getTime() <= now || now - s.lastSeenAt.getTime() > s.idleMinutes * 60_000) return undefined
    if (now - s.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await db.update(sessions).set({ lastSeenAt: new Date(now) }).where(eq(sessions.id, s.id))
      found.row = { ...s, lastSeenAt: new Date(now) }
    }
    return { sessionId: s.id, userId: s.userId, email: found.email, authenticatedAt: s.authenticatedAt, authenticatedWith: s.authenticatedWith as AuthFactor }
  }

  /** Records a fresh proof of identity on the session (step-up, R32). */
  const markAuthenticated = async (sessionId: string, factor: AuthFactor): Promise<Date> => {
    const now = clock.now()
    await db.update(sessions).set({ authenticatedAt: now, authenticatedWith: factor }).where(eq(sessions.id, sessionId))
    forgetSession(sessionId)
    return new Date(now.getTime() + policy.stepUpMinutes * 60_000)
  }

  /** Until when the session's last proof counts for sensitive actions; undefined when it is older. */
  const stepUpUntil = (session: Pick<ActiveSession, 'authenticatedAt'>): Date | undefined => {
    const until = session.authenticatedAt.getTime() + policy.stepUpMinutes * 60_000
    return until > clock.now().getTime() ? new Date(until) : undefined
  }

  /** A new token for the same session (R29: after sign-in proofs and factor enrolment), so a token seen before is worthless. */
  const rotate = async (sessionId: string): Promise<string> => {
    const token = randomToken(32)
    await db.update(sessions).set({ tokenHash: sha256Hex(token) }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    forgetSession(sessionId)
    return token
  }

  /** `how`: the user signed out of this session, or ended it from another one. */
  const revoke = async (userId: string, sessionId: string, ctx: { how?: 'signed_out' | 'revoked'; ip?: string; requestId?: string } = {}): Promise<void> => {
    const done = await db
      .update(sessions)
      .set({ revokedAt: clock.now() })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id })
    forgetSession(sessionId)
    if (done.length === 0) throw new AppError('NOT_FOUND', `session "${sessionId}" not found`)
    await audit?.append({ workspaceId: null, type: ctx.how === 'signed_out' ? 'signed_out' : 'session_revoked', actor: { type: 'user', id: userId }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { endedSessionRef: sessionId } })
  }

  const revokeOthersIn = async (tx: DbOrTx, userId: string, keepSessionId: string): Promise<number> => {
    forgetUser(userId)
    return (
      await tx
        .update(sessions)
        .set({ revokedAt: clock.now() })
        .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
    ).length
  }
  const revokeOthers = async (userId: string, keepSessionId: string, ctx: { ip?: string; requestId?: string } = {}) => {
    const ended = await revokeOthersIn(db, userId, keepSessionId)
    await audit?.append({ workspaceId: null, type: 'sessions_revoked', actor: { type: 'user', id: userId }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { ended, keptSessionRef: keepSessionId } })
    return ended
  }

  /** Ends every session of the user (password reset, "this wasn't me", disabling the account). */
  const revokeAllIn = async (tx: DbOrTx, userId: string): Promise<number> => {
    forgetUser(userId)
    return (await tx.update(sessions).set({ revokedAt: clock.now() }).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))).returning({ id: sessions.id })).length
  }

  const list = async (userId: string, currentSessionId: string) => {
    const now = clock.now().getTime()
    return (await db.select().from(sessions).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))))
      .filter((s) => s.expiresAt.getTime() > now && now - s.lastSeenAt.getTime() <= s.idleMinutes * 60_000)
      .map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        device: describeDevice(s.userAgent),
        // Filled only where the operator provides a GeoIP database (not bundled: its licence forbids it).
        place: null,
        current: s.id === currentSessionId,
      }))
  }

  const csrfTokenFor = (sessionId: string) => createHmac('sha256', csrfKey).update(`csrf:${sessionId}`).digest('base64url')
  const checkCsrf = (sessionId: string, presented: string | undefined) => presented !== undefined && safeEqual(presented, csrfTokenFor(sessionId))

  return { create, createIn, authenticate, markAuthenticated, rotate, forgetUser, stepUpUntil, revoke, revokeOthers, revokeOthersIn, revokeAllIn, list, csrfTokenFor, checkCsrf, policy }
}
export type SessionService = ReturnType<typeof createSessionService>
