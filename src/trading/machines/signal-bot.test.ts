import { describe, expect, it } from 'vitest'
import type { IntentState } from '../../db/index.js'
import { signalBotConfigSchema } from '../trading-api-types.js'
import type { BotCommand, BotEvent, MachineContext, SignalInput } from '../trading-types.js'
import type { SignalBotState } from './machines-types.js'
import { signalBotMachine, tradeSummary } from './signal-bot.js'

/** The Signal Bot machine, signal by signal; the test plays the journal as in smart-trade.test.ts. */

const T0 = Date.UTC(2021, 4, 19, 8)
type Venue = Pick<MachineContext, 'market' | 'supportsStopOrders'>
const spot: Venue = { market: 'spot', supportsStopOrders: false }
const futures: Venue = { market: 'linear', supportsStopOrders: true }

type Live = {
  positions: Record<string, { position: string | null; side: string | null; phase?: string; amount?: string; stopPrice?: string | null; queued: unknown }>
  realizedPnl: string
  fees: string
  trades: number
  wins: number
  losses: number
  lastVerdict: { action: string; verdict: string; reason: string } | null
  stopping: unknown
  finished: boolean
}

const bot = (input: unknown, venue: Venue = spot, prices: Record<string, string> = { 'BTC/USDT': '46969.15', 'ETH/USDT': '3646.24' }) => {
  const config = signalBotConfigSchema.parse(input)
  let now = T0
  const ctx = (): MachineContext => ({ ...venue, now, priceDecimals: () => null, amountDecimals: () => null, lastPrice: (symbol) => prices[symbol] ?? null })
  const placed = new Set<string>()
  const take = (commands: BotCommand[]): BotCommand[] => {
    for (const c of commands) {
      if (c.type !== 'place') continue
      expect(placed.has(c.key), `order key "${c.key}" placed twice`).toBe(false)
      placed.add(c.key)
    }
    return commands
  }
  const first = signalBotMachine.start(config, ctx())
  let state: SignalBotState = first.state
  const startCommands = take(first.commands)
  const send = (event: BotEvent): BotCommand[] => {
    now = event.time
    const before = JSON.stringify(state)
    const next = signalBotMachine.step(state, event, ctx())
    expect(JSON.stringify(state)).toBe(before)
    expect(JSON.parse(JSON.stringify(next.state))).toEqual(next.state)
    state = next.state
    return take(next.commands)
  }
  return {
    startCommands,
    get state() {
      return state
    },
    live: () => signalBotMachine.live(state) as Live,
    now: () => now,
    signal: (signal: SignalInput) => send({ type: 'signal', signal, time: now + 1000 }),
    price: (symbol: string, price: string) => {
      prices[symbol] = price
      return send({ type: 'price', symbol, price, time: now + 1000 })
    },
    order: (key: string, st: IntentState, filled = '0', average: string | null = null, fee: string | null = null, feeCurrency: string | null = null, reason: string | null = null) =>
      send({ type: 'order', key, state: st, filled, average, fee, feeCurrency, reason, time: now + 1 }),
    command: (command: 'close' | 'cancel') => send({ type: 'command', command, time: now + 1 }),
    send,
  }
}

const kinds = (commands: BotCommand[]) => commands.map((c) => (c.type === 'place' || c.type === 'cancel' ? `${c.type} ${c.key}` : c.type))
const webhook = { kind: 'webhook' }

