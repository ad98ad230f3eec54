import type { CatalogueEntry, ExchangeAccount } from './exchange-parsers'

/**
 * Ed25519 keys the signer generates (venues with `acceptsEd25519`): the signer makes the key pair and
 * keeps the private half; the person registers the public half at the exchange and brings back the
 * API key the exchange issues for it. Nothing secret passes through this page, so nothing is sealed.
 */

/**
 * How the connect form gets a key. 'generate': the signer makes an Ed25519 key pair (venues with
 * `acceptsEd25519`); 'paste': a system-generated key and its secret, sealed in this browser.
 */
export type ConnectMethod = 'generate' | 'paste'

/** Where the venue takes one, a generated key is the default: its private half never exists outside the signer. */
export const defaultConnectMethod = (entry: Pick<CatalogueEntry, 'acceptsEd25519'> | undefined): ConnectMethod =>
  entry?.acceptsEd25519 === true ? 'generate' : 'paste'

/** The server's bounds for the API key (POST …/exchange-accounts/:id/api-key). */
export const MIN_API_KEY_LENGTH = 8
export const MAX_API_KEY_LENGTH = 200

/** An account whose key pair exists in the signer and that still waits for its API key from the exchange. */
export const isAwaitingApiKey = (account: Pick<ExchangeAccount, 'verification'>): boolean => account.verification.status === 'awaiting_api_key'

const PUBLIC_KEY_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/

/**
 * The public key to register, only when it is one: text that is anything else (a private key above
 * all) is never put in front of someone with a button to copy it to a web page.
 */
export const publicKeyToRegister = (pem: string | undefined): string | undefined => {
  const trimmed = pem?.trim()
  return trimmed !== undefined && PUBLIC_KEY_PEM.test(trimmed) ? trimmed : undefined
}

/** The public key of an account that waits for its API key, as the signer recorded it. */
export const awaitingPublicKey = (account: Pick<ExchangeAccount, 'verification'>): string | undefined =>
  isAwaitingApiKey(account) ? publicKeyToRegister(account.verification.publicKeyPem) : undefined

/**
 * Checks the API key pasted for a generated key pair. Copying often brings a space or a line break at
 * the ends, which is trimmed; one inside means something else was copied (the public key itself, or
 * two values at once).
 */
export const prepareApiKey = (raw: string, exchangeName: string): { ok: true; apiKey: string } | { ok: false; problem: string } => {
  const apiKey = raw.trim()
  if (apiKey === '') return { ok: false, problem: `Paste the API key ${exchangeName} shows once you have saved the public key there.` }
  if (apiKey.includes('-----')) return { ok: false, problem: `This is a key in PEM form. Paste the API key ${exchangeName} issued for it instead.` }
  if (/\s/.test(apiKey)) return { ok: false, problem: `The API key has spaces or line breaks in it: copy it again from ${exchangeName}.` }
  if (apiKey.length < MIN_API_KEY_LENGTH) return { ok: false, problem: `That is too short for an API key: copy the whole key from ${exchangeName}.` }
  if (apiKey.length > MAX_API_KEY_LENGTH) return { ok: false, problem: `That is longer than any API key ${exchangeName} issues: copy it again.` }
  return { ok: true, apiKey }
}
