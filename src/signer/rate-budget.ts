import { AppError } from '../lib/errors.js'

/**
 * One request-weight budget per venue (and so per egress IP: every key of the instance shares it),
 * in front of every per-key instance, so many keys never get the platform's IP banned.
 * A token bucket refilled continuously; a request waits for its weight up to `maxWaitMs`.
 */
export type VenueBudget = { weightPerMinute: number; weights: Record<string, number>; defaultWeight: number }

export const venueBudgets: Record<string, VenueBudget> = {
  // Binance: 6,000 weight per minute per IP (published); we keep 20 % headroom for other tools on the IP.
  binance: {
    weightPerMinute: 4_800,
    defaultWeight: 1,
    weights: { 'GET /api/v3/account': 20, 'GET /api/v3/myTrades': 20, 'GET /api/v3/openOrders': 6, 'GET /api/v3/order': 4, 'GET /api/v3/exchangeInfo': 20, 'GET /api/v3/ticker/price': 2, 'GET /api/v3/ticker/24hr': 2 },
  },
}

export const createRateBudget = ({ maxWaitMs = 5_000, now = () => Date.now(), factor = 1 }: { maxWaitMs?: number; now?: () => number; factor?: number } = {}) => {
  const buckets = new Map<string, { tokens: number; at: number; pausedUntil: number }>()

  const bucket = (venue: string, capacity: number) => {
    let b = buckets.get(venue)
    if (!b) buckets.set(venue, (b = { tokens: capacity, at: now(), pausedUntil: 0 }))
    const t = now()
    b.tokens = Math.min(capacity, b.tokens + ((t - b.at) * capacity) / 60_000)
    b.at = t
    return b
  }

  /** Waits until `method path` of `venue` fits the budget. @throws AppError RATE_LIMITED when it will not within maxWaitMs */
  const take = async (venue: string, method: string, path: string): Promise<void> => {
    const spec = venueBudgets[venue]
    if (!spec) return
    const weight = spec.weights[`${method} ${path}`] ?? spec.defaultWeight
    const capacity = spec.weightPerMinute * factor
    const deadline = now() + maxWaitMs
    for (;;) {
      const b = bucket(venue, capacity)
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
    const b = bucket(venue, venueBudgets[venue]?.weightPerMinute ?? 1)
    b.pausedUntil = Math.max(b.pausedUntil, now() + ms)
  }

  return { take, pause }
}
export type RateBudget = ReturnType<typeof createRateBudget>
