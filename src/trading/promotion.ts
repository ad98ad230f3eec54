import { and, eq, ne } from 'drizzle-orm'
import { z } from 'zod'
import { schema, type Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import type { AuditChain } from '../monitoring/index.js'
import type { BotService } from './bot-service.js'
import type { DemoRecordView, SignalBotConfig } from './trading-api-types.js'
import type { TradingAccounts } from './trading-accounts.js'
import type { ApprovedChange, IntentView, TradingActor } from './trading-types.js'
import { assertMayTradeOn, auditFieldsOf } from './account-grants.js'
import { demoRecordOf } from './risk/index.js'

/** What a four-eyes request to promote a bot (kind `bot.promote`) carries: ids only. */
export const promotionPayloadSchema = z.object({ botId: z.string().uuid(), exchangeAccountId: z.string().uuid() }).strict()
export type PromotionPayload = z.infer<typeof promotionPayloadSchema>

export type PromotionDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append'>
  accounts: TradingAccounts
  bots: Pick<BotService, 'rowOf' | 'get'>
  journal: { intentsOf(botId: string): Promise<IntentView[]> }
}

/**
 * Demo → live (DESIGN.md "Demo exchanges"): a bot moves to a real account only through this explicit
 * step, which shows its demo record first and needs step-up (the route's guard). Nothing else changes an
 * account reference, so a typo cannot send a demo strategy's orders to a real exchange.
 */
