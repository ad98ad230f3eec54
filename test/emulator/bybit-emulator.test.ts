import ccxt from 'ccxt'
import { afterEach, describe, expect, it } from 'vitest'
import { startBybitEmulator, type BybitEmulator, type BybitEmulatorOptions } from './bybit-emulator.js'
import { bybitClient, randomApiKey, randomHmacSecret, rejectionOf } from './emulator-fixtures.js'

const running: BybitEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

/** One key bound to 127.0.0.1 with 10 000 USDT and 0.5 BTC. */
const setup = async (overrides: Partial<BybitEmulatorOptions['accounts'][number]> = {}, options: Partial<BybitEmulatorOptions> = {}) => {
  const apiKey = randomApiKey()
  const secret = randomHmacSecret()
  const emulator = await startBybitEmulator({ accounts: [{ apiKey, secret, ips: ['127.0.0.1'], balances: { USDT: '10000', BTC: '0.5' }, ...overrides }], ...options })
  running.push(emulator)
  return { emulator, apiKey, secret, exchange: bybitClient(emulator, apiKey, secret) }
}

type QueryApi = { result: { readOnly: number; ips: string[]; expiredAt: string; permissions: Record<string, string[]>; uta: number } }

describe('bybit emulator with the real ccxt client', () => {
  it('loads spot instruments, the unified wallet balance and a ticker', async () => {
    const { emulator, exchange } = await setup({}, { prices: { BTCUSDT: '42000' } })
    const markets = await exchange.loadMarkets()
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/BTC', 'ETH/USDT'])
    expect(markets['BTC/USDT']?.limits.cost?.min).toBe(1)
    expect(emulator.requests.every((r) => !r.isSigned)).toBe(true)
    const balance = await exchange.fetchBalance()
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/v5/account/wallet-balance', params: { accountType: 'UNIFIED' }, isSignatureValid: true })
    expect(balance['USDT']).toMatchObject({ free: 10000, used: 0, total: 10000 })
    expect((await exchange.fetchTicker('BTC/USDT')).last).toBe(42000)
  })

  it('without the catalogue preset, ccxt asks query-api and account/info before the first private call (finding 2)', async () => {
    const { emulator, apiKey, secret } = await setup()
    const exchange = bybitClient(emulator, apiKey, secret, {}, false)
    await exchange.fetchBalance()
    expect(emulator.requests.filter((r) => r.isSigned).map((r) => r.path)).toEqual(['/v5/user/query-api', '/v5/account/info', '/v5/account/wallet-balance'])
  })

  it('runs an order lifecycle: a limit order rests and reserves, is found by id and by orderLinkId, cancels; a market buy fills', async () => {
    const { emulator, exchange } = await setup()
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'bulwark-buy-1' })
    expect(placed.clientOrderId).toBe('bulwark-buy-1')
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ used: 400, total: 10000 }) // 0.01 × 40000 locked
    expect(await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).toMatchObject({ status: 'open', amount: 0.01, price: 40000, clientOrderId: 'bulwark-buy-1' })
    // ccxt passes params through: the venue field is orderLinkId (a `clientOrderId` param is not translated).
    expect((await exchange.fetchOrder('', 'BTC/USDT', { orderLinkId: 'bulwark-buy-1' })).id).toBe(placed.id)
    expect((await exchange.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([placed.id])
    await exchange.cancelOrder(String(placed.id), 'BTC/USDT')
    expect((await exchange.fetchOrder(String(placed.id), 'BTC/USDT')).status).toBe('canceled')
    const market = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)
    expect(emulator.requests.at(-1)?.params).toMatchObject({ marketUnit: 'baseCoin', qty: '0.01' })
    expect(await exchange.fetchOrder(String(market.id), 'BTC/USDT')).toMatchObject({ status: 'closed', filled: 0.01, average: 50000, cost: 500, fee: { cost: 0.00001, currency: 'BTC' } })
    expect((await exchange.fetchBalance())['USDT']?.total).toBe(9500)
  })

  it('maps order failures to ccxt classes through bybit.exceptions', async () => {
    const { exchange } = await setup()
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 1, 40000))).toBeInstanceOf(ccxt.InsufficientFunds) // 170131
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'dup' })
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40000, { clientOrderId: 'dup' }))).toBeInstanceOf(ccxt.InvalidOrder) // 110072
    expect(await rejectionOf(exchange.cancelOrder('1', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // 170213
    expect(await rejectionOf(exchange.fetchOrder('1', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound) // empty list
  })

  it("reports the key's permissions, IPs, expiry and read-only flag in GET /v5/user/query-api", async () => {
    const bound = await setup()
    const info = ((await bound.exchange.privateGetV5UserQueryApi()) as QueryApi).result
    expect(info).toMatchObject({ readOnly: 0, ips: ['127.0.0.1'], expiredAt: '', uta: 1, permissions: { Spot: ['SpotTrade'], Wallet: [] } })
    const unbound = await setup({ ips: undefined, readOnly: true, permissions: { Wallet: ['AccountTransfer', 'Withdraw'] } })
    const other = ((await unbound.exchange.privateGetV5UserQueryApi()) as QueryApi).result
    expect(other).toMatchObject({ readOnly: 1, ips: ['*'], permissions: { Wallet: ['AccountTransfer', 'Withdraw'] } })
    // Keys without bound IPs expire 90 days after creation (created a day ago here).
    expect(Date.parse(other.expiredAt) - Date.now()).toBeGreaterThan(88 * 86_400_000)
  })

  it('refuses a wrong secret (10004), an unknown key (10003), a skewed timestamp (10002), an unbound IP (10010), a read-only key trading (10005)', async () => {
    const { emulator, apiKey, secret, exchange } = await setup()
    expect(await rejectionOf(bybitClient(emulator, apiKey, randomHmacSecret()).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(emulator.requests.at(-1)).toMatchObject({ errorCode: '10004', isSignatureValid: false })
    expect(await rejectionOf(bybitClient(emulator, randomApiKey(), secret).fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    emulator.setClockOffset(-10_000)
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce)
    emulator.setClockOffset(0)
    emulator.account(apiKey).ips = ['10.9.9.9']
    expect(await rejectionOf(exchange.fetchBalance())).toBeInstanceOf(ccxt.PermissionDenied)
    emulator.account(apiKey).ips = ['*']
    emulator.account(apiKey).readOnly = true
    expect(await rejectionOf(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01))).toBeInstanceOf(ccxt.PermissionDenied)
    await exchange.fetchBalance() // reading still works
    emulator.account(apiKey).expiredAt = new Date(Date.now() - 1000).toISOString()
    await rejectionOf(exchange.fetchBalance())
    expect(emulator.requests.at(-1)?.errorCode).toBe('33004')
  })

  it('records every request to withdraw and inter-transfer, refusing both without the Wallet permissions, and never logs the secret', async () => {
    const { emulator, apiKey, secret, exchange } = await setup()
    const withdraw = () => exchange.privatePostV5AssetWithdrawCreate({ coin: 'USDT', chain: 'ETH', address: '0xabc', amount: '10', timestamp: Date.now() })
    const transfer = () => exchange.privatePostV5AssetTransferInterTransfer({ transferId: '9c2e3c2c-7b8f-4b8e-9d3e-1f2a3b4c5d6e', coin: 'USDT', amount: '1', fromAccountType: 'UNIFIED', toAccountType: 'FUND' })
    expect(await rejectionOf(withdraw())).toBeInstanceOf(ccxt.PermissionDenied)
    expect(await rejectionOf(transfer())).toBeInstanceOf(ccxt.PermissionDenied)
    emulator.account(apiKey).permissions.Wallet = ['AccountTransfer', 'Withdraw']
    await withdraw()
    await transfer()
    expect(emulator.withdrawals.map((w) => [w.kind, w.isAccepted])).toEqual([['withdraw', false], ['transfer', false], ['withdraw', true], ['transfer', true]])
    expect((await exchange.fetchBalance())['USDT']?.total).toBe(9989)
    expect(JSON.stringify(emulator.requests)).not.toContain(secret)
  })
})
