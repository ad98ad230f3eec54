import { Decimal, toDecimal, toDecimalString } from '../../lib/decimal.js'
import { currenciesOf, ledgerOf, type LedgerStep, type RiskIntent } from './positions.js'

/**
 * Profit and loss from the order journal, by average cost per (bot, symbol) book (positions.ts). Pure.
 *
 * Conventions (the API's PnL view and the demo record use the same):
 * - `realized` is AFTER fees: price PnL of what was closed minus every fee paid, including the fee of
 *   an entry whose position is still open (as Binance futures books an opening commission). A daily
 *   loss limit thus sees the fees as they are paid.
 * - `fees` is the fee part of it, in the quote currency: a quote fee as is, a base-currency fee (spot
 *   buys on many venues) at the fill's average, a third currency (BNB…) at the last price of
 *   "<FEE>/<QUOTE>" when one is known — otherwise it cannot be valued and is left out.
 * - `unrealized` is (last − average entry) × net for every open book whose symbol has a last price.
 * - `currency` is the quote currency of the symbols; 'mixed' when they differ (the sums then add
 *   amounts in different quotes, which is only meaningful for like currencies such as USDT and USDC);
 *   '' when there is nothing.
 */

export type PnlView = { realized: string; unrealized: string; fees: string; currency: string }
export type LastPrice = (symbol: string) => string | null

export type PnlFigures = { realized: Decimal; unrealized: Decimal; fees: Decimal; currency: string }

const zero = new Decimal(0)
const noPrices: LastPrice = () => null

/** Start of the UTC day `now` is in. */
export const utcDayStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))

/** The fee of one replayed fill in its symbol's quote currency, or null when it cannot be valued. */
export const feeOfStep = (step: Pick<LedgerStep, 'intent' | 'price'>, lastPrice: LastPrice = noPrices): Decimal | null => {
  const { fee, feeCurrency, symbol } = step.intent
  if (fee === null) return zero
  const amount = toDecimal(fee)
  if (amount.isZero()) return zero
  const { base, quote } = currenciesOf(symbol)
  // A venue that reports a fee without its currency charged it in the quote (the common case).
  if (feeCurrency === null || feeCurrency === quote) return amount
  if (feeCurrency === base) return amount.times(step.price)
  const rate = lastPrice(`${feeCurrency}/${quote}`)
  return rate === null ? null : amount.times(toDecimal(rate))
}

/** The quote currency of all symbols, 'mixed' when several, '' for none. */
export const currencyOf = (intents: readonly Pick<RiskIntent, 'symbol'>[]): string => {
  const quotes = new Set(intents.map((i) => currenciesOf(i.symbol).quote))
  if (quotes.size === 0) return ''
  return quotes.size === 1 ? ([...quotes][0] ?? '') : 'mixed'
}

/**
 * The figures behind the views, unrounded. With `since`, realized and fees count only the intents
 * updated at or after it (see dailyPnlOf); unrealized is always the open position now.
 */
export const pnlFiguresOf = (intents: readonly RiskIntent[], lastPrice: LastPrice, since: Date | null = null): PnlFigures => {
  const { books, steps } = ledgerOf(intents)
  let realized = zero
  let fees = zero
  for (const step of steps) {
    if (since !== null && Date.parse(step.intent.updatedAt) < since.getTime()) continue
    const fee = feeOfStep(step, lastPrice) ?? zero
    fees = fees.plus(fee)
    realized = realized.plus(step.realized).minus(fee)
  }
  let unrealized = zero
  for (const book of books) {
    if (book.net.isZero() || book.averageEntry === null) continue
    const last = lastPrice(book.symbol)
    if (last === null) continue
    unrealized = unrealized.plus(toDecimal(last).minus(book.averageEntry).times(book.net))
  }
  return { realized, unrealized, fees, currency: currencyOf(intents) }
}

/** Views carry 8 decimals: enough for any quote currency, and no 50-digit quotients from averaging. */
const money = (d: Decimal): string => toDecimalString(d.toDecimalPlaces(8))

const viewOf = (f: PnlFigures): PnlView => ({ realized: money(f.realized), unrealized: money(f.unrealized), fees: money(f.fees), currency: f.currency })

/** PnL of a set of intents (a bot's, an account's): realized after fees, unrealized at `lastPrice`. */
export const pnlOfIntents = (intents: readonly RiskIntent[], lastPrice: LastPrice): PnlView => viewOf(pnlFiguresOf(intents, lastPrice))

/**
 * PnL since 00:00 UTC of `now`: realized (after fees) of the intents updated since then, plus the
 * unrealized PnL of the open position now.
 *
 * Approximations:
 * - The journal has one aggregate fill per intent and `updatedAt` is when it last changed, so an
 *   order that filled partly before midnight and finished after counts wholly today, and an order
 *   that filled yesterday but changed today (a late cancel of its unfilled rest) counts today. The
 *   error is at most the orders that straddle midnight.
 * - Unrealized is the whole open position's, not only today's move (we keep no price at midnight):
 *   a position carried overnight at a loss counts against today's limit with its full loss — the
 *   cautious side for a limit that stops a bot.
 */
export const dailyPnlOf = (intents: readonly RiskIntent[], { now, lastPrice }: { now: Date; lastPrice: LastPrice }): PnlView =>
  viewOf(pnlFiguresOf(intents, lastPrice, utcDayStart(now)))
