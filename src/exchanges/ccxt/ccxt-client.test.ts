import ccxt from 'ccxt'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { catalogue } from '../catalogue.js'
import { adoptPublicState, createCcxtClient } from './ccxt-client.js'

describe('createCcxtClient', () => {
  it('builds every ccxt venue by catalogue id with its presets, no throttle and no retries', () => {
    for (const e of catalogue.filter((x) => x.implementation === 'ccxt')) {
      const exchange = createCcxtClient(e.id)
      expect(exchange.id, e.id).toBe(e.ccxtId)
      expect(exchange.enableRateLimit).toBe(false)
      expect((exchange.options as Record<string, unknown>)['adjustForTimeDifference']).toBe(e.clock.adjustForTimeDifference)
      expect((exchange.options as Record<string, unknown>)['maxRetriesOnFailure'] ?? 0).toBe(0)
    }
  })

  it('presets the account mode lookups away (reference finding 2) and keeps the variants apart', () => {
    const options = (id: string) => createCcxtClient(id).options as Record<string, unknown>
    expect(options('bybit')).toMatchObject({ enableUnifiedAccount: true, enableUnifiedMargin: false, defaultType: 'spot' })
    expect(options('bybit-linear')).toMatchObject({ enableUnifiedAccount: true, defaultType: 'swap', defaultSubType: 'linear' })
    expect(options('kucoin')).toMatchObject({ uta: false, hf: true })
    expect(options('bitget')).toMatchObject({ uta: false, defaultType: 'spot' })
    expect(options('bitget-futures')).toMatchObject({ uta: false, defaultType: 'swap' })
    expect(options('gate')).toMatchObject({ unifiedAccount: false })
    expect(options('okx')).toMatchObject({ createOrder: 'privatePostTradeOrder' })
    expect(options('binance')).toMatchObject({ fetchCurrencies: false, fetchMargins: false })
    // currency lists that are signed calls are off
    for (const id of ['okx', 'bybit', 'mexc']) expect(createCcxtClient(id).has['fetchCurrencies'], id).toBe(false)
    // ccxt mutates its options at run time; one instance never leaks into the next
    const a = createCcxtClient('bybit')
    ;(a.options as Record<string, unknown>)['enableUnifiedAccount'] = false
    expect(options('bybit')['enableUnifiedAccount']).toBe(true)
  })

  it('redirects by venue id first, then by ccxt id (BULWARK_EXCHANGE_ENDPOINTS)', () => {
    const both = createCcxtClient('bybit-linear', { endpoints: { bybit: 'http://127.0.0.1:1111', 'bybit-linear': 'http://127.0.0.1:2222' } })
    expect(JSON.stringify(both.urls.api)).toContain('http://127.0.0.1:2222')
    expect(JSON.stringify(both.urls.api)).not.toContain('1111')
    const byClass = createCcxtClient('bybit-linear', { endpoints: { bybit: 'http://127.0.0.1:1111' } })
    expect(JSON.stringify(byClass.urls.api)).toContain('http://127.0.0.1:1111')
    expect(JSON.stringify(byClass.urls.api)).not.toContain('bybit.com')
  })

  it('refuses unknown venues, and EXMO unless its own class is supplied', () => {
    expect(() => createCcxtClient('ftx')).toThrow(AppError)
    expect(() => createCcxtClient('exmo')).toThrow(/own venue class was not supplied/)
    class Stand extends ccxt.Exchange {}
    const exmo = createCcxtClient('exmo', { customClasses: { exmo: Stand as never } })
    expect(exmo).toBeInstanceOf(Stand)
  })
})

describe('adoptPublicState', () => {
  it('gives a per-key instance the markets and the measured clock offset, so it never loads either with a key', () => {
    const pub = createCcxtClient('okx')
    pub.setMarkets([pub.safeMarketStructure({ id: 'BTC-USDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', type: 'spot', spot: true })] as never)
    ;(pub.options as Record<string, unknown>)['timeDifference'] = 1234
    const keyed = createCcxtClient('okx')
    adoptPublicState(keyed, pub)
    expect(Object.keys(keyed.markets ?? {})).toEqual(['BTC/USDT'])
    expect((keyed.options as Record<string, unknown>)['timeDifference']).toBe(1234)
    expect(keyed.nonce()).toBe(keyed.milliseconds() - 1234)
  })
})
