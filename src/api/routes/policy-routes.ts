import { z } from 'zod'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { approvalPendingSchema, type ApprovalGate } from '../../teams/approval-types.js'
import { policyPatchSchema, policyViewSchema, type WorkspacePolicies } from '../../teams/workspace-policies.js'
import type { App } from '../app-types.js'
import { authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })

export type PolicyRoutesDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  policies: Pick<WorkspacePolicies, 'get' | 'update'>
  /** Four-eyes approvals (R42): relaxing a policy waits for a second owner. Without it such a change is refused where approvals are on. */
  approvals?: ApprovalGate | undefined
}

/**
 * Workspace policies: every member reads them (scripts too); the owner changes them, signed in with a
 * fresh step-up. A relaxing change in a workspace with approvals on answers 202 with the pending request.
 */
export const policyRoutes = (app: App, { db, sessions, apiTokens, stepUp, policies, approvals }: PolicyRoutesDeps) => {
  app.get(
    '/api/workspaces/:workspaceId/policies',
    { schema: { tags: ['teams'], summary: "The workspace's policies", params: workspaceParams, response: { 200: policyViewSchema } }, config: { action: 'policies.read' }, preValidation: [requireActor(sessions, apiTokens), authorizeWorkspace(db)] },
    async (req) => policies.get(req.params.workspaceId),
  )

  app.patch(
    '/api/workspaces/:workspaceId/policies',
    {
      schema: {
        tags: ['teams'],
        summary: "Changes the workspace's policies: tightening applies at once, relaxing waits for a second owner while approvals are on (202)",
        params: workspaceParams,
        body: policyPatchSchema,
        response: { 200: policyViewSchema, 202: approvalPendingSchema },
      },
      config: { action: 'policies.manage' },
      preValidation: [requireSession(sessions), authorizeWorkspace(db), requireStepUp(stepUp, { workspaceParam: 'workspaceId' })],
    },
    async (req, reply) => {
      const result = await policies.update(req.params.workspaceId, req.body, { userId: sessionOf(req).userId, ip: req.ip, requestId: req.id }, approvals)
      return result.status === 'pending' ? reply.code(202).send({ approval: result.approval }) : result.policies
    },
  )
}
