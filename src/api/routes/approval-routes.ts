import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { approvalViewSchema, type Approvals } from '../../teams/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const approvalParams = ws.extend({ id: z.string().uuid('must be an approval request id') })
const listQuery = z.object({ state: z.enum(['pending', 'decided', 'all']).optional() }).strict()
const rejectBody = z.object({ note: z.string().max(500, 'must be at most 500 characters').optional() }).strict()

export type ApprovalRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  approvals: Pick<Approvals, 'list' | 'get' | 'approve' | 'reject' | 'cancel'>
}

/**
 * Four-eyes approvals (R42). Everyone in the workspace sees what waits (`approvals.read`, API tokens with
 * read scope too); approving needs an eligible owner or admin other than the requester, signed in, with a
 * fresh step-up (a passkey where the workspace's policy asks owners and admins for one); rejecting needs the
 * same person and step-up too (a stolen cookie alone must not turn down every pending key or unlock); only the
 * requester cancels, and only while their role could ask for something (`approvals.cancel`: a viewer's
 * cancel would reach the signer through the discard, R41). Approving answers the
 * applied request (state `approved`, with the handler's `result`), or the handler's error when applying
 * failed (the request is then `failed`, with the reason as its note).
 */
export const approvalRoutes = (app: App, { db, sessions, apiTokens, stepUp, approvals }: ApprovalRouteDeps) => {
  const reader = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const person = [requireSession(sessions), authorizeWorkspace(db)]
  const confirmed = [...person, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })]
  const base = '/api/workspaces/:workspaceId/approvals'
  const tags = ['approvals']
  const decider = (req: FastifyRequest) => ({ userId: sessionOf(req).userId, ip: req.ip, requestId: req.id })

  app.get(
    base,
    { schema: { tags, params: ws, querystring: listQuery, response: { 200: z.array(approvalViewSchema) } }, config: { action: 'approvals.read' }, preValidation: reader },
    async (req) => approvals.list(req.params.workspaceId, actorOf(req).userId, { state: req.query.state ?? 'pending' }),
  )
  app.get(
    `${base}/:id`,
    { schema: { tags, params: approvalParams, response: { 200: approvalViewSchema } }, config: { action: 'approvals.read' }, preValidation: reader },
    async (req) => approvals.get(req.params.workspaceId, req.params.id, actorOf(req).userId),
  )
  app.post(
    `${base}/:id/approve`,
    {
      schema: { tags, params: approvalParams, response: { 200: approvalViewSchema } },
      config: { action: 'approvals.decide' },
      preValidation: confirmed,
    },
    async (req) => approvals.approve(req.params.workspaceId, req.params.id, decider(req)),
  )
  app.post(
    `${base}/:id/reject`,
    { schema: { tags, params: approvalParams, body: rejectBody.optional(), response: { 200: approvalViewSchema } }, config: { action: 'approvals.decide' }, preValidation: confirmed },
    async (req) => approvals.reject(req.params.workspaceId, req.params.id, decider(req), req.body?.note),
  )
  // Any member may have asked (a trader's promotion, say): the service checks it is the requester.
  app.post(
    `${base}/:id/cancel`,
    { schema: { tags, params: approvalParams, response: { 200: approvalViewSchema } }, config: { action: 'approvals.cancel' }, preValidation: person },
    async (req) => approvals.cancel(req.params.workspaceId, req.params.id, decider(req)),
  )
}
