import { AppError } from '../lib/errors.js'

/**
 * Exchange credentials as the signer holds them: every value a Buffer, so the secret is never a JS
 * string outside the one call that needs it (SECURITY.md R12). `wipe` zeroes every buffer.
 */
export type Credentials = {
  apiKey: Buffer
  secret: Buffer
  /** OKX, KuCoin, Bitget, BloFin. */
  password?: Buffer | undefined
  wipe: () => void
}

const FIELDS = new Set(['apiKey', 'secret', 'password'])

/**
 * Decodes the length-prefixed fields of a sealed submission (crypto/sealing.ts `encodeCredentialFields`).
 * The field values are copied out, so the caller may wipe `bytes` at once.
 * @throws AppError BAD_INPUT when the layout is wrong or a required field is missing
 */
export const decodeCredentials = (bytes: Uint8Array): Credentials => {
  const fields = new Map<string, Buffer>()
  const wipeAll = () => {
    for (const b of fields.values()) b.fill(0)
  }
  let at = 0
  try {
    while (at < bytes.length) {
      const nameLen = bytes[at] ?? 0
      const name = Buffer.from(bytes.subarray(at + 1, at + 1 + nameLen)).toString('utf8') // field names are not secret
      at += 1 + nameLen
      const valueLen = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)
      at += 2
      if (at + valueLen > bytes.length || !FIELDS.has(name) || fields.has(name)) throw new Error('layout')
      fields.set(name, Buffer.from(bytes.subarray(at, at + valueLen)))
      at += valueLen
    }
  } catch {
    wipeAll()
    throw new AppError('BAD_INPUT', 'the sealed credentials are not in the expected layout')
  }
  const apiKey = fields.get('apiKey')
  const secret = fields.get('secret')
  if (!apiKey?.length || !secret?.length) {
    wipeAll()
    throw new AppError('BAD_INPUT', 'the credentials need an API key and a secret')
  }
  return { apiKey, secret, password: fields.get('password'), wipe: wipeAll }
}

/** Re-encodes credentials for encryption at rest (same layout as a sealed submission). The caller wipes the result. */
export const encodeCredentials = (c: Credentials): Buffer => {
  const parts: Buffer[] = []
  for (const [name, value] of [['apiKey', c.apiKey], ['secret', c.secret], ['password', c.password]] as const) {
    if (!value) continue
    const header = Buffer.alloc(1 + name.length + 2)
    header[0] = name.length
    header.write(name, 1, 'utf8')
    header.writeUInt16BE(value.length, 1 + name.length)
    parts.push(header, value)
  }
  return Buffer.concat(parts)
}

/** `AKIA…WXYZ`-style hint: enough to recognise a key, not to use it. */
export const apiKeyHint = (apiKey: Buffer): string => {
  const s = apiKey.toString('utf8') // the API key id is sent in clear headers to the exchange; it is not the secret
  return s.length <= 8 ? '****' : `${s.slice(0, 4)}…${s.slice(-4)}`
}
