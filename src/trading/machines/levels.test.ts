import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Decimal } from '../../lib/decimal.js'
import { bookFee, bookFill, dec, decimalsOf, emptyBook, heldOf, offsetPrice, realizedOf, splitByShares, str } from './levels.js'

describe('splitting a position by target shares', () => {
  it('rounds every share but the last down and gives the dust to the last', () => {
    // 0.1 × 33.33 % = 0.03333 → 0.033 (3 decimals), twice; last 0.1 − 0.066 = 0.034
    expect(splitByShares(dec('0.1'), ['33.33', '33.33', '33.34'], 3).map(str)).toEqual(['0.033', '0.033', '0.034'])
  })

  it('always adds up to the total exactly, each rounded share within one step of its exact value', () => {
    const shares = fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }).map((raw) => {
      // shares in hundredths of a percent adding up to 100 %
      const sum = raw.reduce((a, b) => a + b, 0)
      const parts = raw.map((r) => Math.floor((r * 10_000) / sum))
      parts[parts.length - 1] = (parts[parts.length - 1] ?? 0) + 10_000 - parts.reduce((a, b) => a + b, 0)
      return parts.filter((p) => p > 0).map((p) => str(new Decimal(p).div(100)))
    })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 8 }), shares, (units, places, pcts) => {
        const total = new Decimal(units).div(new Decimal(10).pow(places))
        const parts = splitByShares(total, pcts, places)
        expect(str(parts.reduce((a, b) => a.plus(b), new Decimal(0)))).toBe(str(total))
        const step = new Decimal(10).pow(-places)
        parts.slice(0, -1).forEach((part, i) => {
          const exact = total.times(dec(pcts[i] ?? '0')).div(100)
          expect(part.lte(exact) && exact.minus(part).lt(step)).toBe(true)
          expect(decimalsOf(str(part))).toBeLessThanOrEqual(places)
        })
      }),
    )
  })
})

describe('price levels', () => {
  it('puts profit above and loss below for a long, the reverse for a short', () => {
    expect(str(offsetPrice(dec('200'), '2.5', 'long', 'profit'))).toBe('205')
    expect(str(offsetPrice(dec('200'), '2.5', 'long', 'loss'))).toBe('195')
    expect(str(offsetPrice(dec('200'), '2.5', 'short', 'profit'))).toBe('195')
    expect(str(offsetPrice(dec('200'), '2.5', 'short', 'loss'))).toBe('205')
  })
})

describe('the book', () => {
  it('realizes a partial close at the average entry, after every fee', () => {
    const book = emptyBook()
    bookFill(book, 'entry', dec('1'), dec('100')) // 1 @ 100
    bookFill(book, 'entry', dec('1'), dec('110')) // 1 @ 110: average 105
    bookFee(book, 'BTC/USDT', dec('0.21'), 'USDT', dec('105'), null)
    bookFill(book, 'exit', dec('0.5'), dec('60')) // 0.5 @ 120
    // (60 − 105 × 0.5) − 0.21 = 7.5 − 0.21 = 7.29
    expect(str(realizedOf(book, 'long'))).toBe('7.29')
    expect(str(heldOf(book))).toBe('1.5')
    // the same fills as a short lose what the long won, fees still paid: −7.5 − 0.21
    expect(str(realizedOf(book, 'short'))).toBe('-7.71')
  })

  it('takes a base-currency fee out of the coins held and values it at the fill price', () => {
    const book = emptyBook()
    bookFill(book, 'entry', dec('0.5'), dec('10000')) // 0.5 @ 20000
    bookFee(book, 'BTC/USDT', dec('0.0005'), 'BTC', dec('20000'), null) // 0.0005 × 20000 = 10 USDT
    expect(str(heldOf(book))).toBe('0.4995')
    expect(book.feesQuote).toBe('10')
  })
})
