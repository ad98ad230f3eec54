import { describe, expect, it } from 'vitest'
import { riskLimitsSchema, type RiskLimits } from '../trading-api-types.js'
import { describeRiskLimitChanges, isRaise, riskLimitChanges, riskLimitFields } from './is-raise.js'

/**
 * For every field of the schema: a tighter value, a looser one, the same value written differently, adding
 * and removing the limit. Maxima loosen upwards and are unlimited when absent; the cooldown loosens
 * downwards and is none (0) when absent.
 */
type Case = { field: keyof RiskLimits; tight: string | number; loose: string | number; sameAsTight: string | number }
const cases: Case[] = [
  { field: 'maxOrderNotional', tight: '100', loose: '500', sameAsTight: '100.0' },
  { field: 'maxPositionNotional', tight: '1000', loose: '1000.5', sameAsTight: '1000.000' },
  { field: 'maxOpenOrders', tight: 5, loose: 6, sameAsTight: 5 },
  { field: 'maxDailyLoss', tight: '50', loose: '50.01', sameAsTight: '50.00' },
  { field: 'cooldownAfterStopLossSeconds', tight: 600, loose: 599, sameAsTight: 600 },
  { field: 'priceBandPercent', tight: '2.5', loose: '10', sameAsTight: '2.50' },
]
const limits = (field: keyof RiskLimits, value: string | number): RiskLimits => riskLimitsSchema.parse({ [field]: value })

describe('isRaise (which new risk limits wait for a second person)', () => {
  it('has a rule, and a case here, for every field of the risk limits schema', () => {
    expect([...riskLimitFields].sort()).toEqual(Object.keys(riskLimitsSchema.shape).sort())
    expect(cases.map((c) => c.field).sort()).toEqual(Object.keys(riskLimitsSchema.shape).sort())
  })

  describe.each(cases)('$field', ({ field, tight, loose, sameAsTight }) => {
    it('loosening it is a raise; tightening it is not', () => {
      expect(isRaise(limits(field, tight), limits(field, loose))).toBe(true)
      expect(isRaise(limits(field, loose), limits(field, tight))).toBe(false)
    })
    it('removing it is a raise; adding it is not', () => {
      expect(isRaise(limits(field, tight), {})).toBe(true)
      expect(isRaise({}, limits(field, tight))).toBe(false)
    })
    it('the same value written differently changes nothing', () => {
      expect(riskLimitChanges(limits(field, tight), limits(field, sameAsTight))).toEqual([])
      expect(isRaise(limits(field, tight), limits(field, sameAsTight))).toBe(false)
    })
  })

  it('a cooldown of 0 is the same as none', () => {
    expect(riskLimitChanges({ cooldownAfterStopLossSeconds: 0 }, {})).toEqual([])
    expect(riskLimitChanges({}, { cooldownAfterStopLossSeconds: 0 })).toEqual([])
  })

  it('one loosened field among tightened ones is a raise', () => {
    const current: RiskLimits = { maxOrderNotional: '100', maxOpenOrders: 5, cooldownAfterStopLossSeconds: 300 }
    const next: RiskLimits = { maxOrderNotional: '50', maxOpenOrders: 3, cooldownAfterStopLossSeconds: 600, priceBandPercent: '5' }
    expect(isRaise(current, next)).toBe(false)
    expect(isRaise(current, { ...next, maxOpenOrders: 8 })).toBe(true)
    expect(isRaise(current, { maxOrderNotional: '50', maxOpenOrders: 3 })).toBe(true) // the cooldown was removed
    expect(isRaise(current, current)).toBe(false)
  })

  it('says what changes in people\'s words, in the schema order', () => {
    const changes = riskLimitChanges(
      { maxOrderNotional: '100', maxOpenOrders: 5, cooldownAfterStopLossSeconds: 300, priceBandPercent: '5' },
      { maxOrderNotional: '500', maxDailyLoss: '200', cooldownAfterStopLossSeconds: 60, priceBandPercent: '5' },
    )
    expect(changes).toEqual([
      { field: 'maxOrderNotional', label: 'max order notional', from: '100', to: '500', raises: true },
      { field: 'maxOpenOrders', label: 'max open orders', from: '5', to: 'no limit', raises: true },
      { field: 'maxDailyLoss', label: 'max daily loss', from: 'no limit', to: '200', raises: false },
      { field: 'cooldownAfterStopLossSeconds', label: 'cooldown after a stop-loss', from: '300 s', to: '60 s', raises: true },
    ])
    expect(describeRiskLimitChanges(changes)).toBe('max order notional 100 → 500; max open orders 5 → no limit; max daily loss no limit → 200; cooldown after a stop-loss 300 s → 60 s')
    expect(describeRiskLimitChanges(riskLimitChanges({ priceBandPercent: '5' }, { priceBandPercent: '7.5' }))).toBe('price band 5 % → 7.5 %')
  })
})
