import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { schema, type Db, type IntentState } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import type { AuditChain } from '../monitoring/index.js'
import { accountRefSchema, riskLimitsSchema, type OrderApiView, type RiskLimits } from './trading-api-types.js'
import type { AccountRef, ApprovedChange, TradingActor } from './trading-types.js'
import type { TradingAccounts } from './trading-accounts.js'
import { toIntentView } from './journal/order-journal.js'
import { describeRiskLimitChanges, riskLimitChanges, type RiskLimitChange, type RiskStore } from './risk/index.js'
import { assertMayTradeOn, auditFieldsOf } from './account-grants.js'
import { listSignals } from './signals/index.js'
import type { BotRuntime } from './runtime/index.js'

export type TradingControlsDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append'>
  accounts: Pick<TradingAccounts, 'get'>
  risk: Pick<RiskStore, 'getAccountLimits' | 'readAccountLimits' | 'replaceAccountLimits'>
  runtime: Pick<BotRuntime, 'haltWorkspace' | 'resumeWorkspace'>
}

const openStates: IntentState[] = ['intent', 'sent', 'acknowledged', 'partially_filled']
const finalStates: IntentState[] = ['filled', 'cancelled', 'rejected']

/**
 * What a four-eyes request to raise an account's risk limits (kind `limits.raise`) carries: the account,
 * the whole new set, and the set it replaces (applying refuses if that changed in the meantime, so an
 * approver never approves a different change than the one they read).
 */
export const riskRaisePayloadSchema = z
  .object({ account: accountRefSchema, limits: riskLimitsSchema, before: z.union([riskLimitsSchema, z.literal('invalid')]) })
  .strict()
export type RiskRaisePayload = z.infer<typeof riskRaisePayloadSchema>

/** A new set of limits compared with the account's current ones. `before` 'invalid': the stored row does not parse. */
export type RiskLimitsPlan = { account: AccountRef; label: string; before: RiskLimits | 'invalid'; changes: RiskLimitChange[]; isRaise: boolean; summary: string }

/** The workspace-wide controls: the kill switch, account risk limits, and the order journal and signal log as read models. */
/** What a lockdown did to the workspace's bots (incident/). */
export type LockdownBotsResult = { stoppedBots: number; wasHalted: boolean }
/** Where a workspace has orders the journal still counts as open: the symbols per account (incident/ cancels them). */
export type OpenOrderSymbols = { accountKind: 'demo' | 'exchange'; accountId: string; symbols: string[] }

