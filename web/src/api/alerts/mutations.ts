import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import { alertsPath } from './queries'

export const markAlertRead = (client: ApiClient, workspaceId: string, alertId: string) =>
  client.write('POST', `${alertsPath(workspaceId)}/${encodeURIComponent(alertId)}/read`, parseNothing, {})
