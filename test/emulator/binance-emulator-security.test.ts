import { createHmac } from 'node:crypto'
import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator, type BinanceEmulatorOptions } from './binance-emulator.js'
import type { EmulatorAccountSettings } from './binance-types.js'
import { binanceClient, randomApiKey, randomHmacSecret, rejectionOf } from './emulator-fixtures.js'

const running: BinanceEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

const setup = async (account: EmulatorAccountSettings = {}, overrides: Partial<BinanceEmulatorOptions> = {}) => {
  const apiKey = randomApiKey()
  const secret = randomHmacSecret()
  const emulator = await startBinanceEmulator({
    accounts: [{ balances: { USDT: '10000', BTC: '0.5' }, ...account, apiKey, secret }],
    ...overrides,
  })
  running.push(emulator)
  return { emulator, apiKey, secret, exchange: binanceClient(emulator, apiKey, secret) }
}

/** A hand-signed request, for cases ccxt cannot produce (tampering, unknown routes). */
const rawSigned = async (emulator: BinanceEmulator, apiKey: string, secret: string, method: string, path: string, query: string, tamper?: string) => {
  const signed = `${query}&timestamp=${Date.now()}`
  const signature = createHmac('sha256', secret).update(signed).digest('hex')
  const res = await fetch(`${emulator.url}${path}?${tamper ?? signed}&signature=${signature}`, { method, headers: { 'X-MBX-APIKEY': apiKey } })
  return { status: res.status, body: (await res.json()) as { code?: number; msg?: string } }
}

