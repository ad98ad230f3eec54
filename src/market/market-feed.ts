import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import type { MarketFeed, Timeframe } from './market-types.js'
import { createLiveFeed, createPublicExchange } from './live.js'
import { bundledMarketDataDir, createReplayFeed, defaultReplayFiles, loadReplaySet } from './replay.js'
import { createTimerScheduler, type ReplaySpeed, type Scheduler } from './scheduler.js'
import { createSyntheticFeed, type SyntheticModel } from './synthetic.js'

/**
 * One entry point for the process root: settings in (from config), a feed out. Replay files default to
 * the bundled set in data/market; the live fallback, when allowed, replays the same set.
 */
export type MarketFeedSettings =
  | { source: 'replay'; dir?: string; files?: readonly string[]; speed: ReplaySpeed; atEnd: 'stop' | 'loop'; ticksPerLeg?: number }
  | { source: 'synthetic'; model: SyntheticModel; speed: ReplaySpeed; candleTimeframe?: Timeframe; endTime?: number }
  | {
      source: 'live'
      /** ccxt id of the reference exchange, e.g. "binance". */
      exchangeId: string
      symbols: readonly string[]
      pollIntervalMs?: number
      failuresBeforeUnreachable?: number
      /** The operator's choice: replay recorded data (visibly) when live is unreachable. */
      allowReplayFallback: boolean
      fallbackDir?: string
      fallbackFiles?: readonly string[]
      timeoutMs?: number
    }

export type MarketFeedDeps = { clock: Clock; scheduler?: Scheduler; logger?: Pick<Logger, 'warn' | 'error'> }

/** @throws AppError BAD_INPUT for bad settings or unreadable replay files */
export const openMarketFeed = async (settings: MarketFeedSettings, deps: MarketFeedDeps): Promise<MarketFeed> => {
  const scheduler = deps.scheduler ?? createTimerScheduler(deps.clock)
  const common = { clock: deps.clock, scheduler, logger: deps.logger }
  const labelOf = (dir: string | undefined) => (dir === undefined || dir === bundledMarketDataDir() ? 'bundled data/market' : dir)
  switch (settings.source) {
    case 'replay': {
      const series = await loadReplaySet({ dir: settings.dir, files: settings.files })
      return createReplayFeed({ ...common, series, speed: settings.speed, atEnd: settings.atEnd, ticksPerLeg: settings.ticksPerLeg, label: labelOf(settings.dir) })
    }
    case 'synthetic':
      return createSyntheticFeed({ ...common, ...settings.model, speed: settings.speed, candleTimeframe: settings.candleTimeframe, endTime: settings.endTime })
    case 'live': {
      const fallback = settings.allowReplayFallback
        ? { series: await loadReplaySet({ dir: settings.fallbackDir, files: settings.fallbackFiles ?? defaultReplayFiles }), label: labelOf(settings.fallbackDir) }
        : null
      const exchange = await createPublicExchange(settings.exchangeId, { timeoutMs: settings.timeoutMs })
      return createLiveFeed({
        ...common,
        exchange,
        symbols: settings.symbols,
        pollIntervalMs: settings.pollIntervalMs,
        failuresBeforeUnreachable: settings.failuresBeforeUnreachable,
        fallback,
      })
    }
  }
}
