import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  demoAccountView,
  demoBalanceView,
  demoCandleView,
  demoFillView,
  demoMarketView,
  demoOrderView,
  demoPnlView,
  demoPositionModeView,
  demoPositionView,
  demoSymbolSettingsView,
} from '../../../src/demo/demo-types'
import { feedStatusView } from '../../../src/market/market-types'
// eslint-disable-next-line import-x/no-restricted-paths -- reads the order shape the demo venue really produces
import { createDemoEngine, toOrderView, type DemoMarketDef } from '../../../src/demo/engine/index'
import {
  parseCandles,
  parseDemoAccount,
  parseDemoAccounts,
  parseDemoBalance,
  parseDemoFeed,
  parseDemoFills,
  parseDemoMarkets,
  parseDemoOrder,
  parseDemoOrders,
  parseDemoPnl,
  parseDemoPositions,
  parseDemoSettings,
  symbolSettingsOf,
} from './demo-parsers'

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

const spotMarket = {
  symbol: 'BTC/USDT',
  kind: 'spot',
  last: '65000.5',
  mark: null,
  bid: '65000.4',
  ask: '65000.6',
  tickSize: '0.1',
  lotSize: '0.00001',
  minNotional: '5',
  maxLeverage: null,
  fundingRate: null,
  nextFundingTime: null,
}

const perpMarket = {
  ...spotMarket,
  symbol: 'BTC/USDT:USDT',
  kind: 'linear',
  mark: '65001',
  maxLeverage: 125,
  fundingRate: '0.0001',
  nextFundingTime: '2025-03-01T16:00:00.000Z',
}

const account = { id: 'acc1', name: 'Scalping', kind: 'futures', createdAt: '2025-03-01T12:00:00.000Z', resetCount: 2, fees: { maker: '0.0002', taker: '0.0005' } }

const fill = {
  id: 'f1',
  orderId: '7',
  symbol: 'BTC/USDT',
  side: 'buy',
  price: '65000.5',
  amount: '0.01',
  fee: { cost: '0.650005', currency: 'USDT' },
  liquidity: 'taker',
  timestamp: 1_740_830_400_000,
}

const position = {
  symbol: 'BTC/USDT:USDT',
  side: 'short',
  contracts: '0.5',
  entryPrice: '65000',
  markPrice: '64000',
  unrealizedPnl: '500',
  realizedPnl: '-3.2',
  leverage: 20,
  marginMode: 'isolated',
  liquidationPrice: '67890.1',
  roePct: '30.77',
}

describe('the demo feed', () => {
  it('reads each source and state, with times as ISO or milliseconds', () => {
    expect(parseDemoFeed({ source: 'replay', state: 'running', detail: '2021-05', since: '2025-03-01T12:00:00.000Z' })).toEqual({
      source: 'replay',
      state: 'running',
      detail: '2021-05',
      sinceMs: Date.UTC(2025, 2, 1, 12),
    })
    expect(parseDemoFeed({ source: 'live', state: 'unreachable', detail: 'binance did not answer', since: 1_740_830_400_000 }).sinceMs).toBe(1_740_830_400_000)
    expect(parseDemoFeed({ source: 'synthetic', state: 'fallback', detail: null, since: null })).toMatchObject({ detail: '', sinceMs: null })
  })

  it('refuses a source or state it does not know rather than guessing', () => {
    expect(() => parseDemoFeed({ source: 'paper', state: 'running', detail: '', since: null })).toThrow(/"source"/)
    expect(() => parseDemoFeed({ source: 'live', state: 'ok', detail: '', since: null })).toThrow(/"state"/)
    expect(() => parseDemoFeed({ source: 'live', state: 'running', detail: '', since: 'yesterday' })).toThrow(/"since"/)
  })
})

