import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import { emailAddress, type ApiTokens, type MeReader, type SessionService, type StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import {
  acceptedInvitationSchema,
  approvalPendingSchema,
  approvalViewSchema,
  invitableRoles,
  invitationPreviewSchema,
  invitationViewSchema,
  memberViewSchema,
  teamRoles,
  teamWorkspaceViewSchema,
  workspaceNameProblem,
  type Invitations,
  type Members,
  type TeamWorkspaces,
} from '../../teams/index.js'
import type { App } from '../app-types.js'
import { actorOf as callerOf, authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'

export type TeamRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  members: Members
  invitations: Invitations
  workspaces: TeamWorkspaces
  /** Drops a person's cached /api/me when their memberships changed by someone else's hand. */
  me?: Pick<MeReader, 'forget'> | undefined
}

const tags = ['teams']
const wsParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const memberParams = wsParams.extend({ userId: z.string().uuid('must be a user id') })
const invitationParams = wsParams.extend({ id: z.string().uuid('must be an invitation id') })
const nameBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(80, 'must be at most 80 characters')
      .superRefine((name, ctx) => {
        const problem = workspaceNameProblem(name)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }),
  })
  .strict()
/** The accept answer: where approvals are required, the role request it filed (the invited role waits for a second person). */
const acceptedView = acceptedInvitationSchema.extend({ approval: approvalViewSchema.optional() })
const memberPatch = z
  .object({
    role: z.enum(teamRoles).optional(),
    accountScope: z.enum(['all', 'granted']).optional(),
    exchangeAccountIds: z.array(z.string().uuid('must be an exchange account id')).max(200).optional(),
  })
  .strict()
const inviteBody = z.object({ email: emailAddress, role: z.enum(invitableRoles) }).strict()
/** The token from the fragment of the emailed link (`/invite#token=…`): 32 random bytes, base64url. */
const linkToken = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is the token from the invitation link') }).strict()

const actorOf = (req: FastifyRequest) => ({ userId: sessionOf(req).userId, ip: req.ip, requestId: req.id })
const managerOf = (req: FastifyRequest) => {
  if (!req.workspaceRole) throw new AppError('FORBIDDEN', 'this route declares no permission, so nobody may use it')
  return { ...actorOf(req), role: req.workspaceRole }
}

/**
 * Team workspaces, members and invitations (issue 10). Changing anyone's membership needs a signed-in
 * session with step-up, never an API token; a role upgrade may answer 202 with the four-eyes request (R42).
 * The invitation link's token travels only in request bodies (preview, accept), never in a URL.
 */
