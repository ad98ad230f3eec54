import { describe, expect, it } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import { Decimal } from '../lib/decimal.js'
import type { MarketEvent, Subscription } from './market-types.js'
import { createPrng, xoshiro128ss } from './prng.js'
import { createManualScheduler } from './scheduler.js'
import { createSyntheticFeed, syntheticPath, type SyntheticModel, type SyntheticStep } from './synthetic.js'

const start = Date.UTC(2026, 0, 1)
const model = (seed: number, extra: Partial<SyntheticModel> = {}): SyntheticModel => ({
  seed,
  startTime: start,
  stepMs: 60_000,
  symbols: [
    { symbol: 'BTC/USDT', startPrice: '50000', driftPerYear: 0.1, volPerYear: 0.6, jumpsPerDay: 2, jumpStd: 0.03 },
    { symbol: 'ETH/USDT', startPrice: '3000', driftPerYear: -0.2, volPerYear: 0.9 },
  ],
  ...extra,
})

const take = (m: SyntheticModel, n: number): SyntheticStep[] => {
  const out: SyntheticStep[] = []
  for (const step of syntheticPath(m)) {
    out.push(step)
    if (out.length === n) break
  }
  return out
}

const std = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1))
}

const collect = async (sub: Subscription, limit: number): Promise<MarketEvent[]> => {
  const out: MarketEvent[] = []
  for await (const e of sub) {
    out.push(e)
    if (out.length >= limit) break
  }
  return out
}

describe('seeded generator', () => {
  it('matches the xoshiro128** reference outputs for state 1, 2, 3, 4', () => {
    const next = xoshiro128ss([1, 2, 3, 4])
    // Output of the authors' reference C code (xoshiro128starstar.c, prng.di.unimi.it) seeded with this state.
    expect(Array.from({ length: 8 }, next)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849])
  })

  it('gives uniforms in [0, 1) and standard normals', () => {
    const rng = createPrng(7)
    const u = Array.from({ length: 100_000 }, rng.next)
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...u)).toBeLessThan(1)
    expect(u.reduce((a, b) => a + b, 0) / u.length).toBeCloseTo(0.5, 2)
    const z = Array.from({ length: 100_000 }, rng.normal)
    expect(z.reduce((a, b) => a + b, 0) / z.length).toBeCloseTo(0, 1.5)
    expect(std(z)).toBeCloseTo(1, 1.5)
  })
})

describe('synthetic prices', () => {
  it('repeats the identical series for the same seed and differs for another seed', () => {
    const a = JSON.stringify(take(model(42), 5000))
    expect(JSON.stringify(take(model(42), 5000))).toBe(a)
    expect(JSON.stringify(take(model(43), 5000))).not.toBe(a)
    // seeds that differ only above bit 32 differ too
    expect(JSON.stringify(take(model(42 + 2 ** 40), 50))).not.toBe(JSON.stringify(take(model(42), 50)))
  })

  it('keeps a symbol on its own path when another symbol is added', () => {
    const both = take(model(9), 500).map((s) => s.symbols[0]?.price)
    const alone = take(model(9, { symbols: [model(9).symbols[0]!] }), 500).map((s) => s.symbols[0]?.price)
    expect(alone).toEqual(both)
  })

  it('has the configured volatility in each regime, the configured regime durations and the configured jump rate', () => {
    const regimes = [
      { name: 'calm', volMultiplier: 1, meanDurationMs: 6 * 3_600_000 },
      { name: 'storm', volMultiplier: 4, meanDurationMs: 2 * 3_600_000 },
    ]
    const steps = take(model(2024, { regimes }), 300_000) // 300,000 minutes ≈ 208 days
    const dt = 60_000 / (365.25 * 86_400_000)
    const returns = (regime: string, symbol: number) =>
      steps.slice(1).filter((s) => s.regime === regime && !s.symbols[symbol]?.isJump).map((s) => s.symbols[symbol]?.logReturn ?? 0)
    // σ·√dt per step: BTC 0.6 and ETH 0.9 per year, ×1 calm, ×4 storm; within 3 %
    for (const [symbol, sigma] of [[0, 0.6], [1, 0.9]] as const) {
      expect(Math.abs(std(returns('calm', symbol)) / (sigma * Math.sqrt(dt)) - 1)).toBeLessThan(0.03)
      expect(Math.abs(std(returns('storm', symbol)) / (4 * sigma * Math.sqrt(dt)) - 1)).toBeLessThan(0.03)
    }
    // mean durations 6 h and 2 h, alternating: time shares 6/8 and 2/8 (±0.05 over ~600 switches)
    const calmShare = steps.filter((s) => s.regime === 'calm').length / steps.length
    expect(Math.abs(calmShare - 0.75)).toBeLessThan(0.05)
    // 2 jumps a day on BTC, none on ETH: ~416 expected, Poisson sd ≈ 20; allow 4 sd
    const days = (steps.length * 60_000) / 86_400_000
    const btcJumps = steps.filter((s) => s.symbols[0]?.isJump).length
    expect(Math.abs(btcJumps - 2 * days)).toBeLessThan(4 * Math.sqrt(2 * days))
    expect(steps.some((s) => s.symbols[1]?.isJump)).toBe(false)
  })

  it('has the configured drift', () => {
    // tiny volatility, strong drift: the mean log return per step is (μ − σ²/2)·dt
    const steps = take({ seed: 5, startTime: start, stepMs: 60_000, symbols: [{ symbol: 'X/USDT', startPrice: '100', driftPerYear: 5, volPerYear: 0.01 }], regimes: [{ name: 'only', volMultiplier: 1, meanDurationMs: 1 }] }, 100_000)
    const dt = 60_000 / (365.25 * 86_400_000)
    const mean = steps.slice(1).reduce((a, s) => a + (s.symbols[0]?.logReturn ?? 0), 0) / (steps.length - 1)
    expect(Math.abs(mean / ((5 - 0.00005) * dt) - 1)).toBeLessThan(0.02)
  })

  it('prints prices with the configured decimals and never at or below zero', () => {
    const steps = take({ seed: 1, startTime: start, stepMs: 86_400_000, symbols: [{ symbol: 'DOWN/USDT', startPrice: '1', driftPerYear: -100, volPerYear: 2, priceDecimals: 3 }] }, 400)
    for (const s of steps) {
      const p = s.symbols[0]?.price ?? ''
      expect(p).toMatch(/^\d+(\.\d{1,3})?$/)
      expect(new Decimal(p).gte('0.001')).toBe(true)
    }
    expect(steps.at(-1)?.symbols[0]?.price).toBe('0.001')
  })

  it('rejects a bad model with the setting named', () => {
    expect(() => take(model(1, { stepMs: 0 }), 1)).toThrow(/stepMs/)
    expect(() => take({ ...model(1), symbols: [{ symbol: 'btc', startPrice: '1', driftPerYear: 0, volPerYear: 0 }] }, 1)).toThrow(/"btc" is not a unified symbol/)
    expect(() => take({ ...model(1), symbols: [{ symbol: 'B/U', startPrice: '-1', driftPerYear: 0, volPerYear: 0 }] }, 1)).toThrow(/startPrice/)
  })
})

