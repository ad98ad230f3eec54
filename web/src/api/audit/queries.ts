import { requestJson } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import { parseAccountAuditVerification, parseAuditMembers, parseAuditPage, parseAuditVerification } from '../../lib/monitoring-parsers'
import { withStepUp } from '../../lib/step-up'
import { queryString } from '../activity/queries'

export type AuditFilter = {
  /** An event type, lowercase: "session_revoked". */
  type?: string
  outcome?: string
  /** Free text searched in the entries. */
  q?: string
  /** ISO 8601 times. */
  from?: string
  to?: string
  /** One member's entries (their user id); traders and viewers always get only their own. */
  member?: string
}

const auditPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/audit`

/** Newest first; `cursor` is the `nextCursor` of the previous page. Reading is itself audited (once a minute per filter). */
export const fetchAuditPage = (client: ApiClient, workspaceId: string, filter: AuditFilter, cursor: string | undefined, signal: AbortSignal) =>
  client.read(`${auditPath(workspaceId)}${queryString({ ...filter, cursor, limit: 50 })}`, parseAuditPage, { signal })

/** Who has entries in the log, most recent first (owners and admins: everyone; others: themselves). */
export const fetchAuditMembers = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${auditPath(workspaceId)}/members`, parseAuditMembers, { signal })

/** The chain checked link by link and against the signer's checkpoints. */
export const fetchAuditVerification = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${auditPath(workspaceId)}/verification`, parseAuditVerification, { signal })

/** The signed-in person's own account events (sign-up, email, sign-ins, factors), newest first. */
export const fetchAccountAuditPage = (client: ApiClient, filter: Omit<AuditFilter, 'from' | 'to' | 'member'>, cursor: string | undefined, signal: AbortSignal) =>
  client.read(`/api/me/audit${queryString({ ...filter, cursor, limit: 50 })}`, parseAuditPage, { signal })

/** Whether the chain holding everyone's account events verifies (checked at most once a minute by the server). */
export const fetchAccountAuditVerification = (client: ApiClient, signal: AbortSignal) => client.read('/api/me/audit/verification', parseAccountAuditVerification, { signal })

export type ExportFormat = 'jsonl' | 'csv'

/**
 * The export as a file. Exporting needs a fresh step-up, so this is a fetch the page can repeat after
 * "Confirm it's you" (a plain link could not ask), and errors come back as ApiError sentences. The
 * body is read as the browser got it (the JSONL ends with the trailer that verifies it offline).
 */
export const downloadAuditExport = async (client: ApiClient, workspaceId: string, format: ExportFormat, range: { from?: string; to?: string }): Promise<{ blob: Blob; fileName: string }> => {
  const path = `${auditPath(workspaceId)}/export${queryString({ format, from: range.from, to: range.to })}`
  let body: Blob | undefined
  const send = () =>
    requestJson(path, () => undefined, {
      fetch: async (url, init) => {
        const response = await globalThis.fetch(url, init)
        if (response.ok) body = await response.clone().blob()
        return response
      },
    })
  await withStepUp(send, client.confirmIdentity)
  if (body === undefined) throw new Error('the export answer had no body')
  return { blob: body, fileName: `audit-${workspaceId}.${format}` }
}
