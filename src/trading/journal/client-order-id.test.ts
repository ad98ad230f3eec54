import { describe, expect, it } from 'vitest'
import { catalogue, isValidClientOrderId } from '../../exchanges/index.js'
import { clientOrderIdFor } from './client-order-id.js'

/** What the signer's createOrder accepts whatever the venue (exchanges/venue-types.ts). */
const signerRule = /^[A-Za-z0-9._:-]{1,36}$/
const seeds = Array.from({ length: 2000 }, (_, i) => `0190a1b2-0000-7000-8000-00000000${String(i).padStart(4, '0')}:t${i}.entry`)

describe('client order ids', () => {
  it('covers all 17 venues of the catalogue', () => {
    expect(catalogue).toHaveLength(17)
  })

  it.each(catalogue.map((e) => [e.id, e] as const))('fits the rule of %s and what the signer accepts', (id, entry) => {
    for (const seed of seeds.slice(0, 200)) {
      const cid = clientOrderIdFor(entry.clientOrderId, seed)
      expect(isValidClientOrderId(id, cid), `${cid} for ${id}`).toBe(true)
      expect(cid).toMatch(signerRule)
    }
  })

  it.each(catalogue.map((e) => [e.id, e] as const))('gives %s the same id for the same seed and different ids for different seeds', (_id, entry) => {
    expect(clientOrderIdFor(entry.clientOrderId, seeds[0] ?? '')).toBe(clientOrderIdFor(entry.clientOrderId, seeds[0] ?? ''))
    const ids = new Set(seeds.map((s) => clientOrderIdFor(entry.clientOrderId, s)))
    expect(ids.size).toBe(seeds.length)
  })

  it('uses letters and digits with our prefix where allowed, digits where the venue reads an integer', () => {
    const byId = new Map(catalogue.map((e) => [e.id, e.clientOrderId]))
    const binance = clientOrderIdFor(byId.get('binance') ?? { maxLength: 0, pattern: '' }, 'x')
    expect(binance).toMatch(/^bw[a-z2-7]{30}$/)
    expect(clientOrderIdFor(byId.get('kraken') ?? { maxLength: 0, pattern: '' }, 'x')).toMatch(/^bw[a-z2-7]{16}$/) // 18 at most
    expect(clientOrderIdFor(byId.get('bitfinex') ?? { maxLength: 0, pattern: '' }, 'x')).toMatch(/^[1-9]\d{12}$/) // cid: 13 digits
    expect(clientOrderIdFor(byId.get('exmo') ?? { maxLength: 0, pattern: '' }, 'x')).toMatch(/^[1-9]\d{14}$/) // client_id: 15 digits
    expect(clientOrderIdFor({ maxLength: 36, pattern: '^[A-Za-z0-9._:-]{1,36}$' }, 'x')).toBe(binance) // the demo rule
  })

  it('refuses a rule that admits neither form', () => {
    expect(() => clientOrderIdFor({ maxLength: 4, pattern: '^[a-z]{1,4}$' }, 'x')).toThrow(/no client order id fits/)
  })
})
