import { hkdfSync } from 'node:crypto'

/**
 * HKDF-SHA256 (RFC 5869). Returns a Buffer the caller wipes after use.
 * @example hkdfSha256(masterKey, 'bulwark-kek-v1', `store:${storeId}:v${version}`, 32)
 */
export const hkdfSha256 = (ikm: Uint8Array, salt: string | Uint8Array, info: string | Uint8Array, length = 32): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, length))
