import ccxt from 'ccxt'
import { describe, expect, it } from 'vitest'
import { mapCcxtError } from './error-map.js'

describe('ccxt errors at our boundary', () => {
  it('maps each family to our codes and keeps the original only as the cause', () => {
    expect(mapCcxtError(new ccxt.InsufficientFunds('binance {"code":-2010}'), 'createOrder')).toMatchObject({ code: 'EXCHANGE_REJECTED' })
    expect(mapCcxtError(new ccxt.AuthenticationError('bad key'), 'fetchBalance')).toMatchObject({ code: 'EXCHANGE_AUTH' })
    expect(mapCcxtError(new ccxt.RequestTimeout('timeout'), 'createOrder')).toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' })
    expect(mapCcxtError(new ccxt.RateLimitExceeded('429 Too Many Requests'), 'x')).toMatchObject({ code: 'RATE_LIMITED', reason: undefined })
  })

  it('names the refusals the order journal acts on: no such order, and a duplicate client order id', () => {
    expect(mapCcxtError(new ccxt.OrderNotFound('binance {"code":-2013,"msg":"Order does not exist."}'), 'fetchOrder')).toMatchObject({ code: 'EXCHANGE_REJECTED', reason: 'ORDER_NOT_FOUND' })
    expect(mapCcxtError(new ccxt.DuplicateOrderId('okx {"sCode":"51016"}'), 'createOrder')).toMatchObject({ code: 'EXCHANGE_REJECTED', reason: 'DUPLICATE_CLIENT_ORDER_ID' })
    // Binance answers -2010 "Duplicate order sent.", which ccxt raises as a plain InvalidOrder.
    expect(mapCcxtError(new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'), 'createOrder')).toMatchObject({ code: 'EXCHANGE_REJECTED', reason: 'DUPLICATE_CLIENT_ORDER_ID' })
    expect(mapCcxtError(new ccxt.InvalidOrder('binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), 'createOrder')).toMatchObject({ code: 'EXCHANGE_REJECTED', reason: undefined })
  })

  it('tells an IP ban (418) apart from an ordinary rate limit', () => {
    const banned = mapCcxtError(new ccxt.DDoSProtection('binance 418 I\'m a teapot {"code":-1003,"msg":"Way too much request weight used; IP banned until 1733300000000."}'), 'fetchBalance')
    expect(banned).toMatchObject({ code: 'RATE_LIMITED', reason: 'IP_BANNED' })
    expect(banned.message).not.toMatch(/https?:|\?/)
  })
})
