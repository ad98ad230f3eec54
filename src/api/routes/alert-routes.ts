import { z } from 'zod'
import type { ApiTokens, SessionService } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import type { Alerts, AuditChain } from '../../monitoring/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const alertView = z.object({
  id: z.string(),
  rule: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  details: z.record(z.string(), z.unknown()),
  occurrences: z.number(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  readAt: z.string().nullable(),
})

/** The in-app alert list of a workspace (the monitoring issue adds live push and delivery channels). */
export const alertRoutes = (
  app: App,
  { db, alerts, audit, sessions, apiTokens }: { db: Db; alerts: Pick<Alerts, 'list' | 'markRead'>; audit?: Pick<AuditChain, 'append'> | undefined; sessions: SessionService; apiTokens: Pick<ApiTokens, 'authenticate'> },
) => {
  // Scripts may read alerts with an API token of read scope; acknowledging needs trade scope.
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]

  app.get(
    '/api/workspaces/:workspaceId/alerts',
    { schema: { tags: ['alerts'], params: workspaceParams, querystring: z.object({ unread: z.enum(['true', 'false']).optional() }).strict(), response: { 200: z.array(alertView) } }, config: { action: 'alerts.read' }, preValidation: member },
    async (req) => {
      return alerts.list(req.params.workspaceId, { unreadOnly: req.query.unread === 'true' })
    },
  )

  app.post(
    '/api/workspaces/:workspaceId/alerts/:alertId/read',
    { schema: { tags: ['alerts'], params: workspaceParams.extend({ alertId: z.string().uuid('must be an alert id') }) }, config: { action: 'alerts.acknowledge' }, preValidation: member },
    async (req, reply) => {
      await alerts.markRead(req.params.workspaceId, req.params.alertId)
      // R36: alert changes are audited (who acknowledged what).
      const actor = actorOf(req)
      await audit?.append({
        workspaceId: req.params.workspaceId,
        type: 'alert_acknowledged',
        actor: actor.token ? { type: 'api_token', id: actor.token.tokenId } : { type: 'user', id: actor.userId },
        outcome: 'success',
        ip: req.ip,
        requestId: req.id,
        details: { alertId: req.params.alertId },
      })
      return reply.code(204).send()
    },
  )
}
