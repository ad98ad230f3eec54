import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { bybitClient, okxClient, randomApiKey, randomHmacSecret, randomPassphrase } from './emulator-fixtures.js'
import { pointAt, productionUrl } from './point-ccxt.js'

/** serve.ts in a child process: one JSON line in, one JSON line out per request. */
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.stdin?.end()
})

const serve = async (first: unknown) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'serve.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>
  child.stdin!.write(`${JSON.stringify(first)}\n`)
  const ready = await next()
  const op = async (o: unknown) => {
    child.stdin!.write(`${JSON.stringify(o)}\n`)
    return next()
  }
  return { ready, op }
}

describe('serve.ts: any family in a process of its own', () => {
  it('starts Binance when no family is given (the original protocol)', async () => {
    const apiKey = randomApiKey()
    const secret = randomHmacSecret()
    const { ready, op } = await serve({ accounts: [{ apiKey, secret, balances: { USDT: '5' } }] })
    expect(ready).toMatchObject({ family: 'binance', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
    const exchange = new ccxt.binance({ apiKey, secret, options: { fetchCurrencies: false, fetchMargins: false, fetchMarkets: { types: ['spot'] } } })
    pointAt(exchange, String(ready['url']))
    expect((await exchange.fetchBalance())['USDT']?.total).toBe(5)
    expect(await op({ op: 'withdrawals' })).toEqual({ ok: true, result: [] })
  })

  it('starts OKX and Bybit, answers control ops, and reports unknown ones', async () => {
    const okxKey = { apiKey: randomApiKey(), secret: randomHmacSecret(), passphrase: randomPassphrase() }
    const okx = await serve({ family: 'okx', accounts: [{ ...okxKey, balances: { USDT: '7' } }] })
    expect(okx.ready['family']).toBe('okx')
    const okxExchange = okxClient({ url: String(okx.ready['url']) }, okxKey.apiKey, okxKey.secret, okxKey.passphrase)
    expect((await okxExchange.fetchBalance())['USDT']?.total).toBe(7)
    expect(await okx.op({ op: 'setPrice', symbol: 'BTC-USDT', price: '12345.6' })).toEqual({ ok: true, result: null })
    expect((await okxExchange.fetchTicker('BTC/USDT')).last).toBe(12345.6)
    const log = (await okx.op({ op: 'requests' })) as { result: Array<{ path: string }> }
    expect(log.result.map((r) => r.path)).toContain('/api/v5/account/balance')
    expect(JSON.stringify(log)).not.toContain(okxKey.passphrase)
    expect(await okx.op({ op: 'nonsense' })).toMatchObject({ ok: false, error: 'unknown op "nonsense"' })

    const bybitKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    const bybit = await serve({ family: 'bybit', accounts: [{ ...bybitKey, balances: { BTC: '1' } }] })
    expect((await bybitClient({ url: String(bybit.ready['url']) }, bybitKey.apiKey, bybitKey.secret).fetchBalance())['BTC']?.total).toBe(1)
  })
})

describe('pointAt: production URLs for error mapping', () => {
  it('maps a redirected URL back by the longest matching prefix and leaves others alone', () => {
    const rewrites = [['http://127.0.0.1:9/fapi/v1', 'https://fapi.binance.com/fapi/v1'], ['http://127.0.0.1:9/api', 'https://api.binance.com/api']] as const
    expect(productionUrl(rewrites, 'http://127.0.0.1:9/fapi/v1/order?symbol=X')).toBe('https://fapi.binance.com/fapi/v1/order?symbol=X')
    expect(productionUrl(rewrites, 'http://127.0.0.1:9/api/v3/order')).toBe('https://api.binance.com/api/v3/order')
    expect(productionUrl(rewrites, 'http://127.0.0.1:9/apix/v3')).toBe('http://127.0.0.1:9/apix/v3') // a prefix ends at a path boundary
    expect(productionUrl(rewrites, 'http://other/fapi/v1/order')).toBe('http://other/fapi/v1/order')
  })
})
