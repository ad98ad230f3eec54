import { requestJson, type Parse } from '../../lib/api'
import { booleanField, isRecord } from '../../lib/json-guards'

export type SetupStatus = {
  /** True until the operator account exists. */
  needsSetup: boolean
}

const parseSetupStatus: Parse<SetupStatus> = (body) => {
  const needsSetup = isRecord(body) ? booleanField(body, 'needsSetup') : undefined
  if (needsSetup === undefined) throw new Error('setup: expected { needsSetup }')
  return { needsSetup }
}

export const fetchSetupStatus = (signal: AbortSignal): Promise<SetupStatus> =>
  requestJson('/api/setup', parseSetupStatus, { signal, timeoutMs: 10_000 })
