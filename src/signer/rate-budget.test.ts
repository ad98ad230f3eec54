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

  it('runs dry after a minute of weight and refills over time', async () => {
    let t = 0
    const budget = createRateBudget({ now: () => t, maxWaitMs: 0, factor: 0.01 }) // 1200 × 0.8 × 0.01 ≈ 9.6 cost units: two account reads (cost 4 each)
    let taken = 0
    for (;;) {
      try {
        await budget.take('binance', 'GET', '/api/v3/account')
        taken++
      } catch (err) {
        expect(err).toMatchObject({ code: 'RATE_LIMITED' })
        break
      }
      if (taken > 10_000) throw new Error('the budget never ran dry')
    }
    expect(taken).toBe(2)
    t += 60_000
    await expect(budget.take('binance', 'GET', '/api/v3/account')).resolves.toBeUndefined()
  })
})
