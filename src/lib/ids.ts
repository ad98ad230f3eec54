import { randomBytes } from 'node:crypto'

/**
 * UUIDv7 (RFC 9562): time-ordered, so primary keys index well and sort by creation.
 * 48 bits of Unix milliseconds, then 74 random bits.
 */
export const newId = (nowMs: number = Date.now()): string => {
  const b = randomBytes(16)
  b.writeUIntBE(nowMs, 0, 6)
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f)
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f)
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
