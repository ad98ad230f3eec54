import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createAlerts, createWorkspaceSettings } from '../monitoring/index.js'
import { createKeyHygiene } from './key-hygiene.js'

const DAY = 86_400_000

describe.each(backends)('key hygiene on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-01T00:00:00Z')
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  const setup = async () => {
    const { db } = database
    const workspaceId = newId()
    await db.insert(schema.workspaces).values({ id: workspaceId, name: 'w', createdAt: clock.now() })
    const key = async (over: { keyCreatedAt: Date; lastUsedAt?: Date | null; verification?: Record<string, unknown>; removed?: boolean }) => {
      const row = { id: newId(), keyId: newId() }
      await db.insert(schema.exchangeAccounts).values({
        ...row,
        workspaceId,
        exchange: 'binance',
        label: 'k',
        state: 'active',
        apiKeyHint: 'ab…cd',
        verification: over.verification ?? { status: 'verified', withdrawEnabled: false, ipRestricted: true, expiresAt: null },
        createdAt: over.keyCreatedAt,
        keyCreatedAt: over.keyCreatedAt,
        lastUsedAt: over.lastUsedAt ?? null,
        removedAt: over.removed ? clock.now() : null,
      })
      return row
    }
    const alerts = createAlerts({ db, clock })
    return { workspaceId, key, alerts, hygiene: createKeyHygiene({ db, clock, alerts }), settings: createWorkspaceSettings({ db, clock }) }
  }

  it("follows the workspace's periods: rotation reminder, unused, and an expiry the exchange reports, each once a week", async () => {
    const { workspaceId, key, alerts, hygiene, settings } = await setup()
    await settings.update(workspaceId, { keys: { rotationDays: 30, remindDaysBefore: 5, unusedDays: 10 } })
    const now = clock.now().getTime()
    const old = await key({ keyCreatedAt: new Date(now - 25 * DAY), lastUsedAt: new Date(now - DAY) }) // 25 ≥ 30 − 5: due
    const idle = await key({ keyCreatedAt: new Date(now - 12 * DAY) }) // never used for 12 ≥ 10 days
    const expiring = await key({ keyCreatedAt: new Date(now - DAY), lastUsedAt: new Date(now), verification: { expiresAt: new Date(now + 6 * DAY).toISOString() } })
    await key({ keyCreatedAt: new Date(now - 400 * DAY), removed: true }) // removed keys are not checked
    const fine = await key({ keyCreatedAt: new Date(now - 2 * DAY), lastUsedAt: new Date(now) })

    expect(await hygiene.checkKeys()).toEqual({ checked: 4, rotationDue: 1, unused: 1, expiring: 1 })
    const raised = await alerts.list(workspaceId)
    expect(raised.map((a) => `${a.rule}:${String(a.details.keyId)}`).sort()).toEqual([`key_expiring:${expiring.keyId}`, `key_rotation_due:${old.keyId}`, `key_unused:${idle.keyId}`].sort())
    expect(raised.some((a) => a.details.keyId === fine.keyId)).toBe(false)
    // Daily runs within the week count on the same alerts; a week later they are news again.
    clock.advance(DAY)
    await hygiene.checkKeys()
    expect(await alerts.list(workspaceId)).toHaveLength(3)
    clock.advance(7 * DAY)
    await hygiene.checkKeys()
    expect((await alerts.list(workspaceId)).filter((a) => a.rule === 'key_rotation_due')).toHaveLength(2)
  })

  it('refuses a reminder that would not come before the rotation period ends', async () => {
    const { workspaceId, settings } = await setup()
    await expect(settings.update(workspaceId, { keys: { rotationDays: 10, remindDaysBefore: 10 } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(settings.update(workspaceId, { keys: { rotationDays: 3 } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect((await settings.get(workspaceId)).keys).toEqual({ rotationDays: 90, remindDaysBefore: 7, unusedDays: 30 })
  })
})
