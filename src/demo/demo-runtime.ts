import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { uuidPattern } from '../lib/ids.js'
import type { Logger } from '../lib/logger.js'
import type { Db, Tx } from '../db/index.js'
import type { Alerts } from '../monitoring/index.js'
import { createTimerScheduler, type CandleEvent, type FeedStatus, type MarketEvent, type MarketFeed, type Scheduler, type Subscription, type Timeframe } from '../market/index.js'
import { createCandleBook, timeframesFrom } from './candle-book.js'
import { candleSourceOf, demoMarketsFor, priceRoutes } from './demo-markets.js'
import { createDemoStore } from './demo-store.js'
import { createEventWriter } from './event-writer.js'
import type { FundingSource, FundingStatus } from './funding-source.js'
import {
  createDemoEngine,
  projectEvents,
  restoreDemoEngine,
  type DemoCommand,
  type DemoCommandResult,
  type DemoEngine,
  type DemoEngineDefaults,
  type DemoMarketDef,
  type DemoSnapshot,
} from './engine/index.js'

/**
 * The demo exchange's process-wide runtime: one engine for every demo account of every workspace, fed
 * by one market feed, persisted through one writer. See README.md for the invariants.
 *
 * Single caller: the engine is not re-entrant, and every call into it (price updates from the feed
 * loop, commands from requests) is synchronous and made between awaits, so calls never interleave;
 * their events reach the writer in engine order.
 */

/** A command without its time: the runtime stamps the engine's (market data) time. */
export type DemoCommandInput = DemoCommand extends infer C ? (C extends DemoCommand ? Omit<C, 'time'> : never) : never

/** What the runtime needs from a price or trade event of the feed. */
export type DemoPriceInput = { symbol: string; price: string; amount?: string | undefined; time: number }

export type DemoRuntimeDeps = {
  db: Db
  clock: Clock
  /** Seeds the engine's depth and queue jitter (fixed at the first start; kept in the snapshots). */
  seed: string
  /** Default: a spot market and a USDT perpetual for each symbol of the feed (demo-markets.ts). */
  markets?: readonly DemoMarketDef[]
  engineDefaults?: Partial<DemoEngineDefaults>
  /** Opens the feed; `resumeAfter` is the engine's time, so a replay can start after it. No feed: prices come only from `ingest`. */
  openFeed?: (resumeAfter: number | null) => Promise<MarketFeed>
  /** Sets the perpetuals' funding rates through `execute` while running (demo-feed.ts `openDemoFunding`). None: the configured rates. */
  funding?: FundingSource
  /** Sleeps between attempts to rebuild after a failed write (default: real timers). */
  scheduler?: Scheduler
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  alerts?: Pick<Alerts, 'raise'>
  /** A snapshot after this many events (default 20,000) or price updates (default 500,000), and at shutdown. */
  snapshotEveryEvents?: number
  snapshotEveryUpdates?: number
  /** Events waiting for the database before the feed is paused (default 20,000). */
  maxPendingEvents?: number
  /** Candles kept per symbol and timeframe (default 1,000). */
  candleCapacity?: number
}

