import { createHmac, randomBytes } from 'node:crypto'
import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { Exmo, exmoFundMovingPaths, exmoPrivatePaths, exmoPublicPaths } from '../../src/exchanges/exmo/index.js'
import { rejectionOf } from './emulator-fixtures.js'
import { startExmoEmulator, type ExmoEmulator, type ExmoEmulatorAccount, type ExmoEmulatorOptions } from './exmo-emulator.js'
import { pointAt } from './point-ccxt.js'

const running: ExmoEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

const randomKey = () => `K-${randomBytes(20).toString('hex')}`
const randomSecret = () => `S-${randomBytes(20).toString('hex')}`

/** Our EXMO class pointed at the emulator; ccxt's own throttle off, as the signer runs it. */
const client = (emulator: ExmoEmulator, apiKey: string, secret: string) => {
  const exchange = new Exmo({ apiKey, secret, enableRateLimit: false, timeout: 1500 })
  pointAt(exchange, emulator.url)
  return exchange
}

/** One account with 10 000 USDT and 0.5 BTC. */
const setup = async (account: Partial<ExmoEmulatorAccount> = {}, options: Partial<ExmoEmulatorOptions> = {}) => {
  const apiKey = randomKey()
  const secret = randomSecret()
  const emulator = await startExmoEmulator({ accounts: [{ apiKey, secret, balances: { USDT: '10000', BTC: '0.5' }, ...account }], ...options })
  running.push(emulator)
  return { emulator, apiKey, secret, exchange: client(emulator, apiKey, secret) }
}

describe('EXMO class against the emulator: markets and balances', () => {
  it('loads markets with one public request and nothing signed (no margin/pair/list)', async () => {
    const { emulator, exchange } = await setup()
    const markets = await exchange.loadMarkets()
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/BTC', 'ETH/USDT'])
    expect(markets['BTC/USDT']).toMatchObject({ id: 'BTC_USDT', precision: { price: 0.01, amount: 1e-8 }, limits: { amount: { min: 0.00001 }, cost: { min: 1 } } })
    expect(emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1.1/pair_settings'])
    expect(emulator.requests.some((r) => r.isSigned)).toBe(false)
    expect(emulator.hits('margin/pair/list')).toBe(0)
  })

  it('fetches the balance and public market data', async () => {
    const { exchange } = await setup({}, { prices: { BTC_USDT: '42000' } })
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']).toMatchObject({ free: 10000, used: 0, total: 10000 })
    expect(balance['BTC']).toMatchObject({ free: 0.5, used: 0, total: 0.5 })
    expect((await exchange.fetchTicker('BTC/USDT')).last).toBe(42000)
    expect(Object.keys(await exchange.fetchTickers(['ETH/USDT']))).toEqual(['ETH/USDT'])
    const book = await exchange.fetchOrderBook('BTC/USDT', 5)
    expect(book.bids).toHaveLength(5)
    expect(book.bids[0]).toEqual([41979, 0.5]) // 42000 × (1 − 0.0005)
    expect(book.asks[0]).toEqual([42021, 0.5])
    const candles = await exchange.fetchOHLCV('BTC/USDT', '1h', undefined, 3)
    expect(candles.length).toBeGreaterThanOrEqual(3)
    expect(candles.at(-1)?.[4]).toBe(42000)
  })
})

describe('EXMO class against the emulator: orders', () => {
  it('fills a market buy at once, and finds it again by id and by client order id', async () => {
    const { exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: '1733000000001' })
    expect(placed).toMatchObject({ symbol: 'BTC/USDT', type: 'market', side: 'buy', status: 'open', clientOrderId: '1733000000001' })
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']?.free).toBe(9500) // 10000 − 0.01 × 50000
    expect(balance['BTC']?.free).toBeCloseTo(0.50996, 10) // 0.5 + 0.01 − 0.4 % × 0.01 taker fee
    const byId = await exchange.fetchOrder(String(placed.id), 'BTC/USDT')
    expect(byId).toMatchObject({ id: String(placed.id), clientOrderId: '1733000000001', status: 'closed', side: 'buy', filled: 0.01, amount: 0.01, average: 50000, cost: 500 })
    expect(byId.fee).toMatchObject({ currency: 'BTC', cost: 0.00004 })
    const byClientId = await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: '1733000000001' })
    expect(byClientId).toMatchObject({ id: String(placed.id), status: 'closed', filled: 0.01 })
    const trades = await exchange.fetchMyTrades('BTC/USDT')
    expect(trades).toHaveLength(1)
    expect(trades[0]).toMatchObject({ order: String(placed.id), side: 'buy', price: 50000, amount: 0.01, takerOrMaker: 'taker', fee: { currency: 'BTC', cost: 0.00004, rate: 0.004 } })
  })

  it('rests a limit sell, reserves the base, lists it open, and fills it as maker when the price crosses', async () => {
    const { emulator, exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 60000, { clientOrderId: '42' })
    expect((await exchange.fetchBalance())['BTC']).toMatchObject({ free: 0.4, used: 0.1 })
    const open = await exchange.fetchOpenOrders('BTC/USDT')
    expect(open.map((o) => [o.id, o.status, o.side, o.type, o.amount, o.price, o.clientOrderId])).toEqual([[String(placed.id), 'open', 'sell', 'limit', 0.1, 60000, '42']])
    expect(await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).toMatchObject({ status: 'open' })
    expect(await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: '42' })).toMatchObject({ id: String(placed.id), status: 'open' })
    emulator.setPrice('BTC_USDT', '61000')
    expect(await exchange.fetchOpenOrders('BTC/USDT')).toEqual([])
    expect(await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).toMatchObject({ status: 'closed', filled: 0.1, average: 60000 })
    const balance = await exchange.fetchBalance()
    expect(balance['BTC']).toMatchObject({ free: 0.4, used: 0 })
    expect(balance['USDT']?.free).toBe(15982) // 10000 + 0.1 × 60000 − 0.3 % maker fee of 6000 (18)
  })

  it('cancels an open order, reports it cancelled with nothing filled, and refuses a second cancel', async () => {
    const { exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.1, 40000)
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 6000, used: 4000 }) // 0.1 × 40000 held
    expect(await exchange.cancelOrder(String(placed.id), 'BTC/USDT')).toMatchObject({ id: String(placed.id), status: 'canceled' })
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10000, used: 0 })
    expect(await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).toMatchObject({ status: 'canceled', filled: 0, remaining: 0.1, side: 'buy', type: 'limit' })
    expect(await rejectionOf(exchange.cancelOrder(String(placed.id), 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound)
    expect(await rejectionOf(exchange.fetchOrder('99999999999', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound)
    expect(await rejectionOf(exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: '5' }))).toBeInstanceOf(ccxt.OrderNotFound)
  })

  it.each([
    ['more than the balance', () => ['BTC/USDT', 'market', 'buy', 1, undefined] as const, ccxt.InsufficientFunds],
    ['a quantity below the minimum', () => ['BTC/USDT', 'limit', 'buy', 0.000001, 50000] as const, ccxt.InvalidOrder],
    ['a price below the minimum', () => ['BTC/USDT', 'limit', 'buy', 0.01, 0.5] as const, ccxt.InvalidOrder],
  ])('maps an order with %s to the ccxt error class', async (_name, args, errorClass) => {
    const { exchange } = await setup()
    const [symbol, type, side, amount, price] = args()
    expect(await rejectionOf(exchange.createOrder(symbol, type, side, amount, price))).toBeInstanceOf(errorClass)
  })

  it('refuses a post-only order that would take', async () => {
    const { exchange } = await setup()
    expect(await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 49000, { postOnly: true })).toMatchObject({ status: 'open' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 51000, { postOnly: true }))).toBeInstanceOf(ccxt.ExchangeError)
  })
})

