import { z } from 'zod'
import { venueMethods } from '../exchanges/index.js'

/**
 * The signer's RPC: newline-delimited JSON over a Unix socket (0600), validated with these schemas at
 * both ends. Every request names the acting workspace and a request id. No operation returns key
 * material; results carry ids, hints, states and exchange results only.
 */
const id = z.string().uuid()
const decimal = z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/)
const symbol = z.string().regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/)

export const sealedEnvelope = z
  .object({
    v: z.literal(1),
    epk: z.string().max(200),
    iv: z.string().max(40),
    ct: z.string().max(20_000),
    context: z
      .object({
        workspaceId: id,
        exchange: z.string().max(40),
        nonce: z.string().min(16).max(64),
        expiresAt: z.string().datetime(),
        purpose: z.literal('exchange-credentials'),
      })
      .strict(),
  })
  .strict()

export const keyLimits = z
  .object({
    symbols: z.array(symbol).max(200),
    maxOrderNotional: decimal,
    max24hNotional: decimal,
    maxOrdersPerMinute: z.number().int().min(1).max(1_200),
    priceBandPct: decimal,
  })
  .strict()
export type KeyLimits = z.infer<typeof keyLimits>

export const defaultKeyLimits: KeyLimits = {
  symbols: ['BTC/USDT', 'ETH/USDT'],
  maxOrderNotional: '100',
  max24hNotional: '1000',
  maxOrdersPerMinute: 10,
  priceBandPct: '5',
}

/** base64url as WebAuthn clients send it (padding tolerated). */
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+={0,2}$/)
/** A WebAuthn credential id: at most 1023 bytes, so 1364 base64url characters. */
const authenticatorId = b64url(1364)

/**
 * A WebAuthn assertion exactly as the browser produced it (`AuthenticationResponseJSON`); relayed by the
 * api untouched. Unknown members are dropped, sizes are bounded.
 */
export const passkeyAssertion = z.object({
  id: authenticatorId,
  rawId: authenticatorId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(8_192),
    authenticatorData: b64url(4_096),
    signature: b64url(2_048),
    userHandle: b64url(256).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
})
export type PasskeyAssertion = z.infer<typeof passkeyAssertion>

/** What a widening changes: the key's whole new limits, or bringing a disabled/unverified key back (a key waiting for approval comes only through `approvePending`). */
export const wideningChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('limits'), limits: keyLimits }).strict(),
  z.object({ kind: z.literal('enable') }).strict(),
])
export type WideningChange = z.infer<typeof wideningChange>

/** An audit chain's name as the api spells it (`system`, `ws:<uuid>`). */
const checkpointChain = z.string().min(1).max(80).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')

