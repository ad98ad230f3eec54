import { createHmac, randomBytes } from 'node:crypto'
import ccxt from 'ccxt'
import { describe, expect, it } from 'vitest'
import { exmoFundMovingPaths, exmoPrivatePaths, exmoPublicPaths } from './exmo-describe.js'
import { Exmo } from './exmo.js'

/** Offline tests: request building, signing, parsing and error mapping. Nothing here opens a socket. */

const pairSettings = {
  BTC_USDT: { min_quantity: '0.00001', max_quantity: '1000', min_price: '1', max_price: '500000', min_amount: '1', max_amount: '5000000', price_precision: 2, commission_taker_percent: '0.4', commission_maker_percent: '0.3' },
  ETH_BTC: { min_quantity: '0.001', max_quantity: '10000', min_price: '0.000001', max_price: '10', min_amount: '0.00001', max_amount: '100', price_precision: 6, commission_taker_percent: '0.4', commission_maker_percent: '0.3' },
}

type Sent = { url: string; method: string; headers: Record<string, string>; body: string | undefined }

/** An EXMO instance with markets set from the fixture and `fetch` replaced by a sink that answers `reply`. */
const offline = (reply: unknown = { result: true, error: '', order_id: 28000000001, client_id: 0 }) => {
  const secret = `S-${randomBytes(20).toString('hex')}`
  const exchange = new Exmo({ apiKey: `K-${randomBytes(20).toString('hex')}`, secret })
  exchange.setMarkets(Object.entries(pairSettings).map(([pair, s]) => exchange.parseMarket({ ...s, pair })))
  const sent: Sent[] = []
  exchange.fetch = async (url: string, method = 'GET', headers?: Record<string, string>, body?: string) => {
    sent.push({ url, method, headers: headers ?? {}, body })
    return reply
  }
  return { exchange, secret, sent }
}

const noIo = (exchange: Exmo) => {
  exchange.fetch = () => {
    throw new Error('no request was expected')
  }
}

describe('Exmo describe()', () => {
  it('is a ccxt Exchange with the v1.1 endpoints, spot only, and no withdraw or margin capability', () => {
    const exchange = new Exmo()
    expect(exchange).toBeInstanceOf(ccxt.Exchange)
    expect(exchange.id).toBe('exmo')
    expect(exchange.urls.api).toEqual({ public: 'https://api.exmo.com/v1.1', private: 'https://api.exmo.com/v1.1' })
    expect(exchange.requiredCredentials).toMatchObject({ apiKey: true, secret: true, password: false })
    expect(exchange.has).toMatchObject({ spot: true, margin: false, swap: false, withdraw: false, transfer: false, fetchCurrencies: false, fetchOrder: true, fetchMyTrades: true })
    const implicit = exchange as unknown as Record<string, unknown>
    expect(typeof implicit['publicGetPairSettings']).toBe('function')
    expect(typeof implicit['privatePostOrderCreate']).toBe('function')
    // present so deny-list tests can name them; the unified methods never use them (exmo-emulator.test.ts)
    expect(typeof implicit['privatePostWithdrawCrypt']).toBe('function')
    expect(exmoPublicPaths).toContain('pair_settings')
    expect(exmoPrivatePaths).not.toContain('margin/pair/list')
    expect(exmoFundMovingPaths).toEqual(expect.arrayContaining(['withdraw_crypt', 'excode_create', 'excode_load']))
  })

  it('refuses sandbox mode instead of pointing requests at "undefined/…"', () => {
    const exchange = new Exmo()
    expect(() => exchange.setSandboxMode(true)).toThrow(ccxt.NotSupported)
    exchange.setSandboxMode(false)
    expect(exchange.urls.api).toMatchObject({ private: 'https://api.exmo.com/v1.1' })
  })
})

