import { describe, expect, it } from 'vitest'
import { grabTolerancePx, nearestLine, percentBounds, percentChange, percentText, priceAtPercent, priceToTick, signedPercentLabel } from './price-lines'

describe('prices and percentages', () => {
  it('puts a price a percentage away from the entry, up or down', () => {
    expect(priceAtPercent(50_000, 2, 1)).toBeCloseTo(51_000) // 50000 × 1.02
    expect(priceAtPercent(50_000, 3, -1)).toBeCloseTo(48_500) // 50000 × 0.97
  })

  it('measures the signed change from the entry', () => {
    expect(percentChange(100, 102)).toBeCloseTo(2)
    expect(percentChange(100, 97)).toBeCloseTo(-3)
  })

  it('labels a distance with its sign and a real minus, to 0.01 %', () => {
    expect(signedPercentLabel(2)).toBe('+2 %')
    expect(signedPercentLabel(-3)).toBe('−3 %')
    expect(signedPercentLabel(1.23456)).toBe('+1.23 %')
    expect(signedPercentLabel(0.001)).toBe('0 %')
  })
})

describe('a dragged price', () => {
  it('rounds to the nearest tick, as an exact decimal string', () => {
    expect(priceToTick(51_234.5678, '0.01')).toBe('51234.57')
    expect(priceToTick(51_234.5678, '0.5')).toBe('51234.5')
    expect(priceToTick(51_234.76, '0.5')).toBe('51235')
    expect(priceToTick(0.1 + 0.2, '0.1')).toBe('0.3') // 0.30000000000000004 is 3 ticks, not 3.0000000000000004
    expect(priceToTick(0.000012345, '0.00000001')).toBe('0.00001235') // no exponent for small prices
  })

  it('never goes below one tick, even dragged under zero', () => {
    expect(priceToTick(0.001, '0.01')).toBe('0.01')
    expect(priceToTick(-5, '0.01')).toBe('0.01')
    expect(priceToTick(Number.NaN, '0.5')).toBe('0.5')
  })
})

describe('a dragged percentage', () => {
  it('is written to 0.01 % without trailing zeros', () => {
    expect(percentText(2.3456, percentBounds.favour)).toBe('2.35')
    expect(percentText(2.5, percentBounds.favour)).toBe('2.5')
    expect(percentText(3.0001, percentBounds.favour)).toBe('3')
  })

  it('stops at the bounds the schema accepts', () => {
    expect(percentText(-4, percentBounds.favour)).toBe('0.01') // dragged past the entry
    expect(percentText(1500, percentBounds.favour)).toBe('999.99') // three digits before the point at most
    expect(percentText(120, percentBounds.belowEntry)).toBe('99.99') // 100 % down would be a price of zero
    expect(percentText(Number.NaN, percentBounds.favour)).toBe('0.01')
  })
})

describe('hit testing', () => {
  const lines = [
    { id: 'entry', y: 100 },
    { id: 'tp1', y: 108 },
    { id: 'sl', y: null },
  ]

  it('grabs the nearest line within the tolerance', () => {
    expect(nearestLine(lines, 103, 6)).toBe('entry')
    expect(nearestLine(lines, 105, 6)).toBe('tp1')
    expect(nearestLine(lines, 120, 6)).toBeUndefined()
  })

  it('grabs the first listed on a tie and skips lines off the scale', () => {
    expect(nearestLine(lines, 104, 6)).toBe('entry')
    expect(nearestLine([{ id: 'sl', y: null }], 0, 100)).toBeUndefined()
  })

  it('is more forgiving for a finger than for a mouse', () => {
    expect(grabTolerancePx('touch')).toBeGreaterThan(grabTolerancePx('mouse'))
    expect(nearestLine(lines, 120, grabTolerancePx('touch'))).toBe('tp1')
  })
})
