import { sql } from 'drizzle-orm'
import { pgTable, text, uuid, timestamp, boolean, bigint, jsonb, primaryKey, index, uniqueIndex, check, integer, numeric } from 'drizzle-orm/pg-core'
import { users, workspaces } from './schema.js'

/**
 * Trading (src/trading): bots and smart trades, the order journal, signals, leases. Re-exported by
 * schema.ts so drizzle-kit and `schema.*` see one schema. Amounts are `numeric` (decimal strings in TS).
 */

export const accountKinds = ['demo', 'exchange'] as const
export type TradingAccountKind = (typeof accountKinds)[number]

export const botKinds = ['smart_trade', 'signal_bot'] as const
export type BotKind = (typeof botKinds)[number]

/** draft → running ⇄ paused → stopped; a smart trade ends `finished`; an exception leaves `failed`. */
export const botStatuses = ['draft', 'running', 'paused', 'stopped', 'finished', 'failed'] as const
export type BotStatus = (typeof botStatuses)[number]

/**
 * Smart trades and signal bots: one row each, driven by the runtime that holds its lease. `state` is
 * the machine's state, written on every transition with a compare-and-swap on `version` (and the lease).
 */
export const bots = pgTable(
  'bots',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: botKinds }).notNull(),
    name: text('name').notNull(),
    accountKind: text('account_kind', { enum: accountKinds }).notNull(),
    /** demo_accounts.id or exchange_accounts.id. */
    accountId: uuid('account_id').notNull(),
    config: jsonb('config').notNull(),
    state: jsonb('state').notNull(),
    status: text('status', { enum: botStatuses }).notNull(),
    /** Why it stopped, paused or failed, in words. */
    statusReason: text('status_reason'),
    version: integer('version').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** Webhook secret of a signal bot, AES-256-GCM under the platform's webhook key (AAD: bot id). */
    webhookSecretSealed: text('webhook_secret_sealed'),
    /** The demo account it ran on before its promotion to a real account (its record stays there). */
    promotedFromAccountId: uuid('promoted_from_account_id'),
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
  },
  (t) => [
    index('bots_workspace_idx').on(t.workspaceId, t.createdAt),
    index('bots_runnable_idx').on(t.status, t.leaseExpiresAt),
    check('bots_kind_valid', sql`${t.kind} in ('smart_trade', 'signal_bot')`),
    check('bots_account_kind_valid', sql`${t.accountKind} in ('demo', 'exchange')`),
    check('bots_status_valid', sql`${t.status} in ('draft', 'running', 'paused', 'stopped', 'finished', 'failed')`),
  ],
)

export const intentStates = ['intent', 'sent', 'acknowledged', 'partially_filled', 'filled', 'cancelled', 'rejected', 'unknown'] as const
export type IntentState = (typeof intentStates)[number]

/**
 * The order journal: every order intent, written before it is sent (DESIGN.md "Orders are never sent
 * twice"). `intent_key` is the bot's own name for the order ("t1.entry"): the same key is the same
 * intent, so a machine that repeats a command after a restart cannot make a second order.
 */
