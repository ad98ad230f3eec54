import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { bundledMarketDataDir, parseCandleCsv } from '../../market/index.js'
import type { IndicatorConfig } from '../trading-api-types.js'
import { createIndicatorSignal, type IndicatorAction } from './indicators.js'

/** Every candle's output, in order. */
const run = (config: IndicatorConfig, closes: number[]) => {
  const signal = createIndicatorSignal(config)
  return closes.map((c) => signal.update(c))
}
/** index → action, for the candles that emitted. */
const emitted = (outputs: Array<IndicatorAction | null>) => new Map(outputs.flatMap((a, i) => (a === null ? [] : [[i, a] as const])))

/** Real Binance BTC/USDT 1m closes (data/market/README.md). */
const btcCloses = parseCandleCsv(readFileSync(join(bundledMarketDataDir(), 'binance_BTC-USDT_1m.csv'), 'utf8')).map((c) => Number(c.close))

// Reference implementations written from the textbook definitions, independent of trading-signals.
const sma = (xs: number[], n: number) => xs.map((_, i) => (i + 1 < n ? null : xs.slice(i + 1 - n, i + 1).reduce((a, b) => a + b, 0) / n))
/** trading-signals seeds its EMA with the first price and calls it stable after `n` prices. */
const ema = (xs: number[], n: number) => {
  const k = 2 / (n + 1)
  let prev: number | undefined
  return xs.map((x, i) => {
    prev = prev === undefined ? x : x * k + prev * (1 - k)
    return i + 1 < n ? null : prev
  })
}
/** Wilder's RSI: the first averages are plain means of `n` changes, then smoothed by 1/n. */
const wilderRsi = (xs: number[], n: number) => {
  let gain = 0
  let loss = 0
  return xs.map((x, i) => {
    if (i === 0) return null
    const change = x - (xs[i - 1] ?? x)
    const g = Math.max(change, 0)
    const l = Math.max(-change, 0)
    if (i <= n) {
      gain += g / n
      loss += l / n
      if (i < n) return null
    } else {
      gain = (gain * (n - 1) + g) / n
      loss = (loss * (n - 1) + l) / n
    }
    return loss === 0 ? 100 : 100 - 100 / (1 + gain / loss)
  })
}
/** Where `fast − slow` changes side after the first stable value (a zero keeps the side). */
const referenceCrossings = (fast: Array<number | null>, slow: Array<number | null>) => {
  const out = new Map<number, IndicatorAction>()
  let side: number | undefined
  fast.forEach((f, i) => {
    const s = slow[i]
    if (f === null || s === null || s === undefined) return
    const sign = Math.sign(f - s)
    if (side === undefined) side = sign
    else if (sign !== 0 && sign !== side) {
      out.set(i, sign > 0 ? 'enter_long' : 'exit_long')
      side = sign
    }
  })
  return out
}
const alternates = (signals: Map<number, IndicatorAction>) => [...signals.values()].every((a, i, all) => i === 0 || a !== all[i - 1])

describe('indicator signals on handcrafted series', () => {
  const series = [5, 4, 3, 2, 1, 6, 7, 8, 2, 1]

  it('SMA cross: fast above slow enters, below exits, only on the crossing candle', () => {
    // SMA2/SMA3 at index 5: (1+6)/2 = 3.5 > (2+1+6)/3 = 3; at index 8: (8+2)/2 = 5 < (7+8+2)/3 = 5.67
    expect(run({ type: 'sma_cross', fast: 2, slow: 3 }, series)).toEqual([null, null, null, null, null, 'enter_long', null, null, 'exit_long', null])
  })

  it('EMA cross: the same turns (EMA2 4.50 > EMA3 3.97 at index 5; 3.80 < 4.37 at index 8)', () => {
    expect(emitted(run({ type: 'ema_cross', fast: 2, slow: 3 }, series))).toEqual(new Map([[5, 'enter_long'], [8, 'exit_long']]))
  })

  it('RSI: crossing up through oversold enters, down through overbought exits', () => {
    // 20 → 10 in steps of 1: RSI(3) = 0. Then +5: avg gain 5/3, avg loss 2/3 → RSI 71.4 (up through 30);
    // then −1: avg gain 10/9, avg loss 7/9 → RSI 58.8 (down through 70).
    const closes = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 15, 14]
    expect(emitted(run({ type: 'rsi', period: 3, oversold: 30, overbought: 70 }, closes))).toEqual(new Map([[11, 'enter_long'], [12, 'exit_long']]))
  })

  it('MACD: the MACD line leaving its signal line upwards enters, downwards exits', () => {
    // Flat at 10: MACD = signal = 0. At 11: EMA2 10.67 − EMA3 10.5 = 0.167 > signal 0.111. At 12 after 13:
    // MACD 0.110 < signal 0.188.
    const closes = [10, 10, 10, 10, 10, 10, 11, 12, 13, 12, 10, 8]
    const signal = createIndicatorSignal({ type: 'macd_cross', fast: 2, slow: 3, signal: 2 })
    expect(signal.warmup).toBe(4)
    expect(emitted(closes.map((c) => signal.update(c)))).toEqual(new Map([[6, 'enter_long'], [9, 'exit_long']]))
  })

  it('Bollinger: a close below the lower band enters, above the upper band exits', () => {
    // Period 5, 1σ: [10,10,10,10,4] → mean 8.8, σ 2.4, lower 6.4 > 4; [10,10,4,10,20] → mean 10.8,
    // σ 5.15, upper 15.95 < 20.
    const closes = [10, 10, 10, 10, 10, 10, 4, 10, 20, 20]
    expect(run({ type: 'bollinger', period: 5, deviation: 1 }, closes)).toEqual([null, null, null, null, null, null, 'enter_long', null, 'exit_long', null])
  })

  it('emits nothing before the indicator is stable, even on a crossing', () => {
    const signal = createIndicatorSignal({ type: 'sma_cross', fast: 2, slow: 5 })
    expect(signal.warmup).toBe(5)
    expect([1, 2, 3, 4].map((c) => signal.update(c))).toEqual([null, null, null, null])
  })

  it('touching the other line and turning back is not a crossing', () => {
    // SMA2 − SMA3 goes −, 0, −: no signal.
    expect(emitted(run({ type: 'sma_cross', fast: 2, slow: 3 }, [3, 2, 1, 1, 1, 0.5]))).toEqual(new Map())
  })

  it('refuses a fast period that is not shorter than the slow one, and a close that is not a price', () => {
    expect(() => createIndicatorSignal({ type: 'ema_cross', fast: 20, slow: 20 })).toThrow(AppError)
    expect(() => createIndicatorSignal({ type: 'macd_cross', fast: 26, slow: 12, signal: 9 })).toThrow(/shorter/)
    const signal = createIndicatorSignal({ type: 'rsi', period: 14, oversold: 30, overbought: 70 })
    expect(() => signal.update(Number.NaN)).toThrow(AppError)
    expect(() => signal.update(0)).toThrow(AppError)
  })
})

