import { AppError } from '../lib/errors.js'
import type { Candle } from './market-types.js'

/**
 * Deterministic expansion of one candle into price updates, so a replay of candles exercises stops,
 * limits and liquidations the way a tick stream would.
 *
 * Path. A candle closing at or above its open is taken to have visited its low before its high
 * (open → low → high → close); one closing below its open, its high before its low
 * (open → high → low → close). This is the usual backtesting convention: it is the cheaper of the two
 * paths for the candle's direction, and it visits both extremes, so any order the candle's range
 * crosses is triggered.
 *
 * Points. The path has three legs; each leg contributes `ticksPerLeg` evenly spaced points ending at the
 * leg's end, after the open itself: n = 3·ticksPerLeg + 1 updates per candle, the first exactly the open,
 * the last exactly the close, the high and the low each hit exactly. Interpolated prices are rounded
 * half-to-even to the candle's own price precision (the most decimals among o/h/l/c), so no price has
 * more digits than the exchange quoted. Zero-length legs (a doji, a flat halted candle) repeat the price.
 *
 * Times. Update j (0-based) is at `time + floor(j · tfMs / n)`: the first at the open time, all strictly
 * before the candle's close time, non-decreasing.
 *
 * Volume. The candle's volume is split evenly at max(8, its decimals) decimals, rounding down; the last
 * update takes the remainder, so the updates' amounts add up to the candle volume exactly.
 */

export type ExpandedTick = { time: number; price: string; amount: string }

const decimalsOf = (s: string): number => {
  const dot = s.indexOf('.')
  return dot < 0 ? 0 : s.length - dot - 1
}

const toScaled = (s: string, scale: number): bigint => {
  const dot = s.indexOf('.')
  if (dot < 0) return BigInt(s + '0'.repeat(scale))
  return BigInt(s.slice(0, dot) + s.slice(dot + 1).padEnd(scale, '0'))
}

const fromScaled = (v: bigint, scale: number): string => {
  if (scale === 0) return v.toString()
  const s = v.toString().padStart(scale + 1, '0')
  const frac = s.slice(s.length - scale).replace(/0+$/, '')
  const int = s.slice(0, s.length - scale)
  return frac === '' ? int : `${int}.${frac}`
}

/** round(num / den) half-to-even, for num ≥ 0 and den > 0. */
const divRound = (num: bigint, den: bigint): bigint => {
  const q = num / den
  const twice = (num % den) * 2n
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n
  return q
}

/** Updates per candle for a given `ticksPerLeg`. */
export const ticksPerCandle = (ticksPerLeg: number): number => 3 * ticksPerLeg + 1

/** @throws AppError BAD_INPUT when ticksPerLeg is not an integer in 1..1000 or tfMs is not positive */
export const expandCandle = (candle: Candle, tfMs: number, ticksPerLeg: number): ExpandedTick[] => {
  if (!Number.isInteger(ticksPerLeg) || ticksPerLeg < 1 || ticksPerLeg > 1000) {
    throw new AppError('BAD_INPUT', `ticksPerLeg must be an integer from 1 to 1000, got ${ticksPerLeg}`)
  }
  if (!Number.isInteger(tfMs) || tfMs <= 0) throw new AppError('BAD_INPUT', `the candle duration must be a positive number of ms, got ${tfMs}`)
  const scale = Math.max(decimalsOf(candle.open), decimalsOf(candle.high), decimalsOf(candle.low), decimalsOf(candle.close))
  const open = toScaled(candle.open, scale)
  const high = toScaled(candle.high, scale)
  const low = toScaled(candle.low, scale)
  const close = toScaled(candle.close, scale)
  const stops = close >= open ? [low, high, close] : [high, low, close]
  const k = BigInt(ticksPerLeg)
  const prices: string[] = [candle.open]
  let from = open
  for (const to of stops) {
    for (let i = 1n; i <= k; i++) prices.push(i === k ? fromScaled(to, scale) : fromScaled(divRound(from * k + (to - from) * i, k), scale))
    from = to
  }
  const n = prices.length
  const volumeScale = Math.max(8, decimalsOf(candle.volume))
  const volume = toScaled(candle.volume, volumeScale)
  const share = volume / BigInt(n)
  const shareText = fromScaled(share, volumeScale)
  const lastText = fromScaled(volume - share * BigInt(n - 1), volumeScale)
  const out: ExpandedTick[] = new Array(n)
  for (let j = 0; j < n; j++) {
    out[j] = { time: candle.time + Math.floor((j * tfMs) / n), price: prices[j] as string, amount: j === n - 1 ? lastText : shareText }
  }
  return out
}
