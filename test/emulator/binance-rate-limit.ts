import { binanceErrors } from './binance-types.js'

/**
 * Binance's per-IP REQUEST_WEIGHT limit, simplified: weight is summed per IP over fixed one-minute
 * windows. The request that goes over the limit gets HTTP 429 (-1003, with Retry-After); any further
 * request in the same window means the client did not back off, so the IP is banned for two minutes
 * and every request gets HTTP 418 until the ban ends (Binance starts its bans at two minutes).
 */
const windowMs = 60_000
const banMs = 120_000

type IpState = { window: number; usedWeight: number; hasBeenWarned: boolean; bannedUntil: number }

export const createRateLimiter = (limitPerMinute: number | undefined, now: () => number) => {
  const byIp = new Map<string, IpState>()

  /** Adds `weight` to the IP's window and returns the weight used so far; throws the 429/418 error. */
  const charge = (ip: string, weight: number): number => {
    const t = now()
    const window = Math.floor(t / windowMs)
    const state = byIp.get(ip) ?? { window, usedWeight: 0, hasBeenWarned: false, bannedUntil: 0 }
    byIp.set(ip, state)
    if (state.window !== window) Object.assign(state, { window, usedWeight: 0, hasBeenWarned: false })
    if (state.bannedUntil > t) throw binanceErrors.ipBanned(ip, state.bannedUntil, Math.ceil((state.bannedUntil - t) / 1000))
    state.usedWeight += weight
    if (limitPerMinute === undefined || state.usedWeight <= limitPerMinute) return state.usedWeight
    if (state.hasBeenWarned) {
      state.bannedUntil = t + banMs
      throw binanceErrors.ipBanned(ip, state.bannedUntil, banMs / 1000)
    }
    state.hasBeenWarned = true
    throw binanceErrors.tooManyRequests(ip, limitPerMinute, Math.ceil(((window + 1) * windowMs - t) / 1000))
  }

  const usedWeight = (ip: string) => byIp.get(ip)?.usedWeight ?? 0

  /** Forgets all windows and bans (tests use it instead of waiting a minute). */
  const reset = () => byIp.clear()

  return { charge, usedWeight, reset }
}
export type RateLimiter = ReturnType<typeof createRateLimiter>
