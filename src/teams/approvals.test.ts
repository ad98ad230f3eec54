import { and, asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { rowsOf, schema, type Role } from '../db/index.js'
import { createAlerts, createAuditChain, createOutbox, verifyChain, workspaceChain } from '../monitoring/index.js'
import { createApprovals, MAX_PENDING_APPROVALS, MAX_PENDING_PER_REQUESTER, STALE_APPLY_MS, SUMMARY_MAX_CHARS, type ApprovalsDeps } from './approvals.js'
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
    // Kinds whose real appliers live in other domains (trading, members' owner change): here they record what
    // they were asked to apply, so a test sees whether the service let the change through.
    const applied: { kind: string; payload: unknown; ctx: ApprovalContext }[] = []
    for (const kind of ['bot.promote', 'owner.change', 'incident.unlock'] as const) {
      approvals.register(kind, {
        apply: async (payload, ctx) => {
          applied.push({ kind, payload, ctx })
          return { done: kind }
        },
        discard: async (payload, ctx, reason) => {
          discarded.push({ payload, ctx, reason })
        },
      })
    }
    return { approvals, audit, discarded, applied }
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

  it('marks the request failed when applying fails, says why, and discards it', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const view = await approvals.request(upgrade(workspaceId, admin, trader))
    // The member became an owner meanwhile (another owner's doing): the applier's re-check refuses an admin's change to an owner.
    await database.db.update(schema.memberships).set({ role: 'owner' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, trader)))
    const err = await approvals.approve(workspaceId, view.id, { userId: owner }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'FORBIDDEN', reason: 'OWNER_PROTECTED' })
    expect(await approvals.get(workspaceId, view.id, owner)).toMatchObject({ state: 'failed', note: (err as Error).message, result: null })
    // Nothing may wait on a failed request: its discard ran, with reason `failed`.
    expect(discarded.filter((d) => d.ctx.approvalId === view.id).map((d) => [d.reason, d.ctx.decidedBy])).toEqual([['failed', owner]])
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

  // Two connections are needed to interleave: PostgreSQL only (PGlite has one). Without the checks inside the
  // claim's transaction the approval reads the approver's old role and goes through.
  it.skipIf(kind !== 'postgres')('checks the approver in the claim\'s transaction, behind the workspace row lock', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader'])
    const [, requester, approver, trader] = ids as [string, string, string, string]
    const view = await approvals.request(upgrade(workspaceId, requester, trader))
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    let demoting = () => {}
    const demoted = new Promise<void>((resolve) => (demoting = resolve))
    // Another transaction (a demotion, say) holds the workspace row and has taken the approver's admin role away.
    const demotion = database.db.transaction(async (tx) => {
      await tx.select({ id: schema.workspaces.id }).from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId)).for('update')
      await tx.update(schema.memberships).set({ role: 'trader' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, approver)))
      demoting()
      await held
    })
    await demoted
    let settled = false
    const approving = approvals.approve(workspaceId, view.id, { userId: approver }).then(
      (v) => v as unknown,
      (e: unknown) => e,
    ).finally(() => (settled = true))
    // Until the approval waits on that lock (or is over: then it never looked behind the lock).
    const waitingOnLock = async () => {
      while (!settled) {
        const [row] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))
        if ((row?.n ?? 0) > 0) return
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    await waitingOnLock()
    release()
    await demotion
    expect(await approving).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    expect((await rowOf(view.id))?.state).toBe('pending')
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

  it(`holds at most ${MAX_PENDING_PER_REQUESTER} pending requests per requester and ${MAX_PENDING_APPROVALS} per workspace, never refusing the unlock`, async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'admin', 'admin', 'admin', 'trader'])
    const [owner, a1, a2, a3, a4, a5, trader] = ids as [string, string, string, string, string, string, string]
    for (let i = 0; i < MAX_PENDING_PER_REQUESTER; i++) await approvals.request(upgrade(workspaceId, a1, trader))
    // One member cannot fill the queue alone: their sixth is refused, a colleague's is not.
    await expect(approvals.request(upgrade(workspaceId, a1, trader))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'TOO_MANY_PENDING', message: expect.stringContaining('of your changes') })
    for (const admin of [a2, a3, a4]) for (let i = 0; i < MAX_PENDING_PER_REQUESTER; i++) await approvals.request(upgrade(workspaceId, admin, trader))
    expect(await approvals.list(workspaceId, owner, { state: 'pending' })).toHaveLength(MAX_PENDING_APPROVALS)
    await expect(approvals.request(upgrade(workspaceId, a5, trader))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'TOO_MANY_PENDING', message: expect.stringContaining('in this workspace') })
    // A full queue never keeps a locked workspace locked: the unlock is neither refused nor counted.
    const unlock = await approvals.request({ workspaceId, kind: 'incident.unlock', summary: 'Unlock the workspace', payload: { incidentId: newId(), unlockRequestedAt: clock.now().toISOString() }, requestedBy: { userId: a1 } })
    expect(unlock.state).toBe('pending')
    await approvals.cancel(workspaceId, (await approvals.list(workspaceId, a1, { state: 'pending' })).find((v) => v.kind === 'role.upgrade' && v.requestedBy?.userId === a1)?.id ?? '', { userId: a1 })
    // One slot freed (the unlock does not take it): a1 may ask again.
    expect((await approvals.request(upgrade(workspaceId, a1, trader))).state).toBe('pending')
  })

  it('shows the request\'s details (its payload) and cuts a long summary with a visible ellipsis', async () => {
    const { approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const long = `Raise the risk limits of "Main": ${'max order notional 100 → 500; '.repeat(20)}price band 5 → 50`
    const view = await approvals.request({ ...upgrade(workspaceId, admin, trader), summary: long })
    expect(view.summary).toHaveLength(SUMMARY_MAX_CHARS)
    expect(view.summary.endsWith('…')).toBe(true)
    expect(long.startsWith(view.summary.slice(0, -1))).toBe(true)
    expect(view.details).toEqual({ userId: trader, role: 'admin' })
    expect((await approvals.get(workspaceId, view.id, owner)).details).toEqual({ userId: trader, role: 'admin' })
    // A short one stays as it is.
    const short = await approvals.request(upgrade(workspaceId, admin, trader))
    expect(short.summary).toBe(upgrade(workspaceId, admin, trader).summary)
  })

  it('cancels instead of applying when the requester may no longer make the change (demoted, or narrowed by the two-factor policy)', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'admin', 'trader'])
    const [owner, demoted, limited, trader] = ids as [string, string, string, string]
    await database.db.insert(schema.totpCredentials).values({ userId: owner, seedCiphertext: 'v1.x', createdAt: clock.now(), confirmedAt: clock.now() })
    const byDemoted = await approvals.request(upgrade(workspaceId, demoted, trader))
    const byLimited = await approvals.request(upgrade(workspaceId, limited, trader, 'admin'))
    // The first admin is made a trader (who may not manage members); then the workspace requires a second
    // factor, which the other admin lacks: they act as a viewer.
    await database.db.update(schema.memberships).set({ role: 'trader' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, demoted)))
    await database.db.update(schema.workspaces).set({ requireTwoFactor: true }).where(eq(schema.workspaces.id, workspaceId))
    for (const view of [byDemoted, byLimited]) {
      await expect(approvals.approve(workspaceId, view.id, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'REQUESTER_LOST_RIGHT' })
      expect(await approvals.get(workspaceId, view.id, owner)).toMatchObject({ state: 'cancelled', decidedBy: { userId: owner } })
    }
    expect(await roleOf(workspaceId, trader)).toBe('trader')
    expect(discarded.filter((d) => d.ctx.workspaceId === workspaceId).map((d) => d.reason)).toEqual(['cancelled', 'cancelled'])
    const cancels = (await auditOf(workspaceId)).filter((e) => e.type === 'approval_cancelled')
    expect(cancels.map((e) => [e.actorId, (e.details as { why: string }).why])).toEqual([
      [owner, 'requester_lost_right'],
      [owner, 'requester_lost_right'],
    ])
    expect((await auditOf(workspaceId)).map((e) => e.type)).not.toContain('approval_approved')
  })

  it('refuses a promotion whose requester is no longer granted the real account, and applies one that still is', async () => {
    const { approvals, applied } = build()
    const { workspaceId, ids } = await team(['owner', 'trader', 'trader'])
    const [owner, narrowed, free] = ids as [string, string, string]
    const promote = (userId: string) => ({ workspaceId, kind: 'bot.promote' as const, summary: 'Promote the Signal Bot', payload: { botId: newId(), exchangeAccountId: newId() }, requestedBy: { userId } })
    const lost = await approvals.request(promote(narrowed))
    const kept = await approvals.request(promote(free))
    // The first trader's grants were narrowed to named accounts (none of them this one) meanwhile.
    await database.db.update(schema.memberships).set({ accountScope: 'granted' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, narrowed)))
    await expect(approvals.approve(workspaceId, lost.id, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'REQUESTER_LOST_RIGHT' })
    expect((await approvals.approve(workspaceId, kept.id, { userId: owner })).state).toBe('approved')
    expect(applied.filter((a) => a.ctx.workspaceId === workspaceId).map((a) => a.ctx.approvalId)).toEqual([kept.id])
  })

  it('lets owners only approve an owner change, the owner it is about included (consent), and only while the requester is still an owner', async () => {
    const { approvals, applied } = build()
    const { workspaceId, ids } = await team(['owner', 'owner', 'owner', 'admin'])
    const [requester, target, third, admin] = ids as [string, string, string, string]
    const change = (userId: string) => ({ workspaceId, kind: 'owner.change' as const, summary: 'Make the co-owner an admin', payload: { userId, role: 'admin' }, requestedBy: { userId: requester } })
    const view = await approvals.request(change(target))
    // Emailed to the owners (the target too), not to the admin.
    const mailed = (await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.template, 'team_notice'))).filter((m) => m.textBody.includes(view.id) || m.textBody.includes(view.summary))
    expect(new Set(mailed.map((m) => m.userId))).toEqual(new Set([target, third]))
    expect((await approvals.get(workspaceId, view.id, admin)).canDecide).toBe(false)
    expect((await approvals.get(workspaceId, view.id, target)).canDecide).toBe(true)
    await expect(approvals.approve(workspaceId, view.id, { userId: admin })).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ELIGIBLE' })
    expect((await approvals.approve(workspaceId, view.id, { userId: target })).state).toBe('approved')
    expect(applied.filter((a) => a.ctx.workspaceId === workspaceId).map((a) => a.payload)).toEqual([{ userId: target, role: 'admin' }])

    // Asked by an owner who is an admin by the time it is approved: cancelled.
    const later = await approvals.request(change(third))
    await database.db.update(schema.memberships).set({ role: 'admin' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, requester)))
    await expect(approvals.approve(workspaceId, later.id, { userId: target })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'REQUESTER_LOST_RIGHT' })
    expect((await rowOf(later.id))?.state).toBe('cancelled')
    expect(applied.filter((a) => a.ctx.workspaceId === workspaceId)).toHaveLength(1)
  })

  it('fails an approved request whose apply was interrupted (no result 10 min after the approval) and discards it', async () => {
    const { approvals, discarded } = build()
    const { workspaceId, ids } = await team(['owner', 'admin', 'trader'])
    const [owner, admin, trader] = ids as [string, string, string]
    const stuck = await approvals.request(upgrade(workspaceId, admin, trader))
    const recent = await approvals.request(upgrade(workspaceId, admin, trader))
    // What a crash between the claim and the apply leaves: approved, decided, no result.
    await database.db.update(schema.approvalRequests).set({ state: 'approved', decidedBy: owner, decidedAt: clock.now() }).where(eq(schema.approvalRequests.id, stuck.id))
    clock.advance(STALE_APPLY_MS - 60_000)
    await database.db.update(schema.approvalRequests).set({ state: 'approved', decidedBy: owner, decidedAt: clock.now() }).where(eq(schema.approvalRequests.id, recent.id))
    await approvals.expireDue()
    expect((await rowOf(stuck.id))?.state).toBe('approved') // 9 minutes: it may still be applying
    clock.advance(2 * 60_000)
    await approvals.expireDue()
    expect(await rowOf(stuck.id)).toMatchObject({ state: 'failed', note: expect.stringContaining('interrupted'), result: null })
    expect((await rowOf(recent.id))?.state).toBe('approved')
    expect(discarded.filter((d) => d.ctx.workspaceId === workspaceId).map((d) => [d.reason, d.ctx.approvalId, d.ctx.decidedBy])).toEqual([['failed', stuck.id, owner]])
    expect((await auditOf(workspaceId)).filter((e) => e.type === 'approval_apply_failed')).toEqual([
      expect.objectContaining({ actorType: 'system', outcome: 'failure', details: expect.objectContaining({ approvalId: stuck.id, code: 'INTERRUPTED', approvedBy: owner }) }),
    ])
    expect(await roleOf(workspaceId, trader)).toBe('trader')
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
