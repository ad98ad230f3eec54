import type { ApiClient } from '../../lib/api-client'
import { parseApprovals } from '../../lib/team-parsers'
import { workspacePath } from '../team/queries'

export type ApprovalFilter = 'pending' | 'decided' | 'all'

export const approvalsPath = (workspaceId: string) => `${workspacePath(workspaceId)}/approvals`

/** Four-eyes requests of the workspace; everyone sees them, `canDecide` says who may approve. */
export const fetchApprovals = (client: ApiClient, workspaceId: string, state: ApprovalFilter, signal: AbortSignal) =>
  client.read(`${approvalsPath(workspaceId)}?state=${state}`, parseApprovals, { signal })
