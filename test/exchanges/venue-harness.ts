import { randomBytes } from 'node:crypto'
import type { Exchange } from 'ccxt'
import { checkEndpoint, type EndpointVerdict } from '../../src/exchanges/index.js'
import { createCcxtClient } from '../../src/exchanges/ccxt/index.js'
import { venueSpec } from '../../src/exchanges/venues/registry.js'

/**
 * Offline venue harness: ccxt instances built exactly as the signer builds them (createCcxtClient with
 * the venue's presets), a synthetic market, credentials of the right shape, and `exchange.fetch`
 * replaced by a local sink that runs the endpoint policy first (as the signer's guard does) and answers
 * with a canned response. Nothing leaves the process.
 */

/** `cost`: ccxt's rate-limit cost for the request (calculateRateLimiterCost with the endpoint's config). */
export type Captured = { method: string; url: string; path: string; headers: Record<string, string>; body: string | undefined; verdict: EndpointVerdict; cost: number }

/** ccxt venues (EXMO runs on our own class and is tested by its owner). */
export const ccxtVenues = ['binance', 'okx', 'bybit', 'kucoin', 'bitget', 'mexc', 'gate', 'kraken', 'binanceus', 'bitfinex', 'xt', 'htx', 'binanceusdm', 'bybit-linear', 'bitget-futures', 'blofin'] as const
export type CcxtVenue = (typeof ccxtVenues)[number]

export class Refused extends Error {
  constructor(readonly captured: Captured) {
    super(`refused ${captured.method} ${captured.path}`)
  }
}

type MarketFixture = { id: string; linear: boolean; extra?: Record<string, unknown> }

