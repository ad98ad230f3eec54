import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Decimal, toDecimalString } from '../../lib/decimal.js'
import { bundledMarketDataDir, expandCandle, parseCandleCsv, timeframeMs, type Candle } from '../../market/index.js'
import { smartTradeConfigSchema } from '../trading-api-types.js'
import type { BotCommand, BotEvent, MachineContext, PlaceOrder } from '../trading-types.js'
import type { SmartTradeState } from './machines-types.js'
import { smartTradeMachine } from './smart-trade.js'

/**
 * The pure machine over real prices: Binance spot 1m candles from data/market (2021-05-16 … 05-20, the
 * 19 May crash included), each expanded into price updates by the market module's `expandCandle`. The
 * test itself plays the exchange in the simplest honest way: a market order fills at the current price,
 * a resting limit fills at its price once the price touches it, a stop-market fills at the price that
 * reached its stop; 0.1 % fee (a spot buy's fee in the coin bought, as Binance and the demo engine do).
 * No order book, no slippage, no latency. The scenarios on the demo engine (real matching, the journal,
 * the runtime) are separate, under test/trading/.
 */

const fee = new Decimal('0.001')
const candlesOf = (file: string): Candle[] => parseCandleCsv(readFileSync(`${bundledMarketDataDir()}${file}`, 'utf8'), { source: file, timeframe: '1m' })
const btc = candlesOf('binance_BTC-USDT_1m.csv')
const eth = candlesOf('binance_ETH-USDT_1m.csv')
const at = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi)

type Resting = { key: string; order: PlaceOrder; filled: Decimal }

/** Runs a smart trade from `from` until it finishes (or the data ends); returns the final state and every command. */
const replay = (input: unknown, venue: Pick<MachineContext, 'market' | 'supportsStopOrders'>, candles: Candle[], from: number) => {
  const config = smartTradeConfigSchema.parse(input)
  const ticks = candles.filter((c) => c.time >= from).flatMap((c) => expandCandle(c, timeframeMs['1m'], 2))
  const first = ticks[0]
  if (first === undefined) throw new Error('no data')
  let price = first.price
  let now = first.time
  const ctx = (): MachineContext => ({ ...venue, now, priceDecimals: () => null, amountDecimals: () => null, lastPrice: (s) => (s === config.symbol ? price : null) })
  const resting = new Map<string, Resting>()
  const log: BotCommand[] = []
  const inbox: BotEvent[] = []
  const wakes: number[] = []
  const base = config.symbol.split('/')[0] ?? ''
  const fills: { key: string; price: string; amount: string; fee: string; time: number }[] = []
  let maxStopsResting = 0
  const fill = (key: string, order: PlaceOrder, at: string) => {
    const amount = new Decimal(order.amount)
    const isSpotBuy = !config.symbol.includes(':') && order.side === 'buy'
    const feeAmount = isSpotBuy ? amount.times(fee) : amount.times(at).times(fee)
    fills.push({ key, price: at, amount: order.amount, fee: toDecimalString(feeAmount), time: now })
    inbox.push({ type: 'order', key, state: 'filled', filled: order.amount, average: at, fee: toDecimalString(feeAmount), feeCurrency: isSpotBuy ? base : 'USDT', reason: null, time: now })
  }
  const crossed = (o: PlaceOrder): boolean => {
    const p = new Decimal(price)
    if (o.type === 'limit') return o.side === 'buy' ? p.lte(o.price ?? '0') : p.gte(o.price ?? '0')
    return o.side === 'buy' ? p.gte(o.stopPrice ?? '0') : p.lte(o.stopPrice ?? '0')
  }
  const carryOut = (commands: BotCommand[]) => {
    for (const c of commands) {
      log.push(c)
      if (c.type === 'wake') wakes.push(c.at)
      else if (c.type === 'cancel') {
        if (resting.delete(c.key)) inbox.push({ type: 'order', key: c.key, state: 'cancelled', filled: '0', average: null, fee: null, feeCurrency: null, reason: null, time: now })
      } else if (c.type === 'place') {
        inbox.push({ type: 'order', key: c.key, state: 'acknowledged', filled: '0', average: null, fee: null, feeCurrency: null, reason: null, time: now })
        if (c.order.type === 'market') fill(c.key, c.order, price)
        else if (c.order.type === 'limit' && crossed(c.order)) fill(c.key, c.order, price) // marketable: fills now, at the price
        else resting.set(c.key, { key: c.key, order: c.order, filled: new Decimal(0) })
        maxStopsResting = Math.max(maxStopsResting, [...resting.values()].filter((r) => r.order.type === 'stop_market').length)
      }
    }
  }
  let state: SmartTradeState
  const deliver = (event: BotEvent) => {
    const t = smartTradeMachine.step(state, event, ctx())
    state = t.state
    carryOut(t.commands)
    for (let e = inbox.shift(); e !== undefined; e = inbox.shift()) {
      const u = smartTradeMachine.step(state, e, ctx())
      state = u.state
      carryOut(u.commands)
    }
  }
  const started = smartTradeMachine.start(config, ctx())
  state = started.state
  carryOut(started.commands)
  deliver({ type: 'timer', time: now - 1 }) // drains the start's answers
  for (const tick of ticks) {
    if (state.finishedAt !== null) break
    price = tick.price
    now = tick.time
    const due = wakes.filter((w) => w <= now)
    if (due.length > 0) {
      wakes.splice(0, wakes.length, ...wakes.filter((w) => w > now))
      deliver({ type: 'timer', time: now })
    }
    for (const r of [...resting.values()]) {
      if (!crossed(r.order)) continue
      resting.delete(r.key)
      fill(r.key, r.order, r.order.type === 'limit' ? (r.order.price ?? price) : price)
    }
    deliver({ type: 'price', symbol: config.symbol, price, time: now })
  }
  const keys = log.flatMap((c) => (c.type === 'place' ? [c.key] : []))
  return { state, live: smartTradeMachine.live(state) as Record<string, unknown>, log, keys, fills, maxStopsResting }
}

