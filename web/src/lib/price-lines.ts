import { decimalPlaces, normalizeDecimal, roundToStep } from './decimal-string'

/**
 * Prices, percentages and pixels for the lines drawn over a price chart (the Trade page's entry,
 * take-profit and stop lines). The numbers here only draw and drag: whatever goes back into a form
 * is a decimal string, a whole number of ticks (a price) or a percentage to 0.01 %, which the form's
 * schema then checks like anything typed.
 */

/** +1: away from the entry upwards (a long's targets, a short's stop); −1: downwards. */
export type Direction = 1 | -1

/** The price `percent` % from `entry` in `direction`: 100, 2 %, up → 102. */
export const priceAtPercent = (entry: number, percent: number, direction: Direction): number => entry * (1 + (direction * percent) / 100)

/** The signed change from `entry` to `price`, in percent: 100 → 102 is +2, 100 → 97 is −3. */
export const percentChange = (entry: number, price: number): number => ((price - entry) / entry) * 100

/**
 * A dragged price as the form writes it: the nearest whole number of ticks, never below one tick
 * (a line dragged to the bottom of the chart, or below zero, stops at the smallest price there is).
 */
export const priceToTick = (price: number, tickSize: string): string => {
  if (!Number.isFinite(price) || price <= 0) return normalizeDecimal(tickSize)
  // Two digits past the tick's own keep toFixed's rounding out of the tick rounding; toFixed never
  // writes an exponent below 1e21, so the string is a plain decimal.
  const rounded = roundToStep(price.toFixed(Math.min(20, decimalPlaces(tickSize) + 2)), tickSize, 'nearest')
  return rounded === '0' ? normalizeDecimal(tickSize) : rounded
}

export type PercentBounds = { min: number; max: number }

/**
 * The schema takes percentages like "2.5" (at most three digits before the point); a line dragged
 * past the entry or off the scale stops at these bounds rather than writing what would be refused.
 */
export const percentBounds = { favour: { min: 0.01, max: 999.99 }, belowEntry: { min: 0.01, max: 99.99 } } as const

/** A dragged percentage as the form writes it: to 0.01 %, within `bounds`, no trailing zeros ("2.5", "3"). */
export const percentText = (percent: number, bounds: PercentBounds): string => {
  const clamped = Math.min(bounds.max, Math.max(bounds.min, Number.isFinite(percent) ? percent : bounds.min))
  return normalizeDecimal((Math.round(clamped * 100) / 100).toFixed(2))
}

/** "+2 %", "−3 %" (a real minus sign), "0 %": a line's distance from the entry, to 0.01 %. */
export const signedPercentLabel = (percent: number): string => {
  const rounded = Math.round(percent * 100) / 100
  const digits = normalizeDecimal(Math.abs(rounded).toFixed(2))
  if (digits === '0') return '0 %'
  return `${rounded > 0 ? '+' : '−'}${digits} %`
}

export type LineCoordinate = { id: string; y: number | null }

/** How close (in CSS pixels) a pointer must come to a line to grab it: a finger is less precise than a mouse. */
export const grabTolerancePx = (pointerType: string): number => (pointerType === 'mouse' ? 6 : 14)

/**
 * The line under a pointer at height `y`: the nearest within `tolerancePx`, the first listed on a tie
 * (lines off the visible scale have no coordinate and cannot be grabbed).
 */
export const nearestLine = (lines: readonly LineCoordinate[], y: number, tolerancePx: number): string | undefined => {
  let best: { id: string; distance: number } | undefined
  for (const line of lines) {
    if (line.y === null) continue
    const distance = Math.abs(line.y - y)
    if (distance <= tolerancePx && (best === undefined || distance < best.distance)) best = { id: line.id, distance }
  }
  return best?.id
}
