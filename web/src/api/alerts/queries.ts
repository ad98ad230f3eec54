import { parseAlerts } from '../../lib/account-parsers'
import type { ApiClient } from '../../lib/api-client'

export const alertsPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/alerts`

export const fetchAlerts = (client: ApiClient, workspaceId: string, isUnreadOnly: boolean, signal: AbortSignal) =>
  client.read(`${alertsPath(workspaceId)}${isUnreadOnly ? '?unread=true' : ''}`, parseAlerts, { signal })
