import { createHmac, randomBytes } from 'node:crypto'
import type { Exchange } from 'ccxt'
import { AppError } from '../../lib/errors.js'
import { venueSpec } from '../venues/registry.js'

/** The fields of a vault Credentials object this needs (Buffers the caller wipes). */
export type VenueCredentials = { apiKey: Buffer; secret: Buffer; password?: Buffer | undefined }

type NobleHash = { outputLen: number }
type Hmac = (request: Uint8Array | string, secret: Uint8Array | string, hash: NobleHash, digest?: 'hex' | 'base64' | 'binary') => unknown

const hashName = (h: NobleHash) => ({ 32: 'sha256', 48: 'sha384', 64: 'sha512' })[h.outputLen] ?? 'sha256'
const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength))

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const sextet = new Int8Array(256).fill(-1)
for (let i = 0; i < alphabet.length; i++) sextet[alphabet.charCodeAt(i)] = i
sextet['-'.charCodeAt(0)] = 62 // base64url, as some venues print secrets
sextet['_'.charCodeAt(0)] = 63

/** base64 → bytes without passing the secret through a (never wiped) JS string. Skips padding and whitespace. */
const decodeBase64Bytes = (text: Buffer): Buffer => {
  const out = Buffer.alloc(Math.floor((text.length * 3) / 4))
  let acc = 0
  let bits = 0
  let n = 0
  for (const byte of text) {
    const v = sextet[byte] ?? -1
    if (v < 0) continue
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[n++] = (acc >> bits) & 0xff
    }
  }
  const decoded = Buffer.from(out.subarray(0, n))
  out.fill(0)
  return decoded
}

/**
 * Puts credentials on a ccxt instance for one call and takes them off afterwards, even when `fn`
 * throws. HMAC venues sign through a wrapped `hmac` keyed with the caller's Buffer: ccxt's `secret` is
 * a random placeholder (SECURITY.md R12), recognised both as text and, for venues that key with the
 * base64-decoded secret (Kraken), as its decoding. PEM keys (Binance Ed25519/RSA, Bybit RSA) and
 * passphrases exist as strings only inside the call.
 * @throws AppError INTERNAL when the venue is unknown (nothing is signed)
 */
export const withVenueCredentials = async <T>(exchange: Exchange, venue: string, c: VenueCredentials, fn: () => Promise<T>): Promise<T> => {
  const spec = venueSpec(venue)
  if (!spec) throw new AppError('INTERNAL', `no signing rules for exchange "${venue}"`)
  // 24 random bytes: valid base64 text (no padding), so a venue that base64-decodes the secret gets bytes too.
  const placeholder = randomBytes(24).toString('base64')
  const placeholderText = Buffer.from(placeholder)
  const placeholderDecoded = Buffer.from(placeholder, 'base64')
  const decodedSecret = spec.ccxt.secretEncoding === 'base64' ? decodeBase64Bytes(c.secret) : null
  const original = exchange.hmac as unknown as Hmac
  const isPem = c.secret.includes('PRIVATE KEY')
  exchange.apiKey = c.apiKey.toString('utf8')
  exchange.secret = isPem ? c.secret.toString('utf8') : placeholder
  exchange.password = c.password ? c.password.toString('utf8') : ''
  exchange.hmac = ((request: Uint8Array | string, secret: Uint8Array | string, hash: NobleHash, digest: 'hex' | 'base64' | 'binary' = 'hex') => {
    const secretBytes = bytesOf(secret)
    const key = secretBytes.equals(placeholderText) ? c.secret : decodedSecret && secretBytes.equals(placeholderDecoded) ? decodedSecret : null
    if (key === null) return original.call(exchange, request, secret, hash, digest)
    const mac = createHmac(hashName(hash), key).update(bytesOf(request))
    return digest === 'binary' ? new Uint8Array(mac.digest()) : mac.digest(digest)
  }) as unknown as Exchange['hmac']
  try {
    return await fn()
  } finally {
    exchange.apiKey = ''
    exchange.secret = ''
    exchange.password = ''
    exchange.hmac = original as unknown as Exchange['hmac']
    decodedSecret?.fill(0)
  }
}
