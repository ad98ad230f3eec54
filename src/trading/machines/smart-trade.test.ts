import { describe, expect, it } from 'vitest'
import type { IntentState } from '../../db/index.js'
import { smartTradeConfigSchema } from '../trading-api-types.js'
import type { BotCommand, BotEvent, MachineContext } from '../trading-types.js'
import type { SmartTradeState } from './machines-types.js'
import { smartTradeMachine } from './smart-trade.js'

/**
 * The Smart Trade machine, event by event. The test plays the journal: it answers each command with the
 * order events a venue would cause. Every step also checks that the input state is left untouched, that
 * the new state is plain JSON, and that no order key is ever placed twice.
 */

const T0 = Date.UTC(2021, 4, 16)
type Venue = Pick<MachineContext, 'market' | 'supportsStopOrders'>
const spot: Venue = { market: 'spot', supportsStopOrders: false }
const futuresWithStops: Venue = { market: 'linear', supportsStopOrders: true }
const futuresWithoutStops: Venue = { market: 'linear', supportsStopOrders: false }

type Live = {
  phase: string
  position: string
  averageEntry: string | null
  realizedPnl: string
  fees: string
  feesOther: Record<string, string>
  stopPrice: string | null
  stopPlacement: string
  stopPlacementReason: string
  targets: { key: string; price: string | null; amount: string | null; status: string }[]
  trailingTakeProfit: { armed: boolean; peak: string | null } | null
  exitReason: string | null
  lastStopLossAt: number | null
  closeBlocked: string | null
  unknownOrders: string[]
  endReason: string | null
}

const trade = (input: unknown, venue: Venue = spot, lastPrice: string | null = '100') => {
  const config = smartTradeConfigSchema.parse(input)
  let now = T0
  const prices: Record<string, string> = lastPrice === null ? {} : { [config.symbol]: lastPrice }
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
  const first = smartTradeMachine.start(config, ctx())
  let state: SmartTradeState = first.state
  const startCommands = take(first.commands)
  const send = (event: BotEvent): BotCommand[] => {
    now = event.time
    const before = JSON.stringify(state)
    const next = smartTradeMachine.step(state, event, ctx())
    expect(JSON.stringify(state)).toBe(before) // pure: the input state is untouched
    expect(JSON.parse(JSON.stringify(next.state))).toEqual(next.state) // plain JSON
    state = next.state
    return take(next.commands)
  }
  return {
    startCommands,
    prices,
    get state() {
      return state
    },
    live: () => smartTradeMachine.live(state) as Live,
    now: () => now,
    send,
    price: (price: string) => {
      prices[config.symbol] = price
      return send({ type: 'price', symbol: config.symbol, price, time: now + 1000 })
    },
    order: (key: string, st: IntentState, filled = '0', average: string | null = null, fee: string | null = null, feeCurrency: string | null = null, reason: string | null = null) =>
      send({ type: 'order', key, state: st, filled, average, fee, feeCurrency, reason, time: now + 1 }),
    timer: (at: number) => send({ type: 'timer', time: at }),
    command: (command: 'close' | 'cancel') => send({ type: 'command', command, time: now + 1 }),
  }
}

const kinds = (commands: BotCommand[]) => commands.map((c) => (c.type === 'place' || c.type === 'cancel' ? `${c.type} ${c.key}` : c.type))

