import { AppError } from '../lib/errors.js'
import { requestWeight, venueRateLimit } from '../exchanges/index.js'

/**
 * One request-weight budget per venue family (and so per egress IP: every key of the instance shares
 * it), in front of every per-key instance, so many keys never get the platform's IP banned. Weights and
 * the per-minute allowance are ccxt's own rate model per venue (src/exchanges/rate-weights.ts); Bybit
 * spot and linear, the Binance pair and the Bitget pair each share one budget, as at the exchange.
 * We use 80 % of it, leaving headroom for other tools on the same IP. A token bucket refilled
 * continuously; a request waits for its weight up to `maxWaitMs`. The bucket holds ten seconds of the
 * allowance, not a minute: a full minute's bucket plus a minute's refill let twice the allowance through
 * in one of the exchange's fixed minutes (the `bots` benchmark got a 429 that way); now at most
 * 80 % × (1 + 1/6) ≈ 93 % of it can.
 */
const HEADROOM = 0.8
const BURST_SHARE = 1 / 6

export const createRateBudget = ({ maxWaitMs = 5_000, now = () => Date.now(), factor = 1 }: { maxWaitMs?: number; now?: () => number; factor?: number } = {}) => {
  const buckets = new Map<string, { tokens: number; at: number; pausedUntil: number }>()

  /** `capacity` per minute refills it; it holds `size` at most (ten seconds' worth, or one request's weight). */
  const bucket = (venue: string, capacity: number, size = capacity * BURST_SHARE) => {
    let b = buckets.get(venue)
    if (!b) buckets.set(venue, (b = { tokens: size, at: now(), pausedUntil: 0 }))
    const t = now()
    b.tokens = Math.min(size, b.tokens + ((t - b.at) * capacity) / 60_000)
    b.at = t
    return b
  }

  /** Waits until `method path` of `venue` fits the budget. @throws AppError RATE_LIMITED when it will not within maxWaitMs */
  const take = async (venue: string, method: string, path: string): Promise<void> => {
    const spec = venueRateLimit(venue)
    if (!spec) return
    const weight = requestWeight(venue, method, path)
    const capacity = spec.costPerMinute * HEADROOM * factor
    const deadline = now() + maxWaitMs
    for (;;) {
      const b = bucket(spec.budgetKey, capacity, Math.max(capacity * BURST_SHARE, weight))
      if (b.pausedUntil > now()) {
        if (b.pausedUntil > deadline) throw new AppError('RATE_LIMITED', `${venue} is paused after a rate-limit answer; try again after ${new Date(b.pausedUntil).toISOString()}`)
      } else if (b.tokens >= weight) {
        b.tokens -= weight
        return
      }
      const waitMs = b.pausedUntil > now() ? b.pausedUntil - now() : ((weight - b.tokens) * 60_000) / capacity
      if (now() + waitMs > deadline) throw new AppError('RATE_LIMITED', `the request budget for ${venue} is spent; try again shortly`)
      await new Promise((r) => setTimeout(r, Math.max(1, waitMs)))
    }
  }

  /** After a 429 (or a 418 ban), nothing goes to the venue until `ms` has passed. */
  const pause = (venue: string, ms: number) => {
    const spec = venueRateLimit(venue)
    const b = bucket(spec?.budgetKey ?? venue, (spec?.costPerMinute ?? 1) * HEADROOM * factor)
    b.pausedUntil = Math.max(b.pausedUntil, now() + ms)
  }

  return { take, pause }
}
export type RateBudget = ReturnType<typeof createRateBudget>
