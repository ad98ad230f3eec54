import { sql } from 'drizzle-orm'
import { pgTable, text, uuid, timestamp, boolean, bigint, jsonb, primaryKey, index, uniqueIndex, check, integer, foreignKey } from 'drizzle-orm/pg-core'

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
    /** Set by "this wasn't me" or the incident lockdown: no sign-in until recovered through the emailed unlock link. */
    lockedAt: timestamp('locked_at', { withTimezone: true }),
    /** Shown in every email we send, so a phishing mail without it stands out (R35). */
    antiPhishingCode: text('anti_phishing_code'),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    /** When a second factor was last replaced or removed (not first enrolled): keys wait 24 h after it (R27). */
    factorsChangedAt: timestamp('factors_changed_at', { withTimezone: true }),
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
  /** Policy: a second factor before any exchange key can be connected (R26 as amended; default on). */
  requireTwoFactorForKeys: boolean('require_two_factor_for_keys').notNull().default(true),
  /** Policy: owners/admins must use a passkey for step-up. Null means the default: on once the workspace has more than one member (R26). */
  requirePasskeyForAdmins: boolean('require_passkey_for_admins'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  /** Set by a lockdown (src/incident): the workspace is read-only until its incident is resolved by an unlock. */
  lockedAt: timestamp('locked_at', { withTimezone: true }),
  // Workspace policies (teams issue; src/teams/workspace-policies.ts reads and changes them).
  /** Every member needs a second factor: without one a member acts as a viewer until they enrol. */
  requireTwoFactor: boolean('require_two_factor').notNull().default(false),
  /** Idle minutes after which a member's session ends (applied to their sessions); null: the R30 default. */
  sessionIdleMinutes: integer('session_idle_minutes'),
  /** CIDR ranges this workspace may be used from (sessions and API tokens); null or empty: anywhere. */
  allowedIpRanges: jsonb('allowed_ip_ranges').$type<string[]>(),
  /** Refuse an exchange key the exchange does not report as IP-restricted. */
  refuseIpUnrestrictedKeys: boolean('refuse_ip_unrestricted_keys').notNull().default(false),
  /** Four-eyes approvals (R42) for high-risk changes. On for new team workspaces; only a single-owner workspace may turn them off. */
  approvalsRequired: boolean('approvals_required').notNull().default(false),
  /** Deleted by its owner: no members any more; its audit chain stays for the record. */
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
})

export const accountScopes = ['all', 'granted'] as const
export type AccountScope = (typeof accountScopes)[number]

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
    /** `granted`: a trader trades only on the exchange accounts in `member_account_grants`; `all`: on every one. */
    accountScope: text('account_scope', { enum: accountScopes }).notNull().default('all'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    check('memberships_account_scope_valid', sql`${t.accountScope} in ('all', 'granted')`),
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
    /** Set once the notification dispatcher has queued its deliveries (repeats of a de-duplicated alert are not re-sent). */
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
  },
  (t) => [
    index('alerts_workspace_time_idx').on(t.workspaceId, t.createdAt),
    index('alerts_undispatched_idx').on(t.createdAt).where(sql`${t.dispatchedAt} is null`),
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
    /** When the user last proved who they are (sign-in or step-up). */
    authenticatedAt: timestamp('authenticated_at', { withTimezone: true }).notNull(),
    /** The factor of that proof: password, totp, recovery_code or passkey (passkey_uv when user-verified). */
    authenticatedWith: text('authenticated_with').notNull().default('password'),
    /** 15 for owners/admins of a team workspace, else 30 (R30); fixed at sign-in, re-evaluated at the next one. */
    idleMinutes: integer('idle_minutes').notNull().default(30),
    /** The known device this session signed in from. */
    deviceId: uuid('device_id'),
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

/**
 * Accounts (issue 4). Every secret a user is handed (email links, recovery codes, API tokens, login
 * tickets) is stored only as its SHA-256: these are high-entropy random values, so a slow hash would
 * add nothing but a denial-of-service lever (SECURITY.md R27 as amended).
 */

/** Authenticator-app second factor. The seed is AES-256-GCM under the platform's TOTP key (not the vault's). */
export const totpCredentials = pgTable('totp_credentials', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** `v1.<base64url>` sealed with secrets/totpSeed.key, AAD bound to the user id. */
  seedCiphertext: text('seed_ciphertext').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  /** Null while the user has not yet proved the app works with a first code. */
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  /** The last accepted time step; a code for this step or an earlier one is a replay (R23). */
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
})