describe('take-profit ladder', () => {
  it('splits three targets so the amounts add up to the coins held, and books PnL with fees', () => {
    const t = trade({
      symbol: 'BTC/USDT', direction: 'long', amount: '1.000', entry: { type: 'market' },
      takeProfit: { targets: [{ percent: '1', sharePercent: '33.33' }, { percent: '2', sharePercent: '33.33' }, { percent: '3', sharePercent: '33.34' }] },
    })
    expect(t.startCommands).toEqual([{ type: 'place', key: 'entry', purpose: 'entry', order: { symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '1.000' } }])
    // The venue keeps a 0.1 % fee out of the coins bought: 1 × 0.001 = 0.001 BTC, so 0.999 BTC are held.
    const exits = t.order('entry', 'filled', '1', '100', '0.001', 'BTC')
    // 0.999 × 33.33 % = 0.33296… → 0.332 (rounded down to the 3 decimals of "1.000"), twice;
    // the last takes the rest: 0.999 − 0.664 = 0.335. Prices: 100 × 1.01, 1.02, 1.03.
    expect(exits).toEqual([
      { type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.332', price: '101' } },
      { type: 'place', key: 'tp2', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.332', price: '102' } },
      { type: 'place', key: 'tp3', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.335', price: '103' } },
    ])
    expect(t.order('tp1', 'filled', '0.332', '101', '0.033532', 'USDT')).toEqual([]) // 0.332 × 101 = 33.532; fee 0.1 %
    expect(t.order('tp2', 'filled', '0.332', '102', '0.033864', 'USDT')).toEqual([]) // 33.864
    expect(t.live().targets.map((x) => x.status)).toEqual(['filled', 'filled', 'placing'])
    const end = t.order('tp3', 'filled', '0.335', '103', '0.034505', 'USDT') // 34.505
    expect(end).toEqual([{ type: 'finish', status: 'finished', reason: 'the take-profit targets closed the position' }])
    const live = t.live()
    expect(live.phase).toBe('finished')
    expect(live.exitReason).toBe('take_profit')
    expect(live.position).toBe('0')
    // fees: 0.001 BTC × 100 = 0.1, plus 0.033532 + 0.033864 + 0.034505 = 0.201901 USDT
    expect(live.fees).toBe('0.201901')
    // sold 33.532 + 33.864 + 34.505 = 101.901; cost of the 0.999 sold = 100 × 0.999 = 99.9 (the fee coin is in `fees`);
    // 101.901 − 99.9 − 0.201901 = 1.799099. Cash check: −100 + 101.901 − 0.101901 = 1.799099.
    expect(live.realizedPnl).toBe('1.799099')
  })
})

describe('trailing take-profit', () => {
  it('follows the high after the last target price and closes the rest when it falls back', () => {
    const t = trade({
      symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' },
      takeProfit: { targets: [{ percent: '2', sharePercent: '50' }, { percent: '5', sharePercent: '50' }], trailingPercent: '1' },
    })
    // Only the first target rests; the last (105) is followed instead of placed.
    expect(kinds(t.order('entry', 'filled', '1', '100'))).toEqual(['place tp1'])
    t.price('102')
    t.order('tp1', 'filled', '0.5', '102')
    expect(t.price('104')).toEqual([])
    expect(t.live().trailingTakeProfit).toEqual({ percent: '1', armed: false, peak: null })
    expect(t.price('105')).toEqual([]) // armed at the last target price
    expect(t.price('107')).toEqual([]) // new peak
    expect(t.price('106')).toEqual([]) // 107 × 0.99 = 105.93: not yet
    expect(t.price('105.9')).toEqual([{ type: 'place', key: 'close', purpose: 'trailing_take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.5' } }])
    expect(kinds(t.order('close', 'filled', '0.5', '105.9'))).toEqual(['finish'])
    const live = t.live()
    expect(live.exitReason).toBe('trailing_take_profit')
    expect(live.targets.map((x) => x.status)).toEqual(['filled', 'filled'])
    expect(live.realizedPnl).toBe('3.95') // 0.5 × 102 + 0.5 × 105.9 − 100 = 51 + 52.95 − 100
  })
})

describe('trailing stop', () => {
  it('moves only in the trade favour and the platform exits when it is hit (spot)', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { trailingPercent: '2' } }, spot, '100.00')
    expect(t.order('entry', 'filled', '1', '100')).toEqual([]) // spot: no stop order on the venue
    expect(t.live().stopPrice).toBe('98') // 100 × 0.98
    t.price('105')
    expect(t.live().stopPrice).toBe('102.9') // 105 × 0.98
    t.price('103')
    expect(t.live().stopPrice).toBe('102.9') // a lower price never lowers the stop
    t.price('110')
    expect(t.live().stopPrice).toBe('107.8')
    expect(t.price('108')).toEqual([])
    expect(t.price('107.8')).toEqual([{ type: 'place', key: 'close', purpose: 'stop_loss', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '1' } }])
    t.order('close', 'filled', '1', '107.8')
    expect(t.live()).toMatchObject({ phase: 'finished', exitReason: 'stop_loss', lastStopLossAt: t.now(), realizedPnl: '7.8' })
  })

  it('never loosens a tighter fixed stop', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '1', trailingPercent: '3' } }, spot, '100.00')
    t.order('entry', 'filled', '1', '100')
    expect(t.live().stopPrice).toBe('99')
    t.price('101') // 101 × 0.97 = 97.97: below the 99 stop, which stays
    expect(t.live().stopPrice).toBe('99')
    t.price('103') // 103 × 0.97 = 99.91: now it trails
    expect(t.live().stopPrice).toBe('99.91')
  })

  it('replaces an exchange stop of a short only after the cancel is confirmed, at the latest level', () => {
    const t = trade({ symbol: 'BTC/USDT:USDT', direction: 'short', amount: '1', entry: { type: 'market' }, stopLoss: { trailingPercent: '2' } }, futuresWithStops, '100.0')
    expect(t.order('entry', 'filled', '1', '100')).toEqual([
      { type: 'place', key: 'sl', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'buy', type: 'stop_market', amount: '1', stopPrice: '102', reduceOnly: true } },
    ])
    t.order('sl', 'acknowledged')
    expect(t.price('95')).toEqual([{ type: 'cancel', key: 'sl' }]) // 95 × 1.02 = 96.9
    expect(t.price('97')).toEqual([]) // against the short: the stop stays at 96.9
    expect(t.price('94')).toEqual([]) // 95.88 → 95.9, but the old stop is not confirmed cancelled yet
    expect(t.order('sl', 'cancelled')).toEqual([
      { type: 'place', key: 'sl.2', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'buy', type: 'stop_market', amount: '1', stopPrice: '95.9', reduceOnly: true } },
    ])
    t.order('sl.2', 'acknowledged')
    expect(t.price('94.1')).toEqual([])
    expect(t.live().stopPrice).toBe('95.9')
  })
})

