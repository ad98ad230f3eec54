import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createAlerts } from './alerts.js'
import { createOutbox } from './outbox.js'

describe.each(backends)('alerts and outbox on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T12:00:00Z')
  const workspace = async () => {
    const id = newId()
    await database.db.insert(schema.workspaces).values({ id, name: 'w', createdAt: clock.now() })
    return id
  }
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  it('raises, lists newest first and marks read within the workspace only', async () => {
    const alerts = createAlerts({ db: database.db, clock })
    const ws = await workspace()
    const other = await workspace()
    await alerts.raise({ workspaceId: ws, rule: 'new_device_sign_in', severity: 'warning', details: { ip: '203.0.113.9' } })
    clock.advance(1_000)
    const second = await alerts.raise({ workspaceId: ws, rule: 'key_connected', severity: 'info' })
    const list = await alerts.list(ws)
    expect(list.map((a) => a.rule)).toEqual(['key_connected', 'new_device_sign_in'])
    await expect(alerts.markRead(other, second.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await alerts.markRead(ws, second.id)
    expect((await alerts.list(ws, { unreadOnly: true })).map((a) => a.rule)).toEqual(['new_device_sign_in'])
    expect(await alerts.list(other)).toEqual([])
  })

  it('counts a repeated alert within its window instead of repeating it', async () => {
    const alerts = createAlerts({ db: database.db, clock })
    const ws = await workspace()
    const raise = () => alerts.raise({ workspaceId: ws, rule: 'login_failure_burst', severity: 'warning', dedupKey: 'user-1', dedupWindowMs: 60_000 })
    await raise()
    clock.advance(30_000)
    const counted = await raise()
    expect(counted.occurrences).toBe(2)
    clock.advance(61_000)
    expect((await raise()).occurrences).toBe(1) // the window passed: a new alert
    expect(await alerts.list(ws)).toHaveLength(2)
  })

  it('refuses secret-named details', async () => {
    const alerts = createAlerts({ db: database.db, clock })
    await expect(alerts.raise({ workspaceId: null, rule: 'x', severity: 'info', details: { apiKey: 'k' } })).rejects.toThrow(/secret fields/)
  })

  it('queues email in the caller’s transaction: a rolled-back change sends nothing', async () => {
    const outbox = createOutbox({ db: database.db, clock })
    await database.db
      .transaction(async (tx) => {
        await outbox.enqueueIn(tx, { to: 'a@example.com', subject: 'never', text: 'x', template: 'test' })
        throw new Error('rollback')
      })
      .catch(() => {})
    await database.db.transaction((tx) => outbox.enqueueIn(tx, { to: 'b@example.com', subject: 'Welcome', text: 'hello', template: 'welcome' }))
    const pending = await outbox.list({ pendingOnly: true })
    expect(pending.map((m) => m.subject)).toEqual(['Welcome'])
  })
})