/** Single-use `id.secret` recovery codes; looked up by id, the secret stored as SHA-256. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    secretHash: text('secret_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
)

/** WebAuthn credentials (passkeys). */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** base64url credential id, as the authenticator gave it. */
    credentialId: text('credential_id').notNull(),
    /** base64url COSE public key. */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull(),
    transports: jsonb('transports').notNull(),
    name: text('name').notNull(),
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('passkeys_credential_id_key').on(t.credentialId), index('passkeys_user_idx').on(t.userId)],
)

/** WebAuthn challenges: single use, five minutes, bound to the purpose and (when known) the user or session. */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    id: uuid('id').primaryKey(),
    challenge: text('challenge').notNull(),
    purpose: text('purpose').notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('webauthn_challenges_challenge_key').on(t.challenge), check('webauthn_challenges_purpose_valid', sql`${t.purpose} in ('register', 'login', 'second_factor', 'step_up', 'confirm')`)],
)

/**
 * A password that was right, waiting for the second factor: the client holds an opaque ticket (stored
 * hashed) for five minutes and a few tries; no session exists until the second factor is checked.
 */
export const loginTickets = pgTable(
  'login_tickets',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    failures: integer('failures').notNull().default(0),
  },
  (t) => [uniqueIndex('login_tickets_token_hash_key').on(t.tokenHash)],
)

export const accountTokenPurposes = ['verify_email', 'reset_password', 'unlock', 'not_me', 'change_email', 'emergency_lockdown', 'confirm_unlock'] as const
export type AccountTokenPurpose = (typeof accountTokenPurposes)[number]

/** Single-use links sent by email (verify, reset, unlock, "this wasn't me", email change). */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: accountTokenPurposes }).notNull(),
    /** e.g. the new address for change_email. */
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('account_tokens_token_hash_key').on(t.tokenHash),
    index('account_tokens_user_idx').on(t.userId, t.purpose),
    check('account_tokens_purpose_valid', sql`${t.purpose} in ('verify_email', 'reset_password', 'unlock', 'not_me', 'change_email', 'emergency_lockdown', 'confirm_unlock')`),
  ],
)

/** Browsers a user has signed in from, recognised by a long-lived random cookie (stored hashed). */
export const knownDevices = pgTable(
  'known_devices',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    userAgent: text('user_agent'),
    firstIp: text('first_ip'),
    lastIp: text('last_ip'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('known_devices_user_token_key').on(t.userId, t.tokenHash)],
)

export const apiTokenScopes = ['read', 'trade', 'admin'] as const
export type ApiTokenScope = (typeof apiTokenScopes)[number]

/** Personal API tokens for scripts and the CLI: scoped to one workspace, expiring, optionally IP-bound; stored hashed. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    scope: text('scope', { enum: apiTokenScopes }).notNull(),
    /** CIDRs the token may be used from; empty means anywhere. */
    allowedIps: jsonb('allowed_ips').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    lastUsedIp: text('last_used_ip'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash),
    index('api_tokens_user_idx').on(t.userId),
    check('api_tokens_scope_valid', sql`${t.scope} in ('read', 'trade', 'admin')`),
  ],
)

/** Instance-wide settings the operator changes at run time (e.g. whether sign-up is open). */
export const instanceSettings = pgTable('instance_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
})

/**
 * Exchange accounts (the api's side of a key; the secret lives only in the signer's vault). The signer
 * is the source of truth for state, limits and verification; these columns mirror what it last said,
 * plus what only the api knows (label, who connected it, last use).
 */