describe('breakeven', () => {
  it('moves the exchange stop to the average entry after the first target, then the stop closes the rest', () => {
    const t = trade(
      { symbol: 'ETH/USDT:USDT', direction: 'long', amount: '2', entry: { type: 'market' }, stopLoss: { percent: '5', moveToBreakevenAfterFirstTarget: true }, takeProfit: { targets: [{ percent: '1', sharePercent: '50' }, { percent: '3', sharePercent: '50' }] } },
      futuresWithStops,
      '100.00',
    )
    expect(t.order('entry', 'filled', '2', '100')).toEqual([
      { type: 'place', key: 'sl', purpose: 'stop_loss', order: { symbol: 'ETH/USDT:USDT', side: 'sell', type: 'stop_market', amount: '2', stopPrice: '95', reduceOnly: true } },
      { type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'ETH/USDT:USDT', side: 'sell', type: 'limit', amount: '1', price: '101', reduceOnly: true } },
      { type: 'place', key: 'tp2', purpose: 'take_profit', order: { symbol: 'ETH/USDT:USDT', side: 'sell', type: 'limit', amount: '1', price: '103', reduceOnly: true } },
    ])
    for (const key of ['sl', 'tp1', 'tp2']) t.order(key, 'acknowledged')
    expect(t.order('tp1', 'partially_filled', '0.5', '101')).toEqual([]) // the first target must FILL first
    expect(t.order('tp1', 'filled', '1', '101')).toEqual([{ type: 'cancel', key: 'sl' }])
    expect(t.live().stopPrice).toBe('100')
    expect(t.order('sl', 'cancelled')).toEqual([
      { type: 'place', key: 'sl.2', purpose: 'stop_loss', order: { symbol: 'ETH/USDT:USDT', side: 'sell', type: 'stop_market', amount: '1', stopPrice: '100', reduceOnly: true } },
    ])
    t.order('sl.2', 'acknowledged')
    expect(t.price('100')).toEqual([]) // the venue holds the stop: the platform does not act
    expect(t.order('sl.2', 'filled', '1', '99.9')).toEqual([{ type: 'cancel', key: 'tp2' }])
    expect(t.order('tp2', 'cancelled')).toEqual([{ type: 'finish', status: 'finished', reason: 'the stop loss closed the position' }])
    // 1 × 101 + 1 × 99.9 − 2 × 100 = 0.9
    expect(t.live()).toMatchObject({ exitReason: 'stop_loss', realizedPnl: '0.9', position: '0' })
  })
})

