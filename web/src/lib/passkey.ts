import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser'
import { ApiError } from './api'

/** Passkeys through @simplewebauthn/browser, with its failures turned into sentences a person can act on. */

export const PASSKEY_FAILED = 'PASSKEY_FAILED'

export const canUsePasskeys = (): boolean => browserSupportsWebAuthn()

type Ceremony = 'create' | 'use'

/**
 * Why the browser's passkey prompt failed. `WebAuthnError` carries a `code` and the DOMException's
 * `name`; a bare DOMException carries the name only.
 */
export const passkeyErrorMessage = (error: unknown, ceremony: Ceremony): string => {
  const name = error instanceof Error ? error.name : ''
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : ''
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || (ceremony === 'create' && name === 'InvalidStateError')) {
    return 'This authenticator already holds a passkey for your account. Use another one, or keep the one you have.'
  }
  if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
    return 'Passkeys work only at the address Bulwark is configured for (PUBLIC_ORIGIN), over HTTPS or on localhost.'
  }
  if (code === 'ERROR_CEREMONY_ABORTED' || name === 'NotAllowedError' || name === 'AbortError') {
    return ceremony === 'create'
      ? 'No passkey was created: the prompt was closed or timed out. Try again when you are ready.'
      : 'The passkey prompt was closed or timed out. Try again, or choose another way.'
  }
  if (name === 'NotSupportedError' || code === 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG') {
    return 'This browser or authenticator does not support the kind of passkey Bulwark asks for.'
  }
  if (code === 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT') {
    return 'This authenticator cannot verify you (PIN or biometrics), which Bulwark requires. Use another one.'
  }
  return ceremony === 'create' ? 'The passkey could not be created. Try again, or use another authenticator.' : 'The passkey did not work. Try again, or choose another way.'
}

/** @throws ApiError PASSKEY_FAILED when the person cancels or the authenticator refuses */
export const createPasskey = async (optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> => {
  try {
    return await startRegistration({ optionsJSON })
  } catch (cause) {
    throw new ApiError(PASSKEY_FAILED, passkeyErrorMessage(cause, 'create'), { cause })
  }
}

/** @throws ApiError PASSKEY_FAILED when the person cancels or the authenticator refuses */
export const signWithPasskey = async (optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> => {
  try {
    return await startAuthentication({ optionsJSON })
  } catch (cause) {
    throw new ApiError(PASSKEY_FAILED, passkeyErrorMessage(cause, 'use'), { cause })
  }
}