describe('signal bot on spot', () => {
  const config = { symbols: ['BTC/USDT', 'ETH/USDT'], sizing: { kind: 'quote', amount: '1000' }, takeProfitPercent: '2', stopLossPercent: '1', source: webhook }

  it('sizes a quote amount at the last price, prefixes the keys per position, and keeps running after a position closes', () => {
    const b = bot(config)
    expect(signalBotMachine.interest(b.state)).toEqual({ symbols: ['BTC/USDT', 'ETH/USDT'] })
    // 1000 / 46969.15 = 0.0212905705… → 0.02129057 (8 decimals, rounded down)
    expect(b.signal({ action: 'enter_long', symbol: 'BTC/USDT', signalId: 's1' })).toEqual([
      { type: 'place', key: 'p1.entry', purpose: 'entry', order: { symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.02129057' } },
    ])
    expect(b.live().lastVerdict).toMatchObject({ action: 'enter_long', verdict: 'accepted' })
    // target 46969.15 × 1.02 = 47908.533 → 47908.53
    expect(b.order('p1.entry', 'filled', '0.02129057', '46969.15')).toEqual([
      { type: 'place', key: 'p1.tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.02129057', price: '47908.53' } },
    ])
    expect(b.live().positions['BTC/USDT']).toMatchObject({ position: 'p1', side: 'long', phase: 'open', stopPrice: '46499.46' }) // × 0.99 = 46499.4585
    expect(b.signal({ action: 'enter_long', symbol: 'BTC/USDT' })).toEqual([])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'ignored', reason: 'already long on BTC/USDT (position p1)' })
    expect(b.signal({ action: 'exit_long', symbol: 'BTC/USDT' })).toEqual([{ type: 'cancel', key: 'p1.tp1' }])
    expect(b.order('p1.tp1', 'cancelled')).toEqual([{ type: 'place', key: 'p1.close', purpose: 'close', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.02129057' } }])
    expect(b.order('p1.close', 'filled', '0.02129057', '47000')).toEqual([])
    // (47000 − 46969.15) × 0.02129057 = 30.85 × 0.02129057 = 0.6568140845 → 0.65681408 (8 decimals)
    expect(b.live()).toMatchObject({ trades: 1, wins: 1, realizedPnl: '0.65681408', positions: {}, finished: false })
    expect(kinds(b.signal({ action: 'enter_long', symbol: 'BTC/USDT' }))).toEqual(['place p2.entry'])
  })

  it('refuses a quote-sized entry when no price is known, with an alert', () => {
    const b = bot(config, spot, {})
    expect(b.signal({ action: 'enter_long', symbol: 'BTC/USDT' })).toEqual([
      { type: 'alert', rule: 'signal_bot_signal_refused', severity: 'warning', details: { message: 'no price is known for BTC/USDT yet, so the quote amount 1000 cannot be turned into an amount' } },
    ])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'refused' })
  })

  it('ignores shorts on spot, exits without a position, and symbols it does not trade', () => {
    const b = bot(config)
    expect(b.signal({ action: 'enter_short', symbol: 'BTC/USDT' })).toEqual([])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'ignored', reason: 'BTC/USDT on a spot account cannot go short' })
    b.signal({ action: 'exit_long', symbol: 'ETH/USDT' })
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'ignored', reason: 'no long position on ETH/USDT' })
    b.signal({ action: 'enter_long', symbol: 'SOL/USDT' })
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'ignored', reason: '"SOL/USDT" is not one of this bot\'s symbols' })
  })

  it("uses the signal's limit price, take profit and stop loss, and refuses levels on the wrong side", () => {
    const b = bot({ ...config, sizing: { kind: 'base', amount: '0.5' } })
    b.signal({ action: 'enter_long', symbol: 'ETH/USDT', price: '3600', takeProfit: '3500', stopLoss: '3400' })
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'refused', reason: 'the take profit 3500 is not above the entry price 3600 of a long' })
    expect(b.signal({ action: 'enter_long', symbol: 'ETH/USDT', price: '3600', takeProfit: '3800', stopLoss: '3400', amount: '0.25' })).toEqual([
      { type: 'place', key: 'p1.entry', purpose: 'entry', order: { symbol: 'ETH/USDT', side: 'buy', type: 'limit', amount: '0.25', price: '3600' } },
    ])
    expect(kinds(b.order('p1.entry', 'filled', '0.25', '3600'))).toEqual(['place p1.tp1'])
    b.order('p1.tp1', 'acknowledged')
    expect(b.live().positions['ETH/USDT']).toMatchObject({ stopPrice: '3400' })
    expect(b.price('ETH/USDT', '3399')).toEqual([{ type: 'cancel', key: 'p1.tp1' }])
  })

  it('closes every position on close_all', () => {
    const b = bot({ ...config, takeProfitPercent: undefined, stopLossPercent: undefined })
    b.signal({ action: 'enter_long', symbol: 'BTC/USDT' })
    b.signal({ action: 'enter_long', symbol: 'ETH/USDT' })
    b.order('p1.entry', 'filled', '0.02129057', '46969.15')
    b.order('p2.entry', 'filled', '0.27425512', '3646.24') // 1000 / 3646.24 = 0.2742551… → 0.27425512
    expect(b.signal({ action: 'close_all', symbol: 'BTC/USDT' })).toEqual([
      { type: 'place', key: 'p1.close', purpose: 'close', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.02129057' } },
      { type: 'place', key: 'p2.close', purpose: 'close', order: { symbol: 'ETH/USDT', side: 'sell', type: 'market', amount: '0.27425512' } },
    ])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'accepted', reason: 'closing 2 positions' })
  })

  it('ignores price updates of a flat symbol without copying its state, and reports of unknown keys', () => {
    const b = bot(config)
    const before = b.state
    expect(signalBotMachine.step(before, { type: 'price', symbol: 'BTC/USDT', price: '1', time: T0 }, { ...spot, now: T0, priceDecimals: () => null, amountDecimals: () => null, lastPrice: () => null }).state).toBe(before)
    expect(signalBotMachine.step(before, { type: 'order', key: 'p9.entry', state: 'filled', filled: '1', average: '1', fee: null, feeCurrency: null, reason: null, time: T0 }, { ...spot, now: T0, priceDecimals: () => null, amountDecimals: () => null, lastPrice: () => null }).state).toBe(before)
  })
})

