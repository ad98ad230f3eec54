import { sql } from 'drizzle-orm'
import { pgTable, text, uuid, timestamp, bigint, jsonb, index, uniqueIndex, check, integer } from 'drizzle-orm/pg-core'
import { alerts, users, workspaces } from './schema.js'

/**
 * Watching and responding (src/monitoring, src/incident, src/keys hygiene): workspace settings, incidents,
 * notification channels and deliveries, audit archives. Re-exported by schema.ts.
 */

/**
 * Per-workspace settings of the watching domains, one JSON document validated in code
 * (`src/monitoring/workspace-settings.ts`): alert rules, key hygiene, audit retention, lockdown.
 */
export const workspaceSettings = pgTable('workspace_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  settings: jsonb('settings').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
})

export const incidentStates = ['open', 'unlocking', 'resolved'] as const
export type IncidentState = (typeof incidentStates)[number]

/** A lockdown opens an incident; the workspace stays locked until it is resolved by an unlock. */
export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    state: text('state', { enum: incidentStates }).notNull(),
    /** web | cli | emergency_link | system */
    trigger: text('trigger').notNull(),
    /** cancel | cancel_and_close | leave */
    ordersMode: text('orders_mode').notNull(),
    reason: text('reason').notNull(),
    openedByType: text('opened_by_type').notNull(),
    openedById: text('opened_by_id'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    /** Set when an unlock was requested (password + second factor); the emailed confirmation and the cooling-off follow. */
    unlockRequestedAt: timestamp('unlock_requested_at', { withTimezone: true }),
    unlockRequestedBy: uuid('unlock_requested_by').references(() => users.id, { onDelete: 'set null' }),
    unlockConfirmedAt: timestamp('unlock_confirmed_at', { withTimezone: true }),
    /** Earliest moment the unlock takes effect (confirmation time + cooling-off). */
    unlockNotBefore: timestamp('unlock_not_before', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** Counts and outcomes of the lockdown steps (keys disabled, bots stopped, orders cancelled, sessions ended). */
    summary: jsonb('summary').notNull(),
  },
  (t) => [
    index('incidents_workspace_idx').on(t.workspaceId, t.openedAt),
    // At most one incident that is not resolved per workspace: a second lockdown joins the open one.
    uniqueIndex('incidents_one_open_key').on(t.workspaceId).where(sql`${t.state} <> 'resolved'`),
    check('incidents_state_valid', sql`${t.state} in ('open', 'unlocking', 'resolved')`),
    check('incidents_orders_mode_valid', sql`${t.ordersMode} in ('cancel', 'cancel_and_close', 'leave')`),
  ],
)

/** The incident's timeline: every step of the lockdown and the unlock, in order. */
export const incidentEvents = pgTable(
  'incident_events',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    kind: text('kind').notNull(),
    outcome: text('outcome').notNull(),
    details: jsonb('details').notNull(),
  },
  (t) => [index('incident_events_incident_idx').on(t.incidentId, t.at), check('incident_events_outcome_valid', sql`${t.outcome} in ('success', 'failure', 'skipped')`)],
)

export const channelKinds = ['email', 'telegram', 'webhook'] as const
export type ChannelKind = (typeof channelKinds)[number]
export const channelStates = ['pending', 'active', 'disabled'] as const
export type ChannelState = (typeof channelStates)[number]

/**
 * Where a workspace's alerts go besides the in-app inbox. Telegram: `config.chatId` once linked (pending
 * until the user sends the one-time code to the bot). Webhook: `config.url`; its signing secret is
 * sealed at rest (`secretSealed`, AES-256-GCM, AAD = channel id), shown once at creation.
 */
export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The member the channel belongs to (email, Telegram); null for a workspace webhook. */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: channelKinds }).notNull(),
    label: text('label').notNull(),
    state: text('state', { enum: channelStates }).notNull(),
    /** Lowest severity delivered: info | warning | critical. */
    minSeverity: text('min_severity').notNull(),
    config: jsonb('config').notNull(),
    secretSealed: text('secret_sealed'),
    /** SHA-256 of the one-time Telegram link code while pending. */
    linkCodeHash: text('link_code_hash'),
    linkCodeExpiresAt: timestamp('link_code_expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('notification_channels_workspace_idx').on(t.workspaceId),
    uniqueIndex('notification_channels_link_code_key').on(t.linkCodeHash),
    check('notification_channels_kind_valid', sql`${t.kind} in ('email', 'telegram', 'webhook')`),
    check('notification_channels_state_valid', sql`${t.state} in ('pending', 'active', 'disabled')`),
    check('notification_channels_severity_valid', sql`${t.minSeverity} in ('info', 'warning', 'critical')`),
  ],
)

export const deliveryStates = ['pending', 'delivered', 'failed', 'dead'] as const
export type DeliveryState = (typeof deliveryStates)[number]

/** One alert to one channel: retried with backoff until delivered or dead; the delivery log users see. */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: uuid('id').primaryKey(),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    state: text('state', { enum: deliveryStates }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notification_deliveries_alert_channel_key').on(t.alertId, t.channelId),
    index('notification_deliveries_due_idx').on(t.state, t.nextAttemptAt),
    index('notification_deliveries_workspace_idx').on(t.workspaceId, t.createdAt),
    check('notification_deliveries_state_valid', sql`${t.state} in ('pending', 'delivered', 'failed', 'dead')`),
  ],
)

/**
 * Audit segments moved out of `audit_events` into compressed files (retention). The segment's last hash
 * is the anchor the live chain continues from; `verify` checks the file against it and the checkpoints.
 */
export const auditArchives = pgTable(
  'audit_archives',
  {
    id: uuid('id').primaryKey(),
    chain: text('chain').notNull(),
    fromSeq: bigint('from_seq', { mode: 'number' }).notNull(),
    toSeq: bigint('to_seq', { mode: 'number' }).notNull(),
    /** prev_hash of fromSeq and hash of toSeq. */
    firstPrevHash: text('first_prev_hash').notNull(),
    lastHash: text('last_hash').notNull(),
    file: text('file').notNull(),
    fileSha256: text('file_sha256').notNull(),
    entries: integer('entries').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('audit_archives_chain_from_key').on(t.chain, t.fromSeq)],
)
