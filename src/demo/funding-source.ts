import { z } from 'zod'
import type { Clock } from '../lib/clock.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import type { Scheduler } from '../market/index.js'
import type { DemoEngine } from './engine/index.js'

/**
 * Where the demo perpetuals' funding rate comes from. Issue 6: funding every 8 h at the live rate where
 * reachable, else the configured one. With a `live` market source the reference exchange's public
 * funding rate (ccxt `fetchFundingRate`, keyless) is polled every few minutes and handed to the engine as
 * a `setFundingRate` command through the runtime's `execute`: the one caller of the engine, so the change
 * is in the event log (restart and replay give the same funding) like any other command.
 *
 * Never silent. A market whose rate could not be fetched `failuresBeforeConfigured` times in a row goes
 * back to its configured rate (a stale live rate would be neither live nor configured) and the status
 * says `configured`, with the reason, until the exchange answers again. Replay and synthetic sources use
 * the configured rate and say so.
 */

export const fundingSources = ['live', 'configured'] as const

/** What the API can show beside the feed status. `since` is when `source` last changed (ms, injected clock). */
export const fundingStatusView = z.object({
  source: z.enum(fundingSources),
  since: z.number().int(),
  detail: z.string(),
  markets: z.array(z.object({ symbol: z.string(), source: z.enum(fundingSources), rate: z.string() })),
})
export type FundingStatus = z.infer<typeof fundingStatusView>

/** The runtime's single-caller path (DemoRuntime's `execute` and `read`). */
export type FundingTarget = {
  execute: (cmd: { type: 'setFundingRate'; symbol: string; rate: string }) => Promise<unknown>
  read: <T>(fn: (e: DemoEngine) => T) => Promise<T>
}

export type FundingSource = {
  /** Starts polling (live) or puts the configured rates in force (configured). Returns at once. */
  start: (target: FundingTarget) => void
  stop: () => Promise<void>
  status: () => FundingStatus
}

/** The keyless subset of a ccxt derivatives exchange that the live source calls. */
export type FundingRateApi = {
  readonly id: string
  loadMarkets: (reload?: boolean) => Promise<unknown>
  fetchFundingRate: (symbol: string) => Promise<{ fundingRate?: number | undefined }>
}

/** The engine's rate for a linear market whose definition names none (engine/engine-state.ts). */
const engineDefaultRate = '0.0001'

type Perpetual = { symbol: string; configured: string }

const perpetualsOf = (target: FundingTarget): Promise<Perpetual[]> =>
  target.read((e) =>
    e
      .markets()
      .filter((d) => d.kind === 'linear')
      .map((d) => ({ symbol: d.symbol, configured: d.fundingRate ?? engineDefaultRate })),
  )

const reasonOf = (err: unknown): string => {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** A rate the engine accepts (a decimal string, |rate| < 1), or an error naming the exchange's fault. */
const rateText = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value) || Math.abs(value) >= 1) throw new AppError('EXCHANGE_UNAVAILABLE', 'the exchange sent an unusable funding rate')
  return toDecimalString(new Decimal(value).toDecimalPlaces(10))
}

/** Replay and synthetic data (and a live exchange without funding rates): the configured rate, stated as such. */
export const createConfiguredFunding = ({ clock, reason, logger }: { clock: Clock; reason: string; logger?: Pick<Logger, 'warn'> }): FundingSource => {
  const since = clock.now().getTime()
  let markets: FundingStatus['markets'] = []
  let task: Promise<void> | null = null
  const start = (target: FundingTarget) => {
    // A rate left by an earlier live run is in the restored engine: put the configured one back.
    task = (async () => {
      const perps = await perpetualsOf(target)
      for (const p of perps) await target.execute({ type: 'setFundingRate', symbol: p.symbol, rate: p.configured })
      markets = perps.map((p) => ({ symbol: p.symbol, source: 'configured' as const, rate: p.configured }))
    })().catch((err: unknown) => logger?.warn({ err }, 'the configured demo funding rates could not be put in force'))
  }
  return {
    start,
    stop: async () => {
      await task
    },
    status: () => ({ source: 'configured', since, detail: `configured funding rate: ${reason}`, markets }),
  }
}

export type LiveFundingInput = {
  exchange: FundingRateApi
  clock: Clock
  scheduler: Scheduler
  logger?: Pick<Logger, 'info' | 'warn'>
  /** Default 300,000 ms (5 min): the rate moves slowly and is charged only every 8 h. */
  pollIntervalMs?: number
  /** Consecutive failed polls of a market before it goes back to its configured rate (default 3). */
  failuresBeforeConfigured?: number
}

type MarketState = { source: 'live' | 'configured'; rate: string; failures: number; reason: string | null }

