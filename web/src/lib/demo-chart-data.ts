import type { CandlestickData, SeriesMarker, UTCTimestamp } from 'lightweight-charts'
import { decimalPlaces } from './decimal-string'
import type { Candle, DemoFill, DemoOrder, OrderSide } from './demo-parsers'
import { orderTypeLabels, type DemoOrderType } from './demo-order-validation'

/**
 * From the demo API's shapes to what lightweight-charts draws. The chart takes numbers and whole
 * seconds; the conversion happens here, for drawing only: no decision is made on these numbers.
 */

export const timeframes = ['1m', '5m', '15m', '1h'] as const
export type Timeframe = (typeof timeframes)[number]

const timeframeMsByName: Readonly<Record<Timeframe, number>> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000 }

export const timeframeMs = (timeframe: Timeframe): number => timeframeMsByName[timeframe]

const toSeconds = (ms: number): UTCTimestamp => Math.floor(ms / 1000) as UTCTimestamp

/**
 * Candles sorted by time, one per open time (the later answer wins), without any whose prices are not
 * finite: lightweight-charts throws on unsorted or duplicate times.
 */
export const toCandleData = (candles: readonly Candle[]): CandlestickData<UTCTimestamp>[] => {
  const byTime = new Map<number, CandlestickData<UTCTimestamp>>()
  for (const candle of candles) {
    const bar = { time: toSeconds(candle.timeMs), open: Number(candle.open), high: Number(candle.high), low: Number(candle.low), close: Number(candle.close) }
    if ([bar.open, bar.high, bar.low, bar.close].every(Number.isFinite)) byTime.set(bar.time, bar)
  }
  return [...byTime.values()].sort((a, b) => a.time - b.time)
}

export type MarkerColors = Readonly<Record<OrderSide, string>>

/** Index of the last bar opening at or before `time`, or -1. `bars` is sorted. */
const barAtOrBefore = (bars: readonly { time: UTCTimestamp }[], time: number): number => {
  let low = 0
  let high = bars.length - 1
  let found = -1
  while (low <= high) {
    const middle = (low + high) >> 1
    const bar = bars[middle]
    if (bar !== undefined && bar.time <= time) {
      found = middle
      low = middle + 1
    } else high = middle - 1
  }
  return found
}

/**
 * One marker per fill of `symbol`, on the candle that contains it: buys below the bar as an up arrow,
 * sells above as a down arrow. Fills older than the first candle are off the chart and left out; a
 * fill newer than the last candle (its candle not served yet) sits on the last one. Sorted by time,
 * as lightweight-charts requires.
 */
export const toFillMarkers = (
  fills: readonly DemoFill[],
  bars: readonly { time: UTCTimestamp }[],
  symbol: string,
  colors: MarkerColors,
): SeriesMarker<UTCTimestamp>[] => {
  const markers: { marker: SeriesMarker<UTCTimestamp>; sortKey: number }[] = []
  for (const fill of fills) {
    if (fill.symbol !== symbol) continue
    const index = barAtOrBefore(bars, fill.timestampMs / 1000)
    const bar = bars[index]
    if (bar === undefined) continue
    const isBuy = fill.side === 'buy'
    markers.push({
      sortKey: fill.timestampMs,
      marker: {
        id: fill.id,
        time: bar.time,
        position: isBuy ? 'belowBar' : 'aboveBar',
        shape: isBuy ? 'arrowUp' : 'arrowDown',
        color: colors[fill.side],
        text: `${isBuy ? 'Buy' : 'Sell'} ${fill.amount} @ ${fill.price}`,
      },
    })
  }
  return markers.sort((a, b) => a.marker.time - b.marker.time || a.sortKey - b.sortKey).map((entry) => entry.marker)
}

export type OrderLine = {
  id: string
  price: number
  side: OrderSide
  /** Stop orders draw dashed: they rest at their trigger, not in the book. */
  isStop: boolean
  title: string
}

const typeLabel = (type: string): string => orderTypeLabels[type as DemoOrderType] ?? type

/**
 * A price line per open order of `symbol`: at its limit price, or at its trigger for a stop-market
 * order. An order with neither (a market order still filling) has no line.
 */
export const toOrderLines = (orders: readonly DemoOrder[], symbol: string): OrderLine[] =>
  orders.flatMap((order) => {
    if (order.symbol !== symbol || order.status !== 'open') return []
    const isStop = order.type === 'stop_market' || order.type === 'stop_limit'
    const at = isStop && order.stopPrice !== null ? order.stopPrice : (order.price ?? order.stopPrice)
    const price = at === null ? Number.NaN : Number(at)
    if (!Number.isFinite(price)) return []
    return [{ id: order.id, price, side: order.side, isStop, title: `${order.side === 'buy' ? 'Buy' : 'Sell'} ${typeLabel(order.type).toLowerCase()} ${order.amount ?? ''}`.trim() }]
  })

export type PriceRange = { minValue: number; maxValue: number }

/**
 * The candles' price range widened to take in the open orders' lines, so an order near the market is
 * on screen rather than just off it. An order further than `maxStretch` candle ranges away (a stop
 * far below) would flatten the candles into a line, so it is left off-screen.
 */
export const rangeWithLines = (range: PriceRange, linePrices: readonly number[], maxStretch = 1): PriceRange => {
  const span = Math.max(range.maxValue - range.minValue, Math.abs(range.maxValue) * 0.001)
  const reach = span * maxStretch
  const near = linePrices.filter((price) => price >= range.minValue - reach && price <= range.maxValue + reach)
  return { minValue: Math.min(range.minValue, ...near), maxValue: Math.max(range.maxValue, ...near) }
}

/** The price scale shows as many decimals as the tick size has, and moves in ticks. */
export const priceFormatFor = (tickSize: string): { type: 'price'; precision: number; minMove: number } => ({
  type: 'price',
  precision: decimalPlaces(tickSize),
  minMove: Number(tickSize),
})

/** What the canvas shows, in words, for screen readers. */
export const chartSummary = (symbol: string, timeframe: Timeframe, candles: readonly Candle[], lines: number, markers: number): string => {
  const last = candles.at(-1)
  const parts = [`${symbol} ${timeframe} candles`]
  parts.push(last === undefined ? 'no candles yet' : `last close ${last.close}`)
  parts.push(`${lines} open ${lines === 1 ? 'order' : 'orders'} drawn as price lines`)
  parts.push(`${markers} ${markers === 1 ? 'fill' : 'fills'} marked`)
  return parts.join(', ')
}
