import { and, eq, gt, gte, inArray, lt, or, sql } from 'drizzle-orm'
import { AppError } from '../../lib/errors.js'
import type { Clock } from '../../lib/clock.js'
import { toDecimal } from '../../lib/decimal.js'
import { schema, type Db, type DbOrTx, type IntentState } from '../../db/index.js'
import { riskLimitsSchema, type RiskLimits } from '../trading-api-types.js'
import type { AccountRef, OrderPurpose, OrderSide } from '../trading-types.js'
import { openIntentStates, type RiskIntent } from './positions.js'
import { riskLimitChanges } from './is-raise.js'

const { accountRiskLimits, orderIntents, demoAccounts, exchangeAccounts } = schema

/**
 * SQL for the risk module: the account limits, and the journal rows the guard reads (the only risk
 * file that imports db/). The order journal itself is written by journal/; this reads it.
 */

const describeIssue = (error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string =>
  error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')

/** Stricter of two optional values; `undefined` means "no limit at this level". */
const stricter = <T>(a: T | undefined, b: T | undefined, isStricter: (x: T, y: T) => boolean): T | undefined => {
  if (a === undefined) return b
  if (b === undefined) return a
  return isStricter(b, a) ? b : a
}
const smallerDecimal = (x: string, y: string) => toDecimal(x).lt(toDecimal(y))

/**
 * The limits that apply to a bot on an account: for each field the stricter of the two — the smaller
 * amount, count and band, the longer cooldown. A field set at one level only applies as set there.
 */
export const effectiveLimits = (accountLimits: RiskLimits, botLimits: RiskLimits | undefined): RiskLimits => {
  const bot = botLimits ?? {}
  const out: RiskLimits = {}
  const maxOrderNotional = stricter(accountLimits.maxOrderNotional, bot.maxOrderNotional, smallerDecimal)
  const maxPositionNotional = stricter(accountLimits.maxPositionNotional, bot.maxPositionNotional, smallerDecimal)
  const maxOpenOrders = stricter(accountLimits.maxOpenOrders, bot.maxOpenOrders, (x, y) => x < y)
  const maxDailyLoss = stricter(accountLimits.maxDailyLoss, bot.maxDailyLoss, smallerDecimal)
  const cooldownAfterStopLossSeconds = stricter(accountLimits.cooldownAfterStopLossSeconds, bot.cooldownAfterStopLossSeconds, (x, y) => x > y)
  const priceBandPercent = stricter(accountLimits.priceBandPercent, bot.priceBandPercent, smallerDecimal)
  if (maxOrderNotional !== undefined) out.maxOrderNotional = maxOrderNotional
  if (maxPositionNotional !== undefined) out.maxPositionNotional = maxPositionNotional
  if (maxOpenOrders !== undefined) out.maxOpenOrders = maxOpenOrders
  if (maxDailyLoss !== undefined) out.maxDailyLoss = maxDailyLoss
  if (cooldownAfterStopLossSeconds !== undefined) out.cooldownAfterStopLossSeconds = cooldownAfterStopLossSeconds
  if (priceBandPercent !== undefined) out.priceBandPercent = priceBandPercent
  return out
}

/** Journal rows as the risk module reads them. */
const toRiskIntent = (r: {
  id: string
  botId: string | null
  symbol: string
  side: string
  amount: string
  price: string | null
  stopPrice: string | null
  reduceOnly: boolean
  purpose: string
  state: IntentState
  filled: string
  average: string | null
  fee: string | null
  feeCurrency: string | null
  createdAt: Date
  sentAt: Date | null
  updatedAt: Date
}): RiskIntent => ({
  ...r,
  side: r.side as OrderSide,
  purpose: r.purpose as OrderPurpose,
  createdAt: r.createdAt.toISOString(),
  sentAt: r.sentAt?.toISOString() ?? null,
  updatedAt: r.updatedAt.toISOString(),
})

export const createRiskStore = ({ db, clock }: { db: Db; clock: Clock }) => {
  /** The stored limits, `{}` when none were set, or 'invalid' when the row does not parse. */
  const readAccountLimits = async (workspaceId: string, account: AccountRef, tx: DbOrTx = db): Promise<RiskLimits | 'invalid'> => {
    const [row] = await tx
      .select({ limits: accountRiskLimits.limits })
      .from(accountRiskLimits)
      .where(and(eq(accountRiskLimits.workspaceId, workspaceId), eq(accountRiskLimits.accountKind, account.kind), eq(accountRiskLimits.accountId, account.id)))
    if (row === undefined) return {}
    const parsed = riskLimitsSchema.safeParse(row.limits)
    return parsed.success ? parsed.data : 'invalid'
  }

  /** The account's limits; `{}` (no limits) when none were set. */
  const getAccountLimits = async (workspaceId: string, account: AccountRef, tx: DbOrTx = db): Promise<RiskLimits> => {
    const limits = await readAccountLimits(workspaceId, account, tx)
    // Written only through setAccountLimits, so a row that does not parse was changed behind our back:
    // trading on it must stop rather than run without limits.
    if (limits === 'invalid') throw new AppError('INTEGRITY_FAILED', `the stored risk limits of this ${account.kind} account are not valid; set them again`)
    return limits
  }

  /**
   * Replaces the account's limits (validated; `{}` removes them all).
   * @throws AppError BAD_INPUT for invalid limits, NOT_FOUND when the account is not the workspace's.
   */
  const setAccountLimits = async (input: { workspaceId: string; account: AccountRef; limits: unknown; updatedBy: string | null }, tx: DbOrTx = db): Promise<RiskLimits> => {
    const parsed = riskLimitsSchema.safeParse(input.limits)
    if (!parsed.success) throw new AppError('BAD_INPUT', `risk limits: ${describeIssue(parsed.error)}`)
    await lockAccount(input.workspaceId, input.account, tx)
    const row = { accountKind: input.account.kind, accountId: input.account.id, workspaceId: input.workspaceId, limits: parsed.data, updatedBy: input.updatedBy, updatedAt: clock.now() }
    await tx
      .insert(accountRiskLimits)
      .values(row)
      .onConflictDoUpdate({ target: [accountRiskLimits.accountKind, accountRiskLimits.accountId], set: { limits: row.limits, updatedBy: row.updatedBy, updatedAt: row.updatedAt } })
    return parsed.data
  }

  /** Locks the account's row for the transaction (FOR UPDATE), so two changes of its limits happen one after the other. */
  const lockAccount = async (workspaceId: string, account: AccountRef, tx: DbOrTx) => {
    const table = account.kind === 'demo' ? demoAccounts : exchangeAccounts
    const [owned] = await tx
      .select({ id: table.id })
      .from(table)
      .where(and(eq(table.id, account.id), eq(table.workspaceId, workspaceId)))
      .for('update')
    if (owned === undefined) throw new AppError('NOT_FOUND', `${account.kind} account "${account.id}" not found`)
  }

  /**
   * Replaces the account's limits in one transaction, holding the account's row, and says what they were.
   * `expected`: the limits the caller decided on (a change checked not to raise anything, or one a second
   * person approved); when the stored ones differ now, nothing changes: CONFLICT.
   * @throws AppError BAD_INPUT, NOT_FOUND (see setAccountLimits), CONFLICT (reason RISK_LIMITS_CHANGED)
   */
  const replaceAccountLimits = (input: { workspaceId: string; account: AccountRef; limits: unknown; updatedBy: string | null; expected?: RiskLimits | 'invalid' | undefined }) =>
    db.transaction(async (tx) => {
      await lockAccount(input.workspaceId, input.account, tx)
      const before = await readAccountLimits(input.workspaceId, input.account, tx)
      const expected = input.expected
      if (expected !== undefined && (expected === 'invalid' || before === 'invalid' ? expected !== before : riskLimitChanges(expected, before).length > 0)) {
        throw new AppError('CONFLICT', 'the risk limits of this account changed meanwhile: reload them and try again', { reason: 'RISK_LIMITS_CHANGED' })
      }
      const after = await setAccountLimits(input, tx)
      return { before, after }
    })

  /**
   * The account's intents that matter to risk: those with a fill (positions, PnL, stop-loss times)
   * and those still open (open orders). Rows that ended without a fill are left out.
   */
  const riskIntentsOf = async (workspaceId: string, account: AccountRef, tx: DbOrTx = db): Promise<RiskIntent[]> => {
    const rows = await tx
      .select({
        id: orderIntents.id,
        botId: orderIntents.botId,
        symbol: orderIntents.symbol,
        side: orderIntents.side,
        amount: orderIntents.amount,
        price: orderIntents.price,
        stopPrice: orderIntents.stopPrice,
        reduceOnly: orderIntents.reduceOnly,
        purpose: orderIntents.purpose,
        state: orderIntents.state,
        filled: orderIntents.filled,
        average: orderIntents.average,
        fee: orderIntents.fee,
        feeCurrency: orderIntents.feeCurrency,
        createdAt: orderIntents.createdAt,
        sentAt: orderIntents.sentAt,
        updatedAt: orderIntents.updatedAt,
      })
      .from(orderIntents)
      .where(
        and(
          eq(orderIntents.workspaceId, workspaceId),
          eq(orderIntents.accountKind, account.kind),
          eq(orderIntents.accountId, account.id),
          or(gt(orderIntents.filled, '0'), inArray(orderIntents.state, [...openIntentStates])),
        ),
      )
    return rows.map(toRiskIntent)
  }

  /**
   * The bot's order rate: orders it journaled in the last minute, and its baseline — orders per minute
   * over the day before that minute. Every intent counts, refused and cancelled ones too (attempts are
   * what a runaway or abused bot makes).
   */
  const orderRateOf = async (workspaceId: string, botId: string, now: Date, tx: DbOrTx = db): Promise<{ lastMinute: number; baselinePerMinute: number }> => {
    const minuteAgo = new Date(now.getTime() - 60_000)
    const dayAgo = new Date(minuteAgo.getTime() - 86_400_000)
    const [row] = await tx
      .select({
        lastMinute: sql<number>`(count(*) filter (where ${orderIntents.createdAt} >= ${minuteAgo.toISOString()}::timestamptz))::int`,
        before: sql<number>`(count(*) filter (where ${orderIntents.createdAt} < ${minuteAgo.toISOString()}::timestamptz))::int`,
      })
      .from(orderIntents)
      .where(and(eq(orderIntents.workspaceId, workspaceId), eq(orderIntents.botId, botId), gte(orderIntents.createdAt, dayAgo), lt(orderIntents.createdAt, new Date(now.getTime() + 1))))
    return { lastMinute: Number(row?.lastMinute ?? 0), baselinePerMinute: Number(row?.before ?? 0) / 1_440 }
  }

  return { readAccountLimits, getAccountLimits, setAccountLimits, replaceAccountLimits, riskIntentsOf, orderRateOf }
}
export type RiskStore = ReturnType<typeof createRiskStore>
