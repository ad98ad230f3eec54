import { describe, expect, it } from 'vitest'
import { dailyPnlOf, pnlOfIntents, utcDayStart } from './pnl.js'
import { openOrderCountOf, positionsOf, type RiskIntent } from './positions.js'

// Each intent is one fill of `filled` at `average`; `at` is when it was sent and last updated.
let seq = 0
const fill = (p: Partial<RiskIntent> & Pick<RiskIntent, 'side' | 'filled'> & { at: string }): RiskIntent => {
  seq += 1
  const { at, ...rest } = p
  return {
    id: `i${String(seq).padStart(4, '0')}`,
    botId: 'bot-a',
    symbol: 'BTC/USDT',
    amount: p.filled,
    price: null,
    stopPrice: null,
    reduceOnly: false,
    purpose: 'entry',
    state: 'filled',
    average: null,
    fee: null,
    feeCurrency: null,
    createdAt: at,
    sentAt: at,
    updatedAt: at,
    ...rest,
  }
}
const noPrice = () => null

describe('PnL by average cost', () => {
  it('realizes a long closed in two parts, after quote fees', () => {
    const intents = [
      fill({ side: 'buy', filled: '1', average: '20000', fee: '20', feeCurrency: 'USDT', at: '2026-03-01T10:00:00Z' }),
      fill({ side: 'sell', filled: '0.4', average: '22000', fee: '8.8', feeCurrency: 'USDT', purpose: 'take_profit', at: '2026-03-01T11:00:00Z' }),
      fill({ side: 'sell', filled: '0.6', average: '19000', fee: '11.4', feeCurrency: 'USDT', purpose: 'stop_loss', at: '2026-03-01T12:00:00Z' }),
    ]
    // price PnL: 0.4 × (22000 − 20000) = 800, then 0.6 × (19000 − 20000) = −600 → 200
    // fees: 20 + 8.8 + 11.4 = 40.2 → realized after fees 200 − 40.2 = 159.8; flat, so nothing unrealized
    expect(pnlOfIntents(intents, () => '25000')).toEqual({ realized: '159.8', unrealized: '0', fees: '40.2', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([])
  })

  it('values a base-currency fee at the fill average and marks the open long to the last price', () => {
    const intents = [fill({ symbol: 'ETH/USDT', side: 'buy', filled: '2', average: '1500', fee: '0.002', feeCurrency: 'ETH', at: '2026-03-01T10:00:00Z' })]
    // fee: 0.002 ETH × 1500 = 3 USDT → realized −3; the fee never arrived, so 1.998 ETH are held:
    // unrealized (1600 − 1500) × 1.998 = 199.8
    expect(pnlOfIntents(intents, (s) => (s === 'ETH/USDT' ? '1600' : null))).toEqual({ realized: '-3', unrealized: '199.8', fees: '3', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([{ symbol: 'ETH/USDT', net: '1.998', averageEntry: '1500' }])
    // without a last price the open position is not valued
    expect(pnlOfIntents(intents, noPrice).unrealized).toBe('0')
  })

  it('a spot round trip whose buy fee was taken in the coin ends flat: no phantom position, no unrealized PnL', () => {
    const intents = [
      fill({ symbol: 'BTC/USDT', side: 'buy', filled: '0.01', average: '20000', fee: '0.00001', feeCurrency: 'BTC', at: '2026-03-01T10:00:00Z' }),
      fill({ symbol: 'BTC/USDT', side: 'sell', filled: '0.00999', average: '20100', fee: '0.2', feeCurrency: 'USDT', at: '2026-03-01T11:00:00Z' }),
    ]
    // (20100 − 20000) × 0.00999 = 0.999; fees 0.00001 × 20000 = 0.2 and 0.2 → realized 0.999 − 0.4 = 0.599
    expect(pnlOfIntents(intents, () => '30000')).toEqual({ realized: '0.599', unrealized: '0', fees: '0.4', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([])
  })

  it('realizes a short partly covered and marks the rest', () => {
    const intents = [
      fill({ symbol: 'BTC/USDT:USDT', side: 'sell', filled: '2', average: '30000', fee: '24', feeCurrency: 'USDT', at: '2026-03-01T10:00:00Z' }),
      fill({ symbol: 'BTC/USDT:USDT', side: 'buy', filled: '1', average: '28000', fee: '11.2', feeCurrency: 'USDT', purpose: 'take_profit', reduceOnly: true, at: '2026-03-01T11:00:00Z' }),
    ]
    // covered 1 at 28000 against a 30000 short: 1 × (30000 − 28000) = 2000; fees 24 + 11.2 = 35.2 → 1964.8
    // still short 1 at 30000; at 29000: (29000 − 30000) × −1 = 1000
    expect(pnlOfIntents(intents, () => '29000')).toEqual({ realized: '1964.8', unrealized: '1000', fees: '35.2', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([{ symbol: 'BTC/USDT:USDT', net: '-1', averageEntry: '30000' }])
  })

  it('averages additions and realizes a reduce against the average', () => {
    const intents = [
      fill({ side: 'buy', filled: '1', average: '100', at: '2026-03-01T10:00:00Z' }),
      fill({ side: 'buy', filled: '3', average: '200', at: '2026-03-01T11:00:00Z' }),
      fill({ side: 'sell', filled: '2', average: '150', purpose: 'close', at: '2026-03-01T12:00:00Z' }),
    ]
    // average: (1 × 100 + 3 × 200) / 4 = 175; sold 2 at 150: 2 × (150 − 175) = −50; left 2 at 175
    expect(pnlOfIntents(intents, () => '175')).toEqual({ realized: '-50', unrealized: '0', fees: '0', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([{ symbol: 'BTC/USDT', net: '2', averageEntry: '175' }])
  })

  it('flips a position when a reduce crosses zero', () => {
    const buy = fill({ symbol: 'ETH/USDT:USDT', side: 'buy', filled: '1', average: '100', at: '2026-03-01T10:00:00Z' })
    const flip = fill({ symbol: 'ETH/USDT:USDT', side: 'sell', filled: '3', average: '120', at: '2026-03-01T11:00:00Z' })
    const cover = fill({ symbol: 'ETH/USDT:USDT', side: 'buy', filled: '2', average: '110', at: '2026-03-01T12:00:00Z' })
    // the sell closes the long: 1 × (120 − 100) = 20, and opens a short of 2 at 120
    expect(positionsOf([buy, flip])).toEqual([{ symbol: 'ETH/USDT:USDT', net: '-2', averageEntry: '120' }])
    expect(pnlOfIntents([buy, flip], () => '120').realized).toBe('20')
    // the cover: 2 × (120 − 110) = 20 → 40 in all
    expect(pnlOfIntents([buy, flip, cover], noPrice).realized).toBe('40')
  })

  it('replays fills in the order they were placed, whatever the order they are given in', () => {
    const a = fill({ side: 'buy', filled: '1', average: '100', at: '2026-03-01T10:00:00Z' })
    const b = fill({ side: 'sell', filled: '1', average: '130', at: '2026-03-01T11:00:00Z' })
    const c = fill({ side: 'buy', filled: '1', average: '90', at: '2026-03-01T12:00:00Z' })
    // long 100 → 130: +30; then a new long at 90 (open)
    expect(pnlOfIntents([c, b, a], () => '100')).toEqual({ realized: '30', unrealized: '10', fees: '0', currency: 'USDT' })
  })

  it('keeps each bot’s book apart on a shared account', () => {
    const intents = [
      fill({ botId: 'bot-a', side: 'buy', filled: '1', average: '100', at: '2026-03-01T10:00:00Z' }),
      fill({ botId: 'bot-b', side: 'buy', filled: '1', average: '200', at: '2026-03-01T10:30:00Z' }),
      fill({ botId: 'bot-a', side: 'sell', filled: '1', average: '150', at: '2026-03-01T11:00:00Z' }),
    ]
    // bot a: 1 × (150 − 100) = 50 (a shared average of 150 would have made it 0); bot b still long 1 at 200
    expect(pnlOfIntents(intents, () => '150')).toEqual({ realized: '50', unrealized: '-50', fees: '0', currency: 'USDT' })
    expect(positionsOf(intents)).toEqual([{ symbol: 'BTC/USDT', net: '1', averageEntry: '200' }])
  })

  it('values a third-currency fee at its last price, and leaves it out without one', () => {
    const intents = [fill({ side: 'buy', filled: '1', average: '100', fee: '0.01', feeCurrency: 'BNB', at: '2026-03-01T10:00:00Z' })]
    // 0.01 BNB × 300 USDT = 3 USDT
    expect(pnlOfIntents(intents, (s) => (s === 'BNB/USDT' ? '300' : null))).toMatchObject({ realized: '-3', fees: '3' })
    expect(pnlOfIntents(intents, noPrice)).toMatchObject({ realized: '0', fees: '0' })
  })

  it('says mixed when the symbols have different quotes, and nothing for no intents', () => {
    const intents = [fill({ side: 'buy', filled: '1', average: '100', at: '2026-03-01T10:00:00Z' }), fill({ symbol: 'ETH/BTC', side: 'buy', filled: '1', average: '0.05', at: '2026-03-01T10:00:00Z' })]
    expect(pnlOfIntents(intents, noPrice).currency).toBe('mixed')
    expect(pnlOfIntents([], noPrice)).toEqual({ realized: '0', unrealized: '0', fees: '0', currency: '' })
  })
})

describe('daily PnL', () => {
  const now = new Date('2026-03-10T15:00:00Z')
  it('counts realized since 00:00 UTC against the full history’s average, plus unrealized now', () => {
    const intents = [
      fill({ side: 'buy', filled: '1', average: '100', fee: '0.1', at: '2026-03-09T10:00:00Z' }),
      fill({ side: 'sell', filled: '0.5', average: '110', fee: '0.055', at: '2026-03-09T20:00:00Z' }),
      fill({ side: 'sell', filled: '0.25', average: '90', fee: '0.0225', at: '2026-03-10T09:00:00Z' }),
    ]
    // yesterday: 0.5 × (110 − 100) = 5 minus fees 0.155 — not today's
    // today: 0.25 × (90 − 100) = −2.5 minus fee 0.0225 = −2.5225; left 0.25 at 100, at 80: 0.25 × (80 − 100) = −5
    expect(dailyPnlOf(intents, { now, lastPrice: () => '80' })).toEqual({ realized: '-2.5225', unrealized: '-5', fees: '0.0225', currency: 'USDT' })
    // all time: 5 − 2.5 − 0.1775 = 2.3225
    expect(pnlOfIntents(intents, () => '80').realized).toBe('2.3225')
  })

  it('counts an order that straddles midnight on the day it last changed', () => {
    const intents = [
      fill({ side: 'buy', filled: '1', average: '100', at: '2026-03-09T10:00:00Z' }),
      // sent before midnight, filled (and so updated) after it
      { ...fill({ side: 'sell', filled: '1', average: '95', at: '2026-03-09T23:00:00Z' }), updatedAt: '2026-03-10T01:00:00Z' },
    ]
    // 1 × (95 − 100) = −5, all of it today
    expect(dailyPnlOf(intents, { now, lastPrice: noPrice }).realized).toBe('-5')
    expect(utcDayStart(now).toISOString()).toBe('2026-03-10T00:00:00.000Z')
  })
})

describe('open orders', () => {
  it('counts every state that may still be on the venue, unknown included', () => {
    const states = ['intent', 'sent', 'acknowledged', 'partially_filled', 'unknown', 'filled', 'cancelled', 'rejected'] as const
    const intents = states.map((state) => ({ ...fill({ side: 'buy', filled: '0', at: '2026-03-01T10:00:00Z' }), amount: '1', state }))
    expect(openOrderCountOf(intents)).toBe(5)
  })
})
