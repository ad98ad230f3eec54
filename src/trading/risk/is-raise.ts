import { Decimal, toDecimal } from '../../lib/decimal.js'
import type { RiskLimits } from '../trading-api-types.js'

/**
 * Whether a new set of account risk limits loosens any of the current ones: raising a limit on a real
 * account waits for a second person (four-eyes, R42); tightening applies at once. Pure.
 *
 * Per field, which way is looser:
 * - maxOrderNotional, maxPositionNotional, maxOpenOrders, maxDailyLoss, priceBandPercent: a larger value;
 *   an absent one is no limit at all, the loosest (removing such a limit is a raise, adding one is not).
 * - cooldownAfterStopLossSeconds: a shorter cooldown; absent is no cooldown, the same as 0.
 * Values are compared as numbers ("100" and "100.0" are the same limit).
 */

type Rule = {
  /** In people's words, for the approval's summary. */
  label: string
  looserWhen: 'larger' | 'smaller'
  show: (value: string | number) => string
  /** How an absent value reads. */
  absent: string
}

const plain = (v: string | number) => String(v)
const rules = {
  maxOrderNotional: { label: 'max order notional', looserWhen: 'larger', show: plain, absent: 'no limit' },
  maxPositionNotional: { label: 'max position notional', looserWhen: 'larger', show: plain, absent: 'no limit' },
  maxOpenOrders: { label: 'max open orders', looserWhen: 'larger', show: plain, absent: 'no limit' },
  maxDailyLoss: { label: 'max daily loss', looserWhen: 'larger', show: plain, absent: 'no limit' },
  cooldownAfterStopLossSeconds: { label: 'cooldown after a stop-loss', looserWhen: 'smaller', show: (v) => `${v} s`, absent: 'none' },
  priceBandPercent: { label: 'price band', looserWhen: 'larger', show: (v) => `${v} %`, absent: 'no limit' },
} as const satisfies { [K in keyof Required<RiskLimits>]: Rule }

export type RiskLimitField = keyof typeof rules
export const riskLimitFields = Object.keys(rules) as RiskLimitField[]

/** One field a new set of limits changes. `raises`: the new value is looser than the current one. */
export type RiskLimitChange = { field: RiskLimitField; label: string; from: string; to: string; raises: boolean }

/** Absent is the loosest value: no limit (infinite) for a maximum, 0 for a cooldown. */
const valueOf = (rule: Rule, v: string | number | undefined): Decimal => {
  if (v === undefined) return rule.looserWhen === 'larger' ? new Decimal(Infinity) : new Decimal(0)
  return typeof v === 'number' ? new Decimal(v) : toDecimal(v)
}

/** The fields whose value changes from `current` to `next`, in the schema's order. */
export const riskLimitChanges = (current: RiskLimits, next: RiskLimits): RiskLimitChange[] => {
  const changes: RiskLimitChange[] = []
  for (const field of riskLimitFields) {
    const rule: Rule = rules[field]
    const [a, b] = [current[field], next[field]]
    const [from, to] = [valueOf(rule, a), valueOf(rule, b)]
    if (from.eq(to)) continue
    const raises = rule.looserWhen === 'larger' ? to.gt(from) : to.lt(from)
    changes.push({ field, label: rule.label, from: a === undefined ? rule.absent : rule.show(a), to: b === undefined ? rule.absent : rule.show(b), raises })
  }
  return changes
}

/** Whether `next` loosens any limit of `current` (a larger maximum, a limit removed, a shorter cooldown, …). */
export const isRaise = (current: RiskLimits, next: RiskLimits): boolean => riskLimitChanges(current, next).some((c) => c.raises)

/** "max order notional 100 → 500; max open orders 5 → no limit" */
export const describeRiskLimitChanges = (changes: readonly RiskLimitChange[]): string => changes.map((c) => `${c.label} ${c.from} → ${c.to}`).join('; ')
