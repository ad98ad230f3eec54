import type { Parse } from './api'
import { booleanField, isRecord, readList, readObject, stringField, type JsonRecord } from './json-guards'
import { parseApproval, type Approval } from './team-parsers'

/**
 * Types and parsers for the exchange-account API (src/api/routes/exchange-account-routes.ts).
 *
 * The catalogue grows with the venue files (src/exchanges/venues/*.ts), so its parser is lenient: an
 * entry needs an id, a name and its credential list; everything else (labels, key guide,
 * verification) is optional and ignored when it has another shape. Accounts and operations are
 * checked field by field like the other parsers, with the open `verification` record read leniently.
 */

export type CredentialField = 'apiKey' | 'secret' | 'password'
const credentialFields: readonly CredentialField[] = ['apiKey', 'secret', 'password']

const defaultCredentialLabels: Readonly<Record<CredentialField, string>> = { apiKey: 'API key', secret: 'Secret key', password: 'Passphrase' }

export type CatalogueEntry = {
  id: string
  name: string
  /** 'spot' or 'linear' today; kept as a string for market kinds added later. */
  market: string
  /** The fields this venue's key has, in the catalogue's order. */
  credentials: CredentialField[]
  /** Fields this page cannot ask for (a newer server); such an exchange cannot be connected from here. */
  unknownCredentials: string[]
  /** What the venue calls each field. */
  credentialLabels: Readonly<Record<CredentialField, string>>
  /** The venue takes an Ed25519 key, which the signer can generate (the private key never leaves it). */
  acceptsEd25519: boolean
  /** Bulwark can read the key's permissions at this venue. */
  canVerify: boolean
  /** Why it cannot ("cannot be verified on EXMO: …"), when the catalogue says. */
  unverifiableReason: string | undefined
  keyGuide: { url: string | undefined; steps: string[] } | undefined
}

export type Catalogue = { egressIps: string[]; exchanges: CatalogueEntry[] }

/** Only https links leave the dashboard: a catalogue that says `javascript:` gets no link. */
export const safeExternalUrl = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    return url.protocol === 'https:' ? url.href : undefined
  } catch {
    return undefined
  }
}

/**
 * The secret's label for the paste path. A venue that also takes a generated Ed25519 key may mention it
 * in the label ("Secret Key (or the Ed25519 private key Bulwark generated)"), but that private key stays
 * in the signer and is never pasted: the field asks for the HMAC secret only.
 */
export const hmacSecretLabel = (label: string): string => {
  const bare = label.replace(/\s*\([^()]*ed25519[^()]*\)\s*$/i, '').trim()
  return bare === '' ? defaultCredentialLabels.secret : bare
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [])

const parseCatalogueEntry = (value: unknown): CatalogueEntry | undefined => {
  if (!isRecord(value)) return undefined
  const id = stringField(value, 'id')
  const name = stringField(value, 'name')
  const listed = stringList(value.credentials)
  if (id === undefined || id === '' || name === undefined || listed.length === 0) return undefined
  const credentials = credentialFields.filter((field) => listed.includes(field))
  const unknownCredentials = listed.filter((field) => !credentialFields.some((known) => known === field))
  const labels = isRecord(value.credentialLabels) ? value.credentialLabels : {}
  const label = (field: CredentialField) => {
    const given = stringField(labels, field)?.trim()
    return given === undefined || given === '' ? defaultCredentialLabels[field] : given
  }
  const verification = isRecord(value.verification) ? value.verification : undefined
  const permissionCheck = stringField(value, 'permissionCheck')
  const canVerify = verification === undefined ? permissionCheck !== 'none' : stringField(verification, 'kind') !== 'none'
  const guide = isRecord(value.keyGuide) ? value.keyGuide : undefined
  return {
    id,
    name,
    market: stringField(value, 'market') ?? 'spot',
    credentials,
    unknownCredentials,
    credentialLabels: { apiKey: label('apiKey'), secret: hmacSecretLabel(label('secret')), password: label('password') },
    acceptsEd25519: booleanField(value, 'acceptsEd25519') ?? false,
    canVerify,
    unverifiableReason: canVerify || verification === undefined ? undefined : stringField(verification, 'reason'),
    keyGuide: guide === undefined ? undefined : { url: safeExternalUrl(guide.url), steps: stringList(guide.steps) },
  }
}

/** An exchange this page can connect: it asks for an API key and a secret, and nothing it does not know. */
export const isConnectable = (entry: CatalogueEntry): boolean =>
  entry.unknownCredentials.length === 0 && entry.credentials.includes('apiKey') && entry.credentials.includes('secret')

