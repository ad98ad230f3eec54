import { describe, expect, it } from 'vitest'
import type { BotView } from '../../api/trading/queries'
import { accountText, botCommandsFor, mayTradeOn, orderStateText, orderStateTone, signalSourceText, smartTradeHeadline, stopPlacementFor, tradingAccountOption } from './trading-format'

const bot = (patch: Partial<BotView>): BotView => ({
  id: 'b1',
  kind: 'signal_bot',
  name: 'Bot',
  account: { kind: 'demo', id: 'a1', label: 'Paper' },
  status: 'draft',
  statusReason: null,
  config: {},
  live: {},
  pnl: { realized: '0', unrealized: '0', fees: '0', currency: 'USDT' },
  createdAt: '2025-01-01T00:00:00.000Z',
  startedAt: null,
  promotedAt: null,
  ...patch,
})

describe('trading words', () => {
  it('offers only the commands that make sense in each status', () => {
    expect(botCommandsFor('draft')).toEqual({ canStart: true, canPause: false, canStop: false })
    expect(botCommandsFor('running')).toEqual({ canStart: false, canPause: true, canStop: true })
    expect(botCommandsFor('paused')).toEqual({ canStart: true, canPause: false, canStop: true })
    expect(botCommandsFor('finished')).toEqual({ canStart: false, canPause: false, canStop: false })
  })

  it('names accounts so demo and real money are never confused', () => {
    expect(accountText({ kind: 'demo', label: 'Paper' })).toBe('Paper (demo)')
    expect(accountText({ kind: 'exchange', label: 'Main' })).toBe('Main (real account)')
    expect(tradingAccountOption({ kind: 'exchange', id: 'x', label: 'Main', venue: 'binance', market: 'linear', stopsOnExchange: true, canTrade: false })).toBe(
      'Main — binance futures (cannot trade: key not active)',
    )
    expect(tradingAccountOption({ kind: 'demo', id: 'd', label: 'Paper', venue: 'demo-spot', market: 'spot', stopsOnExchange: true, canTrade: true })).toBe('Paper — Demo spot')
  })

  it('offers a trader limited to granted accounts only those (teams), and says why not the others', () => {
    const main = { kind: 'exchange' as const, id: 'x', label: 'Main', venue: 'binance', market: 'spot' as const, stopsOnExchange: true, canTrade: true }
    expect(mayTradeOn(main)).toBe(true) // a server without teams sends no `tradable`
    expect(mayTradeOn({ ...main, tradable: true })).toBe(true)
    expect(mayTradeOn({ ...main, tradable: false })).toBe(false)
    expect(mayTradeOn({ ...main, canTrade: false, tradable: true })).toBe(false)
    expect(tradingAccountOption({ ...main, tradable: false })).toBe('Main — binance spot (not granted to you)')
  })

  it('summarizes a bot from its config, and copes with one it cannot read', () => {
    const webhookConfig = {
      symbols: ['BTC/USDT'],
      sizing: { kind: 'base', amount: '0.01' },
      source: { kind: 'indicator', indicator: { type: 'ema_cross', fast: 9, slow: 21 }, timeframe: '1h' },
    }
    expect(signalSourceText(bot({ config: webhookConfig }))).toBe('EMA cross on 1h')
    expect(signalSourceText(bot({ config: { nonsense: true } }))).toBe('—')
    expect(smartTradeHeadline(bot({ kind: 'smart_trade', config: { symbol: 'ETH/USDT:USDT', direction: 'short' } }))).toEqual({ symbol: 'ETH/USDT:USDT', direction: 'Short' })
    expect(smartTradeHeadline(bot({ kind: 'smart_trade', name: 'Odd', config: null }))).toEqual({ symbol: 'Odd', direction: '—' })
  })

  it('says where a Smart Trade stop will live as the machine decides it: spot stops are always Bulwark-triggered', () => {
    expect(stopPlacementFor({ market: 'spot', stopsOnExchange: true })).toBe('platform')
    expect(stopPlacementFor({ market: 'linear', stopsOnExchange: true })).toBe('exchange')
    expect(stopPlacementFor({ market: 'linear', stopsOnExchange: false })).toBe('platform')
  })

  it('flags orders whose outcome is not known', () => {
    expect(orderStateTone({ state: 'unknown', unresolved: false })).toBe('warn')
    expect(orderStateText({ state: 'unknown', unresolved: true })).toBe('Unresolved — check the exchange')
    expect(orderStateTone({ state: 'rejected', unresolved: false })).toBe('bad')
    expect(orderStateText({ state: 'partially_filled', unresolved: false })).toBe('Partially filled')
  })
})
