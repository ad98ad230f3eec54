import ccxt from 'ccxt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { startBinanceUsdmEmulator, type BinanceUsdmEmulator } from '../../test/emulator/binance-usdm-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { encodeCredentialFields } from '../crypto/sealing.js'
import { catalogueEntry } from '../exchanges/index.js'
import { AppError } from '../lib/errors.js'
import { decodeCredentials } from '../vault/index.js'
import { createExecutor, sendCancelAllAfter, type Refusal } from './executor.js'
import { createRateBudget } from './rate-budget.js'

/**
 * The dead-man switch through the signer's executor (real ccxt, real endpoint policy): sent where the
 * catalogue lists one, on exactly its endpoint, and refused everywhere else before anything is signed.
 */

const creds = (k: { apiKey: string; secret: string }) => decodeCredentials(encodeCredentialFields(k))
const BTC = 'BTC/USDT:USDT'

describe('cancelAllOrdersAfter in the signer executor', () => {
  let usdm: BinanceUsdmEmulator
  let spot: BinanceEmulator
  const futuresKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const spotKey = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const refusals: Refusal[] = []
  let executor: ReturnType<typeof createExecutor>

  beforeAll(async () => {
    usdm = await startBinanceUsdmEmulator({ accounts: [{ ...futuresKey, ipRestrict: true, ipWhitelist: ['127.0.0.1'], futuresBalance: '10000' }] })
    spot = await startBinanceEmulator({ accounts: [{ ...spotKey, balances: { USDT: '10000' } }] })
    executor = createExecutor({ endpoints: { binance: spot.url, binanceusdm: usdm.url }, budget: createRateBudget(), onRefusal: (r) => refusals.push(r) })
  })
  afterAll(async () => {
    await usdm.close()
    await spot.close()
  })

  it("arms and stops Binance USDⓈ-M's countdown for one symbol, signed, on POST /fapi/v1/countdownCancelAll", async () => {
    const armed = await executor.run('key-f', 'binanceusdm', creds(futuresKey), 'cancelAllOrdersAfter', { symbol: BTC, timeoutMs: 60_000 })
    expect(armed).toEqual({ scope: 'symbol', symbol: BTC, timeoutMs: 60_000 })
    expect(usdm.requests.at(-1)).toMatchObject({ method: 'POST', path: '/fapi/v1/countdownCancelAll', status: 200, isSignatureValid: true, params: { symbol: 'BTCUSDT', countdownTime: '60000' } })
    expect([...usdm.account(futuresKey.apiKey).futures.countdowns.keys()]).toEqual(['BTCUSDT'])
    await executor.run('key-f', 'binanceusdm', creds(futuresKey), 'cancelAllOrdersAfter', { symbol: BTC, timeoutMs: 0 })
    expect(usdm.account(futuresKey.apiKey).futures.countdowns.size).toBe(0)
  })

  it('refuses it (BAD_INPUT) on a venue without a dead-man switch, and a malformed countdown anywhere, with nothing signed', async () => {
    await executor.publicClient('binance')
    spot.clearRequests()
    const onSpot = await executor.run('key-s', 'binance', creds(spotKey), 'cancelAllOrdersAfter', { symbol: 'BTC/USDT', timeoutMs: 60_000 }).catch((e: unknown) => e)
    expect(onSpot).toBeInstanceOf(AppError)
    expect(onSpot).toMatchObject({ code: 'BAD_INPUT', message: 'cancelAllOrdersAfter: binance has no dead-man switch (cancel-all-after)' })
    expect(spot.requests.filter((r) => r.isSigned)).toEqual([])
    usdm.clearRequests()
    for (const args of [{ symbol: BTC, timeoutMs: -1 }, { symbol: BTC, timeoutMs: 600_001 }, { symbol: BTC, timeoutMs: 1.5 }, { symbol: BTC }]) {
      await expect(executor.run('key-f', 'binanceusdm', creds(futuresKey), 'cancelAllOrdersAfter', args)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    }
    expect(usdm.requests).toEqual([])
  })

  it("keeps to the venue's published range (OKX: 10-120 s), refusing before any request", async () => {
    const okx = catalogueEntry('okx')!.deadManSwitch!
    const sent: string[] = []
    const exchange = new ccxt.okx()
    exchange.fetch = async (url: string) => {
      sent.push(url)
      return {}
    }
    for (const timeoutMs of [5_000, 121_000]) await expect(sendCancelAllAfter(exchange, 'okx', okx, 'BTC/USDT', timeoutMs)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect(sent).toEqual([])
  })

  it('the policy allows that one endpoint only: the coin-margined and options countdowns are refused, and so is the USDⓈ-M one on Binance spot', async () => {
    refusals.length = 0
    const refused = (venue: 'binance' | 'binanceusdm', key: { apiKey: string; secret: string }, implicit: string, params: Record<string, unknown>) =>
      executor
        .runRaw(`key-${venue}`, venue, creds(key), (ex) => (ex as unknown as Record<string, (p: object) => Promise<unknown>>)[implicit]!.call(ex, params))
        .then(
          () => 'sent',
          (e: unknown) => (e instanceof AppError ? e.code : 'other'),
        )
    expect(await refused('binanceusdm', futuresKey, 'dapiPrivatePostCountdownCancelAll', { symbol: 'BTCUSD_PERP', countdownTime: 60_000 })).toBe('FORBIDDEN')
    expect(await refused('binanceusdm', futuresKey, 'eapiPrivatePostCountdownCancelAllHeartBeat', { underlyings: 'BTCUSDT' })).toBe('FORBIDDEN')
    expect(await refused('binance', spotKey, 'fapiPrivatePostCountdownCancelAll', { symbol: 'BTCUSDT', countdownTime: 60_000 })).toBe('FORBIDDEN')
    expect(refusals.map((r) => [r.venue, r.path, r.reason])).toEqual([
      ['binanceusdm', '/dapi/v1/countdownCancelAll', 'not_allowlisted'],
      ['binanceusdm', '/eapi/v1/countdownCancelAllHeartBeat', 'not_allowlisted'],
      ['binance', '/fapi/v1/countdownCancelAll', 'not_allowlisted'],
    ])
  })
})
