import { Decimal, toDecimal, toDecimalString } from '../../lib/decimal.js'
import type { SmartTradeState, TradeBook, TradeDirection, TradeSummary } from './machines-types.js'
import { currenciesOf } from '../symbols.js'

/**
 * Price and amount arithmetic for the machines, and the book a trade keeps of its fills. Pure; every
 * value is a Decimal or a decimal string (a JS number never carries a price or an amount).
 */

export const zero = new Decimal(0)
export const dec = toDecimal
export const str = toDecimalString

/** Number of decimals written in a decimal string ("0.010" → 3, "5" → 0). */
export const decimalsOf = (s: string): number => {
  const dot = s.indexOf('.')
  return dot < 0 ? 0 : s.length - dot - 1
}

export const floorTo = (d: Decimal, places: number): Decimal => d.toDecimalPlaces(places, Decimal.ROUND_DOWN)

/** Rounds a computed price (a percent level, a trailing stop) to the precision the market quotes in. */
export const roundPrice = (d: Decimal, places: number): string => str(d.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN))

/** Money for views and sums: 8 decimals, as the risk module's PnL views, so no 50-digit quotients. */
export const money = (d: Decimal): string => str(d.toDecimalPlaces(8, Decimal.ROUND_HALF_EVEN))

/** +1 for a long (higher prices are better), −1 for a short. */
export const signOf = (direction: TradeDirection): 1 | -1 => (direction === 'long' ? 1 : -1)

/** True when `a` is strictly better than `b` for the trade (higher for a long, lower for a short). */
export const isBetter = (direction: TradeDirection, a: Decimal, b: Decimal): boolean => (direction === 'long' ? a.gt(b) : a.lt(b))

/** The better of two prices for the trade. */
export const betterOf = (direction: TradeDirection, a: Decimal, b: Decimal): Decimal => (isBetter(direction, a, b) ? a : b)

/**
 * The price `percent` % away from `from`: in the trade's favour ('profit': above for a long) or against
 * it ('loss': below for a long).
 */
export const offsetPrice = (from: Decimal, percent: string, direction: TradeDirection, towards: 'profit' | 'loss'): Decimal => {
  const up = (direction === 'long') === (towards === 'profit')
  const factor = dec(percent).div(100)
  return from.times(up ? new Decimal(1).plus(factor) : new Decimal(1).minus(factor))
}

/** True when `price` is at or past `level` against the trade: a long's stop at or below, a short's at or above. */
export const reachedAgainst = (direction: TradeDirection, price: Decimal, level: Decimal): boolean => (direction === 'long' ? price.lte(level) : price.gte(level))

/** True when `price` is at or past `level` in the trade's favour: a long's target at or above. */
export const reachedInFavour = (direction: TradeDirection, price: Decimal, level: Decimal): boolean => (direction === 'long' ? price.gte(level) : price.lte(level))

/**
 * Splits `total` by percentage shares: each share but the last is rounded DOWN to `places` decimals and the
 * last takes the remainder, so the parts add up to `total` exactly (the rounding dust lands on the last).
 * A part may be "0" when its share is below one step; callers skip it.
 */
export const splitByShares = (total: Decimal, sharePercents: readonly string[], places: number): Decimal[] => {
  const parts: Decimal[] = []
  let used = zero
  sharePercents.forEach((share, i) => {
    if (i === sharePercents.length - 1) {
      parts.push(total.minus(used))
      return
    }
    const part = floorTo(total.times(dec(share)).div(100), places)
    parts.push(part)
    used = used.plus(part)
  })
  return parts
}

export { currenciesOf } from '../symbols.js'

export const emptyBook = (): TradeBook => ({ entryQty: '0', entryCost: '0', exitQty: '0', exitNotional: '0', baseFees: '0', feesQuote: '0', feesOther: {} })

/** Books a fill delta of the entry order (`entry`) or of any exit order. Mutates `book`. */
export const bookFill = (book: TradeBook, role: 'entry' | 'exit', qty: Decimal, notional: Decimal): void => {
  if (role === 'entry') {
    book.entryQty = str(dec(book.entryQty).plus(qty))
    book.entryCost = str(dec(book.entryCost).plus(notional))
  } else {
    book.exitQty = str(dec(book.exitQty).plus(qty))
    book.exitNotional = str(dec(book.exitNotional).plus(notional))
  }
}

/**
 * Books a fee delta. Quote fees count as they are; a base fee (spot buys on many venues) is valued at the
 * fill price AND taken from the coins held, since the venue keeps it out of the amount bought; a third
 * currency (BNB…) is valued at `rate` ("<FEE>/<QUOTE>" last price) when known, else kept aside in
 * `feesOther` and left out of the PnL, the same convention as risk/pnl.ts. Mutates `book`.
 */
export const bookFee = (book: TradeBook, symbol: string, amount: Decimal, currency: string | null, fillPrice: Decimal, rate: string | null): void => {
  const { base, quote } = currenciesOf(symbol)
  const addQuote = (d: Decimal) => (book.feesQuote = str(dec(book.feesQuote).plus(d)))
  if (currency === null || currency === quote) addQuote(amount)
  else if (currency === base) {
    book.baseFees = str(dec(book.baseFees).plus(amount))
    addQuote(amount.times(fillPrice))
  } else if (rate !== null) addQuote(amount.times(dec(rate)))
  else book.feesOther[currency] = str(dec(book.feesOther[currency] ?? '0').plus(amount))
}

/** The coins (or contracts) the trade holds: bought − base fees − sold, for a long; sold − bought for a short. */
export const heldOf = (book: TradeBook): Decimal => dec(book.entryQty).minus(dec(book.baseFees)).minus(dec(book.exitQty))

export const averageEntryOf = (book: TradeBook): Decimal | null => {
  const qty = dec(book.entryQty)
  return qty.isZero() ? null : dec(book.entryCost).div(qty)
}

/**
 * Realized PnL after fees, by average cost: (exit notional − average entry × exited) × sign − fees.
 * When everything bought was sold the cost basis is the entry cost exactly, with no quotient.
 */
export const realizedOf = (book: TradeBook, direction: TradeDirection): Decimal => {
  const entryQty = dec(book.entryQty)
  const exitQty = dec(book.exitQty)
  const basis = exitQty.eq(entryQty) ? dec(book.entryCost) : entryQty.isZero() ? zero : dec(book.entryCost).times(exitQty).div(entryQty)
  return dec(book.exitNotional).minus(basis).times(signOf(direction)).minus(dec(book.feesQuote))
}

/** A smart trade's figures for the risk and PnL code (the signal bot sums its positions' figures). */
export const smartTradeSummary = (s: SmartTradeState): TradeSummary => {
  const held = heldOf(s.book)
  const avg = averageEntryOf(s.book)
  const positions: TradeSummary['positions'] = {}
  if (held.gt(0)) positions[s.config.symbol] = { side: s.config.direction, amount: str(held), averageEntry: avg === null ? null : str(avg.toDecimalPlaces(12)) }
  return {
    realizedPnl: money(realizedOf(s.book, s.config.direction)),
    fees: money(dec(s.book.feesQuote)),
    feesOther: { ...s.book.feesOther },
    positions,
    lastStopLossAt: s.lastStopLossAt,
    trades: dec(s.book.entryQty).gt(0) ? 1 : 0,
  }
}
