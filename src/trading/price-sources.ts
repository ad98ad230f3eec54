import type { Logger } from '../lib/logger.js'
import type { PriceSource } from './trading-types.js'

type PriceListener = Parameters<PriceSource['subscribe']>[2]

/**
 * Prices of real exchanges for platform-side triggers (stops, trailing, conditional entries): the public
 * ticker of each (venue, symbol) some bot watches, polled while anyone listens — no key, no signer.
 * Candles for indicator bots on real accounts are not served here yet (they run on demo first and keep
 * their candles there until promoted; see the closing note of issue 7).
 */
export const createPolledPrices = ({
  fetchLast,
  everyMs = 2_000,
  logger,
}: {
  /** The venue's public last price for a unified symbol. */
  fetchLast: (venue: string, symbol: string) => Promise<string>
  everyMs?: number
  logger?: Pick<Logger, 'warn'>
}): PriceSource & { stop(): void } => {
  const topics = new Map<string, { venue: string; symbol: string; listeners: Set<PriceListener>; timer: NodeJS.Timeout; failing: boolean }>()
  const last = new Map<string, string>()
  const keyOf = (venue: string, symbol: string) => `${venue}\n${symbol}`

  const poll = async (key: string) => {
    const t = topics.get(key)
    if (!t) return
    try {
      const price = await fetchLast(t.venue, t.symbol)
      t.failing = false
      last.set(key, price)
      const p = { symbol: t.symbol, price, time: Date.now() }
      for (const l of t.listeners) l(p)
    } catch (err) {
      // Said once per outage: a bot relying on these prices must not trigger on stale ones, and does not.
      if (!t.failing) logger?.warn({ err, venue: t.venue, symbol: t.symbol }, 'public price unavailable; platform-side triggers wait for it')
      t.failing = true
    }
  }

  return {
    subscribe(venue, symbol, listener) {
      const key = keyOf(venue, symbol)
      let t = topics.get(key)
      if (!t) {
        const timer = setInterval(() => void poll(key), everyMs)
        timer.unref()
        t = { venue, symbol, listeners: new Set(), timer, failing: false }
        topics.set(key, t)
        void poll(key)
      }
      t.listeners.add(listener)
      const topic = t
      return () => {
        topic.listeners.delete(listener)
        if (topic.listeners.size === 0) {
          clearInterval(topic.timer)
          topics.delete(key)
        }
      }
    },
    subscribeCandles: () => () => {},
    last: (venue, symbol) => last.get(keyOf(venue, symbol)) ?? null,
    stop() {
      for (const t of topics.values()) clearInterval(t.timer)
      topics.clear()
    },
  }
}

/** One PriceSource over several: the first that handles a venue serves it. */
export const routePrices = (routes: ReadonlyArray<{ handles: (venue: string) => boolean; source: PriceSource }>): PriceSource => {
  const pick = (venue: string) => routes.find((r) => r.handles(venue))?.source
  return {
    subscribe: (venue, symbol, listener) => pick(venue)?.subscribe(venue, symbol, listener) ?? (() => {}),
    subscribeCandles: (venue, symbol, timeframe, listener) => pick(venue)?.subscribeCandles(venue, symbol, timeframe, listener) ?? (() => {}),
    last: (venue, symbol) => pick(venue)?.last(venue, symbol) ?? null,
  }
}