describe('timeout', () => {
  it('cancels an entry that has not filled in time', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'limit', price: '90' }, timeoutSeconds: 60 })
    expect(kinds(t.startCommands)).toEqual(['wake', 'place entry'])
    expect(t.startCommands[0]).toEqual({ type: 'wake', at: T0 + 60_000 })
    expect(t.timer(T0 + 59_999)).toEqual([])
    expect(t.timer(T0 + 60_000)).toEqual([{ type: 'cancel', key: 'entry' }])
    expect(t.order('entry', 'cancelled')).toEqual([{ type: 'finish', status: 'finished', reason: 'timeout: the entry did not fill in time' }])
    expect(t.live().phase).toBe('cancelled')
  })

  it('closes at market a set time after the entry filled', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, timeoutSeconds: 120, takeProfit: { targets: [{ percent: '10', sharePercent: '100' }] } })
    const opened = t.order('entry', 'filled', '1', '100')
    const filledAt = t.now()
    expect(opened[0]).toEqual({ type: 'wake', at: filledAt + 120_000 })
    expect(t.timer(T0 + 120_000)).toEqual([]) // the entry's deadline no longer applies
    expect(t.timer(filledAt + 120_000)).toEqual([{ type: 'cancel', key: 'tp1' }])
    expect(t.order('tp1', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'close', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '1' } }])
    expect(kinds(t.order('close', 'filled', '1', '99'))).toEqual(['finish'])
    expect(t.live()).toMatchObject({ exitReason: 'timeout', endReason: 'timeout: the position was closed at market', realizedPnl: '-1' })
  })
})

describe('conditional entry', () => {
  it('waits for the price to reach the trigger, then places a limit at the limit price', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'conditional', triggerPrice: '105', direction: 'above', limitPrice: '106' } })
    expect(t.startCommands).toEqual([])
    expect(t.live().phase).toBe('waiting')
    expect(t.price('104.99')).toEqual([])
    expect(t.price('105')).toEqual([{ type: 'place', key: 'entry', purpose: 'entry', order: { symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '1', price: '106' } }])
    expect(t.live().phase).toBe('entering')
    expect(t.price('104')).toEqual([]) // entered once
  })

  it('enters at market at once when the last price is already past a "below" trigger', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'conditional', triggerPrice: '95', direction: 'below' } }, spot, '94')
    expect(t.startCommands).toEqual([{ type: 'place', key: 'entry', purpose: 'entry', order: { symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '1' } }])
  })

  it('gives up when the trigger is not reached before the timeout', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'conditional', triggerPrice: '105', direction: 'above' }, timeoutSeconds: 60 })
    expect(t.timer(T0 + 60_000)).toEqual([{ type: 'finish', status: 'finished', reason: 'timeout: the trigger price was not reached in time' }])
    expect(t.price('200')).toEqual([])
  })
})

describe('close and cancel commands', () => {
  const ladder = { symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, takeProfit: { targets: [{ percent: '5', sharePercent: '50' }, { percent: '10', sharePercent: '50' }] } }

  it('close before the entry filled just cancels it', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'limit', price: '90' } })
    expect(t.command('close')).toEqual([{ type: 'cancel', key: 'entry' }])
    expect(t.order('entry', 'cancelled')).toEqual([{ type: 'finish', status: 'finished', reason: 'closed before the entry filled' }])
  })

  it('close cancels the targets, waits for every answer, then sells exactly what is left', () => {
    const t = trade(ladder)
    t.order('entry', 'filled', '1', '100')
    t.order('tp1', 'acknowledged')
    t.order('tp2', 'acknowledged')
    expect(t.command('close')).toEqual([{ type: 'cancel', key: 'tp1' }, { type: 'cancel', key: 'tp2' }])
    expect(t.order('tp1', 'cancelled', '0.2', '105')).toEqual([]) // filled in part before the cancel; tp2 not answered yet
    expect(t.order('tp2', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'close', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.8' } }])
    expect(kinds(t.order('close', 'filled', '0.8', '101'))).toEqual(['finish'])
    expect(t.live()).toMatchObject({ phase: 'finished', exitReason: 'close', realizedPnl: '1.8' }) // 0.2 × 105 + 0.8 × 101 − 100
  })

  it('cancel cancels every order and leaves the position unmanaged', () => {
    const t = trade({ ...ladder, stopLoss: { percent: '5' } })
    t.order('entry', 'filled', '1', '100')
    expect(t.command('cancel')).toEqual([{ type: 'cancel', key: 'tp1' }, { type: 'cancel', key: 'tp2' }])
    expect(t.live().phase).toBe('cancelled')
    expect(t.price('50')).toEqual([]) // no longer managed: the stop does not fire
    t.order('tp1', 'cancelled')
    expect(t.order('tp2', 'cancelled')).toEqual([{ type: 'finish', status: 'stopped', reason: 'cancelled by the user; a position of 1 BTC is left open and no longer managed' }])
    expect(t.live()).toMatchObject({ position: '1', exitReason: 'cancel' })
  })

  it('cancel while waiting for a trigger stops at once', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'conditional', triggerPrice: '105', direction: 'above' } })
    expect(t.command('cancel')).toEqual([{ type: 'finish', status: 'stopped', reason: 'cancelled by the user before the entry was placed' }])
  })
})

