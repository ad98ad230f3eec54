import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { asc } from 'drizzle-orm'
import { pointAt } from '../../test/emulator/point-ccxt.js'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { createManualClock } from '../lib/clock.js'
import { createManualScheduler } from '../market/index.js'
import { defaultDemoFeedConfig, openDemoFunding, type DemoFeedConfig } from './demo-feed.js'
import { createDemoRuntime, type DemoRuntime } from './demo-runtime.js'
import { demoMarketsFor } from './demo-markets.js'
import type { FundingSource } from './funding-source.js'

/**
 * A local stand-in for Binance USDⓈ-M's public API: exchangeInfo (what binanceusdm's loadMarkets reads)
 * and premiumIndex (what its fetchFundingRate reads), in Binance's shapes, with rates the test sets. The
 * real ccxt binanceusdm client talks to it, pointed here by test/emulator/point-ccxt.ts.
 */
const symbolInfo = (symbol: string, baseAsset: string) => ({
  symbol, pair: symbol, contractType: 'PERPETUAL', deliveryDate: 4133404800000, onboardDate: 1569398400000, status: 'TRADING',
  maintMarginPercent: '2.5000', requiredMarginPercent: '5.0000', baseAsset, quoteAsset: 'USDT', marginAsset: 'USDT',
  pricePrecision: 1, quantityPrecision: 3, baseAssetPrecision: 8, quotePrecision: 8, underlyingType: 'COIN', settlePlan: 0,
  triggerProtect: '0.0500', liquidationFee: '0.012500', marketTakeBound: '0.05',
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.10', maxPrice: '4529764', tickSize: '0.10' },
    { filterType: 'LOT_SIZE', stepSize: '0.001', maxQty: '1000', minQty: '0.001' },
    { filterType: 'MIN_NOTIONAL', notional: '100' },
  ],
  orderTypes: ['LIMIT', 'MARKET'],
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
})

const startUsdmPublicApi = async () => {
  const rates: Record<string, string> = { BTCUSDT: '0.00063521', ETHUSDT: '-0.00002500' }
  const requests: string[] = []
  const now = 1_700_000_000_000
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    requests.push(url.pathname)
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const symbol = url.searchParams.get('symbol') ?? ''
    switch (url.pathname) {
      case '/fapi/v1/exchangeInfo':
        return send(200, { timezone: 'UTC', serverTime: now, futuresType: 'U_MARGINED', rateLimits: [], exchangeFilters: [], assets: [], symbols: [symbolInfo('BTCUSDT', 'BTC'), symbolInfo('ETHUSDT', 'ETH')] })
      case '/fapi/v1/premiumIndex': {
        const rate = rates[symbol]
        if (rate === undefined) return send(400, { code: -1121, msg: 'Invalid symbol.' })
        return send(200, { symbol, markPrice: '45802.81129892', indexPrice: '45745.47701915', estimatedSettlePrice: '45133.91753671', lastFundingRate: rate, interestRate: '0.00010000', nextFundingTime: 1_700_006_400_000, time: now })
      }
      default:
        return send(404, { code: -1, msg: 'not here' })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rates,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  }
}

