import type { Exchange } from 'ccxt'
import type { Clock } from '../lib/clock.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { createFeedHub, feedFromHub } from './feed-hub.js'
import { eventTime, isTimeframe, timeframeMs, type MarketEvent, type MarketFeed, type Timeframe } from './market-types.js'
import { checkSeries, describeReplay, runReplay, type ReplaySeries } from './replay.js'
import { checkSpeed, type ReplaySpeed, type Scheduler } from './scheduler.js'

/**
 * Live prices from a reference exchange's public REST endpoints through ccxt, without keys: per symbol
 * and poll, fetchTicker (a price update), fetchTrades (new trades) and fetchOHLCV (newly closed
 * candles). The first poll sets the starting point: it emits the current price and the latest closed
 * candle, not the backlog of trades before the feed started.
 *
 * Websockets: ccxt.pro's watchTicker / watchTrades / watchOHLCV would replace `pollSymbol` and the sleep
 * in `run` below (one watch loop per symbol publishing into the same hub). They are not used because
 * this build runs where only the npm registry is reachable; REST polling works everywhere.
 *
 * Unreachable, never silent. After `failuresBeforeUnreachable` consecutive failed polls the status is
 * `unreachable` with the reason. If the operator allowed a fallback, the feed then switches to the
 * replay it was given — status `replay` / `fallback`, the detail naming the exchange, the reason and the
 * data — and stays on it until restarted (flipping between live and recorded prices would give a demo
 * account a price path that never existed). The replay is shifted to start after the last live event
 * (or the clock's now), so time never runs backwards for subscribers. Without a fallback the feed keeps
 * polling and returns to `running` when the exchange answers again.
 */

/** The keyless subset of a ccxt exchange that the live feed calls. */
export type PublicMarketApi = {
  readonly id: string
  loadMarkets: (reload?: boolean) => Promise<unknown>
  fetchTicker: (symbol: string) => Promise<{ timestamp: number | undefined; last: number | undefined }>
  fetchTrades: (
    symbol: string,
    since?: number,
    limit?: number,
  ) => Promise<ReadonlyArray<{ id: string | undefined; timestamp: number | undefined; price: number | undefined; amount: number | undefined; side: string | undefined }>>
  fetchOHLCV: (symbol: string, timeframe?: string, since?: number, limit?: number) => Promise<ReadonlyArray<ReadonlyArray<number | undefined>>>
}

/**
 * A keyless ccxt instance for public market data (spot markets only, no signed calls while loading
 * markets). ccxt is imported here, on first use, so processes that never go live never load it.
 * @throws AppError BAD_INPUT when ccxt has no such exchange
 */
export const createPublicExchange = async (exchangeId: string, opts: { timeoutMs?: number } = {}): Promise<Exchange> => {
  const ccxt = (await import('ccxt')).default as unknown as Record<string, unknown>
  const Ctor = /^[a-z0-9]{2,30}$/.test(exchangeId) ? ccxt[exchangeId] : undefined
  if (typeof Ctor !== 'function') throw new AppError('BAD_INPUT', `ccxt has no exchange "${exchangeId}"`)
  return new (Ctor as new (config: Record<string, unknown>) => Exchange)({
    enableRateLimit: true,
    timeout: opts.timeoutMs ?? 10_000,
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  })
}

export type LiveFallback = {
  series: readonly ReplaySeries[]
  /** Names the data in the status detail, e.g. "bundled data/market". */
  label: string
  /** Default 1 (real time). */
  speed?: ReplaySpeed
  ticksPerLeg?: number
}

export type LiveFeedInput = {
  exchange: PublicMarketApi
  symbols: readonly string[]
  /** Native candles fetched from the exchange (default 1m). */
  candleTimeframe?: Timeframe
  /** Default 2000 ms. */
  pollIntervalMs?: number
  /** Consecutive failed polls before the feed says it is unreachable (default 3). */
  failuresBeforeUnreachable?: number
  /** Trades asked for per poll (default 100). */
  tradesLimit?: number
  /** The replay to switch to when live is unreachable, or null when the operator did not allow it. */
  fallback: LiveFallback | null
  scheduler: Scheduler
  clock: Clock
  logger?: Pick<Logger, 'warn' | 'error'>
}

