import type { Clock } from '../../lib/clock.js'

/**
 * In-memory counters per bot for the webhook ingress. They live in one api process: with several api
 * instances behind a proxy each enforces its own budget, so the effective limit is at most
 * instances × rate (the order path's own limits — risk guard, signer per-key limits — still apply).
 */

/** Entries beyond this many trigger a sweep of idle ones, so a long-running process does not grow. */
const SWEEP_AT = 10_000

/**
 * A token bucket per key: `ratePerMinute` tokens, refilled continuously, so a sender may burst up to the
 * whole minute's budget and then gets one signal every 60/rate seconds.
 */
export const createTokenBuckets = (clock: Clock) => {
  const buckets = new Map<string, { tokens: number; at: number; rate: number }>()

  const sweep = (now: number) => {
    for (const [key, b] of buckets) if (b.tokens + ((now - b.at) * b.rate) / 60_000 >= b.rate) buckets.delete(key)
  }

  /** Takes one token; false when the bucket is empty. A changed rate starts a full bucket. */
  const take = (key: string, ratePerMinute: number): boolean => {
    const now = clock.now().getTime()
    let b = buckets.get(key)
    if (b === undefined || b.rate !== ratePerMinute) {
      if (buckets.size >= SWEEP_AT) sweep(now)
      b = { tokens: ratePerMinute, at: now, rate: ratePerMinute }
      buckets.set(key, b)
    }
    // A clock that steps backwards (tests, NTP) must not mint tokens or take them away.
    const elapsed = Math.max(0, now - b.at)
    b.tokens = Math.min(ratePerMinute, b.tokens + (elapsed * ratePerMinute) / 60_000)
    b.at = Math.max(b.at, now)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Seconds until the next token, for the refusal message. */
  const retryAfterSeconds = (key: string): number => {
    const b = buckets.get(key)
    if (b === undefined || b.tokens >= 1) return 0
    return Math.ceil(((1 - b.tokens) * 60) / b.rate)
  }

  return { take, retryAfterSeconds }
}
export type TokenBuckets = ReturnType<typeof createTokenBuckets>

/**
 * How many events each key had within the last `windowMs` — exact up to `cap` (it keeps at most `cap`
 * timestamps per key, so a flood costs bounded memory).
 */
export const createSlidingCounter = (clock: Clock, { windowMs, cap }: { windowMs: number; cap: number }) => {
  const events = new Map<string, number[]>()

  const prune = (times: number[], now: number) => {
    let drop = 0
    while (drop < times.length && (times[drop] ?? 0) <= now - windowMs) drop++
    if (drop > 0) times.splice(0, drop)
  }

  /** Records one event and returns the count within the window, this one included (at most `cap`). */
  const add = (key: string): number => {
    const now = clock.now().getTime()
    if (!events.has(key) && events.size >= SWEEP_AT) {
      for (const [k, times] of events) {
        prune(times, now)
        if (times.length === 0) events.delete(k)
      }
    }
    const times = events.get(key) ?? []
    prune(times, now)
    times.push(now)
    if (times.length > cap) times.splice(0, times.length - cap)
    events.set(key, times)
    return times.length
  }

  return { add }
}
export type SlidingCounter = ReturnType<typeof createSlidingCounter>
