import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../lib/errors.js'
import { SESSION_COOKIE, tradableAccounts, type ActiveSession, type Actor, type ApiTokens, type SessionService, type StepUp, type TradableAccounts } from '../auth/index.js'
import type { DbOrTx, Role } from '../db/index.js'
import { passesLock } from '../incident/index.js'
import { assertActionAllowed, checkTokenScope, checkTokenWorkspace, requireMembership } from '../auth/policy.js'
import { ipMatcher } from '../teams/ip-ranges.js'

declare module 'fastify' {
  interface FastifyRequest {
    session?: ActiveSession
    actor?: Actor
    /** The caller's role in the route's workspace, once `authorizeWorkspace` passed. */
    workspaceRole?: Role
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The value of one cookie from a Cookie header (no cookie library needed for two names). */
export const readCookie = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** `__Host-` cookies must be Secure with Path=/ and no Domain; browsers treat http://localhost as secure. */
export const hostCookie = (name: string, value: string, maxAgeSeconds: number) => `${name}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`
export const sessionCookie = (token: string, maxAgeSeconds: number) => hostCookie(SESSION_COOKIE, token, maxAgeSeconds)
export const clearedSessionCookie = () => hostCookie(SESSION_COOKIE, '', 0)

/**
 * CSRF, first line: a browser request that changes something must come from our own origin (the
 * Origin header, else the Referer's origin). Requests without either (scripts, the CLI) pass this check;
 * cookie-authenticated ones still need the CSRF token (see `requireSession`).
 */
export const checkOrigin = (publicOrigin: string) => async (req: FastifyRequest) => {
  if (!UNSAFE.has(req.method)) return
  // Signal webhooks are meant to come from other sites and carry no cookie: the secret in the body is
  // their credential, so a cross-site form gains nothing there (webhook-routes.ts).
  if (req.url.startsWith('/api/hooks/')) return
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

const sessionFrom = async (req: FastifyRequest, sessions: Pick<SessionService, 'authenticate' | 'checkCsrf'>) => {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE)
  const session = token ? await sessions.authenticate(token) : undefined
  if (!session) throw new AppError('UNAUTHENTICATED', 'sign in first (no session, or it has ended)')
  if (UNSAFE.has(req.method)) {
    const presented = req.headers['x-csrf-token']
    if (!sessions.checkCsrf(session.sessionId, typeof presented === 'string' ? presented : undefined)) {
      throw new AppError('FORBIDDEN', 'missing or wrong CSRF token: reload the page and try again')
    }
  }
  return session
}

/**
 * A route for signed-in people only (account security, tokens, keys): a live session from the cookie,
 * and for changes the CSRF token (an HMAC of the session id) in `x-csrf-token`. API tokens are refused.
 */
export const requireSession = (sessions: Pick<SessionService, 'authenticate' | 'checkCsrf'>) => async (req: FastifyRequest, _reply: FastifyReply) => {
  if (req.headers.authorization) throw new AppError('FORBIDDEN', 'API tokens cannot do this: sign in to the dashboard instead')
  const session = await sessionFrom(req, sessions)
  req.session = session
  req.actor = { userId: session.userId }
}

/**
 * A workspace route that scripts may call too: `Authorization: Bearer bwt_…` (no cookie, so no CSRF
 * token needed) or a session as above. The token's workspace and scope are checked by `authorizeActor`.
 */
export const requireActor =
  (sessions: Pick<SessionService, 'authenticate' | 'checkCsrf'>, apiTokens: Pick<ApiTokens, 'authenticate'>) => async (req: FastifyRequest, _reply: FastifyReply) => {
    const auth = req.headers.authorization
    if (auth !== undefined) {
      const match = /^Bearer (\S+)$/.exec(auth)
      const token = match?.[1] ? await apiTokens.authenticate(match[1], req.ip) : undefined
      if (!token) throw new AppError('UNAUTHENTICATED', 'the API token is not valid (unknown, revoked, expired, or used from an address it does not allow)')
      req.actor = { userId: token.userId, token: { tokenId: token.tokenId, workspaceId: token.workspaceId, scope: token.scope } }
      return
    }
    const session = await sessionFrom(req, sessions)
    req.session = session
    req.actor = { userId: session.userId }
  }

/**
 * After `requireSession`: the action is sensitive (R32), so the session's last proof must be fresh.
 * `enrolment`: the route adds a second factor, so a user without a passkey is not asked for one (StepUp.require).
 */
export const requireStepUp = (stepUp: Pick<StepUp, 'require'>, opts: { workspaceParam?: string; enrolment?: boolean } = {}) => async (req: FastifyRequest) => {
  if (!req.session) throw new AppError('UNAUTHENTICATED', 'sign in first')
  const workspaceId = opts.workspaceParam ? (req.params as Record<string, string | undefined>)[opts.workspaceParam] : undefined
  await stepUp.require(req.session, { ...(workspaceId && UUID.test(workspaceId) ? { workspaceId } : {}), ...(opts.enrolment ? { enrolment: true } : {}) })
}

/** The signed-in session of a route guarded by `requireSession` (a bug, not a user error, when missing). */
export const sessionOf = (req: FastifyRequest): ActiveSession => {
  if (!req.session) throw new AppError('UNAUTHENTICATED', 'sign in first')
  return req.session
}
export const actorOf = (req: FastifyRequest): Actor => {
  if (!req.actor) throw new AppError('UNAUTHENTICATED', 'sign in first')
  return req.actor
}

/**
 * After `requireActor`/`requireSession` on a route under `/api/workspaces/:workspaceId`: checks the
 * route's declared policy action (`config.action`) for the caller in that workspace. A workspace route
 * that declares no action is refused: deny by default (R41). The role is the effective one: a workspace
 * that requires two-factor authentication treats a member without a second factor as a viewer. Then the
 * workspace's allowed IP ranges (sessions and API tokens alike; `req.ip` is the socket's address unless the
 * peer is a configured proxy, see app.ts `trustProxy`), and the lockdown: a workspace under lockdown (R19)
 * answers only reads and its incident's routes; everything else is WORKSPACE_LOCKED until the unlock
 * (incident/). One query for all of it.
 */
export const authorizeWorkspace = (db: DbOrTx) => async (req: FastifyRequest) => {
  const action = req.routeOptions.config.action
  const workspaceId = (req.params as Record<string, string | undefined>).workspaceId
  if (!action || !workspaceId) throw new AppError('FORBIDDEN', 'this route declares no permission, so nobody may use it')
  // This runs before params are validated: a malformed id is simply a workspace that does not exist.
  if (!UUID.test(workspaceId)) throw new AppError('NOT_FOUND', `workspace "${workspaceId.slice(0, 40)}" not found`)
  const actor = actorOf(req)
  checkTokenWorkspace(actor, workspaceId)
  const access = await requireMembership(db, actor.userId, workspaceId)
  // After the membership check, so a stranger learns nothing about the workspace's ranges or lock (they got
  // NOT_FOUND); before the role, so a request from outside the ranges learns nothing else either.
  if (access.allowedIpRanges && access.allowedIpRanges.length > 0 && !ipMatcher(access.allowedIpRanges)(req.ip)) {
    throw new AppError('IP_NOT_ALLOWED', `this workspace may be used only from its allowed IP ranges, and this request came from ${req.ip}: ask an owner to add your network`)
  }
  checkTokenScope(actor, workspaceId, action)
  assertActionAllowed(access, action)
  if (!passesLock(action) && access.lockedAt) {
    throw new AppError('WORKSPACE_LOCKED', 'this workspace is locked down after an incident: it can be read, and unlocked with your password, a second factor and an emailed confirmation', {
      reason: 'LOCKDOWN',
    })
  }
  req.workspaceRole = access.role
}

/**
 * After `authorizeWorkspace`: the exchange accounts the caller may trade on in the route's workspace
 * (a trader narrowed by per-member grants sees only theirs; an API token inherits its owner's grants).
 */
export const tradableAccountsOf = (db: DbOrTx, req: FastifyRequest): Promise<TradableAccounts> => {
  const workspaceId = (req.params as Record<string, string | undefined>).workspaceId
  if (!req.workspaceRole || !workspaceId) throw new AppError('FORBIDDEN', 'this route declares no permission, so nobody may use it')
  return tradableAccounts(db, workspaceId, actorOf(req).userId, req.workspaceRole)
}
