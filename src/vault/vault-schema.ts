import { sql } from 'drizzle-orm'
import { pgSchema, text, uuid, timestamp, integer, jsonb, boolean, customType, primaryKey, index, check, numeric } from 'drizzle-orm/pg-core'

/**
 * The signer's own database (share store 1 and the signer's metadata), in schema `signer`. Only the
 * signer process opens it: embedded, its own PGlite under BULWARK_HOME/vault/db; in production, a
 * database (or schema with its own role) at VAULT_DATABASE_URL. Nothing outside src/vault reads it.
 */
export const signerSchema = pgSchema('signer')

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
})

export const keyStates = ['writing', 'unverified', 'pending_approval', 'active', 'disabled', 'destroyed'] as const

/** One exchange credential set, as the signer knows it. Never holds key material. */
export const vaultKeys = signerSchema.table(
  'keys',
  {
    keyId: uuid('key_id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull(),
    exchangeAccountId: uuid('exchange_account_id').notNull(),
    exchange: text('exchange').notNull(),
    state: text('state', { enum: keyStates }).notNull(),
    disabledReason: text('disabled_reason'),
    keyVersion: integer('key_version').notNull(),
    threshold: integer('threshold').notNull(),
    shareCount: integer('share_count').notNull(),
    /** The API key with all but its ends hidden, for people to recognise it. */
    apiKeyHint: text('api_key_hint').notNull(),
    /** HMAC of the API key under the signer's fingerprint key: the reuse lock, never the key. */
    fingerprint: text('fingerprint').notNull(),
    verification: jsonb('verification').notNull(),
    limits: jsonb('limits').notNull(),
    isTestnet: boolean('is_testnet').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('keys_workspace_idx').on(t.workspaceId),
    check('keys_state_valid', sql`${t.state} in ('writing', 'unverified', 'pending_approval', 'active', 'disabled', 'destroyed')`),
  ],
)

/** Share store 1 (the other stores keep the same record shape in their own place). */
export const vaultShares = signerSchema.table(
  'shares',
  {
    keyId: uuid('key_id').notNull(),
    keyVersion: integer('key_version').notNull(),
    storeId: text('store_id').notNull(),
    shareIndex: integer('share_index').notNull(),
    threshold: integer('threshold').notNull(),
    shareCount: integer('share_count').notNull(),
    workspaceId: uuid('workspace_id').notNull(),
    exchangeAccountId: uuid('exchange_account_id').notNull(),
    masterVersion: integer('master_version').notNull(),
    wrappedShare: bytea('wrapped_share').notNull(),
    credentialsCiphertext: bytea('credentials_ciphertext').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.keyVersion, t.storeId] })],
)

/** The same exchange API key cannot be connected twice on an instance. */
export const reuseLocks = signerSchema.table('reuse_locks', {
  fingerprint: text('fingerprint').primaryKey(),
  keyId: uuid('key_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
})

/** Single-use nonces of sealed submissions, kept until they expire. */
export const sealNonces = signerSchema.table('seal_nonces', {
  nonce: text('nonce').primaryKey(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
})

/** Orders signed per key, for the rolling 24 h notional and the per-minute rate limits. */
export const orderUsage = signerSchema.table(
  'order_usage',
  {
    keyId: uuid('key_id').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    notionalQuote: numeric('notional_quote').notNull(),
    requestId: text('request_id').notNull(),
  },
  (t) => [index('order_usage_key_time_idx').on(t.keyId, t.at)],
)
