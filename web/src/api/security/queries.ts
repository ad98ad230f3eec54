import type { ApiClient } from '../../lib/api-client'
import { parseKeyHealthList } from '../../lib/monitoring-parsers'

/** Every key of the workspace with its health badges, age, rotation, last use and last verification. */
export const fetchKeyHealth = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`/api/workspaces/${encodeURIComponent(workspaceId)}/security/keys`, parseKeyHealthList, { signal })
