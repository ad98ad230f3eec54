import { Decimal, toDecimal, toDecimalString } from '../../lib/decimal.js'
import type { IntentState } from '../../db/index.js'
import type { AccountRef, IntentView } from '../trading-types.js'
import { currenciesOf } from '../symbols.js'

/**
 * Positions from the order journal: the intents' fills are the record (no exchange call). Pure.
 *
 * Each intent counts as ONE fill of `filled` at `average` — the journal keeps the order's aggregate,
 * not its individual trades. Fills are replayed in the order the intents were placed (`sentAt`, else
 * `createdAt`): an order cannot fill before it is sent, and a bot places its exits after its entry
 * filled, so placement order is the order of the position's changes for one bot and symbol. Each bot
 * (and the manual orders, botId null) keeps its own book per symbol, so two bots on one account never
 * mix their average entries; the account's position is the sum of the books.
 */

/**
 * What the risk module reads of an intent (IntentView satisfies it). With `account`, books are kept
 * per account too (a promoted bot's demo and real positions never mix).
 */
export type RiskIntent = Pick<
  IntentView,
  'id' | 'botId' | 'symbol' | 'side' | 'amount' | 'price' | 'stopPrice' | 'reduceOnly' | 'purpose' | 'state' | 'filled' | 'average' | 'fee' | 'feeCurrency' | 'createdAt' | 'sentAt' | 'updatedAt'
> & { account?: AccountRef | undefined }

/** An order in one of these states may still rest on (or reach) the venue: `unknown` may exist. */
export const openIntentStates: ReadonlySet<IntentState> = new Set(['intent', 'sent', 'acknowledged', 'partially_filled', 'unknown'])

export const isOpenIntent = (intent: Pick<RiskIntent, 'state'>): boolean => openIntentStates.has(intent.state)

/** Orders that reduce or close a position: the guard never blocks them on size, count, loss or cooldown. */
const exitPurposes: ReadonlySet<string> = new Set(['take_profit', 'stop_loss', 'trailing_take_profit', 'close'])
export const isExitOrder = (order: { purpose: string; reduceOnly?: boolean | undefined }): boolean => exitPurposes.has(order.purpose) || order.reduceOnly === true

export { currenciesOf } from '../symbols.js'

/** One intent's fill replayed into its book. */
export type LedgerStep = {
  intent: RiskIntent
  /** The book it moved (Book.key). */
  book: string
  /** Signed fill: + bought, − sold. */
  qty: Decimal
  /** The fill price used (average, else the order's price; see `fillPriceOf`). */
  price: Decimal
  /** Price PnL of the part that reduced the position (fees are not in it). */
  realized: Decimal
  /** How much of |qty| reduced the position; the rest (if any) opened or grew one. */
  closedQty: Decimal
  /** True when this fill took the book back to flat or through it (a round trip ended). */
  closesTrip: boolean
  netAfter: Decimal
}

/** One (account, bot, symbol) book after every fill. */
export type Book = {
  key: string
  botId: string | null
  symbol: string
  /** Signed: + long, − short. */
  net: Decimal
  /** Average cost of the open position; null when flat. */
  averageEntry: Decimal | null
  /** Price PnL realized so far (fees not included). */
  realized: Decimal
}

const zero = new Decimal(0)

/** Placement order; the id breaks ties so a replay is deterministic. */
const byPlacement = (a: RiskIntent, b: RiskIntent): number => {
  const ta = Date.parse(a.sentAt ?? a.createdAt)
  const tb = Date.parse(b.sentAt ?? b.createdAt)
  if (ta !== tb) return ta - tb
  const ca = Date.parse(a.createdAt)
  const cb = Date.parse(b.createdAt)
  if (ca !== cb) return ca - cb
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * The price a fill happened at: the journal's average; an intent with a fill but no average (a venue
 * that did not report one) falls back to its limit or stop price, and failing that to the book's own
 * average (the fill then moves quantity, not PnL).
 */
const fillPriceOf = (intent: RiskIntent, book: Book): Decimal => {
  const known = intent.average ?? intent.price ?? intent.stopPrice
  if (known !== null) return toDecimal(known)
  return book.averageEntry ?? zero
}

const bookKey = (intent: RiskIntent): string => `${intent.account === undefined ? '' : `${intent.account.kind}:${intent.account.id}`}|${intent.botId ?? ''}|${intent.symbol}`

