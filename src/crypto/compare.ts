import { timingSafeEqual, createHash } from 'node:crypto'

/**
 * Constant-time equality for secrets of any length: both sides are hashed first, so neither the
 * content nor the length leaks through timing.
 */
export const safeEqual = (a: string | Uint8Array, b: string | Uint8Array): boolean => {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}
