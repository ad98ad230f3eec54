import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM with a versioned, self-describing layout:
 *   [format version: 1 byte = 0x01][IV: 12 bytes][tag: 16 bytes][ciphertext]
 * A fresh random IV for every encryption (SECURITY.md R6); the tag length is pinned to 16 and checked
 * before decrypting (R5); the associated data binds the ciphertext to its context (R4).
 */
export const AEAD_FORMAT_V1 = 0x01
const IV_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES
export const AEAD_KEY_BYTES = 32

/** A ciphertext that does not authenticate: tampered, truncated, wrong key or wrong context. No detail on purpose. */
export class IntegrityError extends Error {
  constructor(message = 'ciphertext does not authenticate') {
    super(message)
    this.name = 'IntegrityError'
  }
}

const checkKey = (key: Uint8Array) => {
  if (key.length !== AEAD_KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${AEAD_KEY_BYTES}-byte key`)
}

/**
 * Encrypts `plaintext` bound to `aad`.
 * @throws RangeError when the key is not 32 bytes
 * @example aeadEncrypt(kek, shareBytes, Buffer.from(canonicalJson(context)))
 */
export const aeadEncrypt = (key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer => {
  checkKey(key)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from([AEAD_FORMAT_V1]), iv, cipher.getAuthTag(), body])
}

/**
 * Decrypts and authenticates. The caller owns the returned buffer and wipes it after use.
 * @throws IntegrityError for any layout, version, tag or context mismatch
 */
export const aeadDecrypt = (key: Uint8Array, blob: Uint8Array, aad: Uint8Array): Buffer => {
  checkKey(key)
  if (blob.length < HEADER_BYTES || blob[0] !== AEAD_FORMAT_V1) throw new IntegrityError()
  const iv = blob.subarray(1, 1 + IV_BYTES)
  const tag = blob.subarray(1 + IV_BYTES, HEADER_BYTES)
  if (tag.length !== TAG_BYTES) throw new IntegrityError()
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  const out = decipher.update(blob.subarray(HEADER_BYTES))
  try {
    decipher.final()
  } catch {
    out.fill(0)
    throw new IntegrityError()
  }
  return out
}