type State = 'stopped' | 'starting' | 'running' | 'stopping'

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export const createDemoRuntime = (deps: DemoRuntimeDeps) => {
  const { db, clock, seed, logger, alerts } = deps
  const scheduler = deps.scheduler ?? createTimerScheduler(clock)
  const snapshotEveryEvents = deps.snapshotEveryEvents ?? 20_000
  const snapshotEveryUpdates = deps.snapshotEveryUpdates ?? 500_000
  const store = createDemoStore({ db, clock })
  const candles = createCandleBook(deps.candleCapacity ?? 1000)

  let state: State = 'stopped'
  let engine: DemoEngine | null = null
  let markets: DemoMarketDef[] = []
  let feed: MarketFeed | null = null
  let feedSymbols: ReadonlySet<string> | null = null
  let nativeTimeframes = new Map<string, Timeframe | null>()
  let routes = new Map<string, string[]>()
  let loops: Promise<void>[] = []
  let rebuilding: Promise<void> | null = null
  let eventsSinceSnapshot = 0
  let updatesSinceSnapshot = 0
  let unsubscribeStatus: (() => void) | null = null
  /** True after a failed write until the engine is rebuilt: the engine is then ahead of the database. */
  let isDiverged = false
  let stopping = new AbortController()
  /** Who watches prices and closed candles (the bot runtime): called after the engine applied them. */
  const priceListeners = new Set<(p: { symbol: string; price: string; time: number }) => void>()
  const candleListeners = new Set<(c: CandleEvent) => void>()
  const notify = <T>(listeners: ReadonlySet<(v: T) => void>, value: T) => {
    for (const l of listeners) {
      try {
        l(value)
      } catch (err) {
        // A watcher's bug must not stop the exchange's feed.
        logger?.error({ err }, 'a demo price listener threw')
      }
    }
  }

  /** The latest snapshot with every later event applied: the accounts exactly as last committed. */
  const loadProjected = async (): Promise<DemoSnapshot | null> => {
    let snap = await store.latestSnapshot()
    if (snap === null) {
      if ((await store.lastEventSeq()) > 0) throw new AppError('INTEGRITY_FAILED', 'the demo event log has events but no snapshot to start from: restore the database from a backup')
      return null
    }
    for (;;) {
      const after = snap.counters.event
      const events = await store.eventsAfter(after, 10_000)
      if (events.length === 0) return snap
      events.forEach((e, i) => {
        if (e.seq !== after + 1 + i) throw new AppError('INTEGRITY_FAILED', `the demo event log has a gap before event ${e.seq}: restore the database from a backup`)
      })
      snap = projectEvents(snap, events)
    }
  }

  /** Markets configured since the snapshot was taken join with a fresh state; existing ones keep theirs. */
  const withMarkets = (snap: DemoSnapshot, defs: readonly DemoMarketDef[]): DemoSnapshot => {
    const known = new Set(snap.markets.map((m) => m.def.symbol))
    const added = defs.filter((d) => !known.has(d.symbol))
    if (added.length === 0) return snap
    const fresh = createDemoEngine({ seed: snap.seed, markets: added }).snapshot().markets
    return { ...snap, markets: [...snap.markets, ...fresh] }
  }

  const buildEngine = (projected: DemoSnapshot | null): DemoEngine => {
    const e = projected === null ? createDemoEngine({ seed, markets, ...(deps.engineDefaults ? { defaults: deps.engineDefaults } : {}) }) : restoreDemoEngine(withMarkets(projected, markets))
    writer.reset((projected?.counters.event ?? 0) + 1)
    eventsSinceSnapshot = 0
    updatesSinceSnapshot = 0
    return e
  }

  const rebuild = async (): Promise<void> => {
    for (let attempt = 1; state === 'running'; attempt++) {
      try {
        const projected = await loadProjected()
        if (state !== 'running') return
        const e = buildEngine(projected)
        if (projected === null) await writer.write({ events: [], snapshot: e.snapshot() })
        engine = e
        isDiverged = false
        logger?.info({ attempt }, 'demo engine rebuilt from the database')
        return
      } catch (err) {
        logger?.error({ err, attempt }, 'rebuilding the demo engine from the database failed; retrying')
        await scheduler.sleep(Math.min(30_000, 1_000 * attempt), stopping.signal)
      }
    }
  }

  const onWriteFailure = (err: unknown): void => {
    logger?.error({ err }, 'writing the demo event log failed; the demo engine is rebuilt from the database')
    alerts
      ?.raise({ workspaceId: null, rule: 'demo_persistence_failed', severity: 'warning', details: { message: 'the demo exchange could not save its event log; it was rebuilt from the database' }, dedupKey: 'demo', dedupWindowMs: 3_600_000 })
      .catch(() => {})
    isDiverged = true
    if (rebuilding !== null || state !== 'running') return
    rebuilding = rebuild().finally(() => {
      rebuilding = null
    })
  }

  const writer = createEventWriter({ write: store.writeBatch, onFailure: onWriteFailure, maxPendingEvents: deps.maxPendingEvents })

  const takeSnapshot = (e: DemoEngine): void => {
    writer.enqueue({ events: [], snapshot: e.snapshot() })
    eventsSinceSnapshot = 0
    updatesSinceSnapshot = 0
  }

  const maybeSnapshot = (e: DemoEngine): void => {
    if (eventsSinceSnapshot >= snapshotEveryEvents || updatesSinceSnapshot >= snapshotEveryUpdates) takeSnapshot(e)
  }

  /**
   * One price or trade of the feed, applied to every market it prices, in time order. Returns a promise
   * when the caller must wait before the next one (the database is behind, or the engine is being
   * rebuilt); undefined otherwise. This is the feed loop's only call into the engine.
   */
  const ingest = (p: DemoPriceInput): Promise<void> | undefined => {
    if (rebuilding !== null) return rebuilding.then(() => ingest(p))
    const e = engine
    if (e === null || state !== 'running') return undefined
    const targets = routes.get(p.symbol)
    if (targets === undefined) return undefined
    for (const symbol of targets) {
      let events
      try {
        events = e.update({ symbol, price: p.price, time: p.time, ...(p.amount === undefined ? {} : { amount: p.amount }) })
      } catch (err) {
        // Bad data is the source's fault: skipped visibly, the engine unchanged (it checks before changing).
        logger?.warn({ err, symbol, time: p.time }, 'demo engine skipped a price update it cannot use')
        continue
      }
      updatesSinceSnapshot++
      if (priceListeners.size > 0) notify(priceListeners, { symbol, price: p.price, time: p.time })
      if (events.length > 0) {
        eventsSinceSnapshot += events.length
        writer.enqueue({ events })
      }
    }
    maybeSnapshot(e)
    return writer.room()
  }

  const current = (): DemoEngine => {
    if (state !== 'running' || engine === null) throw new AppError('UNAVAILABLE', 'the demo exchange is not running right now: try again shortly')
    return engine
  }

  /**
   * Runs one command at the engine's current (market data) time and resolves once its events, and
   * `extra`'s writes, are committed together. A rejection throws the engine's DemoRejection and writes
   * nothing.
   * @throws DemoRejection; AppError UNAVAILABLE when not running or the write failed (then nothing happened)
   */
  const execute = async (cmd: DemoCommandInput, extra?: (tx: Tx, result: DemoCommandResult) => Promise<void>): Promise<DemoCommandResult> => {
    // No await before the engine call unless a rebuild is running: commands apply in call order.
    if (rebuilding !== null) await rebuilding
    const e = current()
    // The log keys accounts by UUID: an id it cannot store would fail every later write of that account.
    if (cmd.type === 'createAccount' && !uuidPattern.test(cmd.accountId)) throw new AppError('BAD_INPUT', 'a demo account id must be a UUID')
    const result = e.execute({ ...cmd, time: e.now() } as DemoCommand)
    if (result.events.length === 0 && extra === undefined) return result
    eventsSinceSnapshot += result.events.length
    const committed = writer.write({ events: result.events, ...(extra === undefined ? {} : { extra: (tx: Tx) => extra(tx, result) }) })
    maybeSnapshot(e)
    await committed
    return result
  }

  /** A read of the engine's current state (open orders, balances, positions, markets). */
  const read = async <T>(fn: (e: DemoEngine) => T): Promise<T> => {
    if (rebuilding !== null) await rebuilding
    return fn(current())
  }

  const runLoop = (name: string, sub: Subscription, each: (e: MarketEvent) => Promise<void> | undefined) =>
    (async () => {
      try {
        for await (const ev of sub) {
          const wait = each(ev)
          if (wait !== undefined) await wait
        }
      } catch (err) {
        logger?.error({ err, loop: name }, 'demo market data loop stopped')
      }
    })()

  const startFeed = (f: MarketFeed): void => {
    const symbols = [...f.symbols().keys()].sort(byText)
    nativeTimeframes = new Map(f.symbols())
    unsubscribeStatus = f.onStatus((s) => {
      if (s.state === 'unreachable' || s.state === 'fallback') {
        logger?.warn({ source: s.source, state: s.state, detail: s.detail }, 'demo market data source changed')
        alerts?.raise({ workspaceId: null, rule: `demo_feed_${s.state}`, severity: 'warning', details: { source: s.source, detail: s.detail }, dedupKey: s.state, dedupWindowMs: 3_600_000 }).catch(() => {})
      }
    })
    const prices = f.subscribe({ symbols, ticks: true, trades: true })
    loops = [runLoop('prices', prices, (e) => (e.kind === 'candle' ? undefined : ingest(e)))]
    const byNative = new Map<Timeframe, string[]>()
    for (const s of symbols) {
      const tf = nativeTimeframes.get(s)
      if (tf !== null && tf !== undefined) byNative.set(tf, [...(byNative.get(tf) ?? []), s])
    }
    for (const [tf, group] of byNative) {
      const sub = f.subscribe({ symbols: group, ticks: false, trades: false, timeframes: timeframesFrom(tf) })
      loops.push(
        runLoop('candles', sub, (e) => {
          if (e.kind === 'candle') {
            candles.add(e)
            if (candleListeners.size > 0) notify(candleListeners, e)
          }
          return undefined
        }),
      )
    }
    f.start()
  }

  /** Loads the engine from the database (or creates it), then starts the feed. */
  const start = async (): Promise<void> => {
    if (state !== 'stopped') throw new Error('the demo runtime is already started')
    state = 'starting'
    stopping = new AbortController()
    isDiverged = false
    try {
      const projected = await loadProjected()
      feed = deps.openFeed === undefined ? null : await deps.openFeed(projected !== null && projected.time > 0 ? projected.time : null)
      feedSymbols = feed === null ? null : new Set(feed.symbols().keys())
      markets = deps.markets !== undefined ? [...deps.markets] : demoMarketsFor(feedSymbols ?? [])
      engine = buildEngine(projected)
      // The first snapshot fixes the seed and the markets; every later start builds on it.
      if (projected === null) await writer.write({ events: [], snapshot: engine.snapshot() })
      routes = priceRoutes(engine.markets(), feedSymbols)
      state = 'running'
      if (feed !== null) startFeed(feed)
      deps.funding?.start({ execute, read })
    } catch (err) {
      state = 'stopped'
      engine = null
      await feed?.stop().catch(() => {})
      feed = null
      throw err
    }
  }

  /** Stops the feed, lets the writer finish, and saves a snapshot so the next start resumes exactly here. */
  const stop = async (): Promise<void> => {
    if (state !== 'running') return
    state = 'stopping'
    stopping.abort()
    unsubscribeStatus?.()
    await deps.funding?.stop()
    await feed?.stop()
    await Promise.all(loops)
    if (rebuilding !== null) await rebuilding
    await writer.barrier()
    const e = engine
    // An engine ahead of the database must not be saved: the next start rebuilds from the log instead.
    if (e !== null && !isDiverged) {
      try {
        await writer.write({ events: [], snapshot: e.snapshot() })
      } catch (err) {
        logger?.error({ err }, 'the demo shutdown snapshot was not saved; the next start replays the event log from the previous one')
      }
    }
    engine = null
    feed = null
    loops = []
    state = 'stopped'
  }

  const fundingStatus = (): FundingStatus =>
    deps.funding?.status() ?? { source: 'configured', since: 0, detail: 'configured funding rate: no funding rate source is set up for the demo exchange', markets: [] }

  /** The feed's status; with a funding source, its detail also says where the funding rate comes from. */
  const feedStatus = (): FeedStatus => {
    const s = feed?.status() ?? { source: 'replay', state: 'stopped', detail: 'no market data feed is configured for the demo exchange', since: clock.now().getTime() }
    return deps.funding === undefined ? s : { ...s, detail: `${s.detail}; funding: ${fundingStatus().detail}` }
  }

  /**
   * The feed's latest closed candles for a market (a perpetual shows its price source's candles).
   * @throws AppError BAD_INPUT for a market without candles or a timeframe that cannot be built
   */
  const candlesOf = (symbol: string, timeframe: string, limit: number) => {
    const source = feedSymbols === null ? null : candleSourceOf(symbol, feedSymbols)
    const native = source === null ? null : (nativeTimeframes.get(source) ?? null)
    if (source === null || native === null) throw new AppError('BAD_INPUT', `the demo feed has no candles for "${symbol}"`)
    const allowed = timeframesFrom(native)
    const tf = allowed.find((t) => t === timeframe)
    if (tf === undefined) throw new AppError('BAD_INPUT', `timeframe must be one of ${allowed.join(', ')}`)
    return candles.latest(source, tf, limit)
  }

  return {
    start,
    stop,
    ingest,
    execute,
    read,
    feedStatus,
    /** Where the perpetuals' funding rate comes from right now ('live' or 'configured'), since when and why. */
    fundingStatus,
    candles: candlesOf,
    /** Resolves once every change made so far is in the database (history reads wait for it). */
    barrier: () => writer.barrier(),
    /** Events queued for the database (backpressure, diagnostics). */
    pendingEvents: () => writer.pendingEvents(),
    isRunning: () => state === 'running' && rebuilding === null,
    /** Every price the engine applied, per demo market symbol ("BTC/USDT", "BTC/USDT:USDT"); returns the unsubscribe. */
    onPrice: (listener: (p: { symbol: string; price: string; time: number }) => void) => {
      priceListeners.add(listener)
      return () => void priceListeners.delete(listener)
    },
    /** Every closed candle of the feed (feed symbols: a perpetual's candles are its spot source's, see `candleSource`). */
    onCandle: (listener: (c: CandleEvent) => void) => {
      candleListeners.add(listener)
      return () => void candleListeners.delete(listener)
    },
    /** Where a market's candles come from (its own series or its spot source), or null. */
    /** The markets the engine trades (definitions: tick and lot sizes), as of the last start. */
    marketDefs: (): readonly DemoMarketDef[] => markets,
    candleSource: (symbol: string) => (feedSymbols === null ? null : candleSourceOf(symbol, feedSymbols)),
    store,
  }
}
export type DemoRuntime = ReturnType<typeof createDemoRuntime>
