import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { AppError } from '../lib/errors.js'
import { createCandleAggregator, type CandleAggregator } from './aggregate.js'
import {
  isTimeframe,
  timeframeMs,
  type CandleEvent,
  type FeedStatus,
  type MarketEvent,
  type MarketFeed,
  type SubscribeInput,
  type Subscription,
  type Timeframe,
} from './market-types.js'

/**
 * The subscriber side every source shares: subscriptions, candle aggregation, status.
 *
 * Backpressure — one way only: every subscription is an async iterator over its own bounded buffer
 * (`bufferSize`, default 1024). When a publish leaves any matching buffer full, `publish` returns a
 * promise that resolves once each of those subscribers has read below its bound, and every source awaits
 * it before producing more. Nothing is dropped and memory stays bounded; the price is that a subscriber
 * that stops reading stalls the source for everyone, so a consumer must keep reading or close its
 * subscription (leaving a `for await` loop closes it). Replay and synthetic at speed 'max' therefore run
 * exactly as fast as the slowest subscriber; live polls later when its subscribers lag.
 */

const defaultBufferSize = 1024

type Sub = {
  symbols: ReadonlySet<string>
  timeframes: ReadonlySet<Timeframe>
  wantsTicks: boolean
  wantsTrades: boolean
  capacity: number
  buf: MarketEvent[]
  head: number
  readers: Array<(r: IteratorResult<MarketEvent>) => void>
  roomWaiters: Array<() => void>
  isClosed: boolean
}

const size = (s: Sub) => s.buf.length - s.head

export type FeedHubInput = {
  clock: Clock
  /** Every symbol the source carries and its native candle timeframe (null: it has no candles). */
  symbols: ReadonlyMap<string, Timeframe | null>
  initialStatus: Omit<FeedStatus, 'since'>
}

