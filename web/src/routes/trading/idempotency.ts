import { asApiError } from '../../lib/api'

/**
 * Idempotency keys for requests that place orders (create a Smart Trade, close at market). Each submit
 * gets a fresh key; a retry of the same request after an answer that was lost (network, timeout, a
 * server error) reuses it, so the server returns the first result instead of acting twice. Once the
 * outcome is known (success, or a refusal that changed nothing) the key is spent.
 */

export type PendingKey = { key: string; fingerprint: string }

/** The key for this attempt: the pending one when the same request is sent again, else a new one. */
export const keyForAttempt = (pending: PendingKey | undefined, fingerprint: string, newKey: () => string): PendingKey =>
  pending !== undefined && pending.fingerprint === fingerprint ? pending : { key: newKey(), fingerprint }

/** Whether a failed request may still have happened on the server (then its key must be kept). */
export const mayHaveHappened = (error: unknown): boolean => {
  const { code, status } = asApiError(error)
  return code === 'NETWORK' || code === 'TIMEOUT' || code === 'BAD_RESPONSE' || (status !== undefined && status >= 500)
}

/**
 * Runs `send` with the right key and keeps or spends it. The caller holds `pending` (a ref) between
 * attempts; `fingerprint` is the request as it would be sent (a changed form is a new request).
 */
export const sendIdempotent = async <T>(
  pending: { current: PendingKey | undefined },
  fingerprint: string,
  send: (key: string) => Promise<T>,
  newKey: () => string = () => crypto.randomUUID(),
): Promise<T> => {
  const attempt = keyForAttempt(pending.current, fingerprint, newKey)
  pending.current = attempt
  try {
    const result = await send(attempt.key)
    pending.current = undefined
    return result
  } catch (error) {
    if (!mayHaveHappened(error)) pending.current = undefined
    throw error
  }
}