const BTC = 'BTC/USDT:USDT'
const ETH = 'ETH/USDT:USDT'
const pollMs = 60_000
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe.each(backends)('demo funding rate source on %s', (kind) => {
  const clock = createManualClock('2026-12-04T08:00:00Z')

  const setup = async (config: Partial<DemoFeedConfig> = {}, opts: { isDown?: boolean } = {}) => {
    const api = await startUsdmPublicApi()
    cleanups.push(() => api.close().catch(() => {}))
    if (opts.isDown === true) await api.close()
    const d: TestDatabase = await openTestDatabase(kind)
    cleanups.push(() => d.dispose())
    const scheduler = createManualScheduler()
    const funding: FundingSource = await openDemoFunding(
      { ...defaultDemoFeedConfig, MARKET_SOURCE: 'live', MARKET_LIVE_FUNDING_POLL_MS: pollMs, ...config },
      { clock, scheduler, prepareExchange: (exchange) => pointAt(exchange, api.url) },
    )
    const runtime = createDemoRuntime({ db: d.db, clock, seed: 'funding-tests', markets: demoMarketsFor(['BTC/USDT', 'ETH/USDT']), funding })
    await runtime.start()
    cleanups.push(() => runtime.stop())
    return { api, d, scheduler, runtime }
  }

  const asleep = (scheduler: ReturnType<typeof createManualScheduler>) => vi.waitFor(() => expect(scheduler.pendingSleepers()).toBe(1), { timeout: 10_000, interval: 10 })
  const nextPoll = async (scheduler: ReturnType<typeof createManualScheduler>) => {
    await asleep(scheduler)
    await scheduler.advance(pollMs)
    await asleep(scheduler)
  }
  const rateOf = (rt: DemoRuntime, symbol: string) => rt.read((e) => e.market(symbol)?.fundingRate ?? null)

  it('puts the reference exchange’s live rate in the engine through the event log, and follows it', async () => {
    const { api, d, scheduler, runtime } = await setup()
    await asleep(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.00063521')
    expect(await rateOf(runtime, ETH)).toBe('-0.000025')
    expect(api.requests).toEqual(['/fapi/v1/exchangeInfo', '/fapi/v1/premiumIndex', '/fapi/v1/premiumIndex'])
    expect(runtime.fundingStatus()).toMatchObject({ source: 'live', detail: expect.stringContaining('live funding rates from the binanceusdm public API'), markets: [{ symbol: BTC, source: 'live', rate: '0.00063521' }, { symbol: ETH, source: 'live', rate: '-0.000025' }] })
    expect(runtime.feedStatus().detail).toMatch(/funding: live funding rates from the binanceusdm/)

    api.rates['BTCUSDT'] = '0.00012000'
    await nextPoll(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.00012')
    await runtime.barrier()
    // Commands, not side effects: the changes are in the log (ETH unchanged at the second poll, so once).
    const events = (await d.db.select({ e: schema.demoEvents.event }).from(schema.demoEvents).orderBy(asc(schema.demoEvents.seq))).map((r) => r.e as { type: string; symbol: string; rate: string })
    expect(events.filter((e) => e.type === 'funding_rate').map((e) => `${e.symbol} ${e.rate}`)).toEqual([`${BTC} 0.00063521`, `${ETH} -0.000025`, `${BTC} 0.00012`])
  })

  it('keeps the live rate through a blip, goes back to the configured rate visibly when unreachable, and recovers', async () => {
    const { api, scheduler, runtime } = await setup()
    await asleep(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.00063521')
    const liveSince = runtime.fundingStatus().since

    await api.close()
    clock.advance(pollMs)
    await nextPoll(scheduler)
    await nextPoll(scheduler)
    // Two failed polls: not yet the threshold (3).
    expect(await rateOf(runtime, BTC)).toBe('0.00063521')
    expect(runtime.fundingStatus()).toMatchObject({ source: 'live', since: liveSince })

    await nextPoll(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.0001')
    expect(await rateOf(runtime, ETH)).toBe('0.0001')
    const down = runtime.fundingStatus()
    expect(down).toMatchObject({ source: 'configured', since: clock.now().getTime(), markets: [{ symbol: BTC, source: 'configured', rate: '0.0001' }, { symbol: ETH, source: 'configured', rate: '0.0001' }] })
    expect(down.since).toBeGreaterThan(liveSince)
    expect(down.detail).toMatch(/^configured funding rate for BTC\/USDT:USDT \(binanceusdm funding rate unavailable after 3 failed polls \(.+\)\), ETH\/USDT:USDT .*retrying every 60000 ms$/)
    expect(runtime.feedStatus().detail).toContain('funding: configured funding rate for')

    await api.reopen()
    clock.advance(pollMs)
    await nextPoll(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.00063521')
    expect(runtime.fundingStatus()).toMatchObject({ source: 'live', since: clock.now().getTime() })
  })

  it('says it is on the configured rate while the exchange has never answered', async () => {
    const { api, scheduler, runtime } = await setup({}, { isDown: true })
    await asleep(scheduler)
    expect(runtime.fundingStatus()).toMatchObject({ source: 'configured', detail: expect.stringContaining('waiting for the first live rate from binanceusdm') })
    await nextPoll(scheduler)
    await nextPoll(scheduler)
    expect(runtime.fundingStatus().detail).toMatch(/^configured funding rate for BTC\/USDT:USDT \(binanceusdm funding rate unavailable after 3 failed polls/)
    expect(await rateOf(runtime, BTC)).toBe('0.0001')
    expect(api.requests).toEqual([])
  })

  it('replay and synthetic use the configured rate, say so, and put it back over a rate left by a live run', async () => {
    const { d, scheduler, runtime } = await setup()
    await asleep(scheduler)
    expect(await rateOf(runtime, BTC)).toBe('0.00063521')
    await runtime.stop()

    const funding = await openDemoFunding({ ...defaultDemoFeedConfig, MARKET_SOURCE: 'replay' }, { clock })
    const replayRuntime = createDemoRuntime({ db: d.db, clock, seed: 'funding-tests', markets: demoMarketsFor(['BTC/USDT', 'ETH/USDT']), funding })
    await replayRuntime.start()
    cleanups.push(() => replayRuntime.stop())
    // The restored engine still has the live run's rates until the configured source puts its own back.
    await vi.waitFor(() => expect(replayRuntime.fundingStatus().markets).toHaveLength(2))
    expect(await rateOf(replayRuntime, BTC)).toBe('0.0001')
    expect(await rateOf(replayRuntime, ETH)).toBe('0.0001')
    expect(replayRuntime.fundingStatus()).toMatchObject({ source: 'configured', detail: 'configured funding rate: the market source is replay, which has no live funding rate' })
    expect(replayRuntime.feedStatus().detail).toContain('funding: configured funding rate: the market source is replay')
  })
})
