import { describe, expect, it } from 'vitest'
import { checkEndpoint, endpointAllowlists, matchEndpoint } from './endpoint-policy.js'
import { catalogue } from './catalogue.js'

const refused = (reason: 'deny_listed' | 'not_allowlisted') => expect.objectContaining({ allowed: false, reason })

describe('checkEndpoint', () => {
  it('has an allowlist for every catalogue venue, EXMO included', () => {
    expect(Object.keys(endpointAllowlists).sort()).toEqual(catalogue.map((e) => e.id).sort())
  })

  it('decides on method and path only: the query string and host do not matter, the method does', () => {
    expect(checkEndpoint('binance', 'GET', 'https://api.binance.com/api/v3/order?symbol=BTCUSDT&origClientOrderId=x&signature=ab')).toEqual({ allowed: true })
    expect(checkEndpoint('binance', 'get', 'http://127.0.0.1:9999/api/v3/order')).toEqual({ allowed: true })
    expect(checkEndpoint('binance', 'PUT', 'https://api.binance.com/api/v3/order')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('binance', 'GET', 'https://api.binance.com/api/v3/orderList')).toEqual(refused('not_allowlisted'))
  })

  it('allows a venue only its own endpoints (the futures ids are separate venues)', () => {
    expect(checkEndpoint('bybit', 'POST', 'https://api.bybit.com/v5/position/set-leverage')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('bybit-linear', 'POST', 'https://api.bybit.com/v5/position/set-leverage')).toEqual({ allowed: true })
    expect(checkEndpoint('binance', 'POST', 'https://fapi.binance.com/fapi/v1/order')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('nowhere', 'POST', 'https://api.binance.com/api/v3/order')).toEqual(refused('not_allowlisted'))
    // The backstop applies even to a venue we do not know.
    expect(checkEndpoint('nowhere', 'POST', 'https://api.binance.com/sapi/v1/capital/withdraw/apply')).toEqual(refused('deny_listed'))
  })

  it('matches a template segment only with the values its rule allows', () => {
    expect(checkEndpoint('kucoin', 'DELETE', 'https://api.kucoin.com/api/v1/hf/orders/5bd6e9286d99522a52e458de?symbol=BTC-USDT')).toEqual({ allowed: true })
    // cancel-all and other siblings of the order id are not an order id
    expect(checkEndpoint('kucoin', 'DELETE', 'https://api.kucoin.com/api/v1/hf/orders/cancelAll')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('kucoin', 'DELETE', 'https://api.kucoin.com/api/v1/hf/orders/5bd6e9286d99522a52e458de/x')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('gate', 'GET', 'https://api.gateio.ws/api/v4/spot/orders/t-bw1')).toEqual({ allowed: true })
    expect(checkEndpoint('gate', 'DELETE', 'https://api.gateio.ws/api/v4/spot/orders/t-bw1')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('htx', 'POST', 'https://api.huobi.pro/v1/order/orders/987/submitcancel')).toEqual({ allowed: true })
    expect(checkEndpoint('htx', 'POST', 'https://api.huobi.pro/v1/order/orders/batchcancel/submitcancel')).toEqual(refused('not_allowlisted'))
  })

  it('refuses paths that could name another path at the venue, and URLs without a real host', () => {
    expect(checkEndpoint('kucoin', 'GET', 'https://api.kucoin.com/api/v1/hf/orders/client-order/a%2F..%2F..%2Fsub')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('binance', 'GET', 'https://api.binance.com//api/v3/account')).toEqual(refused('not_allowlisted'))
    // Encoded dots are dot segments to the URL standard: the check sees the path that will be sent.
    expect(checkEndpoint('binance', 'GET', 'https://api.binance.com/api/v3/order/%2e%2e/%2e%2e/%2e%2e/sapi/v1/capital/withdraw/apply')).toEqual(refused('deny_listed'))
    // `..` is resolved by the URL parser before the check, so it cannot hide a denied path
    expect(checkEndpoint('kucoin', 'GET', 'https://api.kucoin.com/api/v1/hf/orders/../../user/api-key/../../sub/api-key')).toEqual(refused('deny_listed'))
    // what a venue without a test URL builds after setSandboxMode (reference finding 4)
    expect(checkEndpoint('kucoin', 'POST', 'undefined/api/v1/hf/orders')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('binance', 'GET', 'file:///api/v3/account')).toEqual(refused('not_allowlisted'))
  })

  it("lets a key's own permission read through the backstop, and nothing next to it", () => {
    expect(checkEndpoint('kucoin', 'GET', 'https://api.kucoin.com/api/v1/user/api-key')).toEqual({ allowed: true })
    expect(checkEndpoint('kucoin', 'POST', 'https://api.kucoin.com/api/v1/user/api-key')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('kucoin', 'GET', 'https://api.kucoin.com/api/v1/sub/api-key')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('bybit', 'GET', 'https://api.bybit.com/v5/user/query-api')).toEqual({ allowed: true })
    expect(checkEndpoint('bybit', 'POST', 'https://api.bybit.com/v5/user/update-api')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('blofin', 'GET', 'https://openapi.blofin.com/api/v1/user/query-apikey')).toEqual({ allowed: true })
    expect(checkEndpoint('htx', 'GET', 'https://api.huobi.pro/v2/user/api-key?uid=1')).toEqual({ allowed: true })
    expect(checkEndpoint('htx', 'POST', 'https://api.huobi.pro/v2/sub-user/api-key-generation')).toEqual(refused('deny_listed'))
    // a venue whose permission read is not documented does not get it (Binance.US)
    expect(checkEndpoint('binanceus', 'GET', 'https://api.binance.us/sapi/v1/account/apiRestrictions')).toEqual(refused('deny_listed'))
  })

  it('refuses the fund-out routes that are not called "withdraw" (reference finding 6)', () => {
    expect(checkEndpoint('bybit', 'GET', 'https://api.bybit.com/v5/user/del-submember')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('bybit-linear', 'POST', 'https://api.bybit.com/v5/position/move-positions')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('okx', 'POST', 'https://www.okx.com/api/v5/account/move-positions')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('bitget-futures', 'POST', 'https://api.bitget.com/api/v3/account/move-positions')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('gate', 'POST', 'https://api.gateio.ws/api/v4/push')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('gate', 'POST', 'https://api.gateio.ws/api/v4/withdrawals/push')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('binance', 'POST', 'https://api.binance.com/sapi/v1/giftcard/createCode')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('binance', 'POST', 'https://api.binance.com/sapi/v1/bswap/liquidityRemove')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/excode_create')).toEqual(refused('deny_listed'))
  })

  it('reads the operation from the path on venues that POST everything (Kraken, Bitfinex, EXMO)', () => {
    expect(checkEndpoint('kraken', 'POST', 'https://api.kraken.com/0/private/AddOrder')).toEqual({ allowed: true })
    expect(checkEndpoint('kraken', 'POST', 'https://api.kraken.com/0/private/Withdraw')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('kraken', 'POST', 'https://api.kraken.com/0/private/WalletTransfer')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('kraken', 'POST', 'https://api.kraken.com/0/private/EditOrder')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('bitfinex', 'POST', 'https://api.bitfinex.com/v2/auth/w/order/submit')).toEqual({ allowed: true })
    // every other write is denied outright, not merely left off the allowlist
    for (const w of ['order/update', 'order/multi', 'position/claim', 'funding/offer/submit', 'settings/set', 'transfer', 'deposit/address']) {
      expect(checkEndpoint('bitfinex', 'POST', `https://api.bitfinex.com/v2/auth/w/${w}`), w).toEqual(refused('deny_listed'))
    }
    expect(checkEndpoint('bitfinex', 'POST', 'https://api.bitfinex.com/v2/auth/r/movements/hist')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/order_create')).toEqual({ allowed: true })
    expect(checkEndpoint('exmo', 'GET', 'https://api.exmo.com/v1.1/order_create')).toEqual(refused('not_allowlisted'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/withdraw_crypt')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/margin/user/position/margin_remove')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/deposit_address')).toEqual(refused('deny_listed'))
    expect(checkEndpoint('exmo', 'POST', 'https://api.exmo.com/v1.1/margin/pair/list')).toEqual(refused('deny_listed'))
  })

  it('allows EXMO what our EXMO class sends for the venue methods', () => {
    for (const p of ['user_info', 'order_create', 'order_cancel', 'user_open_orders', 'user_trades', 'order_trades', 'user_cancelled_orders']) {
      expect(checkEndpoint('exmo', 'POST', `https://api.exmo.com/v1.1/${p}`), p).toEqual({ allowed: true })
    }
    expect(checkEndpoint('exmo', 'GET', 'https://api.exmo.com/v1.1/pair_settings')).toEqual({ allowed: true })
  })

  it('names the rule that allowed a request', () => {
    expect(matchEndpoint('htx', 'GET', '/v1/account/accounts')).toMatchObject({ use: 'lookup', why: expect.stringMatching(/account id/) })
    expect(matchEndpoint('htx', 'GET', '/v1/account/accounts/77/balance')).toMatchObject({ use: 'read' })
    expect(matchEndpoint('htx', 'DELETE', '/v1/account/accounts')).toBeUndefined()
  })
})
