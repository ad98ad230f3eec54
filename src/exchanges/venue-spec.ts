import { z } from 'zod'
import { venueMethods } from './venue-types.js'

/**
 * The shape of one venue's facts (src/exchanges/venues/<id>.ts), validated when the registry loads.
 * The `catalogue` part is public (served at GET /api/exchanges, shown in the connect guide); `ccxt`
 * and `policy` are for the signer. Plain data only: no functions, no ccxt import, so the api can load
 * the catalogue without loading ccxt.
 */

const regexSource = z.string().refine(
  (s) => {
    try {
      new RegExp(s)
      return true
    } catch {
      return false
    }
  },
  { message: 'must be a valid regular expression' },
)
const note = z.string().min(1).max(600)
const httpMethod = z.enum(['GET', 'POST', 'PUT', 'DELETE'])
/** A path or path template: `{name}` stands for exactly one path segment. */
const pathTemplate = z.string().regex(/^\/[A-Za-z0-9._:,/{}-]+$/, 'must be an absolute path; {name} marks one segment')
const venueMethod = z.enum(venueMethods as [string, ...string[]])

export const endpointRuleSchema = z
  .object({
    method: httpMethod,
    path: pathTemplate,
    /**
     * public: markets, ticker, server time (no key). trade/read: a venue method sends it. lookup: a
     * signed read ccxt makes on its own and no preset avoids. verify: the key's own permission read,
     * the only kind allowed to match the deny backstop (some venues name it "api-key").
     */
    use: z.enum(['public', 'trade', 'read', 'lookup', 'verify']),
    /** Template segment → regex for that one segment; default `[A-Za-z0-9_-]{1,64}`. */
    params: z.record(z.string(), regexSource).optional(),
    why: note.optional(),
  })
  .strict()
  .refine((r) => (r.use !== 'lookup' && r.use !== 'verify') || r.why !== undefined, { message: 'a lookup or verify rule says why it is needed' })
export type EndpointRule = z.infer<typeof endpointRuleSchema>

const permissionCheckKinds = [
  'binance-api-restrictions',
  'okx-account-config',
  'bybit-query-api',
  'kucoin-user-api-key',
  'bitget-account-info',
  'gate-main-keys',
  'kraken-api-key-info',
  'bitfinex-permissions',
  'htx-user-api-key',
  'blofin-query-apikey',
  'none',
] as const
export type PermissionCheckKind = (typeof permissionCheckKinds)[number]

const verificationSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('endpoint'),
      /** ccxt implicit method(s) to call, in order (HTX needs the uid first). */
      ccxtMethods: z.array(z.string().regex(/^[A-Za-z0-9]+$/)).min(1),
      method: httpMethod,
      path: pathTemplate,
      reports: z.object({ withdraw: z.boolean(), transfer: z.boolean(), ipWhitelist: z.boolean(), expiry: z.boolean() }).strict(),
      fields: note,
      confidence: z.enum(['documented', 'unverified']),
    })
    .strict(),
  z.object({ kind: z.literal('none'), reason: note }).strict(),
])

/**
 * A dead-man switch (cancel-all-after): a countdown the venue keeps, replaced by each call, after which
 * it cancels every open order of the symbol ('symbol') or of the whole account ('account'); 0 stops it.
 * Bots whose stops the platform triggers keep it armed, so an outage of the platform leaves no order
 * resting unwatched for long (trading/runtime/dead-man.ts).
 */
const deadManSwitchSchema = z
  .object({
    /** How the signer sends it: Binance's implicit countdown method (symbol, milliseconds), or ccxt's unified method. */
    ccxtMethod: z.enum(['fapiPrivatePostCountdownCancelAll', 'cancelAllOrdersAfter']),
    method: httpMethod,
    path: pathTemplate,
    scope: z.enum(['symbol', 'account']),
    /** The shortest and longest countdown the venue takes (0, which stops it, aside); null where none is published. */
    minSeconds: z.number().int().positive().nullable(),
    maxSeconds: z.number().int().positive().nullable(),
    note,
  })
  .strict()
  .refine((d) => d.minSeconds === null || d.maxSeconds === null || d.minSeconds <= d.maxSeconds, { message: 'minSeconds is at most maxSeconds' })
export type DeadManSwitchSpec = z.infer<typeof deadManSwitchSchema>

