import { describe, expect, it } from 'vitest'
import { chartSummary, priceFormatFor, rangeWithLines, timeframeMs, toCandleData, toFillMarkers, toOrderLines } from './demo-chart-data'
import type { Candle, DemoFill, DemoOrder } from './demo-parsers'

const MINUTE = 60_000
const T0 = 1_740_830_400_000 // 2025-03-01T12:00:00Z, a whole minute

const candle = (minute: number, close: string): Candle => ({ timeMs: T0 + minute * MINUTE, open: '100', high: '110.5', low: '95.25', close, volume: '3' })

const fill = (id: string, offsetMs: number, side: 'buy' | 'sell', symbol = 'BTC/USDT'): DemoFill => ({
  id,
  orderId: `o-${id}`,
  symbol,
  side,
  price: '101.5',
  amount: '0.25',
  fee: { cost: '0.025', currency: 'USDT' },
  liquidity: 'taker',
  timestampMs: T0 + offsetMs,
})

const order = (change: Partial<DemoOrder>): DemoOrder => ({
  id: '1',
  clientOrderId: null,
  symbol: 'BTC/USDT',
  type: 'limit',
  side: 'buy',
  status: 'open',
  amount: '0.5',
  filled: '0',
  price: '99.5',
  stopPrice: null,
  average: null,
  timestampMs: T0,
  ...change,
})

const colors = { buy: '#0a0', sell: '#a00' }

describe('candles for the chart', () => {
  it('turns millisecond open times and decimal strings into seconds and numbers', () => {
    expect(toCandleData([candle(0, '104.75')])).toEqual([{ time: T0 / 1000, open: 100, high: 110.5, low: 95.25, close: 104.75 }])
  })

  it('sorts by time, keeps the later of two answers for one minute, and drops bars it cannot draw', () => {
    const bars = toCandleData([candle(2, '3'), candle(0, '1'), candle(1, 'x'), candle(2, '4')])
    expect(bars.map((bar) => [bar.time, bar.close])).toEqual([
      [T0 / 1000, 1],
      [T0 / 1000 + 120, 4],
    ])
  })

  it('knows each timeframe in milliseconds', () => {
    expect([timeframeMs('1m'), timeframeMs('5m'), timeframeMs('15m'), timeframeMs('1h')]).toEqual([60_000, 300_000, 900_000, 3_600_000])
  })
})

describe('fills as markers', () => {
  const bars = toCandleData([candle(0, '1'), candle(1, '2'), candle(3, '3')]) // minute 2 has no candle (no trades)

  it('puts each fill on the candle that contains it, buys below as up arrows, sells above as down arrows', () => {
    const markers = toFillMarkers([fill('a', 30_000, 'buy'), fill('b', MINUTE + 59_999, 'sell')], bars, 'BTC/USDT', colors)
    expect(markers).toEqual([
      { id: 'a', time: T0 / 1000, position: 'belowBar', shape: 'arrowUp', color: '#0a0', text: 'Buy 0.25 @ 101.5' },
      { id: 'b', time: T0 / 1000 + 60, position: 'aboveBar', shape: 'arrowDown', color: '#a00', text: 'Sell 0.25 @ 101.5' },
    ])
  })

  it('places a fill in a gap on the candle before it, and a fill newer than the last candle on the last one', () => {
    const markers = toFillMarkers([fill('gap', 2 * MINUTE + 10_000, 'buy'), fill('new', 10 * MINUTE, 'sell')], bars, 'BTC/USDT', colors)
    expect(markers.map((marker) => [marker.id, marker.time])).toEqual([
      ['gap', T0 / 1000 + 60],
      ['new', T0 / 1000 + 180],
    ])
  })

  it('leaves out fills of other symbols and fills older than the first candle, and sorts the rest by time', () => {
    const markers = toFillMarkers(
      [fill('late', 3 * MINUTE, 'buy'), fill('other', 0, 'buy', 'ETH/USDT'), fill('old', -1, 'sell'), fill('early', 0, 'sell')],
      bars,
      'BTC/USDT',
      colors,
    )
    expect(markers.map((marker) => marker.id)).toEqual(['early', 'late'])
    expect(toFillMarkers([fill('a', 0, 'buy')], [], 'BTC/USDT', colors)).toEqual([])
  })
})

describe('open orders as price lines', () => {
  it('draws limit orders at their price and stop orders at their trigger, dashed', () => {
    const lines = toOrderLines(
      [
        order({ id: '1' }),
        order({ id: '2', type: 'stop_limit', side: 'sell', price: '90', stopPrice: '91.5', amount: '0.1' }),
        order({ id: '3', type: 'stop_market', side: 'sell', price: null, stopPrice: '88' }),
      ],
      'BTC/USDT',
    )
    expect(lines).toEqual([
      { id: '1', price: 99.5, side: 'buy', isStop: false, title: 'Buy limit 0.5' },
      { id: '2', price: 91.5, side: 'sell', isStop: true, title: 'Sell stop limit 0.1' },
      { id: '3', price: 88, side: 'sell', isStop: true, title: 'Sell stop market 0.5' },
    ])
  })

  it('leaves out other symbols, orders no longer open, and orders with no price to draw', () => {
    const lines = toOrderLines(
      [
        order({ id: 'eth', symbol: 'ETH/USDT' }),
        order({ id: 'done', status: 'closed' }),
        order({ id: 'market', type: 'market', price: null }),
        order({ id: 'stop-unknown', type: 'stop_market', price: null, stopPrice: null }),
        order({ id: 'stop-limit-no-trigger', type: 'stop_limit', price: '90', stopPrice: null }),
      ],
      'BTC/USDT',
    )
    // A stop-limit whose trigger the server does not send is drawn at its limit price.
    expect(lines.map((line) => [line.id, line.price])).toEqual([['stop-limit-no-trigger', 90]])
  })
})

describe('chart settings and words', () => {
  it("formats the price scale to the market's tick", () => {
    expect(priceFormatFor('0.01')).toEqual({ type: 'price', precision: 2, minMove: 0.01 })
    expect(priceFormatFor('0.5')).toEqual({ type: 'price', precision: 1, minMove: 0.5 })
    expect(priceFormatFor('1')).toEqual({ type: 'price', precision: 0, minMove: 1 })
  })

  it('says what the canvas shows', () => {
    expect(chartSummary('BTC/USDT', '1m', [candle(0, '1'), candle(1, '104.75')], 1, 2)).toBe(
      'BTC/USDT 1m candles, last close 104.75, 1 open order drawn as price lines, 2 fills marked',
    )
    expect(chartSummary('BTC/USDT', '5m', [], 0, 1)).toBe('BTC/USDT 5m candles, no candles yet, 0 open orders drawn as price lines, 1 fill marked')
  })
})

describe('the price range with order lines', () => {
  const candles = { minValue: 100, maxValue: 110 } // a span of 10

  it('takes in lines near the candles', () => {
    expect(rangeWithLines(candles, [95, 112])).toEqual({ minValue: 95, maxValue: 112 })
    expect(rangeWithLines(candles, [105])).toEqual(candles)
    expect(rangeWithLines(candles, [])).toEqual(candles)
  })

  it('leaves out lines so far away that the candles would flatten', () => {
    expect(rangeWithLines(candles, [89, 121, 90])).toEqual({ minValue: 90, maxValue: 110 }) // reach 10 on each side: 90 in, 89 and 121 out
    expect(rangeWithLines({ minValue: 50, maxValue: 50 }, [50.04, 60])).toEqual({ minValue: 50, maxValue: 50.04 }) // flat candles: reach 0.05
  })
})