export const teamRoutes = (app: App, deps: TeamRouteDeps) => {
  const { db, sessions, apiTokens, stepUp, members, invitations, workspaces, me } = deps
  const signedIn = requireSession(sessions)
  const fresh = requireStepUp(stepUp, { workspaceParam: 'workspaceId' })
  const session = [signedIn, authorizeWorkspace(db)]
  const sensitive = [signedIn, authorizeWorkspace(db), fresh]

  app.post(
    '/api/workspaces',
    { schema: { tags, body: nameBody, response: { 201: teamWorkspaceViewSchema } }, preValidation: signedIn },
    async (req, reply) => reply.code(201).send(await workspaces.create(req.body.name, actorOf(req))),
  )

  app.patch(
    '/api/workspaces/:workspaceId',
    { schema: { tags, params: wsParams, body: nameBody, response: { 200: teamWorkspaceViewSchema } }, config: { action: 'workspace.manage' }, preValidation: session },
    async (req) => workspaces.rename(req.params.workspaceId, req.body.name, actorOf(req)),
  )

  app.delete(
    '/api/workspaces/:workspaceId',
    { schema: { tags, params: wsParams }, config: { action: 'workspace.manage' }, preValidation: sensitive },
    async (req, reply) => {
      const { formerMembers } = await workspaces.remove(req.params.workspaceId, actorOf(req))
      for (const userId of formerMembers) me?.forget(userId)
      return reply.code(204).send()
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/members',
    { schema: { tags, params: wsParams, response: { 200: z.array(memberViewSchema) } }, config: { action: 'members.read' }, preValidation: [requireActor(sessions, apiTokens), authorizeWorkspace(db)] },
    async (req) => members.list(req.params.workspaceId, callerOf(req).userId, req.workspaceRole ?? 'viewer'),
  )

  app.patch(
    '/api/workspaces/:workspaceId/members/:userId',
    { schema: { tags, params: memberParams, body: memberPatch, response: { 200: memberViewSchema, 202: approvalPendingSchema } }, config: { action: 'members.manage' }, preValidation: sensitive },
    async (req, reply) => {
      const change = req.body
      if (change.role === undefined && change.accountScope === undefined && change.exchangeAccountIds === undefined) {
        throw new AppError('BAD_INPUT', 'say what to change: role, accountScope or exchangeAccountIds')
      }
      const result = await members.update(req.params.workspaceId, req.params.userId, change, managerOf(req))
      // Taking owner rights away, or more power, may wait for a second person (R42): 202 with the request.
      if ('pending' in result) return reply.code(202).send({ approval: result.pending })
      me?.forget(req.params.userId)
      return result.applied
    },
  )

  app.delete(
    '/api/workspaces/:workspaceId/members/:userId',
    { schema: { tags, params: memberParams, response: { 202: approvalPendingSchema, 204: z.null().describe('Removed') } }, config: { action: 'members.remove' }, preValidation: sensitive },
    async (req, reply) => {
      const result = await members.remove(req.params.workspaceId, req.params.userId, managerOf(req))
      // Removing an owner where approvals are required waits for another owner (R42): 202 with the request.
      if ('pending' in result) return reply.code(202).send({ approval: result.pending })
      me?.forget(req.params.userId)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/api/workspaces/:workspaceId/leave',
    // A session, never an API token (the policy table says so too): a script must not take its owner out of a workspace.
    { schema: { tags, params: wsParams }, config: { action: 'workspace.leave' }, preValidation: session },
    async (req, reply) => {
      await members.leave(req.params.workspaceId, actorOf(req))
      me?.forget(sessionOf(req).userId)
      return reply.code(204).send()
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/invitations',
    { schema: { tags, params: wsParams, response: { 200: z.array(invitationViewSchema) } }, config: { action: 'members.manage' }, preValidation: session },
    async (req) => invitations.list(req.params.workspaceId),
  )

  app.post(
    '/api/workspaces/:workspaceId/invitations',
    { schema: { tags, params: wsParams, body: inviteBody, response: { 201: invitationViewSchema } }, config: { action: 'members.manage' }, preValidation: sensitive },
    async (req, reply) => reply.code(201).send(await invitations.invite(req.params.workspaceId, req.body, managerOf(req))),
  )

  app.delete(
    '/api/workspaces/:workspaceId/invitations/:id',
    { schema: { tags, params: invitationParams }, config: { action: 'members.remove' }, preValidation: session },
    async (req, reply) => {
      await invitations.revoke(req.params.workspaceId, req.params.id, actorOf(req))
      return reply.code(204).send()
    },
  )

  app.post(
    '/api/invitations/preview',
    {
      schema: {
        tags,
        description: 'What an invitation link invites to. No session needed; every link that does not work answers the same 404, and too many of them from one address 429.',
        body: linkToken,
        response: { 200: invitationPreviewSchema },
      },
    },
    async (req, reply) => reply.header('cache-control', 'no-store').send(await invitations.preview(req.body.token, req.ip)),
  )

  app.post(
    '/api/invitations/accept',
    { schema: { tags, description: 'Joins the workspace as the signed-in account, whose verified email must be the invited one.', body: linkToken, response: { 200: acceptedView } }, preValidation: signedIn },
    async (req) => {
      const accepted = await invitations.accept(req.body.token, actorOf(req))
      me?.forget(sessionOf(req).userId)
      return accepted
    },
  )
}