describe('synthetic feed', () => {
  const feedFor = (seed: number) =>
    createSyntheticFeed({ ...model(seed, { stepMs: 10_000 }), speed: 'max', clock: createManualClock(start), scheduler: createManualScheduler(0), endTime: start + 3_600_000 })

  it('emits the same events for the same seed, with candles built from its updates', async () => {
    const run = async (seed: number) => {
      const feed = feedFor(seed)
      const sub = feed.subscribe({ symbols: ['BTC/USDT', 'ETH/USDT'], timeframes: ['1m', '5m'] })
      feed.start()
      const events = await collect(sub, Infinity)
      await feed.done()
      return { events, status: feed.status() }
    }
    const a = await run(11)
    const b = await run(11)
    expect(b.events).toEqual(a.events)
    expect((await run(12)).events).not.toEqual(a.events)
    expect(a.status).toMatchObject({ source: 'synthetic', state: 'stopped', detail: 'end of the synthetic run at 2026-01-01T01:00:00.000Z' })
    // 1 h at 10 s per step = 360 steps × 2 symbols; 1m candles close for minutes 0..58 (minute 59 is still open at the end)
    const ticks = a.events.filter((e) => e.kind === 'tick')
    expect(ticks).toHaveLength(720)
    const btcMinutes = a.events.filter((e) => e.kind === 'candle' && e.symbol === 'BTC/USDT' && e.timeframe === '1m')
    expect(btcMinutes).toHaveLength(59)
    const firstMinute = ticks.filter((e) => e.symbol === 'BTC/USDT' && e.time < start + 60_000).map((e) => (e.kind === 'tick' ? e : null)!)
    expect(btcMinutes[0]).toMatchObject({
      time: start,
      open: firstMinute[0]?.price,
      close: firstMinute.at(-1)?.price,
      high: Decimal.max(...firstMinute.map((t) => t.price)).toFixed(),
      low: Decimal.min(...firstMinute.map((t) => t.price)).toFixed(),
    })
    expect(a.events.filter((e) => e.kind === 'candle' && e.timeframe === '5m')).toHaveLength(2 * 11)
  })

  it('says it is synthetic while running', async () => {
    const feed = createSyntheticFeed({ ...model(3, { stepMs: 10_000 }), speed: 1, clock: createManualClock(start), scheduler: createManualScheduler(0) })
    feed.start()
    expect(feed.status()).toMatchObject({ source: 'synthetic', state: 'running' })
    expect(feed.status().detail).toMatch(/^synthetic prices, seed 3, every 10000 ms/)
    await feed.stop()
    expect(feed.status()).toMatchObject({ source: 'synthetic', state: 'stopped', detail: 'stopped by the operator' })
  })
})
