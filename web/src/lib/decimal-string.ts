/**
 * Exact arithmetic on decimal strings ("0.001", "-12.5") for the few checks the dashboard makes on
 * money before the server does: tick and lot multiples, order value against a minimum. Built on
 * BigInt so no price or amount ever passes through a binary float (0.1 + 0.2 !== 0.3), and small
 * enough not to need a decimal library in the browser bundle.
 *
 * The accepted form is the server's (src/lib/decimal.ts): an optional minus, no leading zeros, no
 * exponent, no bare "." — so a string the dashboard accepts is one the server accepts.
 */

const decimalPattern = /^-?(0|[1-9]\d*)(\.\d+)?$/

/** True for plain decimal strings such as "0.001" or "-12"; no exponent, no leading zeros, no NaN. */
export const isDecimalString = (value: string): boolean => decimalPattern.test(value)

/** A decimal as an integer count of 10^-scale: "12.50" → { units: 1250n, scale: 2 }. */
type Exact = { units: bigint; scale: number }

const toExact = (value: string): Exact => {
  if (!isDecimalString(value)) throw new RangeError(`not a decimal number: "${value.slice(0, 40)}"`)
  const isNegative = value.startsWith('-')
  const [whole = '0', fraction = ''] = (isNegative ? value.slice(1) : value).split('.')
  const units = BigInt(whole + fraction)
  return { units: isNegative ? -units : units, scale: fraction.length }
}

const pow10 = (exponent: number): bigint => 10n ** BigInt(exponent)

/** Both at the larger scale, so their units compare and add directly. */
const align = (a: Exact, b: Exact): [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale)
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale), scale]
}

/** The normalized string: no trailing zeros after the point, no "-0". "1.2300" → "1.23", "5.0" → "5". */
const fromExact = ({ units, scale }: Exact): string => {
  const isNegative = units < 0n
  const digits = (isNegative ? -units : units).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '')
  const text = fraction === '' ? whole : `${whole}.${fraction}`
  return isNegative && /[1-9]/.test(text) ? `-${text}` : text
}

/** The same number written the way the server writes it: "0.0100" → "0.01", "-0" → "0". */
export const normalizeDecimal = (value: string): string => fromExact(toExact(value))

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export const compareDecimals = (a: string, b: string): -1 | 0 | 1 => {
  const [x, y] = align(toExact(a), toExact(b))
  return x < y ? -1 : x > y ? 1 : 0
}

export const isPositiveDecimal = (value: string): boolean => isDecimalString(value) && toExact(value).units > 0n

/** -1, 0 or 1: the sign of a decimal string, for colouring profit and loss. */
export const signOfDecimal = (value: string): -1 | 0 | 1 => {
  const { units } = toExact(value)
  return units < 0n ? -1 : units > 0n ? 1 : 0
}

/** The exact product: "0.015" × "65000.5" → "975.0075". */
export const multiplyDecimals = (a: string, b: string): string => {
  const x = toExact(a)
  const y = toExact(b)
  return fromExact({ units: x.units * y.units, scale: x.scale + y.scale })
}

/** True when `value` is a whole number of `step`s (the exchange's tick size or lot size). */
export const isMultipleOf = (value: string, step: string): boolean => {
  const [x, s] = align(toExact(value), toExact(step))
  if (s <= 0n) throw new RangeError(`step must be positive: "${step.slice(0, 40)}"`)
  return x % s === 0n
}

export type StepRounding = 'down' | 'up' | 'nearest'

/**
 * `value` as a whole number of `step`s: down (an amount never grows past what was typed), up, or to
 * the nearest (a price; halves go up, away from zero's side for positive prices).
 */
export const roundToStep = (value: string, step: string, mode: StepRounding): string => {
  const [x, s, scale] = align(toExact(value), toExact(step))
  if (s <= 0n) throw new RangeError(`step must be positive: "${step.slice(0, 40)}"`)
  // BigInt division truncates toward zero; floor it so negative values round down too.
  const floorCount = x / s - (x % s !== 0n && x < 0n ? 1n : 0n)
  const remainder = x - floorCount * s
  const count =
    remainder === 0n ? floorCount : mode === 'down' ? floorCount : mode === 'up' ? floorCount + 1n : remainder * 2n >= s ? floorCount + 1n : floorCount
  return fromExact({ units: count * s, scale })
}

/** Digits after the point in the normalized form: "0.010" → 2, "5" → 0. For the chart's price format. */
export const decimalPlaces = (value: string): number => {
  const normalized = normalizeDecimal(value)
  const point = normalized.indexOf('.')
  return point === -1 ? 0 : normalized.length - point - 1
}

/** A fee rate as a percentage: "0.001" → "0.1". */
export const rateAsPercent = (rate: string): string => multiplyDecimals(rate, '100')