describe('signal bot on futures', () => {
  const config = { symbols: ['BTC/USDT:USDT'], sizing: { kind: 'base', amount: '0.01' }, sides: 'both', source: webhook }

  it('flips: enter_short while long closes the long first, then opens the short', () => {
    const b = bot(config, futures, { 'BTC/USDT:USDT': '40000' })
    b.signal({ action: 'enter_long', symbol: 'BTC/USDT:USDT' })
    b.order('p1.entry', 'filled', '0.01', '40000', '0.16', 'USDT') // 400 × 0.04 %
    expect(b.signal({ action: 'enter_short', symbol: 'BTC/USDT:USDT' })).toEqual([
      { type: 'place', key: 'p1.close', purpose: 'close', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', amount: '0.01', reduceOnly: true } },
    ])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'accepted', reason: 'closing the long position p1 first, then entering short' })
    expect(b.live().positions['BTC/USDT:USDT']).toMatchObject({ position: 'p1', queued: { side: 'short', action: 'enter_short' } })
    expect(b.order('p1.close', 'filled', '0.01', '39000', '0.156', 'USDT')).toEqual([
      { type: 'place', key: 'p2.entry', purpose: 'entry', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', amount: '0.01' } },
    ])
    // p1: (390 − 400) − (0.16 + 0.156) = −10.316
    expect(b.live()).toMatchObject({ trades: 1, losses: 1, realizedPnl: '-10.316' })
    b.order('p2.entry', 'filled', '0.01', '39000')
    expect(tradeSummary(b.state)).toEqual({ realizedPnl: '-10.316', fees: '0.316', feesOther: {}, positions: { 'BTC/USDT:USDT': { side: 'short', amount: '0.01', averageEntry: '39000' } }, lastStopLossAt: null, trades: 2 })
  })

  it('ignores shorts when the bot takes longs only', () => {
    const b = bot({ ...config, sides: 'long' }, futures, { 'BTC/USDT:USDT': '40000' })
    expect(b.signal({ action: 'enter_short', symbol: 'BTC/USDT:USDT' })).toEqual([])
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'ignored', reason: 'this bot takes long entries only' })
  })

  it('keeps a trailing stop on the exchange and records the stop-loss time', () => {
    const b = bot({ ...config, stopLossPercent: '2', trailingStopPercent: '1' }, futures, { 'BTC/USDT:USDT': '40000' })
    b.signal({ action: 'enter_short', symbol: 'BTC/USDT:USDT' })
    expect(b.order('p1.entry', 'filled', '0.01', '40000')).toEqual([
      { type: 'place', key: 'p1.sl', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'buy', type: 'stop_market', amount: '0.01', stopPrice: '40800', reduceOnly: true } },
    ])
    b.order('p1.sl', 'acknowledged')
    expect(b.price('BTC/USDT:USDT', '39000')).toEqual([{ type: 'cancel', key: 'p1.sl' }]) // 39000 × 1.01 = 39390 < 40800
    expect(kinds(b.order('p1.sl', 'cancelled'))).toEqual(['place p1.sl.2'])
    b.order('p1.sl.2', 'acknowledged')
    expect(b.order('p1.sl.2', 'filled', '0.01', '39400')).toEqual([])
    const stoppedAt = b.now()
    expect(b.live()).toMatchObject({ trades: 1, wins: 1, realizedPnl: '6', positions: {} }) // (40000 − 39400) × 0.01
    expect(tradeSummary(b.state).lastStopLossAt).toBe(stoppedAt)
  })

  it('stops after a rejected entry when set to stop on rejections', () => {
    const b = bot({ ...config, onRejection: 'stop' }, futures, { 'BTC/USDT:USDT': '40000' })
    b.signal({ action: 'enter_long', symbol: 'BTC/USDT:USDT' })
    const out = b.order('p1.entry', 'rejected', '0', null, null, null, 'insufficient margin')
    expect(kinds(out)).toEqual(['alert', 'finish'])
    expect(out[1]).toEqual({ type: 'finish', status: 'stopped', reason: 'an entry order was rejected (insufficient margin) and the bot is set to stop on rejections' })
  })

  it('close closes every position and then stops the bot', () => {
    const b = bot(config, futures, { 'BTC/USDT:USDT': '40000' })
    b.signal({ action: 'enter_long', symbol: 'BTC/USDT:USDT' })
    b.order('p1.entry', 'filled', '0.01', '40000')
    expect(kinds(b.command('close'))).toEqual(['place p1.close'])
    b.signal({ action: 'enter_long', symbol: 'BTC/USDT:USDT' })
    expect(b.live().lastVerdict).toMatchObject({ verdict: 'refused' })
    expect(b.order('p1.close', 'filled', '0.01', '40100')).toEqual([{ type: 'finish', status: 'stopped', reason: 'closed by the user: every position was closed at market' }])
    expect(signalBotMachine.interest(b.state)).toEqual({ symbols: [] })
  })

  it('refuses to start with spot symbols on a futures account', () => {
    const b = bot({ ...config, symbols: ['BTC/USDT'] }, futures)
    expect(b.startCommands).toEqual([{ type: 'finish', status: 'stopped', reason: '"BTC/USDT" is not a futures symbol, but the account trades futures' }])
  })
})
