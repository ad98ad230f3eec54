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

export const signerOps = {
  publicKey: z.object({}).strict(),
  connect: z.object({ exchange: z.string().max(40), exchangeAccountId: id, envelope: sealedEnvelope }).strict(),
  execute: z.object({ keyId: id, method: z.enum(venueMethods as [string, ...string[]]), args: z.record(z.string(), z.unknown()) }).strict(),
  disable: z.object({ keyId: id, reason: z.string().min(1).max(200) }).strict(),
  enable: z.object({ keyId: id }).strict(),
  destroy: z.object({ keyId: id }).strict(),
  setLimits: z.object({ keyId: id, limits: keyLimits }).strict(),
  refresh: z.object({ keyId: id }).strict(),
  status: z.object({}).strict(),
  listKeys: z.object({}).strict(),
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

/** An audit fact the api appends to the workspace's chain (the signer wrote it to its own log first). */
export const signerAuditEvent = z.object({
  type: z.string(),
  outcome: z.enum(['success', 'failure', 'denied']),
  details: z.record(z.string(), z.unknown()),
})
export type SignerAuditEvent = z.infer<typeof signerAuditEvent>

export const signerResponse = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: z.unknown(), events: z.array(signerAuditEvent), timings: z.record(z.string(), z.number()).optional() }),
  z.object({ id: z.string(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }), events: z.array(signerAuditEvent) }),
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
})
export type KeyView = z.infer<typeof keyView>
