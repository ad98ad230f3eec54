import { createHash, createHmac } from 'node:crypto'

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** HMAC-SHA256 with a Buffer key (never a string key: see SECURITY.md R12). */
export const hmacSha256Hex = (key: Uint8Array, data: string | Uint8Array): string =>
  createHmac('sha256', key).update(data).digest('hex')
