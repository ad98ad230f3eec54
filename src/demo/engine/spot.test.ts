import { describe, expect, it } from 'vitest'
import { createDemoEngine, type DemoCommand, type DemoEvent, type DemoFill, type DemoMarketDef, type PlaceOrderInput } from './index.js'
import markets from './fixtures/markets.json' with { type: 'json' }

// BTC/USDT spot, tick 0.01, lot 0.0001, min notional 5. The modelled book (fixtures/markets.json) has no
// jitter: ask = last + 0.01, bid = last − 0.01, 3 levels one tick apart, each level worth 20,000 USDT
// (1 BTC at 20,000). Market buys reserve amount × (last × 1.05), the 5% protection price.
const spot = markets.spot as DemoMarketDef
const T0 = 1_699_200_000_000

type Cmd = DemoCommand extends infer C ? (C extends DemoCommand ? Omit<C, 'time'> : never) : never

const setup = (balances: Record<string, string>, fees = { makerFeeRate: '0.001', takerFeeRate: '0.002' }) => {
  const engine = createDemoEngine({ seed: 'spot-scenarios', markets: [spot] })
  let time = T0
  const run = (cmd: Cmd) => engine.execute({ ...cmd, time } as DemoCommand)
  run({ type: 'createAccount', accountId: 'a', kind: 'spot', balances, ...fees })
  const trade = (price: string, amount?: string): readonly DemoEvent[] => {
    time += 1_000
    return engine.update({ symbol: 'BTC/USDT', price, time, ...(amount === undefined ? {} : { amount }) })
  }
  const place = (order: Omit<PlaceOrderInput, 'accountId' | 'symbol'>) => run({ type: 'placeOrder', order: { accountId: 'a', symbol: 'BTC/USDT', ...order } })
  const bal = (asset: string) => engine.balance('a')[asset]
  return { engine, run, trade, place, bal }
}

const fills = (events: readonly DemoEvent[]): DemoFill[] => events.flatMap((e) => (e.type === 'fill' ? [e.fill] : []))

