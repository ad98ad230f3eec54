import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Decimal, toDecimalString } from '../../lib/decimal.js'
import {
  createDemoEngine,
  DemoRejection,
  projectEvents,
  restoreDemoEngine,
  type DemoCommand,
  type DemoEngine,
  type DemoMarketDef,
  type DemoPriceUpdate,
  type PlaceOrderInput,
} from './index.js'

// 240 real BTC/USDT 1-minute candles (fixtures/README.md), each expanded to open → low → high → close
// (or open → high → low → close for a falling candle) with 10/40/40/10 % of its volume, fed to a
// spot market and a perpetual with the default, jittered book model. Three accounts trade on a fixed
// schedule: spot limits/markets/stops/cancels/amends, cross futures, isolated hedge-mode futures at 100x
// (so liquidations happen), across a funding time.
const csv = readFileSync(new URL('./fixtures/binance_BTC-USDT_1m_240.csv', import.meta.url), 'utf8')
const candles = csv
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
const ticks: { price: string; amount: string; time: number }[] = candles.flatMap(([time, open, high, low, close, volume]) => {
  const path = new Decimal(close as string).gte(open as string) ? [open, low, high, close] : [open, high, low, close]
  const share = (w: string) => toDecimalString(new Decimal(volume as string).mul(w).toDecimalPlaces(8, Decimal.ROUND_DOWN))
  return path.map((price, i) => ({ price: price as string, amount: share(i === 1 || i === 2 ? '0.4' : '0.1'), time: Number(time) + i * 15_000 }))
})

