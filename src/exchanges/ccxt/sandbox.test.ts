import ccxt from 'ccxt'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { catalogue, catalogueEntry, checkEndpoint } from '../index.js'
import { cannedResponses, captureRequests, clientFor, fakeCredentials, fixtures, isSigned, symbolOf, type CcxtVenue } from '../../../test/exchanges/venue-harness.js'
import { createCcxtClient } from './ccxt-client.js'
import { withVenueCredentials } from './credentials.js'
import { enableTestEnvironment, guardedSetSandboxMode } from './sandbox.js'

const noTestUrl = ['kucoin', 'kraken', 'bitfinex', 'xt', 'htx', 'mexc'] as const

describe('guardedSetSandboxMode', () => {
  it.each(noTestUrl)('refuses %s, which has no test URL, and leaves its URLs alone', (venue) => {
    const exchange = createCcxtClient(venue)
    const before = JSON.stringify(exchange.urls.api)
    expect(() => guardedSetSandboxMode(exchange)).toThrow(AppError)
    expect(JSON.stringify(exchange.urls.api)).toBe(before)
  })

  it("is needed: ccxt's own setSandboxMode 'succeeds' on KuCoin and leaves requests without a host (reference finding 4)", () => {
    const exchange = new ccxt.kucoin({ apiKey: 'k', secret: 's', password: 'p' })
    exchange.setSandboxMode(true)
    const signed = exchange.sign('hf/orders', 'private', 'POST', { symbol: 'BTC-USDT' }) as { url: string }
    expect(signed.url.startsWith('undefined/')).toBe(true)
    expect(checkEndpoint('kucoin', 'POST', signed.url)).toMatchObject({ allowed: false })
  })

  it('switches a venue that has a real test URL map (Gate)', () => {
    const exchange = createCcxtClient('gate')
    guardedSetSandboxMode(exchange)
    expect(JSON.stringify(exchange.urls.api)).toContain('https://api-testnet.gateapi.io')
  })
})

describe('enableTestEnvironment', () => {
  const withoutTestEnvironment = catalogue.filter((e) => e.sandbox.switch === null && e.implementation === 'ccxt').map((e) => e.id)
  const withTestEnvironment = catalogue.filter((e) => e.sandbox.switch !== null).map((e) => e.id as CcxtVenue)

  it('covers the venues the reference lists', () => {
    expect(withoutTestEnvironment).toEqual(['kucoin', 'mexc', 'kraken', 'binanceus', 'bitfinex', 'xt', 'htx'])
    expect(withTestEnvironment).toEqual(['binance', 'okx', 'bybit', 'bitget', 'gate', 'binanceusdm', 'bybit-linear', 'bitget-futures', 'blofin'])
  })

  it.each(withoutTestEnvironment)('refuses %s with the reason', (venue) => {
    const exchange = createCcxtClient(venue)
    expect(() => enableTestEnvironment(exchange, venue)).toThrow(/has no testnet or demo environment/)
  })

  it("refuses Binance.US even though ccxt gives it test URLs: they are Binance.com's", () => {
    const exchange = createCcxtClient('binanceus')
    expect(JSON.stringify((exchange.urls as Record<string, unknown>)['test'])).toContain('testnet.binance.vision')
    expect(() => enableTestEnvironment(exchange, 'binanceus')).toThrow(AppError)
    expect(JSON.stringify(exchange.urls.api)).toContain('api.binance.us')
  })

  it.each(withTestEnvironment)('routes a signed createOrder on %s to its test environment', async (venue) => {
    const entry = catalogueEntry(venue)!
    const exchange = clientFor(venue)
    enableTestEnvironment(exchange, venue)
    const sent = captureRequests(exchange, venue, cannedResponses[venue])
    await withVenueCredentials(exchange, venue, fakeCredentials(venue), () =>
      exchange.createOrder(symbolOf(venue), 'limit', 'buy', 0.01, 50000, { clientOrderId: fixtures[venue].clientOrderId }),
    )
    const order = sent[sent.length - 1]!
    expect(order.verdict).toEqual({ allowed: true })
    expect(isSigned(venue, order)).toBe(true)
    expect(new URL(order.url).origin).toBe(entry.sandbox.url)
    // Same-host demos are marked per request.
    if (venue === 'okx') expect(exchange.headers).toMatchObject({ 'x-simulated-trading': '1' })
    if (venue === 'bitget' || venue === 'bitget-futures') expect(order.headers['paptrading']).toBe('1')
  })

  it("uses Binance USDⓈ-M demo trading: ccxt's setSandboxMode route refuses to sign (reference finding 5)", async () => {
    const viaSandbox = new ccxt.binanceusdm({ apiKey: 'k', secret: 's' })
    viaSandbox.setSandboxMode(true)
    expect(() => viaSandbox.sign('order', 'fapiPrivate', 'POST', { symbol: 'BTCUSDT' })).toThrow(ccxt.NotSupported)

    const exchange = clientFor('binanceusdm')
    enableTestEnvironment(exchange, 'binanceusdm')
    const sent = captureRequests(exchange, 'binanceusdm', cannedResponses.binanceusdm)
    await withVenueCredentials(exchange, 'binanceusdm', fakeCredentials('binanceusdm'), () => exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 50000))
    expect(sent.map((r) => new URL(r.url).host)).toEqual(['demo-fapi.binance.com'])
  })

  it('leaves a demo Binance key unverifiable: demo has no sapi, and the policy refuses the hostless URL', async () => {
    const exchange = clientFor('binance')
    enableTestEnvironment(exchange, 'binance')
    const sent = captureRequests(exchange, 'binance')
    await withVenueCredentials(exchange, 'binance', fakeCredentials('binance'), () => (exchange as unknown as { sapiGetAccountApiRestrictions: () => Promise<unknown> }).sapiGetAccountApiRestrictions()).catch(() => undefined)
    expect(sent.every((r) => !r.verdict.allowed)).toBe(true)
  })
})
