import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator, type BinanceEmulatorOptions } from './binance-emulator.js'
import { binanceClient, ed25519KeyPair, randomApiKey, randomHmacSecret, rejectionOf } from './emulator-fixtures.js'
import { pointAt } from './point-ccxt.js'

const running: BinanceEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

/** One HMAC account with 10 000 USDT and 0.5 BTC. */
const setup = async (overrides: Partial<BinanceEmulatorOptions> = {}) => {
  const apiKey = randomApiKey()
  const secret = randomHmacSecret()
  const emulator = await startBinanceEmulator({ accounts: [{ apiKey, secret, balances: { USDT: '10000', BTC: '0.5' } }], ...overrides })
  running.push(emulator)
  return { emulator, apiKey, secret, exchange: binanceClient(emulator, apiKey, secret) }
}

describe('binance emulator with the real ccxt client: markets and balances', () => {
  it('loads markets with filters ccxt turns into precision and limits', async () => {
    const { emulator, exchange } = await setup()
    const markets = await exchange.loadMarkets()
    const btc = markets['BTC/USDT']
    expect(btc?.id).toBe('BTCUSDT')
    expect(btc?.precision).toMatchObject({ price: 0.01, amount: 0.00001 })
    expect(btc?.limits.cost?.min).toBe(5)
    expect(markets['ETH/USDT']?.active).toBe(true)
    // Spot, linear and inverse exchangeInfo, all public: fetchCurrencies/fetchMargins are off.
    expect(emulator.requests.map((r) => r.path).sort()).toEqual(['/api/v3/exchangeInfo', '/dapi/v1/exchangeInfo', '/fapi/v1/exchangeInfo'])
    emulator.clearRequests()
    const spotOnly = binanceClient(emulator, randomApiKey(), randomHmacSecret(), { fetchMarkets: { types: ['spot'] } })
    await spotOnly.loadMarkets()
    expect(emulator.requests.map((r) => r.path)).toEqual(['/api/v3/exchangeInfo'])
  })

  it('serves the signed sapi calls ccxt makes in loadMarkets when keys are set and the options are left at their defaults', async () => {
    const { emulator, apiKey, secret } = await setup()
    const exchange = new ccxt.binance({ apiKey, secret })
    pointAt(exchange, emulator.url)
    await exchange.loadMarkets()
    const signed = emulator.requests.filter((r) => r.isSigned)
    expect(signed.map((r) => r.path).sort()).toEqual(['/sapi/v1/capital/config/getall', '/sapi/v1/margin/allPairs', '/sapi/v1/margin/allPairs', '/sapi/v1/margin/isolated/allPairs'])
    expect(signed.every((r) => r.isSignatureValid === true && r.status === 200)).toBe(true)
    expect(exchange.currencies['USDT']?.id).toBe('USDT')
  })

  it('fetches the balance and public market data', async () => {
    const { exchange } = await setup({ prices: { BTCUSDT: '42000' } })
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']).toMatchObject({ free: 10000, used: 0, total: 10000 })
    expect(balance['BTC']).toMatchObject({ free: 0.5, used: 0, total: 0.5 })
    expect((await exchange.fetchTicker('BTC/USDT')).last).toBe(42000)
    const book = await exchange.fetchOrderBook('BTC/USDT', 5)
    expect(book.bids[0]?.[0]).toBeLessThan(42000)
    expect(book.asks[0]?.[0]).toBeGreaterThan(42000)
    const candles = await exchange.fetchOHLCV('BTC/USDT', '1h', undefined, 3)
    expect(candles).toHaveLength(3)
    expect(candles[2]?.[4]).toBe(42000)
    expect((await exchange.fetchTime()) ?? 0).toBeGreaterThan(0)
  })
})

