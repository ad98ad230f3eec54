import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../lib/errors.js'
import { SESSION_COOKIE, type ActiveSession, type SessionService } from '../auth/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    session?: ActiveSession
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The value of one cookie from a Cookie header (no cookie library needed for one name). */
export const readCookie = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** `__Host-` cookies must be Secure with Path=/ and no Domain; browsers treat http://localhost as secure. */
export const sessionCookie = (token: string, maxAgeSeconds: number) => `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`
export const clearedSessionCookie = () => `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`

/**
 * CSRF, first line: a browser request that changes something must come from our own origin (the
 * Origin header, else the Referer's origin). Requests without either (scripts, the CLI) pass this check;
 * cookie-authenticated ones still need the CSRF token (see `requireSession`).
 */
export const checkOrigin = (publicOrigin: string) => async (req: FastifyRequest) => {
  if (!UNSAFE.has(req.method)) return
  const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined)
  if (origin !== undefined && origin !== publicOrigin) throw new AppError('FORBIDDEN', 'this request came from another site and was refused')
}

const safeOrigin = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return 'invalid'
  }
}

/**
 * A route that needs a signed-in user: a live session from the cookie, and for changes the CSRF token
 * (an HMAC of the session id) in `x-csrf-token`.
 */
export const requireSession = (sessions: Pick<SessionService, 'authenticate' | 'checkCsrf'>) => async (req: FastifyRequest, _reply: FastifyReply) => {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE)
  const session = token ? await sessions.authenticate(token) : undefined
  if (!session) throw new AppError('UNAUTHENTICATED', 'sign in first (no session, or it has ended)')
  if (UNSAFE.has(req.method)) {
    const presented = req.headers['x-csrf-token']
    if (!sessions.checkCsrf(session.sessionId, typeof presented === 'string' ? presented : undefined)) {
      throw new AppError('FORBIDDEN', 'missing or wrong CSRF token: reload the page and try again')
    }
  }
  req.session = session
}