/** @throws AppError BAD_INPUT for a bad interval or threshold */
export const createLiveFunding = (input: LiveFundingInput): FundingSource => {
  const { exchange, clock, scheduler, logger } = input
  const pollMs = input.pollIntervalMs ?? 300_000
  const threshold = input.failuresBeforeConfigured ?? 3
  if (!Number.isInteger(pollMs) || pollMs < 1_000 || pollMs > 86_400_000) throw new AppError('BAD_INPUT', 'the funding rate poll interval must be a whole number of ms from 1000 to 86400000')
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 1000) throw new AppError('BAD_INPUT', 'failuresBeforeConfigured must be a whole number from 1 to 1000')

  const states = new Map<string, MarketState>()
  let status: FundingStatus = { source: 'configured', since: clock.now().getTime(), detail: `waiting for the first live funding rate from ${exchange.id}`, markets: [] }
  let controller: AbortController | null = null
  let loop: Promise<void> | null = null

  const refreshStatus = (perps: readonly Perpetual[]) => {
    const markets = perps.flatMap((p) => {
      const s = states.get(p.symbol)
      return s === undefined ? [] : [{ symbol: p.symbol, source: s.source, rate: s.rate }]
    })
    const fallen = perps.filter((p) => states.get(p.symbol)?.source !== 'live')
    const source = perps.length > 0 && fallen.length === 0 ? 'live' : 'configured'
    const detail =
      source === 'live'
        ? `live funding rates from the ${exchange.id} public API, polled every ${pollMs} ms`
        : perps.length === 0
          ? 'the demo exchange has no perpetual markets'
          : `configured funding rate for ${fallen.map((p) => `${p.symbol} (${states.get(p.symbol)?.reason ?? `waiting for the first live rate from ${exchange.id}`})`).join(', ')}; retrying every ${pollMs} ms`
    if (source !== status.source) logger?.[source === 'live' ? 'info' : 'warn']({ source, detail }, 'demo funding rate source changed')
    status = { source, since: source === status.source ? status.since : clock.now().getTime(), detail, markets }
  }

  const pollOne = async (target: FundingTarget, p: Perpetual, needsMarkets: { value: boolean }): Promise<void> => {
    const prev = states.get(p.symbol) ?? { source: 'configured' as const, rate: p.configured, failures: 0, reason: null }
    try {
      if (needsMarkets.value) {
        // ccxt caches a failed loadMarkets promise: after a failure, ask for a reload.
        await exchange.loadMarkets(true)
        needsMarkets.value = false
      }
      const rate = rateText((await exchange.fetchFundingRate(p.symbol)).fundingRate)
      await target.execute({ type: 'setFundingRate', symbol: p.symbol, rate })
      states.set(p.symbol, { source: 'live', rate, failures: 0, reason: null })
    } catch (err) {
      const failures = prev.failures + 1
      const reason = `${exchange.id} funding rate unavailable after ${failures} failed ${failures === 1 ? 'poll' : 'polls'} (${reasonOf(err)})`
      logger?.warn({ exchange: exchange.id, symbol: p.symbol, failures, reason: reasonOf(err) }, 'live funding rate poll failed')
      if (failures < threshold) {
        states.set(p.symbol, { ...prev, failures })
        return
      }
      if (failures === threshold) {
        try {
          await target.execute({ type: 'setFundingRate', symbol: p.symbol, rate: p.configured })
        } catch (applyErr) {
          logger?.warn({ err: applyErr, symbol: p.symbol }, 'the configured demo funding rate could not be put back; retrying at the next poll')
          states.set(p.symbol, { ...prev, failures: threshold - 1 })
          return
        }
      }
      states.set(p.symbol, { source: 'configured', rate: p.configured, failures, reason })
    }
  }

  const run = async (target: FundingTarget, signal: AbortSignal) => {
    const needsMarkets = { value: true }
    while (!signal.aborted) {
      try {
        const perps = await perpetualsOf(target)
        for (const p of perps) {
          if (signal.aborted) return
          await pollOne(target, p, needsMarkets)
        }
        if (perps.some((p) => states.get(p.symbol)?.source !== 'live')) needsMarkets.value = true
        refreshStatus(perps)
      } catch (err) {
        // The runtime is not running (or rebuilding failed): nothing to set; try again at the next poll.
        logger?.warn({ err }, 'demo funding rate poll skipped')
      }
      await scheduler.sleep(pollMs, signal)
    }
  }

  return {
    start: (target) => {
      if (loop !== null) throw new Error('the funding rate source is already started')
      controller = new AbortController()
      loop = run(target, controller.signal)
    },
    stop: async () => {
      controller?.abort()
      await loop
      loop = null
    },
    status: () => status,
  }
}

/** The keyless ccxt class serving a reference exchange's linear (USDⓈ-M) perpetuals. */
const derivativesClassOf: Record<string, string> = { binance: 'binanceusdm', binanceusdm: 'binanceusdm' }

/**
 * A keyless ccxt instance for public funding rates of linear perpetuals, or null when ccxt's class for
 * the exchange has no `fetchFundingRate`. ccxt is imported here, on first use.
 * @throws AppError BAD_INPUT when ccxt has no such exchange
 */
export const createFundingRateExchange = async (exchangeId: string, opts: { timeoutMs?: number } = {}): Promise<(FundingRateApi & { urls: { api: unknown } }) | null> => {
  const ccxt = (await import('ccxt')).default as unknown as Record<string, unknown>
  const id = derivativesClassOf[exchangeId] ?? exchangeId
  const Ctor = /^[a-z0-9]{2,30}$/.test(id) ? ccxt[id] : undefined
  if (typeof Ctor !== 'function') throw new AppError('BAD_INPUT', `ccxt has no exchange "${exchangeId}"`)
  const exchange = new (Ctor as new (config: Record<string, unknown>) => FundingRateApi & { has: Record<string, unknown>; urls: { api: unknown } })({
    enableRateLimit: true,
    timeout: opts.timeoutMs ?? 10_000,
    // Perpetuals (binanceusdm loads only its linear markets by default), nothing that needs a key.
    options: { defaultType: 'swap', fetchCurrencies: false, fetchMargins: false },
  })
  return exchange.has['fetchFundingRate'] === true ? exchange : null
}
