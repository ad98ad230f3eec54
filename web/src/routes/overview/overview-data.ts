import type { BotView } from '../../api/trading/queries'
import { isDecimalString } from '../../lib/decimal-string'
import { isActive } from '../trading/trading-format'

/**
 * What the overview computes from the lists it reads: the bots still acting on the market, and profit
 * and loss added up per currency. Pure, so it is tested without a page.
 */

// TODO(#9): an `addDecimals` belongs in lib/decimal-string.ts beside the other exact operations.
const SCALE = 18
const toUnits = (value: string): bigint => {
  const isNegative = value.startsWith('-')
  const [whole = '0', fraction = ''] = (isNegative ? value.slice(1) : value).split('.')
  const units = BigInt(whole + fraction.padEnd(SCALE, '0').slice(0, SCALE))
  return isNegative ? -units : units
}
const fromUnits = (units: bigint): string => {
  const isNegative = units < 0n
  const digits = (isNegative ? -units : units).toString().padStart(SCALE + 1, '0')
  const fraction = digits.slice(-SCALE).replace(/0+$/, '')
  const text = fraction === '' ? digits.slice(0, -SCALE) : `${digits.slice(0, -SCALE)}.${fraction}`
  return isNegative ? `-${text}` : text
}

/** The exact sum of decimal strings (no float on the way); a value that is not a decimal counts as 0. */
export const sumDecimals = (values: readonly string[]): string => fromUnits(values.filter(isDecimalString).reduce((sum, v) => sum + toUnits(v), 0n))

export type PnlTotal = { currency: string; isDemo: boolean; realized: string; unrealized: string; bots: number }

/**
 * Profit and loss per quote currency, demo money apart from real: realized over every bot (what
 * finished trades made), unrealized over the live ones only (a finished bot holds no position).
 * Currencies are never added together, and neither are play money and real money.
 */
export const pnlTotals = (bots: readonly Pick<BotView, 'status' | 'pnl' | 'account'>[]): PnlTotal[] => {
  const groups = new Map<string, { currency: string; isDemo: boolean; realized: string[]; unrealized: string[]; bots: number }>()
  for (const bot of bots) {
    const isDemo = bot.account.kind === 'demo'
    const key = `${isDemo ? 'demo' : 'real'}:${bot.pnl.currency}`
    const group = groups.get(key) ?? { currency: bot.pnl.currency, isDemo, realized: [], unrealized: [], bots: 0 }
    group.realized.push(bot.pnl.realized)
    if (isActive(bot.status)) group.unrealized.push(bot.pnl.unrealized)
    group.bots += 1
    groups.set(key, group)
  }
  // Real money first, then by currency.
  return [...groups.values()]
    .sort((a, b) => Number(a.isDemo) - Number(b.isDemo) || a.currency.localeCompare(b.currency))
    .map((g) => ({ currency: g.currency, isDemo: g.isDemo, realized: sumDecimals(g.realized), unrealized: sumDecimals(g.unrealized), bots: g.bots }))
}

/** "+12.5", "-3", "0": the sign shown, so a loss does not depend on colour. */
export const signedAmount = (value: string): string => (value.startsWith('-') || value === '0' ? value : `+${value}`)
