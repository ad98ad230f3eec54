import type { Exchange } from 'ccxt'
import { describe, expect, it } from 'vitest'
import { catalogueEntry, endpointAllowlists, matchEndpoint, requestWeight, venueMethods, type VenueMethod } from '../../src/exchanges/index.js'
import { createCcxtClient, withVenueCredentials } from '../../src/exchanges/ccxt/index.js'
import { sendCancelAllAfter } from '../../src/signer/executor.js'
import { cannedResponses, captureRequests, ccxtVenues, clientFor, fakeCredentials, fixtures, hasAnySignature, isSigned, publicResponder, symbolOf, type Captured, type CcxtVenue, type Responder } from './venue-harness.js'

/**
 * Every request each venue method sends (as the signer's executor calls it), the public requests that
 * load markets, ticker and server time, and the key's own permission read: each one must be on the
 * venue's allowlist, every allowlist entry must be used by one of them (the list is minimal), and the
 * catalogue's rate weights must be ccxt's own costs.
 */

type Call = { name: string; method: VenueMethod | 'public' | 'verify'; keyed: boolean; run: (exchange: Exchange) => Promise<unknown> }

/**
 * ccxt 4.5.84 has no fetchOrder for BloFin; spot venues have no positions or leverage. The dead-man
 * switch is the catalogue's to say (ccxt has none for Binance, and one for Bybit that is not a REST heartbeat).
 */
const supports = (venue: CcxtVenue, method: VenueMethod) =>
  method === 'cancelAllOrdersAfter'
    ? catalogueEntry(venue)?.deadManSwitch != null
    : clientFor(venue).has[method] === true && (fixtures[venue].market.linear || (method !== 'fetchPositions' && method !== 'setLeverage'))

const callsFor = (venue: CcxtVenue): Call[] => {
  const entry = catalogueEntry(venue)!
  const symbol = symbolOf(venue)
  const { orderId, clientOrderId, market } = fixtures[venue]
  const calls: Call[] = [
    { name: 'fetchBalance', method: 'fetchBalance', keyed: true, run: (e) => e.fetchBalance() },
    { name: 'createOrder limit', method: 'createOrder', keyed: true, run: (e) => e.createOrder(symbol, 'limit', 'buy', 0.01, 50000, { clientOrderId }) },
    { name: 'createOrder market', method: 'createOrder', keyed: true, run: (e) => e.createOrder(symbol, 'market', 'sell', 0.01, undefined, { clientOrderId }) },
    { name: 'createOrder post-only', method: 'createOrder', keyed: true, run: (e) => e.createOrder(symbol, 'limit', 'sell', 0.01, 50000, market.linear ? { postOnly: true, reduceOnly: true } : { postOnly: true }) },
    { name: 'cancelOrder', method: 'cancelOrder', keyed: true, run: (e) => e.cancelOrder(orderId, symbol) },
    { name: 'fetchOpenOrders', method: 'fetchOpenOrders', keyed: true, run: (e) => e.fetchOpenOrders(symbol) },
    { name: 'fetchMyTrades', method: 'fetchMyTrades', keyed: true, run: (e) => e.fetchMyTrades(symbol) },
    { name: 'fetchTicker', method: 'public', keyed: false, run: (e) => e.fetchTicker(symbol) },
  ]
  if (supports(venue, 'fetchOrder')) calls.push({ name: 'fetchOrder by id', method: 'fetchOrder', keyed: true, run: (e) => e.fetchOrder(orderId, symbol) })
  // The executor looks an order up by client id with fetchOrder('', symbol, { clientOrderId }).
  if (entry.orderRecovery.mode === 'client-order-id') calls.push({ name: 'fetchOrder by client id', method: 'fetchOrder', keyed: true, run: (e) => e.fetchOrder('', symbol, { clientOrderId }) })
  if (market.linear) {
    calls.push({ name: 'fetchPositions', method: 'fetchPositions', keyed: true, run: (e) => e.fetchPositions([symbol]) })
    calls.push({ name: 'setLeverage', method: 'setLeverage', keyed: true, run: (e) => e.setLeverage(5, symbol) })
  }
  const deadMan = entry.deadManSwitch
  if (deadMan !== null) {
    calls.push({ name: 'cancelAllOrdersAfter', method: 'cancelAllOrdersAfter', keyed: true, run: (e) => sendCancelAllAfter(e, venue, deadMan, symbol, 60_000) })
    calls.push({ name: 'cancelAllOrdersAfter 0', method: 'cancelAllOrdersAfter', keyed: true, run: (e) => sendCancelAllAfter(e, venue, deadMan, symbol, 0) })
  }
  if (entry.clock.adjustForTimeDifference) calls.push({ name: 'fetchTime', method: 'public', keyed: false, run: (e) => e.fetchTime() })
  if (entry.verification.kind === 'endpoint') {
    for (const implicit of entry.verification.ccxtMethods) {
      calls.push({
        name: `verify ${implicit}`,
        method: 'verify',
        keyed: true,
        run: (e) => (e as unknown as Record<string, (p: object) => Promise<unknown>>)[implicit]!.call(e, implicit === 'v2PrivateGetUserApiKey' ? { uid: '123456' } : {}),
      })
    }
  }
  return calls
}

