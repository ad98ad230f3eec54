import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { auditRoutes } from '../../src/api/routes/audit-routes.js'
import { schema, type Role } from '../../src/db/index.js'
import { newId } from '../../src/lib/ids.js'
import { queryAudit } from '../../src/monitoring/index.js'

type Session = { cookie: string; csrf: string }
type Entry = { seq: number; type: string; actor: { type: string; id?: string }; details: Record<string, unknown> }
type Page = { entries: Entry[]; nextCursor: string | null }
type Member = { userId: string; email: string | null; displayName: string | null; entries: number; lastAt: string }

/**
 * Issue 10, the audit log per member: owners and admins read everyone's entries and filter them by
 * member; traders and viewers read only their own, whatever filter they send (asking for someone else's
 * is refused), and never the chain's verdict or export (which tell how much everyone did).
 */
describe.each(backends)('the audit log per member on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let ws = ''
  const ids = {} as Record<Role | 'trader2', string>
  const sessions = {} as Record<Role | 'trader2', Session>

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      routes: (h) => [(app) => auditRoutes(app, { db: h.db, clock: h.clock, audit: h.audit, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp })],
    })
    const roles: Array<[Role | 'trader2', Role]> = [['owner', 'owner'], ['admin', 'admin'], ['trader', 'trader'], ['trader2', 'trader'], ['viewer', 'viewer']]
    for (const [name] of roles) ids[name] = (await t.addUser(`${name}@example.com`)).userId
    ws = newId()
    // Exporting asks for step-up; a passkey for it (R26) is another test's business.
    await database.db.insert(schema.workspaces).values({ id: ws, name: 'Desk', isPersonal: false, requirePasskeyForAdmins: false, createdAt: t.clock.now() })
    for (const [name, role] of roles) await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: ids[name], role, createdAt: t.clock.now() })
    // What each did, through the real chain: two entries of the trader's, one of everyone else's, a bot's.
    const did = async (who: string, type: string, note: string, actorType: 'user' | 'system' = 'user') => {
      t.clock.advance(1_000)
      await t.audit.append({ workspaceId: ws, type, actor: { type: actorType, id: who }, outcome: 'success', details: { note } })
    }
    await did(ids.trader, 'bot_started', 'trader started Grid A')
    await did(ids.trader2, 'bot_started', 'trader2 started Grid B')
    await did(ids.admin, 'risk_limit_changed', 'admin raised a limit')
    await did('bot-runtime', 'order_placed', 'the runtime placed an order', 'system')
    await did(ids.trader, 'bot_stopped', 'trader stopped Grid A')
    await did(ids.owner, 'member_role_changed', 'owner changed a role')
    // No entry of the viewer's yet.
    for (const [name] of roles) sessions[name] = await t.signIn(`${name}@example.com`)
  })
  afterAll(async () => {
    await t.close()
    await database.dispose()
  })

  const get = (url: string, who: Role | 'trader2') => t.call('GET', `/api/workspaces/${ws}${url}`, sessions[who])
  const page = async (url: string, who: Role | 'trader2') => {
    const res = await get(url, who)
    expect(res.statusCode).toBe(200)
    return res.json<Page>()
  }
  const notes = (p: Page) => p.entries.map((e) => e.details.note).filter((n) => n !== undefined)

  it('a trader sees only their own entries, whatever they search for', async () => {
    const mine = await page('/audit?limit=200', 'trader')
    expect(notes(mine)).toEqual(['trader stopped Grid A', 'trader started Grid A'])
    expect(new Set(mine.entries.map((e) => e.actor.id))).toEqual(new Set([ids.trader]))
    // A search that matches other people's entries (and the runtime's) still finds only the trader's own.
    expect(notes(await page(`/audit?q=${encodeURIComponent('started')}`, 'trader'))).toEqual(['trader started Grid A'])
    expect((await page('/audit?type=risk_limit_changed', 'trader')).entries).toEqual([])
    expect((await page('/audit?type=order_placed', 'trader')).entries).toEqual([])
    // Naming themselves is fine; paging stays within their own entries.
    const first = await page(`/audit?member=${ids.trader}&type=bot_started&limit=1`, 'trader')
    expect(notes(first)).toEqual(['trader started Grid A'])
    const onePerPage = await page('/audit?limit=1&q=Grid', 'trader')
    expect(notes(onePerPage)).toEqual(['trader stopped Grid A'])
    expect(notes(await page(`/audit?limit=1&q=Grid&cursor=${onePerPage.nextCursor ?? ''}`, 'trader'))).toEqual(['trader started Grid A'])
  })

  it("refuses a trader's or a viewer's filter for someone else (403), by member or by actor", async () => {
    for (const [who, other] of [['trader', ids.trader2], ['trader', ids.owner], ['viewer', ids.trader]] as const) {
      for (const query of [`member=${other}`, `actor=${other}`]) {
        const res = await get(`/audit?${query}`, who)
        expect({ who, query, status: res.statusCode, body: res.json() }).toEqual({ who, query, status: 403, body: expect.objectContaining({ code: 'FORBIDDEN', reason: 'OWN_ENTRIES_ONLY' }) })
        expect(res.body).not.toContain('Grid')
      }
    }
    expect((await get('/audit?actor=bot-runtime', 'trader')).statusCode).toBe(403)
    // A member filter is a user id: anything else is bad input, for everyone.
    expect((await get('/audit?member=bot-runtime', 'owner')).json()).toMatchObject({ code: 'BAD_INPUT' })
  })

  it('a viewer sees only what they did themselves: at first nothing, then their own reads of the log', async () => {
    const first = await page('/audit', 'viewer')
    expect(first.entries).toEqual([])
    // That read was recorded (R40), as the viewer's own entry: the next read (another filter) shows it.
    const second = await page('/audit?type=audit_log_read', 'viewer')
    expect(second.entries.length).toBeGreaterThan(0)
    expect(second.entries.every((e) => e.actor.id === ids.viewer && e.type === 'audit_log_read')).toBe(true)
  })

  it("owners and admins read everyone's entries and filter them by member", async () => {
    for (const who of ['owner', 'admin'] as const) {
      const all = await page('/audit?limit=200', who)
      expect(notes(all)).toEqual(['owner changed a role', 'trader stopped Grid A', 'the runtime placed an order', 'admin raised a limit', 'trader2 started Grid B', 'trader started Grid A'])
      expect(notes(await page(`/audit?member=${ids.trader}`, who))).toEqual(['trader stopped Grid A', 'trader started Grid A'])
      expect(notes(await page(`/audit?member=${ids.trader2}`, who))).toEqual(['trader2 started Grid B'])
      expect(notes(await page(`/audit?member=${ids.admin}&type=risk_limit_changed`, who))).toEqual(['admin raised a limit'])
      // The trader's reads of the log are theirs too (recorded with the filter they were given).
      const reads = await page(`/audit?member=${ids.trader}&type=audit_log_read`, who)
      expect(reads.entries.length).toBeGreaterThan(0)
      expect(reads.entries.every((e) => e.actor.id === ids.trader && (e.details.filter as Record<string, string>).member === ids.trader)).toBe(true)
      // Entries of the runtime are nobody's: a member filter never matches them.
      expect((await page(`/audit?member=${ids.viewer}&type=order_placed`, who)).entries).toEqual([])
    }
  })

  it('lists the people who appear in the log for the filter menu: everyone for owners and admins, only themselves for others', async () => {
    const res = await get('/audit/members', 'owner')
    expect(res.statusCode).toBe(200)
    const listed = res.json<{ members: Member[] }>().members
    const byId = new Map(listed.map((m) => [m.userId, m]))
    expect(new Set(byId.keys())).toEqual(new Set([ids.owner, ids.admin, ids.trader, ids.trader2, ids.viewer]))
    expect(byId.get(ids.trader2)).toMatchObject({ email: 'trader2@example.com', displayName: 'trader2', entries: 1 })
    // The trader did two things and read the log (recorded once per filter and minute).
    const traderReads = (await queryAudit(database.db, ws, { member: ids.trader, type: 'audit_log_read' }, { limit: 200 })).entries.length
    expect(byId.get(ids.trader)?.entries).toBe(2 + traderReads)
    expect(listed.some((m) => m.userId === 'bot-runtime')).toBe(false)

    const forTrader = (await get('/audit/members', 'trader')).json<{ members: Member[] }>().members
    expect(forTrader.map((m) => m.userId)).toEqual([ids.trader])
    // Someone who never did anything here is offered nobody (not even the fact that others appear).
    const fresh = await t.addUser('newcomer@example.com')
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: fresh.userId, role: 'trader', createdAt: t.clock.now() })
    const newcomer = await t.signIn('newcomer@example.com')
    expect((await t.call('GET', `/api/workspaces/${ws}/audit/members`, newcomer)).json()).toEqual({ members: [] })
    // Strangers learn nothing about the workspace.
    await t.addUser('stranger@example.com')
    expect((await t.call('GET', `/api/workspaces/${ws}/audit/members`, await t.signIn('stranger@example.com'))).json()).toMatchObject({ code: 'NOT_FOUND' })
  })

  it("keeps the chain's verdict and its export for owners and admins (they tell how much everyone did)", async () => {
    for (const who of ['trader', 'viewer'] as const) {
      for (const url of ['/audit/verification', '/audit/export', '/audit/export/checkpoints']) {
        const res = await get(url, who)
        expect({ who, url, status: res.statusCode }).toEqual({ who, url, status: 403 })
      }
    }
    for (const who of ['owner', 'admin'] as const) {
      const verdict = (await get('/audit/verification', who)).json<{ ok: boolean; entries: number }>()
      expect(verdict.ok).toBe(true)
      expect(verdict.entries).toBeGreaterThanOrEqual(6)
      expect((await get('/audit/export', who)).statusCode).toBe(200)
    }
  })
})
