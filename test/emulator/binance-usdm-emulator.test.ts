import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { startBinanceUsdmEmulator, type BinanceUsdmEmulator, type UsdmEmulatorOptions } from './binance-usdm-emulator.js'
import { binanceUsdmClient, randomApiKey, randomHmacSecret, rejectionOf } from './emulator-fixtures.js'
import { pointAt } from './point-ccxt.js'

const running: BinanceUsdmEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

const BTC = 'BTC/USDT:USDT'

/** One futures key with 10 000 USDT in the USDⓈ-M wallet. */
const setup = async (overrides: Omit<Partial<UsdmEmulatorOptions['accounts'][number]>, 'secret' | 'ed25519PublicKeyPem'> = {}) => {
  const apiKey = randomApiKey()
  const secret = randomHmacSecret()
  const emulator = await startBinanceUsdmEmulator({ accounts: [{ apiKey, secret, ipRestrict: true, ipWhitelist: ['127.0.0.1'], futuresBalance: '10000', ...overrides }] })
  running.push(emulator)
  return { emulator, apiKey, secret, exchange: binanceUsdmClient(emulator, apiKey, secret) }
}

describe('binance USDⓈ-M emulator with the real ccxt client', () => {
  it('loads linear perpetuals from fapi only, the futures balance and a ticker', async () => {
    const { emulator, exchange } = await setup()
    const markets = await exchange.loadMarkets()
    expect(Object.keys(markets).sort()).toEqual([BTC, 'ETH/USDT:USDT'])
    expect(markets[BTC]).toMatchObject({ swap: true, linear: true, settle: 'USDT', precision: { price: 0.1, amount: 0.001 } })
    expect(emulator.requests.map((r) => r.path)).toEqual(['/fapi/v1/exchangeInfo'])
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10000, used: 0, total: 10000 })
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/fapi/v3/account', isSignatureValid: true })
    expect((await exchange.fetchTicker(BTC)).last).toBe(50000)
  })

  it('sets leverage, opens a long, marks it to the price, and realizes the PnL when it is closed reduce-only', async () => {
    const { emulator, exchange } = await setup()
    await exchange.setLeverage(10, BTC)
    const open = await exchange.createOrder(BTC, 'market', 'buy', 0.1)
    expect(open).toMatchObject({ status: 'closed', filled: 0.1, average: 50000 })
    emulator.setPrice('BTCUSDT', '51000')
    const [position] = await exchange.fetchPositions([BTC])
    expect(position).toMatchObject({ symbol: BTC, side: 'long', contracts: 0.1, entryPrice: 50000, unrealizedPnl: 100 }) // 0.1 × (51000 − 50000)
    expect((await exchange.fetchBalance())['USDT']?.used).toBe(510) // initial margin 0.1 × 51000 / 10
    await exchange.createOrder(BTC, 'market', 'sell', 0.1, undefined, { reduceOnly: true })
    expect(await exchange.fetchPositions([BTC])).toEqual([])
    // 10000 + 100 realized − fees 0.1 × 50000 × 0.05 % (2.5) − 0.1 × 51000 × 0.05 % (2.55)
    expect((await exchange.fetchBalance())['USDT']?.total).toBeCloseTo(10094.95, 8)
  })

  it('rests a limit order, finds it by id and client id, cancels it, and fills another when the price crosses', async () => {
    const { emulator, exchange } = await setup()
    const placed = await exchange.createOrder(BTC, 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bulwark-1' })
    expect(await exchange.fetchOrder(String(placed.id), BTC)).toMatchObject({ status: 'open', clientOrderId: 'bulwark-1', price: 40000 })
    expect((await exchange.fetchOrder('', BTC, { clientOrderId: 'bulwark-1' })).id).toBe(placed.id)
    expect((await exchange.fetchOpenOrders(BTC)).map((o) => o.id)).toEqual([placed.id])
    expect((await exchange.cancelOrder(String(placed.id), BTC)).status).toBe('canceled')
    const resting = await exchange.createOrder(BTC, 'limit', 'sell', 0.01, 52000)
    emulator.setPrice('BTCUSDT', '52500')
    expect(await exchange.fetchOrder(String(resting.id), BTC)).toMatchObject({ status: 'closed', average: 52000 })
  })

  it('countdownCancelAll: each call replaces the countdown of its symbol, 0 stops it, and at its end every open order of that symbol is cancelled', async () => {
    const { emulator, apiKey, exchange } = await setup()
    let offset = 0
    /** Moves the emulator's clock, and ccxt's with it (Binance requests carry ccxt's time minus `timeDifference`). */
    const advance = (ms: number) => {
      offset += ms
      emulator.setClockOffset(offset)
      exchange.options['timeDifference'] = -offset
    }
    const ETH = 'ETH/USDT:USDT'
    const low = await exchange.createOrder(BTC, 'limit', 'buy', 0.01, 40000)
    const high = await exchange.createOrder(BTC, 'limit', 'sell', 0.01, 60000)
    const eth = await exchange.createOrder(ETH, 'limit', 'buy', 0.01, 2500)
    expect(await exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'BTCUSDT', countdownTime: 60_000 })).toEqual({ symbol: 'BTCUSDT', countdownTime: '60000' })
    await exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'ETHUSDT', countdownTime: 60_000 })
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/fapi/v1/countdownCancelAll', status: 200, isSignatureValid: true })

    advance(40_000) // t = 40 s: BTC re-armed (now ends at 100 s), ETH's countdown stopped
    await exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'BTCUSDT', countdownTime: 60_000 })
    expect(await exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'ETHUSDT', countdownTime: 0 })).toEqual({ symbol: 'ETHUSDT', countdownTime: '0' })
    advance(30_000) // t = 70 s: past the end of the first BTC countdown, which the second replaced
    expect((await exchange.fetchOpenOrders(BTC)).map((o) => o.id).sort()).toEqual([low.id, high.id].sort())

    advance(31_000) // t = 101 s: the BTC countdown has ended
    expect(await exchange.fetchOpenOrders(BTC)).toEqual([])
    expect(await exchange.fetchOrder(String(low.id), BTC)).toMatchObject({ status: 'canceled', filled: 0 })
    expect((await exchange.fetchOpenOrders(ETH)).map((o) => o.id)).toEqual([eth.id])
    // An ended countdown is gone: a new order on the symbol rests until someone arms it again.
    expect([...emulator.account(apiKey).futures.countdowns.keys()]).toEqual([])
    const later = await exchange.createOrder(BTC, 'limit', 'buy', 0.01, 41000)
    advance(120_000)
    expect(emulator.runCountdowns()).toBe(0)
    expect((await exchange.fetchOpenOrders(BTC)).map((o) => o.id)).toEqual([later.id])
  })

  it('countdownCancelAll: refuses a missing or malformed countdown and an unknown symbol, like Binance', async () => {
    const { emulator, exchange } = await setup()
    expect(await rejectionOf(exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'BTCUSDT' }))).toBeInstanceOf(ccxt.BadRequest) // -1102
    expect(await rejectionOf(exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'BTCUSDT', countdownTime: '-5' }))).toBeInstanceOf(ccxt.BadRequest) // -1100
    expect(await rejectionOf(exchange.fapiPrivatePostCountdownCancelAll({ symbol: 'DOGEUSDT', countdownTime: 1000 }))).toBeInstanceOf(ccxt.BadSymbol) // -1121
    expect(emulator.requests.slice(-3).map((r) => r.errorCode)).toEqual(['-1102', '-1100', '-1121'])
  })

  it('keeps ccxt production error mapping when redirected: -2019 is InsufficientFunds (linear table), ExchangeError without the fix', async () => {
    const { emulator, apiKey, secret, exchange } = await setup()
    expect(await rejectionOf(exchange.createOrder(BTC, 'market', 'buy', 100))).toBeInstanceOf(ccxt.InsufficientFunds)
    expect(emulator.requests.at(-1)).toMatchObject({ status: 400, errorCode: '-2019' })
    const unfixed = new ccxt.binanceusdm({ apiKey, secret, enableRateLimit: false, options: { fetchCurrencies: false, fetchMargins: false } })
    pointAt(unfixed, emulator.url, { keepProductionErrors: false })
    const plain = await rejectionOf(unfixed.createOrder(BTC, 'market', 'buy', 100))
    expect(plain).toBeInstanceOf(ccxt.ExchangeError)
    expect(plain).not.toBeInstanceOf(ccxt.InsufficientFunds)
    expect(await rejectionOf(exchange.createOrder(BTC, 'market', 'sell', 0.01, undefined, { reduceOnly: true }))).toBeInstanceOf(ccxt.InvalidOrder) // -2022
  })

  it('serves apiRestrictions on the same host (sapi), and refuses futures trading without enableFutures', async () => {
    const { emulator, apiKey, exchange } = await setup({ permissions: { enableWithdrawals: true } })
    const restrictions = (await exchange.sapiGetAccountApiRestrictions()) as Record<string, unknown>
    expect(restrictions).toMatchObject({ ipRestrict: true, enableFutures: true, enableWithdrawals: true })
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/sapi/v1/account/apiRestrictions', isSignatureValid: true })
    emulator.account(apiKey).permissions.enableFutures = false
    expect(await rejectionOf(exchange.createOrder(BTC, 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.AuthenticationError) // -2015
    await exchange.fetchBalance() // reading still works
  })

  it('refuses a wrong secret and an address off the whitelist, and records every request to withdraw or transfer', async () => {
    const { emulator, apiKey, secret, exchange } = await setup({ balances: { USDT: '50' } })
    expect(await rejectionOf(binanceUsdmClient(emulator, apiKey, randomHmacSecret()).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError) // -1022
    emulator.account(apiKey).ipWhitelist = ['10.1.1.1']
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError) // -2015
    emulator.account(apiKey).ipWhitelist = ['127.0.0.1']
    expect(await rejectionOf(exchange.sapiPostCapitalWithdrawApply({ coin: 'USDT', address: '0xabc', amount: '10' }))).toBeInstanceOf(ccxt.PermissionDenied)
    expect(await rejectionOf(exchange.sapiPostFuturesTransfer({ asset: 'USDT', amount: '10', type: 2 }))).toBeInstanceOf(ccxt.PermissionDenied)
    expect(emulator.withdrawals.map((w) => [w.path, w.isAccepted])).toEqual([['/sapi/v1/capital/withdraw/apply', false], ['/sapi/v1/futures/transfer', false]])
    expect(JSON.stringify(emulator.requests)).not.toContain(secret)
    expect(emulator.requests.some((r) => 'signature' in r.params)).toBe(false)
  })
})
