import { requestJson, type Parse } from '../../lib/api'
import { isRecord, stringField } from '../../lib/json-guards'

/** `POST /api/setup`: claims a fresh instance with the one-time token printed at first start. */
export type SetupBody = {
  token: string
  email: string
  password: string
  workspaceName: string
}

export type SetupResult = {
  userId: string
  workspaceId: string
}

const parseSetupResult: Parse<SetupResult> = (body) => {
  const userId = isRecord(body) ? stringField(body, 'userId') : undefined
  const workspaceId = isRecord(body) ? stringField(body, 'workspaceId') : undefined
  if (userId === undefined || workspaceId === undefined) throw new Error('setup: expected { userId, workspaceId }')
  return { userId, workspaceId }
}

/**
 * No timeout: abandoning a write half-way would leave the page unsure whether the account exists.
 *
 * @throws ApiError — BAD_INPUT (a field), FORBIDDEN (wrong or expired token), CONFLICT (already claimed).
 */
export const claimInstance = (body: SetupBody): Promise<SetupResult> =>
  requestJson('/api/setup', parseSetupResult, { method: 'POST', body })
