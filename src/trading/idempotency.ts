import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import { AppError, type ErrorCode } from '../lib/errors.js'
import { canonicalJson, sha256Hex } from '../crypto/index.js'

/**
 * `Idempotency-Key` for user order requests (Smart Trade create, manual close): the first request with a
 * key runs; a repeat with the same key and the same body returns the first result (status and body) and
 * runs nothing; the same key with another body or route is refused. A request still running when its
 * repeat arrives answers CONFLICT (the client retries later). Server failures (5xx) forget the key, so a
 * retry can run; a 4xx answer is the result and is replayed like a success.
 */
export type IdempotentResult<T> = { status: number; body: T; replayed: boolean }

export const idempotencyKeyPattern = /^[A-Za-z0-9_:.-]{8,100}$/

export const createIdempotency = ({ db, clock }: { db: Db; clock: Clock }) => {
  const run = async <T>(workspaceId: string, key: string, scope: string, request: unknown, fn: () => Promise<{ status: number; body: T }>): Promise<IdempotentResult<T>> => {
    if (!idempotencyKeyPattern.test(key)) throw new AppError('BAD_INPUT', 'the Idempotency-Key header must be 8-100 letters, digits or _:.- (a UUID is ideal)')
    const requestHash = sha256Hex(canonicalJson(request))
    const inserted = await db
      .insert(schema.idempotencyKeys)
      .values({ workspaceId, key, scope, requestHash, createdAt: clock.now() })
      .onConflictDoNothing()
      .returning({ key: schema.idempotencyKeys.key })
    if (inserted.length === 0) {
      const [row] = await db.select().from(schema.idempotencyKeys).where(and(eq(schema.idempotencyKeys.workspaceId, workspaceId), eq(schema.idempotencyKeys.key, key)))
      if (!row) throw new AppError('CONFLICT', 'this Idempotency-Key was just released: send the request again')
      if (row.scope !== scope || row.requestHash !== requestHash) throw new AppError('CONFLICT', 'this Idempotency-Key was used for a different request: use a new key for a new request', { reason: 'IDEMPOTENCY_KEY_REUSED' })
      if (row.statusCode === null) throw new AppError('CONFLICT', 'the first request with this Idempotency-Key is still running: try again in a moment', { reason: 'IDEMPOTENT_REQUEST_IN_PROGRESS' })
      // A refusal is replayed as the same refusal (same code, message and reason).
      if (row.statusCode >= 400) {
        const first = row.response as { code: ErrorCode; message: string; reason?: string }
        throw new AppError(first.code, first.message, first.reason === undefined ? {} : { reason: first.reason })
      }
      return { status: row.statusCode, body: row.response as T, replayed: true }
    }
    const forget = () => db.delete(schema.idempotencyKeys).where(and(eq(schema.idempotencyKeys.workspaceId, workspaceId), eq(schema.idempotencyKeys.key, key)))
    let result: { status: number; body: T }
    try {
      result = await fn()
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        const body = { code: err.code, message: err.message, ...(err.reason ? { reason: err.reason } : {}) }
        await db.update(schema.idempotencyKeys).set({ statusCode: err.status, response: body }).where(and(eq(schema.idempotencyKeys.workspaceId, workspaceId), eq(schema.idempotencyKeys.key, key)))
      } else await forget()
      throw err
    }
    await db
      .update(schema.idempotencyKeys)
      .set({ statusCode: result.status, response: result.body as never })
      .where(and(eq(schema.idempotencyKeys.workspaceId, workspaceId), eq(schema.idempotencyKeys.key, key)))
    return { ...result, replayed: false }
  }
  /**
   * Forgets answers older than a day (a retry comes within minutes, not days) and releases keys whose
   * first request never finished (the process died mid-request) after ten minutes, so the client's retry
   * can run: whatever that first request managed to do is in the journal, keyed by intent, and is not
   * repeated by the retry's orders (a smart trade created twice is the worst case, and visible).
   */
  const purge = async (): Promise<void> => {
    const now = clock.now().getTime()
    await db
      .delete(schema.idempotencyKeys)
      .where(or(lt(schema.idempotencyKeys.createdAt, new Date(now - 86_400_000)), and(isNull(schema.idempotencyKeys.statusCode), lt(schema.idempotencyKeys.createdAt, new Date(now - 600_000)))))
  }

  return { run, purge }
}
export type Idempotency = ReturnType<typeof createIdempotency>
