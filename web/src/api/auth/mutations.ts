import type { AuthenticationResponseJSON } from '@simplewebauthn/browser'
import {
  parseCheckEmail,
  parseLocked,
  parseLoginResult,
  parsePasswordReset,
  parseRequestOptions,
  parseSignedIn,
  parseStepUp,
  parseUnlocked,
  parseVerified,
} from '../../lib/account-parsers'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'

/**
 * Signing up and in, emailed links, signing out, and the step-up itself. Wrong credentials come back
 * as ApiError UNAUTHENTICATED, too many tries as RATE_LIMITED; their messages are shown as they are.
 */

export type RegisterBody = {
  email: string
  password: string
  displayName?: string
  /** From an invitation link (`/invite#token=…`): the invited address may sign up where sign-up is closed to others. */
  invitationToken?: string
}

/** Same answer whether or not the address has an account. @throws ApiError PASSWORD_REJECTED (with reason), FORBIDDEN (sign-up closed) */
export const register = (client: ApiClient, body: RegisterBody) => client.write('POST', '/api/auth/register', parseCheckEmail, body)

export const verifyEmail = (client: ApiClient, token: string) => client.write('POST', '/api/auth/verify-email', parseVerified, { token })

export const login = (client: ApiClient, body: { email: string; password: string }) =>
  client.write('POST', '/api/auth/login', parseLoginResult, body)

/** The second step of a sign-in with the ticket from the first. @throws ApiError OTP_REPLAY when the code was used already */
export type SecondFactor = { totp: string } | { recoveryCode: string } | { passkey: AuthenticationResponseJSON }

export const loginSecondFactor = (client: ApiClient, ticket: string, factor: SecondFactor) =>
  client.write('POST', '/api/auth/login', parseSignedIn, { ticket, ...factor })

export const loginPasskeyOptions = (client: ApiClient, ticket: string) =>
  client.write('POST', '/api/auth/login/passkey-options', parseRequestOptions, { ticket })

/** Passwordless sign-in with a discoverable passkey: options, then the assertion. */
export const passwordlessOptions = (client: ApiClient) => client.write('POST', '/api/auth/passkey/options', parseRequestOptions, {})

export const passwordlessLogin = (client: ApiClient, response: AuthenticationResponseJSON) =>
  client.write('POST', '/api/auth/passkey/login', parseSignedIn, { response })

export const logout = (client: ApiClient) => client.write('POST', '/api/auth/logout', parseNothing)

export const requestPasswordReset = (client: ApiClient, email: string) =>
  client.write('POST', '/api/auth/password-reset/request', parseCheckEmail, { email })

/** Ends every session of the account; the person signs in again with the new password. */
export const resetPassword = (client: ApiClient, token: string, password: string) =>
  client.write('POST', '/api/auth/password-reset', parsePasswordReset, { token, password })

export const unlockAccount = (client: ApiClient, token: string) => client.write('POST', '/api/auth/unlock', parseUnlocked, { token })

/** "This wasn't me": ends every session and locks the account until the emailed unlock link is used. */
export const reportNotMe = (client: ApiClient, token: string) => client.write('POST', '/api/auth/not-me', parseLocked, { token })

/**
 * Confirms a new email address from the link sent to it. The contract names the page (/confirm-email)
 * but not the route; this follows the other links (page /x → POST /api/auth/x). Any 2xx body is fine.
 */
export const confirmEmailChange = (client: ApiClient, token: string) => client.write('POST', '/api/auth/confirm-email', parseNothing, { token })

export type StepUpFactor = { password: string } | { totp: string } | { recoveryCode: string } | { passkey: AuthenticationResponseJSON }

/** @throws ApiError SECOND_FACTOR_REQUIRED (password alone with a second factor), PHISHING_RESISTANT_FACTOR_REQUIRED */
export const stepUp = (client: ApiClient, factor: StepUpFactor) =>
  client.write('POST', '/api/auth/step-up', parseStepUp, factor, { canStepUp: false })

export const stepUpPasskeyOptions = (client: ApiClient) =>
  client.write('POST', '/api/auth/step-up/passkey-options', parseRequestOptions, {}, { canStepUp: false })
