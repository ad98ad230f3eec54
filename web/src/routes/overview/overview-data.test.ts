import { describe, expect, it } from 'vitest'
import { pnlTotals, signedAmount, sumDecimals } from './overview-data'

const bot = (status: 'running' | 'paused' | 'finished' | 'draft', realized: string, unrealized: string, currency = 'USDT', kind: 'demo' | 'exchange' = 'demo') => ({
  status,
  pnl: { realized, unrealized, fees: '0', currency },
  account: { kind, id: 'a', label: 'A' },
})

describe('overview data', () => {
  it('adds decimal strings exactly', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3') // not 0.30000000000000004
    expect(sumDecimals(['-12.5', '2.25', '10'])).toBe('-0.25')
    expect(sumDecimals([])).toBe('0')
    expect(sumDecimals(['1', 'NaN', '1e3'])).toBe('1')
  })

  it('adds realized over every bot and unrealized over the live ones, per currency, demo apart from real', () => {
    const totals = pnlTotals([bot('running', '10', '5.5'), bot('finished', '-3', '99'), bot('paused', '0', '-1.5'), bot('running', '1', '1', 'USDC'), bot('running', '2', '0', 'USDT', 'exchange')])
    expect(totals).toEqual([
      { currency: 'USDT', isDemo: false, realized: '2', unrealized: '0', bots: 1 },
      { currency: 'USDC', isDemo: true, realized: '1', unrealized: '1', bots: 1 },
      // 10 + (−3) + 0 = 7 realized; 5.5 + (−1.5) = 4 unrealized (the finished bot's 99 is not a position)
      { currency: 'USDT', isDemo: true, realized: '7', unrealized: '4', bots: 3 },
    ])
  })

  it('signs amounts', () => {
    expect([signedAmount('5'), signedAmount('-5'), signedAmount('0')]).toEqual(['+5', '-5', '0'])
  })
})
