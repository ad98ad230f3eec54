import { and, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { rowsOf, schema, type Db } from '../db/index.js'

const { exchangeActivity } = schema

/**
 * The exchange-activity log as users read it (table `exchange_activity`, one row per private call the
 * key relay made through the signer, whatever its outcome): a filtered, keyset-paged list and a per-key
 * summary. Rows are written by keys/key-admin.ts; this file only reads them, always inside one workspace.
 */

export const activityOutcomes = ['success', 'failure', 'denied'] as const

export const activityQuery = z
  .object({
    keyId: z.string().uuid('must be a key id').optional(),
    exchangeAccountId: z.string().uuid('must be an exchange account id').optional(),
    botId: z.string().uuid('must be a bot id').optional(),
    method: z.string().regex(/^[A-Za-z]{1,40}$/, 'must be a venue method name, like createOrder').optional(),
    outcome: z.enum(activityOutcomes).optional(),
    from: z.string().datetime({ offset: true, message: 'must be an ISO 8601 time' }).optional(),
    to: z.string().datetime({ offset: true, message: 'must be an ISO 8601 time' }).optional(),
    /** The `next` of the previous page. */
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()
export type ActivityQuery = z.input<typeof activityQuery>

export type ActivityEntry = {
  id: string
  occurredAt: string
  keyId: string
  exchangeAccountId: string | null
  exchange: string | null
  method: string
  endpoint: string | null
  botId: string | null
  outcome: string
  errorCode: string | null
  durationMs: number
  actorType: string
  actorId: string | null
  requestId: string
  details: Record<string, unknown>
}

export type KeyActivitySummary = {
  keyId: string
  exchangeAccountId: string | null
  exchange: string | null
  requests: number
  errors: number
  denied: number
  lastUsedAt: string | null
  latencyP50Ms: number | null
  latencyP95Ms: number | null
  /** Requests per UTC day, oldest first, one entry per day of the window (zeros included). */
  perDay: Array<{ day: string; requests: number; errors: number; denied: number }>
}

const SUMMARY_DAYS = 30
const DAY_MS = 86_400_000

/** Newest first; the cursor is the last row's (time, id), so pages never skip or repeat a row. */
const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url')
const decodeCursor = (cursor: string): { at: Date; id: string } => {
  const [iso = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const at = new Date(iso)
  if (Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new AppError('BAD_INPUT', 'cursor: not a cursor this list gave out')
  return { at, id }
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

export const createExchangeActivity = ({ db, clock }: { db: Db; clock: Clock }) => {
  /** @throws AppError BAD_INPUT for a bad filter or cursor */
  const query = async (workspaceId: string, input: ActivityQuery = {}): Promise<{ entries: ActivityEntry[]; next: string | null }> => {
    const parsed = activityQuery.safeParse(input)
    if (!parsed.success) throw new AppError('BAD_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
    const q = parsed.data
    const where: SQL[] = [eq(exchangeActivity.workspaceId, workspaceId)]
    if (q.keyId) where.push(eq(exchangeActivity.keyId, q.keyId))
    if (q.exchangeAccountId) where.push(eq(exchangeActivity.exchangeAccountId, q.exchangeAccountId))
    if (q.botId) where.push(eq(exchangeActivity.botId, q.botId))
    if (q.method) where.push(eq(exchangeActivity.method, q.method))
    if (q.outcome) where.push(eq(exchangeActivity.outcome, q.outcome))
    if (q.from) where.push(gte(exchangeActivity.occurredAt, new Date(q.from)))
    if (q.to) where.push(lt(exchangeActivity.occurredAt, new Date(q.to)))
    if (q.cursor) {
      const c = decodeCursor(q.cursor)
      const older = or(lt(exchangeActivity.occurredAt, c.at), and(eq(exchangeActivity.occurredAt, c.at), lt(exchangeActivity.id, c.id)))
      if (older) where.push(older)
    }
    const rows = await db
      .select()
      .from(exchangeActivity)
      .where(and(...where))
      .orderBy(desc(exchangeActivity.occurredAt), desc(exchangeActivity.id))
      .limit(q.limit + 1)
    const page = rows.slice(0, q.limit)
    const last = page.at(-1)
    return {
      entries: page.map((r) => ({
        id: r.id,
        occurredAt: r.occurredAt.toISOString(),
        keyId: r.keyId,
        exchangeAccountId: r.exchangeAccountId,
        exchange: r.exchange,
        method: r.method,
        endpoint: r.endpoint,
        botId: r.botId,
        outcome: r.outcome,
        errorCode: r.errorCode,
        durationMs: r.durationMs,
        actorType: r.actorType,
        actorId: r.actorId,
        requestId: r.requestId,
        details: r.details as Record<string, unknown>,
      })),
      next: rows.length > q.limit && last ? encodeCursor(last.occurredAt, last.id) : null,
    }
  }

  /**
   * Per key over the last 30 days (UTC days, today included): requests per day, errors, refusals, the
   * last use ever, and p50/p95 latency over the window. `keyId` narrows it to one key.
   */
  const summary = async (workspaceId: string, opts: { keyId?: string | undefined } = {}): Promise<KeyActivitySummary[]> => {
    if (opts.keyId !== undefined && !z.string().uuid().safeParse(opts.keyId).success) throw new AppError('BAD_INPUT', 'keyId: must be a key id')
    const now = clock.now().getTime()
    const firstDay = Date.parse(utcDay(now - (SUMMARY_DAYS - 1) * DAY_MS))
    const since = new Date(firstDay)
    const keyFilter = opts.keyId === undefined ? sql`` : sql` and key_id = ${opts.keyId}`
    const totals = rowsOf<{ keyId: string; exchangeAccountId: string | null; exchange: string | null; requests: number; errors: number; denied: number; p50: number | null; p95: number | null }>(
      await db.execute(sql`
        select key_id as "keyId",
               (array_agg(exchange_account_id order by occurred_at desc) filter (where exchange_account_id is not null))[1] as "exchangeAccountId",
               (array_agg(exchange order by occurred_at desc) filter (where exchange is not null))[1] as "exchange",
               count(*)::int as "requests",
               (count(*) filter (where outcome = 'failure'))::int as "errors",
               (count(*) filter (where outcome = 'denied'))::int as "denied",
               percentile_cont(0.5) within group (order by duration_ms) as "p50",
               percentile_cont(0.95) within group (order by duration_ms) as "p95"
          from exchange_activity
         where workspace_id = ${workspaceId} and occurred_at >= ${since.toISOString()}::timestamptz${keyFilter}
         group by key_id`),
    )
    const days = rowsOf<{ keyId: string; day: string; requests: number; errors: number; denied: number }>(
      await db.execute(sql`
        select key_id as "keyId", to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as "day",
               count(*)::int as "requests",
               (count(*) filter (where outcome = 'failure'))::int as "errors",
               (count(*) filter (where outcome = 'denied'))::int as "denied"
          from exchange_activity
         where workspace_id = ${workspaceId} and occurred_at >= ${since.toISOString()}::timestamptz${keyFilter}
         group by 1, 2`),
    )
    // The last use is all-time (a key idle for longer than the window still has one).
    const lastUse = rowsOf<{ keyId: string; lastUsedAt: Date | string | null }>(
      await db.execute(sql`select key_id as "keyId", max(occurred_at) as "lastUsedAt" from exchange_activity where workspace_id = ${workspaceId}${keyFilter} group by key_id`),
    )
    const lastOf = new Map(lastUse.map((r) => [r.keyId, r.lastUsedAt === null ? null : new Date(r.lastUsedAt).toISOString()]))
    const window = Array.from({ length: SUMMARY_DAYS }, (_, i) => utcDay(firstDay + i * DAY_MS))
    const keys = new Set([...totals.map((t) => t.keyId), ...lastOf.keys()])
    return [...keys].sort().map((keyId) => {
      const t = totals.find((r) => r.keyId === keyId)
      const byDay = new Map(days.filter((d) => d.keyId === keyId).map((d) => [d.day, d]))
      return {
        keyId,
        exchangeAccountId: t?.exchangeAccountId ?? null,
        exchange: t?.exchange ?? null,
        requests: Number(t?.requests ?? 0),
        errors: Number(t?.errors ?? 0),
        denied: Number(t?.denied ?? 0),
        lastUsedAt: lastOf.get(keyId) ?? null,
        latencyP50Ms: t?.p50 == null ? null : Math.round(Number(t.p50)),
        latencyP95Ms: t?.p95 == null ? null : Math.round(Number(t.p95)),
        perDay: window.map((day) => {
          const d = byDay.get(day)
          return { day, requests: Number(d?.requests ?? 0), errors: Number(d?.errors ?? 0), denied: Number(d?.denied ?? 0) }
        }),
      }
    })
  }

  return { query, summary }
}
export type ExchangeActivity = ReturnType<typeof createExchangeActivity>
