import { split, combine } from 'shamir-secret-sharing'
import { AppError } from '../lib/errors.js'

/**
 * Shamir's secret sharing of a data key. The library cannot tell a wrong or missing share from a right
 * one (it returns garbage), so: we refuse to combine fewer than `threshold` shares (R2), check each
 * share's x-coordinate against its authenticated index, and a combined key counts only once the
 * credentials' GCM tag verifies (R3, in the vault service).
 */
export type Share = { index: number; bytes: Uint8Array }

/**
 * Splits `secret` into `n` shares, `t` of which reconstruct it. A share's index is the x-coordinate the
 * library chose for it (random and distinct, stored as the share's last byte).
 */
export const splitSecret = async (secret: Uint8Array, t: number, n: number): Promise<Share[]> => {
  if (!(t >= 2 && t <= n && n <= 255)) throw new RangeError(`invalid threshold ${t} of ${n}`)
  // The library rejects Node Buffers: hand it a plain Uint8Array copy, wiped afterwards.
  const plain = new Uint8Array(secret)
  try {
    const raw = await split(plain, n, t)
    return raw.map((bytes) => ({ index: shareX(bytes), bytes }))
  } finally {
    plain.fill(0)
  }
}

/** The x-coordinate the library stores as the last byte of each share. */
export const shareX = (bytes: Uint8Array): number => bytes[bytes.length - 1] ?? -1

/**
 * Combines exactly `t` shares. Fewer is KEY_UNAVAILABLE and `combine` is never called.
 * @throws AppError KEY_UNAVAILABLE when fewer than t shares are given
 */
export const combineShares = async (shares: readonly Share[], t: number, combineFn: (s: Uint8Array[]) => Promise<Uint8Array> = combine): Promise<Uint8Array> => {
  if (shares.length < t) throw new AppError('KEY_UNAVAILABLE', `only ${shares.length} of the ${t} shares needed are available`)
  const copies = shares.slice(0, t).map((s) => new Uint8Array(s.bytes)) // plain Uint8Arrays, as the library needs
  try {
    return await combineFn(copies)
  } finally {
    for (const c of copies) c.fill(0)
  }
}
