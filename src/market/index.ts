export {
  timeframeMs,
  timeframes,
  isTimeframe,
  eventTime,
  feedSources,
  feedStates,
  feedStatusView,
  type Timeframe,
  type Candle,
  type Trade,
  type TickEvent,
  type TradeEvent,
  type CandleEvent,
  type MarketEvent,
  type FeedSource,
  type FeedState,
  type FeedStatus,
  type SubscribeInput,
  type Subscription,
  type MarketFeed,
} from './market-types.js'
export { parseCandleCsv, parseTradeCsv, parseReplayFileName, candleHeader, tradeHeader, type ReplayFileName } from './csv.js'
export { expandCandle, ticksPerCandle, type ExpandedTick } from './expand.js'
export { createCandleAggregator, createTickCandleBuilder } from './aggregate.js'
export { createTimerScheduler, createManualScheduler, createPacer, type Scheduler, type ManualScheduler, type ReplaySpeed } from './scheduler.js'
export { createPrng, type Prng } from './prng.js'
export {
  replayEvents,
  createReplayFeed,
  loadReplaySet,
  bundledMarketDataDir,
  defaultReplayFiles,
  defaultTicksPerLeg,
  type ReplaySeries,
  type CandleSeries,
  type TradeSeries,
  type ReplayEventsOptions,
  type ReplayFeedInput,
} from './replay.js'
export { syntheticPath, createSyntheticFeed, defaultRegimes, type SyntheticModel, type SyntheticSymbol, type SyntheticRegime, type SyntheticStep, type SyntheticFeedInput } from './synthetic.js'
export { createLiveFeed, createPublicExchange, type PublicMarketApi, type LiveFeedInput, type LiveFallback } from './live.js'
export { openMarketFeed, type MarketFeedSettings, type MarketFeedDeps } from './market-feed.js'
