import { sql } from 'drizzle-orm'
import { pgTable, text, uuid, timestamp, boolean, bigint, jsonb, primaryKey, index, uniqueIndex, check, integer } from 'drizzle-orm/pg-core'

/**
 * The api's schema. Everything here must run unchanged on PGlite (Postgres 18) and PostgreSQL 15:
 * use nothing newer than 15. Money columns are `numeric`; ids are UUIDv7 generated in code.
 */

export const roles = ['owner', 'admin', 'trader', 'viewer'] as const
export type Role = (typeof roles)[number]

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    /** Stored lower-cased; the login. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** argon2id PHC string; null until a password is set. */
    passwordHash: text('password_hash'),
    isOperator: boolean('is_operator').notNull().default(false),
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    // At most one operator per instance.
    uniqueIndex('users_single_operator').on(t.isOperator).where(sql`${t.isOperator}`),
    check('users_email_lowercase', sql`${t.email} = lower(${t.email})`),
  ],
)

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  isPersonal: boolean('is_personal').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
})

export const memberships = pgTable(
  'memberships',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: roles }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    check('memberships_role_valid', sql`${t.role} in ('owner', 'admin', 'trader', 'viewer')`),
  ],
)

/** One-time token printed at first start; whoever presents it first becomes the operator. Stored hashed. */
export const setupTokens = pgTable('setup_tokens', {
  id: uuid('id').primaryKey(),
  tokenHash: text('token_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
})

/**
 * Append-only, hash-chained audit log: one chain per workspace (`ws:<id>`) plus `system`.
 * hash = SHA-256(prev_hash ‖ canonical JSON of the entry). Rows are never updated or deleted by the app.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    chain: text('chain').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    workspaceId: uuid('workspace_id'),
    type: text('type').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    ip: text('ip'),
    requestId: text('request_id'),
    outcome: text('outcome').notNull(),
    details: jsonb('details').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chain, t.seq] }),
    index('audit_events_workspace_time_idx').on(t.workspaceId, t.occurredAt),
    check('audit_events_outcome_valid', sql`${t.outcome} in ('success', 'failure', 'denied')`),
  ],
)

/** The head of each chain; its row lock serializes appends to that chain across connections and instances. */
export const auditChainHeads = pgTable('audit_chain_heads', {
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
})

export const alertSeverities = ['info', 'warning', 'critical'] as const
export type AlertSeverity = (typeof alertSeverities)[number]

/** In-app alerts; a null workspace is an instance (operator) alert. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    rule: text('rule').notNull(),
    severity: text('severity', { enum: alertSeverities }).notNull(),
    details: jsonb('details').notNull(),
    /** Same key within the rule's window: the alert is counted, not repeated. */
    dedupKey: text('dedup_key'),
    occurrences: integer('occurrences').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    index('alerts_workspace_time_idx').on(t.workspaceId, t.createdAt),
    check('alerts_severity_valid', sql`${t.severity} in ('info', 'warning', 'critical')`),
  ],
)

/** Outgoing email, written in the same transaction as the change it reports; delivered by a sender (or read from the CLI). */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    template: text('template').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('email_outbox_pending_idx').on(t.sentAt, t.createdAt)],
)

/**
 * Sign-in sessions. The browser holds an opaque 256-bit token in a `__Host-` cookie; the database holds
 * only its SHA-256, so a dump of this table opens no session.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** When the user last proved who they are (sign-in now; step-up later). */
    authenticatedAt: timestamp('authenticated_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    /** Absolute end, whatever the activity. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('sessions_token_hash_key').on(t.tokenHash), index('sessions_user_idx').on(t.userId)],
)

/**
 * Failed sign-in counters, in the database so the limits hold across api instances (R24). Keys are
 * `account:<sha256 of the email>` (the same for unknown accounts: no enumeration by throttling) and
 * `ip:<address>`.
 */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
})
