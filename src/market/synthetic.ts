import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { createTickCandleBuilder } from './aggregate.js'
import { createFeedHub, feedFromHub } from './feed-hub.js'
import { isTimeframe, type MarketFeed, type Timeframe } from './market-types.js'
import { createPrng, hashString } from './prng.js'
import { createPacer, type ReplaySpeed, type Scheduler } from './scheduler.js'

/**
 * Synthetic prices: geometric Brownian motion with market-wide volatility regimes and Poisson jumps,
 * from a seed. Same input (seed included) → the identical series, event for event.
 *
 * Per step of `stepMs`, for each symbol, with dt = stepMs in years (365.25 days):
 *   r = (μ − σ²/2)·dt + σ·√dt·Z            σ = volPerYear × the current regime's volMultiplier
 *   with probability 1 − e^(−λ·stepMs/day) a jump adds N(jumpMean, jumpStd) to r
 *   log price += r
 * The regime is one Markov chain for the whole market (volatility clusters across symbols, as it does on
 * exchanges): each step it leaves the current regime with probability 1 − e^(−stepMs/meanDurationMs) for
 * another one chosen uniformly. Each symbol and the regime chain draw from their own stream, derived from
 * the seed and the symbol, so adding a symbol does not change the others' paths.
 * Prices are printed with `priceDecimals` and never below one unit of the last decimal; the amount per
 * update is uniform in [0.25, 1.75] × amountPerTick × the regime's volMultiplier (busier when wilder).
 */

export type SyntheticRegime = {
  name: string
  /** Multiplies every symbol's volatility while the regime lasts. */
  volMultiplier: number
  /** Mean time spent in the regime before a switch (exponentially distributed). */
  meanDurationMs: number
}

export type SyntheticSymbol = {
  symbol: string
  startPrice: string
  /** Annualized drift μ of the log price (0.1 = 10 % per year). */
  driftPerYear: number
  /** Annualized volatility σ before the regime multiplier (0.6 = 60 %). */
  volPerYear: number
  /** Expected jumps per day (default 0). */
  jumpsPerDay?: number
  /** Mean log return of a jump (default 0). */
  jumpMean?: number
  /** Standard deviation of a jump's log return (default 0.02). */
  jumpStd?: number
  /** Decimals of printed prices (default 2). */
  priceDecimals?: number
  /** Mean base amount per update before the regime multiplier (default 0.5). */
  amountPerTick?: number
  /** Decimals of printed amounts (default 6). */
  amountDecimals?: number
}

export type SyntheticModel = {
  seed: number
  /** Time of the first update (ms). */
  startTime: number
  /** Time between updates (default 1000 ms). */
  stepMs?: number
  symbols: readonly SyntheticSymbol[]
  /** Default: calm (×1, mean 6 h) and volatile (×3, mean 1 h). */
  regimes?: readonly SyntheticRegime[]
}

export const defaultRegimes: readonly SyntheticRegime[] = [
  { name: 'calm', volMultiplier: 1, meanDurationMs: 6 * 3_600_000 },
  { name: 'volatile', volMultiplier: 3, meanDurationMs: 3_600_000 },
]

const yearMs = 365.25 * 86_400_000
const symbolPattern = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/

const bad = (message: string): never => {
  throw new AppError('BAD_INPUT', message)
}

