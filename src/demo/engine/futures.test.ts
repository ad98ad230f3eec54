import { describe, expect, it } from 'vitest'
import { Decimal } from '../../lib/decimal.js'
import { createDemoEngine, type DemoCommand, type DemoEvent, type DemoFill, type DemoMarketDef, type PlaceOrderInput } from './index.js'
import markets from './fixtures/markets.json' with { type: 'json' }

// BTC/USDT:USDT and ETH/USDT:USDT linear perpetuals (fixtures/markets.json): no jitter, ask = last + one
// tick, levels of 1,000,000 USDT; liquidation fee 0.5%; default brackets (first: notional < 50,000,
// MMR 0.4%, maintenance amount 0, up to 125x). Fees here: maker 0.02%, taker 0.05%.
const btc = markets.btcPerp as DemoMarketDef
const eth = markets.ethPerp as DemoMarketDef
const BTC = 'BTC/USDT:USDT'
const ETH = 'ETH/USDT:USDT'
/** A funding time (a multiple of 8 h since the epoch). */
const T0 = 28_800_000 * 59_000

type Cmd = DemoCommand extends infer C ? (C extends DemoCommand ? Omit<C, 'time'> : never) : never

const setup = () => {
  const engine = createDemoEngine({ seed: 'futures-scenarios', markets: [btc, eth] })
  let time = T0 + 60_000
  const run = (cmd: Cmd) => engine.execute({ ...cmd, time } as DemoCommand)
  const account = (accountId: string, wallet: string, extra: Partial<{ hedged: boolean }> = {}) =>
    run({ type: 'createAccount', accountId, kind: 'futures', balances: { USDT: wallet }, makerFeeRate: '0.0002', takerFeeRate: '0.0005', ...extra })
  const trade = (symbol: string, price: string, at?: number): readonly DemoEvent[] => {
    time = at ?? time + 1_000
    return engine.update({ symbol, price, time })
  }
  const place = (accountId: string, order: Omit<PlaceOrderInput, 'accountId'>) => run({ type: 'placeOrder', order: { accountId, ...order } })
  /** A limit order filled as maker by a trade through its price. */
  const openAt = (accountId: string, symbol: string, side: 'buy' | 'sell', amount: string, price: string, through: string, extra: Partial<PlaceOrderInput> = {}) => {
    place(accountId, { symbol, type: 'limit', side, amount, price, ...extra })
    return trade(symbol, through)
  }
  const position = (accountId: string, symbol: string, side: 'both' | 'long' | 'short' = 'both') => engine.positions(accountId).find((p) => p.symbol === symbol && p.positionSide === side)
  const wallet = (accountId: string) => engine.snapshot().accounts.find((a) => a.accountId === accountId)?.walletBalance
  return { engine, run, account, trade, place, openAt, position, wallet, now: () => time }
}

const fills = (events: readonly DemoEvent[]): DemoFill[] => events.flatMap((e) => (e.type === 'fill' ? [e.fill] : []))
const ofType = <T extends DemoEvent['type']>(events: readonly DemoEvent[], type: T) => events.filter((e): e is Extract<DemoEvent, { type: T }> => e.type === type)

