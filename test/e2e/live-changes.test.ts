import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { schema } from '../../src/db/index.js'
import { insertUserWithWorkspace } from '../../src/auth/workspace-store.js'
import { newId } from '../../src/lib/ids.js'
import { createWorkspaceChanges, type LiveChange, type WorkspaceChanges } from '../../src/live/index.js'

// Rows are written straight into the database, as a bot runtime in another process would: the poller
// must see them without being told. The clock stands still, so equal timestamps must not hide a change.
const AT = new Date('2026-12-05T08:00:00Z')

describe.each(backends)('workspace changes on %s', (kind) => {
  let database: TestDatabase
  let changes: WorkspaceChanges
  let ws: string
  let other: string

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const user = { displayName: 'a', passwordHash: 'x', isOperator: false, emailVerifiedAt: AT }
    ws = (await insertUserWithWorkspace(database.db, { ...user, email: 'a@example.com' }, 'Personal', AT)).workspaceId
    other = (await insertUserWithWorkspace(database.db, { ...user, email: 'b@example.com' }, 'Personal', AT)).workspaceId
    changes = createWorkspaceChanges({ db: database.db, pollMs: 50 })
  })
  afterAll(async () => {
    changes.close()
    await database.dispose()
  })

  const intent = (workspaceId: string, accountKind: 'demo' | 'exchange', intentKey: string) => ({
    id: newId(),
    workspaceId,
    intentKey,
    accountKind,
    accountId: newId(),
    venue: 'demo-spot',
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'limit',
    amount: '0.01',
    price: '40000',
    purpose: 'entry',
    clientOrderId: `c-${intentKey}`,
    state: 'intent' as const,
    createdAt: AT,
    updatedAt: AT,
  })

  const listen = async (workspaceId: string) => {
    const heard: LiveChange[] = []
    const { off, unread } = await changes.subscribe(workspaceId, (c) => heard.push(c))
    const topics = () => new Set(heard.flatMap((c) => c.topics))
    return { heard, off, unread, topics, clear: () => heard.splice(0) }
  }

  it('names the topics of a change made elsewhere, even two changes within the same millisecond', async () => {
    const l = await listen(ws)
    expect(l.unread).toBe(0)
    const first = intent(ws, 'demo', 'k1')
    await database.db.insert(schema.orderIntents).values(first)
    await expect.poll(() => [...l.topics()]).toEqual(['orders'])
    l.clear()
    // Same updatedAt as before: only the row version tells.
    await database.db.update(schema.orderIntents).set({ state: 'sent', updatedAt: AT }).where(eq(schema.orderIntents.id, first.id))
    await expect.poll(() => [...l.topics()]).toEqual(['orders'])
    l.clear()
    // An exchange account's orders changed: its balances and positions at the venue may have too.
    await database.db.insert(schema.orderIntents).values(intent(ws, 'exchange', 'k2'))
    await expect.poll(() => [...l.topics()]).toEqual(['orders', 'balances', 'positions'])
    l.clear()
    await database.db.insert(schema.tradingHalts).values({ workspaceId: ws, haltedAt: AT, reason: 'test' })
    await expect.poll(() => [...l.topics()]).toEqual(['bots', 'lock'])
    l.clear()
    await database.db.insert(schema.alerts).values({ id: newId(), workspaceId: ws, rule: 'key_removed', severity: 'warning', details: {}, createdAt: AT, lastSeenAt: AT })
    await expect.poll(() => l.heard.find((c) => c.unread !== undefined)).toEqual({ topics: ['alerts'], unread: 1 })
    l.off()
  })

  it('keeps workspaces apart: a change in one is not heard in another', async () => {
    const mine = await listen(ws)
    const theirs = await listen(other)
    await database.db.insert(schema.orderIntents).values(intent(other, 'demo', 'k3'))
    await expect.poll(() => theirs.topics().has('orders')).toBe(true)
    // Then a change of its own: the only one it hears.
    await database.db.insert(schema.accountRiskLimits).values({ accountKind: 'demo', accountId: newId(), workspaceId: ws, limits: {}, updatedAt: AT })
    await database.db.insert(schema.tradingHalts).values({ workspaceId: other, haltedAt: AT, reason: 'theirs' })
    await database.db.delete(schema.tradingHalts).where(eq(schema.tradingHalts.workspaceId, ws))
    await expect.poll(() => mine.heard).toEqual([{ topics: ['bots', 'lock'] }])
    mine.off()
    theirs.off()
    expect(changes.pollerCount()).toBe(0)
  })

  it('checks at once when poked, and stops polling when the last listener leaves', async () => {
    const slow = createWorkspaceChanges({ db: database.db, pollMs: 3_600_000 })
    const heard: LiveChange[] = []
    const { off } = await slow.subscribe(ws, (c) => heard.push(c))
    await database.db.insert(schema.orderIntents).values(intent(ws, 'demo', 'k4'))
    slow.poke(ws)
    await expect.poll(() => heard.flatMap((c) => c.topics)).toEqual(['orders'])
    expect(slow.pollerCount()).toBe(1)
    off()
    expect(slow.pollerCount()).toBe(0)
    expect(slow.listenerCount(ws)).toBe(0)
  })
})