describe('where the stop lives', () => {
  const config = (symbol: string, direction: string) => ({ symbol, direction, amount: '0.010', entry: { type: 'market' }, stopLoss: { percent: '2' }, takeProfit: { targets: [{ percent: '4', sharePercent: '100' }] } })

  it('futures short with stop orders: a reduce-only stop-market on the venue, which the platform leaves alone', () => {
    const t = trade(config('BTC/USDT:USDT', 'short'), futuresWithStops, '50000.0')
    expect(t.live().stopPlacement).toBe('exchange')
    // 0.01 × 50000 = 500 notional; 0.04 % fee = 0.2 USDT
    expect(t.order('entry', 'filled', '0.01', '50000', '0.2', 'USDT')).toEqual([
      { type: 'place', key: 'sl', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'buy', type: 'stop_market', amount: '0.01', stopPrice: '51000', reduceOnly: true } },
      { type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT:USDT', side: 'buy', type: 'limit', amount: '0.01', price: '48000', reduceOnly: true } },
    ])
    t.order('sl', 'acknowledged')
    t.order('tp1', 'acknowledged')
    expect(t.price('51500')).toEqual([])
    // the venue's stop fills: 0.01 × 51010 = 510.1; fee 0.04 % = 0.20404
    expect(t.order('sl', 'filled', '0.01', '51010', '0.20404', 'USDT')).toEqual([{ type: 'cancel', key: 'tp1' }])
    const stoppedAt = t.now()
    expect(kinds(t.order('tp1', 'cancelled'))).toEqual(['finish'])
    // (500 − 510.1) − (0.2 + 0.20404) = −10.50404
    expect(t.live()).toMatchObject({ exitReason: 'stop_loss', lastStopLossAt: stoppedAt, realizedPnl: '-10.50404', fees: '0.40404' })
  })

  it('spot: the platform triggers the stop, cancels the target first, then sells what is held', () => {
    const t = trade(config('BTC/USDT', 'long'), spot, '50000.0')
    expect(t.live().stopPlacement).toBe('platform')
    expect(t.live().stopPlacementReason).toMatch(/reserve the coins/)
    // bought 0.01 with 0.00001 BTC fee: 0.00999 held
    expect(t.order('entry', 'filled', '0.01', '50000', '0.00001', 'BTC')).toEqual([
      { type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.00999', price: '52000' } },
    ])
    t.order('tp1', 'acknowledged')
    expect(t.price('49100')).toEqual([])
    expect(t.price('49000')).toEqual([{ type: 'cancel', key: 'tp1' }]) // the coins are reserved by tp1: no sell yet
    expect(t.order('tp1', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'stop_loss', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.00999' } }])
    // 0.00999 × 48990 = 489.4101; fee 0.1 % = 0.4894101
    t.order('close', 'filled', '0.00999', '48990', '0.4894101', 'USDT')
    // cost of what was sold: 500 × 0.00999 / 0.01 = 499.5; fees 0.00001 × 50000 + 0.4894101 = 0.9894101;
    // 489.4101 − 499.5 − 0.9894101 = −11.0793101. Cash check: −500 + 489.4101 − 0.4894101 = −11.0793101.
    expect(t.live()).toMatchObject({ phase: 'finished', exitReason: 'stop_loss', realizedPnl: '-11.0793101', fees: '0.9894101', lastStopLossAt: t.now() })
  })

  it('futures without stop orders: the platform triggers, and the exit is reduce-only', () => {
    const t = trade(config('BTC/USDT:USDT', 'long'), futuresWithoutStops, '50000.0')
    expect(t.live().stopPlacementReason).toMatch(/no stop orders/)
    t.order('entry', 'filled', '0.01', '50000')
    t.order('tp1', 'acknowledged')
    expect(t.price('48999')).toEqual([{ type: 'cancel', key: 'tp1' }])
    expect(t.order('tp1', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', amount: '0.01', reduceOnly: true } }])
  })

  it('refuses a futures symbol on a spot account', () => {
    const t = trade(config('BTC/USDT:USDT', 'short'), spot)
    expect(t.startCommands).toEqual([{ type: 'finish', status: 'stopped', reason: '"BTC/USDT:USDT" is a futures symbol but the account trades spot' }])
  })
})

describe('rejections', () => {
  const base = { symbol: 'BTC/USDT:USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '5' }, takeProfit: { targets: [{ percent: '5', sharePercent: '100' }] } }

  it('a rejected entry stops the trade with the reason', () => {
    const t = trade(base, futuresWithStops)
    expect(t.order('entry', 'rejected', '0', null, null, null, 'risk: the order notional 100 is above the limit 50')).toEqual([
      { type: 'finish', status: 'stopped', reason: 'the entry order was rejected: risk: the order notional 100 is above the limit 50' },
    ])
    expect(t.live().phase).toBe('cancelled')
  })

  it('a rejected exchange stop alerts and falls back to the platform trigger', () => {
    const t = trade(base, futuresWithStops)
    t.order('entry', 'filled', '1', '100')
    t.order('tp1', 'acknowledged')
    const out = t.order('sl', 'rejected', '0', null, null, null, 'Order would immediately trigger')
    expect(out).toEqual([{ type: 'alert', rule: 'trade_stop_rejected', severity: 'warning', details: expect.objectContaining({ symbol: 'BTC/USDT:USDT', key: 'sl' }) }])
    expect(t.live()).toMatchObject({ stopPlacement: 'platform', stopPrice: '95' })
    expect(t.live().stopPlacementReason).toMatch(/refused the stop order "sl"/)
    expect(t.price('95')).toEqual([{ type: 'cancel', key: 'tp1' }])
    expect(t.order('tp1', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', amount: '1', reduceOnly: true } }])
  })

  it('a rejected target alerts and the trade goes on under its stop', () => {
    const t = trade(base, futuresWithStops)
    t.order('entry', 'filled', '1', '100')
    expect(t.order('tp1', 'rejected', '0', null, null, null, 'price band')).toEqual([
      { type: 'alert', rule: 'trade_target_rejected', severity: 'warning', details: expect.objectContaining({ key: 'tp1', reason: 'price band' }) },
    ])
    expect(t.live()).toMatchObject({ phase: 'open', position: '1' })
    expect(t.live().targets[0]?.status).toBe('rejected')
  })

  it('puts back a stop someone cancelled on the venue, with an alert', () => {
    const t = trade(base, futuresWithStops)
    t.order('entry', 'filled', '1', '100')
    t.order('sl', 'acknowledged')
    expect(t.order('sl', 'cancelled')).toEqual([
      { type: 'alert', rule: 'trade_order_cancelled_outside', severity: 'warning', details: expect.objectContaining({ key: 'sl' }) },
      { type: 'place', key: 'sl.2', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'stop_market', amount: '1', stopPrice: '95', reduceOnly: true } },
    ])
  })

  it('a rejected market close blocks until the user closes again, with a new key', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' } })
    t.order('entry', 'filled', '1', '100')
    expect(kinds(t.command('close'))).toEqual(['place close'])
    expect(t.order('close', 'rejected', '0', null, null, null, 'trading halted')).toEqual([
      { type: 'alert', rule: 'trade_close_rejected', severity: 'critical', details: expect.objectContaining({ key: 'close', reason: 'trading halted' }) },
    ])
    expect(t.price('99')).toEqual([])
    expect(t.live().closeBlocked).toBe('trading halted')
    expect(t.command('close')).toEqual([{ type: 'place', key: 'close.2', purpose: 'close', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '1' } }])
  })
})

describe('unknown outcomes', () => {
  it('an unknown entry is waited for: no targets, no stop, until reconciliation answers', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '5' }, takeProfit: { targets: [{ percent: '5', sharePercent: '100' }] } })
    expect(t.order('entry', 'unknown')).toEqual([])
    expect(t.price('90')).toEqual([])
    expect(t.live()).toMatchObject({ phase: 'entering', unknownOrders: ['entry'] })
    expect(kinds(t.order('entry', 'filled', '1', '100'))).toEqual(['place tp1'])
  })

  it('on spot, a stop never sells the coins an unknown target may still sell; the rest follows once it is resolved', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '5' }, takeProfit: { targets: [{ percent: '5', sharePercent: '50' }, { percent: '10', sharePercent: '50' }] } })
    t.order('entry', 'filled', '1', '100')
    t.order('tp1', 'unknown')
    t.order('tp2', 'acknowledged')
    expect(t.price('95')).toEqual([{ type: 'cancel', key: 'tp1' }, { type: 'cancel', key: 'tp2' }])
    expect(t.order('tp2', 'cancelled')).toEqual([{ type: 'place', key: 'close', purpose: 'stop_loss', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.5' } }])
    expect(t.order('close', 'filled', '0.5', '95')).toEqual([]) // 0.5 left, maybe held by tp1 on the venue
    expect(t.live()).toMatchObject({ phase: 'closing', position: '0.5', unknownOrders: ['tp1'] })
    expect(t.order('tp1', 'acknowledged')).toEqual([{ type: 'cancel', key: 'tp1' }]) // found on the venue: cancel it now
    expect(t.order('tp1', 'cancelled')).toEqual([{ type: 'place', key: 'close.2', purpose: 'stop_loss', order: { symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: '0.5' } }])
    expect(kinds(t.order('close.2', 'filled', '0.5', '94'))).toEqual(['finish'])
    expect(t.live().realizedPnl).toBe('-5.5') // 0.5 × 95 + 0.5 × 94 − 100
  })
})