export const parseCatalogue: Parse<Catalogue> = (body) => {
  const fields = readObject(body, 'exchange catalogue')
  const exchanges = fields.array('exchanges', (item) => parseCatalogueEntry(item)).filter((entry): entry is CatalogueEntry => entry !== undefined)
  return { egressIps: fields.stringArray('egressIps'), exchanges }
}

export type KeyLimits = {
  /** Unified symbols, e.g. "BTC/USDT". */
  symbols: string[]
  /** Decimal strings in the quote currency. */
  maxOrderNotional: string
  max24hNotional: string
  maxOrdersPerMinute: number
  /** Decimal string, percent. */
  priceBandPct: string
}

export const parseKeyLimits = (value: unknown): KeyLimits => {
  const fields = readObject(value, 'key limits')
  return {
    symbols: fields.stringArray('symbols'),
    maxOrderNotional: fields.string('maxOrderNotional'),
    max24hNotional: fields.string('max24hNotional'),
    maxOrdersPerMinute: fields.number('maxOrdersPerMinute'),
    priceBandPct: fields.string('priceBandPct'),
  }
}

/** 'awaiting_api_key': the signer generated an Ed25519 key pair and waits for the API key the exchange issues for it. */
export type VerificationStatus = 'verified' | 'unverifiable' | 'unreachable' | 'awaiting_api_key'

/** What the signer learned from the exchange about the key; every field may be missing. */
export type Verification = {
  /** undefined for a status this page does not know (or none yet). */
  status: VerificationStatus | undefined
  checkedAt: string | undefined
  withdrawEnabled: boolean | undefined
  transferEnabled: boolean | undefined
  tradingEnabled: boolean | undefined
  /** false: no IP whitelist; undefined: the exchange does not say. */
  ipRestricted: boolean | undefined
  /** When the key stops working; null: the exchange said it never expires; undefined: it did not say. */
  expiresAt: string | null | undefined
  note: string | undefined
  /** The public half of a key pair the signer generated, to register at the exchange (SPKI PEM). */
  publicKeyPem: string | undefined
}

const verificationStatuses: readonly VerificationStatus[] = ['verified', 'unverifiable', 'unreachable', 'awaiting_api_key']

export const parseVerification = (value: JsonRecord): Verification => {
  const status = stringField(value, 'status')
  return {
    status: verificationStatuses.find((known) => known === status),
    checkedAt: stringField(value, 'checkedAt'),
    withdrawEnabled: booleanField(value, 'withdrawEnabled'),
    transferEnabled: booleanField(value, 'transferEnabled'),
    tradingEnabled: booleanField(value, 'tradingEnabled'),
    ipRestricted: booleanField(value, 'ipRestricted'),
    expiresAt: value.expiresAt === null ? null : stringField(value, 'expiresAt'),
    note: stringField(value, 'note'),
    publicKeyPem: stringField(value, 'publicKeyPem'),
  }
}

export type ExchangeAccount = {
  id: string
  exchange: string
  label: string
  /** 'active' | 'disabled' | 'unverified' | 'pending_approval' | …: a string for states added later. */
  state: string
  disabledReason: string | null
  /** Masked by the server, e.g. "abcd…wxyz". */
  apiKeyHint: string
  verification: Verification
  /** null when the signer could not be asked. */
  limits: KeyLimits | null
  createdAt: string
  keyCreatedAt: string
  keyAgeDays: number
  lastUsedAt: string | null
  lastVerifiedAt: string | null
  /** The signer did not answer just now: state and badges are the last known ones. */
  stale: boolean
  /** The signer's key id: pending changes refer to the account by it. */
  keyId: string
}

export const parseExchangeAccount = (value: unknown): ExchangeAccount => {
  const fields = readObject(value, 'exchange account')
  const limits = isRecord(value) ? value.limits : undefined
  return {
    id: fields.string('id'),
    exchange: fields.string('exchange'),
    label: fields.string('label'),
    state: fields.string('state'),
    disabledReason: fields.nullableString('disabledReason'),
    apiKeyHint: fields.string('apiKeyHint'),
    verification: parseVerification(fields.record('verification')),
    limits: limits === null || limits === undefined ? null : parseKeyLimits(limits),
    createdAt: fields.string('createdAt'),
    keyCreatedAt: fields.string('keyCreatedAt'),
    keyAgeDays: fields.number('keyAgeDays'),
    lastUsedAt: fields.nullableString('lastUsedAt'),
    lastVerifiedAt: fields.nullableString('lastVerifiedAt'),
    stale: fields.boolean('stale'),
    keyId: fields.string('keyId'),
  }
}

