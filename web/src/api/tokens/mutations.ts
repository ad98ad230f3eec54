import { parseCreatedToken, type TokenScope } from '../../lib/account-parsers'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'

export type CreateTokenBody = {
  name: string
  workspaceId: string
  scope: TokenScope
  /** 1–365. */
  expiresInDays: number
  /** CIDRs; omitted means any address. */
  allowedIps?: string[]
}

/** Needs a step-up. The token is in the answer only; the server keeps a hash. */
export const createToken = (client: ApiClient, body: CreateTokenBody) => client.write('POST', '/api/tokens', parseCreatedToken, body)

export const revokeToken = (client: ApiClient, id: string) => client.write('DELETE', `/api/tokens/${encodeURIComponent(id)}`, parseNothing)
