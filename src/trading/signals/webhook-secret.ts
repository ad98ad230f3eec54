import { AEAD_KEY_BYTES, aeadDecrypt, aeadEncrypt, canonicalJson, IntegrityError, randomToken } from '../../crypto/index.js'
import { AppError } from '../../lib/errors.js'

/**
 * A signal bot's webhook secret: 32 random bytes, base64url, behind a `bwh_` prefix so secret scanners
 * and a reader of a leaked log recognise it for what it is (like `bwt_` API tokens). It is stored sealed
 * under the platform's webhook key (not the vault's master key: a webhook secret can trigger a signal,
 * never reach an exchange credential), bound to the bot id, so a sealed secret copied to another bot's
 * row does not open.
 */
export const WEBHOOK_SECRET_PREFIX = 'bwh_'
export const webhookSecretPattern = /^bwh_[A-Za-z0-9_-]{43}$/
const SEALED_PREFIX = 'v1.'

/**
 * The context a sealed secret is bound to. Changing it makes every stored secret unreadable, so
 * webhook-secret.test.ts pins it.
 */
const secretAad = (botId: string) => Buffer.from(canonicalJson({ v: 1, purpose: 'webhook_secret', botId }))

const checkKey = (key: Uint8Array) => {
  if (key.length !== AEAD_KEY_BYTES) throw new AppError('INTERNAL', `the webhook key must be ${AEAD_KEY_BYTES} bytes`)
}

/** A fresh secret, shown to the user once at creation (and again on request through the API). */
export const generateWebhookSecret = (): string => `${WEBHOOK_SECRET_PREFIX}${randomToken(32)}`

/**
 * Seals `secret` for the `bots.webhook_secret_sealed` column of bot `botId`.
 * @throws AppError INTERNAL when the key is not 32 bytes
 */
export const sealWebhookSecret = (key: Uint8Array, botId: string, secret: string): string => {
  checkKey(key)
  return SEALED_PREFIX + aeadEncrypt(key, Buffer.from(secret, 'utf8'), secretAad(botId)).toString('base64url')
}

/**
 * Opens a sealed secret of bot `botId`.
 * @throws AppError INTEGRITY_FAILED when it does not authenticate (tampered, another bot's, another key)
 */
export const openWebhookSecret = (key: Uint8Array, botId: string, sealed: string): string => {
  checkKey(key)
  try {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new IntegrityError()
    const plain = aeadDecrypt(key, Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url'), secretAad(botId))
    try {
      return plain.toString('utf8')
    } finally {
      plain.fill(0)
    }
  } catch (err) {
    if (err instanceof IntegrityError) throw new AppError('INTEGRITY_FAILED', 'the stored webhook secret of this bot could not be read: generate a new one', { cause: err })
    throw err
  }
}
