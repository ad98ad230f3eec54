import type { ApiClient } from '../../lib/api-client'
import { parsePolicies } from '../../lib/team-parsers'
import { workspacePath } from '../team/queries'

export const policiesPath = (workspaceId: string) => `${workspacePath(workspaceId)}/policies`

export const fetchPolicies = (client: ApiClient, workspaceId: string, signal: AbortSignal) => client.read(policiesPath(workspaceId), parsePolicies, { signal })
