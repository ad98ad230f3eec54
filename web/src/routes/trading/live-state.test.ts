import { describe, expect, it } from 'vitest'
import { readLive, words } from './live-state'

describe("a bot's live state", () => {
  it('reads the Smart Trade fields into their places and lists the rest', () => {
    const live = readLive({
      phase: 'in_position',
      position: '0.02',
      averageEntry: '64010.5',
      stopPrice: '63000',
      stopPlacement: 'platform',
      targets: [
        { price: '65000', sharePercent: '50', status: 'filled' },
        { percent: '4', sharePercent: '50', status: 'open' },
        'not a target',
      ],
      trailingHigh: '65210',
      deadManArmed: true,
      nested: { ignored: true },
    })
    expect(live).toEqual({
      phase: 'in_position',
      position: '0.02',
      averageEntry: '64010.5',
      stopPrice: '63000',
      stopPlacement: 'platform',
      targets: [
        { price: '65000', percent: null, sharePercent: '50', status: 'filled' },
        { price: null, percent: '4', sharePercent: '50', status: 'open' },
      ],
      positions: [],
      other: [
        ['Trailing high', '65210'],
        ['Dead man armed', 'Yes'],
      ],
    })
  })

  it('reads Signal Bot positions and knows nothing it is not told', () => {
    const live = readLive({ positions: [{ symbol: 'ETH/USDT', side: 'long', amount: '1.5', entryPrice: '3000' }], stopPlacement: 'somewhere' })
    expect(live.positions).toEqual([{ symbol: 'ETH/USDT', side: 'long', amount: '1.5', averageEntry: '3000' }])
    expect(live.stopPlacement).toBeNull()
    expect(live.phase).toBeNull()
    expect(readLive({ stopPlacement: 'exchange' }).stopPlacement).toBe('exchange')
  })

  it('says machine words as words', () => {
    expect(words('waiting_entry')).toBe('Waiting entry')
    expect(words('partiallyFilled')).toBe('Partially filled')
  })
})