export const exchangeAccounts = pgTable(
  'exchange_accounts',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    exchange: text('exchange').notNull(),
    label: text('label').notNull(),
    /** The signer's key id currently serving this account (changes when the key is replaced). */
    keyId: uuid('key_id').notNull(),
    state: text('state').notNull(),
    apiKeyHint: text('api_key_hint').notNull(),
    verification: jsonb('verification').notNull(),
    testnet: boolean('testnet').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    keyCreatedAt: timestamp('key_created_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [index('exchange_accounts_workspace_idx').on(t.workspaceId), uniqueIndex('exchange_accounts_key_id_key').on(t.keyId)],
)

/** The exchange-activity journal: every private call made through the signer, with its outcome. */
export const exchangeActivity = pgTable(
  'exchange_activity',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    exchangeAccountId: uuid('exchange_account_id'),
    keyId: uuid('key_id').notNull(),
    /** The catalogue id of the venue (e.g. binance). */
    exchange: text('exchange'),
    method: text('method').notNull(),
    /** HTTP method and path of the exchange request the signer sent (no query), when it sent one. */
    endpoint: text('endpoint'),
    /** The bot that made the call, when a bot did. */
    botId: uuid('bot_id'),
    outcome: text('outcome').notNull(),
    /** The signer's error code when it failed or refused. */
    errorCode: text('error_code'),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    requestId: text('request_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    details: jsonb('details').notNull(),
  },
  (t) => [
    index('exchange_activity_workspace_time_idx').on(t.workspaceId, t.occurredAt),
    index('exchange_activity_key_time_idx').on(t.keyId, t.occurredAt),
    check('exchange_activity_outcome_valid', sql`${t.outcome} in ('success', 'failure', 'denied')`),
  ],
)

// ---------------------------------------------------------------------------------------------
// Demo Spot / Demo Futures (src/demo). The engine's event log is the record; the other tables are
// projections of it written in the same transaction, for history queries the engine does not answer.
// (Imports hoist; kept here so the demo tables are one appended block.)
import { json, numeric } from 'drizzle-orm/pg-core'

export const demoAccountKinds = ['spot', 'futures'] as const
export type DemoAccountKind = (typeof demoAccountKinds)[number]

/** Demo accounts of a workspace; balances, orders and positions live in the demo engine and its log. */
export const demoAccounts = pgTable(
  'demo_accounts',
  {
    /** Also the engine's account id. */
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: demoAccountKinds }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    resetCount: integer('reset_count').notNull().default(0),
    /** Event seq of the latest reset (0: never): PnL counts from there, history before it is kept. */
    resetSeq: bigint('reset_seq', { mode: 'number' }).notNull().default(0),
    lastResetAt: timestamp('last_reset_at', { withTimezone: true }),
  },
  (t) => [index('demo_accounts_workspace_idx').on(t.workspaceId), check('demo_accounts_kind_valid', sql`${t.kind} in ('spot', 'futures')`)],
)

/**
 * The demo engine's event log: every event in engine order, gap-free `seq`, append-only (trigger).
 * `json`, not `jsonb`: the text is kept as written, key order included.
 */
export const demoEvents = pgTable(
  'demo_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    /** Engine (market data) time, Unix ms. */
    time: bigint('time', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    accountId: uuid('account_id'),
    event: json('event').notNull(),
  },
  // The live stream (src/live) asks "newest event of this type for this account" every second: one probe.
  (t) => [index('demo_events_account_type_idx').on(t.accountId, t.type, t.seq).where(sql`${t.accountId} is not null`)],
)

/** Engine snapshots: the state after event `seq`, market model included. Older ones are pruned. */
export const demoSnapshots = pgTable('demo_snapshots', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  time: bigint('time', { mode: 'number' }).notNull(),
  takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
  snapshot: json('snapshot').notNull(),
})

/** Orders that ended (filled, canceled, expired), as of their last event; open ones are in the engine. */
export const demoOrders = pgTable(
  'demo_orders',
  {
    /** The engine's order id. */
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    accountId: uuid('account_id').notNull(),
    symbol: text('symbol').notNull(),
    clientOrderId: text('client_order_id'),
    status: text('status').notNull(),
    /** Engine time of the last change, Unix ms. */
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
    order: json('order').notNull(),
  },
  (t) => [index('demo_orders_account_idx').on(t.accountId, t.seq), index('demo_orders_client_idx').on(t.accountId, t.clientOrderId)],
)

export const demoFills = pgTable(
  'demo_fills',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    orderId: text('order_id').notNull(),
    clientOrderId: text('client_order_id'),
    accountId: uuid('account_id').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side').notNull(),
    positionSide: text('position_side').notNull(),
    amount: numeric('amount').notNull(),
    price: numeric('price').notNull(),
    cost: numeric('cost').notNull(),
    fee: numeric('fee').notNull(),
    feeCurrency: text('fee_currency').notNull(),
    liquidity: text('liquidity').notNull(),
    realizedPnl: numeric('realized_pnl'),
    time: bigint('time', { mode: 'number' }).notNull(),
  },
  (t) => [index('demo_fills_account_idx').on(t.accountId, t.seq), index('demo_fills_order_idx').on(t.orderId)],
)

