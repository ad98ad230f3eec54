import { createHmac } from 'node:crypto'
import { AEAD_KEY_BYTES, aeadDecrypt, aeadEncrypt, canonicalJson, IntegrityError, randomToken } from '../../crypto/index.js'
import { AppError } from '../../lib/errors.js'

/**
 * The signing secret of an outgoing alert webhook: 32 random bytes, base64url, behind `bwn_` so a reader
 * of a leak recognises it. Shown once at creation; stored sealed (AES-256-GCM) under the platform's
 * webhook key, bound to the channel id (a sealed secret copied to another channel's row does not open).
 */
export const NOTIFY_SECRET_PREFIX = 'bwn_'
const SEALED_PREFIX = 'v1.'

/** The context a sealed secret is bound to; changing it makes every stored secret unreadable (pinned by a test). */
const secretAad = (channelId: string) => Buffer.from(canonicalJson({ v: 1, purpose: 'notification_webhook_secret', channelId }))

const checkKey = (key: Uint8Array) => {
  if (key.length !== AEAD_KEY_BYTES) throw new AppError('INTERNAL', `the webhook key must be ${AEAD_KEY_BYTES} bytes`)
}

export const generateNotifySecret = (): string => `${NOTIFY_SECRET_PREFIX}${randomToken(32)}`

export const sealNotifySecret = (key: Uint8Array, channelId: string, secret: string): string => {
  checkKey(key)
  return SEALED_PREFIX + aeadEncrypt(key, Buffer.from(secret, 'utf8'), secretAad(channelId)).toString('base64url')
}

/**
 * Opens the sealed secret of channel `channelId`.
 * @throws AppError INTEGRITY_FAILED when it does not authenticate (tampered, another channel's, another key)
 */
export const openNotifySecret = (key: Uint8Array, channelId: string, sealed: string): string => {
  checkKey(key)
  try {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new IntegrityError()
    const plain = aeadDecrypt(key, Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url'), secretAad(channelId))
    try {
      return plain.toString('utf8')
    } finally {
      plain.fill(0)
    }
  } catch (err) {
    if (err instanceof IntegrityError) throw new AppError('INTEGRITY_FAILED', 'the stored signing secret of this webhook could not be read: create the webhook again', { cause: err })
    throw err
  }
}

/**
 * `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`: what a receiver recomputes from the raw body
 * and the `x-bulwark-timestamp` header (and rejects when the timestamp is old, against replays).
 */
export const signWebhook = (secret: string, timestamp: string, body: string): string => {
  const key = Buffer.from(secret, 'utf8')
  try {
    return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`
  } finally {
    key.fill(0)
  }
}