/**
 * Replays the fills of `intents` by average cost. A reduce that crosses zero closes the old position
 * at its average and opens the remainder on the other side at the fill price.
 */
export const ledgerOf = (intents: readonly RiskIntent[]): { books: Book[]; steps: LedgerStep[] } => {
  const books = new Map<string, Book>()
  const steps: LedgerStep[] = []
  for (const intent of [...intents].sort(byPlacement)) {
    const filled = toDecimal(intent.filled)
    if (filled.isZero()) continue
    const key = bookKey(intent)
    let book = books.get(key)
    if (book === undefined) {
      book = { key, botId: intent.botId, symbol: intent.symbol, net: zero, averageEntry: null, realized: zero }
      books.set(key, book)
    }
    // A spot buy whose fee was taken in the coin bought delivers that much less (the fee itself is
    // charged in PnL at the fill price, see pnl.ts): counting it would leave a phantom position.
    const feeInCoin = intent.side === 'buy' && !intent.symbol.includes(':') && intent.fee !== null && intent.feeCurrency === currenciesOf(intent.symbol).base ? toDecimal(intent.fee) : zero
    const qty = intent.side === 'buy' ? filled.minus(feeInCoin) : filled.neg()
    const price = fillPriceOf(intent, book)
    const before = book.net
    let realized = zero
    let closedQty = zero
    if (before.isZero() || before.isPositive() === qty.isPositive()) {
      // Opens or adds: the average is weighted by size.
      const size = before.abs().plus(filled)
      const cost = before.abs().times(book.averageEntry ?? zero).plus(filled.times(price))
      book.averageEntry = cost.div(size)
    } else {
      closedQty = Decimal.min(filled, before.abs())
      const average = book.averageEntry ?? price
      // Long: sold above the average is a gain; short: bought back below it is.
      realized = before.isPositive() ? price.minus(average).times(closedQty) : average.minus(price).times(closedQty)
      const after = before.plus(qty)
      if (after.isZero()) book.averageEntry = null
      else if (after.isPositive() !== before.isPositive()) book.averageEntry = price
    }
    book.net = before.plus(qty)
    book.realized = book.realized.plus(realized)
    const closesTrip = !before.isZero() && (book.net.isZero() || book.net.isPositive() !== before.isPositive())
    steps.push({ intent, book: key, qty, price, realized, closedQty, closesTrip, netAfter: book.net })
  }
  return { books: [...books.values()], steps }
}

export type PositionView = { symbol: string; net: string; averageEntry: string | null }

/**
 * Net position per symbol of `intents` (pass one bot's intents for the bot's, an account's for the
 * account's): filled buys − filled sells. Flat symbols are left out. Average entry of several books
 * on the same side is their size-weighted average; books on opposite sides have none.
 */
export const positionsOf = (intents: readonly RiskIntent[]): PositionView[] => {
  const bySymbol = new Map<string, Book[]>()
  for (const book of ledgerOf(intents).books) {
    if (book.net.isZero()) continue
    bySymbol.set(book.symbol, [...(bySymbol.get(book.symbol) ?? []), book])
  }
  const out: PositionView[] = []
  for (const [symbol, books] of bySymbol) {
    const net = books.reduce((s, b) => s.plus(b.net), zero)
    if (net.isZero()) continue
    const sameSide = books.every((b) => b.net.isPositive() === net.isPositive())
    const size = books.reduce((s, b) => s.plus(b.net.abs()), zero)
    const cost = books.reduce((s, b) => s.plus(b.net.abs().times(b.averageEntry ?? zero)), zero)
    out.push({ symbol, net: toDecimalString(net), averageEntry: sameSide ? toDecimalString(cost.div(size)) : null })
  }
  return out.sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
}

/** Net position in one symbol (zero when flat or never traded). */
export const netPositionOf = (intents: readonly RiskIntent[], symbol: string): Decimal =>
  intents.filter((i) => i.symbol === symbol).reduce((s, i) => (i.side === 'buy' ? s.plus(toDecimal(i.filled)) : s.minus(toDecimal(i.filled))), zero)

/** Orders that may still be on the venue (or reach it). */
export const openOrderCountOf = (intents: readonly RiskIntent[]): number => intents.filter(isOpenIntent).length
