import { isIP } from 'node:net'
import { z } from 'zod'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { App } from '../app-types.js'
import { requireSession, requireStepUp, sessionOf } from '../session-guard.js'

const cidr = z.string().refine((v) => {
  const [addr = '', prefix, extra] = v.split('/')
  const family = isIP(addr)
  if (family === 0 || extra !== undefined) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}, 'must be an IP address or CIDR range such as 203.0.113.0/24')
const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  workspaceId: z.string(),
  scope: z.enum(['read', 'trade', 'admin']),
  allowedIps: z.array(z.string()),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  lastUsedIp: z.string().nullable(),
})

/** Personal API tokens: created with step-up, shown once, listed with last use, revocable. */
export const tokenRoutes = (app: App, { sessions, stepUp, apiTokens }: { sessions: SessionService; stepUp: Pick<StepUp, 'require'>; apiTokens: ApiTokens }) => {
  const signedIn = requireSession(sessions)

  app.get('/api/tokens', { schema: { tags: ['tokens'], response: { 200: z.array(tokenView) } }, preValidation: signedIn }, async (req) => apiTokens.list(sessionOf(req).userId))

  app.post(
    '/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        body: z
          .object({
            name: z.string().trim().min(1, 'must not be empty').max(60),
            workspaceId: z.string().uuid('must be a workspace id'),
            scope: z.enum(['read', 'trade', 'admin']),
            expiresInDays: z.number().int().min(1).max(365),
            allowedIps: z.array(cidr).max(20).default([]),
          })
          .strict(),
        response: { 201: tokenView.omit({ lastUsedAt: true, lastUsedIp: true }).extend({ token: z.string() }) },
      },
      preValidation: [signedIn, requireStepUp(stepUp)],
    },
    async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await apiTokens.create({ userId: sessionOf(req).userId }, req.body, { ip: req.ip, requestId: req.id })),
  )

  app.delete('/api/tokens/:id', { schema: { tags: ['tokens'], params: z.object({ id: z.string().uuid('must be a token id') }) }, preValidation: signedIn }, async (req, reply) => {
    await apiTokens.revoke(sessionOf(req).userId, req.params.id, { ip: req.ip, requestId: req.id })
    return reply.code(204).send()
  })
}
