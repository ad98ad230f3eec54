import { describe, expect, it } from 'vitest'
import { createDemoEngine, DemoRejection, type DemoCommand, type DemoMarketDef, type DemoRejectReason, type PlaceOrderInput } from './index.js'
import markets from './fixtures/markets.json' with { type: 'json' }

const spot = markets.spot as DemoMarketDef
const ethSpot: DemoMarketDef = { ...spot, symbol: 'ETH/USDT', base: 'ETH', lotSize: '0.001', minAmount: '0.01' }
const btc = markets.btcPerp as DemoMarketDef
const eth = markets.ethPerp as DemoMarketDef
const BTC = 'BTC/USDT:USDT'
const ETH = 'ETH/USDT:USDT'
const T0 = 1_699_200_000_000

type Cmd = DemoCommand extends infer C ? (C extends DemoCommand ? Omit<C, 'time'> : never) : never

/**
 * s: spot, 1,000 USDT + 0.01 BTC, a buy 0.01 @ 19,000 (190 held, client id dup-1) and a post-only buy
 *    0.001 @ 19,500 (19.5 held): 790.5 USDT free.
 * f: futures one-way, 1,000 USDT, long 0.01 BTC, a buy 0.01 ETH @ 900 open.
 * g: futures one-way, 1,000 USDT, leverage 125 on BTC, nothing open.
 * h: futures hedge mode, 1,000 USDT, long 0.01 BTC.
 */
const world = () => {
  const engine = createDemoEngine({ seed: 'rejections', markets: [spot, ethSpot, btc, eth] })
  let time = T0
  const run = (cmd: Cmd) => engine.execute({ ...cmd, time: (time += 1_000) } as DemoCommand)
  const order = (accountId: string, o: Omit<PlaceOrderInput, 'accountId'>) => run({ type: 'placeOrder', order: { accountId, ...o } })
  run({ type: 'createAccount', accountId: 's', kind: 'spot', balances: { USDT: '1000', BTC: '0.01' } })
  for (const id of ['f', 'g']) run({ type: 'createAccount', accountId: id, kind: 'futures', balances: { USDT: '1000' } })
  run({ type: 'createAccount', accountId: 'h', kind: 'futures', balances: { USDT: '1000' }, hedged: true })
  run({ type: 'setLeverage', accountId: 'g', symbol: BTC, leverage: 125 })
  engine.update({ symbol: 'BTC/USDT', price: '20000', time: (time += 1_000) })
  engine.update({ symbol: BTC, price: '20000', time: (time += 1_000) })
  engine.update({ symbol: ETH, price: '1000', time: (time += 1_000) })
  order('s', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '19000', clientOrderId: 'dup-1' })
  order('s', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '19500', postOnly: true, clientOrderId: 'po' })
  order('f', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '20000' })
  order('h', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '20000', positionSide: 'long' })
  engine.update({ symbol: BTC, price: '19990', time: (time += 1_000) }) // fills both BTC buys
  order('f', { symbol: ETH, type: 'limit', side: 'buy', amount: '0.01', price: '900' })
  return { engine, now: () => time }
}

const place = (accountId: string, o: Omit<PlaceOrderInput, 'accountId'>): Cmd => ({ type: 'placeOrder', order: { accountId, ...o } })
const sBtc = (o: Omit<PlaceOrderInput, 'accountId' | 'symbol'>) => place('s', { symbol: 'BTC/USDT', ...o })