/** Funding payments (signed: negative paid, positive received). */
export const demoFunding = pgTable(
  'demo_funding',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    accountId: uuid('account_id').notNull(),
    symbol: text('symbol').notNull(),
    positionSide: text('position_side').notNull(),
    rate: numeric('rate').notNull(),
    markPrice: numeric('mark_price').notNull(),
    contracts: numeric('contracts').notNull(),
    amount: numeric('amount').notNull(),
    fundingTime: bigint('funding_time', { mode: 'number' }).notNull(),
  },
  (t) => [index('demo_funding_account_idx').on(t.accountId, t.seq)],
)

export const demoLiquidations = pgTable(
  'demo_liquidations',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    accountId: uuid('account_id').notNull(),
    symbol: text('symbol').notNull(),
    positionSide: text('position_side').notNull(),
    marginMode: text('margin_mode').notNull(),
    side: text('side').notNull(),
    contracts: numeric('contracts').notNull(),
    markPrice: numeric('mark_price').notNull(),
    realizedPnl: numeric('realized_pnl').notNull(),
    fee: numeric('fee').notNull(),
    lossCovered: numeric('loss_covered').notNull(),
    time: bigint('time', { mode: 'number' }).notNull(),
  },
  (t) => [index('demo_liquidations_account_idx').on(t.accountId, t.seq)],
)

// Trading (src/trading): bots, the order journal, signals, leases — in their own file.
export * from './schema-trading.js'
// Watching and responding (src/monitoring, src/incident): settings, incidents, channels, archives.
export * from './schema-monitoring.js'

/** The exchange accounts a member whose `account_scope` is `granted` may trade on (teams issue). */
export const memberAccountGrants = pgTable(
  'member_account_grants',
  {
    workspaceId: uuid('workspace_id').notNull(),
    userId: uuid('user_id').notNull(),
    exchangeAccountId: uuid('exchange_account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId, t.exchangeAccountId] }),
    foreignKey({ columns: [t.workspaceId, t.userId], foreignColumns: [memberships.workspaceId, memberships.userId] }).onDelete('cascade'),
  ],
)

/**
 * Invitations to a workspace: a single-use link emailed to `email`. The link's token is stored only as its
 * SHA-256; accepting needs a signed-in account with that (verified) email.
 */
export const workspaceInvitations = pgTable(
  'workspace_invitations',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull(),
    role: text('role', { enum: roles }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('workspace_invitations_token_hash_key').on(t.tokenHash),
    index('workspace_invitations_workspace_idx').on(t.workspaceId),
    check('workspace_invitations_role_valid', sql`${t.role} in ('admin', 'trader', 'viewer')`),
  ],
)

export const approvalKinds = ['key.connect', 'key.replace', 'limits.raise', 'bot.promote', 'role.upgrade', 'policy.relax', 'incident.unlock', 'owner.change'] as const
export type ApprovalKind = (typeof approvalKinds)[number]
export const approvalStates = ['pending', 'approved', 'rejected', 'expired', 'cancelled', 'failed'] as const
export type ApprovalState = (typeof approvalStates)[number]

/**
 * Four-eyes approvals (R42): a high-risk change waits here until a second eligible member approves it
 * (with step-up) or it expires after 24 h. `payload` is what the applier needs (never a secret: a key's
 * credentials wait in the signer as `pending_approval`, the payload names only its key id).
 */
export const approvalRequests = pgTable(
  'approval_requests',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: approvalKinds }).notNull(),
    /** One line for people: "Raise the max order notional of Binance main from 100 to 500 USDT". */
    summary: text('summary').notNull(),
    payload: jsonb('payload').notNull(),
    state: text('state', { enum: approvalStates }).notNull().default('pending'),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** Why it was rejected, or what failed when applying it. */
    note: text('note'),
    /** What applying it returned (ids, states), for the requester's page. */
    result: jsonb('result'),
  },
  (t) => [
    index('approval_requests_workspace_idx').on(t.workspaceId, t.state),
    index('approval_requests_pending_expiry_idx').on(t.expiresAt).where(sql`${t.state} = 'pending'`),
    check('approval_requests_kind_valid', sql`${t.kind} in ('key.connect', 'key.replace', 'limits.raise', 'bot.promote', 'role.upgrade', 'policy.relax', 'incident.unlock', 'owner.change')`),
    check('approval_requests_state_valid', sql`${t.state} in ('pending', 'approved', 'rejected', 'expired', 'cancelled', 'failed')`),
  ],
)
