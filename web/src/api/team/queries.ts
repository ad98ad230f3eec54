import type { ApiClient } from '../../lib/api-client'
import { parseInvitations, parseMembers } from '../../lib/team-parsers'

export const workspacePath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`

/** Every member with their role, accounts, factors; everyone in the workspace may read it. */
export const fetchMembers = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/members`, parseMembers, { signal })

/** Invitations of the workspace (owners and admins). */
export const fetchInvitations = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/invitations`, parseInvitations, { signal })
