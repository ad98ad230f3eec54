import { describe, expect, it } from 'vitest'
import { documentTitle, itemPathFor, matchRoute } from '../../lib/router'

const ID = '0b7e6f1c-2d3a-4b5c-8d9e-0f1a2b3c4d5e'

describe('the trading pages in the router', () => {
  it('opens one Smart Trade or bot at its own address', () => {
    expect(matchRoute('/smart-trades')).toEqual({ name: 'smartTrades' })
    expect(matchRoute(itemPathFor('smartTrades', ID))).toEqual({ name: 'smartTrades', id: ID })
    expect(matchRoute(`/bots/${ID}/`)).toEqual({ name: 'bots', id: ID })
    expect(matchRoute(`/BOTS/${ID.toUpperCase()}`)).toEqual({ name: 'bots', id: ID })
  })

  it('knows no items of other pages, nor ids that are not ids', () => {
    expect(matchRoute(`/security/${ID}`)).toEqual({ name: 'notFound', path: `/security/${ID}` })
    expect(matchRoute('/bots/new')).toEqual({ name: 'notFound', path: '/bots/new' })
    expect(matchRoute(`/bots/${ID}/orders`)).toEqual({ name: 'notFound', path: `/bots/${ID}/orders` })
  })

  it('titles them', () => {
    expect(documentTitle({ name: 'smartTrades' })).toBe('Smart Trades · Bulwark')
    expect(documentTitle({ name: 'bots', id: ID })).toBe('Signal Bots · Bulwark')
  })
})
