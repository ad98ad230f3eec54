import { describe, expect, it } from 'vitest'
import { exitReasonWords, orderKeyWords, phaseWords, readLive, words } from './live-state'

/*
 * The objects below are what the machines' live() returned (src/trading/machines, run on a spot
 * account): a Smart Trade whose market entry filled, and a Signal Bot holding one position that ignored
 * a second entry. The web app may not import the machines (eslint boundary), so they are copied here;
 * test/e2e/trading-web.test.ts checks the page against the real API.
 */
const openTrade = {
  kind: 'smart_trade',
  symbol: 'BTC/USDT',
  direction: 'long',
  phase: 'open',
  position: '0.01',
  averageEntry: '64000.5',
  realizedPnl: '-0.64',
  fees: '0.64',
  feesOther: { BNB: '0.001' },
  stopPrice: '62080.48',
  stopPlacement: 'platform',
  stopPlacementReason: 'spot: the take-profit sell orders already reserve the coins, so the platform triggers the stop from prices (cancel the targets, then exit at market)',
  stopOrderKey: null,
  trailingStop: { percent: '1.5', bestPrice: '64100' },
  breakeven: { enabled: true, done: false },
  targets: [
    { index: 1, key: 'tp1', price: '65280.51', amount: '0.005', sharePercent: '50', status: 'open' },
    { index: 2, key: 'tp2', price: '66560.52', amount: '0.005', sharePercent: '50', status: 'placing' },
  ],
  trailingTakeProfit: null,
  exitReason: null,
  lastStopLossAt: null,
  timeoutAt: 1750003601000,
  closeBlocked: null,
  openOrders: ['tp1', 'tp2'],
  unknownOrders: [],
  startedAt: 1750000000000,
  openedAt: 1750000001000,
  finishedAt: null,
  endReason: null,
}

const botWithPosition = {
  kind: 'signal_bot',
  symbols: ['BTC/USDT', 'ETH/USDT'],
  positions: {
    'BTC/USDT': {
      position: 'p1',
      side: 'long',
      phase: 'open',
      amount: '0.01',
      averageEntry: '64000.5',
      realizedPnl: '-0.64',
      stopPrice: null,
      stopPlacement: 'platform',
      targets: [{ index: 1, key: 'tp1', price: '65280.51', amount: '0.01', sharePercent: '100', status: 'placing' }],
      exitReason: null,
      unknownOrders: [],
      queued: null,
    },
    'ETH/USDT': { position: null, side: null, queued: { side: 'long', action: 'enter_long', since: 1750000005000 } },
  },
  realizedPnl: '-0.64',
  fees: '0.64',
  feesOther: {},
  trades: 1,
  wins: 0,
  losses: 0,
  lastStopLossAt: null,
  lastVerdict: { time: 1750000004000, action: 'enter_long', symbol: 'BTC/USDT', signalId: null, verdict: 'ignored', reason: 'already long on BTC/USDT (position p1)' },
  verdicts: [
    { time: 1750000002000, action: 'enter_long', symbol: 'BTC/USDT', signalId: 's1', verdict: 'accepted', reason: 'position p1: long 0.01 BTC/USDT at market' },
    { time: 1750000004000, action: 'enter_long', symbol: 'BTC/USDT', signalId: null, verdict: 'ignored', reason: 'already long on BTC/USDT (position p1)' },
  ],
  stopping: null,
  finished: false,
}

