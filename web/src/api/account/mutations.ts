import type { RegistrationResponseJSON } from '@simplewebauthn/browser'
import {
  parseCheckEmail,
  parseCreationOptions,
  parsePasskeyAdded,
  parseRecoveryCodes,
  parseRevokedCount,
  parseTotpSetup,
} from '../../lib/account-parsers'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'

/**
 * Changes to the signed-in account. Most need a recent step-up; the client asks for it when the
 * server says STEP_UP_REQUIRED and repeats the request, so callers just await the result.
 */

const byId = (base: string, id: string) => `${base}/${encodeURIComponent(id)}`

export const startTotpSetup = (client: ApiClient) => client.write('POST', '/api/auth/totp/setup', parseTotpSetup, {})

/** Recovery codes when this is the first second factor, else an empty list. */
export const enableTotp = (client: ApiClient, code: string) => client.write('POST', '/api/auth/totp/enable', parseRecoveryCodes, { code })

export const disableTotp = (client: ApiClient) => client.write('POST', '/api/auth/totp/disable', parseNothing, {})

/** Replaces every earlier code. */
export const regenerateRecoveryCodes = (client: ApiClient) => client.write('POST', '/api/auth/recovery-codes', parseRecoveryCodes, {})

export const passkeyRegistrationOptions = (client: ApiClient) =>
  client.write('POST', '/api/auth/passkeys/options', parseCreationOptions, {})

export const addPasskey = (client: ApiClient, response: RegistrationResponseJSON, name: string) =>
  client.write('POST', '/api/auth/passkeys', parsePasskeyAdded, { response, name })

export const renamePasskey = (client: ApiClient, id: string, name: string) =>
  client.write('PATCH', byId('/api/auth/passkeys', id), parseNothing, { name })

export const deletePasskey = (client: ApiClient, id: string) => client.write('DELETE', byId('/api/auth/passkeys', id), parseNothing)

/** Ends the account's other sessions. */
export const changePassword = (client: ApiClient, currentPassword: string, newPassword: string) =>
  client.write('PUT', '/api/auth/password', parseNothing, { currentPassword, newPassword })

/** Sends a confirmation link to the new address and a notice to the old one. */
export const changeEmail = (client: ApiClient, newEmail: string) => client.write('POST', '/api/auth/email', parseCheckEmail, { newEmail })

export const setAntiPhishingCode = (client: ApiClient, code: string) =>
  client.write('PUT', '/api/auth/anti-phishing-code', parseNothing, { code })

export const endSession = (client: ApiClient, id: string) => client.write('DELETE', byId('/api/sessions', id), parseNothing)

/** How many sessions ended. */
export const endOtherSessions = (client: ApiClient) => client.write('POST', '/api/sessions/revoke-others', parseRevokedCount, {})

/** The next sign-in from this device counts as new again (and alerts). */
export const forgetDevice = (client: ApiClient, id: string) => client.write('DELETE', byId('/api/devices', id), parseNothing)
