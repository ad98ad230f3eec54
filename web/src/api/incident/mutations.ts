import type { AuthenticationResponseJSON } from '@simplewebauthn/browser'
import type { ApiClient } from '../../lib/api-client'
import {
  parseEmergencyPreview,
  parseEmergencyResult,
  parseLockdownResult,
  parseReenableResult,
  parseUnlockConfirmed,
  parseUnlockRequested,
} from '../../lib/incident-parsers'
import type { LockdownOrdersMode } from '../../lib/notification-parsers'
import { workspacePath } from './queries'

/**
 * Locks the workspace down. The server answers once every key refuses, the workspace is locked and bots
 * are stopped; orders, sessions (this one too) and emails follow. A session needs a fresh step-up, which
 * the client asks for.
 */
export const lockDown = (client: ApiClient, workspaceId: string, body: { reason?: string; orders?: LockdownOrdersMode }) =>
  client.write('POST', `${workspacePath(workspaceId)}/lockdown`, parseLockdownResult, body)

export type UnlockProof = { password: string; totp: string } | { password: string; passkey: AuthenticationResponseJSON }

/** Step one of the unlock: password and second factor; the confirmation link is emailed to the requester. */
export const requestUnlock = (client: ApiClient, workspaceId: string, proof: UnlockProof) =>
  client.write('POST', `${workspacePath(workspaceId)}/incident/unlock/request`, parseUnlockRequested, proof, { canStepUp: false })

/** Step two, from the emailed link (no sign-in needed): starts the cooling-off. */
export const confirmUnlock = (client: ApiClient, token: string) => client.write('POST', '/api/incident/unlock/confirm', parseUnlockConfirmed, { token }, { canStepUp: false })

/** One key back after the unlock: re-verified at the exchange, then a signer-confirmed widening. */
export const reenableKey = (client: ApiClient, workspaceId: string, keyId: string) =>
  client.write('POST', `${workspacePath(workspaceId)}/incident/keys/${encodeURIComponent(keyId)}/reenable`, parseReenableResult, {})

/** What the emergency link would lock; changes nothing and does not use the link. */
export const previewEmergency = (client: ApiClient, token: string) => client.write('POST', '/api/incident/emergency/preview', parseEmergencyPreview, { token }, { canStepUp: false })

/** Spends the emergency link and locks down every workspace its owner may lock. */
export const emergencyLockdown = (client: ApiClient, token: string) => client.write('POST', '/api/incident/emergency', parseEmergencyResult, { token }, { canStepUp: false })