export const signerOps = {
  publicKey: z.object({}).strict(),
  connect: z
    .object({
      exchange: z.string().max(40),
      exchangeAccountId: id,
      envelope: sealedEnvelope,
      testnet: z.boolean().optional(),
      replacesKeyId: id.optional(),
      /**
       * Four-eyes (R42): the key is verified and stored as `pending_approval`. It cannot trade, cannot be
       * enabled through a widening, and becomes usable only through `approvePending`; `discardPending` or
       * the signer's own expiry (pending-keys.ts) destroys it. A replacement leaves the key it replaces alone.
       */
      pendingApproval: z.boolean().optional(),
      /** Workspace policy: a key the exchange does not report as IP-restricted is refused (KEY_NOT_IP_RESTRICTED) before it is stored. */
      requireIpRestricted: z.boolean().optional(),
    })
    .strict(),
  execute: z
    .object({
      keyId: id,
      method: z.enum(venueMethods as [string, ...string[]]),
      args: z.record(z.string(), z.unknown()),
      /**
       * Milliseconds from the signer's receipt after which it must not send the request any more (it
       * answers UNAVAILABLE / DEADLINE_PASSED instead). The order journal relies on it: once the deadline
       * has passed, "the exchange has no such order" stays true, so re-sending cannot double an order.
       */
      ttlMs: z.number().int().min(100).max(120_000).optional(),
      /**
       * A lockdown's cleanup grant (`disableWorkspaceKeys`): lets a key it disabled cancel orders, read
       * open orders and positions, and send reduce-only market orders on contract markets until it expires.
       */
      cleanupGrant: z.string().min(16).max(100).optional(),
    })
    .strict(),
  disable: z.object({ keyId: id, reason: z.string().min(1).max(200) }).strict(),
  /**
   * Narrowing, immediate: every key of the workspace that is not destroyed becomes disabled, in one
   * transaction that also voids their pending widenings. `cleanupMs` asks for a cleanup grant (see execute).
   */
  disableWorkspaceKeys: z.object({ reason: z.string().min(1).max(200), cleanupMs: z.number().int().min(1).max(600_000).optional() }).strict(),
  enable: z.object({ keyId: id }).strict(),
  reverify: z.object({ keyId: id }).strict(),
  generateKeyPair: z.object({ exchange: z.string().max(40), exchangeAccountId: id }).strict(),
  completeKeyPair: z
    .object({
      keyId: id,
      apiKey: z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'is the API key the exchange shows, without spaces'),
      /** As for connect: verified, then left `pending_approval` until `approvePending`. */
      pendingApproval: z.boolean().optional(),
      /** As for connect: refused (KEY_NOT_IP_RESTRICTED) unless the exchange reports the key as IP-restricted; the API key is then not stored. */
      requireIpRestricted: z.boolean().optional(),
    })
    .strict(),
  /**
   * Four-eyes approved (R42): re-verifies a `pending_approval` key at the exchange and makes it usable —
   * `active` (or `unverified` when the exchange cannot say, as a connect would), once. With `replacesKeyId`
   * it inherits that key's current limits and a disabled state, as an immediate replacement does. A key
   * the exchange now refuses, or that can move funds, or (with `requireIpRestricted`) is not IP-restricted,
   * is refused and destroyed; one past the signer's own expiry is destroyed (CONFLICT, reason PENDING_KEY_EXPIRED).
   */
  approvePending: z.object({ keyId: id, replacesKeyId: id.optional(), requireIpRestricted: z.boolean().optional() }).strict(),
  /** Narrowing: destroys a key that is still `pending_approval` (every share); any other key is CONFLICT, never destroyed here. */
  discardPending: z.object({ keyId: id, reason: z.enum(['rejected', 'expired', 'cancelled', 'failed']) }).strict(),
  destroy: z.object({ keyId: id }).strict(),
  setLimits: z.object({ keyId: id, limits: keyLimits }).strict(),
  refresh: z.object({ keyId: id }).strict(),
  status: z.object({}).strict(),
  clockSkew: z.object({}).strict(),
  listKeys: z.object({}).strict(),
  /**
   * Asks the signer to trust a user's passkey for this workspace. Pending for the widening delay
   * (announced as `passkey_trust_pending`) unless confirmed by a passkey it already trusts; at once from
   * the operator socket.
   */
  trustPasskey: z
    .object({
      userId: id,
      /** The WebAuthn credential id (base64url). */
      authenticatorId,
      /** The COSE_Key from registration (base64url). */
      publicKey: b64url(2_048),
      /** The signature counter at registration. */
      counter: z.number().int().min(0).max(0xffffffff),
    })
    .strict(),
  /** Narrowing: immediate. Removes one passkey, or every passkey of a user, and cancels their pending trusts. */
  untrustPasskey: z
    .object({ authenticatorId: authenticatorId.optional(), userId: id.optional() })
    .strict()
    .refine((p) => (p.authenticatorId === undefined) !== (p.userId === undefined), 'give exactly one of authenticatorId or userId'),
  listPasskeys: z.object({}).strict(),
  /** Starts a widening: pending until confirmed with a passkey or until the delay has passed (announced). */
  proposeWidening: z.object({ keyId: id, change: wideningChange }).strict(),
  /** Applies a pending operation at once, given a UV assertion over its challenge by a passkey trusted here. */
  confirmWidening: z.object({ operationId: id, assertion: passkeyAssertion }).strict(),
  /** Narrowing: stops a pending operation. */
  cancelWidening: z.object({ operationId: id }).strict(),
  listPendingWidenings: z.object({}).strict(),
  /**
   * Signs the head of one of the api's audit chains (R38) and keeps it here, where the api cannot rewrite
   * it; no workspace needed. A chain's checkpoints only move forward: the same seq and head again returns
   * the stored one; another head at a stored seq, or a seq below the newest, is refused (CONFLICT).
   */
  signCheckpoint: z
    .object({
      chain: checkpointChain,
      seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      head: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
      time: z.string().max(40).datetime({ offset: true }),
    })
    .strict(),
  /** Stored checkpoints, ascending by chain and seq, with the public key that verifies them. */
  listCheckpoints: z
    .object({ chain: checkpointChain.optional(), afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(), limit: z.number().int().min(1).max(1000).optional() })
    .strict(),
  /** The audit signing key's public half (PEM, SPKI) and its id, for verifiers to pin. */
  auditPublicKey: z.object({}).strict(),
} as const
export type SignerOp = keyof typeof signerOps
export type SignerParams<O extends SignerOp> = z.infer<(typeof signerOps)[O]>