describe('EXMO authentication in the emulator', () => {
  it('refuses a wrong secret with AuthenticationError and does not advance the nonce', async () => {
    const { emulator, apiKey } = await setup()
    const wrong = client(emulator, apiKey, randomSecret())
    expect(await rejectionOf(wrong.fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/v1.1/user_info', isSigned: true, isSignatureValid: false, error: expect.stringMatching(/^Error 40005/) })
    expect(emulator.account(apiKey).lastNonce).toBe(0n)
  })

  it('refuses an unknown key and a key used from an address outside its whitelist', async () => {
    const { emulator, secret } = await setup()
    expect(await rejectionOf(client(emulator, randomKey(), secret).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    const fenced = await setup({ ipWhitelist: ['203.0.113.7'] })
    expect(await rejectionOf(fenced.exchange.fetchBalance())).toBeInstanceOf(ccxt.PermissionDenied)
  })

  it('refuses trading with a read-only key', async () => {
    const { exchange } = await setup({ canTrade: false })
    expect((await exchange.fetchBalance())['USDT']?.free).toBe(10000)
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.PermissionDenied)
  })

  it('puts the Sign of the exact body on the wire, matching an independent HMAC-SHA512', async () => {
    const { exchange, secret, apiKey } = await setup()
    const sent: { headers: Record<string, string>; body: string }[] = []
    const send = exchange.fetch.bind(exchange)
    exchange.fetch = async (url: string, method?: string, headers?: Record<string, string>, body?: string) => {
      sent.push({ headers: headers ?? {}, body: body ?? '' })
      return send(url, method, headers, body)
    }
    await exchange.fetchBalance()
    const signed = sent.find((s) => s.body !== '')
    expect(signed?.headers['Key']).toBe(apiKey)
    expect(signed?.headers['Sign']).toBe(createHmac('sha512', secret).update(signed?.body ?? '').digest('hex'))
  })

  it('refuses a replayed request (same nonce, same signature) and creates no second order', async () => {
    const { emulator, apiKey, exchange } = await setup()
    await exchange.loadMarkets()
    let captured: { url: string; headers: Record<string, string>; body: string } | undefined
    const send = exchange.fetch.bind(exchange)
    exchange.fetch = async (url: string, method?: string, headers?: Record<string, string>, body?: string) => {
      if (url.endsWith('/order_create')) captured = { url, headers: headers ?? {}, body: body ?? '' }
      return send(url, method, headers, body)
    }
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000)
    if (!captured) throw new Error('the order request was not captured')
    const replay = await fetch(captured.url, { method: 'POST', headers: captured.headers, body: captured.body })
    const reply = (await replay.json()) as { result: boolean; error: string }
    expect(reply.result).toBe(false)
    expect(reply.error).toMatch(/^Error 40009/)
    expect(emulator.account(apiKey).orders).toHaveLength(1)
    expect(emulator.requests.at(-1)).toMatchObject({ isSignatureValid: true, error: expect.stringMatching(/^Error 40009/) })
  })

  it('maps a nonce at or below the last one to InvalidNonce, and keeps nonces per key', async () => {
    const keyA = randomKey()
    const keyB = randomKey()
    const secret = randomSecret()
    const emulator = await startExmoEmulator({ accounts: [{ apiKey: keyA, secret }, { apiKey: keyB, secret }] })
    running.push(emulator)
    const a = client(emulator, keyA, secret)
    await a.fetchBalance()
    const stale = client(emulator, keyA, secret)
    stale.nonce = () => Number(emulator.account(keyA).lastNonce)
    expect(await rejectionOf(stale.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce)
    const b = client(emulator, keyB, secret)
    b.nonce = () => 1 // far below key A's, accepted: nonces are tracked per key
    expect(await b.fetchBalance()).toBeDefined()
    expect(emulator.account(keyB).lastNonce).toBe(1n)
  })
})

describe('EXMO fund-moving endpoints', () => {
  const allowed = new Set([...exmoPublicPaths.map((p) => `GET /v1.1/${p}`), ...exmoPrivatePaths.map((p) => `POST /v1.1/${p}`)])

  it('are never reached by any unified method', async () => {
    const { emulator, exchange } = await setup({ canWithdraw: true })
    await exchange.loadMarkets()
    await exchange.fetchTicker('BTC/USDT')
    await exchange.fetchTickers()
    await exchange.fetchOrderBook('BTC/USDT')
    await exchange.fetchTrades('BTC/USDT')
    await exchange.fetchOHLCV('BTC/USDT', '1m', undefined, 5)
    await exchange.fetchBalance()
    const market = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: '7' })
    const limit = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 70000)
    await exchange.fetchOpenOrders('BTC/USDT')
    await exchange.fetchOrder(String(limit.id), 'BTC/USDT')
    await exchange.fetchOrder(String(market.id), 'BTC/USDT')
    await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: '7' })
    await exchange.cancelOrder(String(limit.id), 'BTC/USDT')
    await exchange.fetchOrder(String(limit.id), 'BTC/USDT')
    await exchange.fetchCanceledOrders('BTC/USDT')
    await exchange.fetchMyTrades('BTC/USDT')
    expect(emulator.fundMovements).toEqual([])
    for (const path of exmoFundMovingPaths) expect(emulator.hits(path)).toBe(0)
    expect(emulator.requests.map((r) => `${r.method} ${r.path}`).filter((r) => !allowed.has(r))).toEqual([])
    expect(emulator.requests.every((r) => r.error === undefined || r.error.startsWith('Error 50304'))).toBe(true)
  })

  it('are counted when something does call them (the check above can fail)', async () => {
    const { emulator, apiKey, exchange } = await setup()
    expect(await rejectionOf(exchange.request('withdraw_crypt', 'private', 'POST', { currency: 'BTC', amount: '0.1', address: 'x' }))).toBeInstanceOf(ccxt.PermissionDenied)
    emulator.account(apiKey).canWithdraw = true
    await exchange.request('excode_create', 'private', 'POST', { currency: 'USDT', amount: '100' })
    expect(emulator.fundMovements.map((f) => [f.path, f.kind, f.isAccepted])).toEqual([
      ['withdraw_crypt', 'withdraw', false],
      ['excode_create', 'voucher', true],
    ])
    expect(emulator.hits('withdraw_crypt')).toBe(1)
    expect((await exchange.fetchBalance())['USDT']?.free).toBe(9900) // the voucher took 100 USDT
  })
})

describe('EXMO emulator faults', () => {
  it('answers HTTP 500 and times out on request', async () => {
    const { emulator, exchange } = await setup()
    await exchange.loadMarkets()
    emulator.failNext('/v1.1/user_info', { mode: 'error500' })
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.ExchangeNotAvailable)
    emulator.failNext('/v1.1/order_create', { mode: 'afterExecute-timeout' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: '99' }))).toBeInstanceOf(ccxt.RequestTimeout)
    // executed although unanswered: found again by its client id
    expect(await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: '99' })).toMatchObject({ status: 'open', amount: 0.01 })
  })
})
