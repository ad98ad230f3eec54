import { and, asc, eq, isNull } from 'drizzle-orm'
import { TOTP, Secret } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { workspaceChain } from '../../src/monitoring/index.js'
import { createWorkspaceSettings } from '../../src/monitoring/workspace-settings.js'
import { createWorkspacePolicies, type PolicyView } from '../../src/teams/workspace-policies.js'
import type { ApprovalView } from '../../src/teams/approval-types.js'
import { policyRoutes } from '../../src/api/routes/policy-routes.js'

type Session = { cookie: string; csrf: string }
type Who = 'owner' | 'partner' | 'trader' | 'stranger'
const MINUTE = 60_000
/** Where light-my-request's requests come from unless told otherwise. */
const LOOPBACK = '127.0.0.1'
const OFFICE = '198.51.100.7'

/**
 * Workspace policies over HTTP with the real account services, the real approvals service and the demo
 * exchange: the two-factor policy limits a member to viewer until they enrol, the allowed IP ranges refuse
 * requests from elsewhere (sessions and tokens), nobody locks themselves out, a lower idle timeout ends idle
 * sessions, relaxing waits for a second owner, and approvals go off only in a single-owner workspace.
 */
describe.each(backends)('workspace policies over HTTP on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let ws = ''
  const ids: Record<Who, string> = { owner: '', partner: '', trader: '', stranger: '' }
  const sessions: Partial<Record<Who, Session>> = {}
  const totpSecrets: Partial<Record<Who, string>> = {}
  let traderToken = ''

  const emailOf = (who: Who) => `${who}@example.com`
  const as = (who: Who): Session => {
    const s = sessions[who]
    if (!s) throw new Error(`${who} is not signed in`)
    return s
  }
  const codeOf = (who: Who) => new TOTP({ secret: Secret.fromBase32(totpSecrets[who] ?? ''), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: clock.now().getTime() })
  /** Signs in (with the authenticator app once enrolled: a code of a fresh time step); a sign-in is a fresh step-up. */
  const signIn = async (who: Who, ip = LOOPBACK): Promise<Session> => {
    const headers = { 'x-forwarded-for': '203.0.113.250' } // ignored: no proxy is trusted
    if (!totpSecrets[who]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: emailOf(who), password: PASSWORD }, headers: { origin: ORIGIN, ...headers }, remoteAddress: ip })
      expect(res.statusCode, res.body).toBe(200)
      const cookie = t.cookieOf(res)
      sessions[who] = { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
      return as(who)
    }
    clock.advance(30_000)
    const first = await t.post('/api/auth/login', { email: emailOf(who), password: PASSWORD })
    const res = await t.post('/api/auth/login', { ticket: first.json<{ ticket: string }>().ticket, totp: codeOf(who) })
    expect(res.statusCode, res.body).toBe(200)
    const cookie = t.cookieOf(res)
    sessions[who] = { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
    return as(who)
  }
  const send = (who: Who, method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown, ip = LOOPBACK) =>
    t.app.inject({
      method,
      url: path.startsWith('/api/') ? path : `/api/workspaces/${ws}${path}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: { origin: ORIGIN, cookie: as(who).cookie, 'x-csrf-token': as(who).csrf },
      remoteAddress: ip,
    })
  const withToken = (token: string, method: 'GET' | 'POST', path: string, payload?: unknown, ip = LOOPBACK) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { authorization: `Bearer ${token}` }, remoteAddress: ip })
  const stepUp = async (who: Who, ip = LOOPBACK) => {
    const proof = totpSecrets[who] ? (clock.advance(30_000), { totp: codeOf(who) }) : { password: PASSWORD }
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/step-up', payload: proof, headers: { origin: ORIGIN, cookie: as(who).cookie, 'x-csrf-token': as(who).csrf }, remoteAddress: ip })
    expect(res.statusCode, res.body).toBe(200)
  }
  const enrolTotp = async (who: Who) => {
    const setup = await send(who, 'POST', '/api/auth/totp/setup', {})
    expect(setup.statusCode, setup.body).toBe(200)
    totpSecrets[who] = setup.json<{ secret: string }>().secret
    const enabled = await send(who, 'POST', '/api/auth/totp/enable', { code: codeOf(who) })
    expect(enabled.statusCode, enabled.body).toBe(200)
    as(who).cookie = t.cookieOf(enabled)
  }
  const patch = (who: Who, body: Record<string, unknown>, ip = LOOPBACK) => send(who, 'PATCH', '/policies', body, ip)
  const policies = async (): Promise<PolicyView> => (await send('owner', 'GET', '/policies', undefined, OFFICE)).json<PolicyView>()
  const policyEntries = async () =>
    (await database.db.select().from(schema.auditEvents).where(and(eq(schema.auditEvents.chain, workspaceChain(ws)), eq(schema.auditEvents.type, 'workspace_policy_changed'))).orderBy(asc(schema.auditEvents.seq))).map((e) => ({
      actorId: e.actorId,
      details: e.details as Record<string, unknown>,
    }))
  const liveSessionsOf = (userId: string) => database.db.select({ idle: schema.sessions.idleMinutes }).from(schema.sessions).where(and(eq(schema.sessions.userId, userId), isNull(schema.sessions.revokedAt)))

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      clock,
      trading: true,
      approvals: true,
      routes: (h) => {
        const settings = createWorkspaceSettings({ db: h.db, clock, audit: h.audit })
        const service = createWorkspacePolicies({ db: h.db, clock, audit: h.audit, settings })
        if (!h.approvals) throw new Error('the harness built no approvals service')
        // As main.ts registers it.
        h.approvals.register('policy.relax', { apply: service.applyPolicyPatch })
        return [(app) => policyRoutes(app, { db: h.db, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp, policies: service, approvals: h.approvals })]
      },
    })
    ;({ userId: ids.owner, workspaceId: ws } = await t.addUser(emailOf('owner')))
    for (const [who, role] of [
      ['partner', 'owner'],
      ['trader', 'trader'],
    ] as const) {
      ids[who] = (await t.addUser(emailOf(who))).userId
      await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: ids[who], role, createdAt: clock.now() })
    }
    ids.stranger = (await t.addUser(emailOf('stranger'))).userId
    // Password and authenticator-app step-up suffice here (the passkey policy is tested in step-up's own tests).
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    for (const who of ['owner', 'partner', 'trader', 'stranger'] as const) await signIn(who)
    const token = await send('trader', 'POST', '/api/tokens', { name: 'script', workspaceId: ws, scope: 'trade', expiresInDays: 30 })
    expect(token.statusCode, token.body).toBe(201)
    traderToken = token.json<{ token: string }>().token
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await database?.dispose()
  })

  it('every member reads the policies (a read token too); only an owner changes them, with a fresh step-up; strangers see nothing', async () => {
    const read = await send('trader', 'GET', '/policies')
    expect(read.statusCode, read.body).toBe(200)
    expect(read.json()).toMatchObject({ requireTwoFactor: false, sessionIdleMinutes: null, allowedIpRanges: [], keyRotationDays: 90, ownerCount: 2, memberCount: 3, approvalsRequired: false, canTurnOffApprovals: false })
    expect((await withToken(traderToken, 'GET', '/policies')).statusCode).toBe(200)
    expect((await send('stranger', 'GET', '/policies')).json()).toMatchObject({ code: 'NOT_FOUND' })
    expect((await patch('trader', { keyRotationDays: 30 })).json()).toMatchObject({ code: 'FORBIDDEN' })
    expect((await withToken(traderToken, 'GET', '/policies')).statusCode).toBe(200)
    clock.advance(6 * MINUTE) // the sign-in's step-up window is over
    expect((await patch('owner', { keyRotationDays: 30 })).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    await stepUp('owner')
    expect((await patch('owner', { keyRotationDays: 3 })).statusCode).toBe(400)
    const bad = await patch('owner', { allowedIpRanges: ['10.0.0.1/8'] })
    expect(bad.statusCode).toBe(400)
    expect(bad.json<{ message: string }>().message).toContain('did you mean 10.0.0.0/8?')
    const done = await patch('owner', { keyRotationDays: 30 })
    expect(done.statusCode, done.body).toBe(200)
    expect(done.json()).toMatchObject({ keyRotationDays: 30 })
  })

  it('two-factor required: a trader without one is a viewer (403 with the reason, their token too) until they enrol an authenticator app', async () => {
    // The owner may not require what they lack themselves.
    expect((await patch('owner', { requireTwoFactor: true })).json()).toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT' })
    await enrolTotp('owner')
    await stepUp('owner') // with the new factor: a password no longer confirms anything for this owner
    const on = await patch('owner', { requireTwoFactor: true })
    expect(on.statusCode, on.body).toBe(200)
    expect(on.json<PolicyView>().membersWithoutSecondFactor.map((m) => m.userId).sort()).toEqual([ids.partner, ids.trader].sort())

    const refused = await send('trader', 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'TWO_FACTOR_REQUIRED', message: 'this workspace requires two-factor authentication: set up an authenticator app or a passkey first' })
    expect((await withToken(traderToken, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })).json()).toMatchObject({ code: 'FORBIDDEN', reason: 'TWO_FACTOR_REQUIRED' })
    // Reading still works: they are a viewer, not locked out.
    expect((await send('trader', 'GET', '/demo/accounts')).statusCode).toBe(200)

    await signIn('trader') // a fresh step-up for the enrolment
    await enrolTotp('trader')
    const created = await send('trader', 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })
    expect(created.statusCode, created.body).toBe(201)
    expect((await withToken(traderToken, 'POST', '/demo/accounts', { name: 'Paper 2', kind: 'spot' })).statusCode).toBe(201)
  })

  it('allowed IP ranges: no locking yourself out; outside the ranges IP_NOT_ALLOWED (sessions and tokens), inside fine; strangers still NOT_FOUND', async () => {
    await stepUp('owner')
    const lockout = await patch('owner', { allowedIpRanges: ['198.51.100.0/24'] })
    expect(lockout.statusCode).toBe(409)
    expect(lockout.json()).toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT', message: expect.stringContaining('you would lock yourself out') })
    expect((await policies()).allowedIpRanges).toEqual([])
    // A proxy header from an untrusted peer changes nothing: the socket's address counts.
    const spoofed = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}/policies`,
      payload: { allowedIpRanges: ['198.51.100.0/24'] },
      headers: { origin: ORIGIN, cookie: as('owner').cookie, 'x-csrf-token': as('owner').csrf, 'x-forwarded-for': OFFICE },
      remoteAddress: LOOPBACK,
    })
    expect(spoofed.statusCode).toBe(409)

    const applied = await patch('owner', { allowedIpRanges: ['198.51.100.0/24', '2001:db8::/32'] }, OFFICE)
    expect(applied.statusCode, applied.body).toBe(200)

    const outside = await send('trader', 'GET', '/demo/accounts', undefined, '203.0.113.77')
    expect(outside.statusCode).toBe(403)
    expect(outside.json()).toMatchObject({ code: 'IP_NOT_ALLOWED' })
    expect((await withToken(traderToken, 'GET', '/demo/accounts', undefined, '203.0.113.77')).json()).toMatchObject({ code: 'IP_NOT_ALLOWED' })
    expect((await send('trader', 'GET', '/demo/accounts', undefined, '198.51.100.200')).statusCode).toBe(200)
    expect((await send('trader', 'GET', '/demo/accounts', undefined, '2001:db8:1::5')).statusCode).toBe(200)
    expect((await withToken(traderToken, 'GET', '/demo/accounts', undefined, '::ffff:198.51.100.9')).statusCode).toBe(200)
    expect((await send('stranger', 'GET', '/demo/accounts', undefined, '203.0.113.77')).json()).toMatchObject({ code: 'NOT_FOUND' })
    // Account pages outside the workspace are not the workspace's business.
    expect((await send('trader', 'GET', '/api/me', undefined, '203.0.113.77')).statusCode).toBe(200)

    // Clearing the list widens it: approvals are off here, so it applies at once (from inside).
    await stepUp('owner', OFFICE)
    const cleared = await patch('owner', { allowedIpRanges: [] }, OFFICE)
    expect(cleared.json()).toMatchObject({ allowedIpRanges: [] })
    expect((await policyEntries()).at(-1)?.details).toMatchObject({ changed: ['allowedIpRanges'], relaxing: true })
    expect((await send('trader', 'GET', '/demo/accounts', undefined, '203.0.113.77')).statusCode).toBe(200)
  })

  it('a lower idle timeout shortens live sessions at once; a session idle longer than that ends; new sign-ins get it', async () => {
    await stepUp('owner')
    const res = await patch('owner', { sessionIdleMinutes: 10 })
    expect(res.statusCode, res.body).toBe(200)
    for (const who of ['owner', 'partner', 'trader'] as const) expect((await liveSessionsOf(ids[who])).every((s) => s.idle <= 10)).toBe(true)
    expect((await liveSessionsOf(ids.stranger)).every((s) => s.idle === 30)).toBe(true)

    clock.advance(9 * MINUTE)
    expect((await send('owner', 'GET', '/policies')).statusCode).toBe(200) // active: still signed in
    clock.advance(2 * MINUTE)
    expect((await send('trader', 'GET', '/policies')).json()).toMatchObject({ code: 'UNAUTHENTICATED' }) // idle 11 minutes: ended
    expect((await send('owner', 'GET', '/policies')).statusCode).toBe(200)
    expect((await send('stranger', 'GET', '/api/me')).statusCode).toBe(200) // not a member: the R30 default

    await signIn('trader')
    const newest = await database.db.select({ idle: schema.sessions.idleMinutes, createdAt: schema.sessions.createdAt }).from(schema.sessions).where(eq(schema.sessions.userId, ids.trader))
    expect(newest.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]?.idle).toBe(10)
  })

  it('relaxing waits for the second owner while approvals are on (202, nothing applied); tightening applies at once', async () => {
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    await signIn('owner')
    // The other owner has no second factor: under the two-factor policy they act as a viewer, so nobody could approve.
    const nobody = await patch('owner', { sessionIdleMinutes: 120, requireTwoFactor: false })
    expect(nobody.json()).toMatchObject({ code: 'CONFLICT', reason: 'NO_APPROVER' })
    await signIn('partner')
    await enrolTotp('partner')

    const waiting = await patch('owner', { sessionIdleMinutes: 120, requireTwoFactor: false })
    expect(waiting.statusCode, waiting.body).toBe(202)
    const { approval } = waiting.json<{ approval: ApprovalView }>()
    expect(approval).toMatchObject({ kind: 'policy.relax', state: 'pending', requestedBy: { userId: ids.owner } })
    expect(await policies()).toMatchObject({ sessionIdleMinutes: 10, requireTwoFactor: true })

    const tighter = await patch('owner', { sessionIdleMinutes: 8, refuseIpUnrestrictedKeys: true })
    expect(tighter.statusCode, tighter.body).toBe(200)
    expect(tighter.json()).toMatchObject({ sessionIdleMinutes: 8, refuseIpUnrestrictedKeys: true })

    // The requester cannot approve their own; the partner owner approves with a fresh step-up (their new factor).
    await stepUp('owner')
    expect((await send('owner', 'POST', `/approvals/${approval.id}/approve`)).json()).toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    await stepUp('partner')
    const approved = await send('partner', 'POST', `/approvals/${approval.id}/approve`)
    expect(approved.statusCode, approved.body).toBe(200)
    expect(approved.json()).toMatchObject({ state: 'approved', result: { changed: ['requireTwoFactor', 'sessionIdleMinutes'] } })
    expect(await policies()).toMatchObject({ sessionIdleMinutes: 120, requireTwoFactor: false, refuseIpUnrestrictedKeys: true })
    expect((await policyEntries()).at(-1)).toMatchObject({ actorId: ids.partner, details: { relaxing: true, requestedBy: ids.owner, approvalRef: approval.id } })
  })

  it('approvals go off only in a single-owner workspace: refused with two owners, allowed (and flagged) with one', async () => {
    await stepUp('owner')
    const refused = await patch('owner', { approvalsRequired: false })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'CONFLICT', reason: 'SEVERAL_OWNERS' })
    expect((await policies()).approvalsRequired).toBe(true)

    await database.db.update(schema.memberships).set({ role: 'admin' }).where(and(eq(schema.memberships.workspaceId, ws), eq(schema.memberships.userId, ids.partner)))
    expect((await policies()).canTurnOffApprovals).toBe(true)
    const off = await patch('owner', { approvalsRequired: false })
    expect(off.statusCode, off.body).toBe(200)
    expect(off.json()).toMatchObject({ approvalsRequired: false, ownerCount: 1 })
    expect((await policyEntries()).at(-1)).toMatchObject({ actorId: ids.owner, details: { changed: ['approvalsRequired'], warning: 'approvals_turned_off' } })
  })

  it('the routes are in the OpenAPI document with their schemas', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>()
    const path = doc.paths['/api/workspaces/{workspaceId}/policies']
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'patch'])
    expect(Object.keys(path?.patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '202']))
  })

  it('an admin of a team without a passkey can still enrol one: step-up asks for a passkey everywhere but there', async () => {
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: true }).where(eq(schema.workspaces.id, ws))
    await signIn('partner')
    const token = /__Host-sid=(.+)$/.exec(as('partner').cookie)?.[1] ?? ''
    const session = await t.accounts.sessions.authenticate(token)
    if (!session) throw new Error('the partner is signed in')
    await expect(t.accounts.stepUp.require(session, { workspaceId: ws })).rejects.toMatchObject({ code: 'PHISHING_RESISTANT_FACTOR_REQUIRED' })
    await expect(t.accounts.stepUp.require(session)).rejects.toMatchObject({ code: 'PHISHING_RESISTANT_FACTOR_REQUIRED' })
    await expect(t.accounts.stepUp.require(session, { enrolment: true })).resolves.toBeUndefined()
  })
})
