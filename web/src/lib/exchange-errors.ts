import type { ApiError } from './api'

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
    default:
      return undefined
  }
}