/** @throws AppError BAD_INPUT naming the first bad setting */
export const checkSyntheticModel = (m: SyntheticModel): void => {
  if (!Number.isSafeInteger(m.seed)) bad('the synthetic seed must be a whole number')
  if (!Number.isSafeInteger(m.startTime) || m.startTime < 0) bad('startTime must be a Unix time in ms')
  const step = m.stepMs ?? 1000
  if (!Number.isInteger(step) || step < 1 || step > 86_400_000) bad('stepMs must be a whole number of ms from 1 to 86400000')
  if (m.symbols.length === 0) bad('a synthetic feed needs at least one symbol')
  const seen = new Set<string>()
  for (const s of m.symbols) {
    if (!symbolPattern.test(s.symbol)) bad(`"${s.symbol}" is not a unified symbol like "BTC/USDT"`)
    if (seen.has(s.symbol)) bad(`${s.symbol} is listed twice`)
    seen.add(s.symbol)
    const start = Number(s.startPrice)
    if (!/^(0|[1-9]\d*)(\.\d+)?$/.test(s.startPrice) || !(start > 0)) bad(`${s.symbol}: startPrice must be a positive decimal string`)
    if (!Number.isFinite(s.driftPerYear) || Math.abs(s.driftPerYear) > 100) bad(`${s.symbol}: driftPerYear must be a number from -100 to 100`)
    if (!Number.isFinite(s.volPerYear) || s.volPerYear < 0 || s.volPerYear > 100) bad(`${s.symbol}: volPerYear must be a number from 0 to 100`)
    const jumps = s.jumpsPerDay ?? 0
    if (!Number.isFinite(jumps) || jumps < 0 || jumps > 10_000) bad(`${s.symbol}: jumpsPerDay must be from 0 to 10000`)
    if (!Number.isFinite(s.jumpMean ?? 0) || Math.abs(s.jumpMean ?? 0) > 1) bad(`${s.symbol}: jumpMean must be from -1 to 1`)
    if (!Number.isFinite(s.jumpStd ?? 0.02) || (s.jumpStd ?? 0.02) < 0 || (s.jumpStd ?? 0.02) > 1) bad(`${s.symbol}: jumpStd must be from 0 to 1`)
    for (const [name, v] of [['priceDecimals', s.priceDecimals ?? 2], ['amountDecimals', s.amountDecimals ?? 6]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 12) bad(`${s.symbol}: ${name} must be a whole number from 0 to 12`)
    }
    const amount = s.amountPerTick ?? 0.5
    if (!Number.isFinite(amount) || amount < 0) bad(`${s.symbol}: amountPerTick must be a number of at least 0`)
  }
  const regimes = m.regimes ?? defaultRegimes
  if (regimes.length === 0) bad('give at least one regime')
  for (const r of regimes) {
    if (!Number.isFinite(r.volMultiplier) || r.volMultiplier < 0 || r.volMultiplier > 100) bad(`regime "${r.name}": volMultiplier must be from 0 to 100`)
    if (!Number.isFinite(r.meanDurationMs) || r.meanDurationMs <= 0) bad(`regime "${r.name}": meanDurationMs must be above 0`)
  }
}

/** Prints a positive number with at most `decimals` decimals, trailing zeros removed, never below one unit. */
const print = (value: number, decimals: number): string => {
  const unit = 10 ** -decimals
  const s = Math.max(value, unit).toFixed(decimals)
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}

export type SyntheticStep = {
  time: number
  regime: string
  symbols: Array<{ symbol: string; price: string; amount: string; logReturn: number; isJump: boolean }>
}

/**
 * The model's path, step by step, forever (stop iterating when you have enough). `logReturn` and
 * `isJump` are the model's own values, exposed so tests can check the statistics.
 * @throws AppError BAD_INPUT (see checkSyntheticModel)
 */
