import { BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals'
import { AppError } from '../../lib/errors.js'
import type { IndicatorConfig } from '../trading-api-types.js'

/**
 * Built-in indicator signals on closed candles, with `trading-signals` (v8: `add(close)`, `getResult()`,
 * `isStable`). A signal is emitted on a crossing only — the candle where the relation changes — never
 * while it persists, and never before the indicator is stable: the first stable candle only sets the
 * starting side. Indicators work in numbers (DESIGN.md: "indicators may use numbers").
 */

export type IndicatorAction = 'enter_long' | 'exit_long'

export type IndicatorSignal = {
  /** Feeds one closed candle's close; the action when this candle crossed, else null. */
  update(close: number): IndicatorAction | null
  /** Closes needed before the indicator is stable; the first signal can come on the candle after. */
  warmup: number
}

/**
 * Emits when the sign of a difference (fast − slow) changes: `up` for a move to +, `down` for a move to −.
 * The first value only sets the starting side (which may be "equal"); a zero afterwards keeps the side,
 * so touching and turning back is no crossing, while leaving an equal start is one.
 */
const signFlips = () => {
  let side: number | null = null
  return (value: number): 'up' | 'down' | null => {
    const sign = Math.sign(value)
    if (side === null) {
      side = sign
      return null
    }
    if (sign === 0 || sign === side) return null
    side = sign
    return sign > 0 ? 'up' : 'down'
  }
}

const onFlip = (flip: 'up' | 'down' | null): IndicatorAction | null => (flip === 'up' ? 'enter_long' : flip === 'down' ? 'exit_long' : null)

const checkClose = (close: number) => {
  if (!Number.isFinite(close) || close <= 0) throw new AppError('BAD_INPUT', `a candle close must be a positive number, not ${String(close)}`)
}

const movingAverageCross = (fastPeriod: number, slowPeriod: number, Average: typeof EMA | typeof SMA): IndicatorSignal => {
  if (fastPeriod >= slowPeriod) throw new AppError('BAD_INPUT', `the fast period (${fastPeriod}) must be shorter than the slow one (${slowPeriod})`)
  const fast = new Average(fastPeriod)
  const slow = new Average(slowPeriod)
  const flips = signFlips()
  return {
    warmup: slowPeriod,
    update: (close) => {
      checkClose(close)
      fast.add(close)
      slow.add(close)
      const f = fast.getResult()
      const s = slow.getResult()
      if (!fast.isStable || !slow.isStable || f === null || s === null) return null
      return onFlip(flips(f - s))
    },
  }
}

const rsiThresholds = (period: number, oversold: number, overbought: number): IndicatorSignal => {
  const rsi = new RSI(period)
  let previous: number | null = null
  return {
    warmup: rsi.getRequiredInputs(),
    update: (close) => {
      checkClose(close)
      const value = rsi.add(close)
      if (value === null || !rsi.isStable) return null
      const before = previous
      previous = value
      if (before === null) return null
      if (before <= oversold && value > oversold) return 'enter_long'
      if (before >= overbought && value < overbought) return 'exit_long'
      return null
    },
  }
}

const macdCross = (fastPeriod: number, slowPeriod: number, signalPeriod: number): IndicatorSignal => {
  if (fastPeriod >= slowPeriod) throw new AppError('BAD_INPUT', `the fast period (${fastPeriod}) must be shorter than the slow one (${slowPeriod})`)
  const signalLine = new EMA(signalPeriod)
  const macd = new MACD(new EMA(fastPeriod), new EMA(slowPeriod), signalLine)
  const flips = signFlips()
  return {
    // MACD values start once the slow EMA has its period; the signal line then needs its own period.
    warmup: slowPeriod + signalPeriod - 1,
    update: (close) => {
      checkClose(close)
      const result = macd.add(close)
      if (result === null || !signalLine.isStable) return null
      return onFlip(flips(result.macd - result.signal))
    },
  }
}

const bollinger = (period: number, deviation: number): IndicatorSignal => {
  const bands = new BollingerBands(period, deviation)
  let previous: 'below' | 'inside' | 'above' | null = null
  return {
    warmup: period,
    update: (close) => {
      checkClose(close)
      const b = bands.add(close)
      if (b === null) return null
      const zone = close < b.lower ? 'below' : close > b.upper ? 'above' : 'inside'
      const before = previous
      previous = zone
      if (before === null || before === zone) return null
      if (zone === 'below') return 'enter_long'
      if (zone === 'above') return 'exit_long'
      return null
    },
  }
}

/**
 * A signal source for one indicator configuration: RSI crossing up through oversold → enter_long and
 * down through overbought → exit_long; EMA/SMA fast crossing above slow → enter_long, below →
 * exit_long; the MACD line crossing its signal line likewise; a close crossing below the lower
 * Bollinger band → enter_long, above the upper band → exit_long.
 * @throws AppError BAD_INPUT when a fast period is not shorter than its slow one; from `update`, when a
 *   close is not a positive number
 */
export const createIndicatorSignal = (config: IndicatorConfig): IndicatorSignal => {
  switch (config.type) {
    case 'rsi':
      return rsiThresholds(config.period, config.oversold, config.overbought)
    case 'ema_cross':
      return movingAverageCross(config.fast, config.slow, EMA)
    case 'sma_cross':
      return movingAverageCross(config.fast, config.slow, SMA)
    case 'macd_cross':
      return macdCross(config.fast, config.slow, config.signal)
    case 'bollinger':
      return bollinger(config.period, config.deviation)
  }
}
