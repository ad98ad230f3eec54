/**
 * A counter-based seeded PRNG: the n-th draw of a stream is a pure function of (seed, stream, n), so the
 * engine keeps no generator state. Restoring a snapshot, or rebuilding state from the event log, then
 * continues with exactly the draws an uninterrupted run would make. Not for anything secret.
 */

/** FNV-1a over the UTF-16 code units: a seed or a symbol as a 32-bit stream key. */
export const hash32 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const fmix32 = (x: number): number => {
  let h = x
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A uniform draw in [0, 1) for (seed, stream, counter); counter is a non-negative integer < 2^53. */
export const draw = (seed: number, stream: number, counter: number): number => {
  const lo = counter >>> 0
  const hi = Math.floor(counter / 4294967296) >>> 0
  let h = fmix32(seed ^ Math.imul(stream, 0x9e3779b1))
  h = fmix32(h ^ lo)
  h = fmix32(h ^ Math.imul(hi + 1, 0x27d4eb2f))
  return h / 4294967296
}

/** Stream ids that are not a market symbol. */
export const streams = { queue: 0x51 } as const
