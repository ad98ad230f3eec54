import { sql } from 'drizzle-orm'
import { pgSchema, text, uuid, timestamp, integer, bigint, jsonb, boolean, customType, primaryKey, index, check, numeric } from 'drizzle-orm/pg-core'

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

export const wideningKinds = ['limits', 'enable', 'trust_passkey'] as const
export const wideningStates = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'] as const

/**
 * Passkeys the signer trusts to confirm widenings, per workspace. A row exists only once trusted: a
 * passkey the api relays waits out the delay as a `trust_passkey` operation below, unless a passkey
 * already here confirms it (or the operator does). Public keys only: nothing here is secret.
 */
export const trustedPasskeys = signerSchema.table(
  'trusted_passkeys',
  {
    workspaceId: uuid('workspace_id').notNull(),
    /** The WebAuthn credential id, base64url. */
    authenticatorId: text('authenticator_id').notNull(),
    userId: uuid('user_id').notNull(),
    /** COSE_Key bytes as registered. */
    publicKey: bytea('public_key').notNull(),
    /** The authenticator's signature counter as the signer last saw it (uint32). */
    counter: bigint('counter', { mode: 'number' }).notNull(),
    trustedAt: timestamp('trusted_at', { withTimezone: true }).notNull(),
    /** How trust was given: 'passkey' (confirmed by another trusted passkey), 'delay' or 'operator'. */
    trustedVia: text('trusted_via').notNull(),
    operationId: uuid('operation_id'),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.authenticatorId] }), index('trusted_passkeys_user_idx').on(t.workspaceId, t.userId)],
)

/**
 * Operations that widen what a key can do (or whom the signer trusts), waiting for a passkey
 * confirmation or their `not_before`. Every state change is a conditional UPDATE from `pending`, so
 * an operation applies, is cancelled or is superseded exactly once. Kept afterwards as the record.
 */
export const wideningOperations = signerSchema.table(
  'widening_operations',
  {
    operationId: uuid('operation_id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull(),
    /** Null for `trust_passkey`. */
    keyId: uuid('key_id'),
    kind: text('kind', { enum: wideningKinds }).notNull(),
    params: jsonb('params').notNull(),
    /** What the key looked like when proposed: a change made since voids the operation. */
    base: jsonb('base').notNull(),
    /** base64url(SHA-256(canonical JSON of the operation)): what a confirming assertion must sign. */
    challenge: text('challenge').notNull(),
    state: text('state', { enum: wideningStates }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** 'passkey', 'delay' or 'operator' once confirmed or due. */
    resolvedVia: text('resolved_via'),
    /** The authenticator id of the confirming passkey. */
    confirmedBy: text('confirmed_by'),
    note: text('note'),
  },
  (t) => [
    index('widening_operations_due_idx').on(t.workspaceId, t.state, t.notBefore),
    index('widening_operations_key_idx').on(t.keyId, t.state),
    check('widening_operations_kind_valid', sql`${t.kind} in ('limits', 'enable', 'trust_passkey')`),
    check('widening_operations_state_valid', sql`${t.state} in ('pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed')`),
  ],
)

/**
 * Audit checkpoints (SECURITY.md R38): the head of one of the api's audit chains at one moment, signed
 * here with the signer's Ed25519 audit key. The api cannot write this table, so a chain it truncated or
 * rewrote no longer matches what it once had signed. A chain's checkpoints only move forward.
 */
export const auditCheckpoints = signerSchema.table(
  'audit_checkpoints',
  {
    chain: text('chain').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** The entry hash at `seq`, lowercase hex. */
    head: text('head').notNull(),
    /** The api's time for the checkpoint, exactly as signed (ISO 8601). */
    time: text('time').notNull(),
    signedAt: timestamp('signed_at', { withTimezone: true }).notNull(),
    /** Ed25519 over checkpointMessage({chain, seq, head, time}), base64. */
    signature: text('signature').notNull(),
    /** First 16 hex digits of SHA-256 over the public key's SPKI DER. */
    keyId: text('key_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.chain, t.seq] })],
)

/**
 * The operator's global seal (R19 as amended): one row. While `sealed`, the signer refuses everything
 * but narrowing and audit operations, on every socket, until the operator unseals; it survives restarts.
 */
export const signerSeal = signerSchema.table(
  'seal',
  {
    id: integer('id').primaryKey(),
    sealed: boolean('sealed').notNull(),
    reason: text('reason'),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull(),
  },
  (t) => [check('seal_single_row', sql`${t.id} = 1`)],
)
