import { Decimal, toDecimalString } from '../../lib/decimal.js'
import type { DemoRecordView } from '../trading-api-types.js'
import type { AccountRef } from '../trading-types.js'
import { ledgerOf, type RiskIntent } from './positions.js'
import { currencyOf, feeOfStep } from './pnl.js'

/**
 * The record a bot earned on its demo account, shown before it is promoted to a real one. Pure.
 *
 * - A trade is a round trip per symbol: from flat to flat (or through flat: a reduce that crosses
 *   zero ends one trip and starts the next). Open trips are not counted.
 * - A win is a trip whose PnL after its fees is above zero.
 * - `realizedPnl` and `fees` follow pnl.ts: realized after every fee (an open trip's entry fee too),
 *   fees in the quote currency; fees in a third currency cannot be valued here and are left out.
 * - `maxDrawdown` is the largest fall of cumulative realized PnL from its running peak (starting at
 *   0), sampled after each fill that closed something, as a positive number.
 * - `daysRun` counts from the bot's first start, to a tenth of a day.
 */

const zero = new Decimal(0)
const dayMs = 86_400_000
const money = (d: Decimal): string => toDecimalString(d.toDecimalPlaces(8))

export const demoRecordOf = (
  intents: readonly (RiskIntent & { account: AccountRef })[],
  opts: { firstStartedAt: Date | null; now: Date },
): DemoRecordView => {
  // The record is the demo account's only: after a promotion the same bot has real intents too.
  const demo = intents.filter((i) => i.account.kind === 'demo')
  const tripPnl = new Map<string, Decimal>()
  let trades = 0
  let wins = 0
  let realized = zero
  let fees = zero
  let peak = zero
  let maxDrawdown = zero
  for (const step of ledgerOf(demo).steps) {
    const key = step.book
    const fee = feeOfStep(step) ?? zero
    fees = fees.plus(fee)
    realized = realized.plus(step.realized).minus(fee)
    // A fill that crosses flat pays part of its fee for the trip it ends, the rest for the one it opens.
    const closingFee = fee.times(step.closedQty.div(step.qty.abs()))
    const openingFee = fee.minus(closingFee)
    const trip = (tripPnl.get(key) ?? zero).plus(step.realized).minus(closingFee)
    if (step.closesTrip) {
      trades += 1
      if (trip.gt(0)) wins += 1
    }
    tripPnl.set(key, step.closesTrip ? openingFee.neg() : trip.minus(openingFee))
    if (step.closedQty.gt(0)) {
      peak = Decimal.max(peak, realized)
      maxDrawdown = Decimal.max(maxDrawdown, peak.minus(realized))
    }
  }
  const daysRun = opts.firstStartedAt === null ? 0 : Math.max(0, Math.floor(((opts.now.getTime() - opts.firstStartedAt.getTime()) / dayMs) * 10) / 10)
  return { trades, wins, realizedPnl: money(realized), fees: money(fees), maxDrawdown: money(maxDrawdown), daysRun, currency: currencyOf(demo) }
}