export const createFeedHub = ({ clock, symbols, initialStatus }: FeedHubInput) => {
  const bySymbol = new Map<string, Set<Sub>>([...symbols.keys()].map((s) => [s, new Set<Sub>()]))
  const aggregators = new Map<string, Map<Timeframe, CandleAggregator>>()
  let hasEnded = false
  let status: FeedStatus = { ...initialStatus, since: clock.now().getTime() }
  const listeners = new Set<(s: FeedStatus) => void>()

  const wakeRoom = (s: Sub) => {
    const waiters = s.roomWaiters
    s.roomWaiters = []
    for (const w of waiters) w()
  }

  const close = (s: Sub) => {
    if (s.isClosed) return
    s.isClosed = true
    for (const sym of s.symbols) bySymbol.get(sym)?.delete(s)
    s.buf = []
    s.head = 0
    for (const r of s.readers.splice(0)) r({ value: undefined, done: true })
    wakeRoom(s)
  }

  const push = (s: Sub, e: MarketEvent, blocked: Sub[]): void => {
    const reader = s.readers.shift()
    if (reader) return reader({ value: e, done: false })
    s.buf.push(e)
    if (size(s) >= s.capacity) blocked.push(s)
  }

  const roomIn = (s: Sub) => (s.isClosed || size(s) < s.capacity ? Promise.resolve() : new Promise<void>((resolve) => s.roomWaiters.push(resolve)))

  const deliverCandle = (c: CandleEvent, subs: Set<Sub>, blocked: Sub[]) => {
    for (const s of subs) if (s.timeframes.has(c.timeframe)) push(s, c, blocked)
  }

  /**
   * Hands one event to every matching subscriber (plus the aggregated candles a native candle closes).
   * Returns undefined when every buffer still has room, else a promise to await before the next publish.
   */
  const publish = (e: MarketEvent): Promise<void> | undefined => {
    if (hasEnded) return undefined
    const subs = bySymbol.get(e.symbol)
    if (!subs) return undefined
    const blocked: Sub[] = []
    if (e.kind === 'tick') {
      for (const s of subs) if (s.wantsTicks) push(s, e, blocked)
    } else if (e.kind === 'trade') {
      for (const s of subs) if (s.wantsTrades) push(s, e, blocked)
    } else {
      deliverCandle(e, subs, blocked)
      const aggs = aggregators.get(e.symbol)
      if (aggs) for (const agg of aggs.values()) for (const c of agg.push(e)) deliverCandle(c, subs, blocked)
    }
    if (blocked.length === 0) return undefined
    return Promise.all(blocked.map(roomIn)).then(() => undefined)
  }

  /** No more events: subscribers drain their buffers, then their iterators finish. */
  const end = () => {
    if (hasEnded) return
    hasEnded = true
    for (const subs of bySymbol.values()) {
      for (const s of subs) {
        if (size(s) === 0) for (const r of s.readers.splice(0)) r({ value: undefined, done: true })
        // A source stalled on a full buffer must be able to finish.
        wakeRoom(s)
      }
    }
  }

  const setStatus = (next: Omit<FeedStatus, 'since'>) => {
    if (next.source === status.source && next.state === status.state && next.detail === status.detail) return
    status = { ...next, since: clock.now().getTime() }
    const snapshot = status
    for (const l of [...listeners]) {
      try {
        l(snapshot)
      } catch {
        // A listener's failure (e.g. raising an alert) must not stop the data; the status stays readable.
      }
    }
  }

  const subscribe = (input: SubscribeInput): Subscription => {
    if (!Array.isArray(input.symbols) || input.symbols.length === 0) throw new AppError('BAD_INPUT', 'subscribe to at least one symbol')
    const wanted = new Set<Timeframe>()
    for (const sym of input.symbols) {
      if (!symbols.has(sym)) throw new AppError('BAD_INPUT', `symbol "${sym}" is not carried by this feed (it has ${[...symbols.keys()].join(', ') || 'none'})`)
    }
    for (const tf of input.timeframes ?? []) {
      if (!isTimeframe(tf)) throw new AppError('BAD_INPUT', `"${String(tf)}" is not a timeframe`)
      for (const sym of input.symbols) {
        const native = symbols.get(sym)
        if (native === null || native === undefined) throw new AppError('BAD_INPUT', `this feed has no candles for "${sym}"`)
        if (timeframeMs[tf] % timeframeMs[native] !== 0) {
          throw new AppError('BAD_INPUT', `${tf} candles cannot be built from the ${native} candles this feed has for "${sym}"`)
        }
      }
      wanted.add(tf)
    }
    const capacity = input.bufferSize ?? defaultBufferSize
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1_000_000) throw new AppError('BAD_INPUT', 'bufferSize must be an integer from 1 to 1000000')
    const s: Sub = {
      symbols: new Set(input.symbols),
      timeframes: wanted,
      wantsTicks: input.ticks ?? true,
      wantsTrades: input.trades ?? true,
      capacity,
      buf: [],
      head: 0,
      readers: [],
      roomWaiters: [],
      isClosed: false,
    }
    for (const sym of s.symbols) {
      bySymbol.get(sym)?.add(s)
      for (const tf of wanted) {
        if (tf === symbols.get(sym)) continue
        let aggs = aggregators.get(sym)
        if (!aggs) aggregators.set(sym, (aggs = new Map()))
        if (!aggs.has(tf)) {
          // Candles closing at the same instant go out shortest timeframe first, whatever the subscription order.
          const sorted = [...aggs.entries(), [tf, createCandleAggregator(sym, tf)] as const].sort((a, b) => timeframeMs[a[0]] - timeframeMs[b[0]])
          aggregators.set(sym, new Map(sorted))
        }
      }
    }
    const next = (): Promise<IteratorResult<MarketEvent>> => {
      if (size(s) > 0) {
        const value = s.buf[s.head] as MarketEvent
        s.head++
        if (s.head >= 1024 && s.head * 2 >= s.buf.length) {
          s.buf = s.buf.slice(s.head)
          s.head = 0
        }
        if (s.roomWaiters.length > 0 && size(s) < s.capacity) wakeRoom(s)
        return Promise.resolve({ value, done: false })
      }
      if (s.isClosed || hasEnded) return Promise.resolve({ value: undefined, done: true })
      return new Promise((resolve) => s.readers.push(resolve))
    }
    const iterator: Subscription = {
      next,
      return: () => {
        close(s)
        return Promise.resolve({ value: undefined, done: true })
      },
      close: () => close(s),
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  return {
    publish,
    end,
    setStatus,
    status: () => status,
    onStatus: (l: (s: FeedStatus) => void) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
    subscribe,
    symbols: () => symbols,
    hasEnded: () => hasEnded,
  }
}
export type FeedHub = ReturnType<typeof createFeedHub>

/**
 * Wraps a source's run loop into a MarketFeed. The loop publishes into the hub until it returns or the
 * signal aborts; the hub is ended either way, and an unexpected error becomes a visible `stopped` status
 * rather than a silent end.
 */
export const feedFromHub = (
  hub: FeedHub,
  run: (signal: AbortSignal) => Promise<void>,
  describeStop: () => Omit<FeedStatus, 'since' | 'state'>,
  logger?: Pick<Logger, 'error'>,
): MarketFeed => {
  const controller = new AbortController()
  let running: Promise<void> | null = null
  let resolveDone: () => void = () => {}
  const finished = new Promise<void>((resolve) => (resolveDone = resolve))

  const start = () => {
    if (running || controller.signal.aborted) return
    running = run(controller.signal)
      .catch((err: unknown) => {
        logger?.error({ err }, 'market-data source stopped on an error')
        const what = err instanceof AppError ? err.message : 'internal error in the market-data source'
        hub.setStatus({ ...describeStop(), state: 'stopped', detail: `stopped: ${what}` })
      })
      .finally(() => {
        if (controller.signal.aborted) hub.setStatus({ ...describeStop(), state: 'stopped', detail: 'stopped by the operator' })
        hub.end()
        resolveDone()
      })
  }

  const stop = async () => {
    controller.abort()
    hub.end()
    if (!running) {
      hub.setStatus({ ...describeStop(), state: 'stopped', detail: 'stopped before it started' })
      hub.end()
      resolveDone()
    }
    await finished
  }

  return {
    symbols: hub.symbols,
    subscribe: hub.subscribe,
    status: hub.status,
    onStatus: hub.onStatus,
    start,
    stop,
    done: () => finished,
  }
}
