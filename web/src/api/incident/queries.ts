import type { ApiClient } from '../../lib/api-client'
import { parseIncidentDetail, parseIncidents, parseLockStatus } from '../../lib/incident-parsers'

export const workspacePath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`

/** Whether the workspace is locked down, with its open incident (reads pass a lock). */
export const fetchLockStatus = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/lockdown`, parseLockStatus, { signal })

/** Newest first; a due unlock is applied by the server before it answers. */
export const fetchIncidents = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/incidents`, parseIncidents, { signal })

/** One incident with its timeline, oldest event first. */
export const fetchIncident = (client: ApiClient, workspaceId: string, incidentId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/incidents/${encodeURIComponent(incidentId)}`, parseIncidentDetail, { signal })
