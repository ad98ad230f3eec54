import { and, desc, eq } from 'drizzle-orm'
import { schema, type BotKind, type Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { AuditActor, AuditChain } from '../monitoring/index.js'
import type { BotApiView, CreateSignalBotBody, CreateSmartTradeBody, SignalBotConfig, SmartTradeConfig } from './trading-api-types.js'
import type { TradingAccounts } from './trading-accounts.js'
import type { IntentView, PriceSource } from './trading-types.js'
import type { Idempotency } from './idempotency.js'
import { pnlOfIntents } from './risk/index.js'
import { generateWebhookSecret, openWebhookSecret, sealWebhookSecret, webhookInfo } from './signals/index.js'
import type { BotRuntime } from './runtime/index.js'

export type BotRow = typeof schema.bots.$inferSelect
export type TradingActor = { userId: string; tokenId?: string | undefined }

export type BotServiceDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append'>
  accounts: TradingAccounts
  runtime: Pick<BotRuntime, 'startBot' | 'pauseBot' | 'stopBot' | 'deliver' | 'isHalted' | 'liveOf'>
  journal: { intentsOf(botId: string): Promise<IntentView[]> }
  prices: Pick<PriceSource, 'last'>
  idempotency: Idempotency
  /** Seals webhook secrets at rest (platform secret `webhookSecret`). */
  webhookKey: Uint8Array
  /** Where senders reach this instance (the webhook URL's origin). */
  publicOrigin: string
}

const auditActor = (a: TradingActor): AuditActor => ({ type: a.tokenId ? 'api_token' : 'user', id: a.userId })

/**
 * Smart Trades and Signal Bots as the API sees them: create, read, start/pause/stop, close/cancel, webhook
 * secrets. The runtime drives them; this module only writes what a user asked for and hands the rest to it.
 */