describe('Exmo signing', () => {
  it('signs the exact urlencoded body with hex HMAC-SHA512 of the secret, as computed independently', () => {
    const exchange = new Exmo({ apiKey: 'K-test', secret: 'S-fixed-secret' })
    exchange.nonce = () => 1_700_000_000_000
    const request = exchange.sign('order_create', 'private', 'POST', { pair: 'BTC_USDT', quantity: '0.01', price: '0', type: 'market_buy' })
    const body = 'nonce=1700000000000&pair=BTC_USDT&quantity=0.01&price=0&type=market_buy'
    expect(request).toEqual({
      url: 'https://api.exmo.com/v1.1/order_create',
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Key: 'K-test', Sign: createHmac('sha512', 'S-fixed-secret').update(body).digest('hex') },
    })
  })

  it('signs its own nonce even when a caller passes one', () => {
    const exchange = new Exmo({ apiKey: 'K-test', secret: 'S-test' })
    exchange.nonce = () => 1_700_000_000_123
    const { body } = exchange.sign('user_info', 'private', 'POST', { nonce: 1 }) as { body: string }
    expect(body).toBe('nonce=1700000000123')
  })

  it('sends public calls as unsigned GETs', () => {
    const exchange = new Exmo({ apiKey: 'K-test', secret: 'S-test' })
    expect(exchange.sign('order_book', 'public', 'GET', { pair: 'BTC_USDT', limit: 5 })).toEqual({ url: 'https://api.exmo.com/v1.1/order_book?pair=BTC_USDT&limit=5', method: 'GET', body: undefined, headers: undefined })
  })

  it('refuses to sign without credentials', () => {
    expect(() => new Exmo().sign('user_info', 'private', 'POST', {})).toThrow(ccxt.AuthenticationError)
  })

  it('signs through this.hmac with the encoded secret, so the signer can swap in a Buffer key', () => {
    // The signer (src/signer/executor.ts) sets `secret` to a placeholder and wraps `hmac`: when the key
    // it is handed equals the placeholder, it signs with the real key from the vault instead.
    const realKey = Buffer.from(`S-${randomBytes(20).toString('hex')}`)
    const placeholder = `bulwark-placeholder-${randomBytes(12).toString('hex')}`
    const exchange = new Exmo({ apiKey: 'K-test', secret: placeholder })
    const seen: { hashLength: number; digest: string | undefined }[] = []
    exchange.hmac = ((request: Uint8Array, secret: Uint8Array, hash: { outputLen: number }, digest?: string) => {
      seen.push({ hashLength: hash.outputLen, digest })
      expect(Buffer.from(secret).equals(Buffer.from(placeholder))).toBe(true)
      return createHmac('sha512', realKey).update(request).digest('hex')
    }) as Exmo['hmac']
    const { body, headers } = exchange.sign('user_info', 'private', 'POST', {}) as { body: string; headers: Record<string, string> }
    expect(seen).toEqual([{ hashLength: 64, digest: 'hex' }])
    expect(headers['Sign']).toBe(createHmac('sha512', realKey).update(body).digest('hex'))
    expect(headers['Sign']).not.toBe(createHmac('sha512', placeholder).update(body).digest('hex'))
  })

  it('keeps the nonce strictly increasing when the clock stands still or steps back', () => {
    const exchange = new Exmo()
    let now = 5_000
    exchange.milliseconds = () => now
    const first = exchange.nonce()
    const second = exchange.nonce()
    now = 4_000
    const third = exchange.nonce()
    now = 9_000
    expect([first, second, third, exchange.nonce()]).toEqual([5_000, 5_001, 5_002, 9_000])
  })
})