const cases: [string, Cmd, DemoRejectReason, string, RegExp][] = [
  ['a spot buy beyond the free quote', sBtc({ type: 'limit', side: 'buy', amount: '0.05', price: '19000' }), 'INSUFFICIENT_FUNDS', 'InsufficientFunds', /insufficient balance/], // 950 > 790.5
  ['a spot sell beyond the free base', sBtc({ type: 'limit', side: 'sell', amount: '0.02', price: '21000' }), 'INSUFFICIENT_FUNDS', 'InsufficientFunds', /insufficient balance/],
  ['a spot market buy beyond the free quote at the protection price', sBtc({ type: 'market', side: 'buy', amount: '0.04' }), 'INSUFFICIENT_FUNDS', 'InsufficientFunds', /insufficient/], // 0.04 × 21,000 = 840 > 790.5
  ['a futures order beyond the available margin', place('f', { symbol: BTC, type: 'limit', side: 'buy', amount: '2', price: '19000' }), 'INSUFFICIENT_FUNDS', 'InsufficientFunds', /^Margin is insufficient/], // 2 × 19,000 / 20 = 1,900
  ['a spot order below min notional', sBtc({ type: 'limit', side: 'buy', amount: '0.0002', price: '20000' }), 'MIN_NOTIONAL', 'InvalidOrder', /NOTIONAL/], // 4 < 5
  ['a futures order below min notional', place('g', { symbol: ETH, type: 'limit', side: 'buy', amount: '0.004', price: '1000' }), 'MIN_NOTIONAL', 'InvalidOrder', /no smaller than 5/],
  ['a price off the tick grid', sBtc({ type: 'limit', side: 'buy', amount: '0.001', price: '19000.005' }), 'PRICE_FILTER', 'InvalidOrder', /PRICE_FILTER.*19000\.005.*0\.01/],
  ['a stop price off the tick grid', sBtc({ type: 'stop_market', side: 'sell', amount: '0.001', stopPrice: '19000.001' }), 'PRICE_FILTER', 'InvalidOrder', /stopPrice/],
  ['an amount off the lot grid', sBtc({ type: 'limit', side: 'buy', amount: '0.00015', price: '19000' }), 'LOT_SIZE', 'InvalidOrder', /LOT_SIZE.*step size 0\.0001/],
  ['an amount below the minimum', place('s', { symbol: 'ETH/USDT', type: 'limit', side: 'buy', amount: '0.005', price: '3000' }), 'MIN_AMOUNT', 'InvalidOrder', /below the minimum 0\.01/],
  ['leverage above the market maximum', { type: 'setLeverage', accountId: 'g', symbol: BTC, leverage: 126 }, 'LEVERAGE_OVER_LIMIT', 'InvalidOrder', /Leverage 126 is not valid/],
  ['leverage zero', { type: 'setLeverage', accountId: 'g', symbol: BTC, leverage: 0 }, 'LEVERAGE_OVER_LIMIT', 'InvalidOrder', /not valid/],
  ['a position beyond the bracket of its leverage', place('g', { symbol: BTC, type: 'limit', side: 'buy', amount: '3', price: '19000' }), 'LEVERAGE_OVER_LIMIT', 'InvalidOrder', /maximum allowable position/], // 57,000 ≥ 50,000: bracket 2 allows 100x
  ['reduce-only without a position', place('g', { symbol: BTC, type: 'limit', side: 'sell', amount: '0.01', price: '21000', reduceOnly: true }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly Order is rejected/],
  ['reduce-only on the side of the position', place('f', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '19000', reduceOnly: true }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly/],
  ['reduce-only larger than the position', place('f', { symbol: BTC, type: 'limit', side: 'sell', amount: '0.02', price: '21000', reduceOnly: true }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly/],
  ['hedge mode: reduce-only that opens', place('h', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '19000', positionSide: 'long', reduceOnly: true }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly/],
  ['hedge mode: closing more than the position', place('h', { symbol: BTC, type: 'limit', side: 'sell', amount: '0.02', price: '21000', positionSide: 'long' }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly/],
  ['hedge mode: closing a position that does not exist', place('h', { symbol: BTC, type: 'market', side: 'buy', amount: '0.01', positionSide: 'short' }), 'REDUCE_ONLY_WOULD_INCREASE', 'InvalidOrder', /ReduceOnly/],
  ['a spot post-only at the ask', sBtc({ type: 'limit', side: 'buy', amount: '0.001', price: '20000.01', postOnly: true }), 'POST_ONLY_WOULD_TAKE', 'InvalidOrder', /would immediately match and take/],
  ['a futures post-only at the bid', place('g', { symbol: BTC, type: 'limit', side: 'sell', amount: '0.01', price: '19989.9', postOnly: true }), 'POST_ONLY_WOULD_TAKE', 'InvalidOrder', /Post Only order will be rejected/],
  ['a stop at the last price', sBtc({ type: 'stop_market', side: 'sell', amount: '0.001', stopPrice: '20000' }), 'WOULD_TRIGGER_IMMEDIATELY', 'InvalidOrder', /immediately trigger/],
  ['a market order before the first price', place('s', { symbol: 'ETH/USDT', type: 'market', side: 'sell', amount: '0.01' }), 'NO_PRICE', 'InvalidOrder', /No price for ETH\/USDT/],
  ['a client order id already open', sBtc({ type: 'limit', side: 'buy', amount: '0.001', price: '18000', clientOrderId: 'dup-1' }), 'DUPLICATE_CLIENT_ORDER_ID', 'InvalidOrder', /Duplicate order sent/],
  ['a position side in one-way mode', place('f', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '19000', positionSide: 'long' }), 'POSITION_SIDE_MISMATCH', 'InvalidOrder', /position side does not match/],
  ['no position side in hedge mode', place('h', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.01', price: '19000' }), 'POSITION_SIDE_MISMATCH', 'InvalidOrder', /position side does not match/],
  ['a margin mode change with a position', { type: 'setMarginMode', accountId: 'f', symbol: BTC, marginMode: 'isolated' }, 'MARGIN_MODE_LOCKED', 'BadRequest', /exists position/],
  ['a margin mode change with open orders', { type: 'setMarginMode', accountId: 'f', symbol: ETH, marginMode: 'isolated' }, 'MARGIN_MODE_LOCKED', 'BadRequest', /exists open orders/],
  ['a position mode change with a position', { type: 'setPositionMode', accountId: 'f', hedged: true }, 'POSITION_MODE_LOCKED', 'BadRequest', /exists position/],
  ['cancelling an unknown order', { type: 'cancelOrder', accountId: 's', id: '999' }, 'ORDER_NOT_FOUND', 'OrderNotFound', /Unknown order sent/],
  ['cancelling under the wrong symbol', { type: 'cancelOrder', accountId: 's', symbol: 'ETH/USDT', clientOrderId: 'dup-1' }, 'ORDER_NOT_FOUND', 'OrderNotFound', /Unknown order/],
  ["cancelling another account's order", { type: 'cancelOrder', accountId: 'g', id: '1' }, 'ORDER_NOT_FOUND', 'OrderNotFound', /Unknown order/],
  ['amending an unknown order', { type: 'amendOrder', accountId: 's', id: '999', price: '19000' }, 'ORDER_NOT_FOUND', 'OrderNotFound', /Unknown order/],
  ['amending beyond the free balance', { type: 'amendOrder', accountId: 's', id: '1', amount: '0.06' }, 'INSUFFICIENT_FUNDS', 'InsufficientFunds', /insufficient/], // 1,140 more than the 190 held
  ['amending a post-only order into the ask', { type: 'amendOrder', accountId: 's', id: '2', price: '20000.01' }, 'POST_ONLY_WOULD_TAKE', 'InvalidOrder', /take/],
  ['a futures symbol on a spot account', place('s', { symbol: BTC, type: 'limit', side: 'buy', amount: '0.001', price: '19000' }), 'UNKNOWN_SYMBOL', 'BadSymbol', /Invalid symbol/],
  ['an unknown symbol', place('g', { symbol: 'DOGE/USDT:USDT', type: 'market', side: 'buy', amount: '1' }), 'UNKNOWN_SYMBOL', 'BadSymbol', /Invalid symbol/],
  ['an unknown account', place('nobody', { symbol: BTC, type: 'market', side: 'buy', amount: '1' }), 'UNKNOWN_ACCOUNT', 'BadRequest', /Unknown demo account/],
  ['an account id already taken', { type: 'createAccount', accountId: 's', kind: 'spot' }, 'ACCOUNT_EXISTS', 'BadRequest', /already exists/],
  ['an amount in exponent form', sBtc({ type: 'limit', side: 'buy', amount: '1e-3', price: '19000' }), 'BAD_INPUT', 'BadRequest', /amount must be a positive decimal/],
  ['a negative amount', sBtc({ type: 'market', side: 'sell', amount: '-1' }), 'BAD_INPUT', 'BadRequest', /amount/],
  ['a zero price', sBtc({ type: 'limit', side: 'buy', amount: '0.001', price: '0' }), 'BAD_INPUT', 'BadRequest', /price/],
  ['reduce-only on spot', sBtc({ type: 'limit', side: 'sell', amount: '0.001', price: '21000', reduceOnly: true }), 'NOT_SUPPORTED', 'NotSupported', /spot/],
  ['leverage on a spot account', { type: 'setLeverage', accountId: 's', symbol: 'BTC/USDT', leverage: 2 }, 'NOT_SUPPORTED', 'NotSupported', /futures accounts only/],
  ['a limit order without a price', sBtc({ type: 'limit', side: 'buy', amount: '0.001' }), 'INVALID_ORDER', 'InvalidOrder', /needs a price/],
  ['a market order with a price', sBtc({ type: 'market', side: 'buy', amount: '0.001', price: '19000' }), 'INVALID_ORDER', 'InvalidOrder', /takes no price/],
  ['post-only with IOC', sBtc({ type: 'limit', side: 'buy', amount: '0.001', price: '19000', postOnly: true, timeInForce: 'IOC' }), 'INVALID_ORDER', 'InvalidOrder', /Post-only/],
]

describe('demo engine rejections', () => {
  it.each(cases)('rejects %s and changes nothing', (_name, cmd, reason, errorType, message) => {
    const { engine, now } = world()
    const before = JSON.stringify(engine.snapshot())
    let caught: unknown
    try {
      engine.execute({ ...cmd, time: now() + 60_000 } as DemoCommand)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(DemoRejection)
    expect(caught).toMatchObject({ reason, errorType })
    expect((caught as Error).message).toMatch(message)
    // Nothing held, nothing written, not even the clock moved.
    expect(JSON.stringify(engine.snapshot())).toBe(before)
  })

  it('exempts reduce-only futures orders from the minimum notional, as Binance does', () => {
    const { engine, now } = world()
    let time = now()
    engine.execute({ type: 'placeOrder', order: { accountId: 'g', symbol: ETH, type: 'limit', side: 'buy', amount: '0.01', price: '1000' }, time: ++time })
    engine.update({ symbol: ETH, price: '999', time: ++time })
    // 0.004 × 1,000 = 4 < 5: refused to open, accepted to reduce.
    const small = { accountId: 'g', symbol: ETH, type: 'limit', side: 'sell', amount: '0.004', price: '1000' } as const
    expect(() => engine.execute({ type: 'placeOrder', order: small, time: ++time })).toThrow(/no smaller than 5/)
    expect(engine.execute({ type: 'placeOrder', order: { ...small, reduceOnly: true }, time: ++time }).order?.status).toBe('open')
  })
})
