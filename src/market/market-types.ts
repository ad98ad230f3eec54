import { z } from 'zod'

/**
 * The shapes every market-data source emits. Prices and amounts are decimal strings (never JS numbers);
 * times are Unix milliseconds taken from the data itself (replay), from the generator's own timeline
 * (synthetic) or from the exchange's timestamps (live) — never from the wall clock.
 * Events are shared between subscribers: treat them as immutable.
 */

/** Candle timeframes the feeds understand, ccxt spelling. */
export const timeframeMs = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
} as const
export type Timeframe = keyof typeof timeframeMs
export const timeframes = Object.keys(timeframeMs) as Timeframe[]
export const isTimeframe = (value: string): value is Timeframe => Object.hasOwn(timeframeMs, value)

/** One closed candle as read from a CSV row or an exchange. `time` is the open time. */
export type Candle = {
  readonly time: number
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
  /** Traded amount in the base currency. */
  readonly volume: string
}

/** One exchange trade as read from a CSV row or an exchange. `side` is the taker's side. */
export type Trade = {
  readonly time: number
  readonly id: string
  readonly price: string
  /** Base currency. */
  readonly amount: string
  readonly side: 'buy' | 'sell'
}

/**
 * A price update. Replay derives them from candles (see expand.ts), synthetic from its price path, live
 * from the exchange's ticker. `amount` is the base volume attributed to the update ("0" when unknown,
 * e.g. a live ticker); `seq` counts updates per symbol from 0 within one run of a source.
 */
export type TickEvent = {
  readonly kind: 'tick'
  readonly symbol: string
  readonly time: number
  readonly price: string
  readonly amount: string
  readonly seq: number
}

/** A real trade (replay trades file or live fetchTrades). It moves the price like a tick does. */
export type TradeEvent = { readonly kind: 'trade'; readonly symbol: string } & Trade

/** A closed candle, emitted at `closeTime` = `time` + the timeframe, after every update inside it. */
export type CandleEvent = {
  readonly kind: 'candle'
  readonly symbol: string
  readonly timeframe: Timeframe
  readonly closeTime: number
} & Candle

export type MarketEvent = TickEvent | TradeEvent | CandleEvent

/** The instant an event happens: a candle exists only once it has closed. */
export const eventTime = (e: MarketEvent): number => (e.kind === 'candle' ? e.closeTime : e.time)

export const feedSources = ['live', 'replay', 'synthetic'] as const
export type FeedSource = (typeof feedSources)[number]
export const feedStates = ['running', 'stopped', 'unreachable', 'fallback'] as const
export type FeedState = (typeof feedStates)[number]

/**
 * What the API and the UI badge show. `source` is what is producing data right now: after a fallback it
 * is `replay` with state `fallback`, and `detail` says why and what is being replayed.
 * `since` is when this state began (ms, from the injected clock).
 */
export const feedStatusView = z.object({
  source: z.enum(feedSources),
  state: z.enum(feedStates),
  detail: z.string(),
  since: z.number().int(),
})
export type FeedStatus = z.infer<typeof feedStatusView>

export type SubscribeInput = {
  /** Unified symbols such as "BTC/USDT"; each must be one the feed carries. */
  symbols: readonly string[]
  /** Closed candles of these timeframes; each must be a multiple of the feed's native candle timeframe. */
  timeframes?: readonly Timeframe[]
  /** Price updates (default true). */
  ticks?: boolean
  /** Trades (default true). */
  trades?: boolean
  /** Events held for this subscriber before the source waits for it (default 1024). */
  bufferSize?: number
}

/**
 * An async iterator over the events a subscriber asked for. Leaving a `for await` loop (break, return,
 * throw) closes it; so does `close()`. It ends (`done`) after the source stops and the buffer is drained.
 */
export type Subscription = AsyncIterableIterator<MarketEvent> & {
  close: () => void
}

/** The one interface every source implements. */
export type MarketFeed = {
  /** The symbols this feed carries, and each one's native candle timeframe (null: no candles). */
  symbols: () => ReadonlyMap<string, Timeframe | null>
  /** @throws AppError BAD_INPUT for an unknown symbol, a timeframe that cannot be built, or a bad buffer size */
  subscribe: (input: SubscribeInput) => Subscription
  status: () => FeedStatus
  /** Called on every status change; returns an unsubscribe function. */
  onStatus: (listener: (status: FeedStatus) => void) => () => void
  /** Starts producing. Subscribe first to see every event. Calling it twice is a no-op. */
  start: () => void
  /** Stops producing and ends every subscription; resolves once the source has stopped. */
  stop: () => Promise<void>
  /** Resolves when the source has stopped (end of a non-looping replay, `stop()`, or a fatal error). */
  done: () => Promise<void>
}
