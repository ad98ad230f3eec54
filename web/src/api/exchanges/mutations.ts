import type { AuthenticationResponseJSON } from '@simplewebauthn/browser'
import { parseRequestOptions } from '../../lib/account-parsers'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import {
  parseExchangeAccount,
  parseGeneratedKey,
  parseLimitsResult,
  parseOperationOutcome,
  parsePendingResult,
  type KeyLimits,
} from '../../lib/exchange-parsers'
import type { SealedEnvelope } from '../../lib/sealing'
import { parseGated } from '../../lib/team-parsers'

/**
 * Changes to exchange accounts. Connecting, replacing and removing a key and changing its limits need
 * a fresh step-up (the client asks and repeats the request once). Narrowing applies at once; widening
 * (higher limits, enabling) comes back as a pending operation to confirm with a passkey or wait out.
 */

const accountsPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/exchange-accounts`
const accountPath = (workspaceId: string, id: string) => `${accountsPath(workspaceId)}/${encodeURIComponent(id)}`
const wideningPath = (workspaceId: string, operationId: string) =>
  `/api/workspaces/${encodeURIComponent(workspaceId)}/key-widenings/${encodeURIComponent(operationId)}`

export type ConnectBody = { exchange: string; label: string; envelope: SealedEnvelope }

/** A key change in a workspace with four-eyes approvals (R42) answers 202: verified and stored, unusable until approved. */
const parseAccountOrWaiting = parseGated(parseExchangeAccount)

/**
 * @returns the account, or the request waiting for a second owner or admin
 * @throws ApiError SECOND_FACTOR_REQUIRED, EMAIL_NOT_VERIFIED, FORBIDDEN (reason FACTOR_COOLDOWN),
 *   KEY_HAS_WITHDRAW_PERMISSION (the fix in the message), KEY_NOT_IP_RESTRICTED, EXCHANGE_AUTH, BAD_INPUT (expired envelope),
 *   CONFLICT (reason NO_APPROVER: nobody else could approve it)
 */
export const connectExchangeAccount = (client: ApiClient, workspaceId: string, body: ConnectBody) =>
  client.write('POST', accountsPath(workspaceId), parseAccountOrWaiting, body)

/**
 * Ed25519 (catalogue entries with `acceptsEd25519`): the signer generates the key pair and keeps the
 * private key; the answer is the account, waiting for its API key, and the public key to register.
 * @throws ApiError SECOND_FACTOR_REQUIRED, EMAIL_NOT_VERIFIED, FORBIDDEN (reason FACTOR_COOLDOWN), BAD_INPUT
 */
export const generateEd25519Account = (client: ApiClient, workspaceId: string, body: { exchange: string; label: string }) =>
  client.write('POST', `${accountsPath(workspaceId)}/ed25519`, parseGeneratedKey, body)

/**
 * The API key the exchange issued for the generated public key; the signer verifies the key there.
 * @returns the account, or the request waiting for a second owner or admin
 * @throws ApiError KEY_HAS_WITHDRAW_PERMISSION, KEY_NOT_IP_RESTRICTED, EXCHANGE_AUTH, CONFLICT (that API key is already connected)
 */
export const completeGeneratedAccount = (client: ApiClient, workspaceId: string, id: string, apiKey: string) =>
  client.write('POST', `${accountPath(workspaceId, id)}/api-key`, parseAccountOrWaiting, { apiKey })

export const verifyExchangeAccount = (client: ApiClient, workspaceId: string, id: string) =>
  client.write('POST', `${accountPath(workspaceId, id)}/verify`, parseExchangeAccount)

/**
 * The new key is verified and stored before the old one is destroyed. With four-eyes approvals the old
 * key keeps serving until a second owner or admin approves the new one (202).
 */
export const replaceExchangeKey = (client: ApiClient, workspaceId: string, id: string, envelope: SealedEnvelope) =>
  client.write('POST', `${accountPath(workspaceId, id)}/rotate`, parseAccountOrWaiting, { envelope })

/** Immediate: disabling only narrows. An empty reason lets the server write its default. */
export const disableExchangeAccount = (client: ApiClient, workspaceId: string, id: string, reason: string) =>
  client.write('POST', `${accountPath(workspaceId, id)}/disable`, parseExchangeAccount, reason === '' ? {} : { reason })

/** Destroys every stored share of the key; the key itself still exists at the exchange. */
export const removeExchangeAccount = (client: ApiClient, workspaceId: string, id: string) =>
  client.write('DELETE', accountPath(workspaceId, id), parseNothing)

export const setExchangeLimits = (client: ApiClient, workspaceId: string, id: string, limits: KeyLimits) =>
  client.write('PUT', `${accountPath(workspaceId, id)}/limits`, parseLimitsResult, { limits })

/** Always pending: bringing a key back is a widening. */
export const enableExchangeAccount = (client: ApiClient, workspaceId: string, id: string) =>
  client.write('POST', `${accountPath(workspaceId, id)}/enable`, parsePendingResult)

/** WebAuthn options whose challenge is the operation's hash. @throws ApiError BAD_INPUT with reason NO_PASSKEY when the person has no passkey */
export const wideningPasskeyOptions = (client: ApiClient, workspaceId: string, operationId: string) =>
  client.write('POST', `${wideningPath(workspaceId, operationId)}/options`, parseRequestOptions)

/** The signer checks the assertion against the passkeys it trusts and applies the change at once. */
export const confirmWidening = (client: ApiClient, workspaceId: string, operationId: string, assertion: AuthenticationResponseJSON) =>
  client.write('POST', `${wideningPath(workspaceId, operationId)}/confirm`, parseOperationOutcome, { assertion })

export const cancelWidening = (client: ApiClient, workspaceId: string, operationId: string) =>
  client.write('POST', `${wideningPath(workspaceId, operationId)}/cancel`, parseOperationOutcome)