export const createPromotion = ({ db, clock, audit, accounts, bots, journal }: PromotionDeps) => {
  /** The record on the demo account it ran on (before or after its promotion). */
  const demoRecord = async (workspaceId: string, id: string): Promise<DemoRecordView> => {
    const row = await bots.rowOf(workspaceId, id)
    const demoAccountId = row.accountKind === 'demo' ? row.accountId : row.promotedFromAccountId
    const intents = demoAccountId === null ? [] : (await journal.intentsOf(id)).filter((i) => i.account.kind === 'demo' && i.account.id === demoAccountId)
    return demoRecordOf(intents, { firstStartedAt: row.startedAt, now: clock.now() })
  }

  /** Every check a promotion passes: when it is asked for, and again when an approved one is applied. */
  const check = async (actor: TradingActor, workspaceId: string, id: string, exchangeAccountId: string) => {
    assertMayTradeOn(actor, { kind: 'exchange', id: exchangeAccountId })
    const row = await bots.rowOf(workspaceId, id, 'signal_bot')
    if (row.accountKind !== 'demo') throw new AppError('CONFLICT', 'this bot already trades on a real account')
    if (row.status === 'running') throw new AppError('CONFLICT', 'stop or pause the bot before promoting it: its demo positions stay on the demo account')
    const demo = await accounts.get(workspaceId, { kind: 'demo', id: row.accountId })
    const target = await accounts.get(workspaceId, { kind: 'exchange', id: exchangeAccountId })
    if (!target.canTrade) throw new AppError('CONFLICT', `"${target.label}" cannot trade now: its key is not active`)
    if (target.market !== demo.market) throw new AppError('BAD_INPUT', `"${target.label}" is a ${target.market === 'spot' ? 'spot' : 'futures'} account; this bot ran on ${demo.market === 'spot' ? 'spot' : 'futures'}`)
    accounts.assertSymbolsFit(target, (row.config as SignalBotConfig).symbols)
    return { row, demo, target, record: await demoRecord(workspaceId, id) }
  }

  /**
   * Moves the bot to the exchange account. `approval`: it was asked for by someone else and approved by
   * the actor (four-eyes, R42); the audit entry names both.
   */
  const promote = async (actor: TradingActor, workspaceId: string, id: string, exchangeAccountId: string, approval?: { approvalId: string; requestedBy: string | null }) => {
    const { row, target, record } = await check(actor, workspaceId, id, exchangeAccountId)
    const now = clock.now()
    // A fresh machine: positions it held on demo stay there, and the journal keeps their history.
    const moved = await db
      .update(schema.bots)
      .set({ accountKind: 'exchange', accountId: target.id, promotedFromAccountId: row.accountId, promotedAt: now, state: {}, status: 'stopped', statusReason: 'promoted: start it when ready', version: row.version + 1, updatedAt: now })
      // Only the bot as checked above: one started in between keeps trading on demo, and this is refused.
      .where(and(eq(schema.bots.id, id), eq(schema.bots.version, row.version), eq(schema.bots.accountKind, 'demo'), ne(schema.bots.status, 'running')))
      .returning({ id: schema.bots.id })
    if (moved.length === 0) throw new AppError('CONFLICT', 'the bot changed meanwhile (started?): stop it and try again')
    await audit.append({
      workspaceId,
      type: 'bot_promoted',
      ...auditFieldsOf(actor),
      outcome: 'success',
      details: {
        botId: id,
        fromDemoAccountId: row.accountId,
        toExchangeAccountId: target.id,
        demoTrades: record.trades,
        demoRealizedPnl: record.realizedPnl,
        demoMaxDrawdown: record.maxDrawdown,
        demoDaysRun: record.daysRun,
        ...(approval === undefined ? {} : { approvalId: approval.approvalId, requestedBy: approval.requestedBy }),
      },
    })
    return bots.get(workspaceId, id)
  }

  /**
   * A promotion that must wait for a second person (the route asks the approval gate): the same checks
   * as `promote`, so a request that could never apply is refused now, and what the approver reads.
   */
  const describePromotion = async (actor: TradingActor, workspaceId: string, id: string, exchangeAccountId: string): Promise<{ summary: string; payload: PromotionPayload }> => {
    const { row, demo, target, record } = await check(actor, workspaceId, id, exchangeAccountId)
    const days = `${record.daysRun} ${record.daysRun === 1 ? 'day' : 'days'}`
    const trades = `${record.trades} ${record.trades === 1 ? 'trade' : 'trades'}`
    const money = (amount: string) => (record.currency === '' ? amount : `${amount} ${record.currency}`)
    const results = record.trades === 0 ? '' : `, realized PnL ${money(record.realizedPnl)}, max drawdown ${money(record.maxDrawdown)}`
    const summary = `Promote the Signal Bot "${row.name}" from the demo account "${demo.label}" to the real account "${target.label}" (on demo: ${trades} over ${days}${results})`
    return { summary, payload: { botId: id, exchangeAccountId } }
  }

  /**
   * The applier of an approved `bot.promote` request (registered by main.ts): the promotion's checks run
   * again now (the bot may have been started, the key disabled, meanwhile) and it applies as the approver,
   * an owner or admin, who trades on every account.
   * @throws AppError BAD_INPUT for a payload that is not a promotion, CONFLICT/NOT_FOUND when it no longer applies
   */
  const applyPromotion = async (payload: unknown, ctx: ApprovedChange): Promise<Record<string, unknown>> => {
    const parsed = promotionPayloadSchema.safeParse(payload)
    if (!parsed.success) throw new AppError('BAD_INPUT', 'this approval does not describe a bot promotion')
    if (ctx.decidedBy === null) throw new AppError('CONFLICT', 'a promotion applies only once someone approved it')
    const actor: TradingActor = { userId: ctx.decidedBy, accounts: 'all', ip: ctx.ip, requestId: ctx.requestId }
    const bot = await promote(actor, ctx.workspaceId, parsed.data.botId, parsed.data.exchangeAccountId, { approvalId: ctx.approvalId, requestedBy: ctx.requestedBy })
    return { botId: bot.id, exchangeAccountId: bot.account.id, status: bot.status }
  }

  return { demoRecord, promote, describePromotion, applyPromotion }
}
export type Promotion = ReturnType<typeof createPromotion>