describe('binance emulator: key permissions and authentication', () => {
  it('reports the configured key restrictions through sapiGetAccountApiRestrictions', async () => {
    const expiry = Date.now() + 3_600_000
    const { exchange } = await setup({ ipRestrict: true, ipWhitelist: ['127.0.0.1'], tradingAuthorityExpirationTime: expiry, permissions: { enableFutures: true } })
    const restrictions = await exchange.sapiGetAccountApiRestrictions()
    expect(restrictions).toMatchObject({
      ipRestrict: true, enableReading: true, enableSpotAndMarginTrading: true, enableWithdrawals: false, enableInternalTransfer: false,
      permitsUniversalTransfer: false, enableMargin: false, enableFutures: true, enableVanillaOptions: false, tradingAuthorityExpirationTime: expiry,
    })
    expect(typeof restrictions['createTime']).toBe('number')
  })

  it('refuses a wrong secret with -1022 (AuthenticationError) and logs the failed verification', async () => {
    const { emulator, apiKey } = await setup()
    const err = await rejectionOf(binanceClient(emulator, apiKey, randomHmacSecret()).fetchBalance())
    expect(err).toBeInstanceOf(ccxt.AuthenticationError)
    expect(err.message).toContain('-1022')
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/api/v3/account', isSigned: true, isSignatureValid: false, status: 400 })
  })

  it('refuses unknown keys: -2015 when well-formed, -2014 when malformed (both AuthenticationError)', async () => {
    const { emulator } = await setup()
    expect(await rejectionOf(binanceClient(emulator, randomApiKey(), randomHmacSecret()).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)?.errorCode).toBe(-2015)
    expect(await rejectionOf(binanceClient(emulator, 'short-key', randomHmacSecret()).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)?.errorCode).toBe(-2014)
  })

  it('refuses a parameter changed after signing', async () => {
    const { emulator, apiKey, secret } = await setup()
    const ok = await rawSigned(emulator, apiKey, secret, 'GET', '/api/v3/openOrders', 'symbol=BTCUSDT')
    expect(ok.status).toBe(200)
    const tampered = await rawSigned(emulator, apiKey, secret, 'GET', '/api/v3/openOrders', 'symbol=BTCUSDT', `symbol=ETHUSDT&timestamp=${Date.now()}`)
    expect(tampered).toEqual({ status: 400, body: { code: -1022, msg: 'Signature for this request is not valid.' } })
  })

  it('refuses a timestamp outside recvWindow with -1021 (InvalidNonce), either side of the server clock', async () => {
    const behind = await setup({}, { clockOffsetMs: 30_000 }) // ccxt's timestamp is 30 s old; its recvWindow is 10 s
    expect(await rejectionOf(behind.exchange.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce)
    expect(behind.emulator.requests.at(-1)).toMatchObject({ errorCode: -1021, isSignatureValid: true })
    const ahead = await setup({}, { clockOffsetMs: -5_000 }) // more than 1000 ms ahead of the server
    expect(await rejectionOf(ahead.exchange.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce)
    const adjusted = binanceClient(behind.emulator, behind.apiKey, behind.secret, { adjustForTimeDifference: true })
    expect((await adjusted.fetchBalance())['USDT']?.free).toBe(10000) // ccxt reads /api/v3/time and corrects
  })

  it('refuses a request from outside the IP whitelist with -2015 (AuthenticationError)', async () => {
    const { emulator, exchange } = await setup({ ipRestrict: true, ipWhitelist: ['203.0.113.7'] })
    const err = await rejectionOf(exchange.fetchBalance())
    expect(err).toBeInstanceOf(ccxt.AuthenticationError)
    expect(err.message).toContain('request ip: 127.0.0.1')
    expect(emulator.requests.at(-1)).toMatchObject({ remoteAddress: '127.0.0.1', isSignatureValid: undefined, status: 401 })
  })

  it('turns -2015 into DDoSProtection once the same ccxt instance has authenticated (ccxt quirk)', async () => {
    const { emulator, apiKey, exchange } = await setup()
    await exchange.fetchBalance()
    emulator.account(apiKey).ipRestrict = true
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.DDoSProtection)
  })

  it('refuses trading for a read-only key and after tradingAuthorityExpirationTime', async () => {
    const { emulator, apiKey, secret, exchange } = await setup({ permissions: { enableSpotAndMarginTrading: false } })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.AuthenticationError)
    emulator.account(apiKey).permissions.enableSpotAndMarginTrading = true
    emulator.account(apiKey).tradingAuthorityExpirationTime = Date.now() - 1
    const fresh = binanceClient(emulator, apiKey, secret)
    expect(await rejectionOf(fresh.createOrder('BTC/USDT', 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.account(apiKey).orders).toEqual([])
  })
})

describe('binance emulator: fund movements', () => {
  it('refuses withdraw and transfer without permission (PermissionDenied), records both, and accepts them once permitted', async () => {
    const { emulator, apiKey, exchange } = await setup()
    const withdraw = { coin: 'USDT', network: 'ETH', address: '0x000000000000000000000000000000000000dEaD', amount: '100' }
    expect(await rejectionOf(exchange.sapiPostCapitalWithdrawApply(withdraw))).toBeInstanceOf(ccxt.PermissionDenied) // -1002
    expect(await rejectionOf(exchange.sapiPostAssetTransfer({ type: 'MAIN_FUNDING', asset: 'USDT', amount: '50' }))).toBeInstanceOf(ccxt.PermissionDenied)
    expect(emulator.withdrawals.map((w) => [w.kind, w.isAccepted, w.status])).toEqual([['withdraw', false, 401], ['transfer', false, 401]])

    emulator.account(apiKey).permissions.enableWithdrawals = true // the key gains withdraw permission
    emulator.account(apiKey).permissions.permitsUniversalTransfer = true
    expect(await exchange.sapiPostCapitalWithdrawApply(withdraw)).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect(await exchange.sapiPostAssetTransfer({ type: 'MAIN_FUNDING', asset: 'USDT', amount: '50' })).toMatchObject({ tranId: expect.any(Number) })
    expect(emulator.withdrawals.slice(2)).toMatchObject([
      { kind: 'withdraw', isAccepted: true, apiKey, params: { coin: 'USDT', address: withdraw.address, amount: '100' } },
      { kind: 'transfer', isAccepted: true, params: { type: 'MAIN_FUNDING', amount: '50' } },
    ])
    expect(emulator.account(apiKey).balances.get('USDT')).toEqual({ free: '9850', locked: '0' }) // 10000 − 100 − 50
  })
})

describe('binance emulator: rate limits, faults and the request log', () => {
  it('answers 429 past the weight limit and 418 when the client keeps going (DDoSProtection both times)', async () => {
    const { emulator, apiKey, secret } = await setup({}, { weightLimitPerMinute: 3 })
    const exchange = binanceClient(emulator, apiKey, secret)
    exchange.enableRateLimit = false
    for (let i = 0; i < 3; i++) await exchange.publicGetPing()
    expect(await rejectionOf(exchange.publicGetPing())).toBeInstanceOf(ccxt.DDoSProtection)
    expect(await rejectionOf(exchange.publicGetPing())).toBeInstanceOf(ccxt.DDoSProtection)
    expect(emulator.requests.map((r) => r.status)).toEqual([200, 200, 200, 429, 418])
    expect(await rejectionOf(exchange.publicGetTime())).toBeInstanceOf(ccxt.DDoSProtection) // banned
    emulator.resetRateLimits()
    expect(await exchange.publicGetPing()).toEqual({})
  })

  it('times out without executing, fails with 500, or executes and then times out, as asked', async () => {
    const { emulator, apiKey, exchange } = await setup()
    await exchange.loadMarkets()
    emulator.failNext('/api/v3/order', { mode: 'timeout', method: 'POST' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'bw-t1' }))).toBeInstanceOf(ccxt.RequestTimeout)
    expect(emulator.account(apiKey).orders).toEqual([])

    emulator.failNext('/api/v3/account', { mode: 'error500' })
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.ExchangeNotAvailable)

    emulator.failNext('/api/v3/order', { mode: 'afterExecute-timeout', method: 'POST' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'bw-t2' }))).toBeInstanceOf(ccxt.RequestTimeout)
    const reconciled = await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'bw-t2' })
    expect(reconciled).toMatchObject({ status: 'closed', filled: 0.01 }) // it was executed
    expect(emulator.requests.filter((r) => r.fault).map((r) => [r.fault, r.status])).toEqual([['timeout', undefined], ['error500', 500], ['afterExecute-timeout', 200]])
  })

  it('logs every request without signature values, and answers unknown routes with a Binance-style 404', async () => {
    const { emulator, apiKey, secret, exchange } = await setup()
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bw-log' })
    const post = emulator.requests.find((r) => r.method === 'POST')
    expect(post).toMatchObject({ path: '/api/v3/order', apiKey, isSigned: true, isSignatureValid: true, status: 200, params: { newClientOrderId: 'bw-log', symbol: 'BTCUSDT' } })
    expect(post?.paramKeys).toContain('signature')
    expect(JSON.stringify(emulator.requests)).not.toMatch(/"signature"\s*:/)
    const unknown = await rawSigned(emulator, apiKey, secret, 'GET', '/sapi/v1/giftcard/createCode', 'token=USDT')
    expect(unknown).toEqual({ status: 404, body: { code: -5000, msg: 'Path /sapi/v1/giftcard/createCode, Method GET is invalid' } })
    emulator.clearRequests()
    expect(emulator.requests).toHaveLength(0)
  })

  it('delays responses by latencyMs', async () => {
    const { emulator, exchange } = await setup({}, { latencyMs: 150 })
    const started = Date.now()
    await exchange.publicGetPing()
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    emulator.setLatency(0)
  })
})