describe('bookkeeping', () => {
  it('returns the very same state for a price that changes nothing, so the runtime writes nothing', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { percent: '5', trailingPercent: '2' }, takeProfit: { targets: [{ percent: '10', sharePercent: '100' }] } })
    t.order('entry', 'filled', '1', '100')
    t.price('101') // a new best: the trailing stop moves (98.98 → 99 at whole numbers, above the 5 % stop at 95)
    expect(t.live().stopPrice).toBe('99')
    const before = t.state
    expect(t.price('100')).toEqual([])
    expect(t.state).toBe(before)
    t.price('100.5') // a finer price: the precision is learnt, a change
    expect(t.state).not.toBe(before)
  })


  it('books a repeated report once', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'limit', price: '100' } })
    t.order('entry', 'partially_filled', '0.4', '100', '0.04', 'USDT')
    const once = JSON.stringify(t.state.book)
    expect(t.order('entry', 'partially_filled', '0.4', '100', '0.04', 'USDT')).toEqual([])
    expect(JSON.stringify(t.state.book)).toBe(once)
    t.order('entry', 'filled', '1', '100.6', '0.1006', 'USDT') // 0.6 more at (100.6 − 40) / 0.6 = 101
    expect(t.state.book).toMatchObject({ entryQty: '1', entryCost: '100.6', feesQuote: '0.1006' })
  })

  it('values a third-currency fee at its last price, and keeps it aside when none is known', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' } })
    t.prices['BNB/USDT'] = '300'
    t.order('entry', 'filled', '1', '100', '0.0001', 'BNB') // 0.0001 × 300 = 0.03
    t.command('close')
    t.order('close', 'filled', '1', '101', '0.5', 'XYZ')
    expect(t.live()).toMatchObject({ fees: '0.03', feesOther: { XYZ: '0.5' }, realizedPnl: '0.97' })
  })

  it('places targets after a partly filled entry is cancelled, sized to what filled', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'limit', price: '100' }, takeProfit: { targets: [{ percent: '5', sharePercent: '50' }, { percent: '10', sharePercent: '50' }] } })
    expect(t.order('entry', 'partially_filled', '0.5', '100')).toEqual([])
    // 0.5 × 50 % = 0.25 → 0.2 (the fill is known to one decimal); the last takes 0.5 − 0.2 = 0.3
    expect(t.order('entry', 'cancelled', '0.5', '100')).toEqual([
      { type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.2', price: '105' } },
      { type: 'place', key: 'tp2', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.3', price: '110' } },
    ])
  })
})