describe('binance emulator with the real ccxt client: orders', () => {
  it('fills a market buy at once at the current price, with commission in the asset received', async () => {
    const { exchange } = await setup()
    const order = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)
    expect(order).toMatchObject({ status: 'closed', filled: 0.01, cost: 500, average: 50000, side: 'buy', type: 'market' })
    expect(order.clientOrderId).toMatch(/^x-TKT5PX2F/) // ccxt's broker prefix, accepted as-is
    expect(order.fee).toMatchObject({ cost: 0.00001, currency: 'BTC' }) // 0.01 BTC × 0.1 %
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']?.free).toBe(9500) // 10000 − 0.01 × 50000
    expect(balance['BTC']?.free).toBeCloseTo(0.50999, 10) // 0.5 + 0.01 − 0.00001
  })

  it('rests a limit order with a client order id, reserves funds, and fills it when the price crosses', async () => {
    const { emulator, exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 60000, { clientOrderId: 'bulwark-sell-1' })
    expect(placed).toMatchObject({ status: 'open', clientOrderId: 'bulwark-sell-1', price: 60000, amount: 0.1, filled: 0 })
    expect((await exchange.fetchBalance())['BTC']).toMatchObject({ free: 0.4, used: 0.1 })
    expect((await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).status).toBe('open')
    expect((await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'bulwark-sell-1' })).id).toBe(placed.id)
    expect((await exchange.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([placed.id])

    emulator.setPrice('BTCUSDT', '59000') // below a sell limit: no fill
    expect((await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).status).toBe('open')
    emulator.setPrice('BTCUSDT', '60500')
    const filled = await exchange.fetchOrder(String(placed.id), 'BTC/USDT')
    expect(filled).toMatchObject({ status: 'closed', filled: 0.1, cost: 6000 }) // maker fill at the limit price
    expect(await exchange.fetchOpenOrders('BTC/USDT')).toEqual([])
    const trades = await exchange.fetchMyTrades('BTC/USDT')
    expect(trades).toHaveLength(1)
    expect(trades[0]).toMatchObject({ order: placed.id, price: 60000, amount: 0.1, takerOrMaker: 'maker', fee: { cost: 6, currency: 'USDT' } })
    const balance = await exchange.fetchBalance()
    expect(balance['BTC']).toMatchObject({ free: 0.4, used: 0 })
    expect(balance['USDT']?.free).toBe(15994) // 10000 + 6000 − 6 commission
  })

  it('cancels an open order by id and by client order id, releasing the reserved quote', async () => {
    const { exchange } = await setup()
    const a = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000)
    const b = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 41000, { clientOrderId: 'bulwark-buy-2' })
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 9190, used: 810 }) // 400 + 410 reserved
    expect((await exchange.cancelOrder(String(a.id), 'BTC/USDT')).status).toBe('canceled')
    expect((await exchange.cancelOrder('', 'BTC/USDT', { clientOrderId: 'bulwark-buy-2' })).id).toBe(b.id)
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10000, used: 0 })
    expect(await rejectionOf(exchange.cancelOrder(String(a.id), 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // -2011
    expect(await rejectionOf(exchange.fetchOrder('999999', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // -2013
    expect((await exchange.fetchOrders('BTC/USDT')).map((o) => o.status)).toEqual(['canceled', 'canceled'])
  })

  it('fills a crossing limit order at once at the market price, and refuses a crossing post-only order', async () => {
    const { exchange } = await setup()
    const crossing = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 55000)
    expect(crossing).toMatchObject({ status: 'closed', cost: 500 }) // taker at 50000, not 55000
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 9500, used: 0 }) // the 50 USDT over-reservation is returned
    const err = await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 55000, { postOnly: true }))
    expect(err).toBeInstanceOf(ccxt.OrderImmediatelyFillable) // LIMIT_MAKER, -2010 "Order would immediately match and take."
    const ioc = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 45000, { timeInForce: 'IOC' })
    expect(ioc.status).toBe('expired')
    expect((await exchange.fetchBalance())['USDT']?.used).toBe(0)
  })

  it('rejects a duplicate client order id among open orders with -2010, which ccxt raises as InvalidOrder', async () => {
    const { emulator, exchange } = await setup()
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bulwark-dup' })
    const err = await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bulwark-dup' }))
    expect(err).toBeInstanceOf(ccxt.InvalidOrder)
    expect(err.message).toContain('Duplicate order sent.')
    expect(emulator.requests.at(-1)).toMatchObject({ status: 400, errorCode: -2010 })
  })

  it('rejects an order the balance cannot cover with InsufficientFunds, and a NOTIONAL filter failure with BadRequest', async () => {
    const { exchange } = await setup()
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 1))).toBeInstanceOf(ccxt.InsufficientFunds) // 50000 > 10000 USDT
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.6, 50000))).toBeInstanceOf(ccxt.InsufficientFunds)
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.00001, 40000))).toBeInstanceOf(ccxt.BadRequest) // NOTIONAL: 0.4 < 5
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10000, used: 0 })
  })

  it('shows an order placed directly on the exchange (foreign) to the platform client', async () => {
    const { emulator, apiKey, exchange } = await setup()
    const foreign = emulator.placeForeignOrder(apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '45000' })
    expect(foreign.clientOrderId).toMatch(/^web_/)
    const open = await exchange.fetchOpenOrders('BTC/USDT')
    expect(open.map((o) => o.clientOrderId)).toEqual([foreign.clientOrderId])
    expect(emulator.requests.some((r) => r.path === '/api/v3/order' && r.method === 'POST')).toBe(false)
  })

  it('works end to end with an Ed25519 API key (ccxt signs with the PKCS#8 PEM private key as secret)', async () => {
    const apiKey = randomApiKey()
    const { privateKeyPem, publicKeyPem } = ed25519KeyPair()
    const emulator = await startBinanceEmulator({ accounts: [{ apiKey, ed25519PublicKeyPem: publicKeyPem, balances: { USDT: '1000' } }] })
    running.push(emulator)
    const exchange = binanceClient(emulator, apiKey, privateKeyPem)
    expect((await exchange.fetchBalance())['USDT']?.free).toBe(1000)
    expect((await exchange.createOrder('ETH/USDT', 'market', 'buy', 0.1)).status).toBe('closed')
    expect(emulator.requests.filter((r) => r.isSigned).every((r) => r.isSignatureValid === true)).toBe(true)

    const other = ed25519KeyPair()
    const impostor = binanceClient(emulator, apiKey, other.privateKeyPem)
    expect(await rejectionOf(impostor.fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError) // -1022
  })
})
