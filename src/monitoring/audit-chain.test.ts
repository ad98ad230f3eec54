import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createAuditChain } from './audit-chain.js'
import { verifyAllChains, verifyChain } from './audit-verify.js'
import { workspaceChain } from './audit-types.js'

/** What an attacker with owner rights on the database can do: switch off the append-only trigger. */
const tamper = async (database: TestDatabase, statement: ReturnType<typeof sql>) => {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`)
    await tx.execute(statement)
    await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`)
  })
}

describe.each(backends)('audit chain on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-01T00:00:00Z')
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  const seed = async (workspaceId: string, n: number) => {
    const audit = createAuditChain({ db: database.db, clock })
    for (let i = 0; i < n; i++) {
      clock.advance(1_000)
      await audit.append({ workspaceId, type: 'test_event', actor: { type: 'user', id: `u${i}` }, outcome: 'success', ip: '203.0.113.7', requestId: `r${i}`, details: { i, note: `entry ${i}` } })
    }
    return workspaceChain(workspaceId)
  }

  it('stays gap-free and linked under 8 concurrent writers on one chain', async () => {
    const audit = createAuditChain({ db: database.db, clock })
    const ws = newId()
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++) await audit.append({ workspaceId: ws, type: 'concurrent_write', actor: { type: 'system' }, outcome: 'success', details: { w, i } })
        })(),
      ),
    )
    const verdict = await verifyChain(database.db, workspaceChain(ws))
    expect(verdict).toEqual({ chain: workspaceChain(ws), ok: true, entries: 200 })
  })

  it('is append-only for the application', async () => {
    const chain = await seed(newId(), 2)
    await expect(database.db.execute(sql`update audit_events set outcome = 'failure' where chain = ${chain}`)).rejects.toThrow()
    await expect(database.db.execute(sql`delete from audit_events where chain = ${chain}`)).rejects.toThrow()
  })

  it('refuses secret-named details and non-lowercase event types, writing nothing', async () => {
    const audit = createAuditChain({ db: database.db, clock })
    const ws = newId()
    await expect(audit.append({ workspaceId: ws, type: 'key_added', actor: { type: 'system' }, outcome: 'success', details: { apiSecret: 'x' } })).rejects.toThrow(/secret fields \(apiSecret\)/)
    await expect(audit.append({ workspaceId: ws, type: 'KEY_ADDED', actor: { type: 'system' }, outcome: 'success' })).rejects.toThrow(/lowercase/)
    expect((await verifyAllChains(database.db, workspaceChain(ws))).length).toBe(0)
  })

  it('verify reports the first bad seq of a modified entry', async () => {
    const chain = await seed(newId(), 6)
    await tamper(database, sql`update audit_events set details = '{"i": 3, "note": "edited"}'::jsonb where chain = ${chain} and seq = 4`)
    expect(await verifyChain(database.db, chain)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash_mismatch' })
  })

  it('verify reports the first bad seq of a deleted entry', async () => {
    const chain = await seed(newId(), 6)
    await tamper(database, sql`delete from audit_events where chain = ${chain} and seq = 3`)
    expect(await verifyChain(database.db, chain)).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'gap' })
  })

  it('verify reports the first bad seq of reordered entries', async () => {
    const chain = await seed(newId(), 6)
    // Swap entries 2 and 5 while keeping the seq column in order, as a reordering attack would.
    await tamper(
      database,
      sql`update audit_events set seq = case seq when 2 then -5 when 5 then -2 end where chain = ${chain} and seq in (2, 5)`,
    )
    await tamper(database, sql`update audit_events set seq = -seq where chain = ${chain} and seq < 0`)
    expect(await verifyChain(database.db, chain)).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'hash_mismatch' })
  })

  it('verify catches a truncated tail against the chain head', async () => {
    const chain = await seed(newId(), 6)
    await tamper(database, sql`delete from audit_events where chain = ${chain} and seq > 4`)
    const [head] = (await verifyAllChains(database.db, chain))
    expect(head).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'head_mismatch' })
  })

  it('verifies a clean chain', async () => {
    const chain = await seed(newId(), 5)
    expect(await verifyAllChains(database.db, chain)).toEqual([{ chain, ok: true, entries: 5 }])
  })
})
