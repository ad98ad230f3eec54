import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { createManualClock } from '../../lib/clock.js'
import type { RaiseAlertInput } from '../../monitoring/index.js'
import { signalBotMachine } from '../machines/signal-bot.js'
import { smartTradeMachine } from '../machines/smart-trade.js'
import { signalBotConfigSchema, smartTradeConfigSchema } from '../trading-api-types.js'
import type { AccountRef, BotEvent, MachineContext, TradingVenue, VenueResolver } from '../trading-types.js'
import { createDeadManSwitch, deadManNeedOf, guardedSymbols, type DeadManNeed } from './dead-man.js'
import { freshState } from './runtime-state.js'

/**
 * The dead-man switch scheduler. Which symbols need it comes from the real machines' live views; the
 * venue is a recording double (the switch is a periodic side effect with no state of its own to check),
 * and time is a manual clock.
 */

const T0 = Date.UTC(2024, 2, 1, 12)
const BTC = 'BTC/USDT:USDT'
const ETH = 'ETH/USDT:USDT'

type Venue = Pick<MachineContext, 'market' | 'supportsStopOrders'>
const ctx = (venue: Venue, now = T0): MachineContext => ({ ...venue, now, lastPrice: () => '50000', priceDecimals: () => 1, amountDecimals: () => 3 })
const order = (key: string, state: 'acknowledged' | 'filled', filled = '0', average: string | null = null): BotEvent => ({ type: 'order', key, state, filled, average, fee: null, feeCurrency: null, reason: null, time: T0 + 1 })

describe('which bots need the switch (from the machines\' live views)', () => {
  const futuresWithoutStops: Venue = { market: 'linear', supportsStopOrders: false }
  const limitLong = smartTradeConfigSchema.parse({
    symbol: BTC, direction: 'long', amount: '0.01', entry: { type: 'limit', price: '49000' },
    takeProfit: { targets: [{ price: '52000', sharePercent: '100' }] }, stopLoss: { price: '48000' },
  })

  it('a smart trade whose stop the platform triggers, from its resting entry until it has finished', () => {
    let t = smartTradeMachine.start(limitLong, ctx(futuresWithoutStops))
    expect(smartTradeMachine.live(t.state)).toMatchObject({ phase: 'entering', stopPlacement: 'platform' })
    expect(guardedSymbols(smartTradeMachine.live(t.state))).toEqual([BTC])
    t = smartTradeMachine.step(t.state, order('entry', 'filled', '0.01', '49000'), ctx(futuresWithoutStops))
    t = smartTradeMachine.step(t.state, order('tp1', 'acknowledged'), ctx(futuresWithoutStops))
    expect(smartTradeMachine.live(t.state)).toMatchObject({ phase: 'open', position: '0.01' })
    expect(guardedSymbols(smartTradeMachine.live(t.state))).toEqual([BTC])
    t = smartTradeMachine.step(t.state, order('tp1', 'filled', '0.01', '52000'), ctx(futuresWithoutStops))
    expect(smartTradeMachine.live(t.state)).toMatchObject({ phase: 'finished' })
    expect(guardedSymbols(smartTradeMachine.live(t.state))).toEqual([])
  })

  it('not a trade whose stop rests on the exchange, nor one still waiting for its trigger with nothing on the venue', () => {
    const onExchange = smartTradeMachine.start(limitLong, ctx({ market: 'linear', supportsStopOrders: true }))
    expect(smartTradeMachine.live(onExchange.state)).toMatchObject({ phase: 'entering', stopPlacement: 'exchange' })
    expect(guardedSymbols(smartTradeMachine.live(onExchange.state))).toEqual([])
    const conditional = smartTradeMachine.start(smartTradeConfigSchema.parse({ ...limitLong, entry: { type: 'conditional', triggerPrice: '55000', direction: 'above' } }), ctx(futuresWithoutStops))
    expect(smartTradeMachine.live(conditional.state)).toMatchObject({ phase: 'waiting' })
    expect(guardedSymbols(smartTradeMachine.live(conditional.state))).toEqual([])
  })

  it("a signal bot's symbols with a position or an entry under way, not its idle ones", () => {
    const config = signalBotConfigSchema.parse({ symbols: [BTC, ETH], sizing: { kind: 'base', amount: '0.01' }, takeProfitPercent: '2', stopLossPercent: '1', source: { kind: 'webhook' } })
    let t = signalBotMachine.start(config, ctx(futuresWithoutStops))
    expect(guardedSymbols(signalBotMachine.live(t.state))).toEqual([])
    t = signalBotMachine.step(t.state, { type: 'signal', signal: { action: 'enter_long', symbol: BTC }, time: T0 + 1 }, ctx(futuresWithoutStops))
    expect(guardedSymbols(signalBotMachine.live(t.state))).toEqual([BTC])
    t = signalBotMachine.step(t.state, order('p1.entry', 'filled', '0.01', '50000'), ctx(futuresWithoutStops))
    expect(signalBotMachine.live(t.state)).toMatchObject({ positions: { [BTC]: { phase: 'open', amount: '0.01', stopPlacement: 'platform' } } })
    expect(guardedSymbols(signalBotMachine.live(t.state))).toEqual([BTC])
  })

  it('asks nothing for demo accounts or bots no longer driven here', () => {
    const t = smartTradeMachine.start(limitLong, ctx(futuresWithoutStops))
    const bot = { id: 'b1', workspaceId: 'w1', account: { kind: 'exchange' as const, id: 'a1' }, machine: smartTradeMachine as never, saved: freshState(t.state), isDetached: false }
    expect(deadManNeedOf(bot)).toEqual({ botId: 'b1', workspaceId: 'w1', account: bot.account, symbols: [BTC] })
    expect(deadManNeedOf({ ...bot, account: { kind: 'demo', id: 'd1' } })).toBeNull()
    expect(deadManNeedOf({ ...bot, isDetached: true })).toBeNull()
  })
})

