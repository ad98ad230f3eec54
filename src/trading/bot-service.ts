import { and, desc, eq, ne } from 'drizzle-orm'
import { canonicalJson } from '../crypto/index.js'
import { schema, type BotKind, type Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { AuditChain } from '../monitoring/index.js'
import type { z } from 'zod'
import { smartTradeConfigSchema, type BotApiView, type CreateSignalBotBody, type CreateSmartTradeBody, type editSmartTradeBody, type SignalBotConfig, type SmartTradeConfig } from './trading-api-types.js'
import type { TradingAccounts } from './trading-accounts.js'
import type { IntentView, PriceSource, TradingActor } from './trading-types.js'
import { assertMayTradeOn, auditFieldsOf } from './account-grants.js'
import type { Idempotency } from './idempotency.js'
import { pnlOfIntents } from './risk/index.js'
import { generateWebhookSecret, openWebhookSecret, sealWebhookSecret, validateAllowIps, webhookInfo } from './signals/index.js'
import { machineStateOf, type BotRuntime } from './runtime/index.js'

export type BotRow = typeof schema.bots.$inferSelect
export type { TradingActor } from './trading-types.js'
export type EditSmartTradeBody = z.infer<typeof editSmartTradeBody>

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

/** A webhook bot's allowlist is checked when it is saved, not when the first signal is refused. */
const checkSource = (config: SignalBotConfig) => {
  if (config.source.kind === 'webhook') validateAllowIps(config.source.allowIps)
}

const haltedMessage = 'trading is halted in this workspace (kill switch): lift the halt first'

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
    await audit.append({ workspaceId, type: input.kind === 'smart_trade' ? 'smart_trade_created' : 'signal_bot_created', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id, accountKind: input.accountKind, accountId: input.accountId } })
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

  /**
   * The bot's row, when the actor may act on its account (per-member grants): a refusal comes before any
   * Idempotency-Key is taken, so it neither writes nor burns the key for someone who may.
   */
  const grantedRowOf = async (actor: TradingActor, workspaceId: string, id: string, kind?: BotKind): Promise<BotRow> => {
    const row = await rowOf(workspaceId, id, kind)
    assertMayTradeOn(actor, { kind: row.accountKind, id: row.accountId })
    return row
  }

  /** A Smart Trade starts at once; a repeat with the same Idempotency-Key returns the first answer. */
  const createSmartTrade = async (actor: TradingActor, workspaceId: string, body: CreateSmartTradeBody, idempotencyKey: string) => {
    assertMayTradeOn(actor, body.account)
    return idempotency.run(workspaceId, idempotencyKey, 'POST smart-trades', body, async () => {
      const account = await accounts.get(workspaceId, body.account)
      if (!account.canTrade) throw new AppError('CONFLICT', `"${account.label}" cannot trade now: its key is not active`)
      accounts.assertSymbolsFit(account, [body.config.symbol])
      if (account.market === 'spot' && body.config.direction === 'short') throw new AppError('BAD_INPUT', 'a spot trade can only go long')
      if (await runtime.isHalted(workspaceId)) throw new AppError('CONFLICT', haltedMessage, { reason: 'TRADING_HALTED' })
      const config: SmartTradeConfig = body.config
      const name = body.name ?? `${config.direction === 'long' ? 'Long' : 'Short'} ${config.symbol}`
      const row = await insertBot(actor, workspaceId, { kind: 'smart_trade', name, accountKind: body.account.kind, accountId: body.account.id, config })
      try {
        await runtime.startBot(row.id)
      } catch (err) {
        // Refused before it ran (a halt that came in between, say): nothing was sent, so nothing is left
        // behind either. Once it ran, its orders may exist: it stays, and the answer says what it is.
        const [after] = await db.select({ status: schema.bots.status }).from(schema.bots).where(eq(schema.bots.id, row.id))
        if (after?.status !== 'draft') return { status: 201, body: await view(await rowOf(workspaceId, row.id)) }
        await db.delete(schema.bots).where(and(eq(schema.bots.id, row.id), eq(schema.bots.status, 'draft')))
        throw err
      }
      return { status: 201, body: await view(await rowOf(workspaceId, row.id)) }
    })
  }

  /** Whether a smart trade is over for good (its machine finished, whatever the row's status says). */
  const hasEnded = (row: BotRow) => row.status === 'finished' || (row.kind === 'smart_trade' && runtime.liveOf(row).finishedAt != null)

  /**
   * A trade that is not running (paused, stopped, failed) is started first: a trader who closes a paused
   * trade expects it closed, not an error. The kill switch still wins: no order leaves while it is on.
   */
  const ensureDriven = async (workspaceId: string, row: BotRow, what: string) => {
    if (row.status === 'running') return
    if (await runtime.isHalted(workspaceId)) throw new AppError('CONFLICT', `trading is halted in this workspace (kill switch): no order can leave, so the trade cannot ${what} now; lift the halt first`, { reason: 'TRADING_HALTED' })
    await runtime.startBot(row.id)
  }

  /** Close at market (cancel what rests, sell/buy back the rest); a repeat with the same key returns the first answer. */
  const closeSmartTrade = async (actor: TradingActor, workspaceId: string, id: string, idempotencyKey: string) => {
    await grantedRowOf(actor, workspaceId, id, 'smart_trade')
    return idempotency.run(workspaceId, idempotencyKey, `POST smart-trades/${id}/close`, {}, async () => {
      await command(actor, workspaceId, id, 'close')
      return { status: 200, body: await get(workspaceId, id) }
    })
  }

  const cancelSmartTrade = async (actor: TradingActor, workspaceId: string, id: string) => {
    await command(actor, workspaceId, id, 'cancel')
    return get(workspaceId, id)
  }

  const command = async (actor: TradingActor, workspaceId: string, id: string, which: 'close' | 'cancel') => {
    const row = await grantedRowOf(actor, workspaceId, id, 'smart_trade')
    if (row.status === 'draft' || hasEnded(row)) throw new AppError('CONFLICT', `this smart trade is ${row.status === 'draft' ? 'a draft' : 'over'}: there is nothing to ${which}`)
    await audit.append({ workspaceId, type: which === 'close' ? 'smart_trade_close_requested' : 'smart_trade_cancel_requested', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id } })
    await ensureDriven(workspaceId, row, which === 'close' ? 'close' : 'cancel its orders')
    await runtime.deliver(id, { type: 'command', command: which, time: clock.now().getTime() })
  }

  /**
   * New exits for a running smart trade. The body is the whole new set, as the edit form sends it: an
   * absent stop, target list or timeout is removed. Targets change only before the position opens (the
   * machine leaves resting targets alone); the stop and the timeout move at any time until it closes.
   */
  const editSmartTrade = async (actor: TradingActor, workspaceId: string, id: string, body: EditSmartTradeBody) => {
    const row = await grantedRowOf(actor, workspaceId, id, 'smart_trade')
    if (row.status !== 'running' || hasEnded(row)) throw new AppError('CONFLICT', `this smart trade is ${hasEnded(row) ? 'over' : row.status}: ${row.status === 'paused' ? 'start it, then change its exits' : 'there is nothing to change'}`)
    const current = row.config as SmartTradeConfig
    const { takeProfit: _tp, stopLoss: _sl, timeoutSeconds: _t, ...fixed } = current
    const checked = smartTradeConfigSchema.safeParse({ ...fixed, ...dropUndefined(body) })
    if (!checked.success) {
      const issue = checked.error.issues[0]
      throw new AppError('BAD_INPUT', `${['body', ...(issue?.path ?? []).map(String)].join('.')}: ${issue?.message ?? 'is invalid'}`)
    }
    const isSame = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null)
    const targetsChange = !isSame(body.takeProfit, current.takeProfit)
    const phase = runtime.liveOf(row).phase
    if (targetsChange && phase !== 'waiting' && phase !== 'entering') {
      throw new AppError('CONFLICT', 'the take-profit orders already rest on the exchange: the targets can no longer change (the stop and the timeout can); close the trade to exit differently', { reason: 'TARGETS_PLACED' })
    }
    if (phase === 'closing') throw new AppError('CONFLICT', 'this smart trade is closing: there is nothing to change')
    await runtime.deliver(id, {
      type: 'edit',
      ...(targetsChange ? { takeProfit: body.takeProfit ?? null } : {}),
      ...(isSame(body.stopLoss, current.stopLoss) ? {} : { stopLoss: body.stopLoss ?? null }),
      ...(isSame(body.timeoutSeconds, current.timeoutSeconds) ? {} : { timeoutSeconds: body.timeoutSeconds ?? null }),
      time: clock.now().getTime(),
    })
    // The row shows what the machine now has: the entry may have filled before the edit was applied.
    const after = await rowOf(workspaceId, id, 'smart_trade')
    const applied = (machineStateOf(after.state) as { config?: SmartTradeConfig } | null)?.config ?? checked.data
    await db.update(schema.bots).set({ config: applied, updatedAt: clock.now() }).where(eq(schema.bots.id, id))
    await audit.append({ workspaceId, type: 'smart_trade_changed', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id, fields: Object.keys(body).join(',') } })
    if (targetsChange && !isSame(applied.takeProfit, body.takeProfit)) {
      throw new AppError('CONFLICT', 'the entry filled and its targets were placed before this change arrived: the stop and the timeout changed, the targets did not', { reason: 'TARGETS_PLACED' })
    }
    return get(workspaceId, id)
  }

  /**
   * A new signal bot is a draft on a demo account (real accounts come by promotion); webhook bots get their
   * secret now. Demo accounts are never narrowed by grants.
   */
  const createSignalBot = async (actor: TradingActor, workspaceId: string, body: CreateSignalBotBody) => {
    checkSource(body.config)
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

  /**
   * A stopped or paused bot's name and config.
   * KNOWN LIMIT (reported): a bot that has run resumes with the config its machine started with; only the
   * runtime's reads (symbols subscribed, risk limits, indicator) see a new one until the machine adopts it.
   */
  const editSignalBot = async (actor: TradingActor, workspaceId: string, id: string, body: { name?: string | undefined; config?: SignalBotConfig | undefined }) => {
    const row = await grantedRowOf(actor, workspaceId, id, 'signal_bot')
    if (row.status === 'running') throw new AppError('CONFLICT', 'stop or pause the bot before changing it')
    const config = body.config ?? (row.config as SignalBotConfig)
    if (body.config) {
      checkSource(config)
      const account = await accounts.get(workspaceId, { kind: row.accountKind, id: row.accountId })
      accounts.assertSymbolsFit(account, config.symbols)
      if (account.market === 'spot' && config.sides !== 'long') throw new AppError('BAD_INPUT', 'a bot on a spot account can only go long (sides: "long")')
    }
    // A webhook bot that had no secret (it was an indicator bot) gets one now.
    const needsSecret = config.source.kind === 'webhook' && row.webhookSecretSealed === null
    // A bot that has run resumes from its stored machine: the new settings go there too, for the positions
    // it opens from now on (open positions keep the exits they were opened with).
    const machine = machineStateOf(row.state) as { kind?: string; config?: unknown } | null
    const state = body.config !== undefined && machine !== null && machine.kind === 'signal_bot' ? { ...(row.state as object), machine: { ...machine, config } } : row.state
    const changed = await db
      .update(schema.bots)
      .set({ name: body.name ?? row.name, config, state, version: row.version + 1, updatedAt: clock.now(), ...(needsSecret ? { webhookSecretSealed: sealWebhookSecret(deps.webhookKey, id, generateWebhookSecret()) } : {}) })
      // Only the row that was checked: a start in between wins, and this change is refused.
      .where(and(eq(schema.bots.id, id), eq(schema.bots.version, row.version), ne(schema.bots.status, 'running')))
      .returning({ id: schema.bots.id })
    if (changed.length === 0) throw new AppError('CONFLICT', 'the bot changed meanwhile (started?): reload it and try again')
    await audit.append({ workspaceId, type: 'signal_bot_changed', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id, fields: Object.keys(body).join(',') } })
    return get(workspaceId, id)
  }

  const start = async (actor: TradingActor, workspaceId: string, id: string) => {
    const row = await grantedRowOf(actor, workspaceId, id)
    if (hasEnded(row)) throw new AppError('CONFLICT', 'this smart trade is over: create a new one')
    // A signal bot that stopped itself (a drained rejection, symbols its account cannot trade) would resume
    // as a machine that ignores every signal while its status says running: refused instead.
    const live = row.kind === 'signal_bot' ? (runtime.liveOf(row) as { finished?: boolean; stopping?: { reason?: string } | null }) : {}
    if (live.finished === true) throw new AppError('CONFLICT', `this bot stopped itself (${live.stopping?.reason ?? row.statusReason ?? 'finished'}) and cannot run again: create a new bot`, { reason: 'BOT_FINISHED' })
    if (await runtime.isHalted(workspaceId)) throw new AppError('CONFLICT', haltedMessage, { reason: 'TRADING_HALTED' })
    if (row.accountKind === 'exchange') {
      const account = await accounts.get(workspaceId, { kind: row.accountKind, id: row.accountId })
      if (!account.canTrade) throw new AppError('CONFLICT', `"${account.label}" cannot trade now: its key is not active`)
    }
    await runtime.startBot(id)
    await audit.append({ workspaceId, type: 'bot_started', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  const pause = async (actor: TradingActor, workspaceId: string, id: string) => {
    await grantedRowOf(actor, workspaceId, id)
    await runtime.pauseBot(id, 'paused by a user')
    await audit.append({ workspaceId, type: 'bot_paused', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  /** Not narrowed by grants: stopping is always safe (account-grants.ts). */
  const stop = async (actor: TradingActor, workspaceId: string, id: string) => {
    await rowOf(workspaceId, id)
    await runtime.stopBot(id, 'stopped by a user')
    await audit.append({ workspaceId, type: 'bot_stopped', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id } })
    return get(workspaceId, id)
  }

  /**
   * The webhook URL, secret and TradingView message (the route asks for step-up: the secret can trade, so
   * a promoted bot's secret is for those granted its exchange account).
   */
  const webhook = async (actor: TradingActor, workspaceId: string, id: string) => {
    const row = await grantedRowOf(actor, workspaceId, id, 'signal_bot')
    const config = row.config as SignalBotConfig
    if (config.source.kind !== 'webhook' || row.webhookSecretSealed === null) throw new AppError('CONFLICT', 'this bot acts on indicator signals: it has no webhook')
    return webhookInfo(deps.publicOrigin, id, openWebhookSecret(deps.webhookKey, id, row.webhookSecretSealed), config)
  }

  /** A new secret; the old one stops working at once. */
  const rotateWebhookSecret = async (actor: TradingActor, workspaceId: string, id: string) => {
    const row = await grantedRowOf(actor, workspaceId, id, 'signal_bot')
    if ((row.config as SignalBotConfig).source.kind !== 'webhook') throw new AppError('CONFLICT', 'this bot acts on indicator signals: it has no webhook')
    await db.update(schema.bots).set({ webhookSecretSealed: sealWebhookSecret(deps.webhookKey, id, generateWebhookSecret()), updatedAt: clock.now() }).where(eq(schema.bots.id, id))
    await audit.append({ workspaceId, type: 'webhook_secret_rotated', ...auditFieldsOf(actor), outcome: 'success', details: { botId: id } })
    return webhook(actor, workspaceId, id)
  }

  return { list, get, rowOf, view, createSmartTrade, closeSmartTrade, cancelSmartTrade, editSmartTrade, createSignalBot, editSignalBot, start, pause, stop, webhook, rotateWebhookSecret }
}
export type BotService = ReturnType<typeof createBotService>

const dropUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
