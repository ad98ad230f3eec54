import { requestJson, type Parse } from '../../lib/api'
import { isRecord, stringField, stringMapField } from '../../lib/json-guards'

/** Reads that describe the instance itself: `GET /api/version` and `GET /readyz`. */

const READ_TIMEOUT_MS = 10_000

export type VersionInfo = {
  name: string
  version: string
}

export type ReadinessReport = {
  /** "ready" or "not_ready" today; kept as a string so a new state does not break the page. */
  status: string
  isReady: boolean
  /** Check name → "ok" or what is wrong ("unreachable", …). */
  checks: Readonly<Record<string, string>>
}

const parseVersion: Parse<VersionInfo> = (body) => {
  const name = isRecord(body) ? stringField(body, 'name') : undefined
  const version = isRecord(body) ? stringField(body, 'version') : undefined
  if (name === undefined || version === undefined) throw new Error('version: expected { name, version }')
  return { name, version }
}

const parseReadiness: Parse<ReadinessReport> = (body) => {
  const status = isRecord(body) ? stringField(body, 'status') : undefined
  if (!isRecord(body) || status === undefined) throw new Error('readyz: expected { status, checks }')
  return { status, isReady: status === 'ready', checks: stringMapField(body, 'checks') ?? {} }
}

export const fetchVersion = (signal: AbortSignal): Promise<VersionInfo> =>
  requestJson('/api/version', parseVersion, { signal, timeoutMs: READ_TIMEOUT_MS })

/** 503 is the normal "not ready" answer and carries the same body, so it is not an error here. */
export const fetchReadiness = (signal: AbortSignal): Promise<ReadinessReport> =>
  requestJson('/readyz', parseReadiness, { signal, timeoutMs: READ_TIMEOUT_MS, acceptStatuses: [503] })