export const catalogueEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/),
    name: z.string().min(2).max(60),
    /** ccxt class in the installed ccxt; null for a venue we implement ourselves (EXMO). */
    ccxtId: z.string().regex(/^[a-z0-9]+$/).nullable(),
    implementation: z.enum(['ccxt', 'bulwark']),
    market: z.enum(['spot', 'linear']),
    credentials: z.array(z.enum(['apiKey', 'secret', 'password'])).min(2),
    /** What the venue calls each field, for the connect form. */
    credentialLabels: z.object({ apiKey: z.string(), secret: z.string(), password: z.string().optional() }).strict(),
    permissionCheck: z.enum(permissionCheckKinds),
    verification: verificationSchema,
    acceptsEd25519: z.boolean(),
    sandbox: z
      .object({
        kind: z.enum(['none', 'testnet', 'demo']),
        /** How ccxt switches to it; null when there is nothing to switch to. */
        switch: z.enum(['setSandboxMode', 'enableDemoTrading']).nullable(),
        /** False where ccxt's setSandboxMode silently breaks the venue or routes to another venue's test host. */
        setSandboxModeSafe: z.boolean(),
        url: z.string().url().nullable(),
        note,
      })
      .strict(),
    clientOrderId: z
      .object({
        /** ccxt takes `params.clientOrderId` everywhere; this is the venue's own field it becomes. */
        venueField: z.string(),
        maxLength: z.number().int().positive(),
        /** Ids we generate must match this (anchored); stricter than the venue where its rule is unclear. */
        pattern: regexSource.refine((p) => p.startsWith('^') && p.endsWith('$'), { message: 'anchor the pattern with ^ and $' }),
        /** Added by ccxt in front of our id (Gate `t-`); counts against the venue's limit. */
        addedPrefix: z.string().nullable(),
        note,
      })
      .strict(),
    orderRecovery: z
      .object({
        mode: z.enum(['client-order-id', 'recent-orders-scan', 'at-most-once']),
        via: z.array(venueMethod),
        note,
      })
      .strict(),
    /** null: the venue has none Bulwark can arm over REST. */
    deadManSwitch: deadManSwitchSchema.nullable(),
    clock: z
      .object({
        signsTimestamps: z.boolean(),
        adjustForTimeDifference: z.boolean(),
        /** How far our clock may be off before the venue refuses a request, where published. */
        windowSeconds: z.number().positive().nullable(),
        note,
      })
      .strict(),
    rateLimit: z
      .object({
        /** ccxt's `rateLimit`: milliseconds per cost unit. */
        ccxtRateLimitMs: z.number().positive(),
        /** 60 000 / ccxtRateLimitMs: the cost units one egress IP may spend per minute, by ccxt's model. */
        costPerMinute: z.number().positive(),
        /** `METHOD /path-template` → ccxt's cost for the requests our methods send; unlisted ones cost 1. */
        weights: z.record(z.string().regex(/^(GET|POST|PUT|DELETE) \/\S+$/), z.number().nonnegative()),
        note,
      })
      .strict(),
    keyGuide: z.object({ url: z.string().url(), steps: z.array(z.string().min(10).max(400)).min(3).max(8) }).strict(),
  })
  .strict()
  .refine((e) => (e.implementation === 'ccxt') === (e.ccxtId !== null), { message: 'ccxtId is null exactly when the venue is our own implementation' })
  .refine((e) => e.credentials.includes('password') === (e.credentialLabels.password !== undefined), { message: 'label the passphrase exactly when one is needed' })
  .refine((e) => (e.verification.kind === 'none') === (e.permissionCheck === 'none'), { message: 'permissionCheck and verification agree' })
  .refine((e) => e.verification.kind === 'endpoint' || /^cannot be verified on /.test(e.verification.reason), { message: 'an unverifiable venue says "cannot be verified on <venue>"' })
  .refine((e) => e.sandbox.setSandboxModeSafe || e.sandbox.switch !== 'setSandboxMode', { message: 'setSandboxMode is only the switch where it is safe' })

export const venueSpecSchema = z
  .object({
    catalogue: catalogueEntrySchema,
    ccxt: z
      .object({
        /** ccxt constructor `options`: what keeps unified methods and loadMarkets from sending signed requests we did not ask for. */
        options: z.record(z.string(), z.unknown()),
        /** `has` overrides (a currency list that is a signed call on this venue). */
        has: z.record(z.string(), z.boolean()).optional(),
        /** How ccxt uses the secret as an HMAC key: the text itself, or its base64 decoding (Kraken). */
        secretEncoding: z.enum(['utf8', 'base64']),
        /** Where a signed request carries its signature (lowercase header names, query parameters). */
        signedBy: z.object({ headers: z.array(z.string().regex(/^[a-z0-9-]+$/)), query: z.array(z.string()) }).strict(),
      })
      .strict(),
    policy: z
      .object({
        allow: z.array(endpointRuleSchema).min(1),
        /** Backstop additions to the shared deny pattern for paths the pattern does not name. */
        deny: z.object({ paths: z.array(pathTemplate), patterns: z.array(regexSource) }).strict(),
      })
      .strict(),
  })
  .strict()
  .refine(
    (v) => Object.keys(v.catalogue.rateLimit.weights).every((k) => v.policy.allow.some((r) => `${r.method} ${r.path}` === k)),
    { message: 'every rate weight names an allowlisted endpoint' },
  )
  .refine((v) => v.catalogue.implementation === 'ccxt' || v.catalogue.permissionCheck === 'none', { message: 'a venue of our own has no permission endpoint yet' })
  .refine(
    (v) => {
      const check = v.catalogue.verification
      return check.kind === 'none' || v.policy.allow.some((r) => r.use === 'verify' && r.method === check.method && r.path === check.path)
    },
    { message: 'the permission read is an allowlisted verify rule' },
  )
  .refine(
    (v) => {
      const d = v.catalogue.deadManSwitch
      return d === null || v.policy.allow.some((r) => r.use === 'trade' && r.method === d.method && r.path === d.path)
    },
    { message: 'the dead-man switch endpoint is an allowlisted trade rule' },
  )
export type VenueSpec = z.infer<typeof venueSpecSchema>
export type CatalogueEntryData = z.infer<typeof catalogueEntrySchema>
