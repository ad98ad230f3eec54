import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import {
  createReplayFeed,
  loadReplaySet,
  openMarketFeed,
  bundledMarketDataDir,
  createTimerScheduler,
  type MarketFeed,
  type MarketFeedDeps,
  type MarketFeedSettings,
  type ReplaySpeed,
  type Scheduler,
  type SyntheticModel,
} from '../market/index.js'
import { createConfiguredFunding, createFundingRateExchange, createLiveFunding, type FundingRateApi, type FundingSource } from './funding-source.js'

/**
 * The demo exchange's market feed from the operator's settings. Replay is the offline default (the
 * bundled real data, looping); `live` polls a reference exchange and, only if the operator allowed it,
 * falls back to replay visibly; `synthetic` is seeded.
 */

/** The configuration slice (see the config keys in README.md). */
export type DemoFeedConfig = {
  MARKET_SOURCE: 'replay' | 'live' | 'synthetic'
  /** Replay: ×1 is real time; "max" as fast as the engine and the database take it. */
  MARKET_REPLAY_SPEED: ReplaySpeed
  MARKET_REPLAY_DIR?: string | undefined
  MARKET_REPLAY_FILES?: readonly string[] | undefined
  MARKET_LIVE_EXCHANGE: string
  MARKET_LIVE_SYMBOLS: readonly string[]
  MARKET_LIVE_POLL_MS: number
  MARKET_ALLOW_REPLAY_FALLBACK: boolean
  MARKET_SYNTHETIC_SEED: number
  /** Live: how often the reference exchange's funding rates are fetched (default 300,000 ms). */
  MARKET_LIVE_FUNDING_POLL_MS?: number | undefined
}

export const defaultDemoFeedConfig: DemoFeedConfig = {
  MARKET_SOURCE: 'replay',
  MARKET_REPLAY_SPEED: 1,
  MARKET_LIVE_EXCHANGE: 'binance',
  MARKET_LIVE_SYMBOLS: ['BTC/USDT', 'ETH/USDT'],
  MARKET_LIVE_POLL_MS: 2000,
  MARKET_ALLOW_REPLAY_FALLBACK: false,
  MARKET_SYNTHETIC_SEED: 1,
  MARKET_LIVE_FUNDING_POLL_MS: 300_000,
}

/** Synthetic prices start near the bundled data's levels. */
const syntheticSymbols: SyntheticModel['symbols'] = [
  { symbol: 'BTC/USDT', startPrice: '40000', driftPerYear: 0, volPerYear: 0.6, jumpsPerDay: 1, jumpStd: 0.02, amountPerTick: 0.5 },
  { symbol: 'ETH/USDT', startPrice: '3000', driftPerYear: 0, volPerYear: 0.8, jumpsPerDay: 1, jumpStd: 0.025, amountPerTick: 5 },
]

export const demoFeedSettings = (config: DemoFeedConfig, startTime: number): MarketFeedSettings => {
  switch (config.MARKET_SOURCE) {
    case 'replay':
      return { source: 'replay', dir: config.MARKET_REPLAY_DIR, files: config.MARKET_REPLAY_FILES, speed: config.MARKET_REPLAY_SPEED, atEnd: 'loop' }
    case 'synthetic':
      return { source: 'synthetic', speed: config.MARKET_REPLAY_SPEED, candleTimeframe: '1m', model: { seed: config.MARKET_SYNTHETIC_SEED, startTime, stepMs: 1000, symbols: syntheticSymbols } }
    case 'live':
      return {
        source: 'live',
        exchangeId: config.MARKET_LIVE_EXCHANGE,
        symbols: config.MARKET_LIVE_SYMBOLS,
        pollIntervalMs: config.MARKET_LIVE_POLL_MS,
        allowReplayFallback: config.MARKET_ALLOW_REPLAY_FALLBACK,
        fallbackDir: config.MARKET_REPLAY_DIR,
        fallbackFiles: config.MARKET_REPLAY_FILES,
      }
    default:
      throw new AppError('BAD_INPUT', `MARKET_SOURCE must be replay, live or synthetic`)
  }
}

/**
 * Opens the feed so that the engine's time keeps moving forward across restarts: a replay or a
 * synthetic series starts just after `resumeAfter` (the engine's time), since an older price would
 * count at the engine's current time. Live data carries the exchange's own times.
 * @throws AppError BAD_INPUT for bad settings or unreadable replay files
 */
export const openDemoFeed = async (settings: MarketFeedSettings, deps: MarketFeedDeps, resumeAfter: number | null): Promise<MarketFeed> => {
  if (settings.source === 'replay' && resumeAfter !== null) {
    const series = await loadReplaySet({ dir: settings.dir, files: settings.files })
    const label = settings.dir === undefined || settings.dir === bundledMarketDataDir() ? 'bundled data/market' : settings.dir
    return createReplayFeed({
      clock: deps.clock,
      scheduler: deps.scheduler ?? createTimerScheduler(deps.clock),
      logger: deps.logger,
      series,
      speed: settings.speed,
      atEnd: settings.atEnd,
      ticksPerLeg: settings.ticksPerLeg,
      startAt: resumeAfter + 1,
      label,
    })
  }
  if (settings.source === 'synthetic' && resumeAfter !== null && settings.model.startTime <= resumeAfter) {
    return openMarketFeed({ ...settings, model: { ...settings.model, startTime: resumeAfter + 1 } }, deps)
  }
  return openMarketFeed(settings, deps)
}

export type DemoFundingDeps = {
  clock: Clock
  scheduler?: Scheduler
  logger?: Pick<Logger, 'info' | 'warn'>
  /** Tests point the keyless ccxt instance at a local server here. */
  prepareExchange?: (exchange: FundingRateApi & { urls: { api: unknown } }) => void
}

/**
 * Where the perpetuals' funding rate comes from (funding-source.ts): the reference exchange's live rate
 * with a `live` market source, else the configured rate, stated as such. A live exchange whose ccxt class
 * has no funding rates is configured too, and says why.
 * @throws AppError BAD_INPUT when ccxt has no such exchange or the interval is out of range
 */
export const openDemoFunding = async (config: DemoFeedConfig, deps: DemoFundingDeps): Promise<FundingSource> => {
  const { clock, logger } = deps
  if (config.MARKET_SOURCE !== 'live') return createConfiguredFunding({ clock, logger, reason: `the market source is ${config.MARKET_SOURCE}, which has no live funding rate` })
  const exchange = await createFundingRateExchange(config.MARKET_LIVE_EXCHANGE)
  if (exchange === null) return createConfiguredFunding({ clock, logger, reason: `ccxt cannot fetch funding rates from ${config.MARKET_LIVE_EXCHANGE}` })
  deps.prepareExchange?.(exchange)
  return createLiveFunding({
    exchange,
    clock,
    scheduler: deps.scheduler ?? createTimerScheduler(clock),
    logger,
    pollIntervalMs: config.MARKET_LIVE_FUNDING_POLL_MS ?? 300_000,
  })
}
