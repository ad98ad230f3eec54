import { and, eq, gt, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { Decimal, toDecimal, toDecimalString } from '../lib/decimal.js'
import type { DbOrTx } from '../db/index.js'
import { orderUsage } from '../vault/index.js'
import type { KeyLimits } from './signer-types.js'

export type OrderIntent = { symbol: string; type: 'market' | 'limit'; side: 'buy' | 'sell'; amount: string; price?: string | undefined }

const refuse = (message: string) => new AppError('KEY_LIMIT_EXCEEDED', `order refused by the key's limits: ${message}`)

/**
 * The signer's own per-key limits, the last line behind every bot's risk guard: symbol allowlist, notional
 * per order and per rolling 24 h, orders per minute, and a price band around a reference price the signer
 * fetched itself. Quote amounts are compared in the symbol's quote currency.
 */
/** Checked before anything else, so an unlisted symbol costs not even a reference-price request. */
export const checkSymbolAllowed = (limits: KeyLimits, symbol: string): void => {
  if (!limits.symbols.includes(symbol)) throw refuse(`${symbol} is not on this key's symbol list (${limits.symbols.join(', ')})`)
}

export const checkOrderLimits = (limits: KeyLimits, order: OrderIntent, referencePrice: Decimal, usage: { last24hNotional: Decimal; lastMinuteOrders: number }): Decimal => {
  checkSymbolAllowed(limits, order.symbol)
  if (usage.lastMinuteOrders >= limits.maxOrdersPerMinute) throw refuse(`more than ${limits.maxOrdersPerMinute} orders in a minute`)
  const price = order.price === undefined ? referencePrice : toDecimal(order.price)
  if (order.price !== undefined) {
    const deviationPct = price.minus(referencePrice).abs().div(referencePrice).times(100)
    if (deviationPct.greaterThan(toDecimal(limits.priceBandPct))) {
      throw refuse(`price ${order.price} is ${toDecimalString(deviationPct.toDecimalPlaces(2))}% from the reference ${toDecimalString(referencePrice)} (band ${limits.priceBandPct}%)`)
    }
  }
  const notional = toDecimal(order.amount).times(price)
  if (notional.greaterThan(toDecimal(limits.maxOrderNotional))) throw refuse(`notional ${toDecimalString(notional.toDecimalPlaces(8))} is over ${limits.maxOrderNotional} per order`)
  if (usage.last24hNotional.plus(notional).greaterThan(toDecimal(limits.max24hNotional))) {
    throw refuse(`it would take the last 24 h to ${toDecimalString(usage.last24hNotional.plus(notional).toDecimalPlaces(8))}, over ${limits.max24hNotional}`)
  }
  return notional
}

export const readUsage = async (db: DbOrTx, keyId: string, now: Date) => {
  const dayAgo = new Date(now.getTime() - 86_400_000)
  const minuteAgo = new Date(now.getTime() - 60_000)
  const [day] = await db
    .select({ total: sql<string>`coalesce(sum(${orderUsage.notionalQuote}), 0)::text` })
    .from(orderUsage)
    .where(and(eq(orderUsage.keyId, keyId), gt(orderUsage.at, dayAgo)))
  const [minute] = await db
    .select({ n: sql<number>`count(*)` })
    .from(orderUsage)
    .where(and(eq(orderUsage.keyId, keyId), gt(orderUsage.at, minuteAgo)))
  return { last24hNotional: new Decimal(day?.total ?? '0'), lastMinuteOrders: Number(minute?.n ?? 0) }
}

/** True when `next` allows anything `current` did not (a widening needs the operator, later a passkey). */
export const isWidening = (current: KeyLimits, next: KeyLimits): boolean =>
  next.symbols.some((s) => !current.symbols.includes(s)) ||
  toDecimal(next.maxOrderNotional).greaterThan(toDecimal(current.maxOrderNotional)) ||
  toDecimal(next.max24hNotional).greaterThan(toDecimal(current.max24hNotional)) ||
  next.maxOrdersPerMinute > current.maxOrdersPerMinute ||
  toDecimal(next.priceBandPct).greaterThan(toDecimal(current.priceBandPct))
