/**
 * A small seeded generator for synthetic market data: xoshiro128** (Blackman & Vigna, 2018), seeded
 * through splitmix32 so that nearby seeds give unrelated streams. Not for anything secret — that is
 * what src/crypto is for; this one exists to make runs reproducible. The integer stream uses only 32-bit
 * integer arithmetic, so it is the same everywhere; normals go through Math.log/sqrt/cos, which are
 * deterministic for one Node build (V8 ships its own libm port), so a seed replays identically there.
 */

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k))

/** splitmix32: a 32-bit state expander; each call advances the state and returns 32 bits. */
const splitmix32 = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** FNV-1a over UTF-16 code units: derives a per-symbol stream from one seed. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** The raw xoshiro128** step from a given 128-bit state (exported for the known-answer test). */
export const xoshiro128ss = (state: readonly [number, number, number, number]) => {
  let [a, b, c, d] = state
  if ((a | b | c | d) === 0) a = 1 // the all-zero state is a fixed point
  return (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
}

/** @throws RangeError when the seed is not a safe integer */
export const createPrng = (seed: number) => {
  if (!Number.isSafeInteger(seed)) throw new RangeError('the seed must be a safe integer')
  // Both halves of a 53-bit seed count, so seeds that differ only above bit 32 still differ.
  const mix = splitmix32((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1))
  /** 32 random bits as an unsigned integer. */
  const nextUint32 = xoshiro128ss([mix(), mix(), mix(), mix()])

  /** Uniform in [0, 1) with 53 bits of precision. */
  const next = (): number => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992

  let spare: number | null = null
  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  const normal = (): number => {
    if (spare !== null) {
      const s = spare
      spare = null
      return s
    }
    let u = next()
    while (u === 0) u = next()
    const v = next()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  return { nextUint32, next, normal }
}
export type Prng = ReturnType<typeof createPrng>
