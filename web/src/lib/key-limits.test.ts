import { describe, expect, it } from 'vitest'
import { keyLimits } from '../../../src/signer/signer-types'
import type { KeyLimits } from './exchange-parsers'
import { compareDecimal, limitChanges, limitsToFields, normalizeDecimal, parseSymbolList, validateLimits, type LimitsFields } from './key-limits'

const current: KeyLimits = { symbols: ['BTC/USDT', 'ETH/USDT'], maxOrderNotional: '100', max24hNotional: '1000', maxOrdersPerMinute: 10, priceBandPct: '5' }
const fields = (patch: Partial<LimitsFields> = {}): LimitsFields => ({ ...limitsToFields(current), ...patch })

describe('the limits form', () => {
  it('round-trips the current limits unchanged, in a shape the signer accepts', () => {
    const { limits, errors } = validateLimits(fields())
    expect(errors).toEqual({})
    expect(limits).toEqual(current)
    expect(keyLimits.parse(limits)).toEqual(current)
  })

  it('tidies what people type into what the signer accepts', () => {
    const { limits } = validateLimits(fields({ symbols: 'btc/usdt, sol/usdt\nBTC/USDT  eth/usdt:usdt', maxOrderNotional: '0250', max24hNotional: '1 000.50', priceBandPct: '.5' }))
    expect(limits).toEqual({ ...current, symbols: ['BTC/USDT', 'SOL/USDT', 'ETH/USDT:USDT'], maxOrderNotional: '250', max24hNotional: '1000.50', priceBandPct: '0.5' })
    expect(keyLimits.safeParse(limits).success).toBe(true)
  })

  it('explains each refusal in its field', () => {
    const { limits, errors } = validateLimits({ symbols: 'BTCUSDT', maxOrderNotional: '1,000', max24hNotional: '0', maxOrdersPerMinute: '1201', priceBandPct: '150' })
    expect(limits).toBeUndefined()
    expect(errors.symbols).toMatch(/BTCUSDT.*BASE\/QUOTE/)
    expect(errors.maxOrderNotional).toMatch(/dot for decimals/)
    expect(errors.max24hNotional).toMatch(/more than 0/)
    expect(errors.maxOrdersPerMinute).toMatch(/1 to 1200/)
    expect(errors.priceBandPct).toMatch(/at most 100/)
  })

  it('refuses empty fields, fractional rates and more than 200 markets', () => {
    const many = Array.from({ length: 201 }, (_, index) => `C${index}/USDT`).join(',')
    const { errors } = validateLimits({ symbols: many, maxOrderNotional: '', max24hNotional: 'abc', maxOrdersPerMinute: '2.5', priceBandPct: '' })
    expect(Object.keys(errors).sort()).toEqual(['max24hNotional', 'maxOrderNotional', 'maxOrdersPerMinute', 'priceBandPct', 'symbols'])
    expect(errors.symbols).toMatch(/at most 200/)
  })

  it('never produces limits the signer would refuse', () => {
    const samples: LimitsFields[] = [
      fields({ maxOrderNotional: '00.10' }),
      fields({ maxOrdersPerMinute: '0' }),
      fields({ symbols: 'BTC/USDT:USDT, A/B' }),
      fields({ priceBandPct: '100.0' }),
      fields({ max24hNotional: '1e5' }),
      fields({ symbols: `${'A'.repeat(21)}/USDT` }),
    ]
    for (const sample of samples) {
      const { limits } = validateLimits(sample)
      if (limits !== undefined) expect(keyLimits.safeParse(limits).success).toBe(true)
    }
    expect(validateLimits(fields({ max24hNotional: '1e5' })).limits).toBeUndefined()
    expect(validateLimits(fields({ symbols: `${'A'.repeat(21)}/USDT` })).limits).toBeUndefined()
  })
})

describe('decimal amounts', () => {
  it('normalizes or refuses', () => {
    expect(normalizeDecimal('007')).toBe('7')
    expect(normalizeDecimal('0.10')).toBe('0.10')
    expect(normalizeDecimal('.25')).toBe('0.25')
    expect(normalizeDecimal('1.')).toBeUndefined()
    expect(normalizeDecimal('-5')).toBeUndefined()
    expect(normalizeDecimal('1.2.3')).toBeUndefined()
  })

  it('compares exactly, beyond float precision', () => {
    expect(compareDecimal('100', '99.999')).toBe(1)
    expect(compareDecimal('5', '5.000')).toBe(0)
    expect(compareDecimal('0.1', '0.10000000000000000001')).toBe(-1)
    expect(compareDecimal('12345678901234567890', '12345678901234567891')).toBe(-1)
  })

  it('splits symbol lists and keeps what it cannot read apart', () => {
    expect(parseSymbolList('btc/usdt;;eth/usdt btc/usdt x')).toEqual({ symbols: ['BTC/USDT', 'ETH/USDT'], invalid: ['x'] })
  })
})

describe('what a limits change widens', () => {
  it('sorts each change into widening (passkey or wait) and narrowing (at once)', () => {
    const next: KeyLimits = { symbols: ['BTC/USDT', 'SOL/USDT'], maxOrderNotional: '250', max24hNotional: '500', maxOrdersPerMinute: 10, priceBandPct: '5.5' }
    const { widening, narrowing } = limitChanges(current, next)
    expect(widening.map((change) => change.field)).toEqual(['symbols', 'maxOrderNotional', 'priceBandPct'])
    expect(narrowing.map((change) => change.field)).toEqual(['symbols', 'max24hNotional'])
    expect(widening[1]?.text).toBe('raises the per-order maximum from 100 to 250')
    expect(narrowing[0]?.text).toBe('removes ETH/USDT')
  })

  it('finds nothing when nothing changed, even written differently', () => {
    expect(limitChanges(current, { ...current, maxOrderNotional: '100.00', symbols: ['ETH/USDT', 'BTC/USDT'] })).toEqual({ widening: [], narrowing: [] })
  })
})
