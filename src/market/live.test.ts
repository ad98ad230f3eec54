import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { exchangeInfoBody, marketBySymbol, ticker24hrBody } from '../../test/emulator/binance-markets.js'
import { pointAt } from '../../test/emulator/point-ccxt.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { createLiveFeed, createPublicExchange, type LiveFallback } from './live.js'
import type { Candle, FeedStatus, MarketEvent, MarketFeed, Subscription } from './market-types.js'
import { loadReplaySet, type ReplaySeries } from './replay.js'
import { createManualScheduler, yieldToEventLoop } from './scheduler.js'

/**
 * A local stand-in for Binance's public spot REST API: exchangeInfo, ticker/24hr, aggTrades and klines in
 * Binance's own response shapes, serving real candles from the bundled data one "current minute" at a
 * time. The real ccxt client talks to it, pointed here by test/emulator/point-ccxt.ts.
 */
type AggTrade = { a: number; p: string; q: string; f: number; l: number; T: number; m: boolean; M: boolean }

const startPublicApi = async (series: Record<string, readonly Candle[]>) => {
  let index = 10
  const trades: Record<string, AggTrade[]> = Object.fromEntries(Object.keys(series).map((k) => [k, []]))
  const rowsOf = (marketId: string) => series[marketId] ?? []
  const now = () => (rowsOf('BTCUSDT')[index]?.time ?? 0) + 30_000
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const p = Object.fromEntries(url.searchParams)
    requests.push(url.pathname)
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const marketId = p['symbol'] ?? ''
    switch (url.pathname) {
      case '/api/v3/exchangeInfo':
        return send(200, exchangeInfoBody(now(), p['symbol']))
      case '/api/v3/ticker/24hr':
        return send(200, ticker24hrBody(marketBySymbol(marketId), rowsOf(marketId)[index]?.close ?? '0', now()))
      case '/api/v3/aggTrades':
        return send(200, (trades[marketId] ?? []).slice(-Number(p['limit'] ?? 500)))
      case '/api/v3/klines': {
        // the last row is the candle still open at now(), as Binance returns it
        const rows = rowsOf(marketId).slice(Math.max(0, index + 1 - Number(p['limit'] ?? 500)), index + 1)
        return send(200, rows.map((r) => [r.time, r.open, r.high, r.low, r.close, r.volume, r.time + 59_999, '0', 1, '0', '0', '0']))
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
    now,
    setIndex: (i: number) => {
      index = i
    },
    addTrade: (marketId: string, t: Omit<AggTrade, 'f' | 'l' | 'M'>) => void trades[marketId]?.push({ ...t, f: t.a, l: t.a, M: true }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  }
}

const bundled = await loadReplaySet()
const candlesOf = (s: ReplaySeries | undefined): readonly Candle[] => (s?.kind === 'candles' ? s.candles : [])
const btc = candlesOf(bundled[0])
const eth = candlesOf(bundled[1])

const pollMs = 1000
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const setup = async (opts: { fallback?: LiveFallback | null; failuresBeforeUnreachable?: number } = {}) => {
  const api = await startPublicApi({ BTCUSDT: btc, ETHUSDT: eth })
  const exchange = await createPublicExchange('binance', { timeoutMs: 2000 })
  pointAt(exchange, api.url)
  const clock = createManualClock('2026-12-04T10:00:00Z')
  const scheduler = createManualScheduler(0)
  const feed = createLiveFeed({
    exchange,
    symbols: ['BTC/USDT', 'ETH/USDT'],
    pollIntervalMs: pollMs,
    failuresBeforeUnreachable: opts.failuresBeforeUnreachable ?? 2,
    fallback: opts.fallback ?? null,
    scheduler,
    clock,
  })
  const statuses: FeedStatus[] = []
  feed.onStatus((s) => statuses.push(s))
  cleanups.push(async () => {
    await feed.stop()
    await api.close().catch(() => {})
  })
  return { api, feed, scheduler, clock, statuses }
}

/** Reads `n` events, failing after 10 s rather than hanging. */
const read = async (sub: Subscription, n: number): Promise<MarketEvent[]> => {
  const out: MarketEvent[] = []
  while (out.length < n) {
    const r = await Promise.race([sub.next(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000))])
    if (r === 'timeout') throw new Error(`only ${out.length} of ${n} events arrived`)
    if (r.done) break
    out.push(r.value)
  }
  return out
}

/** True when nothing is waiting in the subscription after the event loop has run. */
const isIdle = async (sub: Subscription) => {
  const next = sub.next()
  for (let i = 0; i < 5; i++) await yieldToEventLoop()
  const marker = Symbol('idle')
  return (await Promise.race([next, Promise.resolve(marker)])) === marker
}

/** Lets the feed finish its poll and go to sleep, then wakes it for the next one. */
const nextPoll = async (scheduler: ReturnType<typeof createManualScheduler>) => {
  await vi.waitFor(() => expect(scheduler.pendingSleepers()).toBe(1), { timeout: 10_000, interval: 10 })
  await scheduler.advance(pollMs)
}

const untilState = (feed: MarketFeed, state: FeedStatus['state']) =>
  vi.waitFor(() => expect(feed.status().state).toBe(state), { timeout: 10_000, interval: 20 })

describe('live feed against a local server in Binance public API shapes', () => {
  it('emits the current price and the last closed candle first, then only what is new', async () => {
    const { api, feed, scheduler } = await setup()
    api.addTrade('BTCUSDT', { a: 1000, p: '46900.00000000', q: '0.50000000', T: api.now() - 500, m: false })
    const sub = feed.subscribe({ symbols: ['BTC/USDT'], timeframes: ['1m'] })
    feed.start()
    const first = await read(sub, 2)
    const open = btc[10] as Candle
    const lastClosed = btc[9] as Candle
    expect(first).toEqual([
      { kind: 'candle', symbol: 'BTC/USDT', timeframe: '1m', time: lastClosed.time, closeTime: lastClosed.time + 60_000, open: lastClosed.open, high: lastClosed.high, low: lastClosed.low, close: lastClosed.close, volume: lastClosed.volume },
      { kind: 'tick', symbol: 'BTC/USDT', time: open.time + 30_000, price: open.close, amount: '0', seq: 0 },
    ])
    await vi.waitFor(() => expect(feed.status()).toMatchObject({ source: 'live', state: 'running', detail: 'polling the binance public REST API every 1000 ms for BTC/USDT, ETH/USDT' }))

    // A minute later: two new trades (the one from before the start is not replayed) and one more closed candle.
    api.addTrade('BTCUSDT', { a: 1001, p: '46950.5', q: '0.01', T: open.time + 31_000, m: true })
    api.addTrade('BTCUSDT', { a: 1002, p: '46951', q: '0.02', T: open.time + 32_000, m: false })
    api.setIndex(11)
    await nextPoll(scheduler)
    const second = await read(sub, 4)
    expect(second.map((e) => `${e.kind} ${e.kind === 'candle' ? e.close : e.price} ${e.kind === 'trade' ? `${e.id} ${e.side} ${e.amount}` : ''}`.trim())).toEqual([
      'trade 46950.5 1001 sell 0.01', // m = buyer is maker → the taker sold
      'trade 46951 1002 buy 0.02',
      `candle ${open.close}`,
      `tick ${(btc[11] as Candle).close}`,
    ])
    // nothing repeats on a poll with nothing new
    await nextPoll(scheduler)
    await vi.waitFor(() => expect(api.requests.filter((r) => r === '/api/v3/klines')).toHaveLength(6)) // 3 polls × 2 symbols
    expect(await isIdle(sub)).toBe(true)
  })

  it('says unreachable, keeps retrying without a fallback, and recovers', async () => {
    const { api, feed, scheduler, statuses } = await setup({ fallback: null })
    await api.close()
    const sub = feed.subscribe({ symbols: ['BTC/USDT', 'ETH/USDT'] })
    feed.start()
    await vi.waitFor(() => expect(scheduler.pendingSleepers()).toBe(1), { timeout: 10_000, interval: 20 })
    expect(feed.status()).toMatchObject({ source: 'live', state: 'running', detail: 'connecting to the binance public API' }) // one failure is below the threshold of 2
    await nextPoll(scheduler)
    await untilState(feed, 'unreachable')
    expect(feed.status().source).toBe('live')
    expect(feed.status().detail).toMatch(/^live binance public API unreachable after 2 failed polls \(\w+: .+\); no fallback allowed, retrying every 1000 ms$/)
    expect(await isIdle(sub)).toBe(true)

    await api.reopen()
    await nextPoll(scheduler)
    await untilState(feed, 'running')
    expect((await read(sub, 1))[0]?.kind).toBe('tick')
    expect(statuses.map((s) => s.state)).toEqual(['running', 'unreachable', 'running'])
  })

  it('switches to the replay when the operator allowed it, and says so', async () => {
    const { api, feed, clock, statuses } = await setup({ fallback: { series: bundled, label: 'bundled data/market', speed: 'max' }, failuresBeforeUnreachable: 1 })
    await api.close()
    const sub = feed.subscribe({ symbols: ['BTC/USDT', 'ETH/USDT'], timeframes: ['1m'] })
    feed.start()
    const events = await read(sub, 22)
    const status = feed.status()
    expect(status).toMatchObject({ source: 'replay', state: 'fallback' })
    expect(status.detail).toMatch(/^live binance public API unreachable after 1 failed poll \(\w+: .+\); the operator allowed a fallback, so this is RECORDED data, not live: replaying bundled data\/market \(BTC\/USDT 1m, ETH\/USDT 1m\) at as fast as subscribers read, looping, shifted to start at 2026-12-04T10:00:00.000Z$/)
    expect(statuses.map((s) => `${s.source} ${s.state}`)).toEqual(['live running', 'replay fallback'])
    // The recorded data, shifted so it starts at the clock's now (aligned to the minute): time does not go back to 2021.
    const start = clock.now().getTime()
    expect(events[0]).toMatchObject({ kind: 'tick', symbol: 'BTC/USDT', time: start, price: (btc[0] as Candle).open })
    expect(events[1]).toMatchObject({ kind: 'tick', symbol: 'ETH/USDT', time: start, price: (eth[0] as Candle).open })
    expect(events.find((e) => e.kind === 'candle')).toMatchObject({ symbol: 'BTC/USDT', time: start, close: (btc[0] as Candle).close })
  })

  it('refuses a fallback that does not cover its symbols', async () => {
    const exchange = await createPublicExchange('binance')
    const base = { exchange, scheduler: createManualScheduler(), clock: createManualClock(0) }
    expect(() => createLiveFeed({ ...base, symbols: ['SOL/USDT'], fallback: { series: bundled, label: 'x' } })).toThrow(/no candles for SOL\/USDT/)
    expect(() => createLiveFeed({ ...base, symbols: ['BTC/USDT'], candleTimeframe: '5m', fallback: { series: bundled, label: 'x' } })).toThrow(/has 1m candles for BTC\/USDT; the live feed uses 5m/)
    expect(() => createLiveFeed({ ...base, symbols: ['btcusdt'], fallback: null })).toThrow(AppError)
    await expect(createPublicExchange('no-such-exchange')).rejects.toThrow(/ccxt has no exchange "no-such-exchange"/)
  })
})
