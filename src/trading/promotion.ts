import { and, eq, ne } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import type { AuditActor, AuditChain } from '../monitoring/index.js'
import type { BotService, TradingActor } from './bot-service.js'
import type { DemoRecordView, SignalBotConfig } from './trading-api-types.js'
import type { TradingAccounts } from './trading-accounts.js'
import type { IntentView } from './trading-types.js'
import { demoRecordOf } from './risk/index.js'

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

  const promote = async (actor: TradingActor, workspaceId: string, id: string, exchangeAccountId: string) => {
    const row = await bots.rowOf(workspaceId, id, 'signal_bot')
    if (row.accountKind !== 'demo') throw new AppError('CONFLICT', 'this bot already trades on a real account')
    if (row.status === 'running') throw new AppError('CONFLICT', 'stop or pause the bot before promoting it: its demo positions stay on the demo account')
    const demo = await accounts.get(workspaceId, { kind: 'demo', id: row.accountId })
    const target = await accounts.get(workspaceId, { kind: 'exchange', id: exchangeAccountId })
    if (!target.canTrade) throw new AppError('CONFLICT', `"${target.label}" cannot trade now: its key is not active`)
    if (target.market !== demo.market) throw new AppError('BAD_INPUT', `"${target.label}" is a ${target.market === 'spot' ? 'spot' : 'futures'} account; this bot ran on ${demo.market === 'spot' ? 'spot' : 'futures'}`)
    accounts.assertSymbolsFit(target, (row.config as SignalBotConfig).symbols)
    const record = await demoRecord(workspaceId, id)
    const now = clock.now()
    // A fresh machine: positions it held on demo stay there, and the journal keeps their history.
    const moved = await db
      .update(schema.bots)
      .set({ accountKind: 'exchange', accountId: target.id, promotedFromAccountId: row.accountId, promotedAt: now, state: {}, status: 'stopped', statusReason: 'promoted: start it when ready', version: row.version + 1, updatedAt: now })
      // Only the bot as checked above: one started in between keeps trading on demo, and this is refused.
      .where(and(eq(schema.bots.id, id), eq(schema.bots.version, row.version), eq(schema.bots.accountKind, 'demo'), ne(schema.bots.status, 'running')))
      .returning({ id: schema.bots.id })
    if (moved.length === 0) throw new AppError('CONFLICT', 'the bot changed meanwhile (started?): stop it and try again')
    const by: AuditActor = { type: actor.tokenId ? 'api_token' : 'user', id: actor.userId }
    await audit.append({
      workspaceId,
      type: 'bot_promoted',
      actor: by,
      outcome: 'success',
      details: { botId: id, fromDemoAccountId: row.accountId, toExchangeAccountId: target.id, demoTrades: record.trades, demoRealizedPnl: record.realizedPnl, demoMaxDrawdown: record.maxDrawdown, demoDaysRun: record.daysRun },
    })
    return bots.get(workspaceId, id)
  }

  return { demoRecord, promote }
}
export type Promotion = ReturnType<typeof createPromotion>