/** The lookups ccxt makes first get real answers; everything else `{}` (the request is what matters). */
const responderFor =
  (venue: CcxtVenue): Responder =>
  (method, path) =>
    matchEndpoint(venue, method, path)?.use === 'lookup' ? cannedResponses[venue](method, path) : publicResponder(venue)(method, path)

const runCall = async (venue: CcxtVenue, call: Call): Promise<{ sent: Captured[]; error: unknown }> => {
  const exchange = clientFor(venue)
  const sent = captureRequests(exchange, venue, responderFor(venue))
  let error: unknown
  try {
    await (call.keyed ? withVenueCredentials(exchange, venue, fakeCredentials(venue), () => call.run(exchange)) : call.run(exchange))
  } catch (err) {
    error = err
  }
  return { sent, error }
}

const loadMarketsKeyless = async (venue: CcxtVenue) => {
  const exchange = createCcxtClient(venue)
  const sent = captureRequests(exchange, venue, publicResponder(venue))
  await exchange.loadMarkets().catch(() => undefined) // `{}` is not a market list; the requests are what we check
  return sent
}

describe.each(ccxtVenues)('%s: what the venue methods send', (venue) => {
  it('loads markets (no key, as the signer\'s shared public instance) with public, allowlisted, unsigned requests only', async () => {
    const sent = await loadMarketsKeyless(venue)
    expect(sent.length).toBeGreaterThan(0)
    for (const r of sent) {
      expect(r.verdict, `${r.method} ${r.path}`).toEqual({ allowed: true })
      expect(matchEndpoint(venue, r.method, r.path)?.use).toBe('public')
      expect(hasAnySignature(venue, r)).toBe(false)
    }
  })

  it('sends only allowlisted requests for every venue method; signed ones carry the signature; the allowlist has nothing unused', async () => {
    const used = new Set<string>()
    for (const r of await loadMarketsKeyless(venue)) used.add(`${matchEndpoint(venue, r.method, r.path)?.method} ${matchEndpoint(venue, r.method, r.path)?.path}`)
    const covered = new Set<string>()
    for (const call of callsFor(venue)) {
      const { sent } = await runCall(venue, call)
      expect(sent.length, `${call.name} sends a request`).toBeGreaterThan(0)
      if (call.method !== 'public' && call.method !== 'verify') covered.add(call.method)
      for (const r of sent) {
        expect(r.verdict, `${call.name}: ${r.method} ${r.path}`).toEqual({ allowed: true })
        const rule = matchEndpoint(venue, r.method, r.path)!
        used.add(`${rule.method} ${rule.path}`)
        if (rule.use === 'public') expect(hasAnySignature(venue, r)).toBe(false)
        else expect(isSigned(venue, r), `${call.name}: ${r.method} ${r.path} is signed`).toBe(true)
        if (call.method === 'verify') expect(rule.use).toBe('verify')
      }
    }
    const applicable = venueMethods.filter((m) => supports(venue, m))
    expect([...covered].sort()).toEqual([...applicable].sort())
    expect([...used].sort()).toEqual(endpointAllowlists[venue]!.map((r) => `${r.method} ${r.path}`).sort())
  })

  it("prices every request at ccxt's own cost (the catalogue's rate weights)", async () => {
    const all = [...(await loadMarketsKeyless(venue))]
    for (const call of callsFor(venue)) all.push(...(await runCall(venue, call)).sent)
    for (const r of all) expect(requestWeight(venue, r.method, r.path), `${r.method} ${r.path}`).toBeCloseTo(r.cost, 4)
    expect(catalogueEntry(venue)!.rateLimit.costPerMinute).toBeCloseTo(60_000 / (clientFor(venue).rateLimit as number), 6)
  })
})

describe('client order id lookups where ccxt cannot do them', () => {
  it('XT: the lookup ccxt builds (GET /v4/order/ with an empty id) is refused before any I/O, and the catalogue says to scan instead', async () => {
    const { sent, error } = await runCall('xt', { name: 'by client id', method: 'fetchOrder', keyed: true, run: (e) => e.fetchOrder('', 'BTC/USDT', { clientOrderId: 'bw1abc2def' }) })
    expect(sent.map((r) => [r.method, r.path, r.verdict])).toEqual([['GET', '/v4/order/', { allowed: false, reason: 'not_allowlisted', path: '/v4/order/' }]])
    expect(error).toBeInstanceOf(Error)
    expect(catalogueEntry('xt')!.orderRecovery.mode).toBe('recent-orders-scan')
  })

  it('BloFin: ccxt 4.5.84 has no fetchOrder, so the catalogue says to scan open orders and fills', async () => {
    const { sent, error } = await runCall('blofin', { name: 'by id', method: 'fetchOrder', keyed: true, run: (e) => e.fetchOrder('123456', 'BTC/USDT:USDT') })
    expect(sent).toEqual([])
    expect(String(error)).toMatch(/not supported/)
    expect(catalogueEntry('blofin')!.orderRecovery).toMatchObject({ mode: 'recent-orders-scan', via: ['fetchOpenOrders', 'fetchMyTrades'] })
  })
})
