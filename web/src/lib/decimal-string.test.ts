import { describe, expect, it } from 'vitest'
import {
  compareDecimals,
  decimalPlaces,
  isDecimalString,
  isMultipleOf,
  isPositiveDecimal,
  multiplyDecimals,
  normalizeDecimal,
  rateAsPercent,
  roundToStep,
  signOfDecimal,
} from './decimal-string'

describe('decimal strings', () => {
  it("accepts exactly the server's plain decimal form", () => {
    for (const good of ['0', '12', '-12', '0.001', '65000.50', '-0.5']) expect(isDecimalString(good), good).toBe(true)
    for (const bad of ['', '.5', '1.', '01', '1e-3', '1,5', ' 1', '+1', 'NaN', 'Infinity', '0x10', '1.2.3', '--1']) expect(isDecimalString(bad), bad).toBe(false)
  })

  it('writes numbers the way the server does: no trailing zeros, no minus zero', () => {
    expect(normalizeDecimal('0.0100')).toBe('0.01')
    expect(normalizeDecimal('5.000')).toBe('5')
    expect(normalizeDecimal('-0.000')).toBe('0')
    expect(normalizeDecimal('-0.50')).toBe('-0.5')
    expect(normalizeDecimal('0.0000001')).toBe('0.0000001')
    expect(() => normalizeDecimal('1e5')).toThrow(RangeError)
  })

  it('compares exactly where floats would not', () => {
    expect(compareDecimals('0.3', '0.30')).toBe(0)
    expect(compareDecimals('4.99999999999999999999', '5')).toBe(-1) // Number() of both is 5
    expect(compareDecimals('-1', '-0.5')).toBe(-1)
    expect(compareDecimals('10', '9.999')).toBe(1)
    expect(isPositiveDecimal('0.0000')).toBe(false)
    expect(isPositiveDecimal('0.0001')).toBe(true)
    expect(isPositiveDecimal('-1')).toBe(false)
    expect(signOfDecimal('-0.01')).toBe(-1)
    expect(signOfDecimal('0.00')).toBe(0)
    expect(signOfDecimal('3')).toBe(1)
  })

  it('multiplies exactly', () => {
    expect(multiplyDecimals('0.1', '0.2')).toBe('0.02') // 0.1 * 0.2 in floats is 0.020000000000000004
    expect(multiplyDecimals('0.015', '65000.5')).toBe('975.0075')
    expect(multiplyDecimals('-2', '0.25')).toBe('-0.5')
    expect(multiplyDecimals('123456789.123456789', '1000000000')).toBe('123456789123456789')
    expect(rateAsPercent('0.001')).toBe('0.1')
    expect(rateAsPercent('0.00075')).toBe('0.075')
  })

  it('tells whether a value sits on a tick or lot grid', () => {
    expect(isMultipleOf('19000.01', '0.01')).toBe(true)
    expect(isMultipleOf('19000.005', '0.01')).toBe(false)
    expect(isMultipleOf('0.3', '0.1')).toBe(true) // 0.3 % 0.1 in floats is 0.09999999999999998
    expect(isMultipleOf('0.00015', '0.0001')).toBe(false)
    expect(isMultipleOf('100', '0.5')).toBe(true)
    expect(isMultipleOf('2.5', '5')).toBe(false)
    expect(() => isMultipleOf('1', '0')).toThrow(RangeError)
  })

  it('rounds to the grid down, up and to the nearest step', () => {
    expect(roundToStep('0.00159', '0.0001', 'down')).toBe('0.0015')
    expect(roundToStep('0.00151', '0.0001', 'up')).toBe('0.0016')
    expect(roundToStep('19000.005', '0.01', 'nearest')).toBe('19000.01') // a half goes up
    expect(roundToStep('19000.0049', '0.01', 'nearest')).toBe('19000')
    expect(roundToStep('101.3', '0.5', 'nearest')).toBe('101.5')
    expect(roundToStep('101.2', '0.5', 'nearest')).toBe('101')
    expect(roundToStep('7', '5', 'down')).toBe('5')
    expect(roundToStep('0.04', '0.1', 'down')).toBe('0')
    expect(roundToStep('-0.15', '0.1', 'down')).toBe('-0.2')
    expect(roundToStep('1.20', '0.1', 'up')).toBe('1.2')
  })

  it('counts the decimals of a tick size', () => {
    expect(decimalPlaces('0.01')).toBe(2)
    expect(decimalPlaces('0.010')).toBe(2)
    expect(decimalPlaces('1')).toBe(0)
    expect(decimalPlaces('0.5')).toBe(1)
  })
})