describe('Exmo request building (local sink)', () => {
  const form = (s: Sent | undefined) => Object.fromEntries(new URLSearchParams(s?.body ?? ''))

  it('builds a limit buy with a numeric client id, and a market sell with price 0', async () => {
    const { exchange, sent } = offline()
    const limit = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.0123456789, 50000.129, { clientOrderId: '1733000000001' })
    expect(sent[0]?.url).toBe('https://api.exmo.com/v1.1/order_create')
    expect(sent[0]?.method).toBe('POST')
    // quantity truncated to 8 decimals, price rounded to the pair's 2
    expect(form(sent[0])).toEqual({ nonce: expect.stringMatching(/^\d+$/), pair: 'BTC_USDT', quantity: '0.01234567', price: '50000.13', type: 'buy', client_id: '1733000000001' })
    expect(limit).toMatchObject({ id: '28000000001', clientOrderId: '1733000000001', symbol: 'BTC/USDT', type: 'limit', side: 'buy', status: 'open', amount: 0.01234567, price: 50000.13 })
    await exchange.createOrder('ETH/BTC', 'market', 'sell', 0.5)
    expect(form(sent[1])).toMatchObject({ pair: 'ETH_BTC', quantity: '0.5', price: '0', type: 'market_sell' })
    expect(form(sent[1])).not.toHaveProperty('client_id')
  })

  it('maps postOnly to exec_type=post_only', async () => {
    const { exchange, sent } = offline()
    await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 60000, { postOnly: true })
    expect(form(sent[0])).toMatchObject({ type: 'sell', exec_type: 'post_only' })
    expect(form(sent[0])).not.toHaveProperty('postOnly')
  })

  it.each([
    ['a non-numeric client id', 'limit', 50000, { clientOrderId: 'bulwark-1' }, ccxt.InvalidOrder],
    ['a 16-digit client id', 'limit', 50000, { clientOrderId: '1234567890123456' }, ccxt.InvalidOrder],
    ['a zero client id', 'limit', 50000, { clientOrderId: '0' }, ccxt.InvalidOrder],
    ['a limit order without price', 'limit', undefined, {}, ccxt.ArgumentsRequired],
    ['a post-only market order', 'market', undefined, { postOnly: true }, ccxt.InvalidOrder],
    ['a trigger order', 'market', undefined, { triggerPrice: 40000 }, ccxt.NotSupported],
    ['reduceOnly', 'limit', 50000, { reduceOnly: true }, ccxt.NotSupported],
    ['an IOC order', 'limit', 50000, { timeInForce: 'IOC' }, ccxt.NotSupported],
  ] as const)('refuses %s before any request', async (_name, type, price, params, errorClass) => {
    const { exchange } = offline()
    noIo(exchange)
    await expect(exchange.createOrder('BTC/USDT', type, 'buy', 0.01, price, { ...params })).rejects.toThrow(errorClass)
  })

  it('sends cancel, open orders and my trades to their routes with the pair id', async () => {
    const { exchange, sent } = offline({})
    expect(await exchange.cancelOrder('28000000001', 'BTC/USDT')).toMatchObject({ id: '28000000001', status: 'canceled', symbol: 'BTC/USDT' })
    await exchange.fetchOpenOrders('BTC/USDT')
    await exchange.fetchMyTrades('BTC/USDT', undefined, 20)
    expect(sent.map((s) => [new URL(s.url).pathname, form(s)['order_id'] ?? form(s)['pair'], form(s)['limit']])).toEqual([
      ['/v1.1/order_cancel', '28000000001', undefined],
      ['/v1.1/user_open_orders', 'BTC_USDT', undefined],
      ['/v1.1/user_trades', 'BTC_USDT', '20'],
    ])
    await expect(exchange.fetchMyTrades()).rejects.toThrow(ccxt.ArgumentsRequired)
  })
})

describe('Exmo parsing (fixtures)', () => {
  const exchange = offline().exchange

  it('parses pair_settings into a spot market with tick sizes, limits and fee rates', () => {
    const market = exchange.parseMarket({ ...pairSettings.ETH_BTC, pair: 'ETH_BTC' })
    expect(market).toMatchObject({
      id: 'ETH_BTC', symbol: 'ETH/BTC', base: 'ETH', quote: 'BTC', baseId: 'ETH', quoteId: 'BTC', type: 'spot', spot: true, active: true,
      taker: 0.004, // 0.4 %
      maker: 0.003, // 0.3 %
      precision: { amount: 1e-8, price: 0.000001 }, // price_precision 6 → tick 10^-6
      limits: { amount: { min: 0.001, max: 10000 }, price: { min: 0.000001, max: 10 }, cost: { min: 0.00001, max: 100 } },
    })
    expect(market.info).not.toHaveProperty('pair')
  })

  it('parses a ticker', () => {
    const raw = { buy_price: '49975', sell_price: '50025', last_trade: '50000', high: '51000', low: '49000', avg: '50010', vol: '12.5', vol_curr: '625000', updated: 1700000000 }
    expect(exchange.parseTicker(raw, exchange.market('BTC/USDT'))).toMatchObject({ symbol: 'BTC/USDT', bid: 49975, ask: 50025, last: 50000, close: 50000, high: 51000, low: 49000, baseVolume: 12.5, quoteVolume: 625000, timestamp: 1_700_000_000_000 })
  })

  it('parses user_info: balances are free, reserved is used', () => {
    const balance = exchange.parseBalance({ uid: 1, server_date: 1700000000, balances: { BTC: '0.4', USDT: '100.5' }, reserved: { BTC: '0.1', USDT: '0' } })
    expect(balance['BTC']).toEqual({ free: 0.4, used: 0.1, total: 0.5 })
    expect(balance['USDT']).toEqual({ free: 100.5, used: 0, total: 100.5 })
  })

  it('parses an open-order entry; client_id "0" means none', () => {
    const raw = { order_id: '14', client_id: '0', created: '1435517311', type: 'sell', pair: 'BTC_USDT', quantity: '0.1', price: '60000', amount: '6000' }
    expect(exchange.parseOrder(raw)).toMatchObject({ id: '14', clientOrderId: undefined, symbol: 'BTC/USDT', type: 'limit', side: 'sell', amount: 0.1, price: 60000, timestamp: 1_435_517_311_000 })
    expect(exchange.parseOrder({ ...raw, client_id: '77', type: 'market_buy' })).toMatchObject({ clientOrderId: '77', type: 'market', side: 'buy' })
  })

  it('parses an order_trades reply: filled, cost, average and the fee come from its trades', () => {
    const trade = (id: number, quantity: string, price: string, fee: string) => ({ trade_id: id, client_id: '9', date: 1700000000 + id, type: 'buy', pair: 'BTC_USDT', order_id: 12345, quantity, price, amount: String(Number(quantity) * Number(price)), exec_type: 'taker', commission_amount: fee, commission_currency: 'BTC', commission_percent: '0.4' })
    const raw = { type: 'buy', in_currency: 'BTC', in_amount: '0.03', out_currency: 'USDT', out_amount: '1510', trades: [trade(1, '0.01', '50000', '0.00004'), trade(2, '0.02', '50500', '0.00008')] }
    const order = exchange.parseOrder({ ...raw, order_id: '12345' })
    expect(order).toMatchObject({ id: '12345', clientOrderId: '9', symbol: 'BTC/USDT', side: 'buy', filled: 0.03, cost: 1510, timestamp: 1_700_000_001_000, lastTradeTimestamp: 1_700_000_002_000 })
    expect(order.average).toBeCloseTo(50333.33333, 4) // 1510 USDT / 0.03 BTC
    expect(order.fee).toMatchObject({ currency: 'BTC', cost: 0.00012 }) // 0.00004 + 0.00008
  })

  it('parses a user trade: the commission is a percentage, charged in the currency received', () => {
    const raw = { trade_id: 3, client_id: '100500', date: 1435488248, type: 'sell', pair: 'ETH_BTC', order_id: 7, quantity: '1', price: '0.06', amount: '0.06', exec_type: 'maker', commission_amount: '0.00018', commission_currency: 'BTC', commission_percent: '0.3' }
    expect(exchange.parseTrade(raw)).toMatchObject({ id: '3', order: '7', symbol: 'ETH/BTC', side: 'sell', takerOrMaker: 'maker', price: 0.06, amount: 1, cost: 0.06, timestamp: 1_435_488_248_000, fee: { cost: 0.00018, currency: 'BTC', rate: 0.003 } })
  })
})