/** A venue that records the switch calls it gets, and fails them while `failing` is set. */
const recordingVenues = (switches: Record<string, { scope: 'symbol' | 'account'; maxTimeoutMs: number | null } | null>) => {
  const calls: string[] = []
  let failing: Error | null = null
  const resolve: VenueResolver = async (_ws, account) => {
    const spec = switches[account.id]
    if (spec === undefined) throw new AppError('NOT_FOUND', `exchange account "${account.id}" not found in this workspace`)
    const venue = { account, venue: `venue-of-${account.id}` } as Pick<TradingVenue, 'account' | 'venue' | 'deadManSwitch'>
    if (spec !== null) {
      venue.deadManSwitch = {
        ...spec,
        armCancelAllAfter: async (symbol, timeoutMs) => {
          if (failing) throw failing
          calls.push(`${account.id} ${symbol} ${timeoutMs}`)
        },
      }
    }
    return venue as TradingVenue
  }
  return { resolve, calls, fail: (err: Error | null) => (failing = err) }
}

const setup = (switches: Parameters<typeof recordingVenues>[0]) => {
  const clock = createManualClock(T0)
  const venues = recordingVenues(switches)
  const raised: RaiseAlertInput[] = []
  const deadMan = createDeadManSwitch({ clock, venues: venues.resolve, alerts: { raise: async (a) => (raised.push(a), {} as never) } })
  const drain = () => venues.calls.splice(0)
  return { clock, venues, raised, deadMan, drain }
}

const need = (botId: string, accountId: string, symbols: string[]): DeadManNeed => ({ botId, workspaceId: 'w1', account: { kind: 'exchange', id: accountId } satisfies AccountRef, symbols })

