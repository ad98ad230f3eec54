import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { createIdempotency } from './idempotency.js'

describe.each(backends)('Idempotency-Key on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-05T10:00:00Z')
  const workspaceId = newId()
  beforeAll(async () => {
    database = await openTestDatabase(kind)
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'w', createdAt: clock.now() })
  })
  afterAll(async () => database.dispose())

  it('replays the first answer, refuses another body, and replays a refusal as the same refusal', async () => {
    const idem = createIdempotency({ db: database.db, clock })
    let runs = 0
    const first = await idem.run(workspaceId, 'key-00000001', 'POST x', { a: 1 }, async () => ({ status: 201, body: { n: ++runs } }))
    const again = await idem.run(workspaceId, 'key-00000001', 'POST x', { a: 1 }, async () => ({ status: 201, body: { n: ++runs } }))
    expect([first, again]).toEqual([{ status: 201, body: { n: 1 }, replayed: false }, { status: 201, body: { n: 1 }, replayed: true }])
    await expect(idem.run(workspaceId, 'key-00000001', 'POST x', { a: 2 }, async () => ({ status: 201, body: {} }))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' })
    const refuse = async (): Promise<{ status: number; body: unknown }> => {
      throw new AppError('BAD_INPUT', 'no such symbol', { reason: 'X' })
    }
    await expect(idem.run(workspaceId, 'key-00000002', 'POST x', {}, refuse)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(idem.run(workspaceId, 'key-00000002', 'POST x', {}, async () => ({ status: 201, body: {} }))).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'no such symbol', reason: 'X' })
    expect(runs).toBe(1)
  })

  it('forgets answers after a day and releases a key whose first request never finished after ten minutes', async () => {
    const idem = createIdempotency({ db: database.db, clock })
    await idem.run(workspaceId, 'key-00000003', 'POST x', {}, async () => ({ status: 201, body: { n: 1 } }))
    // A first request that died mid-way: the row says "in progress".
    await database.db.insert(schema.idempotencyKeys).values({ workspaceId, key: 'key-00000004', scope: 'POST x', requestHash: 'h', createdAt: clock.now() })
    await expect(idem.run(workspaceId, 'key-00000004', 'POST x', {}, async () => ({ status: 201, body: {} }))).rejects.toMatchObject({ code: 'CONFLICT' })
    clock.advance(11 * 60_000)
    await idem.purge()
    expect(await idem.run(workspaceId, 'key-00000004', 'POST x', {}, async () => ({ status: 201, body: { n: 2 } }))).toMatchObject({ replayed: false })
    expect(await idem.run(workspaceId, 'key-00000003', 'POST x', {}, async () => ({ status: 201, body: { n: 9 } }))).toMatchObject({ replayed: true, body: { n: 1 } })
    clock.advance(86_400_000)
    await idem.purge()
    expect(await idem.run(workspaceId, 'key-00000003', 'POST x', {}, async () => ({ status: 201, body: { n: 9 } }))).toMatchObject({ replayed: false, body: { n: 9 } })
  })
})
