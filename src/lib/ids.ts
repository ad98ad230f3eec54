import { randomBytes } from 'node:crypto'

/**
 * UUIDv7 (RFC 9562): time-ordered, so primary keys index well and sort by creation.
 * 48 bits of Unix milliseconds, a 12-bit sequence, then 62 random bits. Ids made in the same millisecond
 * by this process count up in the sequence (RFC 9562 method 1), so two rows written in one millisecond
 * still sort in the order they were made (the journal replays fills in that order). A clock that moves
 * back starts a fresh random sequence.
 */
let lastMs = -1
let sequence = 0

export const newId = (nowMs: number = Date.now()): string => {
  const b = randomBytes(16)
  let ms = nowMs
  if (ms === lastMs && sequence < 0xfff) sequence += 1
  else if (ms === lastMs) {
    // 4,096 ids in one millisecond: borrow the next one rather than lose the order.
    ms += 1
    sequence = 0
  } else sequence = (b.readUInt16BE(6) & 0x7ff) // a random start with room to count up
  lastMs = ms
  b.writeUIntBE(ms, 0, 6)
  b[6] = 0x70 | ((sequence >> 8) & 0x0f)
  b[7] = sequence & 0xff
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f)
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