describe('indicator signals on real BTC/USDT minute closes', () => {
  it('has the data', () => {
    expect(btcCloses.length).toBeGreaterThan(5000)
  })

  it('SMA 9/21 crosses exactly where the textbook SMAs cross', () => {
    const expected = referenceCrossings(sma(btcCloses, 9), sma(btcCloses, 21))
    const got = emitted(run({ type: 'sma_cross', fast: 9, slow: 21 }, btcCloses))
    expect(expected.size).toBeGreaterThan(50)
    expect(got).toEqual(expected)
    expect(alternates(got)).toBe(true)
  })

  it('EMA 12/26 crosses exactly where the reference EMAs cross', () => {
    const expected = referenceCrossings(ema(btcCloses, 12), ema(btcCloses, 26))
    const got = emitted(run({ type: 'ema_cross', fast: 12, slow: 26 }, btcCloses))
    expect(expected.size).toBeGreaterThan(50)
    expect(got).toEqual(expected)
  })

  it('RSI 14 signals exactly where Wilder\'s RSI crosses 30 upwards and 70 downwards', () => {
    const rsi = wilderRsi(btcCloses, 14)
    const expected = new Map<number, IndicatorAction>()
    rsi.forEach((v, i) => {
      const prev = rsi[i - 1]
      if (v === null || prev === null || prev === undefined) return
      if (prev <= 30 && v > 30) expected.set(i, 'enter_long')
      else if (prev >= 70 && v < 70) expected.set(i, 'exit_long')
    })
    const got = emitted(run({ type: 'rsi', period: 14, oversold: 30, overbought: 70 }, btcCloses))
    expect(expected.size).toBeGreaterThan(20)
    expect(got).toEqual(expected)
  })

  it('MACD 12/26/9 alternates entries and exits, none before its warmup', () => {
    const signal = createIndicatorSignal({ type: 'macd_cross', fast: 12, slow: 26, signal: 9 })
    const got = emitted(btcCloses.map((c) => signal.update(c)))
    expect(got.size).toBeGreaterThan(50)
    expect(Math.min(...got.keys())).toBeGreaterThanOrEqual(signal.warmup)
    expect(alternates(got)).toBe(true)
  })

  it('Bollinger 20/2 enters only on closes newly below the textbook lower band and exits only on closes newly above the upper', () => {
    const bands = btcCloses.map((_, i) => {
      if (i + 1 < 20) return null
      const window = btcCloses.slice(i - 19, i + 1)
      const mean = window.reduce((a, b) => a + b, 0) / 20
      const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 20)
      return { lower: mean - 2 * sd, upper: mean + 2 * sd }
    })
    const zone = (i: number) => {
      const b = bands[i]
      const c = btcCloses[i] ?? 0
      return b === null || b === undefined ? null : c < b.lower ? 'below' : c > b.upper ? 'above' : 'inside'
    }
    const got = emitted(run({ type: 'bollinger', period: 20, deviation: 2 }, btcCloses))
    expect([...got.values()].filter((a) => a === 'enter_long').length).toBeGreaterThan(10)
    expect([...got.values()].filter((a) => a === 'exit_long').length).toBeGreaterThan(10)
    for (const [i, action] of got) {
      expect(zone(i)).toBe(action === 'enter_long' ? 'below' : 'above')
      expect(zone(i - 1)).not.toBe(zone(i))
    }
  })
})
