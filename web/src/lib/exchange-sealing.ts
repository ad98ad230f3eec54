import type { CredentialField } from './exchange-parsers'
import { base64url, encodeCredentialFields, sealTo, type SealContext, type SealedEnvelope } from './sealing'

/**
 * Building the sealed envelope that carries exchange credentials from this page to the signer. The
 * api relays it and never sees the plaintext. Pure apart from the randomness and WebCrypto that
 * sealTo uses, so it runs (and is tested) in Node as well.
 */

/** How long an envelope stays valid: enough for the request, short enough that a copy is soon useless. */
export const SEAL_TTL_MS = 2 * 60_000

/** Bytes of randomness in the single-use nonce: 18 bytes are 24 base64url characters (the signer wants 16–64). */
const NONCE_BYTES = 18

/** Longest value a credential field may have here (a 4096-bit RSA PEM is about 3.3k characters). */
export const MAX_CREDENTIAL_LENGTH = 8_000

export const newSealNonce = (): string => base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES)))

/** The envelope lifetime: two minutes, or less when the signer accepts less. */
export const envelopeTtlMs = (maxEnvelopeAgeSeconds: number): number =>
  Number.isFinite(maxEnvelopeAgeSeconds) && maxEnvelopeAgeSeconds > 0 ? Math.min(SEAL_TTL_MS, maxEnvelopeAgeSeconds * 1000) : SEAL_TTL_MS

export type SealContextInput = { workspaceId: string; exchange: string; now: Date; ttlMs?: number; nonce?: string }

/** What the envelope is bound to: the signer opens it only for this workspace and exchange, once, before it expires. */
export const sealContextFor = ({ workspaceId, exchange, now, ttlMs = SEAL_TTL_MS, nonce = newSealNonce() }: SealContextInput): SealContext => ({
  workspaceId,
  exchange,
  nonce,
  expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  purpose: 'exchange-credentials',
})

/** HMAC keys have a text secret; some venues also take an Ed25519 private key as PEM text. */
export type KeyKind = 'hmac' | 'ed25519'

export type CredentialInput = Partial<Record<CredentialField, string>>
export type CredentialProblems = Partial<Record<CredentialField, string>>
export type CredentialLabels = Readonly<Record<CredentialField, string>>

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----/
const PEM_END = /-----END (?:[A-Z0-9]+ )?PRIVATE KEY-----/

const keyTextProblem = (value: string, label: string): string | undefined => {
  if (value === '') return `Paste the ${label}.`
  if (/\s/.test(value)) return `The ${label} has spaces or line breaks in it: copy it again from the exchange.`
  if (value.length > MAX_CREDENTIAL_LENGTH) return `The ${label} is longer than any exchange issues: copy it again.`
  return undefined
}

const pemProblem = (value: string): string | undefined => {
  if (value === '') return 'Paste the private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.'
  if (/PUBLIC KEY-----/.test(value)) return 'This is the public key: the exchange keeps that one. Paste the private key you generated.'
  if (!PEM_BEGIN.test(value) || !PEM_END.test(value)) return 'Paste the whole private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.'
  if (value.length > MAX_CREDENTIAL_LENGTH) return 'The private key is too long for an exchange key.'
  return undefined
}

/**
 * Checks and tidies what was typed, for the fields this exchange needs and no others. API keys and
 * HMAC secrets never contain whitespace, so a stray space from copying is removed at the ends and
 * refused inside; a PEM keeps its line breaks; a passphrase is sent exactly as typed.
 */
export const prepareCredentials = (
  required: readonly CredentialField[],
  input: CredentialInput,
  labels: CredentialLabels,
  keyKind: KeyKind = 'hmac',
): { ok: true; fields: Record<string, string> } | { ok: false; problems: CredentialProblems } => {
  const problems: CredentialProblems = {}
  const fields: Record<string, string> = {}
  for (const field of required) {
    const raw = input[field] ?? ''
    if (field === 'password') {
      if (raw === '') problems.password = `Enter the ${labels.password} you chose when you created the key.`
      else if (raw.length > MAX_CREDENTIAL_LENGTH) problems.password = `The ${labels.password} is too long.`
      else fields.password = raw
      continue
    }
    const value = field === 'secret' && keyKind === 'ed25519' ? raw.replace(/\r\n?/g, '\n').trim() : raw.trim()
    const problem = field === 'secret' && keyKind === 'ed25519' ? pemProblem(value) : keyTextProblem(value, labels[field])
    if (problem === undefined) fields[field] = value
    else problems[field] = problem
  }
  return Object.keys(problems).length === 0 ? { ok: true, fields } : { ok: false, problems }
}

export type SealInput = {
  /** The signer's raw P-256 public key, base64url (GET …/exchange-accounts/sealing-key). */
  publicKey: string
  workspaceId: string
  exchange: string
  /** From prepareCredentials: `{ apiKey, secret, password? }`. */
  fields: Record<string, string>
  now: Date
  ttlMs?: number
  nonce?: string
}

/**
 * Seals the credentials to the signer. The encoded plaintext is zeroed once encrypted (the strings
 * the inputs held are the caller's to drop).
 * @throws Error when the public key cannot be imported (not a P-256 point)
 */
export const sealCredentials = async ({ publicKey, workspaceId, exchange, fields, now, ttlMs, nonce }: SealInput): Promise<SealedEnvelope> => {
  const plaintext = encodeCredentialFields(fields)
  try {
    return await sealTo(publicKey, plaintext, sealContextFor({ workspaceId, exchange, now, ...(ttlMs === undefined ? {} : { ttlMs }), ...(nonce === undefined ? {} : { nonce }) }))
  } finally {
    plaintext.fill(0)
  }
}

/**
 * Whether to ask "confirm it's you" before sealing rather than after: a step-up that runs out while
 * the envelope is on its way makes the api ask again, and an envelope that expires in the meantime
 * means typing the secret again. `stepUpUntil` is GET /api/me's.
 */
export const needsStepUpFirst = (stepUpUntil: string | null, now: Date, ttlMs: number = SEAL_TTL_MS): boolean => {
  if (stepUpUntil === null) return true
  const until = Date.parse(stepUpUntil)
  return Number.isNaN(until) || until - now.getTime() < ttlMs
}
