import { describe, expect, it } from 'vitest'
import { riskLimitsSchema } from '../../../../src/trading/trading-api-types'
import { emptyRiskDraft, riskDraftFrom, riskLimitsFrom } from './risk-draft'

describe('the risk limits form', () => {
  it('sends only the limits that are set, tidied, with the cooldown in seconds', () => {
    const result = riskLimitsFrom({ ...emptyRiskDraft, maxOrderNotional: '0250', maxDailyLoss: '.5', cooldownMinutes: '30', priceBandPercent: '5' })
    expect(result).toEqual({ ok: true, limits: { maxOrderNotional: '250', maxDailyLoss: '0.5', cooldownAfterStopLossSeconds: 1800, priceBandPercent: '5' } })
    if (result.ok) expect(riskLimitsSchema.parse(result.limits)).toEqual(result.limits)
    expect(riskLimitsFrom(emptyRiskDraft)).toEqual({ ok: true, limits: {} })
  })

  it('opens the current limits and sends them back unchanged', () => {
    const limits = { maxPositionNotional: '5000', maxOpenOrders: 3, cooldownAfterStopLossSeconds: 600 }
    expect(riskLimitsFrom(riskDraftFrom(limits))).toEqual({ ok: true, limits })
  })

  it('explains each refusal in its field', () => {
    expect(riskLimitsFrom({ ...emptyRiskDraft, maxOrderNotional: '0', maxOpenOrders: '0', cooldownMinutes: '20000', priceBandPercent: '1000' })).toEqual({
      ok: false,
      errors: {
        maxOrderNotional: 'Must be greater than zero.',
        maxOpenOrders: 'Must be at least 1.',
        priceBandPercent: 'Must be a percentage like "2.5".',
        cooldownMinutes: 'Enter whole minutes from 0 to 10080 (7 days).',
      },
    })
  })
})