describe("a bot's live state", () => {
  it("reads a Smart Trade's live object field by field, times as ISO", () => {
    const view = readLive(openTrade, 'smart_trade')
    if (view.kind !== 'smart_trade') throw new Error(`read as ${view.kind}`)
    expect(view.trade).toEqual({
      symbol: 'BTC/USDT',
      direction: 'long',
      phase: 'open',
      position: '0.01',
      averageEntry: '64000.5',
      realizedPnl: '-0.64',
      fees: '0.64',
      feesOther: [['BNB', '0.001']],
      stopPrice: '62080.48',
      stopPlacement: 'platform',
      stopPlacementReason: openTrade.stopPlacementReason,
      trailingStop: { percent: '1.5', bestPrice: '64100' },
      breakeven: { enabled: true, done: false },
      targets: [
        { index: 1, price: '65280.51', percent: null, amount: '0.005', sharePercent: '50', status: 'open' },
        { index: 2, price: '66560.52', percent: null, amount: '0.005', sharePercent: '50', status: 'placing' },
      ],
      trailingTakeProfit: null,
      exitReason: null,
      closeBlocked: null,
      openOrders: ['tp1', 'tp2'],
      unknownOrders: [],
      timeoutAt: '2025-06-15T16:06:41.000Z',
      lastStopLossAt: null,
      startedAt: '2025-06-15T15:06:40.000Z',
      openedAt: '2025-06-15T15:06:41.000Z',
      finishedAt: null,
      endReason: null,
    })
    // Every key the machine sends has its place: nothing is listed twice as a raw value.
    expect(view.other).toEqual([])
  })

  it('reads targets configured as percentages before the entry fills, and lists fields it does not know', () => {
    const view = readLive({ ...openTrade, phase: 'entering', targets: [{ index: 1, key: 'tp1', price: null, percent: '2', amount: null, sharePercent: '100', status: 'waiting' }], newFigure: 7, nested: { no: 1 } })
    if (view.kind !== 'smart_trade') throw new Error(`read as ${view.kind}`)
    expect(view.trade.targets).toEqual([{ index: 1, price: null, percent: '2', amount: null, sharePercent: '100', status: 'waiting' }])
    expect(view.other).toEqual([['New figure', '7']])
  })

  it('reads Signal Bot positions keyed by symbol, a queued entry, and its decisions newest first', () => {
    const view = readLive(botWithPosition, 'signal_bot')
    if (view.kind !== 'signal_bot') throw new Error(`read as ${view.kind}`)
    expect(view.bot.positions).toEqual([
      {
        symbol: 'BTC/USDT',
        label: 'p1',
        side: 'long',
        phase: 'open',
        amount: '0.01',
        averageEntry: '64000.5',
        realizedPnl: '-0.64',
        stopPrice: null,
        stopPlacement: 'platform',
        targets: [{ index: 1, price: '65280.51', percent: null, amount: '0.01', sharePercent: '100', status: 'placing' }],
        exitReason: null,
        unknownOrders: [],
        queued: null,
      },
      {
        symbol: 'ETH/USDT',
        label: null,
        side: null,
        phase: null,
        amount: null,
        averageEntry: null,
        realizedPnl: null,
        stopPrice: null,
        stopPlacement: null,
        targets: [],
        exitReason: null,
        unknownOrders: [],
        queued: { side: 'long', action: 'enter_long', since: '2025-06-15T15:06:45.000Z' },
      },
    ])
    expect(view.bot.verdicts.map((v) => [v.verdict, v.signalId])).toEqual([
      ['ignored', null],
      ['accepted', 's1'],
    ])
    expect({ trades: view.bot.trades, wins: view.bot.wins, losses: view.bot.losses, finished: view.bot.finished, stopping: view.bot.stopping }).toEqual({ trades: 1, wins: 0, losses: 0, finished: false, stopping: null })
    expect(view.other).toEqual([])
  })

  it('trusts no type it has not checked', () => {
    const view = readLive({ phase: 3, stopPlacement: 'somewhere', targets: 'no', positions: [{ symbol: 'X' }], trailingStop: { percent: null }, breakeven: 'yes', timeoutAt: 'soon' }, 'smart_trade')
    if (view.kind !== 'smart_trade') throw new Error(`read as ${view.kind}`)
    expect(view.trade).toMatchObject({ phase: '3', stopPlacement: null, targets: [], trailingStop: null, breakeven: null, timeoutAt: null })
    const bot = readLive({ kind: 'signal_bot', positions: [{ symbol: 'ETH/USDT' }], verdicts: 'none', stopping: { mode: 'close', reason: 'closed by the user', at: 1750000000000 } })
    if (bot.kind !== 'signal_bot') throw new Error(`read as ${bot.kind}`)
    expect(bot.bot.positions).toEqual([]) // a list is not the machine's shape (a record keyed by symbol)
    expect(bot.bot.verdicts).toEqual([])
    expect(bot.bot.stopping).toEqual({ mode: 'close', reason: 'closed by the user', at: '2025-06-15T15:06:40.000Z' })
  })

  it('knows a draft bot (no live state yet) and a kind it has never seen', () => {
    expect(readLive({}, 'signal_bot')).toEqual({ kind: 'empty' })
    expect(readLive({ kind: 'grid', levels: 10 })).toEqual({ kind: 'unknown', other: [['Kind', 'grid'], ['Levels', '10']] })
  })

  it('says machine words as words', () => {
    expect(words('waiting_entry')).toBe('Waiting entry')
    expect(words('partiallyFilled')).toBe('Partially filled')
    expect(phaseWords('open')).toBe('Position open')
    expect(phaseWords('brand_new')).toBe('Brand new')
    expect(exitReasonWords('stop_loss')).toBe('Stop loss')
    expect(['entry', 'tp2', 'sl', 'sl.3', 'close.2'].map(orderKeyWords)).toEqual(['entry', 'target 2', 'stop', 'stop', 'market close'])
  })
})
