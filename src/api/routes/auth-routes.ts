import { z } from 'zod'
import { and, eq } from 'drizzle-orm'
import { emailAddress, type LoginService, type SessionService } from '../../auth/index.js'
import { schema, type Db } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import type { App } from '../app-types.js'
import type { Alerts } from '../../monitoring/index.js'
import { clearedSessionCookie, requireSession, sessionCookie } from '../session-guard.js'

const loginBody = z.object({ email: emailAddress, password: z.string().min(1).max(1024) }).strict()
const meBody = z.object({
  user: z.object({ id: z.string(), email: z.string() }),
  csrfToken: z.string(),
  workspaces: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })),
})
const sessionView = z.object({ id: z.string(), createdAt: z.string(), lastSeenAt: z.string(), ip: z.string().nullable(), userAgent: z.string().nullable(), current: z.boolean() })

export type AuthRouteDeps = { db: Db; login: Pick<LoginService, 'login'>; sessions: SessionService; sessionMaxAgeSeconds: number; alerts: Pick<Alerts, 'list' | 'markRead'> }

/** Sign-in, sign-out, who am I, and the user's own sessions (the accounts issue adds factors and step-up). */
export const authRoutes = (app: App, { db, login, sessions, sessionMaxAgeSeconds }: AuthRouteDeps) => {
  const signedIn = requireSession(sessions)

  app.post('/api/auth/login', { schema: { tags: ['auth'], body: loginBody, response: { 200: z.object({ userId: z.string() }) } } }, async (req, reply) => {
    const result = await login.login(req.body.email, req.body.password, { ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id })
    return reply.header('set-cookie', sessionCookie(result.token, sessionMaxAgeSeconds)).header('cache-control', 'no-store').send({ userId: result.userId })
  })

  app.post('/api/auth/logout', { schema: { tags: ['auth'] }, preHandler: signedIn }, async (req, reply) => {
    await sessions.revoke(req.session?.userId ?? '', req.session?.sessionId ?? '')
    return reply.code(204).header('set-cookie', clearedSessionCookie()).send()
  })

  app.get('/api/me', { schema: { tags: ['auth'], response: { 200: meBody } }, preHandler: signedIn }, async (req, reply) => {
    const s = req.session
    if (!s) throw new AppError('UNAUTHENTICATED', 'sign in first')
    const workspaces = await db
      .select({ id: schema.workspaces.id, name: schema.workspaces.name, role: schema.memberships.role })
      .from(schema.memberships)
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.memberships.workspaceId))
      .where(and(eq(schema.memberships.userId, s.userId)))
    return reply.header('cache-control', 'no-store').send({ user: { id: s.userId, email: s.email }, csrfToken: sessions.csrfTokenFor(s.sessionId), workspaces })
  })

  app.get('/api/sessions', { schema: { tags: ['auth'], response: { 200: z.array(sessionView) } }, preHandler: signedIn }, async (req) =>
    sessions.list(req.session?.userId ?? '', req.session?.sessionId ?? ''),
  )

  app.delete('/api/sessions/:id', { schema: { tags: ['auth'], params: z.object({ id: z.string().uuid('must be a session id') }) }, preHandler: signedIn }, async (req, reply) => {
    await sessions.revoke(req.session?.userId ?? '', req.params.id)
    return reply.code(204).send()
  })
}
