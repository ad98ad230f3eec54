import { parseDevices, parseMe, parsePasskeys, parseSessions } from '../../lib/account-parsers'
import type { ApiClient } from '../../lib/api-client'

/** Who is signed in. A 401 here just means "signed out", so it does not report an ended session. */
export const fetchMe = (client: ApiClient, signal?: AbortSignal) =>
  client.read('/api/me', parseMe, { reportsSessionEnd: false, ...(signal === undefined ? {} : { signal }) })

export const fetchPasskeys = (client: ApiClient, signal: AbortSignal) => client.read('/api/auth/passkeys', parsePasskeys, { signal })

export const fetchSessions = (client: ApiClient, signal: AbortSignal) => client.read('/api/sessions', parseSessions, { signal })

export const fetchDevices = (client: ApiClient, signal: AbortSignal) => client.read('/api/devices', parseDevices, { signal })
