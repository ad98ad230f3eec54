import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { startOkxEmulator, type OkxEmulator, type OkxEmulatorOptions } from './okx-emulator.js'
import { okxClient, randomApiKey, randomHmacSecret, randomPassphrase, rejectionOf } from './emulator-fixtures.js'

const running: OkxEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

/** One key with 10 000 USDT and 0.5 BTC. */
const setup = async (overrides: Partial<OkxEmulatorOptions['accounts'][number]> = {}, options: Partial<OkxEmulatorOptions> = {}) => {
  const apiKey = randomApiKey()
  const secret = randomHmacSecret()
  const passphrase = randomPassphrase()
  const emulator = await startOkxEmulator({ accounts: [{ apiKey, secret, passphrase, balances: { USDT: '10000', BTC: '0.5' }, ...overrides }], ...options })
  running.push(emulator)
  return { emulator, apiKey, secret, passphrase, exchange: okxClient(emulator, apiKey, secret, passphrase) }
}

describe('okx emulator with the real ccxt client', () => {
  it('loads spot instruments, the balance and a ticker', async () => {
    const { emulator, exchange } = await setup({}, { prices: { 'BTC-USDT': '42000' } })
    const markets = await exchange.loadMarkets()
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/BTC', 'ETH/USDT'])
    expect(markets['BTC/USDT']?.precision).toMatchObject({ price: 0.1, amount: 0.00000001 })
    expect(emulator.requests.map((r) => r.path)).toEqual(['/api/v5/public/instruments']) // public only: no signed currency list
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']).toMatchObject({ free: 10000, total: 10000 })
    expect((await exchange.fetchTicker('BTC/USDT')).last).toBe(42000)
  })

  it('runs an order lifecycle through batch-orders (ccxt default): limit rests and reserves, is found by id and clOrdId, cancels', async () => {
    const { emulator, exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bulwarkBuy1' })
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/v5/trade/batch-orders', status: 200, isSignatureValid: true })
    expect(placed.clientOrderId).toBe('bulwarkBuy1')
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 9600, used: 400 }) // 0.01 × 40000 reserved
    const byId = await exchange.fetchOrder(String(placed.id), 'BTC/USDT')
    expect(byId).toMatchObject({ status: 'open', amount: 0.01, price: 40000, filled: 0, clientOrderId: 'bulwarkBuy1' })
    const byClientId = await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'bulwarkBuy1' })
    expect(byClientId.id).toBe(placed.id)
    expect((await exchange.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([placed.id])
    await exchange.cancelOrder(String(placed.id), 'BTC/USDT')
    expect((await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).status).toBe('canceled')
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10000, used: 0 })
  })

  it('takes single orders on /trade/order when the catalogue presets it, and fills a market buy with the fee in the asset received', async () => {
    const { emulator, apiKey, secret, passphrase } = await setup()
    const exchange = okxClient(emulator, apiKey, secret, passphrase, { createOrder: 'privatePostTradeOrder' })
    const order = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/api/v5/trade/order', status: 200 })
    expect(order.clientOrderId).toMatch(/^6b9ad766b55dBCDE/) // ccxt's broker prefix, accepted as-is
    const filled = await exchange.fetchOrder(String(order.id), 'BTC/USDT')
    expect(filled).toMatchObject({ status: 'closed', filled: 0.01, average: 50000, fee: { cost: 0.00001, currency: 'BTC' } }) // 0.01 BTC × 0.1 %
    const balance = await exchange.fetchBalance()
    expect(balance['USDT']?.total).toBe(9500) // 10000 − 0.01 × 50000
    expect(balance['BTC']?.total).toBeCloseTo(0.50999, 10) // 0.5 + 0.01 − 0.00001
  })

  it('fills a resting limit order when the price crosses it, and cancels a crossing post-only order', async () => {
    const { emulator, exchange } = await setup()
    const sell = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 60000)
    emulator.setPrice('BTC-USDT', '61000')
    expect(await exchange.fetchOrder(String(sell.id), 'BTC/USDT')).toMatchObject({ status: 'closed', average: 60000 })
    const post = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 62000, { postOnly: true })
    expect((await exchange.fetchOrder(String(post.id), 'BTC/USDT')).status).toBe('canceled')
  })

  it('maps order failures to ccxt classes through okx.exceptions', async () => {
    const { exchange } = await setup()
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 1, 40000))).toBeInstanceOf(ccxt.InsufficientFunds) // 51008
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'dup1' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'dup1' }))).toBeInstanceOf(ccxt.InvalidOrder) // 51016
    expect(await rejectionOf(exchange.cancelOrder('123', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // 51400
    expect(await rejectionOf(exchange.fetchOrder('123', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // 51603
  })

  it('reports perm, ip and label in GET /api/v5/account/config, live', async () => {
    const { emulator, apiKey, exchange } = await setup({ ip: ['127.0.0.1', '10.0.0.1'], label: 'bot' })
    const config = async () => ((await exchange.privateGetAccountConfig()) as { data: Array<Record<string, unknown>> }).data[0]
    expect(await config()).toMatchObject({ perm: 'read_only,trade', ip: '127.0.0.1,10.0.0.1', label: 'bot' })
    emulator.account(apiKey).perm.push('withdraw')
    expect((await config())?.['perm']).toBe('read_only,trade,withdraw')
  })

  it('refuses a wrong passphrase (50105), a wrong secret (50113), an unknown key (50111) as AuthenticationError', async () => {
    const { emulator, apiKey, secret, passphrase } = await setup()
    const wrongPass = await rejectionOf(okxClient(emulator, apiKey, secret, `${passphrase}x`).fetchBalance())
    expect(wrongPass).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)).toMatchObject({ status: 401, errorCode: '50105' })
    expect(await rejectionOf(okxClient(emulator, apiKey, randomHmacSecret(), passphrase).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)).toMatchObject({ errorCode: '50113', isSignatureValid: false })
    expect(await rejectionOf(okxClient(emulator, randomApiKey(), secret, passphrase).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)?.errorCode).toBe('50111')
  })

  it('refuses a skewed timestamp (InvalidNonce), an unbound IP (PermissionDenied), and trading with a read-only key', async () => {
    const { emulator, apiKey, exchange } = await setup()
    emulator.setClockOffset(60_000)
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce) // 50102
    emulator.setClockOffset(0)
    emulator.account(apiKey).ip = ['10.9.9.9']
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.PermissionDenied) // 50110
    emulator.account(apiKey).ip = []
    emulator.account(apiKey).perm = ['read_only']
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.ExchangeError) // 50030
    expect(emulator.requests.at(-1)?.errorCode).toBe('50030')
  })

  it('records every request to withdrawal and transfer, refuses withdrawal without the withdraw permission, and never logs secrets', async () => {
    const { emulator, apiKey, secret, passphrase, exchange } = await setup()
    const withdraw = () => exchange.privatePostAssetWithdrawal({ ccy: 'USDT', amt: '10', dest: '4', toAddr: '0xabc', chain: 'USDT-ERC20' })
    expect(await rejectionOf(withdraw())).toBeInstanceOf(ccxt.ExchangeError)
    emulator.account(apiKey).perm.push('withdraw')
    await withdraw()
    await exchange.privatePostAssetTransfer({ ccy: 'USDT', amt: '1', from: '18', to: '6' })
    expect(emulator.withdrawals.map((w) => [w.kind, w.isAccepted])).toEqual([['withdraw', false], ['withdraw', true], ['transfer', true]])
    expect((await exchange.fetchBalance())['USDT']?.total).toBe(9989) // 10000 − 10 − 1
    const log = JSON.stringify(emulator.requests)
    for (const s of [secret, passphrase]) expect(log).not.toContain(s)
  })
})
