import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { schema } from '../db/index.js'
import { newId } from '../lib/ids.js'
import { createIncidentStore } from './incident-store.js'

describe.each(backends)('incident store on %s', (kind) => {
  let database: TestDatabase
  const now = new Date('2026-12-04T08:00:00Z')
  const actor = { type: 'system' as const }

  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  const workspace = async () => {
    const id = newId()
    await database.db.insert(schema.workspaces).values({ id, name: 'Desk', createdAt: now })
    return id
  }
  const open = (store: ReturnType<typeof createIncidentStore>, workspaceId: string, at = now) =>
    database.db.transaction((tx) => store.lockAndOpenIn(tx, { workspaceId, actor, trigger: 'system', ordersMode: 'cancel', reason: 'test', now: at }))

  it('locks the workspace and opens one incident; a second lockdown joins it and keeps the first lock time', async () => {
    const store = createIncidentStore(database.db)
    const ws = await workspace()
    const first = await open(store, ws)
    const second = await open(store, ws, new Date(now.getTime() + 60_000))
    expect(first).toMatchObject({ joined: false, wasUnlocking: false })
    expect(second).toMatchObject({ joined: true, wasUnlocking: false, incident: { id: first.incident.id } })
    const [row] = await database.db.select({ lockedAt: schema.workspaces.lockedAt }).from(schema.workspaces).where(eq(schema.workspaces.id, ws))
    expect(row?.lockedAt).toEqual(now)
    // The database agrees: at most one incident that is not resolved per workspace.
    await expect(
      database.db.insert(schema.incidents).values({ id: newId(), workspaceId: ws, state: 'open', trigger: 'system', ordersMode: 'cancel', reason: 'x', openedByType: 'system', openedAt: now, summary: {} }),
    ).rejects.toThrow()
  })

  it('sends an incident that was being unlocked back to open, forgetting the unlock request', async () => {
    const store = createIncidentStore(database.db)
    const ws = await workspace()
    const { incident } = await open(store, ws)
    await database.db.update(schema.incidents).set({ state: 'unlocking', unlockRequestedAt: now, unlockConfirmedAt: now, unlockNotBefore: now }).where(eq(schema.incidents.id, incident.id))
    const again = await open(store, ws)
    expect(again).toMatchObject({ joined: true, wasUnlocking: true, incident: { id: incident.id, state: 'open', unlockRequestedAt: null, unlockConfirmedAt: null, unlockNotBefore: null } })
  })

  it('keeps the timeline in the order steps were recorded, even within one millisecond', async () => {
    const store = createIncidentStore(database.db)
    const ws = await workspace()
    const { incident } = await open(store, ws)
    const kinds = ['lockdown_triggered', 'keys', 'lock', 'bots', 'orders', 'sessions', 'notify']
    for (const k of kinds) await database.db.transaction((tx) => store.addEventIn(tx, incident.id, now, k, 'success', {}))
    const timeline = await store.timeline(incident.id)
    expect(timeline.map((e) => e.kind)).toEqual(kinds)
    // Each 1 ms after the one before: 08:00:00.000, .001, … .006
    expect(timeline.map((e) => e.at)).toEqual(kinds.map((_, i) => new Date(now.getTime() + i).toISOString()))
  })
})
