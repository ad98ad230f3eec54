import type { ApiClient } from '../../lib/api-client'
import { parseAlertRules, parseSettings } from '../../lib/notification-parsers'

export const settingsPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/settings`

export const fetchSettings = (client: ApiClient, workspaceId: string, signal: AbortSignal) => client.read(settingsPath(workspaceId), parseSettings, { signal })

/** The built-in alert catalogue with this workspace's choices. */
export const fetchAlertRules = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`/api/workspaces/${encodeURIComponent(workspaceId)}/alert-rules`, parseAlertRules, { signal })
