import { describe, expect, it } from 'vitest'

// No static import of zod or the schemas here: the point is what happens when they are first loaded.

describe('the trading schemas in the browser', () => {
  it('never compile code, which the CSP (no unsafe-eval) would report', async () => {
    const original = globalThis.Function
    let compiled = 0
    globalThis.Function = new Proxy(original, {
      construct(target, args: unknown[]) {
        compiled += 1
        return Reflect.construct(target, args) as object
      },
    })
    try {
      const { createSmartTradeBody, botViewSchema } = await import('../../api/trading/schemas')
      createSmartTradeBody.safeParse({ account: { kind: 'demo', id: 'x' }, config: { symbol: 'BTC/USDT' } })
      botViewSchema.safeParse({ id: 'b' })
      const { smartTradeBodyFrom, emptySmartTradeDraft } = await import('./smart-trade-draft')
      smartTradeBodyFrom({ ...emptySmartTradeDraft(), symbol: 'BTC/USDT', amount: '1' })
    } finally {
      globalThis.Function = original
    }
    expect(compiled).toBe(0)
  })
})
