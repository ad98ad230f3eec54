import ccxt, { type Exchange } from 'ccxt'
import { describe, expect, it } from 'vitest'
import { catalogueEntry, isValidClientOrderId, matchEndpoint } from '../../src/exchanges/index.js'
import { withVenueCredentials } from '../../src/exchanges/ccxt/index.js'
import { cannedResponses, captureRequests, ccxtVenues, clientFor, fakeCredentials, fixtures, isSigned, symbolOf, type CcxtVenue } from './venue-harness.js'

/**
 * For every ccxt venue: the signer's instance (presets from the venue file, the Buffer-key signing
 * path, a synthetic market) places one limit order; the request is captured by a local sink before any
 * I/O. EXMO is left out here: it runs on our own venue class, tested with the EXMO emulator by its
 * owner; its policy rules are tested in src/exchanges/endpoint-policy.test.ts.
 */

const placeOrder = (exchange: Exchange, venue: CcxtVenue) =>
  exchange.createOrder(symbolOf(venue), 'limit', 'buy', 0.01, 50000, { clientOrderId: fixtures[venue].clientOrderId })

/** Every parameter a request carries: query string, form body or (one level of) JSON body. */
const fieldsOf = (url: string, body: string | undefined): Record<string, string> => {
  const out: Record<string, string> = Object.fromEntries(new URL(url).searchParams)
  if (body === undefined || body === '') return out
  if (body.startsWith('{') || body.startsWith('[')) {
    const parsed = JSON.parse(body) as unknown
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) out[k] = String(v)
    }
    return out
  }
  return { ...out, ...Object.fromEntries(new URLSearchParams(body)) }
}

/** Fixes ccxt's clock so two instances sign byte-identical requests. */
const freezeClock = (exchange: Exchange, at = Date.UTC(2026, 0, 15, 12, 0, 0)) => {
  const e = exchange as unknown as Record<string, () => number>
  e['milliseconds'] = () => at
  e['seconds'] = () => Math.floor(at / 1000)
  e['microseconds'] = () => at * 1000
}

describe.each(ccxtVenues)('%s: a createOrder built by the signer', (venue) => {
  it('is one signed request to an allowlisted order endpoint, and nothing else signed is sent (lookups only where declared)', async () => {
    expect(isValidClientOrderId(venue, fixtures[venue].clientOrderId)).toBe(true)
    const exchange = clientFor(venue)
    const sent = captureRequests(exchange, venue, cannedResponses[venue])
    const order = await withVenueCredentials(exchange, venue, fakeCredentials(venue), () => placeOrder(exchange, venue))

    expect(order.id).toBe(venue === 'kucoin' ? '5bd6e9286d99522a52e458de' : venue === 'kraken' ? 'OABCDE-12345-FGHIJK' : '123456')
    expect(sent.length).toBeGreaterThan(0)
    for (const request of sent) {
      expect(request.verdict, `${request.method} ${request.path}`).toEqual({ allowed: true })
      expect(isSigned(venue, request), `${request.method} ${request.path} carries the venue's signature`).toBe(true)
    }
    const last = sent[sent.length - 1]!
    expect(matchEndpoint(venue, last.method, last.path)?.use).toBe('trade')
    expect(last.method).toBe('POST')
    // Everything before the order is a lookup the venue file declares and explains (HTX's account id).
    const before = sent.slice(0, -1).map((r) => matchEndpoint(venue, r.method, r.path))
    expect(before.every((rule) => rule?.use === 'lookup' && rule.why !== undefined)).toBe(true)
    expect(before.length).toBe(venue === 'htx' ? 1 : 0)
  })

  it("carries our client order id in the venue's own field, as the catalogue describes it", async () => {
    const { venueField, addedPrefix } = catalogueEntry(venue)!.clientOrderId
    const exchange = clientFor(venue)
    const sent = captureRequests(exchange, venue, cannedResponses[venue])
    await withVenueCredentials(exchange, venue, fakeCredentials(venue), () => placeOrder(exchange, venue))
    const order = sent[sent.length - 1]!
    expect(fieldsOf(order.url, order.body)[venueField]).toBe(`${addedPrefix ?? ''}${fixtures[venue].clientOrderId}`)
  })

  it('signs exactly as ccxt does with the plain secret, while ccxt itself only ever holds a placeholder', async () => {
    const credentials = fakeCredentials(venue)
    const plain = clientFor(venue)
    freezeClock(plain)
    const plainSent = captureRequests(plain, venue, cannedResponses[venue])
    plain.apiKey = credentials.apiKey.toString()
    plain.secret = credentials.secret.toString()
    plain.password = credentials.password?.toString() ?? ''
    await placeOrder(plain, venue)

    const guarded = clientFor(venue)
    freezeClock(guarded)
    const guardedSent = captureRequests(guarded, venue, cannedResponses[venue])
    let secretDuringCall = ''
    await withVenueCredentials(guarded, venue, credentials, () => {
      secretDuringCall = guarded.secret
      return placeOrder(guarded, venue)
    })

    expect(secretDuringCall).not.toBe(credentials.secret.toString())
    expect(secretDuringCall).not.toContain(credentials.secret.toString().slice(0, 12))
    const strip = (list: typeof plainSent) => list.map(({ method, url, headers, body }) => ({ method, url, headers, body }))
    expect(strip(guardedSent)).toEqual(strip(plainSent))
    // Credentials are off the instance once the call is over.
    expect([guarded.apiKey, guarded.secret, guarded.password]).toEqual(['', '', ''])
  })
})

describe('signing with a wrong key is visible in the request', () => {
  it('changes the signature (so the comparison above can fail)', async () => {
    const venue = 'kraken'
    const good = clientFor(venue)
    freezeClock(good)
    const goodSent = captureRequests(good, venue, cannedResponses[venue])
    const credentials = fakeCredentials(venue)
    await withVenueCredentials(good, venue, credentials, () => placeOrder(good, venue))
    const other = clientFor(venue)
    freezeClock(other)
    const otherSent = captureRequests(other, venue, cannedResponses[venue])
    await withVenueCredentials(other, venue, { ...credentials, secret: fakeCredentials(venue).secret }, () => placeOrder(other, venue))
    expect(otherSent[0]?.headers['api-sign']).not.toBe(goodSent[0]?.headers['api-sign'])
  })

  it('takes the credentials off the instance when the call throws', async () => {
    const venue = 'okx'
    const exchange = clientFor(venue)
    captureRequests(exchange, venue, () => ({ code: '1', msg: '', data: [{ clOrdId: '', ordId: '', sCode: '51008', sMsg: 'Order failed. Insufficient balance.' }] }))
    await expect(withVenueCredentials(exchange, venue, fakeCredentials(venue), () => placeOrder(exchange, venue))).rejects.toBeInstanceOf(ccxt.InsufficientFunds)
    expect([exchange.apiKey, exchange.secret, exchange.password]).toEqual(['', '', ''])
  })
})