describe('demo markets', () => {
  it('reads spot and perpetual markets, keeping decimals as strings', () => {
    const [spot, perp] = parseDemoMarkets([spotMarket, perpMarket])
    const { nextFundingTime, ...spotRest } = spotMarket
    expect(spot).toEqual({ ...spotRest, nextFundingTimeMs: nextFundingTime })
    expect(perp).toMatchObject({ kind: 'linear', mark: '65001', maxLeverage: 125, fundingRate: '0.0001', nextFundingTimeMs: Date.UTC(2025, 2, 1, 16) })
  })

  it('accepts a market with no trade yet', () => {
    expect(parseDemoMarkets([{ ...spotMarket, last: null, bid: null, ask: null }])[0]).toMatchObject({ last: null, bid: null, ask: null })
  })

  it('refuses filters that are not plain decimal strings, since the order checks rely on them', () => {
    expect(() => parseDemoMarkets([{ ...spotMarket, tickSize: 0.1 }])).toThrow(/"tickSize"/)
    expect(() => parseDemoMarkets([{ ...spotMarket, lotSize: '1e-5' }])).toThrow(/"lotSize"/)
    expect(() => parseDemoMarkets([{ ...spotMarket, minNotional: undefined }])).toThrow(/"minNotional"/)
    expect(() => parseDemoMarkets([{ ...perpMarket, kind: 'inverse' }])).toThrow(/"kind"/)
    expect(() => parseDemoMarkets({ markets: [] })).toThrow(/list/)
  })
})

describe('demo accounts', () => {
  it('reads an account with its fees and reset count', () => {
    expect(parseDemoAccounts([account])).toEqual([
      { id: 'acc1', name: 'Scalping', kind: 'futures', createdAtMs: Date.UTC(2025, 2, 1, 12), resetCount: 2, fees: { maker: '0.0002', taker: '0.0005' } },
    ])
    expect(parseDemoAccount({ ...account, createdAt: 1_740_830_400_000, resetCount: '0' })).toMatchObject({ createdAtMs: 1_740_830_400_000, resetCount: 0 })
  })

  it('refuses an account without fees or of an unknown kind', () => {
    expect(() => parseDemoAccount({ ...account, fees: undefined })).toThrow(/"fees"/)
    expect(() => parseDemoAccount({ ...account, fees: { maker: '0.1%', taker: '0.001' } })).toThrow(/"maker"/)
    expect(() => parseDemoAccount({ ...account, kind: 'margin' })).toThrow(/"kind"/)
    expect(() => parseDemoAccount({ ...account, resetCount: 1.5 })).toThrow(/"resetCount"/)
  })
})

describe('demo balances', () => {
  it('turns the asset map into lines sorted by asset', () => {
    expect(parseDemoBalance({ USDT: { free: '9000', used: '1000', total: '10000' }, BTC: { free: '0.5', used: '0', total: '0.5' } })).toEqual([
      { asset: 'BTC', free: '0.5', used: '0', total: '0.5' },
      { asset: 'USDT', free: '9000', used: '1000', total: '10000' },
    ])
    expect(parseDemoBalance({})).toEqual([])
  })

  it('names the asset whose numbers are wrong', () => {
    expect(() => parseDemoBalance({ ETH: { free: 1, used: '0', total: '1' } })).toThrow(/balance of ETH.*"free"/)
    expect(() => parseDemoBalance([])).toThrow(/object/)
  })
})