/** Operator-only operations: accepted on the operator socket only, never from the api. */
export const operatorOps = {
  rotateMaster: z.object({}).strict(),
  verifyVault: z.object({}).strict(),
  setLimits: signerOps.setLimits,
  enable: signerOps.enable,
  refresh: signerOps.refresh,
  /** The operator's own authority (its token is the signer's trust domain, never the api's). */
  approveWidening: z.object({ operationId: id }).strict(),
  /** The global seal (seal.ts): refuses all but narrowing and audit operations on every socket until unsealed; survives restarts. */
  seal: z.object({ reason: z.string().min(1).max(200) }).strict(),
  unseal: z.object({}).strict(),
  sealStatus: z.object({}).strict(),
  /**
   * The auditor's check of a known value (R37, like Vault's sys/audit-hash): the HMAC fingerprint the
   * signer logs for an API key (`key_connected.details.fingerprint`), computed under its own key.
   */
  auditHash: z.object({ value: z.string().min(1).max(500) }).strict(),
  /** Writes the vault's encrypted archives (one per share store, one of metadata) into a folder inside the vault directory. */
  backupVault: z.object({ outDir: z.string().min(1).max(500).optional() }).strict(),
  /** Splits the master key file into t-of-n operator recovery shares, returned once, stored nowhere. */
  recoveryKit: z
    .object({ threshold: z.number().int().min(2).max(10), shares: z.number().int().min(2).max(10) })
    .strict()
    .refine((p) => p.shares >= p.threshold, { message: 'shares must be at least the threshold', path: ['shares'] }),
} as const
export type OperatorOp = keyof typeof operatorOps

export const signerRequest = z
  .object({
    id: z.string().min(1).max(64),
    op: z.string().max(40),
    workspaceId: id.nullable(),
    requestId: z.string().min(1).max(100),
    params: z.unknown(),
    /** The operator token, on the operator socket only. */
    auth: z.string().max(200).optional(),
  })
  .strict()
export type SignerRequest = z.infer<typeof signerRequest>

/**
 * An audit fact the api appends to the workspace's chain (the signer wrote it to its own log first).
 * Two are reported with the answer only, after the exchange call: `order_signed` (the exchange's order id)
 * and `exchange_request` (`{keyId, exchange, method, endpoint: "<HTTP method> <path>", requests}`, the last
 * request the call sent, no host and no query) — the latter is for the exchange-activity log, not the chain.
 */
export const signerAuditEvent = z.object({
  type: z.string(),
  outcome: z.enum(['success', 'failure', 'denied']),
  details: z.record(z.string(), z.unknown()),
})
export type SignerAuditEvent = z.infer<typeof signerAuditEvent>

export const signerResponse = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: z.unknown(), events: z.array(signerAuditEvent), timings: z.record(z.string(), z.number()).optional() }),
  z.object({ id: z.string(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string(), reason: z.string().optional() }), events: z.array(signerAuditEvent) }),
])
export type SignerResponse = z.infer<typeof signerResponse>

export const keyView = z.object({
  keyId: id,
  exchangeAccountId: id,
  exchange: z.string(),
  state: z.string(),
  disabledReason: z.string().nullable(),
  apiKeyHint: z.string(),
  fingerprint: z.string(),
  keyVersion: z.number(),
  verification: z.record(z.string(), z.unknown()),
  limits: keyLimits,
  isTestnet: z.boolean(),
})
export type KeyView = z.infer<typeof keyView>

/** `approvePending` answers the key as it is now; `discardPending` this. */
export const pendingKeyDiscardedView = z.object({ keyId: id, state: z.literal('destroyed') })
export type PendingKeyDiscarded = z.infer<typeof pendingKeyDiscardedView>

export const wideningOperationView = z.object({
  operationId: id,
  workspaceId: id,
  keyId: id.nullable(),
  kind: z.enum(['limits', 'enable', 'trust_passkey']),
  /** limits: `{ limits }`; enable: `{}`; trust_passkey: `{ userId, authenticatorId, publicKey, counter }`. */
  params: z.record(z.string(), z.unknown()),
  /** pending → applied | cancelled | superseded | failed (`applying` only while it is being applied). */
  state: z.enum(['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed']),
  /** base64url(SHA-256(canonical JSON of {operationId, workspaceId, keyId, kind, params})): the WebAuthn challenge. */
  challenge: z.string(),
  createdAt: z.string(),
  /** When it applies without a confirmation. */
  notBefore: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedVia: z.enum(['passkey', 'delay', 'operator']).nullable(),
  confirmedBy: z.string().nullable(),
  note: z.string().nullable(),
})
export type WideningOperationView = z.infer<typeof wideningOperationView>

export const trustedPasskeyView = z.object({
  userId: id,
  authenticatorId: z.string(),
  counter: z.number(),
  trustedAt: z.string(),
  trustedVia: z.string(),
})
export type TrustedPasskeyView = z.infer<typeof trustedPasskeyView>

/**
 * A signed checkpoint as the signer returns it (crypto/checkpoint-format.ts `SignedCheckpoint`):
 * `signature` is Ed25519 over `checkpointMessage({chain, seq, head, time})`, base64; `keyId` is the first
 * 16 hex digits of SHA-256 over the public key's SPKI DER.
 */
export const signedCheckpointView = z.object({
  chain: z.string(),
  seq: z.number().int(),
  head: z.string(),
  time: z.string(),
  signedAt: z.string(),
  signature: z.string(),
  keyId: z.string(),
})
export const checkpointListView = z.object({ publicKey: z.string(), keyId: z.string(), checkpoints: z.array(signedCheckpointView) })
export type CheckpointListView = z.infer<typeof checkpointListView>
