import { randomBytes } from 'node:crypto'
import { TOTP, Secret } from 'otpauth'
import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { schema } from '../../src/db/index.js'
import { createManualClock, type ManualClock } from '../../src/lib/clock.js'
import { createWorkspaceSettings, verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import { createIncidents, type IncidentDetailView, type Incidents, type LockdownResultView } from '../../src/incident/index.js'
import { incidentRoutes } from '../../src/api/routes/incident-routes.js'
import type { ApprovalView } from '../../src/teams/index.js'

type Session = { cookie: string; csrf: string }
const COOLING_OFF_SECONDS = 600

/**
 * Four-eyes on the unlock after a lockdown (R19 + R42): in a workspace that requires approvals, the unlock
 * that passed password + authenticator code + emailed link + cooling-off waits once more, for a second owner
 * or admin. Approved, the workspace opens (the approver named in the audit chain beside the requester);
 * rejected, the incident is open again and the unlock can be asked anew. With nobody who could approve,
 * the first step refuses before spending the proofs.
 */
describe.each(backends)('the unlock waits for a second person on %s (R42)', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let incidents: Incidents
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let ws = ''
  let ownerId = ''
  let adminId = ''
  let totp: TOTP
  let owner: Session
  let admin: Session
  // Shared by the two apps of the last test (the TOTP seed is sealed under it; the CSRF token is an HMAC under the other).
  const keys = { totpSeedKey: randomBytes(32), csrfKey: randomBytes(32) }

  /** Wires incidents as main.ts does, with the harness's approvals service as the gate and the unlock's applier registered. */
  const start = async (c: ManualClock, coolingOffSeconds: number) => {
    let built: Incidents | undefined
    const app = await startAccountsApp(database, {
      clock: c,
      overrides: keys,
      approvals: true,
      routes: (h) => {
        const approvals = h.approvals
        if (!approvals) throw new Error('the harness built no approvals service')
        built = createIncidents({
          db: h.db,
          clock: h.clock,
          audit: h.audit,
          alerts: h.alerts,
          outbox: h.outbox,
          accounts: h.accounts,
          settings: createWorkspaceSettings({ db: h.db, clock: h.clock }),
          coolingOffSeconds,
          approvals,
        })
        approvals.register('incident.unlock', built.unlockApprovalHandler)
        return [(a) => incidentRoutes(a, { db: h.db, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp, incidents: built as Incidents })]
      },
    })
    if (!built) throw new Error('the incident routes were not built')
    return { app, incidents: built }
  }

  const send = (who: Session, method: 'GET' | 'POST', path: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: who.cookie, 'x-csrf-token': who.csrf } })
  const code = () => {
    clock.advance(30_000)
    return totp.generate({ timestamp: clock.now().getTime() })
  }
  const signInOwner = async (): Promise<Session> => {
    const first = (await t.post('/api/auth/login', { email: 'owner@example.com', password: PASSWORD })).json<{ status: string; ticket: string }>()
    const res = await t.post('/api/auth/login', { ticket: first.ticket, totp: code() })
    expect(res.statusCode).toBe(200)
    const cookie = t.cookieOf(res)
    return { cookie, csrf: (await t.me(cookie)).json<{ csrfToken: string }>().csrfToken }
  }
  const signInAdmin = async (): Promise<Session> => {
    const { cookie, csrf } = await t.signIn('admin@example.com')
    return { cookie, csrf }
  }
  const lockDown = async (): Promise<string> => {
    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    const res = await send(owner, 'POST', '/lockdown', { reason: 'phone lost' })
    expect(res.statusCode).toBe(202)
    await incidents.idle()
    // The lockdown ended every session.
    owner = await signInOwner()
    admin = await signInAdmin()
    return res.json<LockdownResultView>().incident.id
  }
  /** Steps one and two: password + code, then the emailed link. */
  const askToUnlock = async () => {
    const requested = await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })
    expect(requested.statusCode).toBe(202)
    expect(requested.json()).toMatchObject({ state: 'unlocking', approvalRequired: true, coolingOffSeconds: COOLING_OFF_SECONDS })
    const confirmed = await t.post('/api/incident/unlock/confirm', { token: await t.linkToken('owner@example.com', 'unlock_requested') })
    expect(confirmed.statusCode).toBe(200)
    expect(confirmed.json()).toMatchObject({ state: 'unlocking', approval: null })
  }
  const pendingUnlock = async () => (await send(admin, 'GET', '/approvals')).json<ApprovalView[]>().find((a) => a.kind === 'incident.unlock' && a.state === 'pending')
  const timeline = async (incidentId: string) => (await send(owner, 'GET', `/incidents/${incidentId}`)).json<IncidentDetailView>().timeline.map((e) => e.kind)

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    ;({ app: t, incidents } = await start(clock, COOLING_OFF_SECONDS))
    ;({ userId: ownerId, workspaceId: ws } = await t.addUser('owner@example.com'))
    ;({ userId: adminId } = await t.addUser('admin@example.com'))
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: adminId, role: 'admin', createdAt: clock.now() })
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false, approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    // Unlocking needs a second factor: the owner turns on the authenticator app.
    const s = await t.signIn('owner@example.com')
    owner = { cookie: s.cookie, csrf: s.csrf }
    const setup = (await t.post('/api/auth/totp/setup', {}, owner)).json<{ secret: string }>()
    totp = new TOTP({ secret: Secret.fromBase32(setup.secret) })
    owner.cookie = t.cookieOf(await t.post('/api/auth/totp/enable', { code: totp.generate({ timestamp: clock.now().getTime() }) }, owner))
  }, 120_000)
  afterAll(async () => {
    await incidents?.stop()
    await t?.close()
    await database?.dispose()
  })

  it('after the cooling-off the unlock becomes a request; the requester cannot approve it, a second admin can, and the workspace opens', async () => {
    const incidentId = await lockDown()
    await askToUnlock()
    clock.advance(COOLING_OFF_SECONDS * 1000)
    // The first read after the cooling-off puts the unlock up for approval; the workspace stays locked.
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { id: incidentId, state: 'unlocking', unlockNotBefore: null } })
    const request = await pendingUnlock()
    expect(request).toMatchObject({ requestedBy: { userId: ownerId }, canDecide: true })
    expect(await timeline(incidentId)).toContain('unlock_approval_requested')
    // Asking again while it waits: refused, with where to look.
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).json()).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('approve') })

    expect((await t.post('/api/auth/step-up', { totp: code() }, owner)).statusCode).toBe(200)
    const self = await send(owner, 'POST', `/approvals/${request?.id}/approve`)
    expect([self.statusCode, self.json()]).toEqual([403, expect.objectContaining({ reason: 'SELF_APPROVAL' })])
    expect((await t.post('/api/auth/step-up', { password: PASSWORD }, admin)).statusCode).toBe(200)
    const approved = await send(admin, 'POST', `/approvals/${request?.id}/approve`)
    expect(approved.statusCode).toBe(200)
    expect(approved.json()).toMatchObject({ state: 'approved', decidedBy: { userId: adminId }, result: { incidentId, state: 'resolved' } })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: false, incident: null })

    const entries = await database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))
    expect(entries.find((e) => e.type === 'unlock_completed')).toMatchObject({ actorType: 'user', actorId: adminId, details: expect.objectContaining({ incidentId, requestedBy: ownerId, approvedBy: adminId }) })
    expect(entries.find((e) => e.type === 'approval_approved')).toMatchObject({ actorId: adminId, details: expect.objectContaining({ requestedBy: ownerId }) })
    expect((await verifyChain(database.db, workspaceChain(ws))).ok).toBe(true)
    expect(await t.lastEmail('admin@example.com', 'unlock_completed')).toBeDefined()
  })

  it('a rejected unlock ends: the incident is open again, the workspace locked, and the unlock can be asked anew', async () => {
    const incidentId = await lockDown()
    await askToUnlock()
    clock.advance(COOLING_OFF_SECONDS * 1000)
    await incidents.settleDueUnlocks() // the timer's work
    const request = await pendingUnlock()
    if (!request) throw new Error('the unlock was not put up for approval')
    // Rejecting needs a fresh step-up too (a stolen cookie alone must not turn down an unlock).
    const stale = await send(admin, 'POST', `/approvals/${request.id}/reject`, { note: 'x' })
    expect([stale.statusCode, stale.json()]).toEqual([401, expect.objectContaining({ code: 'STEP_UP_REQUIRED' })])
    expect((await t.post('/api/auth/step-up', { password: PASSWORD }, admin)).statusCode).toBe(200)
    const rejected = await send(admin, 'POST', `/approvals/${request.id}/reject`, { note: 'not before we rotate the keys' })
    expect(rejected.json()).toMatchObject({ state: 'rejected', note: 'not before we rotate the keys' })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { id: incidentId, state: 'open', unlockRequestedAt: null, unlockConfirmedAt: null } })
    expect(await timeline(incidentId)).toContain('unlock_approval_rejected')
    // Asked anew: the same steps, and another request.
    await askToUnlock()
    clock.advance(COOLING_OFF_SECONDS * 1000)
    await incidents.settleDueUnlocks()
    const again = await pendingUnlock()
    expect(again?.id).not.toBe(request.id)
    // An old approval cannot open a newer unlock: approving the rejected one is a conflict, the new one works.
    expect((await t.post('/api/auth/step-up', { password: PASSWORD }, admin)).statusCode).toBe(200)
    expect((await send(admin, 'POST', `/approvals/${request.id}/approve`)).statusCode).toBe(409)
    expect((await send(admin, 'POST', `/approvals/${again?.id}/approve`)).json()).toMatchObject({ state: 'approved' })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: false })
  })

  it('refuses at the first step when nobody else could approve, except for the only owner, whose unlock goes ahead without approval', async () => {
    const incidentId = await lockDown()
    await database.db.update(schema.memberships).set({ role: 'trader' }).where(and(eq(schema.memberships.workspaceId, ws), eq(schema.memberships.userId, adminId)))
    // A second owner whose account is disabled: nobody could approve, and the requester is not the only owner.
    const { userId: coOwner } = await t.addUser('co-owner@example.com')
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: coOwner, role: 'owner', createdAt: clock.now() })
    await database.db.update(schema.users).set({ disabledAt: clock.now() }).where(eq(schema.users.id, coOwner))
    const refused = await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'CONFLICT', reason: 'NO_APPROVER' })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { id: incidentId, state: 'open' } })

    // The only owner: an unlock must never be impossible (they could have turned approvals off).
    await database.db.delete(schema.memberships).where(and(eq(schema.memberships.workspaceId, ws), eq(schema.memberships.userId, coOwner)))
    const requested = await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })
    expect([requested.statusCode, requested.json()]).toEqual([202, expect.objectContaining({ state: 'unlocking', approvalRequired: false })])
    const confirmed = await t.post('/api/incident/unlock/confirm', { token: await t.linkToken('owner@example.com', 'unlock_requested') })
    expect(confirmed.json()).toMatchObject({ state: 'unlocking', approval: null })
    clock.advance(COOLING_OFF_SECONDS * 1000)
    expect(await incidents.settleDueUnlocks()).toBe(1)
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: false, incident: null })
    expect(await pendingUnlock()).toBeUndefined()
    expect(await timeline(incidentId)).toEqual(expect.arrayContaining(['unlock_approval_waived', 'unlock_completed']))
    const entries = await database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))
    const waived = entries.filter((e) => e.type === 'unlock_approval_waived')
    expect(waived).toEqual([expect.objectContaining({ actorType: 'system', details: expect.objectContaining({ incidentId, requestedBy: ownerId, reason: 'single_owner_no_approver' }) })])
    expect(entries.findIndex((e) => e.type === 'unlock_approval_waived')).toBeLessThan(entries.findLastIndex((e) => e.type === 'unlock_completed'))
    await database.db.update(schema.memberships).set({ role: 'admin' }).where(and(eq(schema.memberships.workspaceId, ws), eq(schema.memberships.userId, adminId)))
  })

  it('an approved unlock whose opening was interrupted fails after 10 minutes and can be asked again', async () => {
    const incidentId = await lockDown()
    await askToUnlock()
    clock.advance(COOLING_OFF_SECONDS * 1000)
    await incidents.settleDueUnlocks()
    const request = await pendingUnlock()
    if (!request) throw new Error('the unlock was not put up for approval')
    // What a crash between the approval's claim and its apply leaves: approved, no result, the incident waiting.
    await database.db.update(schema.approvalRequests).set({ state: 'approved', decidedBy: adminId, decidedAt: clock.now() }).where(eq(schema.approvalRequests.id, request.id))
    expect((await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })).statusCode).toBe(409)
    clock.advance(11 * 60_000)
    await t.approvals?.expireDue() // the 60 s sweep's work
    expect((await send(admin, 'GET', `/approvals/${request.id}`)).json()).toMatchObject({ state: 'failed' })
    expect((await send(owner, 'GET', '/lockdown')).json()).toMatchObject({ locked: true, incident: { id: incidentId, state: 'open', unlockRequestedAt: null, unlockConfirmedAt: null } })
    expect(await timeline(incidentId)).toContain('unlock_approval_failed')
    // Asked anew (step one): accepted; the next test carries on with this incident.
    const again = await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })
    expect([again.statusCode, again.json()]).toEqual([202, expect.objectContaining({ approvalRequired: true })])
  })

  it('with no cooling-off the emailed link answers 202 with the pending request', async () => {
    // Another app on the same database, clock, keys and workspace (sessions carry over), whose incidents have no cooling-off.
    const other = await start(clock, 0)
    const prev = { t, incidents }
    try {
      t = other.app
      incidents = other.incidents
      // The incident of the previous test is still open: ask to unlock it here.
      const requested = await send(owner, 'POST', '/incident/unlock/request', { password: PASSWORD, totp: code() })
      expect(requested.json()).toMatchObject({ approvalRequired: true, coolingOffSeconds: 0 })
      const confirmed = await t.post('/api/incident/unlock/confirm', { token: await t.linkToken('owner@example.com', 'unlock_requested') })
      expect(confirmed.statusCode).toBe(202)
      expect(confirmed.json()).toMatchObject({ state: 'unlocking', approval: { kind: 'incident.unlock', state: 'pending', requestedBy: { userId: ownerId } } })
    } finally {
      t = prev.t
      incidents = prev.incidents
      await other.incidents.stop()
      await other.app.close()
    }
  })
})
