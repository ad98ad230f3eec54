import { base64url } from './sealing'

/**
 * Trust on first use for the signer's sealing key. The browser seals exchange credentials to the
 * public key the api hands it; an api that has been taken over could hand out a key of its own and
 * read every secret sealed to it. So the page shows the key's fingerprint, remembers the first one it
 * sealed to, and stops loudly when a different one appears, until the person has checked it with the
 * operator. localStorage is per origin, so each Bulwark address keeps its own record.
 */

export const SIGNER_KEY_STORAGE_KEY = 'bulwark.signer-key-fingerprint'

/** Hex characters of SHA-256 shown and stored: 64 bits, enough to compare by eye and by voice. */
export const FINGERPRINT_HEX_LENGTH = 16

/** An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y. */
const P256_RAW_LENGTH = 65

/**
 * The first 16 hex characters of SHA-256 over the raw public key bytes (WebCrypto).
 * @throws Error when the key is not an uncompressed P-256 point in base64url
 */
export const signerKeyFingerprint = async (publicKey: string): Promise<string> => {
  let raw: Uint8Array<ArrayBuffer>
  try {
    raw = base64url.decode(publicKey)
  } catch (cause) {
    throw new Error('the signer key is not base64url', { cause })
  }
  if (raw.length !== P256_RAW_LENGTH || raw[0] !== 0x04) throw new Error('the signer key is not an uncompressed P-256 public key')
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', raw))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, FINGERPRINT_HEX_LENGTH)
}

/** "3f9a0c12be45d7e8" → "3f9a 0c12 be45 d7e8", for reading aloud. */
export const formatFingerprint = (fingerprint: string): string => fingerprint.match(/.{1,4}/g)?.join(' ') ?? fingerprint

export type SignerTrust =
  /** This browser has never sealed to a signer key here. */
  | { status: 'first_use'; fingerprint: string }
  /** The same key as last time. */
  | { status: 'trusted'; fingerprint: string }
  /** A different key from the one this browser sealed to before. */
  | { status: 'changed'; fingerprint: string; previous: string }

const isFingerprint = (value: string | null | undefined): value is string => value !== null && value !== undefined && /^[0-9a-f]{16}$/.test(value)

/** Compares the offered key's fingerprint with the remembered one (an unreadable record counts as none). */
export const assessSignerKey = (remembered: string | null | undefined, fingerprint: string): SignerTrust => {
  if (!isFingerprint(remembered)) return { status: 'first_use', fingerprint }
  return remembered === fingerprint ? { status: 'trusted', fingerprint } : { status: 'changed', fingerprint, previous: remembered }
}

/** Sealing may go ahead: always for a known or first key, for a changed one only once the person says they checked it. */
export const maySealTo = (trust: SignerTrust, hasConfirmedChange: boolean): boolean => trust.status !== 'changed' || hasConfirmedChange

export type FingerprintStore = Pick<Storage, 'getItem' | 'setItem'>

const browserStore = (): FingerprintStore | undefined => {
  try {
    return window.localStorage
  } catch {
    return undefined
  }
}

export const readRememberedFingerprint = (store: FingerprintStore | undefined = browserStore()): string | null => {
  try {
    return store?.getItem(SIGNER_KEY_STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

/** Called after sealing to a key the person accepted; storage that is off makes every visit a first use. */
export const rememberFingerprint = (fingerprint: string, store: FingerprintStore | undefined = browserStore()): void => {
  try {
    store?.setItem(SIGNER_KEY_STORAGE_KEY, fingerprint)
  } catch {
    // Storage disabled or full: the next visit asks as if it were the first.
  }
}