/** Per venue: its market id for BTC/USDT (or the USDT perpetual), an order id in its format, and a client order id it accepts. */
export const fixtures: Record<CcxtVenue, { market: MarketFixture; orderId: string; clientOrderId: string }> = {
  binance: { market: { id: 'BTCUSDT', linear: false, extra: { info: { orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER'] } } }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  binanceus: { market: { id: 'BTCUSDT', linear: false, extra: { info: { orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER'] } } }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  binanceusdm: { market: { id: 'BTCUSDT', linear: true, extra: { info: { orderTypes: ['LIMIT', 'MARKET'] } } }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  okx: { market: { id: 'BTC-USDT', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  bybit: { market: { id: 'BTCUSDT', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  'bybit-linear': { market: { id: 'BTCUSDT', linear: true }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  kucoin: { market: { id: 'BTC-USDT', linear: false }, orderId: '5bd6e9286d99522a52e458de', clientOrderId: 'bw1abc2def' },
  bitget: { market: { id: 'BTCUSDT', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  'bitget-futures': { market: { id: 'BTCUSDT', linear: true }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  mexc: { market: { id: 'BTCUSDT', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  gate: { market: { id: 'BTC_USDT', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  kraken: { market: { id: 'XBTUSDT', linear: false, extra: { altname: 'XBTUSDT', wsId: 'XBT/USDT', baseId: 'XXBT' } }, orderId: 'OABCDE-12345-FGHIJK', clientOrderId: 'bw1abc2def' },
  bitfinex: { market: { id: 'tBTCUST', linear: false, extra: { baseId: 'BTC', quoteId: 'UST' } }, orderId: '123456', clientOrderId: '1234567' },
  xt: { market: { id: 'btc_usdt', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  htx: { market: { id: 'btcusdt', linear: false }, orderId: '123456', clientOrderId: 'bw1abc2def' },
  blofin: { market: { id: 'BTC-USDT', linear: true }, orderId: '123456', clientOrderId: 'bw1abc2def' },
}

export const symbolOf = (venue: CcxtVenue) => (fixtures[venue].market.linear ? 'BTC/USDT:USDT' : 'BTC/USDT')

/** Credentials of the shape the venue issues: Kraken's secret is base64, four venues add a passphrase. */
export const fakeCredentials = (venue: string) => {
  const spec = venueSpec(venue)
  if (!spec) throw new Error(`unknown venue ${venue}`)
  return {
    apiKey: Buffer.from(randomBytes(24).toString('hex')),
    secret: Buffer.from(spec.ccxt.secretEncoding === 'base64' ? randomBytes(64).toString('base64') : randomBytes(32).toString('hex')),
    password: spec.catalogue.credentials.includes('password') ? Buffer.from(`Pass-${randomBytes(6).toString('hex')}`) : undefined,
  }
}

export const setMarket = (exchange: Exchange, venue: CcxtVenue) => {
  const { market } = fixtures[venue]
  const decimals = exchange.precisionMode !== 4 // DECIMAL_PLACES or SIGNIFICANT_DIGITS (Bitfinex)
  const common = { base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', active: true, margin: false, future: false, option: false, info: {} }
  const shape = market.linear
    ? { symbol: 'BTC/USDT:USDT', settle: 'USDT', settleId: 'USDT', type: 'swap', spot: false, swap: true, contract: true, linear: true, inverse: false, contractSize: 1 }
    : { symbol: 'BTC/USDT', type: 'spot', spot: true, swap: false, contract: false }
  const m = exchange.safeMarketStructure({
    ...common,
    ...shape,
    id: market.id,
    precision: decimals ? { amount: 8, price: 5 } : { amount: 0.0001, price: 0.01 },
    limits: { amount: { min: 0.0001 }, price: {}, cost: {}, leverage: {} },
    ...market.extra,
  })
  exchange.setMarkets([m] as never)
}

const headersOf = (h: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) out[k.toLowerCase()] = String(v)
  return out
}

export type Responder = (method: string, path: string) => unknown

/**
 * Replaces `exchange.fetch` (the last step before I/O in ccxt) with the policy check and a sink.
 * A refused request throws `Refused` and is recorded; nothing is ever sent.
 */
export const captureRequests = (exchange: Exchange, venue: string, respond: Responder = () => ({})) => {
  const log: Captured[] = []
  // ccxt's fetch2 computes the cost, signs and calls fetch without awaiting in between (rate limiting
  // is off, as in the signer), so the cost noted here belongs to the very next fetch.
  let nextCost = 1
  const ex = exchange as unknown as Record<string, (...args: unknown[]) => unknown>
  const fetch2 = ex['fetch2']!.bind(exchange)
  ex['fetch2'] = (path, api, method, params, headers, body, config) => {
    nextCost = Number(ex['calculateRateLimiterCost']!.call(exchange, api, method, path, params, config ?? {}))
    return fetch2(path, api, method, params, headers, body, config)
  }
  exchange.fetch = (async (url: string, method = 'GET', headers?: unknown, body?: unknown) => {
    const verdict = checkEndpoint(venue, method, url)
    let path = url
    try {
      path = new URL(url).pathname
    } catch {
      // an unparsable URL is refused by the policy; keep it as it was built
    }
    const captured: Captured = { method: method.toUpperCase(), url, path, headers: headersOf(headers), body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body), verdict, cost: nextCost }
    log.push(captured)
    if (!verdict.allowed) throw new Refused(captured)
    const response = respond(captured.method, path)
    // As ccxt's own fetch does after a 200: the venue's error mapping runs on the body.
    exchange.handleErrors(200, 'OK', url, captured.method, {}, JSON.stringify(response), response, captured.headers, captured.body)
    return response
  }) as Exchange['fetch']
  return log
}

/** A request carries the venue's signature (headers and/or query parameters its catalogue names). */
export const isSigned = (venue: string, c: Captured): boolean => {
  const by = venueSpec(venue)?.ccxt.signedBy
  if (!by) return false
  const query = new URL(c.url).searchParams
  const bodyParams = c.body !== undefined && !c.body.startsWith('{') && !c.body.startsWith('[') ? new URLSearchParams(c.body) : new URLSearchParams()
  return by.headers.every((h) => (c.headers[h] ?? '') !== '') && by.query.every((q) => query.has(q) || bodyParams.has(q)) && by.headers.length + by.query.length > 0
}

/** Any trace of a signature: used to show a request is NOT signed. */
export const hasAnySignature = (venue: string, c: Captured): boolean => {
  const by = venueSpec(venue)?.ccxt.signedBy
  if (!by) return false
  const query = new URL(c.url).searchParams
  return by.headers.some((h) => h in c.headers) || by.query.some((q) => query.has(q))
}

export const clientFor = (venue: CcxtVenue) => {
  const exchange = createCcxtClient(venue)
  setMarket(exchange, venue)
  return exchange
}

const now = Date.UTC(2026, 0, 15, 12, 0, 0)

/** The venue's server-time answer (ccxt measures the clock offset from it while loading markets). */
export const timeResponses: Partial<Record<CcxtVenue, { path: string; body: unknown }>> = {
  binance: { path: '/api/v3/time', body: { serverTime: now } },
  binanceus: { path: '/api/v3/time', body: { serverTime: now } },
  binanceusdm: { path: '/fapi/v1/time', body: { serverTime: now } },
  okx: { path: '/api/v5/public/time', body: { code: '0', msg: '', data: [{ ts: String(now) }] } },
  bybit: { path: '/v5/market/time', body: { retCode: 0, retMsg: 'OK', result: { timeSecond: String(now / 1000), timeNano: `${now}000000` }, time: now } },
  'bybit-linear': { path: '/v5/market/time', body: { retCode: 0, retMsg: 'OK', result: { timeSecond: String(now / 1000), timeNano: `${now}000000` }, time: now } },
  kucoin: { path: '/api/v1/timestamp', body: { code: '200000', data: now } },
  bitget: { path: '/api/v2/public/time', body: { code: '00000', msg: 'success', requestTime: now, data: { serverTime: String(now) } } },
  'bitget-futures': { path: '/api/v2/public/time', body: { code: '00000', msg: 'success', requestTime: now, data: { serverTime: String(now) } } },
  mexc: { path: '/api/v3/time', body: { serverTime: now } },
  gate: { path: '/api/v4/spot/time', body: { server_time: now } },
  xt: { path: '/v4/public/time', body: { rc: 0, mc: 'SUCCESS', ma: [], result: { serverTime: now } } },
  htx: { path: '/v1/common/timestamp', body: { status: 'ok', data: now } },
}

/** A successful answer with nothing in it, in the venue's envelope (its error mapping lets it through). */
export const emptyAnswers: Record<CcxtVenue, unknown> = {
  binance: {},
  binanceus: {},
  binanceusdm: {},
  okx: { code: '0', msg: '', data: [] },
  bybit: { retCode: 0, retMsg: 'OK', result: { list: [] }, time: now },
  'bybit-linear': { retCode: 0, retMsg: 'OK', result: { list: [] }, time: now },
  kucoin: { code: '200000', data: [] },
  bitget: { code: '00000', msg: 'success', requestTime: now, data: [] },
  'bitget-futures': { code: '00000', msg: 'success', requestTime: now, data: [] },
  mexc: {},
  gate: [],
  kraken: { error: [], result: {} },
  bitfinex: [],
  xt: { rc: 0, mc: 'SUCCESS', ma: [], result: [] },
  htx: { status: 'ok', data: [] },
  blofin: { code: '0', msg: '', data: [] },
}

/** Answers the time endpoint properly and everything else with an empty success (enough to see which requests a method sends). */
export const publicResponder =
  (venue: CcxtVenue): Responder =>
  (_method, path) =>
    timeResponses[venue]?.path === path ? timeResponses[venue]?.body : emptyAnswers[venue]

/** Canned answers, enough for ccxt to parse a placed order and to get past the lookups it makes first. */
export const cannedResponses: Record<CcxtVenue, Responder> = {
  binance: () => ({ symbol: 'BTCUSDT', orderId: 123456, clientOrderId: 'bw1abc2def', transactTime: now, price: '50000', origQty: '0.01', executedQty: '0', status: 'NEW', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY' }),
  binanceus: () => ({ symbol: 'BTCUSDT', orderId: 123456, clientOrderId: 'bw1abc2def', transactTime: now, price: '50000', origQty: '0.01', executedQty: '0', status: 'NEW', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY' }),
  binanceusdm: (_m, path) =>
    path.endsWith('/leverageBracket')
      ? []
      : { symbol: 'BTCUSDT', orderId: 123456, clientOrderId: 'bw1abc2def', updateTime: now, price: '50000', origQty: '0.01', executedQty: '0', status: 'NEW', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY' },
  okx: () => ({ code: '0', msg: '', data: [{ ordId: '123456', clOrdId: 'bw1abc2def', sCode: '0', sMsg: '' }] }),
  bybit: () => ({ retCode: 0, retMsg: 'OK', result: { orderId: '123456', orderLinkId: 'bw1abc2def' }, retExtInfo: {}, time: now }),
  'bybit-linear': () => ({ retCode: 0, retMsg: 'OK', result: { orderId: '123456', orderLinkId: 'bw1abc2def' }, retExtInfo: {}, time: now }),
  kucoin: () => ({ code: '200000', data: { orderId: '5bd6e9286d99522a52e458de', clientOid: 'bw1abc2def' } }),
  bitget: () => ({ code: '00000', msg: 'success', requestTime: now, data: { orderId: '123456', clientOid: 'bw1abc2def' } }),
  'bitget-futures': () => ({ code: '00000', msg: 'success', requestTime: now, data: { orderId: '123456', clientOid: 'bw1abc2def' } }),
  mexc: () => ({ symbol: 'BTCUSDT', orderId: '123456', orderListId: -1, price: '50000', origQty: '0.01', type: 'LIMIT', side: 'BUY', transactTime: now }),
  gate: () => ({ id: '123456', text: 't-bw1abc2def', create_time_ms: String(now), status: 'open', currency_pair: 'BTC_USDT', type: 'limit', account: 'spot', side: 'buy', amount: '0.01', price: '50000', left: '0.01', filled_total: '0' }),
  kraken: () => ({ error: [], result: { descr: { order: 'buy 0.01 XBTUSDT @ limit 50000' }, txid: ['OABCDE-12345-FGHIJK'] } }),
  bitfinex: () => [
    now,
    'on-req',
    null,
    null,
    [[123456, null, 1234567, 'tBTCUST', now, now, 0.01, 0.01, 'EXCHANGE LIMIT', null, null, null, 0, 'ACTIVE', null, null, 50000, 0, 0, 0, null, null, null, 0, 0, null, null, null, 'API>BFX', null, null, {}]],
    null,
    'SUCCESS',
    'Submitting 1 orders.',
  ],
  xt: () => ({ rc: 0, mc: 'SUCCESS', ma: [], result: { orderId: '123456' } }),
  htx: (_m, path) => (path === '/v1/account/accounts' ? { status: 'ok', data: [{ id: 1000001, type: 'spot', subtype: '', state: 'working' }] } : { status: 'ok', data: '123456' }),
  blofin: () => ({ code: '0', msg: '', data: [{ orderId: '123456', clientOrderId: 'bw1abc2def', msg: '', code: '0' }] }),
}
