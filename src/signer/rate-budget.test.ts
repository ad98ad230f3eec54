import { describe, expect, it } from 'vitest'
import { createRateBudget } from './rate-budget.js'

describe("the signer's shared request budget", () => {
  it('is one bucket for venues on the same exchange account system (Bybit spot and linear), separate for others', async () => {
    let t = 0
    const budget = createRateBudget({ now: () => t, maxWaitMs: 0 })
    budget.pause('bybit', 60_000)
    await expect(budget.take('bybit-linear', 'GET', '/v5/market/tickers')).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    await expect(budget.take('okx', 'GET', '/api/v5/market/ticker')).resolves.toBeUndefined()
    t = 60_001
    await expect(budget.take('bybit-linear', 'GET', '/v5/market/tickers')).resolves.toBeUndefined()
  })

  it('holds ten seconds of the allowance, refills over time, and never lets a fixed minute pass more than the allowance', async () => {
    let t = 0
    // 1200 × 0.8 × 0.05 = 48 cost units a minute; the bucket holds 8: two account reads (cost 4 each).
    const budget = createRateBudget({ now: () => t, maxWaitMs: 0, factor: 0.05 })
    const drain = async () => {
      let taken = 0
      for (;;) {
        try {
          await budget.take('binance', 'GET', '/api/v3/account')
          taken++
        } catch (err) {
          expect(err).toMatchObject({ code: 'RATE_LIMITED' })
          return taken
        }
        if (taken > 10_000) throw new Error('the budget never ran dry')
      }
    }
    expect(await drain()).toBe(2)
    t += 5_000 // 48 × 5/60 = 4: one more read
    expect(await drain()).toBe(1)
    // Over one whole minute from here: at most the 8 held plus the 48 refilled, i.e. 14 reads.
    let inMinute = 0
    for (let step = 0; step < 60; step++) {
      t += 1_000
      inMinute += await drain()
    }
    expect(inMinute).toBeLessThanOrEqual(14)
    expect(inMinute).toBeGreaterThanOrEqual(11)
  })
})
