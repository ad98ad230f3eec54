import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createAlerts } from './alerts.js'
import { createOutbox } from './outbox.js'
import { createWorkspaceSettings } from './workspace-settings.js'

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
    await alerts.raise({ workspaceId: ws, rule: 'new_device', severity: 'warning', details: { ip: '203.0.113.9' } })
    clock.advance(1_000)
    const second = await alerts.raise({ workspaceId: ws, rule: 'key_connected', severity: 'info' })
    if (!second) throw new Error('key_connected is on by default')
    const list = await alerts.list(ws)
    expect(list.map((a) => a.rule)).toEqual(['key_connected', 'new_device'])
    await expect(alerts.markRead(other, second.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await alerts.markRead(ws, second.id)
    expect((await alerts.list(ws, { unreadOnly: true })).map((a) => a.rule)).toEqual(['new_device'])
    expect(await alerts.list(other)).toEqual([])
  })

  it('counts a repeated alert within its window instead of repeating it', async () => {
    const alerts = createAlerts({ db: database.db, clock })
    const ws = await workspace()
    const raise = () => alerts.raise({ workspaceId: ws, rule: 'login_failure_burst', severity: 'warning', dedupKey: 'user-1', dedupWindowMs: 60_000 })
    await raise()
    clock.advance(30_000)
    const counted = await raise()
    expect(counted?.occurrences).toBe(2)
    clock.advance(61_000)
    expect((await raise())?.occurrences).toBe(1) // the window passed: a new alert
    expect(await alerts.list(ws)).toHaveLength(2)
  })

  it('refuses secret-named details', async () => {
    const alerts = createAlerts({ db: database.db, clock })
    await expect(alerts.raise({ workspaceId: null, rule: 'demo_persistence_failed', severity: 'info', details: { apiKey: 'k' } })).rejects.toThrow(/secret fields/)
  })

  it('refuses a rule that is not in the catalogue (unless the root accepts them), writing nothing', async () => {
    const ws = await workspace()
    await expect(createAlerts({ db: database.db, clock }).raise({ workspaceId: ws, rule: 'made_up_rule', severity: 'info' })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/not in the alert catalogue/) })
    expect(await createAlerts({ db: database.db, clock }).list(ws)).toEqual([])
    const lenient = createAlerts({ db: database.db, clock, unknownRules: 'accept' })
    expect(await lenient.raise({ workspaceId: ws, rule: 'made_up_rule', severity: 'info' })).toMatchObject({ rule: 'made_up_rule', severity: 'info' })
  })

  it("takes the catalogue's severity and window by default and the workspace's overrides; security rules stay on and never get quieter", async () => {
    const alerts = createAlerts({ db: database.db, clock })
    const settings = createWorkspaceSettings({ db: database.db, clock })
    const ws = await workspace()
    expect(await alerts.raise({ workspaceId: ws, rule: 'key_rotation_due', dedupKey: 'k1' })).toMatchObject({ severity: 'warning' })
    clock.advance(6 * 86_400_000) // the rule's window is a week: still the same alert
    expect(await alerts.raise({ workspaceId: ws, rule: 'key_rotation_due', dedupKey: 'k1' })).toMatchObject({ occurrences: 2 })

    await settings.update(ws, { alerts: { rules: { key_connected: { enabled: false }, bot_failed: { severity: 'critical' } } } })
    expect(await alerts.raise({ workspaceId: ws, rule: 'key_connected', severity: 'info' })).toBeNull()
    expect(await alerts.raise({ workspaceId: ws, rule: 'bot_failed', severity: 'warning' })).toMatchObject({ severity: 'critical' })
    // A security rule cannot be turned off or quietened through the settings…
    await expect(settings.update(ws, { alerts: { rules: { foreign_order_detected: { enabled: false } } } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(settings.update(ws, { alerts: { rules: { new_device: { severity: 'info' } } } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(settings.update(ws, { alerts: { rules: { no_such_rule: { enabled: true } } } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    // …and a document written behind the service's back does not silence it either.
    await database.db.update(schema.workspaceSettings).set({ settings: { alerts: { rules: { foreign_order_detected: { enabled: false, severity: 'info' } } } } }).where(eq(schema.workspaceSettings.workspaceId, ws))
    expect(await alerts.raise({ workspaceId: ws, rule: 'foreign_order_detected', severity: 'critical' })).toMatchObject({ severity: 'critical' })
    expect((await alerts.list(ws)).map((a) => a.rule).sort()).toEqual(['bot_failed', 'foreign_order_detected', 'key_rotation_due'])
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
