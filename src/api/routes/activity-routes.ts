import { z } from 'zod'
import type { ApiTokens, SessionService } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { activityQuery, type ExchangeActivity } from '../../keys/exchange-activity.js'
import type { App } from '../app-types.js'
import { authorizeWorkspace, requireActor } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })

const entryView = z.object({
  id: z.string(),
  occurredAt: z.string(),
  keyId: z.string(),
  exchangeAccountId: z.string().nullable(),
  exchange: z.string().nullable(),
  method: z.string(),
  endpoint: z.string().nullable(),
  botId: z.string().nullable(),
  outcome: z.string(),
  errorCode: z.string().nullable(),
  durationMs: z.number(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  requestId: z.string(),
  details: z.record(z.string(), z.unknown()),
})

const summaryView = z.object({
  keyId: z.string(),
  exchangeAccountId: z.string().nullable(),
  exchange: z.string().nullable(),
  requests: z.number(),
  errors: z.number(),
  denied: z.number(),
  lastUsedAt: z.string().nullable(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  perDay: z.array(z.object({ day: z.string(), requests: z.number(), errors: z.number(), denied: z.number() })),
})

/** The exchange-activity log (every call through the signer) and its per-key summary; read-only, any member. */
export const activityRoutes = (app: App, { db, sessions, apiTokens, activity }: { db: Db; sessions: SessionService; apiTokens: Pick<ApiTokens, 'authenticate'>; activity: ExchangeActivity }) => {
  const reader = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]

  app.get(
    '/api/workspaces/:workspaceId/activity',
    {
      schema: { tags: ['activity'], params: workspaceParams, querystring: activityQuery, response: { 200: z.object({ entries: z.array(entryView), next: z.string().nullable() }) } },
      config: { action: 'activity.read' },
      preValidation: reader,
    },
    async (req) => activity.query(req.params.workspaceId, req.query),
  )

  app.get(
    '/api/workspaces/:workspaceId/activity/summary',
    {
      schema: { tags: ['activity'], params: workspaceParams, querystring: z.object({ keyId: z.string().uuid('must be a key id').optional() }).strict(), response: { 200: z.array(summaryView) } },
      config: { action: 'activity.read' },
      preValidation: reader,
    },
    async (req) => activity.summary(req.params.workspaceId, { keyId: req.query.keyId }),
  )
}
