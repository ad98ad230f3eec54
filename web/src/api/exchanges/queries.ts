import type { ApiClient } from '../../lib/api-client'
import { parseCatalogue, parseExchangeAccounts, parseSealingKey, parseWideningOperations } from '../../lib/exchange-parsers'

const accountsPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/exchange-accounts`

/** The supported exchanges with their key guides, and the addresses Bulwark calls them from. */
export const fetchCatalogue = (client: ApiClient, signal: AbortSignal) => client.read('/api/exchanges', parseCatalogue, { signal })

/** Masked accounts with their badges; the last known state when the signer does not answer (`stale`). */
export const fetchExchangeAccounts = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(accountsPath(workspaceId), parseExchangeAccounts, { signal })

/** The signer's public key that credentials are sealed to (owners and admins only). */
export const fetchSealingKey = (client: ApiClient, workspaceId: string, signal?: AbortSignal) =>
  client.read(`${accountsPath(workspaceId)}/sealing-key`, parseSealingKey, signal === undefined ? {} : { signal })

/** Widenings waiting for a passkey or their delay (owners and admins only). */
export const fetchKeyWidenings = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`/api/workspaces/${encodeURIComponent(workspaceId)}/key-widenings`, parseWideningOperations, { signal })