export const parseExchangeAccounts: Parse<ExchangeAccount[]> = (body) => readList(body, 'exchange accounts', parseExchangeAccount)

export type SealingKey = {
  publicKey: string
  algorithm: string
  maxEnvelopeAgeSeconds: number
  /** The server's clock when it answered (ISO): envelopes expire by it, not by this browser's clock. */
  now: string
}

export const parseSealingKey: Parse<SealingKey> = (body) => {
  const fields = readObject(body, 'sealing key')
  const publicKey = fields.string('publicKey')
  if (publicKey === '') throw new Error('sealing key: empty public key')
  const now = fields.string('now')
  if (Number.isNaN(Date.parse(now))) throw new Error('sealing key: now is not a date')
  return { publicKey, algorithm: fields.string('algorithm'), maxEnvelopeAgeSeconds: fields.number('maxEnvelopeAgeSeconds'), now }
}

/** POST …/exchange-accounts/ed25519: the new account (awaiting its API key) and the public key to register. */
export type GeneratedKey = { account: ExchangeAccount; publicKeyPem: string }

export const parseGeneratedKey: Parse<GeneratedKey> = (body) => {
  const fields = readObject(body, 'generated key')
  return { account: parseExchangeAccount(fields.record('account')), publicKeyPem: fields.string('publicKeyPem') }
}

/** A widening waiting for a passkey confirmation or its delay: raised limits, enabling a key, trusting a passkey. */
export type WideningOperation = {
  operationId: string
  /** The signer's key id; null for a passkey trust. */
  keyId: string | null
  /** 'limits' | 'enable' | 'trust_passkey', or a kind added later. */
  kind: string
  params: JsonRecord
  /** 'pending' | 'applying' | 'applied' | 'cancelled' | 'superseded' | 'failed'. */
  state: string
  createdAt: string
  /** When it applies by itself unless cancelled. */
  notBefore: string
}

export const parseWideningOperation = (value: unknown): WideningOperation => {
  const fields = readObject(value, 'pending change')
  return {
    operationId: fields.string('operationId'),
    keyId: fields.nullableString('keyId'),
    kind: fields.string('kind'),
    params: isRecord(value) && isRecord(value.params) ? value.params : {},
    state: fields.string('state'),
    createdAt: fields.string('createdAt'),
    notBefore: fields.string('notBefore'),
  }
}

export const parseWideningOperations: Parse<WideningOperation[]> = (body) => readList(body, 'pending changes', parseWideningOperation)

/** The limits proposed by a pending 'limits' operation, when its params carry them. */
export const proposedLimits = (operation: WideningOperation): KeyLimits | undefined => {
  if (operation.kind !== 'limits') return undefined
  try {
    return parseKeyLimits(operation.params.limits)
  } catch {
    return undefined
  }
}

/**
 * Lower limits apply; higher ones wait for the owner's passkey or the signer's delay (`pending_confirmation`),
 * or, in a workspace with four-eyes approvals (R42), for a second owner or admin (`pending_approval`).
 */
export type LimitsResult =
  | { status: 'applied'; account: ExchangeAccount }
  | { status: 'pending_confirmation'; operation: WideningOperation }
  | { status: 'pending_approval'; approval: Approval }

export const parseLimitsResult: Parse<LimitsResult> = (body) => {
  const fields = readObject(body, 'limits change')
  const status = fields.oneOf('status', ['applied', 'pending_confirmation', 'pending_approval'] as const)
  switch (status) {
    case 'applied':
      return { status, account: parseExchangeAccount(fields.record('account')) }
    case 'pending_confirmation':
      return { status, operation: parseWideningOperation(fields.record('operation')) }
    case 'pending_approval':
      return { status, approval: parseApproval(fields.record('approval')) }
  }
}

export type PendingResult = { status: 'pending_confirmation'; operation: WideningOperation }

export const parsePendingResult: Parse<PendingResult> = (body) => {
  const fields = readObject(body, 'pending change')
  return { status: fields.oneOf('status', ['pending_confirmation'] as const), operation: parseWideningOperation(fields.record('operation')) }
}

/** How a confirmation or cancellation ended: 'applied', 'cancelled', or 'superseded'/'failed' with a note. */
export type OperationOutcome = { state: string | undefined; note: string | undefined }

/** Lenient on purpose: the change already happened, so an answer with an odd shape must not look like a failure. */
export const parseOperationOutcome: Parse<OperationOutcome> = (body) =>
  isRecord(body) ? { state: stringField(body, 'state'), note: stringField(body, 'note') } : { state: undefined, note: undefined }