const markets: DemoMarketDef[] = [
  { symbol: 'BTC/USDT', kind: 'spot', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minNotional: '10' },
  { symbol: 'BTC/USDT:USDT', kind: 'linear', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', minNotional: '5' },
]

const at = (price: string, factor: string) => toDecimalString(new Decimal(price).mul(factor).toDecimalPlaces(2))

type Log = unknown[]

const setupCommands = (time: number): DemoCommand[] => [
  { type: 'createAccount', accountId: 'alice', kind: 'spot', balances: { USDT: '10000', BTC: '0.05' }, time },
  { type: 'createAccount', accountId: 'bob', kind: 'futures', balances: { USDT: '5000' }, time },
  { type: 'createAccount', accountId: 'carol', kind: 'futures', balances: { USDT: '3000' }, hedged: true, time },
  { type: 'setMarginMode', accountId: 'carol', symbol: 'BTC/USDT:USDT', marginMode: 'isolated', time },
  { type: 'setLeverage', accountId: 'carol', symbol: 'BTC/USDT:USDT', leverage: 100, time },
]

/** The commands after tick i, derived from the tick and the engine's own open orders. */
const commandsAfter = (engine: DemoEngine, i: number, price: string, time: number): DemoCommand[] => {
  const out: DemoCommand[] = []
  const spot = (o: Omit<PlaceOrderInput, 'accountId' | 'symbol'>) => out.push({ type: 'placeOrder', order: { accountId: 'alice', symbol: 'BTC/USDT', ...o }, time })
  const perp = (accountId: string, o: Omit<PlaceOrderInput, 'accountId' | 'symbol'>) => out.push({ type: 'placeOrder', order: { accountId, symbol: 'BTC/USDT:USDT', ...o }, time })
  if (i % 7 === 0) spot({ type: 'limit', side: 'buy', amount: '0.01', price: at(price, '0.999') })
  if (i % 11 === 0) spot({ type: 'limit', side: 'sell', amount: '0.005', price: at(price, '1.001'), clientOrderId: `s${i}` })
  if (i % 13 === 0) spot({ type: 'market', side: i % 2 === 0 ? 'buy' : 'sell', amount: '0.02' })
  if (i % 17 === 0) spot({ type: 'stop_market', side: 'sell', amount: '0.005', stopPrice: at(price, '0.997') })
  if (i % 43 === 0) spot({ type: 'stop_limit', side: 'buy', amount: '0.004', stopPrice: at(price, '1.002'), price: at(price, '1.003') })
  // Prices that already traded tend to trade again: resting there exercises the queue model.
  const earlier = ticks[i - 8]?.price
  if (i % 3 === 0 && earlier !== undefined && earlier !== price) spot({ type: 'limit', side: new Decimal(earlier).lt(price) ? 'buy' : 'sell', amount: '0.001', price: earlier })
  const open = engine.openOrders('alice')
  if (i % 19 === 0 && open[0] !== undefined) out.push({ type: 'cancelOrder', accountId: 'alice', id: open[0].id, time })
  const lastLimit = open.filter((o) => o.type === 'limit').at(-1)
  if (i % 23 === 0 && lastLimit?.price) out.push({ type: 'amendOrder', accountId: 'alice', id: lastLimit.id, price: at(lastLimit.price, '0.9995'), time })
  if (i % 5 === 0) perp('bob', { type: 'limit', side: i % 10 === 0 ? 'buy' : 'sell', amount: '0.01', price: at(price, i % 10 === 0 ? '0.9995' : '1.0005') })
  if (i % 29 === 0) perp('bob', { type: 'market', side: i % 58 === 0 ? 'sell' : 'buy', amount: '0.02' })
  if (i % 31 === 0) perp('bob', { type: 'stop_market', side: 'sell', amount: '0.01', stopPrice: at(price, '0.995'), reduceOnly: true })
  if (i % 37 === 0) perp('carol', { type: 'market', side: 'buy', amount: '0.05', positionSide: 'long' })
  if (i % 41 === 0) perp('carol', { type: 'market', side: 'sell', amount: '0.05', positionSide: 'short' })
  return out
}

const exec = (engine: DemoEngine, cmd: DemoCommand, log: Log) => {
  try {
    log.push(...engine.execute(cmd).events)
  } catch (err) {
    if (!(err instanceof DemoRejection)) throw err
    log.push({ rejected: err.reason, message: err.message })
  }
}

/** Runs ticks [from, to) on `engine`, appending everything to `log`. */
const drive = (engine: DemoEngine, from: number, to: number, log: Log) => {
  for (let i = from; i < to; i++) {
    const t = ticks[i] as (typeof ticks)[number]
    for (const symbol of ['BTC/USDT', 'BTC/USDT:USDT']) {
      const u: DemoPriceUpdate = { symbol, price: t.price, amount: t.amount, time: t.time }
      log.push(...engine.update(u))
    }
    for (const cmd of commandsAfter(engine, i, t.price, t.time + 1)) exec(engine, cmd, log)
  }
}

const fresh = (seed: string) => {
  const engine = createDemoEngine({ seed, markets })
  const log: Log = []
  for (const cmd of setupCommands((ticks[0] as { time: number }).time - 1)) exec(engine, cmd, log)
  return { engine, log }
}

const full = (seed: string) => {
  const { engine, log } = fresh(seed)
  drive(engine, 0, ticks.length, log)
  return { engine, log }
}

const count = (log: Log, type: string) => log.filter((e) => (e as { type?: string }).type === type).length

describe('demo engine determinism', () => {
  const a = full('seed-1')

  it('exercises maker and taker fills, queue positions, liquidations and funding on the real series', () => {
    expect(ticks).toHaveLength(960)
    expect(count(a.log, 'fill')).toBeGreaterThan(100)
    const fills = a.log.flatMap((e) => ((e as { type?: string }).type === 'fill' ? [(e as { fill: { liquidity: string } }).fill] : []))
    expect(fills.filter((f) => f.liquidity === 'maker').length).toBeGreaterThan(10)
    expect(a.engine.openOrders('alice').some((o) => o.queueAhead !== '0')).toBe(true) // queue positions are part of the state
    expect(count(a.log, 'liquidation')).toBeGreaterThan(0)
    expect(count(a.log, 'funding')).toBeGreaterThan(0)
    expect(a.log.some((e) => (e as { rejected?: string }).rejected === 'INSUFFICIENT_FUNDS')).toBe(true)
  })

  it('produces the identical event log, bit for bit, for the same seed and inputs', () => {
    const b = full('seed-1')
    expect(JSON.stringify(b.log)).toBe(JSON.stringify(a.log))
    expect(JSON.stringify(b.engine.snapshot())).toBe(JSON.stringify(a.engine.snapshot()))
  })

  it('produces a different log for another seed (the seed drives depth and queue jitter)', () => {
    expect(JSON.stringify(full('seed-2').log)).not.toBe(JSON.stringify(a.log))
  })

  it.each([1, 333, 480, 901])('continues from a snapshot taken after tick %i exactly as the uninterrupted run', (cut) => {
    const first = fresh('seed-1')
    drive(first.engine, 0, cut, first.log)
    const saved = JSON.parse(JSON.stringify(first.engine.snapshot()))
    const resumed = restoreDemoEngine(saved)
    drive(resumed, cut, ticks.length, first.log)
    expect(JSON.stringify(first.log)).toBe(JSON.stringify(a.log))
    expect(JSON.stringify(resumed.snapshot())).toBe(JSON.stringify(a.engine.snapshot()))
  })

  it('rebuilds accounts, open orders and counters from the event log alone', () => {
    const empty = createDemoEngine({ seed: 'seed-1', markets }).snapshot()
    const events = a.log.filter((e) => (e as { seq?: number }).seq !== undefined) as Parameters<typeof projectEvents>[1]
    const projected = projectEvents(empty, events)
    const actual = a.engine.snapshot()
    expect(projected.accounts).toEqual(actual.accounts)
    expect(projected.orders).toEqual(actual.orders)
    expect(projected.counters).toEqual(actual.counters)
    // And the rebuilt state, given the market state, trades on exactly like the original.
    const rebuilt = restoreDemoEngine({ ...projected, markets: actual.markets, time: actual.time })
    expect(JSON.stringify(rebuilt.snapshot())).toBe(JSON.stringify(actual))
  })
})