describe('editing a running trade', () => {
  it('before the entry fills, new targets and stop replace the old ones', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'limit', price: '100' }, takeProfit: { targets: [{ percent: '5', sharePercent: '100' }] } })
    t.send({ type: 'edit', takeProfit: { targets: [{ price: '120', sharePercent: '100' }] }, stopLoss: { price: '90' }, time: t.now() + 1000 })
    expect(t.order('entry', 'filled', '1', '100')).toEqual([{ type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '1', price: '120' } }])
    expect(t.live()).toMatchObject({ stopPrice: '90', stopPlacement: 'platform' })
  })

  it('once open, a new stop replaces the one resting on the venue (cancel first, then the new level), even a looser one', () => {
    const t = trade({ symbol: 'BTC/USDT:USDT', direction: 'long', amount: '1', entry: { type: 'market' }, stopLoss: { price: '95' } }, futuresWithStops, '100')
    t.order('entry', 'filled', '1', '100')
    t.order('sl', 'acknowledged')
    expect(t.send({ type: 'edit', stopLoss: { price: '93' }, time: t.now() + 1000 })).toEqual([{ type: 'cancel', key: 'sl' }])
    expect(t.order('sl', 'cancelled')).toEqual([
      { type: 'place', key: 'sl.2', purpose: 'stop_loss', order: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'stop_market', amount: '1', stopPrice: '93', reduceOnly: true } },
    ])
    // Removing the stop cancels it and places none.
    t.order('sl.2', 'acknowledged')
    expect(t.send({ type: 'edit', stopLoss: null, time: t.now() + 1000 })).toEqual([{ type: 'cancel', key: 'sl.2' }])
    expect(t.order('sl.2', 'cancelled')).toEqual([])
    expect(t.live().stopPrice).toBeNull()
  })

  it('a new timeout counts from the entry fill and wakes the runtime', () => {
    const t = trade({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' } })
    t.order('entry', 'filled', '1', '100')
    const opened = t.now()
    expect(t.send({ type: 'edit', timeoutSeconds: 600, time: opened + 5000 })).toEqual([{ type: 'wake', at: opened + 600_000 }])
  })

  it('uses the venue tick for prices it computes when the venue tells it', () => {
    const config = smartTradeConfigSchema.parse({ symbol: 'BTC/USDT', direction: 'long', amount: '1', entry: { type: 'market' }, takeProfit: { targets: [{ percent: '1.234', sharePercent: '100' }] } })
    const ctx: MachineContext = { ...spot, now: T0, priceDecimals: () => 2, amountDecimals: () => null, lastPrice: () => '100.12345' }
    const started = smartTradeMachine.start(config, ctx)
    const filled = smartTradeMachine.step(started.state, { type: 'order', key: 'entry', state: 'filled', filled: '1', average: '100.12345', fee: null, feeCurrency: null, reason: null, time: T0 + 1 }, ctx)
    // 100.12345 × 1.01234 = 101.3589… → 101.36 at the venue's 0.01 tick
    expect(filled.commands).toEqual([{ type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '1', price: '101.36' } }])
  })
})