const toDecimalText = (value: number | undefined, what: string): string => {
  if (value === undefined || !Number.isFinite(value) || value < 0) throw new AppError('EXCHANGE_UNAVAILABLE', `the exchange sent an unusable ${what}`)
  return toDecimalString(new Decimal(value))
}

const reasonOf = (err: unknown): string => {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

type SymbolState = { tickTime: number; candleTime: number; tradeTime: number; tradeIds: Set<string>; seq: number; isStarted: boolean }

/** @throws AppError BAD_INPUT for bad symbols, intervals, or a fallback that does not cover the live symbols */
export const createLiveFeed = (input: LiveFeedInput): MarketFeed => {
  const { exchange, scheduler, clock, logger } = input
  const tf = input.candleTimeframe ?? '1m'
  const pollMs = input.pollIntervalMs ?? 2000
  const threshold = input.failuresBeforeUnreachable ?? 3
  const tradesLimit = input.tradesLimit ?? 100
  if (!isTimeframe(tf)) throw new AppError('BAD_INPUT', `"${String(tf)}" is not a timeframe`)
  if (!Number.isInteger(pollMs) || pollMs < 100 || pollMs > 3_600_000) throw new AppError('BAD_INPUT', 'pollIntervalMs must be a whole number from 100 to 3600000')
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 1000) throw new AppError('BAD_INPUT', 'failuresBeforeUnreachable must be a whole number from 1 to 1000')
  if (!Number.isInteger(tradesLimit) || tradesLimit < 1 || tradesLimit > 1000) throw new AppError('BAD_INPUT', 'tradesLimit must be a whole number from 1 to 1000')
  if (input.symbols.length === 0) throw new AppError('BAD_INPUT', 'a live feed needs at least one symbol')
  for (const s of input.symbols) {
    if (!/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/.test(s)) throw new AppError('BAD_INPUT', `"${s}" is not a unified symbol like "BTC/USDT"`)
  }
  const fallback = input.fallback
  if (fallback) {
    checkSeries(fallback.series)
    checkSpeed(fallback.speed ?? 1)
    for (const s of input.symbols) {
      const candles = fallback.series.find((x) => x.symbol === s && x.kind === 'candles')
      if (!candles) throw new AppError('BAD_INPUT', `the fallback replay has no candles for ${s}`)
      if (candles.kind === 'candles' && candles.timeframe !== tf) throw new AppError('BAD_INPUT', `the fallback replay has ${candles.timeframe} candles for ${s}; the live feed uses ${tf}`)
    }
  }

  const hub = createFeedHub({ clock, symbols: new Map(input.symbols.map((s) => [s, tf])), initialStatus: { source: 'live', state: 'stopped', detail: 'not started' } })
  const states = new Map<string, SymbolState>(input.symbols.map((s) => [s, { tickTime: -1, candleTime: -1, tradeTime: -1, tradeIds: new Set(), seq: 0, isStarted: false }]))
  const tfMs = timeframeMs[tf]
  let lastEventTime = -1
  let isOnFallback = false

  /** One symbol's new events and the state to keep if they are published (nothing changes on a failure). */
  const pollSymbol = async (symbol: string, st: SymbolState): Promise<{ events: MarketEvent[]; next: SymbolState }> => {
    const ticker = await exchange.fetchTicker(symbol)
    const trades = await exchange.fetchTrades(symbol, undefined, tradesLimit)
    const rows = await exchange.fetchOHLCV(symbol, tf, undefined, 5)
    const next: SymbolState = { ...st, tradeIds: new Set(), isStarted: true }
    const events: MarketEvent[] = []

    for (const t of trades) {
      if (t.id === undefined || t.timestamp === undefined) throw new AppError('EXCHANGE_UNAVAILABLE', 'the exchange sent a trade without id or time')
      next.tradeIds.add(t.id)
      next.tradeTime = Math.max(next.tradeTime, t.timestamp)
      if (!st.isStarted || st.tradeIds.has(t.id) || t.timestamp < st.tradeTime) continue
      const side = t.side === 'buy' || t.side === 'sell' ? t.side : undefined
      if (!side) throw new AppError('EXCHANGE_UNAVAILABLE', 'the exchange sent a trade without a side')
      events.push({ kind: 'trade', symbol, time: t.timestamp, id: t.id, price: toDecimalText(t.price, 'trade price'), amount: toDecimalText(t.amount, 'trade amount'), side })
    }

    const sourceNow = Math.max(ticker.timestamp ?? -1, next.tradeTime)
    const closed = [...rows]
      .filter((r, i) => typeof r[0] === 'number' && (i < rows.length - 1 || r[0] + tfMs <= sourceNow))
      .sort((a, b) => (a[0] as number) - (b[0] as number))
    const fresh = closed.filter((r) => (r[0] as number) > st.candleTime)
    for (const r of st.isStarted ? fresh : fresh.slice(-1)) {
      const time = r[0] as number
      events.push({
        kind: 'candle',
        symbol,
        timeframe: tf,
        time,
        closeTime: time + tfMs,
        open: toDecimalText(r[1], 'candle open'),
        high: toDecimalText(r[2], 'candle high'),
        low: toDecimalText(r[3], 'candle low'),
        close: toDecimalText(r[4], 'candle close'),
        volume: toDecimalText(r[5], 'candle volume'),
      })
      next.candleTime = time
    }

    if (ticker.timestamp !== undefined && ticker.last !== undefined && ticker.timestamp > st.tickTime) {
      events.push({ kind: 'tick', symbol, time: ticker.timestamp, price: toDecimalText(ticker.last, 'price'), amount: '0', seq: next.seq++ })
      next.tickTime = ticker.timestamp
    }
    events.sort((a, b) => eventTime(a) - eventTime(b))
    return { events, next }
  }

  const run = async (signal: AbortSignal) => {
    hub.setStatus({ source: 'live', state: 'running', detail: `connecting to the ${exchange.id} public API` })
    let failures = 0
    let hasMarkets = false
    while (!signal.aborted) {
      try {
        if (!hasMarkets) {
          // ccxt caches a failed loadMarkets promise and hands it back forever: after a failure, ask for a reload.
          await exchange.loadMarkets(failures > 0)
          hasMarkets = true
        }
        for (const symbol of input.symbols) {
          const st = states.get(symbol) as SymbolState
          const { events, next } = await pollSymbol(symbol, st)
          if (signal.aborted) return
          states.set(symbol, next)
          for (const e of events) {
            lastEventTime = Math.max(lastEventTime, eventTime(e))
            const room = hub.publish(e)
            if (room) await room
          }
        }
        failures = 0
        hub.setStatus({ source: 'live', state: 'running', detail: `polling the ${exchange.id} public REST API every ${pollMs} ms for ${input.symbols.join(', ')}` })
      } catch (err) {
        if (signal.aborted) return
        failures++
        const reason = reasonOf(err)
        logger?.warn({ exchange: exchange.id, failures, reason }, 'live market data poll failed')
        if (failures >= threshold) {
          const why = `live ${exchange.id} public API unreachable after ${failures} failed ${failures === 1 ? 'poll' : 'polls'} (${reason})`
          if (fallback) {
            isOnFallback = true
            const replay = { series: fallback.series, speed: fallback.speed ?? 1, atEnd: 'loop' as const, ticksPerLeg: fallback.ticksPerLeg, scheduler }
            const startAt = Math.max(lastEventTime + 1, clock.now().getTime())
            hub.setStatus({
              source: 'replay',
              state: 'fallback',
              detail: `${why}; the operator allowed a fallback, so this is RECORDED data, not live: replaying ${describeReplay(replay, fallback.label)}, shifted to start at ${new Date(startAt).toISOString()}`,
            })
            await runReplay(hub, { ...replay, startAt }, signal)
            return
          }
          hub.setStatus({ source: 'live', state: 'unreachable', detail: `${why}; no fallback allowed, retrying every ${pollMs} ms` })
        }
      }
      await scheduler.sleep(pollMs, signal)
    }
  }

  return feedFromHub(hub, run, () => (isOnFallback ? { source: 'replay', detail: '' } : { source: 'live', detail: '' }), logger)
}
