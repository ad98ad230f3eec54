import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import {
  parseAcceptedInvitation,
  parseCreatedWorkspace,
  parseGated,
  parseInvitationPreview,
  parseInvitationView,
  parseMemberView,
  type InvitableRole,
  type MemberPatch,
} from '../../lib/team-parsers'
import { workspacePath } from './queries'

/** A new team workspace with the caller as its owner (four-eyes approvals on). */
export const createWorkspace = (client: ApiClient, name: string) => client.write('POST', '/api/workspaces', parseCreatedWorkspace, { name })

export const renameWorkspace = (client: ApiClient, workspaceId: string, name: string) => client.write('PATCH', workspacePath(workspaceId), parseNothing, { name })

/** Needs a step-up; refused while the workspace still has exchange accounts or running bots. */
export const deleteWorkspace = (client: ApiClient, workspaceId: string) => client.write('DELETE', workspacePath(workspaceId), parseNothing)

/**
 * Needs a step-up. Lowering a role or narrowing grants applies at once; a role upgrade may wait for a
 * second owner or admin (202).
 */
export const updateMember = (client: ApiClient, workspaceId: string, userId: string, patch: MemberPatch) =>
  client.write('PATCH', `${workspacePath(workspaceId)}/members/${encodeURIComponent(userId)}`, parseGated(parseMemberView), patch)

/**
 * Needs a step-up; their access ends at once. Removing an owner where four-eyes approvals are on waits
 * for another owner (202 with the request).
 */
export const removeMember = (client: ApiClient, workspaceId: string, userId: string) =>
  client.write('DELETE', `${workspacePath(workspaceId)}/members/${encodeURIComponent(userId)}`, parseGated(parseNothing))

export const leaveWorkspace = (client: ApiClient, workspaceId: string) => client.write('POST', `${workspacePath(workspaceId)}/leave`, parseNothing)

/** Needs a step-up. The link goes to `email` only; the answer never carries its token. */
export const inviteMember = (client: ApiClient, workspaceId: string, body: { email: string; role: InvitableRole }) =>
  client.write('POST', `${workspacePath(workspaceId)}/invitations`, parseInvitationView, body)

export const revokeInvitation = (client: ApiClient, workspaceId: string, invitationId: string) =>
  client.write('DELETE', `${workspacePath(workspaceId)}/invitations/${encodeURIComponent(invitationId)}`, parseNothing)

/** What an invitation link is for; no sign-in needed, changes nothing. The token goes in the body only. */
export const previewInvitation = (client: ApiClient, token: string) =>
  client.write('POST', '/api/invitations/preview', parseInvitationPreview, { token }, { canStepUp: false })

/** Joins the workspace as the signed-in account (which must be the invited, verified address). */
export const acceptInvitation = (client: ApiClient, token: string) =>
  client.write('POST', '/api/invitations/accept', parseAcceptedInvitation, { token }, { canStepUp: false })