export const orderIntents = pgTable(
  'order_intents',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    botId: uuid('bot_id').references(() => bots.id, { onDelete: 'set null' }),
    intentKey: text('intent_key').notNull(),
    accountKind: text('account_kind', { enum: accountKinds }).notNull(),
    accountId: uuid('account_id').notNull(),
    /** Catalogue venue id, or demo-spot / demo-futures. */
    venue: text('venue').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side').notNull(),
    type: text('type').notNull(),
    amount: numeric('amount').notNull(),
    price: numeric('price'),
    stopPrice: numeric('stop_price'),
    reduceOnly: boolean('reduce_only').notNull().default(false),
    /** entry, take_profit, stop_loss, close, signal… (what the bot placed it for). */
    purpose: text('purpose').notNull(),
    /** Deterministic, in the venue's format: the handle reconciliation finds the order by. */
    clientOrderId: text('client_order_id').notNull(),
    state: text('state', { enum: intentStates }).notNull(),
    exchangeOrderId: text('exchange_order_id'),
    filled: numeric('filled').notNull().default('0'),
    average: numeric('average'),
    fee: numeric('fee'),
    feeCurrency: text('fee_currency'),
    /** The exchange's or the risk guard's reason for a rejection; why an intent is unknown. */
    reason: text('reason'),
    /** True once reconciliation gave up on an unknown intent of an at-most-once venue (reported, never re-sent). */
    unresolved: boolean('unresolved').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('order_intents_bot_key').on(t.botId, t.intentKey),
    uniqueIndex('order_intents_client_id').on(t.accountKind, t.accountId, t.clientOrderId),
    index('order_intents_open_idx').on(t.state, t.updatedAt),
    index('order_intents_workspace_idx').on(t.workspaceId, t.createdAt),
    // The live stream (src/live): the newest change of a workspace's demo or exchange orders, every second.
    index('order_intents_workspace_changed_idx').on(t.workspaceId, t.accountKind, t.updatedAt),
    index('order_intents_account_idx').on(t.accountKind, t.accountId, t.symbol),
    check('order_intents_state_valid', sql`${t.state} in ('intent', 'sent', 'acknowledged', 'partially_filled', 'filled', 'cancelled', 'rejected', 'unknown')`),
  ],
)

/** Every signal a bot received (webhook or indicator), with its verdict. */
export const botSignals = pgTable(
  'bot_signals',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull(),
    source: text('source').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    /** The sender's id for idempotency; at most one accepted signal per id and bot. */
    signalId: text('signal_id'),
    action: text('action'),
    verdict: text('verdict').notNull(),
    /** The error code of a refusal. */
    code: text('code'),
    message: text('message').notNull(),
    sourceIp: text('source_ip'),
    details: jsonb('details').notNull(),
  },
  (t) => [
    index('bot_signals_bot_idx').on(t.botId, t.receivedAt),
    uniqueIndex('bot_signals_signal_id').on(t.botId, t.signalId).where(sql`${t.signalId} is not null and ${t.verdict} = 'accepted'`),
    check('bot_signals_verdict_valid', sql`${t.verdict} in ('accepted', 'rejected')`),
  ],
)

/** One row per bot runtime (api instance): its heartbeat, read by the others to find a stalled one. */
export const tradingRuntimes = pgTable('trading_runtimes', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull(),
  stoppedAt: timestamp('stopped_at', { withTimezone: true }),
  stallReportedAt: timestamp('stall_reported_at', { withTimezone: true }),
})

/** `Idempotency-Key` of user order requests: a repeat with the same key returns the first result. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** Method and route: a key reused for a different request is refused. */
    scope: text('scope').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    response: jsonb('response'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.key] })],
)

/** Risk limits of one trading account (demo or exchange); each bot adds its own in its config. */
export const accountRiskLimits = pgTable(
  'account_risk_limits',
  {
    accountKind: text('account_kind', { enum: accountKinds }).notNull(),
    accountId: uuid('account_id').notNull(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    limits: jsonb('limits').notNull(),
    updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountKind, t.accountId] })],
)

/** The workspace-wide kill switch: while set, no bot of the workspace runs and no order is sent. */
export const tradingHalts = pgTable('trading_halts', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  haltedAt: timestamp('halted_at', { withTimezone: true }).notNull(),
  haltedBy: uuid('halted_by').references(() => users.id, { onDelete: 'set null' }),
  reason: text('reason').notNull(),
})

/** Foreign-order detection: how far each exchange account's trades have been compared with the journal. */
export const reconcileCursors = pgTable('reconcile_cursors', {
  exchangeAccountId: uuid('exchange_account_id').primaryKey(),
  /** Exchange time (Unix ms) up to which trades were compared. */
  tradesUntil: bigint('trades_until', { mode: 'number' }).notNull(),
  scannedAt: timestamp('scanned_at', { withTimezone: true }).notNull(),
})
