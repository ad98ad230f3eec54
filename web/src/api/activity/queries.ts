import type { ApiClient } from '../../lib/api-client'
import { parseActivityPage, parseActivitySummaries } from '../../lib/monitoring-parsers'

export type ActivityFilter = {
  keyId?: string
  botId?: string
  method?: string
  outcome?: string
  /** ISO 8601 times. */
  from?: string
  to?: string
}

const activityPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/activity`

/** The query string of a filter: only the fields that are set. */
export const queryString = (params: Readonly<Record<string, string | number | undefined>>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** Newest first; `cursor` is the `next` of the previous page. */
export const fetchActivity = (client: ApiClient, workspaceId: string, filter: ActivityFilter, cursor: string | undefined, signal: AbortSignal) =>
  client.read(`${activityPath(workspaceId)}${queryString({ ...filter, cursor, limit: 50 })}`, parseActivityPage, { signal })

/** Per key: requests, errors and refusals over the last 30 days, last use, latency. */
export const fetchActivitySummary = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${activityPath(workspaceId)}/summary`, parseActivitySummaries, { signal })
