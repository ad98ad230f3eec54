import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { catalogue, checkEndpoint, endpointAllowlists, matchEndpoint, type EndpointVerdict } from '../../src/exchanges/index.js'
import { createCcxtClient } from '../../src/exchanges/ccxt/index.js'
import { captureRequests, ccxtVenues, fakeCredentials, type CcxtVenue } from './venue-harness.js'

/**
 * Table-driven from the team reference (test/fixtures/endpoints/<venue>-fund-and-key-endpoints.tsv):
 * every fund-moving or key-managing endpoint of every venue is refused before any I/O, on the URL and
 * through the real ccxt method that builds it; and no allowlisted endpoint is in a venue's file except
 * the key's own permission read (a GET, or a POST read on the venues that post everything).
 */

type Row = { category: string; implicit: string; http: string; template: string; url: string }

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'endpoints')
/** Bybit and Bitget futures use the same class, key and API map as their spot ids. */
const tsvOf = (venue: string) => ({ 'bybit-linear': 'bybit', 'bitget-futures': 'bitget' })[venue] ?? venue

const rowsOf = (venue: string): Row[] =>
  readFileSync(join(fixtureDir, `${tsvOf(venue)}-fund-and-key-endpoints.tsv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [category = '', implicit = '', http = '', template = '', url = ''] = line.split('\t')
      return { category, implicit, http, template, url }
    })

const sample = '12345'
const fill = (s: string) => s.replace(/\{[^}]+\}/g, sample)
const buildable = (r: Row) => /^https?:\/\//.test(r.url)

/** The permission read a venue needs for verification, which its reference file lists under "apikey". */
const isVerifyRead = (venue: string, http: string, path: string) => matchEndpoint(venue, http, path)?.use === 'verify'

/** Reference rows that are not fund movement or key management after all (reference §7 flags them). */
const falsePositives: Record<string, string> = {
  'kraken POST /0/private/RemoveExport': 'deletes a data export report; the regex matched "Remove"',
}

const allVenues = catalogue.map((e) => e.id)

describe.each(allVenues)('%s: the reference deny list', (venue) => {
  const rows = rowsOf(venue)

  it(`refuses every listed URL before any I/O (${rows.length} rows), as deny_listed unless the row is not fund movement`, () => {
    const outcomes: { row: Row; verdict: EndpointVerdict }[] = []
    for (const row of rows.filter(buildable)) {
      const url = fill(row.url)
      const path = new URL(url).pathname
      const verdict = checkEndpoint(venue, row.http, url)
      outcomes.push({ row, verdict })
      if (isVerifyRead(venue, row.http, path)) {
        expect(row.category).toBe('apikey')
        expect(verdict).toEqual({ allowed: true })
        continue
      }
      expect(verdict.allowed, `${row.http} ${path}`).toBe(false)
      // Everything but "other-funds" (earn, loans, copy trading…) is named by the deny backstop itself.
      if (row.category !== 'other-funds' && !falsePositives[`${venue} ${row.http} ${path}`]) expect(verdict, `${row.category} ${row.http} ${path}`).toMatchObject({ reason: 'deny_listed' })
    }
    expect(outcomes.length).toBe(rows.filter(buildable).length)
  })

  it('has no allowlisted endpoint in the reference file except its own permission read', () => {
    const listed = rows.filter(buildable).map((r) => ({ http: r.http, path: new URL(fill(r.url)).pathname, normalized: new URL(r.url.replace(/\{[^}]+\}/g, '_')).pathname }))
    for (const rule of endpointAllowlists[venue]!) {
      const normalizedRule = rule.path.replace(/\{[^}]+\}/g, '_')
      const hits = listed.filter((l) => l.http === rule.method && (l.normalized === normalizedRule || matchEndpoint(venue, l.http, l.path) === rule))
      if (rule.use === 'verify') continue
      expect(hits, `${rule.method} ${rule.path}`).toEqual([])
    }
  })
})

describe.each(ccxtVenues)('%s: the reference deny list through ccxt', (venue: CcxtVenue) => {
  it('never lets ccxt send a listed endpoint: every implicit method is refused by the policy or cannot be built at all', async () => {
    const exchange = createCcxtClient(venue)
    const credentials = fakeCredentials(venue)
    exchange.apiKey = credentials.apiKey.toString()
    exchange.secret = credentials.secret.toString()
    exchange.password = credentials.password?.toString() ?? ''
    const sent = captureRequests(exchange, venue, () => ({}))
    const counts = { refused: 0, unbuildable: 0, verifyRead: 0 }
    for (const row of rowsOf(venue)) {
      const fn = (exchange as unknown as Record<string, unknown>)[row.implicit]
      expect(typeof fn, `ccxt has ${row.implicit}`).toBe('function')
      const params: Record<string, unknown> = { coin: 'BTC', currency: 'BTC', asset: 'BTC', amount: '1', address: 'x', network: 'BTC', symbol: 'BTCUSDT', type: 'MAIN', email: 'a@b.c' }
      for (const name of row.template.match(/\{([^}]+)\}/g) ?? []) params[name.slice(1, -1)] = sample
      const before = sent.length
      await (fn as (p: object) => Promise<unknown>).call(exchange, params).catch(() => undefined)
      const captured = sent.slice(before)
      expect(captured.length, row.implicit).toBeLessThanOrEqual(1)
      const outcome = captured.length === 0 ? 'unbuildable' : captured[0]!.verdict.allowed ? 'sent' : 'refused'
      if (outcome === 'sent') {
        const last = sent[sent.length - 1]!
        expect(isVerifyRead(venue, last.method, last.path), `${row.implicit} was sent`).toBe(true)
        counts.verifyRead++
      } else if (outcome === 'refused') {
        counts.refused++
      } else {
        // ccxt threw before building a URL (e.g. Gate's flash-swap group has no host): nothing left the process.
        counts.unbuildable++
      }
    }
    expect(counts.refused + counts.unbuildable + counts.verifyRead).toBe(rowsOf(venue).length)
    expect(counts.refused).toBeGreaterThan(0)
    expect(counts.unbuildable).toBe(venue === 'gate' ? 4 : 0)
  })
})
