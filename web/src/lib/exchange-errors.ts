import { isApiError, type ApiError } from './api'

/**
 * What to do next after connecting or replacing a key failed. The server's message says what went
 * wrong (and, for a key that can withdraw, which box to untick); this adds the step on this page,
 * and that the secret has to be typed again because the form dropped it once sealed.
 */

export type ConnectHint = { text: string; link?: 'security' }

const AGAIN = 'Nothing was stored. Enter the key again once that is done.'

export const connectErrorHint = (error: Pick<ApiError, 'code' | 'reason'>): ConnectHint | undefined => {
  switch (error.code) {
    case 'SECOND_FACTOR_REQUIRED':
      return { text: 'Turn on an authenticator app or a passkey under Security, then connect the key.', link: 'security' }
    case 'PHISHING_RESISTANT_FACTOR_REQUIRED':
      return { text: 'This workspace asks for a passkey: add one under Security, then connect the key.', link: 'security' }
    case 'EMAIL_NOT_VERIFIED':
      return { text: 'Open the link in the email Bulwark sent you (Security shows where it went), then connect the key.', link: 'security' }
    case 'FORBIDDEN':
      return error.reason === 'FACTOR_COOLDOWN'
        ? { text: 'Your sign-in factors changed recently, so new keys wait 24 hours: someone who took over the account cannot add a key at once.' }
        : undefined
    case 'KEY_HAS_WITHDRAW_PERMISSION':
      return { text: `Bulwark never stores a key that can move funds. Edit the key at the exchange as described, or create a new trade-only key. ${AGAIN}` }
    case 'EXCHANGE_AUTH':
      return {
        text: `Check that you copied the key and secret (and passphrase) exactly, that the key is enabled, and that its IP whitelist holds the addresses shown above. ${AGAIN}`,
      }
    case 'EXCHANGE_UNAVAILABLE':
      return { text: `The exchange could not be reached to check the key. Try again in a few minutes. ${AGAIN}` }
    case 'BAD_INPUT':
      return { text: 'If the sealed credentials expired, enter the key again: they are valid for two minutes after sealing.' }
    case 'STEP_UP_CANCELLED':
      // Nothing was sent, so what was typed stays in the form (seal-and-send.ts).
      return { text: "The key you entered is still in the form: try again when you are ready to confirm it's you." }
    default:
      return undefined
  }
}

/**
 * What to do after "Finish connecting" failed. The key pair stays in the signer and the account keeps
 * waiting, so the fix is made at the exchange and the same button pressed again.
 */
export const finishConnectingHint = (error: Pick<ApiError, 'code' | 'reason'>, exchangeName: string): ConnectHint | undefined => {
  switch (error.code) {
    case 'KEY_HAS_WITHDRAW_PERMISSION':
      return { text: `Bulwark never keeps a key that can move funds. Edit the key's restrictions at ${exchangeName} as described, then select Finish connecting again.` }
    case 'EXCHANGE_AUTH':
      return {
        text: `Check that you pasted the API key ${exchangeName} issued for this public key, that the key is enabled, and that its IP whitelist holds the addresses shown. Then select Finish connecting again.`,
      }
    case 'EXCHANGE_UNAVAILABLE':
      return { text: `${exchangeName} could not be reached to check the key. Try again in a few minutes: the key pair is kept.` }
    case 'CONFLICT':
      return { text: 'This API key is already connected in Bulwark, or this account already has its key. Reload the page to see the current state.' }
    default:
      return policyHint(error)
  }
}

/** The refusals that come from the account policy (R26), before anything reaches the signer. */
const policyCodes: ReadonlySet<string> = new Set(['SECOND_FACTOR_REQUIRED', 'PHISHING_RESISTANT_FACTOR_REQUIRED', 'EMAIL_NOT_VERIFIED', 'FORBIDDEN'])

const policyHint = (error: Pick<ApiError, 'code' | 'reason'>): ConnectHint | undefined => (policyCodes.has(error.code) ? connectErrorHint(error) : undefined)

/** After generating a key pair failed: only the account-policy refusals have a next step on this page (nothing was typed). */
export const generateErrorHint = (error: Pick<ApiError, 'code' | 'reason'>): ConnectHint | undefined => policyHint(error)

/** The widening confirm options refused because this person has no passkey: the change still applies after its delay. */
export const isNoPasskeyRefusal = (error: unknown): boolean => isApiError(error) && error.reason === 'NO_PASSKEY'
