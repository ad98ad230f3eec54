import { describe, expect, it } from 'vitest'
import { feedBadge, feesText, isoOf, pnlClass } from './demo-format'
import type { DemoFeed } from './demo-parsers'

const feed = (change: Partial<DemoFeed>): DemoFeed => ({ source: 'replay', state: 'running', detail: '2021-05', sinceMs: null, ...change })

describe('the data source badge', () => {
  it('names the source and what it is while it runs', () => {
    expect(feedBadge(feed({}))).toEqual({ tone: 'pending', label: 'Replay data (2021-05)', warning: undefined })
    expect(feedBadge(feed({ source: 'live', detail: 'binance' }))).toEqual({ tone: 'ok', label: 'Live data (binance)', warning: undefined })
    expect(feedBadge(feed({ source: 'synthetic', detail: ' ' }))).toEqual({ tone: 'pending', label: 'Synthetic data', warning: undefined })
  })

  it('warns, with the server\'s words, when the source is unreachable or a fallback stands in', () => {
    expect(feedBadge(feed({ source: 'live', state: 'unreachable', detail: 'binance has not answered for 2 minutes' }))).toEqual({
      tone: 'warn',
      label: 'Live data: unreachable',
      warning: 'binance has not answered for 2 minutes',
    })
    expect(feedBadge(feed({ state: 'fallback', detail: 'live unreachable; replaying 2021-05' }))).toEqual({
      tone: 'warn',
      label: 'Replay data: fallback',
      warning: 'live unreachable; replaying 2021-05',
    })
    // Without the server's words it still warns, never silently.
    expect(feedBadge(feed({ source: 'live', state: 'unreachable', detail: '' })).warning).toMatch(/does not answer/)
    expect(feedBadge(feed({ state: 'fallback', detail: '' })).warning).toMatch(/fallback/)
  })

  it('says when the feed has stopped', () => {
    expect(feedBadge(feed({ state: 'stopped', detail: 'end of the replay file' }))).toEqual({ tone: 'pending', label: 'Replay data: stopped', warning: 'end of the replay file' })
  })
})

describe('demo account words', () => {
  it('shows fee rates as percentages', () => {
    expect(feesText({ maker: '0.001', taker: '0.00075' })).toBe('maker 0.1 %, taker 0.075 %')
  })

  it('colours profit, loss and nothing apart', () => {
    expect(pnlClass('12.5')).toBe('pnl pnl--up')
    expect(pnlClass('-0.01')).toBe('pnl pnl--down')
    expect(pnlClass('0.000')).toBe('pnl')
  })

  it('writes milliseconds as ISO time', () => {
    expect(isoOf(1_740_830_400_000)).toBe('2025-03-01T12:00:00.000Z')
  })
})
