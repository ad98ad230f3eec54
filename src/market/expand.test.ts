import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Decimal } from '../lib/decimal.js'
import { expandCandle, ticksPerCandle } from './expand.js'

const t0 = Date.UTC(2021, 4, 19, 13, 0)

describe('candle → price updates', () => {
  it('walks a rising candle open → low → high → close, one point per leg', () => {
    const ticks = expandCandle({ time: t0, open: '100', high: '110', low: '95', close: '105', volume: '8' }, 60_000, 1)
    expect(ticks.map((t) => t.price)).toEqual(['100', '95', '110', '105'])
    // n = 3·1 + 1 = 4 updates, spaced 60000 / 4 = 15000 ms from the open time
    expect(ticks.map((t) => t.time - t0)).toEqual([0, 15_000, 30_000, 45_000])
    // 8 / 4 = 2 each
    expect(ticks.map((t) => t.amount)).toEqual(['2', '2', '2', '2'])
  })

  it('walks a falling candle open → high → low → close with interpolated points at the candle precision', () => {
    const ticks = expandCandle({ time: t0, open: '100.5', high: '103.5', low: '97.5', close: '98.5', volume: '1' }, 60_000, 3)
    expect(ticks).toHaveLength(ticksPerCandle(3)) // 3·3 + 1 = 10
    expect(ticks.map((t) => t.price)).toEqual([
      '100.5',
      '101.5', '102.5', '103.5', // open → high in thirds of 3
      '101.5', '99.5', '97.5', // high → low in thirds of −6
      '97.8', '98.2', '98.5', // low → close: 97.8333… and 98.1666… rounded to one decimal
    ])
    // 1 / 10 = 0.1 each at 8 decimals
    expect(ticks.every((t) => t.amount === '0.1')).toBe(true)
    expect(ticks.map((t) => t.time - t0)).toEqual([0, 6000, 12_000, 18_000, 24_000, 30_000, 36_000, 42_000, 48_000, 54_000])
  })

  it('rounds interpolated halves to even', () => {
    // 0.1 → 0.2 in two steps: the midpoint 0.15 rounds to 0.2 (1.5 → 2)
    expect(expandCandle({ time: 0, open: '0.1', high: '0.2', low: '0.1', close: '0.2', volume: '0' }, 60_000, 2).map((t) => t.price)[3]).toBe('0.2')
    // 0.2 → 0.3 in two steps: the midpoint 0.25 rounds to 0.2 (2.5 → 2)
    expect(expandCandle({ time: 0, open: '0.2', high: '0.3', low: '0.2', close: '0.3', volume: '0' }, 60_000, 2).map((t) => t.price)[3]).toBe('0.2')
  })

  it('gives the remainder of an uneven volume to the last update', () => {
    const ticks = expandCandle({ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '1' }, 60_000, 1)
    // 1 / 4 = 0.25 exactly; and 1 / 7 (ticksPerLeg 2) = 0.14285714 × 6 + 0.14285716
    expect(ticks.map((t) => t.amount)).toEqual(['0.25', '0.25', '0.25', '0.25'])
    const seven = expandCandle({ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '1' }, 60_000, 2).map((t) => t.amount)
    expect(seven).toEqual([...Array(6).fill('0.14285714'), '0.14285716'])
  })

  it('refuses a ticksPerLeg outside 1..1000', () => {
    expect(() => expandCandle({ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '1' }, 60_000, 0)).toThrow(/ticksPerLeg/)
    expect(() => expandCandle({ time: 0, open: '1', high: '1', low: '1', close: '1', volume: '1' }, 60_000, 1.5)).toThrow(/ticksPerLeg/)
  })

  it('for any valid candle: starts at the open, ends at the close, hits high and low exactly, stays inside, and keeps the volume', () => {
    const price = fc.integer({ min: 1, max: 10_000_000 }).map((n) => new Decimal(n).div(100))
    const candle = fc
      .tuple(price, price, price, price, fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 1, max: 20 }), fc.constantFrom(60_000, 300_000, 3_600_000))
      .map(([a, b, c, d, v, k, tf]) => {
        const sorted = [a, b, c, d].sort((x, y) => x.comparedTo(y))
        return { candle: { time: 1_600_000_000_000 - (1_600_000_000_000 % tf), open: b.toFixed(), high: (sorted[3] as Decimal).toFixed(), low: (sorted[0] as Decimal).toFixed(), close: c.toFixed(), volume: new Decimal(v).div(1e6).toFixed() }, k, tf }
      })
    fc.assert(
      fc.property(candle, ({ candle: c, k, tf }) => {
        const ticks = expandCandle(c, tf, k)
        const prices = ticks.map((t) => new Decimal(t.price))
        expect(ticks).toHaveLength(3 * k + 1)
        expect(ticks[0]?.price).toBe(c.open)
        expect(ticks.at(-1)?.price).toBe(c.close)
        expect(Decimal.max(...prices).eq(c.high)).toBe(true)
        expect(Decimal.min(...prices).eq(c.low)).toBe(true)
        expect(ticks.reduce((sum, t) => sum.plus(t.amount), new Decimal(0)).eq(c.volume)).toBe(true)
        ticks.forEach((t, i) => {
          expect(t.time).toBeGreaterThanOrEqual(i === 0 ? c.time : (ticks[i - 1] as { time: number }).time)
          expect(t.time).toBeLessThan(c.time + tf)
        })
      }),
      { numRuns: 300 },
    )
  })
})
