import { get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { schema } from '../../src/db/index.js'
import { newId } from '../../src/lib/ids.js'
import { createWorkspaceChanges, type WorkspaceChanges } from '../../src/live/index.js'
import { createTeams, INVITATION_TTL_MS, type Teams } from '../../src/teams/index.js'
import { teamRoutes } from '../../src/api/routes/team-routes.js'
import { liveRoutes } from '../../src/api/routes/live-routes.js'

type Session = { cookie: string; csrf: string }

/** A server-sent event stream, read until the server ends it. */
const openStream = (url: string, cookie: string) =>
  new Promise<{ res: IncomingMessage; events: string[]; topics: Set<string>; ended: () => boolean; close: () => void }>((resolve, reject) => {
    const req = get(url, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      const events: string[] = []
      const topics = new Set<string>()
      let isEnded = false
      res.setEncoding('utf8')
      let buffer = ''
      res.on('data', (chunk: string) => {
        buffer += chunk
        let at: number
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          if (event === undefined) continue
          events.push(event)
          if (event === 'changed') for (const topic of (JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as { topics: string[] }).topics) topics.add(topic)
        }
      })
      res.on('end', () => (isEnded = true))
      res.on('close', () => (isEnded = true))
      resolve({ res, events, topics, ended: () => isEnded, close: () => req.destroy() })
    })
    req.on('error', reject)
  })

/**
 * Issue 10 over HTTP: a team workspace is created, people are invited by email and join with the link,
 * roles change (upwards only with a second person), grants are checked, and a removed member loses
 * everything at once — pages, API token, live stream — while the last owner can never go.
 */