export const createTradingControls = ({ db, clock, audit, accounts, risk, runtime }: TradingControlsDeps) => {
  const haltStatus = async (workspaceId: string) => {
    const [row] = await db.select().from(schema.tradingHalts).where(eq(schema.tradingHalts.workspaceId, workspaceId))
    return { halted: row !== undefined, haltedAt: row?.haltedAt.toISOString() ?? null, reason: row?.reason ?? null }
  }

  /** Every bot of the workspace pauses now and none can start until the halt is lifted (the runtime audits it). */
  const halt = async (actor: TradingActor, workspaceId: string, reason: string) => {
    await runtime.haltWorkspace(workspaceId, actor.userId, reason)
    return haltStatus(workspaceId)
  }

  /** Lifts the halt; bots stay paused and are started again one by one. */
  const resume = async (actor: TradingActor, workspaceId: string) => {
    const before = await haltStatus(workspaceId)
    if (!before.halted) throw new AppError('CONFLICT', 'trading is not halted in this workspace')
    await runtime.resumeWorkspace(workspaceId)
    await audit.append({ workspaceId, type: 'trading_resumed', ...auditFieldsOf(actor), outcome: 'success', details: {} })
    return haltStatus(workspaceId)
  }

  const riskLimits = async (workspaceId: string, account: AccountRef): Promise<RiskLimits> => {
    await accounts.get(workspaceId, account)
    return risk.getAccountLimits(workspaceId, account)
  }

  /**
   * What setting `limits` would change on the account, in people's words for a four-eyes request ("Raise
   * the risk limits of Binance main: max order notional 100 → 500"). Stored limits that no longer parse
   * count as a raise: replacing them lets the account trade again.
   */
  const planRiskLimits = async (actor: TradingActor, workspaceId: string, account: AccountRef, limits: RiskLimits): Promise<RiskLimitsPlan> => {
    assertMayTradeOn(actor, account)
    const view = await accounts.get(workspaceId, account)
    const before = await risk.readAccountLimits(workspaceId, account)
    const changes = riskLimitChanges(before === 'invalid' ? {} : before, limits)
    const isRaise = before === 'invalid' || changes.some((c) => c.raises)
    const what = changes.length === 0 ? 'no change' : describeRiskLimitChanges(changes)
    const where = view.kind === 'demo' ? `the demo account "${view.label}"` : `"${view.label}"`
    const summary = `${isRaise ? 'Raise' : 'Change'} the risk limits of ${where}: ${before === 'invalid' ? `replace the stored limits, which are not valid (${what})` : what}`
    return { account, label: view.label, before, changes, isRaise, summary }
  }

  /**
   * Replaces the account's limits. `expected`: the limits the caller decided on (a change checked not to
   * raise anything, or one a second person approved); if the stored ones differ by now, CONFLICT and
   * nothing changes. `approval`: the change was asked for by someone else and the actor approved it.
   */
  const setRiskLimits = async (
    actor: TradingActor,
    workspaceId: string,
    account: AccountRef,
    limits: RiskLimits,
    opts: { expected?: RiskLimits | 'invalid'; approval?: { approvalId: string; requestedBy: string | null } } = {},
  ): Promise<RiskLimits> => {
    assertMayTradeOn(actor, account)
    await accounts.get(workspaceId, account)
    const { before, after } = await risk.replaceAccountLimits({ workspaceId, account, limits, updatedBy: actor.userId, expected: opts.expected })
    await audit.append({
      workspaceId,
      type: 'risk_limits_changed',
      ...auditFieldsOf(actor),
      outcome: 'success',
      details: {
        accountKind: account.kind,
        accountId: account.id,
        before: before === 'invalid' ? 'invalid' : JSON.stringify(before),
        after: JSON.stringify(after),
        ...(opts.approval === undefined ? {} : { approvalId: opts.approval.approvalId, requestedBy: opts.approval.requestedBy }),
      },
    })
    return after
  }

  /**
   * The applier of an approved `limits.raise` request (registered by main.ts): the payload is validated
   * again and the limits are set as the approver (an owner or admin), only if the account's limits are
   * still those the request was made against.
   * @throws AppError BAD_INPUT (not a risk-limits payload), NOT_FOUND (account gone), CONFLICT (limits changed since)
   */
  const applyRiskLimits = async (payload: unknown, ctx: ApprovedChange): Promise<Record<string, unknown>> => {
    const parsed = riskRaisePayloadSchema.safeParse(payload)
    if (!parsed.success) throw new AppError('BAD_INPUT', 'this approval does not describe valid risk limits')
    if (ctx.decidedBy === null) throw new AppError('CONFLICT', 'risk limits are raised only once someone approved it')
    const { account, limits, before } = parsed.data
    const actor: TradingActor = { userId: ctx.decidedBy, accounts: 'all', ip: ctx.ip, requestId: ctx.requestId }
    const after = await setRiskLimits(actor, ctx.workspaceId, account, limits, { expected: before, approval: { approvalId: ctx.approvalId, requestedBy: ctx.requestedBy } })
    return { accountKind: account.kind, accountId: account.id, limits: after }
  }

  const botIn = async (workspaceId: string, botId: string) => {
    const [bot] = await db.select({ id: schema.bots.id }).from(schema.bots).where(and(eq(schema.bots.id, botId), eq(schema.bots.workspaceId, workspaceId)))
    if (!bot) throw new AppError('NOT_FOUND', `bot "${botId}" not found in this workspace`)
  }

  const orders = async (workspaceId: string, query: { botId?: string | undefined; state?: 'open' | 'final' | 'unknown' | undefined; limit: number }): Promise<OrderApiView[]> => {
    // An unknown bot is NOT_FOUND, like its other pages, rather than an empty list.
    if (query.botId !== undefined) await botIn(workspaceId, query.botId)
    const where: SQL[] = [eq(schema.orderIntents.workspaceId, workspaceId)]
    if (query.botId !== undefined) where.push(eq(schema.orderIntents.botId, query.botId))
    if (query.state === 'open') where.push(inArray(schema.orderIntents.state, openStates))
    if (query.state === 'final') where.push(inArray(schema.orderIntents.state, finalStates))
    if (query.state === 'unknown') where.push(eq(schema.orderIntents.state, 'unknown'))
    const rows = await db
      .select()
      .from(schema.orderIntents)
      .where(and(...where))
      .orderBy(desc(schema.orderIntents.createdAt))
      .limit(query.limit)
    return rows.map(toIntentView)
  }

  const signals = async (workspaceId: string, botId: string) => {
    await botIn(workspaceId, botId)
    return (await listSignals(db, botId, { limit: 200 })).map(({ details: _details, ...view }) => view)
  }

  /**
   * Lockdown (incident/, R19): the kill switch goes on (no order leaves for the workspace from here on, and
   * bots driven here are detached at once), then every running or paused bot is stopped, so none resumes
   * when the halt is lifted: each is started again by hand. Clearing the lease makes a bot driven by another
   * api instance drop there on its next renewal; until then the halt refuses its orders.
   */
  const lockdownBots = async (workspaceId: string, reason: string, userId: string | null): Promise<LockdownBotsResult> => {
    const halt = await runtime.haltWorkspace(workspaceId, userId, `lockdown: ${reason}`)
    const stopped = await db
      .update(schema.bots)
      .set({ status: 'stopped', statusReason: `lockdown: ${reason}`.slice(0, 500), version: sql`${schema.bots.version} + 1`, leaseOwner: null, leaseExpiresAt: null, updatedAt: clock.now() })
      .where(and(eq(schema.bots.workspaceId, workspaceId), inArray(schema.bots.status, ['running', 'paused'])))
      .returning({ id: schema.bots.id })
    return { stoppedBots: stopped.length, wasHalted: halt.wasHalted }
  }

  /** After an unlock: lifts the kill switch a lockdown set (the caller audits); bots stay stopped. */
  const liftLockdownHalt = async (workspaceId: string): Promise<boolean> => runtime.resumeWorkspace(workspaceId)

  /** The symbols of every order the journal still counts as open (or unknown), per account. */
  const openOrderSymbols = async (workspaceId: string): Promise<OpenOrderSymbols[]> => {
    const rows = await db
      .selectDistinct({ accountKind: schema.orderIntents.accountKind, accountId: schema.orderIntents.accountId, symbol: schema.orderIntents.symbol })
      .from(schema.orderIntents)
      .where(and(eq(schema.orderIntents.workspaceId, workspaceId), inArray(schema.orderIntents.state, [...openStates, 'unknown'])))
    const byAccount = new Map<string, OpenOrderSymbols>()
    for (const r of rows) {
      const key = `${r.accountKind}:${r.accountId}`
      const entry = byAccount.get(key) ?? { accountKind: r.accountKind, accountId: r.accountId, symbols: [] }
      entry.symbols.push(r.symbol)
      byAccount.set(key, entry)
    }
    return [...byAccount.values()]
  }

  return { haltStatus, halt, resume, riskLimits, planRiskLimits, setRiskLimits, applyRiskLimits, orders, signals, lockdownBots, liftLockdownHalt, openOrderSymbols }
}
export type TradingControls = ReturnType<typeof createTradingControls>
