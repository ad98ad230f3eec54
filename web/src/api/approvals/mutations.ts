import type { ApiClient } from '../../lib/api-client'
import { parseApproval } from '../../lib/team-parsers'
import { approvalsPath } from './queries'

const approvalPath = (workspaceId: string, id: string) => `${approvalsPath(workspaceId)}/${encodeURIComponent(id)}`

/** Needs a fresh step-up (a passkey where the workspace asks for one); applies the change. @throws ApiError FORBIDDEN (reason SELF_APPROVAL), CONFLICT */
export const approveRequest = (client: ApiClient, workspaceId: string, id: string) =>
  client.write('POST', `${approvalPath(workspaceId, id)}/approve`, parseApproval, {})

export const rejectRequest = (client: ApiClient, workspaceId: string, id: string, note: string) =>
  client.write('POST', `${approvalPath(workspaceId, id)}/reject`, parseApproval, note.trim() === '' ? {} : { note: note.trim() })

/** Only the member who asked. */
export const cancelRequest = (client: ApiClient, workspaceId: string, id: string) =>
  client.write('POST', `${approvalPath(workspaceId, id)}/cancel`, parseApproval, {})