export function* syntheticPath(m: SyntheticModel): Generator<SyntheticStep> {
  checkSyntheticModel(m)
  const stepMs = m.stepMs ?? 1000
  const regimes = m.regimes ?? defaultRegimes
  const dt = stepMs / yearMs
  const regimeRng = createPrng(hashString(`${m.seed}/regime`))
  const states = m.symbols.map((s) => ({
    s,
    rng: createPrng(hashString(`${m.seed}/${s.symbol}`)),
    logPrice: Math.log(Number(s.startPrice)),
    jumpProbability: 1 - Math.exp(-((s.jumpsPerDay ?? 0) * stepMs) / 86_400_000),
  }))
  const leave = regimes.map((r) => 1 - Math.exp(-stepMs / r.meanDurationMs))
  let regime = 0
  for (let k = 0; ; k++) {
    const current = regimes[regime] as SyntheticRegime
    const step: SyntheticStep = { time: m.startTime + k * stepMs, regime: current.name, symbols: [] }
    for (const st of states) {
      const { s, rng } = st
      let logReturn = 0
      let isJump = false
      if (k > 0) {
        const sigma = s.volPerYear * current.volMultiplier
        logReturn = (s.driftPerYear - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * rng.normal()
        if (rng.next() < st.jumpProbability) {
          isJump = true
          logReturn += (s.jumpMean ?? 0) + (s.jumpStd ?? 0.02) * rng.normal()
        }
        st.logPrice += logReturn
      }
      const amount = (s.amountPerTick ?? 0.5) * current.volMultiplier * (0.25 + 1.5 * rng.next())
      step.symbols.push({
        symbol: s.symbol,
        price: k === 0 ? s.startPrice : print(Math.exp(st.logPrice), s.priceDecimals ?? 2),
        amount: amount > 0 ? print(amount, s.amountDecimals ?? 6) : '0',
        logReturn,
        isJump,
      })
    }
    yield step
    if (regimes.length > 1 && regimeRng.next() < (leave[regime] as number)) {
      const other = Math.floor(regimeRng.next() * (regimes.length - 1))
      regime = other >= regime ? other + 1 : other
    }
  }
}

export type SyntheticFeedInput = SyntheticModel & {
  speed: ReplaySpeed
  /** Native candles built from the updates (default 1m). */
  candleTimeframe?: Timeframe
  /** Stop (state 'stopped') before the first update at or after this time; default: run until stopped. */
  endTime?: number
  scheduler: Scheduler
  clock: Clock
  logger?: Pick<Logger, 'error'>
}

/** @throws AppError BAD_INPUT for a bad model, speed or timeframe */
export const createSyntheticFeed = (input: SyntheticFeedInput): MarketFeed => {
  checkSyntheticModel(input)
  createPacer(input.scheduler, input.speed)
  const tf = input.candleTimeframe ?? '1m'
  if (!isTimeframe(tf)) bad(`"${String(tf)}" is not a timeframe`)
  const hub = createFeedHub({
    clock: input.clock,
    symbols: new Map(input.symbols.map((s) => [s.symbol, tf])),
    initialStatus: { source: 'synthetic', state: 'stopped', detail: 'not started' },
  })
  const described = input.symbols.map((s) => `${s.symbol} σ ${s.volPerYear}/y μ ${s.driftPerYear}/y ${s.jumpsPerDay ?? 0} jumps/day`).join('; ')
  const speed = input.speed === 'max' ? 'as fast as subscribers read' : `×${input.speed}`
  return feedFromHub(
    hub,
    async (signal) => {
      hub.setStatus({ source: 'synthetic', state: 'running', detail: `synthetic prices, seed ${input.seed}, every ${input.stepMs ?? 1000} ms at ${speed}: ${described}` })
      const builders = new Map(input.symbols.map((s) => [s.symbol, createTickCandleBuilder(s.symbol, tf)]))
      const seqs = new Map(input.symbols.map((s) => [s.symbol, 0]))
      const pacer = createPacer(input.scheduler, input.speed)
      for (const step of syntheticPath(input)) {
        if (signal.aborted) return
        if (input.endTime !== undefined && step.time >= input.endTime) {
          hub.setStatus({ source: 'synthetic', state: 'stopped', detail: `end of the synthetic run at ${new Date(input.endTime).toISOString()}` })
          return
        }
        const wait = pacer.wait(step.time, signal)
        if (wait) {
          await wait
          if (signal.aborted) return
        }
        for (const p of step.symbols) {
          const closed = builders.get(p.symbol)?.push(step.time, p.price, p.amount)
          if (closed) {
            const room = hub.publish(closed)
            if (room) await room
          }
          const seq = seqs.get(p.symbol) ?? 0
          seqs.set(p.symbol, seq + 1)
          const room = hub.publish({ kind: 'tick', symbol: p.symbol, time: step.time, price: p.price, amount: p.amount, seq })
          if (room) await room
        }
      }
    },
    () => ({ source: 'synthetic', detail: '' }),
    input.logger,
  )
}
