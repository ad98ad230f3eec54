import { describe, expect, it } from 'vitest'
// eslint-disable-next-line import-x/no-restricted-paths -- the form's messages are checked against the engine's own rejections
import { createDemoEngine, DemoRejection, type DemoMarketDef, type PlaceOrderInput } from '../../../src/demo/engine/index'
import { isMultipleOf } from './decimal-string'
import { checkBalance, checkLeverage, checkOrder, needsPrice, needsStopPrice, orderNotional, suggestAmount, suggestPrice, symbolParts, type OrderDraft } from './demo-order-validation'
import type { DemoAccountKind, DemoMarket } from './demo-parsers'

const spotDef: DemoMarketDef = { symbol: 'BTC/USDT', kind: 'spot', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minNotional: '5' }
const quietDef: DemoMarketDef = { ...spotDef, symbol: 'ETH/USDT', base: 'ETH', lotSize: '0.001' }
const perpDef: DemoMarketDef = { symbol: 'BTC/USDT:USDT', kind: 'linear', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.001', minNotional: '5', maxLeverage: 50 }
const LAST = '20000'

/** The market as GET …/demo/markets describes it; ETH/USDT has not traded yet. */
const marketFor = (def: DemoMarketDef, last: string | null): DemoMarket => ({
  symbol: def.symbol,
  kind: def.kind,
  last,
  mark: null,
  bid: null,
  ask: null,
  tickSize: def.tickSize,
  lotSize: def.lotSize,
  minNotional: def.minNotional,
  maxLeverage: def.maxLeverage ?? null,
  fundingRate: null,
  nextFundingTimeMs: null,
})
const spot = marketFor(spotDef, LAST)
const quiet = marketFor(quietDef, null)
const perp = marketFor(perpDef, LAST)

/**
 * s: spot, plenty of USDT and BTC. f: futures one-way, long 0.01 BTC (so a small reduce-only sell is
 * valid). h: futures in hedge mode, long 0.01 BTC on its long side. Prices: BTC/USDT and BTC/USDT:USDT at 20,000; ETH/USDT has no price yet.
 */
const world = () => {
  const engine = createDemoEngine({ seed: 'web-order-form', markets: [spotDef, quietDef, perpDef] })
  let time = 1_700_000_000_000
  engine.execute({ type: 'createAccount', accountId: 's', kind: 'spot', balances: { USDT: '100000', BTC: '10' }, time: ++time })
  engine.execute({ type: 'createAccount', accountId: 'f', kind: 'futures', balances: { USDT: '100000' }, time: ++time })
  engine.update({ symbol: spotDef.symbol, price: LAST, time: ++time })
  engine.update({ symbol: perpDef.symbol, price: LAST, time: ++time })
  engine.execute({ type: 'placeOrder', order: { accountId: 'f', symbol: perpDef.symbol, type: 'limit', side: 'buy', amount: '0.01', price: LAST }, time: ++time })
  engine.execute({ type: 'createAccount', accountId: 'h', kind: 'futures', balances: { USDT: '100000' }, hedged: true, time: ++time })
  engine.execute({ type: 'placeOrder', order: { accountId: 'h', symbol: perpDef.symbol, type: 'limit', side: 'buy', amount: '0.01', price: LAST, positionSide: 'long' }, time: ++time })
  engine.update({ symbol: perpDef.symbol, price: '19990', time: ++time })
  return { engine, next: () => ++time }
}

/**
 * What the engine says to the draft sent as typed: its rejection message, or undefined when it accepts.
 * `positionSide` is sent when given, whatever the account's mode.
 */
const engineVerdict = (accountKind: DemoAccountKind, draft: OrderDraft, account?: { hedged: boolean; positionSide?: boolean }): string | undefined => {
  const { engine, next } = world()
  const order: PlaceOrderInput = {
    accountId: accountKind === 'spot' ? 's' : account?.hedged === true ? 'h' : 'f',
    ...(account?.positionSide === true ? { positionSide: draft.positionSide } : {}),
    symbol: draft.symbol,
    type: draft.type,
    side: draft.side,
    amount: draft.amount,
    ...(needsPrice(draft.type) && draft.price !== '' ? { price: draft.price } : {}),
    ...(needsStopPrice(draft.type) && draft.stopPrice !== '' ? { stopPrice: draft.stopPrice } : {}),
    ...(needsPrice(draft.type) ? { timeInForce: draft.timeInForce } : {}),
    ...(draft.postOnly ? { postOnly: true } : {}),
    ...(draft.reduceOnly ? { reduceOnly: true } : {}),
  }
  try {
    engine.execute({ type: 'placeOrder', order, time: next() })
    return undefined
  } catch (error) {
    if (error instanceof DemoRejection) return error.message
    throw error
  }
}

const draft = (change: Partial<OrderDraft>): OrderDraft => ({
  symbol: spot.symbol,
  type: 'limit',
  side: 'buy',
  amount: '0.001',
  price: '19000',
  stopPrice: '',
  timeInForce: 'GTC',
  postOnly: false,
  reduceOnly: false,
  positionSide: 'long',
  ...change,
})

type Case = [name: string, market: DemoMarket, kind: DemoAccountKind, draft: OrderDraft]

/** One fault each; the comment is the arithmetic or the rule broken. */
const refusals: Case[] = [
  ['an amount that is not a number', spot, 'spot', draft({ amount: 'abc' })],
  ['a zero amount', spot, 'spot', draft({ amount: '0' })],
  ['an amount in exponent form', spot, 'spot', draft({ amount: '1e-3' })],
  ['an amount off the lot grid', spot, 'spot', draft({ amount: '0.00015' })], // lot 0.0001
  ['a limit price off the tick grid', spot, 'spot', draft({ price: '19000.005' })], // tick 0.01
  ['a stop price off the tick grid', spot, 'spot', draft({ type: 'stop_market', side: 'sell', stopPrice: '19000.001' })],
  ['a negative limit price', spot, 'spot', draft({ price: '-19000' })],
  ['a limit order without a price', spot, 'spot', draft({ price: '' })],
  ['a stop-limit order without a stop price', spot, 'spot', draft({ type: 'stop_limit', side: 'sell', price: '18000', stopPrice: '' })],
  ['a spot order below the minimum value', spot, 'spot', draft({ amount: '0.0002', price: '20000' })], // 0.0002 × 20,000 = 4 < 5
  ['a spot order just below the minimum value', spot, 'spot', draft({ amount: '0.0001', price: '49999.99' })], // 4.999999 < 5
  ['a spot market order below the minimum at the last price', spot, 'spot', draft({ type: 'market', amount: '0.0002', price: '' })], // 0.0002 × 20,000 = 4
  ['a stop order below the minimum at its trigger', spot, 'spot', draft({ type: 'stop_market', side: 'sell', amount: '0.0002', stopPrice: '19000' })], // 3.8
  ['post-only with IOC', spot, 'spot', draft({ postOnly: true, timeInForce: 'IOC' })],
  ['a market order before the first trade', quiet, 'spot', draft({ symbol: quiet.symbol, type: 'market', side: 'sell', amount: '0.01', price: '' })],
  ['a futures order below the minimum value', perp, 'futures', draft({ symbol: perp.symbol, amount: '0.001', price: '4000' })], // 0.001 × 4,000 = 4 < 5
  ['a futures price off the tick grid', perp, 'futures', draft({ symbol: perp.symbol, amount: '0.001', price: '19000.05' })], // tick 0.1
]

const acceptances: Case[] = [
  ['a spot limit buy on the grids', spot, 'spot', draft({ amount: '0.0010', price: '19000.10' })],
  ['a spot market sell', spot, 'spot', draft({ type: 'market', side: 'sell', amount: '0.001', price: '' })],
  ['a spot stop-limit sell', spot, 'spot', draft({ type: 'stop_limit', side: 'sell', amount: '0.001', price: '18999', stopPrice: '19000' })],
  ['a post-only GTC limit below the bid', spot, 'spot', draft({ postOnly: true })],
  ['exactly the minimum value', spot, 'spot', draft({ amount: '0.0005', price: '10000' })], // 0.0005 × 10,000 = 5, not below 5
  ['a reduce-only futures sell below the minimum value (exempt)', perp, 'futures', draft({ symbol: perp.symbol, side: 'sell', amount: '0.001', price: '4000', reduceOnly: true })], // 4 < 5, reduce-only
]

describe('the order form checks', () => {
  it.each(refusals)("refuses %s with the engine's own words", (_name, market, kind, input) => {
    const expected = engineVerdict(kind, input)
    expect(expected).toBeDefined()
    const result = checkOrder(input, market, kind)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(Object.values(result.errors)).toEqual([expected])
  })

  it.each(acceptances)('lets through %s, which the engine accepts too', (_name, market, kind, input) => {
    expect(engineVerdict(kind, input)).toBeUndefined()
    expect(checkOrder(input, market, kind).ok).toBe(true)
  })

  it('puts each problem on its field', () => {
    const result = checkOrder(draft({ type: 'stop_limit', amount: '0.00015', price: '1.005', stopPrice: 'x' }), spot, 'spot')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(Object.keys(result.errors).sort()).toEqual(['amount', 'price', 'stopPrice'])
    expect(result.errors.amount).toMatch(/^Filter failure: LOT_SIZE/)
    expect(result.errors.price).toMatch(/^Filter failure: PRICE_FILTER \(price 1\.005 /)
    expect(result.errors.stopPrice).toBe('stopPrice must be a positive decimal number like "0.001"')
  })

  it('sends normalized decimals and only the fields the order type takes', () => {
    const limit = checkOrder(draft({ amount: ' 0.0010 ', price: '19000.10', postOnly: true }), spot, 'spot')
    expect(limit).toEqual({
      ok: true,
      notional: '19.0001', // 0.001 × 19,000.1
      body: { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '19000.1', timeInForce: 'GTC', postOnly: true },
    })
    const market = checkOrder(draft({ type: 'market', side: 'sell', price: '19000', stopPrice: '1', timeInForce: 'FOK' }), spot, 'spot')
    expect(market).toEqual({ ok: true, notional: '20', body: { symbol: 'BTC/USDT', type: 'market', side: 'sell', amount: '0.001' } }) // 0.001 × 20,000 last
    const stop = checkOrder(draft({ symbol: perp.symbol, type: 'stop_market', side: 'sell', amount: '0.002', price: '5', stopPrice: '19000', reduceOnly: true }), perp, 'futures')
    expect(stop).toEqual({
      ok: true,
      notional: '38', // 0.002 × 19,000 trigger
      body: { symbol: 'BTC/USDT:USDT', type: 'stop_market', side: 'sell', amount: '0.002', stopPrice: '19000', reduceOnly: true },
    })
  })

  it('refuses reduce-only on a spot account as the engine does', () => {
    const input = draft({ side: 'sell', price: '21000', reduceOnly: true })
    const result = checkOrder(input, spot, 'spot')
    expect(result.ok ? undefined : result.errors.order).toBe(engineVerdict('spot', input))
  })

  it('sends the position side in hedge mode only, as the engine requires', () => {
    const sell = draft({ symbol: perp.symbol, side: 'sell', amount: '0.001', price: '21000', positionSide: 'short' }) // opens a short
    const oneWay = checkOrder(sell, perp, 'futures')
    expect(oneWay.ok && oneWay.body.positionSide).toBe(undefined)
    expect(engineVerdict('futures', sell, { hedged: false, positionSide: true })).toBe("Order's position side does not match user's setting.")
    const hedged = checkOrder(sell, perp, 'futures', true)
    expect(hedged.ok && hedged.body).toEqual({ symbol: 'BTC/USDT:USDT', type: 'limit', side: 'sell', amount: '0.001', price: '21000', timeInForce: 'GTC', positionSide: 'short' })
    expect(engineVerdict('futures', sell, { hedged: true })).toBe("Order's position side does not match user's setting.") // hedge mode without a side
    expect(engineVerdict('futures', sell, { hedged: true, positionSide: true })).toBeUndefined()
    const spotOrder = checkOrder(draft({ positionSide: 'short' }), spot, 'spot', true)
    expect(spotOrder.ok && spotOrder.body.positionSide).toBe(undefined)
  })

  it('refuses a reduce-only order that would open a hedge-mode position, with the engine words', () => {
    const opening = draft({ symbol: perp.symbol, side: 'buy', amount: '0.001', price: '19000', reduceOnly: true, positionSide: 'long' }) // a buy grows the long side
    const result = checkOrder(opening, perp, 'futures', true)
    expect(result.ok ? undefined : result.errors.order).toBe(engineVerdict('futures', opening, { hedged: true, positionSide: true }))
    expect(result.ok).toBe(false)
    const closing = draft({ symbol: perp.symbol, side: 'sell', amount: '0.001', price: '21000', reduceOnly: true, positionSide: 'long' }) // a sell shrinks the long 0.01
    expect(checkOrder(closing, perp, 'futures', true).ok).toBe(true)
    expect(engineVerdict('futures', closing, { hedged: true, positionSide: true })).toBeUndefined()
  })

  it('computes the order value exactly', () => {
    expect(orderNotional('0.0003', '0.1')).toBe('0.00003') // floats: 0.00003000000000000000076
    expect(orderNotional('3', null)).toBeNull()
  })
})

describe('rounding suggestions', () => {
  it('rounds an amount down to the lot, or up to one lot when that would be nothing', () => {
    expect(suggestAmount('0.00159', '0.0001')).toBe('0.0015')
    expect(suggestAmount('0.00005', '0.0001')).toBe('0.0001')
    expect(suggestAmount('0.0015', '0.0001')).toBeUndefined() // already fits
    expect(suggestAmount('abc', '0.0001')).toBeUndefined()
  })

  it('rounds a price to the nearest tick', () => {
    expect(suggestPrice('19000.005', '0.01')).toBe('19000.01')
    expect(suggestPrice('19000.004', '0.01')).toBe('19000')
    expect(suggestPrice('0.004', '0.01')).toBe('0.01')
    expect(suggestPrice('101.5', '0.5')).toBeUndefined()
  })

  it('suggests only values that then pass the checks and the engine', () => {
    const amount = suggestAmount('0.00159', spot.lotSize) ?? ''
    const price = suggestPrice('19000.005', spot.tickSize) ?? ''
    expect(isMultipleOf(amount, spot.lotSize) && isMultipleOf(price, spot.tickSize)).toBe(true)
    const input = draft({ amount, price })
    expect(checkOrder(input, spot, 'spot').ok).toBe(true)
    expect(engineVerdict('spot', input)).toBeUndefined()
  })
})

describe('leverage and balances', () => {
  const leverageVerdict = (leverage: number): string | undefined => {
    const { engine, next } = world()
    try {
      engine.execute({ type: 'setLeverage', accountId: 'f', symbol: perpDef.symbol, leverage, time: next() })
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  }

  it("refuses leverage outside 1 to the market's maximum with the engine's words", () => {
    for (const [text, value] of [['51', 51], ['0', 0], ['1.5', 1.5]] as const) {
      const result = checkLeverage(text, perp)
      expect(result.ok ? undefined : result.error, text).toBe(leverageVerdict(value))
    }
    expect(checkLeverage(' 20 ', perp)).toEqual({ ok: true, leverage: 20 })
    expect(leverageVerdict(20)).toBeUndefined()
    expect(checkLeverage('50', perp).ok).toBe(true)
  })

  it('takes a positive decimal balance and normalizes it', () => {
    expect(checkBalance(' 10000.50 ', 'The balance')).toEqual({ ok: true, balance: '10000.5' })
    expect(checkBalance('0', 'The balance')).toEqual({ ok: false, error: 'The balance must be a positive decimal number like "10000".' })
    expect(checkBalance('10k', 'The initial balance').ok).toBe(false)
  })

  it('splits symbols into base and quote', () => {
    expect(symbolParts('BTC/USDT')).toEqual({ base: 'BTC', quote: 'USDT' })
    expect(symbolParts('ETH/USDT:USDT')).toEqual({ base: 'ETH', quote: 'USDT' })
  })
})