describe.each(backends)('team members over HTTP on %s (issue 10)', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let teams: Teams
  let changes: WorkspaceChanges
  let base = ''
  let ws = ''
  const s: Record<'owner' | 'bob' | 'carol' | 'erin' | 'dave' | 'frank', Session> = {} as never
  const ids: Record<'owner' | 'bob' | 'carol' | 'erin' | 'dave' | 'frank', string> = {} as never

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      approvals: true,
      routes: (h) => {
        if (!h.approvals) throw new Error('the harness was asked for approvals')
        changes = createWorkspaceChanges({ db: h.db, pollMs: 100 })
        teams = createTeams({ db: h.db, clock: h.clock, audit: h.audit, outbox: h.outbox, gate: h.approvals, publicOrigin: ORIGIN, me: h.accounts.me })
        const { sessions, apiTokens, stepUp, me } = h.accounts
        return [(app) => liveRoutes(app, { db: h.db, sessions, apiTokens, changes }), (app) => teamRoutes(app, { db: h.db, sessions, apiTokens, stepUp, me, ...teams })]
      },
    })
    t.approvals?.register('role.upgrade', { apply: teams.members.applyRoleUpgrade })
    t.approvals?.register('owner.change', { apply: teams.members.applyOwnerChange })
    for (const name of ['owner', 'carol', 'erin', 'dave', 'frank'] as const) ids[name] = (await t.addUser(`${name}@example.com`)).userId
    s.owner = await t.signIn('owner@example.com')
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  }, 120_000)
  afterAll(async () => {
    changes?.close()
    await t?.close()
    await database?.dispose()
  })

  const path = (p = '') => `/api/workspaces/${ws}${p}`
  const workspacesOf = async (who: Session) => (await t.me(who.cookie)).json<{ workspaces: { id: string; name: string; role: string }[] }>().workspaces
  const bodyOf = (res: { json: () => unknown }) => res.json() as { code?: string; message?: string; reason?: string }
  /** Invites an address as the owner and returns the token from the emailed link. */
  const invite = async (email: string, role: 'admin' | 'trader' | 'viewer') => {
    const res = await t.call('POST', path('/invitations'), s.owner, { email, role })
    expect(res.statusCode).toBe(201)
    return t.linkToken(email, 'team_notice')
  }

  it('documents every teams route in the OpenAPI document, with the 202 of a gated member change', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>()
    const w = '/api/workspaces/{workspaceId}'
    const listed = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
    expect(listed).toEqual(
      expect.arrayContaining([
        'POST /api/workspaces',
        `PATCH ${w}`,
        `DELETE ${w}`,
        `GET ${w}/members`,
        `PATCH ${w}/members/{userId}`,
        `DELETE ${w}/members/{userId}`,
        `POST ${w}/leave`,
        `GET ${w}/invitations`,
        `POST ${w}/invitations`,
        `DELETE ${w}/invitations/{id}`,
        'POST /api/invitations/preview',
        'POST /api/invitations/accept',
      ]),
    )
    expect(Object.keys(doc.paths[`${w}/members/{userId}`]?.patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '202']))
    expect(Object.keys(doc.paths[`${w}/members/{userId}`]?.delete?.responses ?? {})).toEqual(expect.arrayContaining(['202', '204']))
  })

  it('creates a team workspace: its creator is the owner and sees it in /api/me', async () => {
    const res = await t.call('POST', '/api/workspaces', s.owner, { name: '  Trading desk ' })
    expect(res.statusCode).toBe(201)
    const created = res.json<{ id: string; name: string; role: string }>()
    expect(created).toEqual({ id: expect.any(String), name: 'Trading desk', role: 'owner' })
    ws = created.id
    expect(await workspacesOf(s.owner)).toContainEqual({ id: ws, name: 'Trading desk', role: 'owner' })
    expect((await t.call('POST', '/api/workspaces', s.owner, { name: '' })).statusCode).toBe(400)
    // Names are shown in emails: nothing that reads as a link or an address (review #10).
    const phishy = await t.call('POST', '/api/workspaces', s.owner, { name: 'Verify at https://evil.example' })
    expect(phishy.statusCode).toBe(400)
    expect(bodyOf(phishy).message).toMatch(/must not contain ":\/\/" or "@"/)
    expect((await t.call('PATCH', path(), s.owner, { name: 'ops@evil.example' })).statusCode).toBe(400)
    expect((await t.call('PATCH', path(), s.owner, { name: 'Desk' })).json()).toEqual({ id: ws, name: 'Desk', role: 'owner' })
    // Team workspaces ask owners and admins for a passkey at step-up by default (R26): these people have none.
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
  })

  it('invites by email; the link previews without a session and joins only the invited, verified account, once', async () => {
    const token = await invite('bob@example.com', 'trader')
    const mail = await t.lastEmail('bob@example.com', 'team_notice')
    expect(mail?.textBody).toContain(`${ORIGIN}/invite#token=${token}`)
    const preview = await t.post('/api/invitations/preview', { token })
    expect(preview.statusCode).toBe(200)
    expect(preview.headers['cache-control']).toBe('no-store')
    expect(preview.json()).toEqual({ workspaceName: 'Desk', invitedByName: 'owner', role: 'trader', email: 'bob@example.com', expiresAt: expect.any(String) })
    expect((await t.post('/api/invitations/preview', { token: 'x'.repeat(43) })).statusCode).toBe(404)
    expect((await t.post('/api/invitations/preview', { token: 'short' })).statusCode).toBe(400)

    // Someone else's account is refused, naming the invited address only masked.
    s.carol = await t.signIn('carol@example.com')
    const wrong = await t.post('/api/invitations/accept', { token }, s.carol)
    expect(wrong.statusCode).toBe(403)
    expect(bodyOf(wrong)).toMatchObject({ code: 'FORBIDDEN', reason: 'WRONG_ACCOUNT', message: 'this invitation is for b***@example.com: sign in with that account' })
    expect(await workspacesOf(s.carol)).not.toContainEqual(expect.objectContaining({ id: ws }))
    // No session, or no CSRF token: refused before anything is looked at.
    expect((await t.post('/api/invitations/accept', { token })).statusCode).toBe(401)
    // Bob signs up (here: straight into the database, verified) and accepts.
    ids.bob = (await t.addUser('bob@example.com')).userId
    s.bob = await t.signIn('bob@example.com')
    expect((await t.post('/api/invitations/accept', { token }, { cookie: s.bob.cookie })).statusCode).toBe(403)
    // The workspace's idle-timeout policy reaches the session bob already has when he joins.
    await database.db.update(schema.workspaces).set({ sessionIdleMinutes: 10 }).where(eq(schema.workspaces.id, ws))
    const accepted = await t.post('/api/invitations/accept', { token }, s.bob)
    expect(accepted.statusCode).toBe(200)
    // Four-eyes is on and nobody but the inviter could approve a trader: bob joins as viewer, and is told why (review #3).
    expect(accepted.json()).toEqual({ workspaceId: ws, role: 'viewer', note: expect.stringMatching(/^you joined as a viewer: the role you were invited with \(trader\) needs a second owner or admin/) })
    expect(await workspacesOf(s.bob)).toContainEqual({ id: ws, name: 'Desk', role: 'viewer' })
    // The single owner could turn approvals off; here they do it for a moment to make bob a trader.
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws))
    expect((await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { role: 'trader' })).statusCode).toBe(200)
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    expect((await database.db.select().from(schema.sessions).where(eq(schema.sessions.userId, ids.bob))).map((x) => x.idleMinutes)).toEqual([10])
    await database.db.update(schema.workspaces).set({ sessionIdleMinutes: null }).where(eq(schema.workspaces.id, ws))
    expect(await workspacesOf(s.bob)).toContainEqual({ id: ws, name: 'Desk', role: 'trader' })
    expect((await t.post('/api/invitations/accept', { token }, s.bob)).statusCode).toBe(404)
    expect((await t.post('/api/invitations/preview', { token })).statusCode).toBe(404)
    // The owner is told; the invitation shows as accepted.
    expect((await t.lastEmail('owner@example.com', 'team_notice'))?.subject).toBe('bob (bob@example.com) joined "Desk" on Bulwark')
    expect((await t.call('GET', path('/invitations'), s.owner)).json()).toEqual([expect.objectContaining({ email: 'bob@example.com', role: 'trader', state: 'accepted' })])
  })

  it('lists members for every member (and read tokens); managing them is for owners and admins with a session', async () => {
    const list = await t.call('GET', path('/members'), s.bob)
    expect(list.statusCode).toBe(200)
    expect(list.json()).toEqual([
      // Who has a second factor is for owners and admins to see (and each member for themselves), review #18.
      expect.objectContaining({ userId: ids.owner, email: 'owner@example.com', role: 'owner', isYou: false, hasSecondFactor: null, hasPasskey: null }),
      expect.objectContaining({ userId: ids.bob, email: 'bob@example.com', role: 'trader', accountScope: 'all', exchangeAccountIds: [], hasSecondFactor: false, hasPasskey: false, isYou: true }),
    ])
    expect((await t.call('GET', path('/members'), s.owner)).json<{ hasSecondFactor: boolean | null }[]>().map((m) => m.hasSecondFactor)).toEqual([false, false])
    expect((await t.call('GET', path('/invitations'), s.bob)).statusCode).toBe(403)
    expect((await t.call('DELETE', path(`/members/${ids.owner}`), s.bob)).statusCode).toBe(403)
    expect((await t.call('POST', path('/invitations'), s.bob, { email: 'x@example.com', role: 'viewer' })).statusCode).toBe(403)
  })

  it('grants name live exchange accounts of this workspace only, for traders only', async () => {
    const account = newId()
    await database.db.insert(schema.exchangeAccounts).values({ id: account, workspaceId: ws, exchange: 'binance', label: 'Main', keyId: newId(), state: 'active', apiKeyHint: 'abcd', verification: {}, createdAt: t.clock.now(), keyCreatedAt: t.clock.now() })
    const bad = await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { accountScope: 'granted', exchangeAccountIds: [newId()] })
    expect(bad.statusCode).toBe(400)
    expect(bodyOf(bad).message).toMatch(/^exchangeAccountIds: not an exchange account of this workspace/)
    expect((await t.call('PATCH', path(`/members/${ids.owner}`), s.owner, { accountScope: 'granted', exchangeAccountIds: [account] })).statusCode).toBe(403)
    expect((await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, {})).statusCode).toBe(400)
    const narrowed = await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { accountScope: 'granted', exchangeAccountIds: [account] })
    expect(narrowed.statusCode).toBe(200)
    expect(narrowed.json()).toMatchObject({ userId: ids.bob, role: 'trader', accountScope: 'granted', exchangeAccountIds: [account] })
  })

  it('a role upgrade needs a second owner or admin: none yet is a clear 409, then 202 and the approver applies it', async () => {
    const lonely = await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { role: 'admin' })
    expect(lonely.statusCode).toBe(409)
    expect(bodyOf(lonely).reason).toBe('NO_APPROVER')
    // An admin joins (approvals off for a moment, as the single owner may); admins are invited by owners only.
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws))
    expect((await t.call('POST', path('/invitations'), s.owner, { email: 'erin@example.com', role: 'admin' })).statusCode).toBe(201)
    s.erin = await t.signIn('erin@example.com')
    expect((await t.post('/api/invitations/accept', { token: await t.linkToken('erin@example.com', 'team_notice') }, s.erin)).json()).toEqual({ workspaceId: ws, role: 'admin' })
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    expect((await t.call('POST', path('/invitations'), s.erin, { email: 'x@example.com', role: 'admin' })).statusCode).toBe(403)

    const gated = await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { role: 'admin' })
    expect(gated.statusCode).toBe(202)
    const { approval } = gated.json<{ approval: { id: string; kind: string; state: string; summary: string } }>()
    expect(approval).toMatchObject({ kind: 'role.upgrade', state: 'pending', summary: 'Make bob@example.com an admin (now trader)' })
    expect((await workspacesOf(s.bob)).find((w) => w.id === ws)?.role).toBe('trader')
    const approved = await t.call('POST', path(`/approvals/${approval.id}/approve`), s.erin)
    expect(approved.statusCode).toBe(200)
    expect(approved.json()).toMatchObject({ state: 'approved' })
    const members = (await t.call('GET', path('/members'), s.owner)).json<{ userId: string; role: string; accountScope: string }[]>()
    expect(members.find((m) => m.userId === ids.bob)).toMatchObject({ role: 'admin', accountScope: 'all' })
    // Downwards applies at once (erin to trader and back would need approval again, so leave her).
    const down = await t.call('PATCH', path(`/members/${ids.bob}`), s.owner, { role: 'trader' })
    expect(down.statusCode).toBe(200)
    expect(down.json()).toMatchObject({ role: 'trader' })
  })

  it('admins never touch owners, nobody changes their own role, and the last owner cannot leave', async () => {
    const byAdmin = await t.call('PATCH', path(`/members/${ids.owner}`), s.erin, { role: 'viewer' })
    expect(byAdmin.statusCode).toBe(403)
    expect(bodyOf(byAdmin)).toMatchObject({ reason: 'OWNER_PROTECTED', message: 'admins cannot change owners' })
    expect((await t.call('DELETE', path(`/members/${ids.owner}`), s.erin)).statusCode).toBe(403)
    expect((await t.call('PATCH', path(`/members/${ids.bob}`), s.erin, { role: 'owner' })).statusCode).toBe(403)
    expect(bodyOf(await t.call('PATCH', path(`/members/${ids.erin}`), s.erin, { role: 'viewer' })).reason).toBe('SELF_CHANGE')
    const leave = await t.call('POST', path('/leave'), s.owner)
    expect(leave.statusCode).toBe(409)
    expect(bodyOf(leave).message).toMatch(/make someone else owner first/)
    expect((await t.call('DELETE', path(`/members/${ids.owner}`), s.owner)).statusCode).toBe(400)
  })

  it('with four-eyes on, an invitation above viewer joins as viewer and the role waits for a second person (review #3)', async () => {
    const token = await invite('dave@example.com', 'trader')
    s.dave = await t.signIn('dave@example.com')
    const accepted = await t.post('/api/invitations/accept', { token }, s.dave)
    expect(accepted.statusCode).toBe(200)
    const body = accepted.json<{ role: string; pendingRole: string; approval: { id: string; kind: string; requestedBy: { userId: string } } }>()
    expect(body).toMatchObject({ workspaceId: ws, role: 'viewer', pendingRole: 'trader', approval: { kind: 'role.upgrade', requestedBy: { userId: ids.owner } } })
    expect((await workspacesOf(s.dave)).find((w) => w.id === ws)?.role).toBe('viewer')
    expect((await t.call('POST', path(`/approvals/${body.approval.id}/approve`), s.erin)).statusCode).toBe(200)
    expect((await workspacesOf(s.dave)).find((w) => w.id === ws)?.role).toBe('trader')
  })

  it('with four-eyes on, taking owner rights from a co-owner waits for another owner: 202 (review #1)', async () => {
    await database.db.insert(schema.memberships).values([
      { workspaceId: ws, userId: ids.carol, role: 'owner', createdAt: t.clock.now() },
      { workspaceId: ws, userId: ids.frank, role: 'owner', createdAt: t.clock.now() },
    ])
    s.carol = await t.signIn('carol@example.com')
    s.frank = await t.signIn('frank@example.com')
    s.owner = await t.signIn('owner@example.com')
    const demote = await t.call('PATCH', path(`/members/${ids.carol}`), s.owner, { role: 'viewer' })
    expect(demote.statusCode).toBe(202)
    const { approval } = demote.json<{ approval: { id: string; kind: string; summary: string } }>()
    expect(approval).toMatchObject({ kind: 'owner.change', summary: 'Take the owner rights of carol@example.com: make them a viewer' })
    expect((await workspacesOf(s.carol)).find((w) => w.id === ws)?.role).toBe('owner')
    // An admin cannot decide it; carol herself may (consent).
    expect((await t.call('POST', path(`/approvals/${approval.id}/approve`), s.erin)).statusCode).toBe(403)
    expect((await t.call('POST', path(`/approvals/${approval.id}/approve`), s.carol)).statusCode).toBe(200)
    expect((await workspacesOf(s.carol)).find((w) => w.id === ws)?.role).toBe('viewer')
    expect((await t.lastEmail('carol@example.com', 'team_notice'))?.subject).toBe('Your role in "Desk" on Bulwark is now viewer')
    // Removing an owner: the same.
    const removal = await t.call('DELETE', path(`/members/${ids.frank}`), s.owner)
    expect(removal.statusCode).toBe(202)
    expect(removal.json()).toMatchObject({ approval: { kind: 'owner.change', summary: 'Remove the owner frank@example.com from the workspace' } })
    expect((await workspacesOf(s.frank)).find((w) => w.id === ws)?.role).toBe('owner')
    // Tidy up for what follows: frank approves leaving, carol leaves.
    expect((await t.call('POST', path(`/approvals/${removal.json<{ approval: { id: string } }>().approval.id}/approve`), s.frank)).statusCode).toBe(200)
    expect(await workspacesOf(s.frank)).not.toContainEqual(expect.objectContaining({ id: ws }))
    expect((await t.call('POST', path('/leave'), s.carol)).statusCode).toBe(204)
  })

  it('a removed member loses access at once: pages 404, API token 401, live stream ended, told by email', async () => {
    const created = await t.post('/api/tokens', { name: 'bob script', workspaceId: ws, scope: 'read', expiresInDays: 1 }, s.bob)
    expect(created.statusCode).toBe(201)
    const bearer = { authorization: `Bearer ${created.json<{ token: string }>().token}` }
    expect((await t.app.inject({ url: path('/members'), headers: bearer })).statusCode).toBe(200)
    const stream = await openStream(`${base}${path('/live')}`, s.bob.cookie)
    const ownerStream = await openStream(`${base}${path('/live')}`, s.owner.cookie)
    expect(stream.res.statusCode).toBe(200)
    await expect.poll(() => [stream.events, ownerStream.events]).toEqual([['hello', 'unread'], ['hello', 'unread']])
    expect(stream.ended()).toBe(false)

    // Changing someone's membership needs a fresh step-up: after 6 minutes the owner must confirm again.
    t.clock.advance(6 * 60_000)
    const stale = await t.call('DELETE', path(`/members/${ids.bob}`), s.owner)
    expect(bodyOf(stale).code).toBe('STEP_UP_REQUIRED')
    expect((await t.post('/api/auth/step-up', { password: 'violet ostrich carburetor lighthouse' }, s.owner)).statusCode).toBe(200)
    expect((await t.call('DELETE', path(`/members/${ids.bob}`), s.owner)).statusCode).toBe(204)

    await expect.poll(() => stream.ended()).toBe(true)
    // Those who stay hear that the members changed (the Team page reloads); the removed one heard nothing more.
    await expect.poll(() => ownerStream.topics.has('members')).toBe(true)
    expect(ownerStream.ended()).toBe(false)
    ownerStream.close()
    expect(stream.events).toEqual(['hello', 'unread'])
    const page = await t.call('GET', path('/members'), s.bob)
    expect(page.statusCode).toBe(404)
    expect(bodyOf(page).message).toBe(`workspace "${ws}" not found`)
    expect((await t.app.inject({ url: path('/members'), headers: bearer })).statusCode).toBe(401)
    expect(await workspacesOf(s.bob)).not.toContainEqual(expect.objectContaining({ id: ws }))
    const again = await openStream(`${base}${path('/live')}`, s.bob.cookie)
    expect(again.res.statusCode).toBe(404)
    again.close()
    expect((await t.lastEmail('bob@example.com', 'team_notice'))?.subject).toBe('You were removed from "Desk" on Bulwark')
    const events = await database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.workspaceId, ws))
    expect(events.find((e) => e.type === 'member_removed' && (e.details as { userId?: string }).userId === ids.bob)).toMatchObject({ actorId: ids.owner, details: { userId: ids.bob, email: 'bob@example.com', revokedApiAccess: 1 } })
  })

  it('a member leaves with the same effect; an expired invitation is refused', async () => {
    expect((await t.call('POST', path('/leave'), s.erin)).statusCode).toBe(204)
    expect((await t.call('GET', path('/members'), s.erin)).statusCode).toBe(404)
    expect(await workspacesOf(s.erin)).not.toContainEqual(expect.objectContaining({ id: ws }))

    const token = await invite('carol@example.com', 'viewer')
    t.clock.advance(INVITATION_TTL_MS)
    s.carol = await t.signIn('carol@example.com')
    expect((await t.post('/api/invitations/preview', { token })).statusCode).toBe(404)
    expect((await t.post('/api/invitations/accept', { token }, s.carol)).statusCode).toBe(404)
    s.owner = await t.signIn('owner@example.com')
    expect((await t.call('GET', path('/invitations'), s.owner)).json<{ email: string; state: string }[]>().find((i) => i.email === 'carol@example.com')?.state).toBe('expired')
  })

  it('deleting the workspace (owner, step-up) removes it from /api/me and every route; a personal one stays', async () => {
    const personal = (await workspacesOf(s.owner)).find((w) => w.id !== ws)?.id ?? ''
    expect(bodyOf(await t.call('DELETE', `/api/workspaces/${personal}`, s.owner)).reason).toBe('PERSONAL_WORKSPACE')
    // Never with a live exchange key in it: the owner removes the account first (here: marked removed).
    const blocked = await t.call('DELETE', path(), s.owner)
    expect(blocked.statusCode).toBe(409)
    expect(bodyOf(blocked)).toMatchObject({ reason: 'HAS_EXCHANGE_ACCOUNTS', message: "remove the workspace's 1 exchange account first: deleting it never leaves a live key behind" })
    await database.db.update(schema.exchangeAccounts).set({ removedAt: t.clock.now() }).where(eq(schema.exchangeAccounts.workspaceId, ws))
    expect((await t.call('DELETE', path(), s.owner)).statusCode).toBe(204)
    expect((await workspacesOf(s.owner)).map((w) => w.id)).toEqual([personal])
    for (const res of [await t.call('GET', path('/members'), s.owner), await t.call('PATCH', path(), s.owner, { name: 'Back' }), await t.call('DELETE', path(), s.owner)]) {
      expect(res.statusCode).toBe(404)
    }
  })
})
