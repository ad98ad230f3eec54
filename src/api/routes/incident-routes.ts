import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import {
  emergencyPreviewView,
  emergencyResultView,
  incidentDetailView,
  incidentView,
  linkTokenBody,
  lockStatusView,
  lockdownBody,
  lockdownResultView,
  unlockConfirmedView,
  unlockRequestBody,
  unlockRequestedView,
  type IncidentActor,
  type Incidents,
} from '../../incident/index.js'
import { approvalViewSchema } from '../../teams/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const incidentParams = ws.extend({ incidentId: z.string().uuid('must be an incident id') })
const keyParams = ws.extend({ keyId: z.string().uuid('must be a key id') })
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).optional() }).strict()
/** The first step's answer; `approvalRequired`: after the cooling-off a second owner or admin must approve (R42). */
const unlockRequestedAnswer = unlockRequestedView.extend({ approvalRequired: z.boolean() })
/**
 * The confirmation's answer. `approval`: with no cooling-off in a workspace that requires approvals the unlock
 * became a request for a second owner or admin at once (HTTP 202); otherwise null (200).
 */
const unlockConfirmedAnswer = unlockConfirmedView.extend({ approval: approvalViewSchema.nullable() })
const reenableView = z.object({ status: z.literal('pending_confirmation'), key: z.record(z.string(), z.unknown()), operation: z.record(z.string(), z.unknown()) })

export type IncidentRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  incidents: Incidents
}

const ctxOf = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id })

const incidentActor = (req: FastifyRequest): IncidentActor => {
  const actor = actorOf(req)
  return { type: 'user', userId: actor.userId, tokenId: actor.token?.tokenId, sessionId: req.session?.sessionId }
}

/**
 * Lockdown and incidents (R19 as amended). The lockdown answers once every key refuses, the workspace is
 * locked and bots are stopped (202; orders, sessions and emails follow, see the timeline) — the caller's own
 * session ends with it. Unlocking is for signed-in owners and admins with password and second factor, then
 * the emailed link; the emergency link works without signing in (the page POSTs its token).
 */
export const incidentRoutes = (app: App, { db, sessions, apiTokens, stepUp, incidents }: IncidentRouteDeps) => {
  const reader = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  // A signed-in member proves it is them (R32); an API token with trade scope may pull the brake as it is.
  const stepUpIfSession = async (req: FastifyRequest) => {
    if (req.session) await requireStepUp(stepUp, { workspaceParam: 'workspaceId' })(req)
  }
  const brake = [...reader, stepUpIfSession]
  const unlocker = [requireSession(sessions), authorizeWorkspace(db)]
  const tags = ['incidents']

  app.post(
    '/api/workspaces/:workspaceId/lockdown',
    { schema: { tags, params: ws, body: lockdownBody, response: { 202: lockdownResultView } }, config: { action: 'incident.lockdown' }, preValidation: brake },
    async (req, reply) =>
      reply.code(202).send(await incidents.lockdown(incidentActor(req), req.params.workspaceId, { trigger: 'web', reason: req.body.reason, orders: req.body.orders }, { background: true, ctx: ctxOf(req) })),
  )
  app.get('/api/workspaces/:workspaceId/lockdown', { schema: { tags, params: ws, response: { 200: lockStatusView } }, config: { action: 'incident.read' }, preValidation: reader }, async (req) =>
    incidents.status(req.params.workspaceId),
  )
  app.get(
    '/api/workspaces/:workspaceId/incidents',
    { schema: { tags, params: ws, querystring: listQuery, response: { 200: z.array(incidentView) } }, config: { action: 'incident.read' }, preValidation: reader },
    async (req) => incidents.list(req.params.workspaceId, req.query.limit),
  )
  app.get(
    '/api/workspaces/:workspaceId/incidents/:incidentId',
    { schema: { tags, params: incidentParams, response: { 200: incidentDetailView } }, config: { action: 'incident.read' }, preValidation: reader },
    async (req) => incidents.get(req.params.workspaceId, req.params.incidentId),
  )
  app.post(
    '/api/workspaces/:workspaceId/incident/unlock/request',
    { schema: { tags, params: ws, body: unlockRequestBody, response: { 202: unlockRequestedAnswer } }, config: { action: 'incident.unlock' }, preValidation: unlocker },
    async (req, reply) => {
      const s = sessionOf(req)
      return reply.code(202).send(await incidents.requestUnlock({ userId: s.userId, sessionId: s.sessionId, email: s.email }, req.params.workspaceId, req.body, ctxOf(req)))
    },
  )
  // Keys come back one at a time, after the unlock: re-verified at the exchange, then a signer-confirmed widening.
  app.post(
    '/api/workspaces/:workspaceId/incident/keys/:keyId/reenable',
    { schema: { tags, params: keyParams, response: { 202: reenableView } }, config: { action: 'keys.manage' }, preValidation: [...unlocker, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })] },
    async (req, reply) => {
      const r = await incidents.reenableKey({ userId: sessionOf(req).userId }, req.params.workspaceId, req.params.keyId, ctxOf(req))
      return reply.code(202).send({ status: r.status, key: r.key as unknown as Record<string, unknown>, operation: r.operation })
    },
  )

  // Emailed links: no session. The token is the credential, single-use, and only these POSTs use it.
  app.post('/api/incident/unlock/confirm', { schema: { tags, body: linkTokenBody, response: { 200: unlockConfirmedAnswer, 202: unlockConfirmedAnswer } } }, async (req, reply) => {
    const r = await incidents.confirmUnlock(req.body.token, ctxOf(req))
    const approval = r.approval ? approvalViewSchema.parse(r.approval) : null
    return reply.code(approval ? 202 : 200).send({ ...r, approval })
  })
  app.post('/api/incident/emergency/preview', { schema: { tags, body: linkTokenBody, response: { 200: emergencyPreviewView } } }, async (req) => incidents.emergencyPreview(req.body.token))
  app.post('/api/incident/emergency', { schema: { tags, body: linkTokenBody, response: { 200: emergencyResultView } } }, async (req) => incidents.emergencyLockdown(req.body.token, ctxOf(req)))
}