describe('demo spot engine', () => {
  it('charges the taker fee on a market buy and the maker fee on a resting limit sell', () => {
    const { trade, place, bal } = setup({ USDT: '100000' })
    trade('20000')
    const buy = place({ type: 'market', side: 'buy', amount: '0.5' })
    const [taken] = fills(buy.events)
    expect(taken).toMatchObject({ price: '20000.01', amount: '0.5', liquidity: 'taker' }) // ask = 20,000 + one tick
    expect(taken?.cost).toBe('10000.005') // 0.5 × 20,000.01
    expect(taken?.fee).toBe('0.001') // 0.5 BTC × 0.002 taker fee, taken from the BTC received
    expect(taken?.feeCurrency).toBe('BTC')
    expect(bal('USDT')).toEqual({ free: '89999.995', used: '0', total: '89999.995' }) // 100,000 − 10,000.005; the unused reservation is back
    expect(bal('BTC')).toEqual({ free: '0.499', used: '0', total: '0.499' }) // 0.5 − 0.001 fee

    const sell = place({ type: 'limit', side: 'sell', amount: '0.499', price: '20100' })
    expect(sell.order?.status).toBe('open')
    expect(bal('BTC')).toEqual({ free: '0', used: '0.499', total: '0.499' }) // held for the open order
    const made = fills(trade('20100.01', '0.1')) // a trade above 20,100 goes through the order
    expect(made).toHaveLength(1)
    expect(made[0]).toMatchObject({ price: '20100', amount: '0.499', liquidity: 'maker' })
    expect(made[0]?.fee).toBe('10.0299') // 0.499 × 20,100 = 10,029.9 USDT × 0.001 maker fee
    expect(bal('USDT')?.total).toBe('100019.8651') // 89,999.995 + 10,029.9 − 10.0299
    expect(bal('BTC')).toEqual({ free: '0', used: '0', total: '0' })
  })

  it('fills a market order larger than the modelled depth over the following updates', () => {
    const { engine, trade, place, bal } = setup({ USDT: '200000' })
    trade('20000')
    const placed = place({ type: 'market', side: 'buy', amount: '5' })
    // Visible: 1 BTC at each of 20,000.01 / .02 / .03.
    expect(fills(placed.events).map((f) => [f.price, f.amount])).toEqual([
      ['20000.01', '1'],
      ['20000.02', '1'],
      ['20000.03', '1'],
    ])
    expect(placed.order).toMatchObject({ status: 'open', filled: '3', isTaking: true })
    expect(bal('USDT')?.used).toBe('42000') // 2 BTC left × 21,000 protection price (20,000 × 1.05)
    const next = trade('20000')
    expect(fills(next.slice()).map((f) => [f.price, f.amount])).toEqual([
      ['20000.01', '1'],
      ['20000.02', '1'],
    ])
    const done = engine.openOrders('a')
    expect(done).toEqual([])
    const final = next.flatMap((e) => (e.type === 'order' ? [e.order] : [])).at(-1)
    expect(final?.status).toBe('closed')
    expect(final?.average).toBe('20000.018') // (20,000.01 + .02 + .03 + .01 + .02) / 5 = 100,000.09 / 5
    expect(final?.fee).toBe('0.01') // 5 BTC × 0.002 taker
    expect(bal('USDT')).toEqual({ free: '99999.91', used: '0', total: '99999.91' }) // 200,000 − 100,000.09
    expect(bal('BTC')?.total).toBe('4.99') // 5 − 0.01
  })

  it('needs the volume queued ahead of a limit order to trade before it fills', () => {
    const { engine, trade, place } = setup({ USDT: '100000' })
    trade('20000')
    // Bid = 19,999.99; a new order there queues behind one modelled level (1 BTC, no jitter).
    const order = place({ type: 'limit', side: 'buy', amount: '0.5', price: '19999.99' }).order
    expect(order?.queueAhead).toBe('1')
    const first = trade('19999.99', '0.6')
    expect(first).toEqual([expect.objectContaining({ type: 'queue', queueAhead: '0.4' })]) // 1 − 0.6
    const second = fills(trade('19999.99', '0.7')) // 0.7 − 0.4 still ahead = 0.3 for us
    expect(second).toEqual([expect.objectContaining({ amount: '0.3', price: '19999.99', liquidity: 'maker' })])
    const third = fills(trade('19999.99', '0.5')) // the last 0.2 of the order
    expect(third).toEqual([expect.objectContaining({ amount: '0.2' })])
    expect(engine.openOrders('a')).toEqual([])
  })

  it('fills a resting order when a trade goes through its price, up to one modelled level per update', () => {
    const { engine, trade, place, bal } = setup({ USDT: '100000' })
    trade('20000')
    place({ type: 'limit', side: 'buy', amount: '2.5', price: '19000' })
    expect(bal('USDT')).toEqual({ free: '52500', used: '47500', total: '100000' }) // 2.5 × 19,000 held
    expect(fills(trade('19500', '0.1'))).toEqual([]) // above the bid: nothing
    // At 18,000 one level is 20,000 / 18,000 = 1.1111 BTC (whole lots): the order fills in three updates.
    expect(fills(trade('18000', '0.1')).map((f) => f.amount)).toEqual(['1.1111'])
    expect(fills(trade('18000', '0.1')).map((f) => f.amount)).toEqual(['1.1111'])
    expect(fills(trade('18000', '0.1')).map((f) => [f.amount, f.price])).toEqual([['0.2778', '19000']]) // 2.5 − 2 × 1.1111; makers get their own price
    expect(engine.openOrders('a')).toEqual([])
    expect(bal('USDT')).toEqual({ free: '52500', used: '0', total: '52500' }) // 100,000 − 2.5 × 19,000
    expect(bal('BTC')?.total).toBe('2.4975') // 2.5 − 2.5 × 0.001 maker fee
  })

  it('holds funds for open orders and gives them back on cancel', () => {
    const { run, trade, place, bal } = setup({ USDT: '1000', BTC: '1' })
    trade('20000')
    const buy = place({ type: 'limit', side: 'buy', amount: '0.04', price: '19000' }).order
    const sell = place({ type: 'limit', side: 'sell', amount: '0.3', price: '21000' }).order
    expect(bal('USDT')).toEqual({ free: '240', used: '760', total: '1000' }) // 0.04 × 19,000
    expect(bal('BTC')).toEqual({ free: '0.7', used: '0.3', total: '1' })
    run({ type: 'cancelOrder', accountId: 'a', id: buy?.id as string })
    run({ type: 'cancelOrder', accountId: 'a', clientOrderId: undefined, id: sell?.id as string })
    expect(bal('USDT')).toEqual({ free: '1000', used: '0', total: '1000' })
    expect(bal('BTC')).toEqual({ free: '1', used: '0', total: '1' })
  })

  it('fires a stop-market sell when the price comes down to it, and a stop-limit buy when it rises', () => {
    const { trade, place, bal } = setup({ USDT: '50000', BTC: '1' })
    trade('20000')
    const stopLoss = place({ type: 'stop_market', side: 'sell', amount: '0.5', stopPrice: '19500' }).order
    expect(stopLoss).toMatchObject({ triggerDirection: 'fall', status: 'open' })
    expect(bal('BTC')?.used).toBe('0.5')
    expect(fills(trade('19600'))).toEqual([])
    const fired = fills(trade('19490'))
    expect(fired).toEqual([expect.objectContaining({ price: '19489.99', amount: '0.5', liquidity: 'taker' })]) // bid = 19,490 − 0.01
    expect(fired[0]?.fee).toBe('19.48999') // 0.5 × 19,489.99 = 9,744.995 × 0.002

    const breakout = place({ type: 'stop_limit', side: 'buy', amount: '0.1', stopPrice: '20500', price: '20600' }).order
    expect(breakout?.triggerDirection).toBe('rise')
    expect(bal('USDT')?.used).toBe('2060') // 0.1 × 20,600 limit
    const up = fills(trade('20500'))
    expect(up).toEqual([expect.objectContaining({ price: '20500.01', amount: '0.1', liquidity: 'taker' })]) // marketable once triggered
    expect(bal('USDT')?.used).toBe('0')
  })

  it('expires what an IOC order cannot fill now, and a whole FOK order that cannot fill completely', () => {
    const { engine, trade, place, bal } = setup({ USDT: '200000' })
    trade('20000')
    const fok = place({ type: 'limit', side: 'buy', amount: '5', price: '20000.03', timeInForce: 'FOK' })
    expect(fills(fok.events)).toEqual([]) // only 3 BTC visible up to 20,000.03
    expect(fok.order).toMatchObject({ status: 'expired', statusReason: 'fok', filled: '0' })
    const ioc = place({ type: 'limit', side: 'buy', amount: '5', price: '20000.03', timeInForce: 'IOC' })
    expect(ioc.order).toMatchObject({ status: 'expired', statusReason: 'ioc', filled: '3' })
    expect(bal('USDT')?.used).toBe('0')
    expect(engine.openOrders('a')).toEqual([])
  })

  it('rests a post-only order that would not take', () => {
    const { trade, place } = setup({ USDT: '1000' })
    trade('20000')
    expect(place({ type: 'limit', side: 'buy', amount: '0.01', price: '20000', postOnly: true }).order).toMatchObject({ status: 'open', queueAhead: '0' }) // inside the spread: first in line
  })

  it('amends a resting order: a smaller amount keeps its place, a new price queues again or takes', () => {
    const { run, trade, place, bal } = setup({ USDT: '100000' })
    trade('20000')
    const placed = place({ type: 'limit', side: 'buy', amount: '0.5', price: '19999.99' }).order
    const id = placed?.id as string
    const smaller = run({ type: 'amendOrder', accountId: 'a', id, amount: '0.4' }).order
    expect(smaller).toMatchObject({ amount: '0.4', queueAhead: '1', rank: placed?.rank }) // same price, less: priority kept
    expect(bal('USDT')?.used).toBe('7999.996') // 0.4 × 19,999.99
    const moved = run({ type: 'amendOrder', accountId: 'a', id, price: '19999.98' }).order
    expect(moved?.rank).toBeGreaterThan(placed?.rank as number) // a new price goes to the back of its level
    expect(bal('USDT')?.used).toBe('7999.992') // 0.4 × 19,999.98
    const taking = run({ type: 'amendOrder', accountId: 'a', id, price: '20000.01' })
    expect(fills(taking.events)).toEqual([expect.objectContaining({ amount: '0.4', price: '20000.01', liquidity: 'taker' })])
    expect(bal('USDT')).toEqual({ free: '91999.996', used: '0', total: '91999.996' }) // 100,000 − 0.4 × 20,000.01
  })

  it('derives depth from recent traded volume', () => {
    const deep = { ...spot, book: { ...spot.book, depthShare: 0.1, minLevelNotional: '1' } }
    const engine = createDemoEngine({ seed: 'depth', markets: [deep] })
    engine.execute({ type: 'createAccount', accountId: 'a', kind: 'spot', balances: { USDT: '1000000' }, time: T0 })
    // 150 BTC traded in the last minute of a 15-minute window: 10 BTC a minute, one level = 10 × 0.1 = 1 BTC.
    engine.update({ symbol: 'BTC/USDT', price: '20000', amount: '150', time: T0 + 1_000 })
    const r = engine.execute({ type: 'placeOrder', order: { accountId: 'a', symbol: 'BTC/USDT', type: 'market', side: 'buy', amount: '5' }, time: T0 + 2_000 })
    expect(fills(r.events).map((f) => f.amount)).toEqual(['1', '1', '1'])
    // Another 300 BTC in the same minute: 450 / 15 = 30 a minute, 3 BTC a level, the remaining 2 BTC fill at once.
    const more = engine.update({ symbol: 'BTC/USDT', price: '20000', amount: '300', time: T0 + 3_000 })
    expect(fills(more).map((f) => f.amount)).toEqual(['2'])
  })
})