describe('demo orders', () => {
  const market: DemoMarketDef = { symbol: 'BTC/USDT', kind: 'spot', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minNotional: '5' }

  it("reads the orders the demo venue produces (the engine's own unified view)", () => {
    const engine = createDemoEngine({ seed: 'parsers', markets: [market] })
    engine.execute({ type: 'createAccount', accountId: 'a', kind: 'spot', balances: { USDT: '1000' }, time: 1_000 })
    engine.update({ symbol: 'BTC/USDT', price: '20000', time: 2_000 })
    const placed = engine.execute({
      type: 'placeOrder',
      order: { accountId: 'a', symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '19000', clientOrderId: 'c-1' },
      time: 3_000,
    }).order
    expect(placed).not.toBeNull()
    if (placed === null) return
    const view = asJson(toOrderView(placed))
    expect(parseDemoOrder(view)).toEqual({
      id: placed.id,
      clientOrderId: 'c-1',
      symbol: 'BTC/USDT',
      type: 'limit',
      side: 'buy',
      status: 'open',
      amount: '0.01',
      filled: '0',
      price: '19000',
      stopPrice: null,
      average: null,
      timestampMs: 3_000,
    })
    expect(parseDemoOrders([view])).toHaveLength(1)
  })

  it("keeps a stop order's trigger when the server sends one, under either ccxt name", () => {
    const stop = { id: '9', clientOrderId: null, symbol: 'BTC/USDT', type: 'stop_market', side: 'sell', status: 'open', amount: '0.01', filled: '0', price: null, average: null, timestamp: 5 }
    expect(parseDemoOrder({ ...stop, stopPrice: '18000' }).stopPrice).toBe('18000')
    expect(parseDemoOrder({ ...stop, triggerPrice: '18000.5' }).stopPrice).toBe('18000.5')
    expect(parseDemoOrder(stop)).toMatchObject({ stopPrice: null, price: null })
    expect(parseDemoOrder({ ...stop, amount: null, filled: null, timestamp: null })).toMatchObject({ amount: null, filled: null, timestampMs: null })
  })

  it('refuses an order with an unknown side or a number for an amount', () => {
    const order = { id: '1', clientOrderId: null, symbol: 'BTC/USDT', type: 'limit', side: 'buy', status: 'open', amount: '1', filled: '0', price: '1', average: null, timestamp: 1 }
    expect(() => parseDemoOrder({ ...order, side: 'long' })).toThrow(/"side"/)
    expect(() => parseDemoOrder({ ...order, amount: 1 })).toThrow(/"amount"/)
  })
})

describe('demo fills, positions, candles and PnL', () => {
  it('reads fills with their fee and liquidity', () => {
    const { timestamp, ...rest } = fill
    expect(parseDemoFills([fill])).toEqual([{ ...rest, timestampMs: timestamp }])
    expect(() => parseDemoFills([{ ...fill, liquidity: 'both' }])).toThrow(/"liquidity"/)
    expect(() => parseDemoFills([{ ...fill, fee: { cost: '1', currency: 3 } }])).toThrow(/"currency"/)
  })

  it('reads positions, leverage as a number or a numeric string, liquidation price possibly absent', () => {
    expect(parseDemoPositions([position])).toEqual([{ ...position }])
    expect(parseDemoPositions([{ ...position, leverage: '10', liquidationPrice: null }])[0]).toMatchObject({ leverage: 10, liquidationPrice: null })
    expect(() => parseDemoPositions([{ ...position, side: 'both' }])).toThrow(/"side"/)
    expect(() => parseDemoPositions([{ ...position, marginMode: 'portfolio' }])).toThrow(/"marginMode"/)
    expect(() => parseDemoPositions([{ ...position, leverage: '10x' }])).toThrow(/"leverage"/)
  })

  it('reads the position mode and per-symbol settings, and finds one symbol among them', () => {
    const settings = { hedged: true, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'isolated' }, { symbol: 'ETH/USDT:USDT', leverage: 20, marginMode: 'cross' }] }
    const parsed = parseDemoSettings(settings)
    expect(parsed).toEqual(settings)
    expect(symbolSettingsOf(parsed, 'ETH/USDT:USDT')).toEqual({ symbol: 'ETH/USDT:USDT', leverage: 20, marginMode: 'cross' })
    expect(symbolSettingsOf(parsed, 'BTC/USDT')).toBeUndefined()
    expect(symbolSettingsOf(undefined, 'BTC/USDT:USDT')).toBeUndefined()
    expect(parseDemoSettings({ hedged: false, symbols: [] })).toEqual({ hedged: false, symbols: [] })
    expect(() => parseDemoSettings({ hedged: 'yes', symbols: [] })).toThrow(/"hedged"/)
    expect(() => parseDemoSettings({ ...settings, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 10, marginMode: 'portfolio' }] })).toThrow(/"marginMode"/)
    expect(() => parseDemoSettings({ hedged: false })).toThrow(/"symbols"/)
  })

  it('reads candles with decimal strings or plain numbers', () => {
    expect(parseCandles([{ time: 1_740_830_400_000, open: '1', high: '2.5', low: '0.5', close: '2', volume: '10.25' }])).toEqual([
      { timeMs: 1_740_830_400_000, open: '1', high: '2.5', low: '0.5', close: '2', volume: '10.25' },
    ])
    expect(parseCandles([{ time: 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 0 }])[0]).toMatchObject({ open: '1', close: '1.5', volume: '0' })
    expect(() => parseCandles([{ time: 60_000, open: '1', high: '2', low: '0.5', close: null, volume: '1' }])).toThrow(/"close"/)
  })

  it('reads the PnL summary', () => {
    const pnl = { equity: '10123.45', realizedPnl: '150', unrealizedPnl: '-26.55', fees: '12.3', funding: '-0.4' }
    expect(parseDemoPnl(pnl)).toEqual(pnl)
    expect(() => parseDemoPnl({ ...pnl, funding: undefined })).toThrow(/"funding"/)
  })
})