export const createBotService = (deps: BotServiceDeps) => {
  const { db, clock, audit, accounts, runtime, journal, prices, idempotency } = deps

  const rowOf = async (workspaceId: string, id: string, kind?: BotKind): Promise<BotRow> => {
    const [row] = await db.select().from(schema.bots).where(and(eq(schema.bots.id, id), eq(schema.bots.workspaceId, workspaceId)))
    if (!row || (kind !== undefined && row.kind !== kind)) throw new AppError('NOT_FOUND', `${kind === 'signal_bot' ? 'signal bot' : kind === 'smart_trade' ? 'smart trade' : 'bot'} "${id}" not found in this workspace`)
    return row
  }

  const view = async (row: BotRow): Promise<BotApiView> => {
    const account = await accounts.get(row.workspaceId, { kind: row.accountKind, id: row.accountId }).catch(() => null)
    const intents = await journal.intentsOf(row.id)
    const venue = account?.venue ?? ''
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      account: { kind: row.accountKind, id: row.accountId, label: account?.label ?? '(removed account)' },
      status: row.status,
      statusReason: row.statusReason,
      config: row.config,
      live: runtime.liveOf(row),
      pnl: pnlOfIntents(intents, (symbol) => prices.last(venue, symbol)),
      createdAt: row.createdAt.toISOString(),
      startedAt: row.startedAt?.toISOString() ?? null,
      promotedAt: row.promotedAt?.toISOString() ?? null,
    }
  }

  const insertBot = async (actor: TradingActor, workspaceId: string, input: { kind: BotKind; name: string; accountKind: 'demo' | 'exchange'; accountId: string; config: unknown; webhookSecretSealed?: string; id?: string }) => {
    const now = clock.now()
    const id = input.id ?? newId(now.getTime())
    const [row] = await db
      .insert(schema.bots)
      .values({ id, workspaceId, kind: input.kind, name: input.name, accountKind: input.accountKind, accountId: input.accountId, config: input.config, state: {}, status: 'draft', webhookSecretSealed: input.webhookSecretSealed ?? null, createdBy: actor.userId, createdAt: now, updatedAt: now })
      .returning()
    if (!row) throw new Error('bot insert returned nothing')
    await audit.append({ workspaceId, type: input.kind === 'smart_trade' ? 'smart_trade_created' : 'signal_bot_created', actor: auditActor(actor), outcome: 'success', details: { botId: id, accountKind: input.accountKind, accountId: input.accountId } })
    return row
  }

  const list = async (workspaceId: string, kind?: BotKind): Promise<BotApiView[]> => {
    const rows = await db
      .select()
      .from(schema.bots)
      .where(kind === undefined ? eq(schema.bots.workspaceId, workspaceId) : and(eq(schema.bots.workspaceId, workspaceId), eq(schema.bots.kind, kind)))
      .orderBy(desc(schema.bots.createdAt))
      .limit(500)
    return Promise.all(rows.map(view))
  }

  const get = async (workspaceId: string, id: string) => view(await rowOf(workspaceId, id))

  /** A Smart Trade starts at once; a repeat with the same Idempotency-Key returns the first answer. */
  const createSmartTrade = (actor: TradingActor, workspaceId: string, body: CreateSmartTradeBody, idempotencyKey: string) =>
    idempotency.run(workspaceId, idempotencyKey, 'POST smart-trades', body, async () => {
      const account = await accounts.get(workspaceId, body.account)
      if (!account.canTrade) throw new AppError('CONFLICT', `"${account.label}" cannot trade now: its key is not active`)
      accounts.assertSymbolsFit(account, [body.config.symbol])
      if (account.market === 'spot' && body.config.direction === 'short') throw new AppError('BAD_INPUT', 'a spot trade can only go long')
      if (await runtime.isHalted(workspaceId)) throw new AppError('CONFLICT', 'trading is halted in this workspace (kill switch): lift the halt first', { reason: 'TRADING_HALTED' })
      const config: SmartTradeConfig = body.config
      const name = body.name ?? `${config.direction === 'long' ? 'Long' : 'Short'} ${config.symbol}`
      const row = await insertBot(actor, workspaceId, { kind: 'smart_trade', name, accountKind: body.account.kind, accountId: body.account.id, config })
      await runtime.startBot(row.id)
      return { status: 201, body: await view(await rowOf(workspaceId, row.id)) }
    })

  /** Close at market (cancel what rests, sell/buy back the rest); a repeat with the same key returns the first answer. */
  const closeSmartTrade = (actor: TradingActor, workspaceId: string, id: string, idempotencyKey: string) =>
    idempotency.run(workspaceId, idempotencyKey, `POST smart-trades/${id}/close`, {}, async () => {
      await command(actor, workspaceId, id, 'close')
      return { status: 200, body: await get(workspaceId, id) }
    })

  const cancelSmartTrade = async (actor: TradingActor, workspaceId: string, id: string) => {
    await command(actor, workspaceId, id, 'cancel')
    return get(workspaceId, id)
  }

  const command = async (actor: TradingActor, workspaceId: string, id: string, which: 'close' | 'cancel') => {
    const row = await rowOf(workspaceId, id, 'smart_trade')
    if (row.status !== 'running' && row.status !== 'paused') throw new AppError('CONFLICT', `this smart trade is ${row.status}: there is nothing to ${which}`)
    await audit.append({ workspaceId, type: which === 'close' ? 'smart_trade_close_requested' : 'smart_trade_cancel_requested', actor: auditActor(actor), outcome: 'success', details: { botId: id } })
    await runtime.deliver(id, { type: 'command', command: which, time: clock.now().getTime() })
  }

  /** A new signal bot is a draft on a demo account (real accounts come by promotion); webhook bots get their secret now. */
  const createSignalBot = async (actor: TradingActor, workspaceId: string, body: CreateSignalBotBody) => {
    const account = await accounts.get(workspaceId, { kind: 'demo', id: body.demoAccountId })
    accounts.assertSymbolsFit(account, body.config.symbols)
    if (account.market === 'spot' && body.config.sides !== 'long') throw new AppError('BAD_INPUT', 'a bot on a spot account can only go long (sides: "long")')
    const id = newId(clock.now().getTime())
    const secret = body.config.source.kind === 'webhook' ? generateWebhookSecret() : null
    const row = await insertBot(actor, workspaceId, {
      id,
      kind: 'signal_bot',
      name: body.name,
      accountKind: 'demo',
      accountId: account.id,
      config: body.config,
      ...(secret === null ? {} : { webhookSecretSealed: sealWebhookSecret(deps.webhookKey, id, secret) }),
    })
    return { bot: await view(row), webhook: secret === null ? null : webhookInfo(deps.publicOrigin, id, secret, body.config) }
  }

  const editSignalBot = async (actor: TradingActor, workspaceId: string, id: string, body: { name?: string | undefined; config?: SignalBotConfig | undefined }) => {
    const row = await rowOf(workspaceId, id, 'signal_bot')
    if (row.status === 'running') throw new AppError('CONFLICT', 'stop or pause the bot before changing it')
    const config = body.config ?? (row.config as SignalBotConfig)
    if (body.config) {
      const account = await accounts.get(workspaceId, { kind: row.accountKind, id: row.accountId })
      accounts.assertSymbolsFit(account, config.symbols)
    }
    // A webhook bot that had no secret (it was an indicator bot) gets one now.
    const needsSecret = config.source.kind === 'webhook' && row.webhookSecretSealed === null
    await db
      .update(schema.bots)
      .set({ name: body.name ?? row.name, config, updatedAt: clock.now(), ...(needsSecret ? { webhookSecretSealed: sealWebhookSecret(deps.webhookKey, id, generateWebhookSecret()) } : {}) })
      .where(eq(schema.bots.id, id))
    await audit.append({ workspaceId, type: 'signal_bot_changed', actor: auditActor(actor), outcome: 'success', details: { botId: id, fields: Object.keys(body).join(',') } })
    return get(workspaceId, id)
  }

  const start = async (actor: TradingActor, workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id)
    if (row.status === 'finished') throw new AppError('CONFLICT', 'this smart trade has finished: create a new one')
    if (await runtime.isHalted(workspaceId)) throw new AppError('CONFLICT', 'trading is halted in this workspace (kill switch): lift the halt first', { reason: 'TRADING_HALTED' })
    if (row.accountKind === 'exchange') {
      const account = await accounts.get(workspaceId, { kind: row.accountKind, id: row.accountId })
      if (!account.canTrade) throw new AppError('CONFLICT', `"${account.label}" cannot trade now: its key is not active`)
    }
    await runtime.startBot(id)
    await audit.append({ workspaceId, type: 'bot_started', actor: auditActor(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  const pause = async (actor: TradingActor, workspaceId: string, id: string) => {
    await rowOf(workspaceId, id)
    await runtime.pauseBot(id, 'paused by a user')
    await audit.append({ workspaceId, type: 'bot_paused', actor: auditActor(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  const stop = async (actor: TradingActor, workspaceId: string, id: string) => {
    await rowOf(workspaceId, id)
    await runtime.stopBot(id, 'stopped by a user')
    await audit.append({ workspaceId, type: 'bot_stopped', actor: auditActor(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  /** The webhook URL, secret and TradingView message (the route asks for step-up: the secret can trade). */
  const webhook = async (workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id, 'signal_bot')
    const config = row.config as SignalBotConfig
    if (config.source.kind !== 'webhook' || row.webhookSecretSealed === null) throw new AppError('CONFLICT', 'this bot acts on indicator signals: it has no webhook')
    return webhookInfo(deps.publicOrigin, id, openWebhookSecret(deps.webhookKey, id, row.webhookSecretSealed), config)
  }

  /** A new secret; the old one stops working at once. */
  const rotateWebhookSecret = async (actor: TradingActor, workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id, 'signal_bot')
    if ((row.config as SignalBotConfig).source.kind !== 'webhook') throw new AppError('CONFLICT', 'this bot acts on indicator signals: it has no webhook')
    await db.update(schema.bots).set({ webhookSecretSealed: sealWebhookSecret(deps.webhookKey, id, generateWebhookSecret()), updatedAt: clock.now() }).where(eq(schema.bots.id, id))
    await audit.append({ workspaceId, type: 'webhook_secret_rotated', actor: auditActor(actor), outcome: 'success', details: { botId: id } })
    return webhook(workspaceId, id)
  }

  return { list, get, rowOf, view, createSmartTrade, closeSmartTrade, cancelSmartTrade, createSignalBot, editSignalBot, start, pause, stop, webhook, rotateWebhookSecret }
}
export type BotService = ReturnType<typeof createBotService>
