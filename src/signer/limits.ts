import { and, eq, gt } from 'drizzle-orm'
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
  if (!notional.greaterThan(0)) throw refuse('the order has no size')
  if (notional.greaterThan(toDecimal(limits.maxOrderNotional))) throw refuse(`notional ${toDecimalString(notional.toDecimalPlaces(8))} is over ${limits.maxOrderNotional} per order`)
  if (usage.last24hNotional.plus(notional).greaterThan(toDecimal(limits.max24hNotional))) {
    throw refuse(`it would take the last 24 h to ${toDecimalString(usage.last24hNotional.plus(notional).toDecimalPlaces(8))}, over ${limits.max24hNotional}`)
  }
  return notional
}

/**
 * Rolling usage per key for the limits: kept in memory (loaded from the database on a key's first order
 * after a start) and written through to `order_usage`, so limits hold across restarts without two
 * aggregate queries per order.
 */
export const createUsageTracker = (db: DbOrTx) => {
  const windows = new Map<string, Array<{ at: number; notional: Decimal }>>()
  // Rows recorded in the same event-loop turn go to the database in one INSERT (each caller still waits
  // until its row is stored): concurrent orders on many keys cost one statement, not one each.
  let batch: Array<{ row: typeof orderUsage.$inferInsert; resolve: () => void; reject: (e: unknown) => void }> = []
  const flush = async () => {
    const current = batch
    batch = []
    try {
      await db.insert(orderUsage).values(current.map((b) => b.row))
      for (const b of current) b.resolve()
    } catch (err) {
      for (const b of current) b.reject(err)
    }
  }
  const insert = (row: typeof orderUsage.$inferInsert) =>
    new Promise<void>((resolve, reject) => {
      if (batch.length === 0) setImmediate(() => void flush())
      batch.push({ row, resolve, reject })
    })

  const window = async (keyId: string, now: Date) => {
    let w = windows.get(keyId)
    if (!w) {
      const rows = await db
        .select({ at: orderUsage.at, notional: orderUsage.notionalQuote })
        .from(orderUsage)
        .where(and(eq(orderUsage.keyId, keyId), gt(orderUsage.at, new Date(now.getTime() - 86_400_000))))
      w = rows.map((r) => ({ at: r.at.getTime(), notional: new Decimal(r.notional) }))
      windows.set(keyId, w)
    }
    const dayAgo = now.getTime() - 86_400_000
    while (w.length > 0 && (w[0]?.at ?? 0) <= dayAgo) w.shift()
    return w
  }

  return {
    usage: async (keyId: string, now: Date) => {
      const w = await window(keyId, now)
      const minuteAgo = now.getTime() - 60_000
      return { last24hNotional: w.reduce((sum, u) => sum.plus(u.notional), new Decimal(0)), lastMinuteOrders: w.filter((u) => u.at > minuteAgo).length }
    },
    /** Durable before the order is sent: a timed-out order still counts. */
    record: async (keyId: string, now: Date, notional: Decimal, requestId: string) => {
      await insert({ keyId, at: now, notionalQuote: notional.toFixed(), requestId })
      ;(await window(keyId, now)).push({ at: now.getTime(), notional })
    },
  }
}
export type UsageTracker = ReturnType<typeof createUsageTracker>

/** True when `next` allows anything `current` did not (a widening needs the operator, later a passkey). */
export const isWidening = (current: KeyLimits, next: KeyLimits): boolean =>
  next.symbols.some((s) => !current.symbols.includes(s)) ||
  toDecimal(next.maxOrderNotional).greaterThan(toDecimal(current.maxOrderNotional)) ||
  toDecimal(next.max24hNotional).greaterThan(toDecimal(current.max24hNotional)) ||
  next.maxOrdersPerMinute > current.maxOrdersPerMinute ||
  toDecimal(next.priceBandPct).greaterThan(toDecimal(current.priceBandPct))
