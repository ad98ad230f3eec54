import { describe, expect, it } from 'vitest'
import type { AccountRef } from '../trading-types.js'
import { demoRecordOf } from './demo-record.js'
import type { RiskIntent } from './positions.js'

const demo: AccountRef = { kind: 'demo', id: '0190a0a0-0000-7000-8000-000000000001' }
const real: AccountRef = { kind: 'exchange', id: '0190a0a0-0000-7000-8000-000000000002' }

// One fill per intent, a minute apart, in the order written.
let minute = 0
const fill = (side: 'buy' | 'sell', filled: string, average: string, fee: string, more: Partial<RiskIntent & { account: AccountRef }> = {}): RiskIntent & { account: AccountRef } => {
  minute += 1
  const at = new Date(Date.UTC(2026, 2, 2, 0, minute)).toISOString()
  return {
    id: `i${String(minute).padStart(4, '0')}`,
    botId: 'bot-a',
    account: demo,
    symbol: 'BTC/USDT',
    side,
    amount: filled,
    price: null,
    stopPrice: null,
    reduceOnly: false,
    purpose: side === 'buy' ? 'entry' : 'close',
    state: 'filled',
    filled,
    average,
    fee,
    feeCurrency: 'USDT',
    createdAt: at,
    sentAt: at,
    updatedAt: at,
    ...more,
  }
}
const span = { firstStartedAt: new Date('2026-03-01T00:00:00Z'), now: new Date('2026-03-15T12:00:00Z') }

describe('demo record', () => {
  it('counts round trips, wins, realized PnL after fees and the drawdown of cumulative realized', () => {
    const intents = [
      // trip 1: 1 × (110 − 100) = 10 − fees 0.1 − 0.11 = 9.79, a win; cumulative 9.79 (peak)
      fill('buy', '1', '100', '0.1'),
      fill('sell', '1', '110', '0.11'),
      // trip 2: entry fee 0.11; half out at 100: 0.5 × (100 − 110) = −5, fee 0.05 → cumulative 9.79 − 0.11 − 5 − 0.05 = 4.63
      fill('buy', '1', '110', '0.11'),
      fill('sell', '0.5', '100', '0.05'),
      //   rest out at 104: 0.5 × (104 − 110) = −3, fee 0.052 → cumulative 1.578; drawdown 9.79 − 1.578 = 8.212
      //   the trip: −0.11 − 5 − 0.05 − 3 − 0.052 = −8.212, a loss
      fill('sell', '0.5', '104', '0.052'),
      // trip 3: 2 × (106 − 100) = 12 − 0.2 − 0.212 = 11.588, a win; cumulative 13.166 (new peak)
      fill('buy', '2', '100', '0.2'),
      fill('sell', '2', '106', '0.212'),
      // open trip: not a trade; its entry fee is realized already: 13.166 − 0.105 = 13.061
      fill('buy', '1', '105', '0.105'),
      // the same bot after its promotion: not part of the demo record
      fill('sell', '1', '50', '1', { account: real }),
    ]
    expect(demoRecordOf(intents, span)).toEqual({
      trades: 3,
      wins: 2,
      realizedPnl: '13.061',
      // 0.1 + 0.11 + 0.11 + 0.05 + 0.052 + 0.2 + 0.212 + 0.105
      fees: '0.939',
      maxDrawdown: '8.212',
      // 1 March 00:00 → 15 March 12:00
      daysRun: 14.5,
      currency: 'USDT',
    })
  })

  it('ends one trip and starts the next when a fill crosses flat, splitting its fee', () => {
    const f = { symbol: 'BTC/USDT:USDT' }
    const intents = [
      fill('buy', '1', '100', '1', f),
      // closes the long: 1 × (90 − 100) = −10; half of the 1.8 fee (1 of 2) → trip 1: −1 − 10 − 0.9 = −11.9, a loss
      // cumulative −1 − 10 − 1.8 = −12.8: drawdown 12.8 from the starting 0
      fill('sell', '2', '90', '1.8', f),
      // trip 2 (short 1 at 90, −0.9 of fee so far): 1 × (90 − 80) = 10 − 0.8 → 8.3, a win; cumulative −3.6
      fill('buy', '1', '80', '0.8', f),
    ]
    expect(demoRecordOf(intents, span)).toMatchObject({ trades: 2, wins: 1, realizedPnl: '-3.6', fees: '3.6', maxDrawdown: '12.8' })
  })

  it('does not count a trip as a win when fees eat its gain', () => {
    // 1 × (101 − 100) = 1 − 1 − 1.01 = −1.01
    const record = demoRecordOf([fill('buy', '1', '100', '1'), fill('sell', '1', '101', '1.01')], span)
    expect(record).toMatchObject({ trades: 1, wins: 0, realizedPnl: '-1.01', maxDrawdown: '1.01' })
  })

  it('is empty for a bot that never traded or never started', () => {
    expect(demoRecordOf([], { firstStartedAt: null, now: span.now })).toEqual({ trades: 0, wins: 0, realizedPnl: '0', fees: '0', maxDrawdown: '0', daysRun: 0, currency: '' })
  })
})
