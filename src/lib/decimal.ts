import { Decimal as DecimalJs } from 'decimal.js'

/**
 * The one decimal type for money. Amounts cross the wire as strings and are stored as SQL `numeric`;
 * a JS number never carries a price or an amount.
 */
export const Decimal = DecimalJs.clone({ precision: 50, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -30, toExpPos: 40 })
export type Decimal = InstanceType<typeof Decimal>

const decimalString = /^-?(0|[1-9]\d*)(\.\d+)?$/

/** True for plain decimal strings such as "0.001" or "-12"; no exponent, no leading zeros, no NaN. */
export const isDecimalString = (value: string): boolean => decimalString.test(value)

/** Parses a decimal string; throws a RangeError naming the value when it is not one. */
export const toDecimal = (value: string): Decimal => {
  if (!isDecimalString(value)) throw new RangeError(`not a decimal number: "${value.slice(0, 40)}"`)
  return new Decimal(value)
}

/** A normalized decimal string (no exponent, no trailing zeros). */
export const toDecimalString = (value: Decimal): string => {
  const s = value.toFixed()
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}