const spot = { market: 'spot', supportsStopOrders: false } as const
const futuresWithStops = { market: 'linear', supportsStopOrders: true } as const

describe('smart trades over real Binance prices (pure machine, the test plays the exchange)', () => {
  it('takes a three-target ladder on the 16 May rally, moving the stop to breakeven', () => {
    const r = replay(
      {
        symbol: 'BTC/USDT', direction: 'long', amount: '0.05', entry: { type: 'market' }, stopLoss: { percent: '2', moveToBreakevenAfterFirstTarget: true },
        takeProfit: { targets: [{ percent: '1', sharePercent: '33.33' }, { percent: '2', sharePercent: '33.33' }, { percent: '3', sharePercent: '33.34' }] },
      },
      spot, btc, at(2021, 5, 16, 0),
    )
    // Bought 0.05 at the 00:00 open 46762.99; 0.05 × 0.1 % = 0.00005 BTC fee, so 0.04995 held.
    // Shares of 0.04995 at 5 decimals: 0.016648… → 0.01664 twice, the last 0.04995 − 0.03328 = 0.01667.
    // Prices: 46762.99 × 1.01 = 47230.6199 → 47230.62; × 1.02 → 47698.25; × 1.03 = 48165.8797 → 48165.88.
    expect(r.fills.map((f) => [f.key, f.amount, f.price])).toEqual([
      ['entry', '0.05', '46762.99'],
      ['tp1', '0.01664', '47230.62'],
      ['tp2', '0.01664', '47698.25'],
      ['tp3', '0.01667', '48165.88'],
    ])
    expect(r.keys).toEqual(['entry', 'tp1', 'tp2', 'tp3']) // spot: the stop is the platform's, no order
    // sold 785.9175168 + 793.69888 + 802.9252196 = 2382.5416164; cost of 0.04995 = 46762.99 × 0.04995 = 2335.8113505;
    // fees 0.00005 × 46762.99 = 2.3381495 + 0.1 % of the sales 2.3825416164 = 4.7206911164;
    // 2382.5416164 − 2335.8113505 − 4.7206911164 = 42.0095747836
    expect(r.live).toMatchObject({ phase: 'finished', exitReason: 'take_profit', position: '0', fees: '4.72069112', realizedPnl: '42.00957478', stopPrice: '46762.99', breakeven: { enabled: true, done: true } })
  })

  it('lets a trailing stop take a long out early in the 19 May crash', () => {
    const r = replay(
      { symbol: 'BTC/USDT', direction: 'long', amount: '0.05', entry: { type: 'market' }, stopLoss: { percent: '5', trailingPercent: '3' }, takeProfit: { targets: [{ percent: '3', sharePercent: '50' }, { percent: '6', sharePercent: '50' }] } },
      spot, btc, at(2021, 5, 19, 8),
    )
    // Entry at the 08:00 open 40354.98; the best price after it is 40888, so the stop trails to 40888 × 0.97 = 39661.36
    // (above the 5 % stop, 38337.23). The first update at or below it is 39515.85 (the price fell through the stop
    // between updates): the targets are cancelled first, then the 0.04995 held are sold at market.
    expect(r.live).toMatchObject({ exitReason: 'stop_loss', stopPrice: '39661.36', trailingStop: { percent: '3', bestPrice: '40888' } })
    expect(r.keys).toEqual(['entry', 'tp1', 'tp2', 'close'])
    expect(r.fills.map((f) => [f.key, f.amount, f.price])).toEqual([
      ['entry', '0.05', '40354.98'],
      ['close', '0.04995', '39515.85'],
    ])
    const cancelsBeforeClose = r.log.slice(0, r.log.findIndex((c) => c.type === 'place' && c.key === 'close')).filter((c) => c.type === 'cancel')
    expect(cancelsBeforeClose).toEqual([{ type: 'cancel', key: 'tp1' }, { type: 'cancel', key: 'tp2' }])
    expect(r.live.lastStopLossAt).toBe(r.fills[1]?.time)
    // sold 0.04995 × 39515.85 = 1973.8167075; cost 40354.98 × 0.04995 = 2015.731251; fees 0.00005 × 40354.98
    // = 2.017749 + 1.9738167075 = 3.9915657075; 1973.8167075 − 2015.731251 − 3.9915657075 = −45.9061092075
    expect(r.live).toMatchObject({ realizedPnl: '-45.90610921', fees: '3.99156571' })
  })

  it('rides the crash short with the stop resting on the exchange, one stop at a time, and a trailing take-profit', () => {
    // ETH/USDT spot prices stand in for the perpetual's: the point is the machine's behaviour, not the basis.
    const r = replay(
      {
        symbol: 'ETH/USDT:USDT', direction: 'short', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '3', trailingPercent: '3' },
        takeProfit: { targets: [{ percent: '5', sharePercent: '50' }, { percent: '15', sharePercent: '50' }], trailingPercent: '2' },
      },
      futuresWithStops, eth, at(2021, 5, 19, 8),
    )
    const stops = r.log.flatMap((c) => (c.type === 'place' && c.purpose === 'stop_loss' ? [c] : []))
    expect(stops.length).toBeGreaterThan(10)
    expect(stops.map((c) => c.key)).toEqual(stops.map((_, i) => (i === 0 ? 'sl' : `sl.${i + 1}`)))
    expect(stops.every((c) => c.order.type === 'stop_market' && c.order.side === 'buy' && c.order.reduceOnly === true)).toBe(true)
    // only ever lowered (a short's stop moves down), and never two resting at once: each replacement waited for its cancel
    const levels = stops.map((c) => new Decimal(c.order.stopPrice ?? '0'))
    expect(levels.every((l, i) => i === 0 || l.lt(levels[i - 1] ?? l))).toBe(true)
    expect(r.maxStopsResting).toBe(1)
    expect(new Set(r.keys).size).toBe(r.keys.length)
    // Short 1 at 2985 (the first price, no decimals seen yet, so levels round to whole numbers);
    // tp1 at 2985 × 0.95 = 2835.75 → 2836 for 0.5; the last target 2985 × 0.85 = 2537.25 → 2537 is followed, not placed:
    // the low after it is 2442.82, and the first update at or above 2442.82 × 1.02 = 2491.6764 is 2500.
    expect(r.fills.map((f) => [f.key, f.amount, f.price])).toEqual([
      ['entry', '1', '2985'],
      ['tp1', '0.5', '2836'],
      ['close', '0.5', '2500'],
    ])
    // (2985 − 0.5 × 2836 − 0.5 × 2500) − (2.985 + 1.418 + 1.25) = 317 − 5.653 = 311.347
    expect(r.live).toMatchObject({ exitReason: 'trailing_take_profit', trailingTakeProfit: { armed: true, peak: '2442.82' }, realizedPnl: '311.347', fees: '5.653', lastStopLossAt: null })
  })

  it('cancels a limit entry the market never reaches when the timeout comes', () => {
    const r = replay({ symbol: 'BTC/USDT', direction: 'long', amount: '0.05', entry: { type: 'limit', price: '40000' }, timeoutSeconds: 3600 }, spot, btc, at(2021, 5, 16, 0))
    // the low of 16 May 00:00–01:00 is 46467, far above 40000
    expect(r.fills).toEqual([])
    expect(r.live).toMatchObject({ phase: 'cancelled', endReason: 'timeout: the entry did not fill in time', finishedAt: at(2021, 5, 16, 1) })
  })
})
