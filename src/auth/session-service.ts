import { createHmac } from 'node:crypto'
import { and, eq, isNull, ne } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, safeEqual, sha256Hex } from '../crypto/index.js'
import { schema, type Db } from '../db/index.js'

const { sessions, users } = schema

export const SESSION_COOKIE = '__Host-sid'

export type SessionPolicy = { idleMinutes: number; absoluteHours: number }
/** SECURITY.md R30: idle at most 30 minutes, absolute at most 12 hours (owners and admins get 15 idle with the accounts issue). */
export const defaultSessionPolicy: SessionPolicy = { idleMinutes: 30, absoluteHours: 12 }

export type SessionContext = { ip?: string | undefined; userAgent?: string | undefined }
export type ActiveSession = { sessionId: string; userId: string; email: string; authenticatedAt: Date }

/** Last-seen writes are coalesced: at most one per session per minute. */
const TOUCH_EVERY_MS = 60_000

/**
 * Sessions: opaque 256-bit tokens, stored only as SHA-256, checked for revocation, idle and absolute
 * expiry on every request (R29–R31). The CSRF token is an HMAC of the session id under the platform's
 * CSRF key, so it needs no storage and dies with the session.
 */
export const createSessionService = ({ db, clock, csrfKey, policy = defaultSessionPolicy }: { db: Db; clock: Clock; csrfKey: Buffer; policy?: SessionPolicy }) => {
  /** A new session; the token is returned once and never stored. */
  const create = async (userId: string, ctx: SessionContext): Promise<{ token: string; sessionId: string }> => {
    const now = clock.now()
    const token = randomToken(32)
    const sessionId = newId(now.getTime())
    await db.insert(sessions).values({
      id: sessionId,
      tokenHash: sha256Hex(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + policy.absoluteHours * 3_600_000),
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent?.slice(0, 300) ?? null,
    })
    return { token, sessionId }
  }

  /** The session a token belongs to, if it is live; touches last-seen (coalesced). */
  const authenticate = async (token: string): Promise<ActiveSession | undefined> => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined
    const [row] = await db
      .select({ s: sessions, email: users.email, disabledAt: users.disabledAt })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.tokenHash, sha256Hex(token)))
      .limit(1)
    if (!row) return undefined
    const now = clock.now().getTime()
    const { s } = row
    if (s.revokedAt || row.disabledAt || s.expiresAt.getTime() <= now || now - s.lastSeenAt.getTime() > policy.idleMinutes * 60_000) return undefined
    if (now - s.lastSeenAt.getTime() > TOUCH_EVERY_MS) await db.update(sessions).set({ lastSeenAt: new Date(now) }).where(eq(sessions.id, s.id))
    return { sessionId: s.id, userId: s.userId, email: row.email, authenticatedAt: s.authenticatedAt }
  }

  const revoke = async (userId: string, sessionId: string): Promise<void> => {
    const done = await db
      .update(sessions)
      .set({ revokedAt: clock.now() })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id })
    if (done.length === 0) throw new AppError('NOT_FOUND', `session "${sessionId}" not found`)
  }

  const revokeOthers = async (userId: string, keepSessionId: string): Promise<number> =>
    (
      await db
        .update(sessions)
        .set({ revokedAt: clock.now() })
        .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
    ).length

  const list = async (userId: string, currentSessionId: string) => {
    const now = clock.now().getTime()
    return (await db.select().from(sessions).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))))
      .filter((s) => s.expiresAt.getTime() > now && now - s.lastSeenAt.getTime() <= policy.idleMinutes * 60_000)
      .map((s) => ({ id: s.id, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString(), ip: s.ip, userAgent: s.userAgent, current: s.id === currentSessionId }))
  }

  const csrfTokenFor = (sessionId: string) => createHmac('sha256', csrfKey).update(`csrf:${sessionId}`).digest('base64url')
  const checkCsrf = (sessionId: string, presented: string | undefined) => presented !== undefined && safeEqual(presented, csrfTokenFor(sessionId))

  return { create, authenticate, revoke, revokeOthers, list, csrfTokenFor, checkCsrf }
}
export type SessionService = ReturnType<typeof createSessionService>
