import type { PriceSource } from '../trading-types.js'

/**
 * One PriceSource subscription per (venue, symbol) — and per (venue, symbol, timeframe) for candles —
 * however many bots want it, fanned out to them. With 10,000 bots on a few dozen symbols this keeps the
 * source's subscriber count small and a tick costs one Map walk.
 */

type Price = { symbol: string; price: string; time: number }
type Candle = { symbol: string; close: number; time: number }

type Topic<P> = { unsubscribe: () => void; listeners: Map<string, (p: P) => void> }

const topicKey = (...parts: string[]) => parts.join('\u0000')

const createFanOut = <P>(subscribe: (emit: (p: P) => void, ...parts: string[]) => () => void) => {
  const topics = new Map<string, Topic<P>>()
  const add = (parts: string[], listenerId: string, listener: (p: P) => void) => {
    const key = topicKey(...parts)
    let topic = topics.get(key)
    if (topic === undefined) {
      const listeners = new Map<string, (p: P) => void>()
      const emit = (p: P) => {
        // A listener only queues work (bot-queue), so one bot cannot hold up the others here.
        for (const l of listeners.values()) l(p)
      }
      topic = { listeners, unsubscribe: () => {} }
      topics.set(key, topic)
      topic.unsubscribe = subscribe(emit, ...parts)
    }
    topic.listeners.set(listenerId, listener)
  }
  const remove = (parts: string[], listenerId: string) => {
    const key = topicKey(...parts)
    const topic = topics.get(key)
    if (topic === undefined) return
    topic.listeners.delete(listenerId)
    if (topic.listeners.size === 0) {
      topics.delete(key)
      topic.unsubscribe()
    }
  }
  return { add, remove, size: () => topics.size }
}

export const createPriceHub = (source: PriceSource) => {
  const prices = createFanOut<Price>((emit, venue = '', symbol = '') => source.subscribe(venue, symbol, emit))
  const candles = createFanOut<Candle>((emit, venue = '', symbol = '', timeframe = '') => source.subscribeCandles(venue, symbol, timeframe, emit))

  return {
    addPrice: (venue: string, symbol: string, listenerId: string, listener: (p: Price) => void) => prices.add([venue, symbol], listenerId, listener),
    removePrice: (venue: string, symbol: string, listenerId: string) => prices.remove([venue, symbol], listenerId),
    addCandles: (venue: string, symbol: string, timeframe: string, listenerId: string, listener: (c: Candle) => void) => candles.add([venue, symbol, timeframe], listenerId, listener),
    removeCandles: (venue: string, symbol: string, timeframe: string, listenerId: string) => candles.remove([venue, symbol, timeframe], listenerId),
    /** The source's newest price (what `ctx.lastPrice` and the risk guard read). */
    last: (venue: string, symbol: string): string | null => source.last(venue, symbol),
    /** Subscriptions held on the source (prices, candles). */
    topics: () => ({ prices: prices.size(), candles: candles.size() }),
  }
}
export type PriceHub = ReturnType<typeof createPriceHub>