describe('the venue amount step', () => {
  it('sells what a spot fee in the coin leaves, rounded down to the step, and calls the remainder dust', () => {
    const config = smartTradeConfigSchema.parse({ symbol: 'BTC/USDT', direction: 'long', amount: '0.001', entry: { type: 'market' }, takeProfit: { targets: [{ percent: '1', sharePercent: '100' }] } })
    const ctx: MachineContext = { ...spot, now: T0, priceDecimals: () => 2, amountDecimals: () => 5, lastPrice: () => '100' }
    const started = smartTradeMachine.start(config, ctx)
    // Bought 0.001, paid 0.000001 BTC in fee: 0.000999 held, 0.00099 at the 0.00001 step.
    const filled = smartTradeMachine.step(started.state, { type: 'order', key: 'entry', state: 'filled', filled: '0.001', average: '100', fee: '0.000001', feeCurrency: 'BTC', reason: null, time: T0 + 1 }, ctx)
    expect(filled.commands).toEqual([{ type: 'place', key: 'tp1', purpose: 'take_profit', order: { symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.00099', price: '101' } }])
    const acked = smartTradeMachine.step(filled.state, { type: 'order', key: 'tp1', state: 'acknowledged', filled: '0', average: null, fee: null, feeCurrency: null, reason: null, time: T0 + 2 }, ctx)
    const done = smartTradeMachine.step(acked.state, { type: 'order', key: 'tp1', state: 'filled', filled: '0.00099', average: '101', fee: '0.0001', feeCurrency: 'USDT', reason: null, time: T0 + 3 }, ctx)
    // 0.000009 BTC of dust is left in the account; the trade is done.
    expect(done.commands).toEqual([{ type: 'finish', status: 'finished', reason: expect.any(String) as string }])
    expect(smartTradeMachine.live(done.state)).toMatchObject({ phase: 'finished', exitReason: 'take_profit' })
  })
})