describe("the server's own response schemas", () => {
  /** The sample is one the server may send (its zod view accepts it unchanged), and the page reads it. */
  const served = <T,>(schema: z.ZodType, sample: unknown, parse: (body: unknown) => T): T => {
    expect(schema.parse(sample)).toEqual(sample)
    return parse(asJson(sample))
  }

  it('reads every view the demo routes declare', () => {
    expect(served(feedStatusView, { source: 'live', state: 'fallback', detail: 'replaying 2021-05', since: 1_740_830_400_000 }, parseDemoFeed).sinceMs).toBe(1_740_830_400_000)
    const nextFunding = { ...perpMarket, nextFundingTime: 1_740_844_800_000 }
    expect(served(demoMarketView, nextFunding, (body) => parseDemoMarkets([body]))[0]?.nextFundingTimeMs).toBe(1_740_844_800_000)
    expect(served(demoAccountView, account, parseDemoAccount).name).toBe('Scalping')
    expect(served(demoBalanceView, { USDT: { free: '1', used: '0', total: '1' } }, parseDemoBalance)).toHaveLength(1)
    const stop = { id: '3', clientOrderId: null, symbol: 'BTC/USDT', type: 'stop_market', side: 'sell', status: 'open', amount: '0.01', filled: '0', price: null, stopPrice: '60000', average: null, timestamp: 1_740_830_400_000 }
    expect(served(demoOrderView, stop, parseDemoOrder).stopPrice).toBe('60000')
    expect(served(demoFillView, fill, (body) => parseDemoFills([body]))).toHaveLength(1)
    expect(served(demoPositionView, position, (body) => parseDemoPositions([body]))[0]?.leverage).toBe(20)
    expect(served(demoPositionView, { ...position, markPrice: null, liquidationPrice: null }, (body) => parseDemoPositions([body]))[0]?.markPrice).toBeNull()
    expect(served(demoCandleView, { time: 60_000, open: '1', high: '2', low: '0.5', close: '1.5', volume: '7' }, (body) => parseCandles([body]))).toHaveLength(1)
    // The route's view (src/api/routes/demo-routes.ts) is built from these two.
    const settingsView = demoPositionModeView.extend({ symbols: demoSymbolSettingsView.array() })
    expect(served(settingsView, { hedged: true, symbols: [{ symbol: 'BTC/USDT:USDT', leverage: 5, marginMode: 'cross' }] }, parseDemoSettings).symbols[0]?.leverage).toBe(5)
    expect(served(demoPnlView, { equity: '1', realizedPnl: '-1', unrealizedPnl: '0', fees: '0.1', funding: '0' }, parseDemoPnl).realizedPnl).toBe('-1')
  })
})