describe('demo futures engine', () => {
  it('averages the entry price, realizes PnL on a close and reports ROE', () => {
    const { run, account, trade, openAt, position, wallet } = setup()
    account('a', '10000')
    run({ type: 'setLeverage', accountId: 'a', symbol: BTC, leverage: 10 })
    trade(BTC, '20000')
    const first = fills(openAt('a', BTC, 'buy', '1', '20000', '19990'))
    expect(first).toEqual([expect.objectContaining({ price: '20000', liquidity: 'maker', fee: '4', realizedPnl: '0' })]) // 20,000 × 0.0002
    openAt('a', BTC, 'buy', '1', '19000', '18990') // fee 19,000 × 0.0002 = 3.8
    trade(BTC, '19800')
    expect(position('a', BTC)).toMatchObject({
      side: 'long',
      contracts: '2',
      entryPrice: '19500', // (1 × 20,000 + 1 × 19,000) / 2
      unrealizedPnl: '600', // 2 × (19,800 − 19,500)
      notional: '39600', // 2 × 19,800
      initialMargin: '3960', // 39,600 / 10
      maintenanceMargin: '158.4', // 39,600 × 0.004 − 0
      percentage: '15.3846', // ROE: 600 / (2 × 19,500 / 10 = 3,900) = 15.3846 %
    })
    const close = fills(openAt('a', BTC, 'sell', '1', '20500', '20510'))
    expect(close).toEqual([expect.objectContaining({ price: '20500', realizedPnl: '1000', fee: '4.1' })]) // 1 × (20,500 − 19,500); 20,500 × 0.0002
    expect(position('a', BTC)).toMatchObject({ contracts: '1', entryPrice: '19500', realizedPnl: '1000' })
    expect(wallet('a')).toBe('10988.1') // 10,000 − 4 − 3.8 + 1,000 − 4.1
  })

  it('flips a one-way position through zero: closes at a profit, opens the rest the other way', () => {
    const { account, trade, openAt, position } = setup()
    account('a', '10000')
    trade(BTC, '20000')
    openAt('a', BTC, 'buy', '0.1', '20000', '19990')
    const flip = fills(openAt('a', BTC, 'sell', '0.3', '21000', '21010'))
    expect(flip[0]?.realizedPnl).toBe('100') // 0.1 × (21,000 − 20,000)
    expect(position('a', BTC)).toMatchObject({ side: 'short', contracts: '0.2', entryPrice: '21000', realizedPnl: '0' })
  })

  it('puts the isolated liquidation price at the formula and liquidates at mark with the fee', () => {
    const { run, account, trade, openAt, position, wallet } = setup()
    account('a', '10000')
    run({ type: 'setMarginMode', accountId: 'a', symbol: BTC, marginMode: 'isolated' })
    run({ type: 'setLeverage', accountId: 'a', symbol: BTC, leverage: 20 })
    trade(BTC, '20000')
    openAt('a', BTC, 'buy', '1', '20000', '19990') // isolated margin 20,000 / 20 = 1,000; fee 4
    // LP = (WB + cum − side·Q·EP) / (Q·MMR − side·Q), WB = isolated margin, long side = 1
    //    = (1,000 + 0 − 20,000) / (1 × 0.004 − 1) = −19,000 / −0.996 = 19,076.3052208835…
    const formula = new Decimal(1000).plus(0).minus(new Decimal(1).mul(20000)).div(new Decimal(1).mul('0.004').minus(1))
    const p = position('a', BTC)
    expect(p?.isolatedMargin).toBe('1000')
    expect(p?.liquidationPrice).toBe(formula.toDecimalPlaces(9).toFixed()) // prices keep 8 decimals beyond the 0.1 tick
    expect(trade(BTC, '19076.4').filter((e) => e.type === 'liquidation')).toEqual([]) // above LP
    const liq = trade(BTC, '19076.3')
    expect(ofType(liq, 'liquidation')).toEqual([
      expect.objectContaining({
        marginMode: 'isolated',
        contracts: '1',
        markPrice: '19076.3',
        realizedPnl: '-923.7', // 1 × (19,076.3 − 20,000)
        fee: '95.3815', // 19,076.3 × 0.005
        lossCovered: '19.0815', // 1,000 − 923.7 − 95.3815 = −19.0815: beyond the margin, absorbed
      }),
    ])
    expect(position('a', BTC)).toBeUndefined()
    expect(wallet('a')).toBe('8996') // 10,000 − 4 fee − the whole 1,000 margin
  })

  it('puts the cross liquidation price at the formula, other positions included, and liquidates the account', () => {
    const { run, account, trade, openAt, position, wallet } = setup()
    account('a', '1000')
    for (const symbol of [BTC, ETH]) run({ type: 'setLeverage', accountId: 'a', symbol, leverage: 50 }) // cross is the default
    trade(BTC, '20000')
    trade(ETH, '1000')
    openAt('a', BTC, 'buy', '1', '20000', '19990') // initial margin 20,000 / 50 = 400; fee 4
    // Alone: LP = (WB + cum − Q·EP) / (Q·MMR − Q) = (996 + 0 − 20,000) / (0.004 − 1) = 19,080.3212851405…
    const alone = new Decimal(996).minus(20000).div(new Decimal('0.004').minus(1))
    expect(position('a', BTC)?.liquidationPrice).toBe(alone.toDecimalPlaces(9).toFixed())

    openAt('a', ETH, 'sell', '10', '1000', '1010') // short 10 ETH at 1,000, fee 10,000 × 0.0002 = 2
    // ETH marks 1,010: UPNL₁ = 10 × (1,000 − 1,010) = −100, TMM₁ = 10 × 1,010 × 0.004 = 40.4, WB = 1,000 − 4 − 2 = 994
    // LP = (WB − TMM₁ + UPNL₁ + cum − Q·EP) / (Q·MMR − Q) = (994 − 40.4 − 100 − 20,000) / −0.996 = 19,223.2931726907…
    const withEth = new Decimal(994).minus('40.4').plus(-100).plus(0).minus(20000).div(new Decimal('0.004').minus(1))
    expect(position('a', BTC)?.liquidationPrice).toBe(withEth.toDecimalPlaces(9).toFixed())

    // At 19,223.3: equity 994 − 776.7 − 100 = 117.3 > MM 76.8932 + 40.4 = 117.2932: still open.
    expect(ofType(trade(BTC, '19223.3'), 'liquidation')).toEqual([])
    // At 19,223.2: equity 117.2 ≤ MM 117.2928: every cross position goes.
    const liq = ofType(trade(BTC, '19223.2'), 'liquidation')
    expect(liq.map((e) => [e.symbol, e.realizedPnl, e.fee, e.lossCovered])).toEqual([
      [BTC, '-776.8', '96.116', '0'], // 19,223.2 × 0.005
      [ETH, '-100', '50.5', '29.416'], // 10 × 1,010 × 0.005; 994 − 776.8 − 96.116 − 100 − 50.5 = −29.416 absorbed
    ])
    expect(wallet('a')).toBe('0')
  })

  it('pays funding at the mark in force at each funding time: longs pay shorts when the rate is positive', () => {
    const { run, account, trade, openAt, wallet, position } = setup()
    account('long', '10000')
    account('short', '10000')
    run({ type: 'setMarginMode', accountId: 'short', symbol: BTC, marginMode: 'isolated' })
    trade(BTC, '20000')
    openAt('long', BTC, 'buy', '1', '20000', '19990') // fee 4
    openAt('short', BTC, 'sell', '2', '20000', '20010') // fee 8; isolated margin 2 × 20,000 / 20 = 2,000
    trade(BTC, '20100')
    const next = T0 + 28_800_000
    const paid = ofType(trade(BTC, '20200', next + 1_000), 'funding')
    expect(paid.map((e) => [e.accountId, e.markPrice, e.amount, e.fundingTime])).toEqual([
      ['long', '20100', '-2.01', next], // 1 × 20,100 × 0.0001, paid
      ['short', '20100', '4.02', next], // 2 × 20,100 × 0.0001, received
    ])
    expect(wallet('long')).toBe('9993.99') // 10,000 − 4 − 2.01
    expect(wallet('short')).toBe('9996.02') // 10,000 − 8 + 4.02
    expect(position('short', BTC)?.isolatedMargin).toBe('2004.02') // funding goes to the isolated margin

    run({ type: 'setFundingRate', symbol: BTC, rate: '-0.0002' })
    const back = ofType(trade(BTC, '20200', next + 28_800_000), 'funding')
    expect(back.map((e) => e.amount)).toEqual(['4.04', '-8.08']) // 20,200 × 0.0002: now shorts pay longs
  })

  it('keeps long and short apart in hedge mode and closes only what a position holds', () => {
    const { account, trade, openAt, place, position, engine } = setup()
    account('h', '10000', { hedged: true })
    trade(BTC, '20000')
    openAt('h', BTC, 'buy', '1', '20000', '19990', { positionSide: 'long' })
    openAt('h', BTC, 'sell', '0.5', '20000', '20010', { positionSide: 'short' })
    expect(engine.positions('h').map((p) => [p.positionSide, p.side, p.contracts])).toEqual([
      ['long', 'long', '1'],
      ['short', 'short', '0.5'],
    ])
    const close = place('h', { symbol: BTC, type: 'market', side: 'buy', amount: '0.5', positionSide: 'short' })
    expect(fills(close.events)[0]?.realizedPnl).toBe('-5.05') // short: 0.5 × (20,000 entry − 20,010.1 ask)
    expect(position('h', BTC, 'short')).toBeUndefined()
    expect(position('h', BTC, 'long')?.contracts).toBe('1')
  })

  it('expires a reduce-only order once the position it would reduce is gone', () => {
    const { account, trade, openAt, place, engine } = setup()
    account('a', '10000')
    trade(BTC, '20000')
    openAt('a', BTC, 'buy', '1', '20000', '19990')
    const tp = place('a', { symbol: BTC, type: 'limit', side: 'sell', amount: '1', price: '21000', reduceOnly: true }).order
    const sl = place('a', { symbol: BTC, type: 'stop_market', side: 'sell', amount: '1', stopPrice: '19000', reduceOnly: true }).order
    expect([tp?.reserved, sl?.reserved]).toEqual(['0', '0']) // reducing orders hold no margin
    trade(BTC, '21010') // the take-profit fills, the position is flat
    const events = trade(BTC, '18990') // the stop fires with nothing to reduce
    expect(events.flatMap((e) => (e.type === 'order' ? [e.order] : []))).toEqual([expect.objectContaining({ id: sl?.id, status: 'expired', statusReason: 'reduce_only', filled: '0' })])
    expect(engine.positions('a')).toEqual([])
  })
})
