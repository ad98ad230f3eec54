import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { aeadEncrypt, canonicalJson } from '../../crypto/index.js'
import { AppError } from '../../lib/errors.js'
import { isSecretFieldName } from '../../lib/redact.js'
import { generateWebhookSecret, openWebhookSecret, sealWebhookSecret, webhookSecretPattern } from './webhook-secret.js'
import { webhookSignalBody } from '../trading-api-types.js'

const key = randomBytes(32)
const botA = '0194b3a0-0000-7000-8000-00000000000a'
const botB = '0194b3a0-0000-7000-8000-00000000000b'

const integrityFailure = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return err instanceof AppError ? err.code : err
  }
  return 'opened'
}

describe('webhook secrets', () => {
  it('are 32 random bytes behind the bwh_ prefix, distinct each time, and fit the webhook body', () => {
    const a = generateWebhookSecret()
    const b = generateWebhookSecret()
    expect(a).toMatch(webhookSecretPattern)
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32)
    expect(a).not.toBe(b)
    expect(webhookSignalBody.shape.secret.safeParse(a).success).toBe(true)
  })

  it('seal and open round trip for the same bot', () => {
    const secret = generateWebhookSecret()
    const sealed = sealWebhookSecret(key, botA, secret)
    expect(sealed.startsWith('v1.')).toBe(true)
    expect(sealed).not.toContain(secret.slice(4))
    expect(openWebhookSecret(key, botA, sealed)).toBe(secret)
  })

  it('do not open for another bot id, under another key, or after a flipped byte', () => {
    const sealed = sealWebhookSecret(key, botA, generateWebhookSecret())
    expect(integrityFailure(() => openWebhookSecret(key, botB, sealed))).toBe('INTEGRITY_FAILED')
    expect(integrityFailure(() => openWebhookSecret(randomBytes(32), botA, sealed))).toBe('INTEGRITY_FAILED')
    const raw = Buffer.from(sealed.slice(3), 'base64url')
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1
    expect(integrityFailure(() => openWebhookSecret(key, botA, `v1.${raw.toString('base64url')}`))).toBe('INTEGRITY_FAILED')
    expect(integrityFailure(() => openWebhookSecret(key, botA, sealed.slice(3)))).toBe('INTEGRITY_FAILED')
  })

  it('pin the associated data: purpose and bot id, canonical JSON, version 1', () => {
    const aad = Buffer.from(canonicalJson({ v: 1, purpose: 'webhook_secret', botId: botA }))
    const sealed = `v1.${aeadEncrypt(key, Buffer.from('bwh_pinned'), aad).toString('base64url')}`
    expect(openWebhookSecret(key, botA, sealed)).toBe('bwh_pinned')
  })

  it('refuse a key that is not 32 bytes', () => {
    expect(integrityFailure(() => sealWebhookSecret(randomBytes(16), botA, 'bwh_x'))).toBe('INTERNAL')
  })

  it('sit in a field the log redaction already hides', () => {
    expect(isSecretFieldName('secret')).toBe(true)
  })
})
