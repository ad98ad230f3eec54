import { parseTokens } from '../../lib/account-parsers'
import type { ApiClient } from '../../lib/api-client'

export const fetchTokens = (client: ApiClient, signal: AbortSignal) => client.read('/api/tokens', parseTokens, { signal })