describe('the dead-man switch rounds', () => {
  it('re-arms each (account, symbol) every round while a bot needs it, and stops it (0) once none does', async () => {
    const { clock, deadMan, drain } = setup({ a1: { scope: 'symbol', maxTimeoutMs: null } })
    await deadMan.round([need('b1', 'a1', [BTC]), need('b2', 'a1', [BTC, ETH])])
    expect(drain()).toEqual([`a1 ${BTC} 60000`, `a1 ${ETH} 60000`])
    expect(deadMan.stateOf('b1')).toEqual({ armed: true, until: new Date(T0 + 60_000).toISOString() })
    clock.advance(20_000)
    await deadMan.round([need('b1', 'a1', [BTC]), need('b2', 'a1', [BTC, ETH])])
    expect(drain()).toEqual([`a1 ${BTC} 60000`, `a1 ${ETH} 60000`])
    expect(deadMan.stateOf('b2')).toEqual({ armed: true, until: new Date(T0 + 80_000).toISOString() })
    clock.advance(20_000)
    await deadMan.round([need('b1', 'a1', [BTC])]) // b2 finished: ETH is stopped, BTC kept for b1
    expect(drain()).toEqual([`a1 ${BTC} 60000`, `a1 ${ETH} 0`])
    expect(deadMan.stateOf('b2')).toBeNull()
    clock.advance(20_000)
    await deadMan.round([])
    expect(drain()).toEqual([`a1 ${BTC} 0`])
    await deadMan.round([])
    expect(drain()).toEqual([])
  })

  it('arms an account-wide switch once, however many symbols and bots need it, and stops it when the last one is done', async () => {
    const { deadMan, drain } = setup({ okx1: { scope: 'account', maxTimeoutMs: 120_000 } })
    await deadMan.round([need('b1', 'okx1', ['BTC/USDT']), need('b2', 'okx1', ['ETH/USDT'])])
    expect(drain()).toEqual(['okx1 BTC/USDT 60000'])
    expect(deadMan.stateOf('b2')).toMatchObject({ armed: true })
    await deadMan.round([need('b2', 'okx1', ['ETH/USDT'])])
    expect(drain()).toEqual(['okx1 ETH/USDT 60000']) // still one switch: nothing is stopped
    await deadMan.round([])
    expect(drain()).toEqual(['okx1 ETH/USDT 0'])
  })

  it("keeps the countdown within the venue's longest, and calls nothing for venues without a switch", async () => {
    const { deadMan, drain } = setup({ short: { scope: 'symbol', maxTimeoutMs: 30_000 }, none: null })
    await deadMan.round([need('b1', 'short', [BTC]), need('b2', 'none', [BTC])])
    expect(drain()).toEqual([`short ${BTC} 30000`])
    expect(deadMan.stateOf('b2')).toBeNull()
  })

  it('forgets a switch that has already ended instead of stopping it', async () => {
    const { clock, deadMan, drain } = setup({ a1: { scope: 'symbol', maxTimeoutMs: null } })
    await deadMan.round([need('b1', 'a1', [BTC])])
    drain()
    clock.advance(61_000) // no round for a minute (the event loop stalled): the venue has cancelled the orders
    expect(deadMan.stateOf('b1')).toBeNull()
    await deadMan.round([])
    expect(drain()).toEqual([])
  })

  it('never throws: a failing switch is alerted once until it works again, then alerted again when it fails anew', async () => {
    const { clock, venues, raised, deadMan, drain } = setup({ a1: { scope: 'symbol', maxTimeoutMs: null } })
    venues.fail(new AppError('EXCHANGE_UNAVAILABLE', 'cancelAllOrdersAfter: the exchange did not answer'))
    await deadMan.round([need('b1', 'a1', [BTC])])
    await deadMan.round([need('b1', 'a1', [BTC])])
    expect(raised).toEqual([
      { workspaceId: 'w1', rule: 'dead_man_switch_failed', severity: 'warning', details: { accountId: 'a1', symbol: BTC, action: 'arm', message: 'cancelAllOrdersAfter: the exchange did not answer' }, dedupKey: `exchange:a1|${BTC}` },
    ])
    expect(deadMan.stateOf('b1')).toBeNull()
    venues.fail(null)
    await deadMan.round([need('b1', 'a1', [BTC])])
    expect(drain()).toEqual([`a1 ${BTC} 60000`])
    // Stopping fails too: it stays armed here and is tried again next round.
    venues.fail(new AppError('EXCHANGE_UNAVAILABLE', 'down'))
    clock.advance(20_000)
    await deadMan.round([])
    expect(raised.map((a) => a.details?.action)).toEqual(['arm', 'disarm'])
    venues.fail(null)
    await deadMan.round([])
    expect(drain()).toEqual([`a1 ${BTC} 0`])
  })

  it('leaves an armed switch as it is when its account cannot be looked up this round', async () => {
    const { deadMan, drain, raised } = setup({ a1: { scope: 'symbol', maxTimeoutMs: null } })
    await deadMan.round([need('b1', 'a1', [BTC]), need('b9', 'gone', [ETH])])
    expect(drain()).toEqual([`a1 ${BTC} 60000`])
    expect(raised).toMatchObject([{ rule: 'dead_man_switch_failed', details: { accountId: 'gone', symbol: null, action: 'arm', message: expect.stringContaining('not found') } }])
  })
})
