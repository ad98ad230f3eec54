import { createHash } from 'node:crypto'
import { AppError } from '../../lib/errors.js'

/** A venue's client order id rule (catalogue `clientOrderId`; demo venues have their own). */
export type ClientOrderIdRule = { maxLength: number; pattern: string }

const base32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** Lowercase RFC 4648 base32 without padding: letters and digits only, which every venue accepts. */
const toBase32 = (bytes: Uint8Array): string => {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += base32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return bits > 0 ? out + base32[(value << (5 - bits)) & 31] : out
}

/**
 * Longest id we generate. The signer's createOrder takes at most 36 characters of `[A-Za-z0-9._:-]`
 * (exchanges/venue-types.ts); 32 keeps under that and under the 32-character venues (OKX, MEXC, BloFin).
 */
const MAX_LENGTH = 32
/** Numeric ids stay below 2^53 (and Bitfinex's 45-bit cid): 15 digits at most, the rule's limit below that. */
const MAX_DIGITS = 15

/**
 * The client order id for `seed` in a venue's format: the same seed always gives the same id, different
 * seeds give different ids (SHA-256; 80+ bits where the venue takes letters, 43+ bits on the numeric-only
 * venues, Bitfinex and EXMO). Letters and digits after a `bw` prefix where the pattern allows them
 * (the prefix tells our orders apart from the user's in the exchange's own UI), digits only otherwise.
 * The rule's `maxLength` already leaves room for a prefix ccxt adds (Gate's `t-`).
 * @throws AppError INTERNAL when the rule admits neither form (a catalogue entry we cannot serve)
 */
export const clientOrderIdFor = (rule: ClientOrderIdRule, seed: string): string => {
  const digest = createHash('sha256').update(seed, 'utf8').digest()
  const pattern = new RegExp(rule.pattern)
  const length = Math.min(rule.maxLength, MAX_LENGTH)
  const alpha = `bw${toBase32(digest)}`.slice(0, length)
  if (length >= 8 && pattern.test(alpha)) return alpha
  const digits = Math.min(rule.maxLength, MAX_DIGITS)
  if (digits >= 6) {
    // A non-zero first digit: numeric venues read the id as a positive integer.
    const rest = (BigInt(`0x${digest.subarray(1).toString('hex')}`) % 10n ** BigInt(digits - 1)).toString().padStart(digits - 1, '0')
    const numeric = `${1 + ((digest[0] ?? 0) % 9)}${rest}`
    if (pattern.test(numeric)) return numeric
  }
  throw new AppError('INTERNAL', `no client order id fits the venue's rule (${rule.pattern}, at most ${rule.maxLength} characters)`)
}
