import type { ApiClient } from '../../lib/api-client'
import { parseKeyHealthList } from '../../lib/monitoring-parsers'
import { parseSecurityScore } from '../../lib/security-score'

/** Every key of the workspace with its health badges, age, rotation, last use and last verification. */
export const fetchKeyHealth = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`/api/workspaces/${encodeURIComponent(workspaceId)}/security/keys`, parseKeyHealthList, { signal })

/** The signed-in member's security score in the workspace, with the steps that raise it. */
export const fetchSecurityScore = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`/api/workspaces/${encodeURIComponent(workspaceId)}/security/score`, parseSecurityScore, { signal })
