import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema, type Role } from '../db/index.js'
import { createAlerts, createAuditChain, createOutbox, verifyChain, workspaceChain } from '../monitoring/index.js'
import { createApprovals, MAX_PENDING_APPROVALS, type ApprovalsDeps } from './approvals.js'
import { createMembers } from './members.js'
import { APPROVAL_TTL_MS, type ApprovalContext, type ApprovalHandler } from './approval-types.js'

const HOUR = 3_600_000

describe.each(backends)('four-eyes approvals on %s (R42)', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T08:00:00Z')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  /** A workspace with members of the given roles (index 0 is the first); returns their ids. */
  const team = async (roles: Role[], opts: { requireTwoFactor?: boolean; approvalsRequired?: boolean } = {}) => {
    const { db } = database
    const workspaceId = newId(clock.now().getTime())
    await db.insert(schema.workspaces).values({ id: workspaceId, name: 'Desk', createdAt: clock.now(), requireTwoFactor: opts.requireTwoFactor ?? false, approvalsRequired: opts.approvalsRequired ?? true })
    const ids: string[] = []
    for (const [i, role] of roles.entries()) {
      const userId = newId(clock.now().getTime())
      await db.insert(schema.users).values({ id: userId, email: `${role}${i}-${userId.slice(-8)}@example.com`, displayName: `${role} ${i}`, antiPhishingCode: `code-${i}`, emailVerifiedAt: clock.now(), createdAt: clock.now() })
      await db.insert(schema.memberships).values({ workspaceId, userId, role, createdAt: clock.now() })
      ids.push(userId)
    }
    return { workspaceId, ids }
  }
  const roleOf = async (workspaceId: string, userId: string) =>
    (await database.db.select({ role: schema.memberships.role }).from(schema.memberships).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, userId))))[0]?.role
  const auditOf = (workspaceId: string) => database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(workspaceId))).orderBy(asc(schema.auditEvents.seq))
  const rowOf = async (id: string) => (await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.id, id)))[0]

  /**
   * The approvals service with the members service's role-upgrade applier registered, as main.ts does. A
   * role upgrade has nothing to clean up; the discard here records its calls (for the kinds that do).
   */
  const build = (timers?: ApprovalsDeps['timers']) => {
    const audit = createAuditChain({ db: database.db, clock })
    const outbox = createOutbox({ db: database.db, clock })
    const approvals = createApprovals({ db: database.db, clock, audit, alerts: createAlerts({ db: database.db, clock }), outbox, timers })
    const members = createMembers({ db: database.db, clock, audit, outbox, gate: approvals })
    const discarded: { payload: unknown; ctx: ApprovalContext; reason: string }[] = []
    const roleUpgrade: ApprovalHandler = {
      apply: members.applyRoleUpgrade,
      discard: async (payload, ctx, reason) => {
        discarded.push({ payload, ctx, reason })
      },
    }
    approvals.register('role.upgrade', roleUpgrade)
    return { approvals, audit, discarded }
  }

  const upgrade = (workspaceId: string, requester: string, target: string, role: Role = 'admin') => ({
    workspaceId,
    kind: 'role.upgrade' as const,
    summary: `Make member ${target.slice(-4)} ${role}`,
    payload: { userId: target, role },
    requestedBy: { userId: requester, ip: '203.0.113.5', requestId: 'req-1' },
  })

  it('refuses a request nobody else could approve (NO_APPROVER), writing nothing', async () => {
    const { approvals } = build()
    // The owner's only colleagues: a trader, and an admin narrowed to viewer by the two-factor policy.
    const { workspaceId, ids } = await team(['owner', 'trader', 'admin'], { requireTwoFactor: true })
    const [owner, trader] = ids as [string, string, string]
    const err = await approvals.request(upgrade(workspaceId, owner, trader)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'CONFLICT', reason: 'NO_APPROVER' })
    expect((err as Error).message).toMatch(/invite another owner\/admin, or \(single-owner workspace\) turn approvals off/)
    expect(await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.workspaceId, workspaceId))).toEqual([])
    expect(await auditOf(workspaceId)).toEqual([])
  })

  it('tells whether the workspace asks for approvals, and not for a deleted workspace', async () => {
    const { approvals } = build()
    const on = await team(['owner'], { approvalsRequired: true })
    const off = await team(['owner'], { approvalsRequired: false })
    expect(await approvals.required(on.workspaceId, 'limits.raise')).toBe(true)
    expect(await approvals.required(off.workspaceId, 'limits.raise')).toBe(false)
    await database.db.update(schema.workspaces).set({ deletedAt: clock.now() }).where(eq(schema.workspaces.id, on.workspaceId))
    expect(await approvals.required(on.workspaceId, 'limits.raise')).toBe(false)
  })

  it('creates the request, notifies every eligible approver by email and in-app, and lets only them decide', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader'])
    const [owner, admin1, admin2, trader] = ids as [string, string, string, string]
    const view = await approvals.request(upgrade(workspaceId, admin1, trader))
    expect(view).toMatchObject({ kind: 'role.upgrade', state: 'pending', canDecide: false, requestedBy: { userId: admin1 }, decidedBy: null, result: null })
    expect(new Date(view.expiresAt).getTime() - new Date(view.requestedAt).getTime()).toBe(APPROVAL_TTL_MS)

    // Emails: the owner and the other admin (not the requester, not the trader), each with their own code.
    const mails = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.template, 'team_notice'))
    const users = await database.db.select().from(schema.users)
    const mailTo = (userId: string) => mails.filter((m) => m.userId === userId)
    expect(mailTo(owner)).toHaveLength(1)
    expect(mailTo(admin2)).toHaveLength(1)
    expect(mailTo(admin1)).toHaveLength(0)
    expect(mailTo(trader)).toHaveLength(0)
    const ownerMail = mailTo(owner)[0]
    expect(ownerMail?.toAddress).toBe(users.find((u) => u.id === owner)?.email)
    expect(ownerMail?.textBody).toContain('Your Bulwark anti-phishing code: code-0')
    expect(ownerMail?.textBody).toContain(view.summary)
    // The in-app alert in the workspace.
    const alerts = await database.db.select().from(schema.alerts).where(eq(schema.alerts.workspaceId, workspaceId))
    expect(alerts).toEqual([expect.objectContaining({ rule: 'approval_requested', severity: 'warning', details: expect.objectContaining({ approvalId: view.id, kind: 'role.upgrade' }) })])

    // canDecide follows the viewer.
    expect((await approvals.get(workspaceId, view.id, owner)).canDecide).toBe(true)
    expect((await approvals.get(workspaceId, view.id, admin2)).canDecide).toBe(true)
    expect((await approvals.get(workspaceId, view.id, admin1)).canDecide).toBe(false)
    expect((await approvals.get(workspaceId, view.id, trader)).canDecide).toBe(false)
    expect((await approvals.list(workspaceId, owner, { state: 'pending' })).map((v) => v.id)).toEqual([view.id])
    expect(await approvals.list(workspaceId, owner, { state: 'decided' })).toEqual([])
  })

  it('refuses self-approval (403 SELF_APPROVAL) and members who may not approve (403 NOT_ELIGIBLE)', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader', 'admin'], { requireTwoFactor: true })
    const [owner, admin, trader, adminWithout2fa] = ids as [string, string, string, string]
    // Only the owner and the first admin have a second factor; the last admin is a viewer under the policy.
    for (const userId of [owner, admin]) await database.db.insert(schema.totpCredentials).values({ userId, seedCiphertext: 'v1.x', createdAt: clock.now(), confirmedAt: clock.now() })
    const toAdmin = await approvals.request(upgrade(workspaceId, admin, trader))
    await expect(approvals.approve(workspaceId, toAdmin.id, { userId: admin })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    await expect(approvals.reject(workspaceId, toAdmin.id, { userId: admin })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    await expect(approvals.approve(workspaceId, toAdmin.id, { userId: trader })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    await expect(approvals.approve(workspaceId, toAdmin.id, { userId: adminWithout2fa })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    expect((await rowOf(toAdmin.id))?.state).toBe('pending')
    expect(await roleOf(workspaceId, trader)).toBe('trader')

    // Once they enrol a second factor the policy no longer narrows them.
    await database.db.insert(schema.passkeys).values({ id: newId(), userId: adminWithout2fa, credentialId: `cred-${adminWithout2fa}`, publicKey: 'pk', counter: 0, transports: [], name: 'key', deviceType: 'singleDevice', backedUp: false, createdAt: clock.now() })
    expect((await approvals.get(workspaceId, toAdmin.id, adminWithout2fa)).canDecide).toBe(true)

    // Making someone owner or relaxing a policy: owners only. Here the requesting owner is the only one.
    await expect(approvals.request(upgrade(workspaceId, owner, admin, 'owner'))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'NO_APPROVER', message: expect.stringContaining('invite another owner,') })
    await expect(approvals.request({ ...upgrade(workspaceId, owner, trader), kind: 'policy.relax', payload: { patch: { requireTwoFactor: false } } })).rejects.toMatchObject({ reason: 'NO_APPROVER' })
  })

  it('lets only owners approve owner-only kinds, and never the member a role upgrade is for', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'owner', 'admin', 'admin'])
    const [owner1, owner2, admin1, admin2] = ids as [string, string, string, string]
    const toOwner = await approvals.request(upgrade(workspaceId, owner1, admin1, 'owner'))
    await expect(approvals.approve(workspaceId, toOwner.id, { userId: admin2 })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    await expect(approvals.approve(workspaceId, toOwner.id, { userId: admin1 })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    expect((await approvals.approve(workspaceId, toOwner.id, { userId: owner2 })).state).toBe('approved')
    expect(await roleOf(workspaceId, admin1)).toBe('owner')
  })

  it('applies an approved change through its handler, with both identities in the audit chain', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader'])
    const [, requester, approver, trader] = ids as [string, string, string, string]
    const view = await approvals.request(upgrade(workspaceId, requester, trader))
    expect(await roleOf(workspaceId, trader)).toBe('trader') // not applied while pending
    clock.advance(60_000)
    const done = await approvals.approve(workspaceId, view.id, { userId: approver, ip: '198.51.100.7', requestId: 'req-2' })
    expect(done).toMatchObject({ state: 'approved', decidedBy: { userId: approver }, requestedBy: { userId: requester }, result: { userId: trader, role: 'admin' }, canDecide: false })
    expect(await roleOf(workspaceId, trader)).toBe('admin')

    const entries = await auditOf(workspaceId)
    expect(entries.map((e) => e.type)).toEqual(['approval_requested', 'approval_approved', 'member_role_changed', 'approval_applied'])
    const [requested, approved] = entries
    expect(requested).toMatchObject({ actorType: 'user', actorId: requester, ip: '203.0.113.5', requestId: 'req-1', outcome: 'success', details: expect.objectContaining({ approvalId: view.id, kind: 'role.upgrade', summary: view.summary }) })
    expect(approved).toMatchObject({ actorType: 'user', actorId: approver, ip: '198.51.100.7', requestId: 'req-2', details: expect.objectContaining({ approvalId: view.id, requestedBy: requester }) })
    expect((await verifyChain(database.db, workspaceChain(workspaceId))).ok).toBe(true)
    // Decided once: a second approval is a conflict.
    await expect(approvals.approve(workspaceId, view.id, { userId: ids[0] as string })).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('applies a change once when two approvers approve at the same moment', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader'])
    const [owner, requester, admin2, trader] = ids as [string, string, string, string]
    const view = await approvals.request(upgrade(workspaceId, requester, trader))
    const outcomes = await Promise.allSettled([approvals.approve(workspaceId, view.id, { userId: owner }), approvals.approve(workspaceId, view.id, { userId: admin2 })])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect(refused[0]?.reason).toMatchObject({ code: 'CONFLICT' })
    const types = (await auditOf(workspaceId)).map((e) => e.type)
    expect(types.filter((t) => t === 'member_role_changed')).toHaveLength(1)
    expect(types.filter((t) => t === 'approval_approved')).toHaveLength(1)
    expect(types.filter((t) => t === 'approval_applied')).toHaveLength(1)
  })

  it('expires a request after 24 h: marked expired, discarded, audited as the system, and no longer approvable', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const swept = await approvals.request(upgrade(workspaceId, admin, trader))
    clock.advance(HOUR)
    const late = await approvals.request(upgrade(workspaceId, owner, trader))
    clock.advance(APPROVAL_TTL_MS - HOUR) // the first is exactly 24 h old: expired; the second has an hour left
    const ours = () => discarded.filter((d) => d.ctx.workspaceId === workspaceId)
    // A read shows it expired at once, and changes nothing (no discard runs on a read).
    expect(await approvals.get(workspaceId, swept.id, owner)).toMatchObject({ state: 'expired', canDecide: false, decidedAt: swept.expiresAt })
    expect((await approvals.list(workspaceId, owner, { state: 'pending' })).map((v) => v.id)).toEqual([late.id])
    expect(ours()).toEqual([])
    expect((await rowOf(swept.id))?.state).toBe('pending')
    await approvals.expireDue() // the database is shared with the other tests: their old requests expire too
    expect(await rowOf(swept.id)).toMatchObject({ state: 'expired', decidedBy: null, decidedAt: new Date(swept.expiresAt) })
    expect((await rowOf(late.id))?.state).toBe('pending')
    expect(ours()).toEqual([{ payload: { userId: trader, role: 'admin' }, ctx: expect.objectContaining({ approvalId: swept.id, decidedBy: null, requestedBy: admin }), reason: 'expired' }])
    await expect(approvals.approve(workspaceId, swept.id, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'EXPIRED' })
    expect(await approvals.expireDue()).toBe(0) // nothing twice

    // One past its expiry that no sweep has seen yet: approving it expires it there and then.
    clock.advance(HOUR)
    await expect(approvals.approve(workspaceId, late.id, { userId: admin })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'EXPIRED' })
    expect((await rowOf(late.id))?.state).toBe('expired')
    expect(ours().map((d) => d.reason)).toEqual(['expired', 'expired'])
    expect(await roleOf(workspaceId, trader)).toBe('trader')
    const expiredEntries = (await auditOf(workspaceId)).filter((e) => e.type === 'approval_expired')
    expect(expiredEntries).toHaveLength(2)
    expect(expiredEntries[0]).toMatchObject({ actorType: 'system', details: expect.objectContaining({ approvalId: swept.id, requestedBy: admin }) })
  })

  it('sweeps due expiries on its own timer (start/stop)', async () => {
    let tick: (() => void) | undefined
    let everyMs = 0
    const { approvals } = build({
      setInterval: (fn, ms) => {
        tick = fn
        everyMs = ms
        return 1
      },
      clearInterval: () => {
        tick = undefined
      },
    })
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const view = await approvals.request(upgrade(workspaceId, ids[1] as string, ids[2] as string))
    approvals.start()
    expect(everyMs).toBe(60_000)
    clock.advance(APPROVAL_TTL_MS)
    tick?.()
    await approvals.stop() // waits for the sweep the tick started
    expect(tick).toBeUndefined()
    expect((await rowOf(view.id))?.state).toBe('expired')
  })

  it('rejects (an approver) and cancels (the requester only), discarding the change', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const first = await approvals.request(upgrade(workspaceId, admin, trader))
    const rejected = await approvals.reject(workspaceId, first.id, { userId: owner }, '  not now  ')
    expect(rejected).toMatchObject({ state: 'rejected', note: 'not now', decidedBy: { userId: owner } })
    const second = await approvals.request(upgrade(workspaceId, admin, trader))
    await expect(approvals.cancel(workspaceId, second.id, { userId: owner })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_REQUESTER' })
    expect((await approvals.cancel(workspaceId, second.id, { userId: admin })).state).toBe('cancelled')
    await expect(approvals.approve(workspaceId, second.id, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(discarded.map((d) => [d.reason, d.ctx.approvalId])).toEqual([
      ['rejected', first.id],
      ['cancelled', second.id],
    ])
    expect(await roleOf(workspaceId, trader)).toBe('trader')
    const entries = await auditOf(workspaceId)
    expect(entries.find((e) => e.type === 'approval_rejected')).toMatchObject({ actorId: owner, details: expect.objectContaining({ requestedBy: admin, note: 'not now' }) })
    expect(entries.find((e) => e.type === 'approval_cancelled')).toMatchObject({ actorId: admin })
  })

  it('cancels what a departing member asked for or would gain, and everything of a deleted workspace', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader', 'trader'])
    const [owner, leaving, admin2, trader1, trader2] = ids as [string, string, string, string, string]
    const theirs = await approvals.request(upgrade(workspaceId, leaving, trader1))
    const forThem = await approvals.request(upgrade(workspaceId, admin2, leaving, 'owner'))
    const unrelated = await approvals.request(upgrade(workspaceId, admin2, trader2))
    expect(await approvals.cancelAllBy(workspaceId, leaving, { userId: owner, requestId: 'req-9' })).toBe(2)
    expect((await rowOf(theirs.id))?.state).toBe('cancelled')
    expect((await rowOf(forThem.id))?.state).toBe('cancelled')
    expect((await rowOf(unrelated.id))?.state).toBe('pending')
    const ours = discarded.filter((d) => d.ctx.workspaceId === workspaceId)
    expect(ours.map((d) => [d.reason, d.ctx.approvalId]).sort()).toEqual([
      ['cancelled', forThem.id],
      ['cancelled', theirs.id],
    ].sort())
    const entries = (await auditOf(workspaceId)).filter((e) => e.type === 'approval_cancelled')
    expect(entries.map((e) => [e.actorId, (e.details as { why: string }).why])).toEqual([
      [owner, 'member_left'],
      [owner, 'member_left'],
    ])
    expect(await approvals.cancelAllIn(workspaceId, { userId: owner })).toBe(1)
    expect((await rowOf(unrelated.id))?.state).toBe('cancelled')
    expect(await approvals.list(workspaceId, owner, { state: 'pending' })).toEqual([])
  })

  it('marks the request failed when applying fails, and says why', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const view = await approvals.request(upgrade(workspaceId, admin, trader))
    // The member became an owner meanwhile (another owner's doing): the applier's re-check refuses an admin's change to an owner.
    await database.db.update(schema.memberships).set({ role: 'owner' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, trader)))
    const err = await approvals.approve(workspaceId, view.id, { userId: owner }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'FORBIDDEN', reason: 'OWNER_PROTECTED' })
    expect(await approvals.get(workspaceId, view.id, owner)).toMatchObject({ state: 'failed', note: (err as Error).message, result: null })
    expect(await roleOf(workspaceId, trader)).toBe('owner')
    expect((await auditOf(workspaceId)).map((e) => [e.type, e.outcome])).toEqual([
      ['approval_requested', 'success'],
      ['approval_approved', 'success'],
      ['approval_apply_failed', 'failure'],
    ])
  })

  it('cancels instead of applying a request whose requester is no longer a member', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const view = await approvals.request(upgrade(workspaceId, admin, trader))
    // Gone without the members service (which would have cancelled it): the approval must not apply it.
    await database.db.delete(schema.memberships).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, admin)))
    await expect(approvals.approve(workspaceId, view.id, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'REQUESTER_GONE' })
    expect(await approvals.get(workspaceId, view.id, owner)).toMatchObject({ state: 'cancelled', decidedBy: { userId: owner } })
    expect(discarded.filter((d) => d.ctx.approvalId === view.id).map((d) => d.reason)).toEqual(['cancelled'])
    expect(await roleOf(workspaceId, trader)).toBe('trader')
  })

  it('keeps requests to their workspace: a foreign id is NOT_FOUND', async () => {
    const { approvals } = build()
    const a = await team(['owner', 'admin', 'trader'])
    const b = await team(['owner', 'admin'])
    const view = await approvals.request(upgrade(a.workspaceId, a.ids[1] as string, a.ids[2] as string))
    await expect(approvals.get(b.workspaceId, view.id, b.ids[0] as string)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(approvals.approve(b.workspaceId, view.id, { userId: b.ids[0] as string })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(approvals.reject(b.workspaceId, view.id, { userId: b.ids[0] as string })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(approvals.cancel(b.workspaceId, view.id, { userId: b.ids[1] as string })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await approvals.list(b.workspaceId, b.ids[0] as string)).toEqual([])
    expect((await rowOf(view.id))?.state).toBe('pending')
  })

  it(`holds at most ${MAX_PENDING_APPROVALS} pending requests per workspace`, async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [, admin, trader] = ids as [string, string, string]
    for (let i = 0; i < MAX_PENDING_APPROVALS; i++) await approvals.request(upgrade(workspaceId, admin, trader))
    await expect(approvals.request(upgrade(workspaceId, admin, trader))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'TOO_MANY_PENDING' })
    expect(await approvals.list(workspaceId, admin, { state: 'pending' })).toHaveLength(MAX_PENDING_APPROVALS)
  })

  it('refuses a secret-named payload field, and approving anything but the unlock during a lockdown', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    await expect(approvals.request({ ...upgrade(workspaceId, admin, trader), payload: { userId: trader, apiSecret: 'x' } })).rejects.toMatchObject({ code: 'INTERNAL' })
    const view = await approvals.request(upgrade(workspaceId, admin, trader))
    await database.db.update(schema.workspaces).set({ lockedAt: clock.now() }).where(eq(schema.workspaces.id, workspaceId))
    await expect(approvals.approve(workspaceId, view.id, { userId: owner })).rejects.toMatchObject({ code: 'WORKSPACE_LOCKED' })
    expect((await rowOf(view.id))?.state).toBe('pending')
    expect((await approvals.reject(workspaceId, view.id, { userId: owner })).state).toBe('rejected') // rejecting changes nothing: allowed
  })
})