describe('Exmo error mapping', () => {
  const exchange = new Exmo()
  const raise = (response: unknown) => () => exchange.handleErrors(200, 'OK', 'https://api.exmo.com/v1.1/x', 'POST', {}, JSON.stringify(response), response, {}, '')

  it.each([
    ['Error 40005: Authorization error, incorrect signature', ccxt.AuthenticationError],
    ['Error 40017: Wrong api key', ccxt.AuthenticationError],
    ['Error 40009: The nonce parameter is less or equal than what was used before', ccxt.InvalidNonce],
    ['Error 40032: Access is denied for this API key', ccxt.PermissionDenied],
    ['Error 40034: Access is denied, rate limit is exceeded', ccxt.RateLimitExceeded],
    ['Error 40016: Maintenance work in progress', ccxt.OnMaintenance],
    ['Error 50052: Insufficient funds', ccxt.InsufficientFunds],
    ['Error 50173: Order with id 1 was not found.', ccxt.OrderNotFound],
    ["Error 50304: Order was not found '1'", ccxt.OrderNotFound],
    ['Error 50277: Quantity by order is less than permissible minimum for this pair', ccxt.InvalidOrder],
    ['Error 50319: Price by order is less than permissible minimum for this pair', ccxt.InvalidOrder],
    ['Error 50381: More than 2 decimal places are not permitted for pair BTC_USDT', ccxt.InvalidOrder],
    ['API rate limit exceeded for 1.2.3.4. Retry after 60 sec.', ccxt.RateLimitExceeded],
  ] as const)('maps {"result":false,"error":"%s"}', (error, errorClass) => {
    expect(raise({ result: false, error })).toThrow(errorClass)
  })

  it('maps an unknown code to ExchangeError and the other error shapes too', () => {
    expect(raise({ result: false, error: 'Error 99999: something new' })).toThrow(ccxt.ExchangeError)
    expect(raise({ result: false, error: 'Error 99999: something new' })).not.toThrow(ccxt.AuthenticationError)
    expect(raise({ s: 'error', errmsg: 'range period is too long' })).toThrow(ccxt.BadRequest)
    expect(raise({ error: { code: '140434', msg: 'margin balance is not sufficient' } })).toThrow(ccxt.BadRequest)
  })

  it('lets successful replies through', () => {
    expect(raise({ result: true, error: '' })()).toBeUndefined()
    expect(raise({ uid: 1, balances: {} })()).toBeUndefined()
    expect(raise([{ order_id: '1' }])()).toBeUndefined()
  })
})
