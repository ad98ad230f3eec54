import { systemErrorCode } from '../lib/errors.js'

/** PostgreSQL's "deadlock detected" and "could not serialize": the transaction was rolled back whole and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001'])

const retryable = (err: unknown): boolean => {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (RETRYABLE.has(systemErrorCode(e) ?? '')) return true
  }
  return false
}

/**
 * Runs a transaction again when PostgreSQL chose it as a deadlock's victim (or could not serialize it):
 * nothing of it was kept, so a second run is safe. For transactions that take row locks in an order
 * other writers of the same rows cannot always share (a lockdown locks its workspace, then the audit
 * chain head, while background steps append first). At most `attempts` runs; the last error is thrown.
 */
export const retryOnDeadlock = async <T>(run: () => Promise<T>, attempts = 3): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err
    }
  }
}
