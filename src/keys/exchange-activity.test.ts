import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createExchangeActivity } from './exchange-activity.js'

const DAY = 86_400_000

describe.each(backends)('exchange activity on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-10T12:00:00Z')
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  const workspace = async () => {
    const id = newId()
    await database.db.insert(schema.workspaces).values({ id, name: 'w', createdAt: clock.now() })
    return id
  }
  const call = (workspaceId: string, keyId: string, at: number, over: { method?: string; outcome?: 'success' | 'failure' | 'denied'; durationMs?: number; botId?: string } = {}) =>
    database.db.insert(schema.exchangeActivity).values({
      id: newId(at),
      workspaceId,
      keyId,
      exchange: 'binance',
      method: over.method ?? 'fetchBalance',
      endpoint: 'GET /api/v3/account',
      botId: over.botId ?? null,
      outcome: over.outcome ?? 'success',
      errorCode: over.outcome === 'denied' ? 'KEY_LIMIT_EXCEEDED' : over.outcome === 'failure' ? 'EXCHANGE_AUTH' : null,
      actorType: 'system',
      requestId: newId(),
      occurredAt: new Date(at),
      durationMs: over.durationMs ?? 100,
      details: {},
    })

  it('filters, pages without gaps or repeats, and stays inside the workspace', async () => {
    const activity = createExchangeActivity({ db: database.db, clock })
    const ws = await workspace()
    const other = await workspace()
    const key = newId()
    const bot = newId()
    const now = clock.now().getTime()
    // Five calls at one instant (the cursor must break ties by id), two older ones, one of another workspace.
    for (let i = 0; i < 5; i++) await call(ws, key, now - 1_000, { botId: bot })
    await call(ws, key, now - 60_000, { method: 'createOrder', outcome: 'denied' })
    await call(ws, newId(), now - 120_000, { outcome: 'failure' })
    await call(other, key, now)

    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await activity.query(ws, { limit: 2, ...(cursor ? { cursor } : {}) })
      seen.push(...page.entries.map((e) => e.id))
      cursor = page.next ?? undefined
    } while (cursor)
    expect(seen).toHaveLength(7)
    expect(new Set(seen).size).toBe(7)
    expect((await activity.query(ws, { botId: bot })).entries).toHaveLength(5)
    expect((await activity.query(ws, { outcome: 'denied' })).entries.map((e) => e.method)).toEqual(['createOrder'])
    expect((await activity.query(ws, { from: new Date(now - 90_000).toISOString(), to: new Date(now - 30_000).toISOString() })).entries.map((e) => e.method)).toEqual(['createOrder'])
    await expect(activity.query(ws, { cursor: 'garbage' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(activity.query(ws, { outcome: 'maybe' as never })).rejects.toMatchObject({ code: 'BAD_INPUT' })
  })

  it('summarizes per key over 30 UTC days: per day, errors, refusals, last use, latency percentiles', async () => {
    const activity = createExchangeActivity({ db: database.db, clock })
    const ws = await workspace()
    const key = newId()
    const now = clock.now().getTime()
    for (let ms = 10; ms <= 100; ms += 10) await call(ws, key, now - 2 * DAY, { durationMs: ms }) // ten calls two days ago
    await call(ws, key, now - 1_000, { outcome: 'failure' })
    await call(ws, key, now, { outcome: 'denied', method: 'createOrder' })
    await call(ws, key, now - 45 * DAY) // outside the window: only the last use would count it
    const [s] = await activity.summary(ws)
    expect(s).toMatchObject({ keyId: key, requests: 12, errors: 1, denied: 1, lastUsedAt: clock.now().toISOString() })
    // durations 10…100 and two of 100: p50 of [10,20,…,100,100,100] = 65 (between 60 and 70)
    expect(s?.latencyP50Ms).toBe(65)
    expect(s?.perDay).toHaveLength(30)
    expect(s?.perDay.at(-1)).toEqual({ day: '2026-12-10', requests: 2, errors: 1, denied: 1 })
    expect(s?.perDay.at(-3)).toEqual({ day: '2026-12-08', requests: 10, errors: 0, denied: 0 })
    expect(await activity.summary(ws, { keyId: newId() })).toEqual([])
  })
})
