import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { sha256Hex } from '../crypto/index.js'
import { schema, type Role } from '../db/index.js'
import { authorize } from '../auth/policy.js'
import { insertUserWithWorkspace } from '../auth/workspace-store.js'
import { createAlerts, createAuditChain, createOutbox, verifyChain, workspaceChain } from '../monitoring/index.js'
import { createApprovals, type Approvals } from './approvals.js'
import { createTeams, type Teams } from './teams.js'

const ORIGIN = 'http://localhost:8080'

type P = { userId: string; email: string }

describe.each(backends)('members, roles and grants on %s (issue 10)', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let teams: Teams
  let approvals: Approvals
  /** What the onAccessEnded hook (main.ts: rotating webhook secrets, review #6) was called with. */
  const ended: { ws: string; userId: string; role: Role; by: string }[] = []

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const { db } = database
    const audit = createAuditChain({ db, clock })
    const outbox = createOutbox({ db, clock })
    approvals = createApprovals({ db, clock, audit, alerts: createAlerts({ db, clock }), outbox })
    teams = createTeams({ db, clock, audit, outbox, gate: approvals, publicOrigin: ORIGIN, onAccessEnded: async (ws, userId, role, by) => void ended.push({ ws, userId, role, by: by.userId }) })
    approvals.register('role.upgrade', { apply: teams.members.applyRoleUpgrade })
    approvals.register('owner.change', { apply: teams.members.applyOwnerChange })
  })
  afterAll(async () => {
    await database?.dispose()
  })

  let n = 0
  /** A person with a personal workspace and a verified email. */
  const person = async (name: string) => {
    n++
    const email = `${name}-${n}@example.com`
    const { userId } = await insertUserWithWorkspace(database.db, { email, displayName: `${name} ${n}`, passwordHash: null, isOperator: false, emailVerifiedAt: clock.now() }, 'Personal', clock.now())
    return { userId, email }
  }
  const ctx = (userId: string) => ({ userId, ip: '198.51.100.7', requestId: `req-${userId.slice(-6)}` })

  /** A team workspace created by its owner through the service, with more members of the given roles added. */
  const team = async (roles: Role[], opts: { approvalsRequired?: boolean } = {}) => {
    const owner = await person('owner')
    const ws = await teams.workspaces.create('Desk', ctx(owner.userId))
    if (opts.approvalsRequired === false) await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws.id))
    const others: P[] = []
    for (const role of roles) {
      const p = await person(role)
      await database.db.insert(schema.memberships).values({ workspaceId: ws.id, userId: p.userId, role, createdAt: clock.now() })
      others.push(p)
    }
    return { workspaceId: ws.id, owner, others }
  }
  const exchangeAccount = async (workspaceId: string, opts: { removed?: boolean } = {}) => {
    const id = newId(clock.now().getTime())
    await database.db.insert(schema.exchangeAccounts).values({
      id,
      workspaceId,
      exchange: 'binance',
      label: `acct ${id.slice(-4)}`,
      keyId: newId(clock.now().getTime()),
      state: 'active',
      apiKeyHint: 'abcd',
      verification: {},
      createdAt: clock.now(),
      keyCreatedAt: clock.now(),
      removedAt: opts.removed ? clock.now() : null,
    })
    return id
  }
  const membership = async (workspaceId: string, userId: string) =>
    (await database.db.select().from(schema.memberships).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, userId))))[0]
  const grants = async (workspaceId: string, userId: string) =>
    (await database.db.select().from(schema.memberAccountGrants).where(and(eq(schema.memberAccountGrants.workspaceId, workspaceId), eq(schema.memberAccountGrants.userId, userId)))).map((g) => g.exchangeAccountId).sort()
  const auditOf = (workspaceId: string) => database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(workspaceId))).orderBy(asc(schema.auditEvents.seq))
  const manager = (userId: string, role: Role) => ({ ...ctx(userId), role })
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string; reason?: string }) => `${e.code}${e.reason ? `/${e.reason}` : ''}`)

  it('creates a team workspace whose creator is its owner, with four-eyes on from the start', async () => {
    const owner = await person('founder')
    const ws = await teams.workspaces.create('Trading desk', ctx(owner.userId))
    expect(ws).toEqual({ id: expect.any(String), name: 'Trading desk', role: 'owner' })
    const [row] = await database.db.select().from(schema.workspaces).where(eq(schema.workspaces.id, ws.id))
    expect(row).toMatchObject({ isPersonal: false, approvalsRequired: true, deletedAt: null })
    expect(await approvals.required(ws.id, 'role.upgrade')).toBe(true)
    expect((await auditOf(ws.id)).map((e) => e.type)).toEqual(['workspace_created'])
    const list = await teams.members.list(ws.id, owner.userId, 'owner')
    expect(list).toEqual([
      { userId: owner.userId, email: owner.email, displayName: expect.stringMatching(/^founder /), role: 'owner', accountScope: 'all', exchangeAccountIds: [], joinedAt: clock.now().toISOString(), hasSecondFactor: false, hasPasskey: false, isYou: true },
    ])
  })

  it('lists members with their second factors, grants and which one is the caller', async () => {
    const { workspaceId, owner, others } = await team(['trader', 'viewer'], { approvalsRequired: false })
    const [trader, viewer] = others as [P, P]
    await database.db.insert(schema.totpCredentials).values({ userId: viewer.userId, seedCiphertext: 'v1.x', confirmedAt: clock.now(), createdAt: clock.now() })
    const a = await exchangeAccount(workspaceId)
    await teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [a] }, manager(owner.userId, 'owner'))
    const list = await teams.members.list(workspaceId, owner.userId, 'owner')
    expect(list.map((m) => [m.role, m.accountScope, m.exchangeAccountIds, m.hasSecondFactor, m.isYou])).toEqual([
      ['owner', 'all', [], false, true],
      ['trader', 'granted', [a], false, false],
      ['viewer', 'all', [], true, false],
    ])
  })

  it('nobody changes their own role; admins never touch owners nor make anyone owner', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'], { approvalsRequired: false })
    const [admin, trader] = others as [P, P]
    expect(await codeOf(teams.members.update(workspaceId, owner.userId, { role: 'admin' }, manager(owner.userId, 'owner')))).toBe('FORBIDDEN/SELF_CHANGE')
    expect(await codeOf(teams.members.update(workspaceId, admin.userId, { role: 'owner' }, manager(admin.userId, 'admin')))).toBe('FORBIDDEN/SELF_CHANGE')
    expect(await codeOf(teams.members.update(workspaceId, owner.userId, { role: 'viewer' }, manager(admin.userId, 'admin')))).toBe('FORBIDDEN/OWNER_PROTECTED')
    expect(await codeOf(teams.members.update(workspaceId, trader.userId, { role: 'owner' }, manager(admin.userId, 'admin')))).toBe('FORBIDDEN/OWNER_PROTECTED')
    expect(await codeOf(teams.members.remove(workspaceId, owner.userId, manager(admin.userId, 'admin')))).toBe('FORBIDDEN/OWNER_PROTECTED')
    expect(await codeOf(teams.members.update(workspaceId, newId(), { role: 'viewer' }, manager(owner.userId, 'owner')))).toBe('NOT_FOUND')
    expect((await membership(workspaceId, owner.userId))?.role).toBe('owner')
    expect((await membership(workspaceId, trader.userId))?.role).toBe('trader')
    // An admin may still change a trader (downwards at once).
    expect(await teams.members.update(workspaceId, trader.userId, { role: 'viewer' }, manager(admin.userId, 'admin'))).toMatchObject({ applied: { role: 'viewer' } })
  })

  it('a role upgrade waits for a second owner or admin; the approver applies it and both are in the audit chain', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'])
    const [admin, trader] = others as [P, P]
    const result = await teams.members.update(workspaceId, trader.userId, { role: 'admin' }, manager(owner.userId, 'owner'))
    if (!('pending' in result)) throw new Error('expected a pending approval')
    expect(result.pending).toMatchObject({ kind: 'role.upgrade', state: 'pending', summary: expect.stringMatching(/^Make trader-\d+@example\.com an admin \(now trader\)$/) })
    expect((await membership(workspaceId, trader.userId))?.role).toBe('trader')
    // The member being upgraded never approves their own upgrade; the requester neither.
    expect(await codeOf(approvals.approve(workspaceId, result.pending.id, ctx(trader.userId)))).toMatch(/^FORBIDDEN/)
    expect(await codeOf(approvals.approve(workspaceId, result.pending.id, ctx(owner.userId)))).toBe('FORBIDDEN/SELF_APPROVAL')
    const approved = await approvals.approve(workspaceId, result.pending.id, ctx(admin.userId))
    expect(approved).toMatchObject({ state: 'approved', result: { userId: trader.userId, role: 'admin' } })
    expect((await membership(workspaceId, trader.userId))?.role).toBe('admin')
    const changed = (await auditOf(workspaceId)).find((e) => e.type === 'member_role_changed')
    expect(changed).toMatchObject({ actorId: admin.userId, details: { userId: trader.userId, from: 'trader', to: 'admin', approvalId: result.pending.id, requestedBy: owner.userId } })
    expect((await verifyChain(database.db, workspaceChain(workspaceId))).ok).toBe(true)
  })

  it('downgrades and narrower grants apply at once; wider grants wait for approval', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'])
    const [admin, trader] = others as [P, P]
    const a = await exchangeAccount(workspaceId)
    const b = await exchangeAccount(workspaceId)
    const narrowed = await teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [b, a, a] }, manager(admin.userId, 'admin'))
    expect(narrowed).toMatchObject({ applied: { accountScope: 'granted', exchangeAccountIds: [a, b].sort() } })
    expect(await teams.members.update(workspaceId, trader.userId, { exchangeAccountIds: [a] }, manager(admin.userId, 'admin'))).toMatchObject({ applied: { exchangeAccountIds: [a] } })
    // Giving back an account is more power: four-eyes.
    const wider = await teams.members.update(workspaceId, trader.userId, { exchangeAccountIds: [a, b] }, manager(admin.userId, 'admin'))
    expect(wider).toMatchObject({ pending: { kind: 'role.upgrade', summary: expect.stringMatching(/trade on 2 named exchange accounts$/) } })
    expect(await grants(workspaceId, trader.userId)).toEqual([a])
    const all = await teams.members.update(workspaceId, trader.userId, { accountScope: 'all' }, manager(admin.userId, 'admin'))
    expect(all).toMatchObject({ pending: { summary: expect.stringMatching(/trade on every exchange account$/) } })
    if (!('pending' in all)) throw new Error('expected a pending approval')
    await approvals.approve(workspaceId, all.pending.id, ctx(owner.userId))
    expect(await membership(workspaceId, trader.userId)).toMatchObject({ role: 'trader', accountScope: 'all' })
    expect(await grants(workspaceId, trader.userId)).toEqual([])
    // A downgrade of an admin applies at once and leaves them on every account.
    expect(await teams.members.update(workspaceId, admin.userId, { role: 'viewer' }, manager(owner.userId, 'owner'))).toMatchObject({ applied: { role: 'viewer', accountScope: 'all' } })
    const types = (await auditOf(workspaceId)).map((e) => e.type)
    expect(types.filter((t) => t === 'member_grants_changed')).toHaveLength(3)
    expect(types.filter((t) => t === 'member_role_changed')).toHaveLength(1)
  })

  it('grants name only live exchange accounts of this workspace, and only for traders', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'], { approvalsRequired: false })
    const [admin, trader] = others as [P, P]
    const elsewhere = await team([])
    const foreign = await exchangeAccount(elsewhere.workspaceId)
    const removed = await exchangeAccount(workspaceId, { removed: true })
    const live = await exchangeAccount(workspaceId)
    const by = manager(owner.userId, 'owner')
    expect(await codeOf(teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [live, foreign] }, by))).toBe('BAD_INPUT')
    expect(await codeOf(teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [removed] }, by))).toBe('BAD_INPUT')
    expect(await codeOf(teams.members.update(workspaceId, admin.userId, { accountScope: 'granted', exchangeAccountIds: [live] }, by))).toBe('BAD_INPUT')
    expect(await codeOf(teams.members.update(workspaceId, trader.userId, { accountScope: 'all', exchangeAccountIds: [live] }, by))).toBe('BAD_INPUT')
    expect(await membership(workspaceId, trader.userId)).toMatchObject({ accountScope: 'all' })
    expect(await grants(workspaceId, trader.userId)).toEqual([])
    // A trader made viewer loses the narrowing with the trading.
    await teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [live] }, by)
    expect(await teams.members.update(workspaceId, trader.userId, { role: 'viewer' }, by)).toMatchObject({ applied: { role: 'viewer', accountScope: 'all', exchangeAccountIds: [] } })
    expect(await grants(workspaceId, trader.userId)).toEqual([])
  })

  it('checks an approved upgrade again when it applies: a requester who lost the right makes it fail', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'viewer'])
    const [admin, viewer] = others as [P, P]
    const result = await teams.members.update(workspaceId, viewer.userId, { role: 'trader' }, manager(admin.userId, 'admin'))
    if (!('pending' in result)) throw new Error('expected a pending approval')
    // Demoted another way than through the members service (its cancelling failed, say) before anyone approves.
    await database.db.update(schema.memberships).set({ role: 'viewer' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, admin.userId)))
    expect(await codeOf(approvals.approve(workspaceId, result.pending.id, ctx(owner.userId)))).toMatch(/^CONFLICT\/REQUESTER_/)
    expect(['failed', 'cancelled']).toContain((await approvals.get(workspaceId, result.pending.id, owner.userId)).state)
    expect((await membership(workspaceId, viewer.userId))?.role).toBe('viewer')
  })

  it('removing a member ends their access: membership, grants, API tokens, pending requests; they are told by email', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader', 'viewer'])
    const [admin, trader, viewer] = others as [P, P, P]
    const a = await exchangeAccount(workspaceId)
    await teams.members.update(workspaceId, trader.userId, { accountScope: 'granted', exchangeAccountIds: [a] }, manager(owner.userId, 'owner'))
    const tokenRow = (userId: string, ws: string) => ({
      id: newId(clock.now().getTime()),
      userId,
      workspaceId: ws,
      name: 'script',
      tokenHash: sha256Hex(newId()),
      scope: 'read' as const,
      allowedIps: [],
      createdAt: clock.now(),
      expiresAt: new Date(clock.now().getTime() + 86_400_000),
    })
    const [mine, personal] = [tokenRow(trader.userId, workspaceId), tokenRow(trader.userId, (await database.db.select().from(schema.memberships).where(eq(schema.memberships.userId, trader.userId))).find((m) => m.workspaceId !== workspaceId)?.workspaceId ?? '')]
    await database.db.insert(schema.apiTokens).values([mine, personal])
    // A request of theirs, and a request to raise them: both die with the membership.
    const theirs = await approvals.request({ workspaceId, kind: 'role.upgrade', summary: 'Make viewer a trader', payload: { userId: viewer.userId, role: 'trader' }, requestedBy: ctx(trader.userId) })
    const forThem = await teams.members.update(workspaceId, trader.userId, { role: 'admin' }, manager(owner.userId, 'owner'))
    if (!('pending' in forThem)) throw new Error('expected a pending approval')
    const untouched = await teams.members.update(workspaceId, viewer.userId, { role: 'trader' }, manager(admin.userId, 'admin'))
    if (!('pending' in untouched)) throw new Error('expected a pending approval')

    expect(await codeOf(teams.members.remove(workspaceId, admin.userId, manager(admin.userId, 'admin')))).toBe('BAD_INPUT')
    await teams.members.remove(workspaceId, trader.userId, manager(admin.userId, 'admin'))

    expect(await membership(workspaceId, trader.userId)).toBeUndefined()
    expect(await grants(workspaceId, trader.userId)).toEqual([])
    expect(await codeOf(authorize(database.db, trader.userId, workspaceId, 'workspace.read'))).toBe('NOT_FOUND')
    const tokens = await database.db.select().from(schema.apiTokens).where(eq(schema.apiTokens.userId, trader.userId))
    expect(tokens.find((t) => t.id === mine.id)?.revokedAt).toEqual(clock.now())
    expect(tokens.find((t) => t.id === personal.id)?.revokedAt).toBeNull()
    expect((await approvals.get(workspaceId, theirs.id, owner.userId)).state).toBe('cancelled')
    expect((await approvals.get(workspaceId, forThem.pending.id, owner.userId)).state).toBe('cancelled')
    expect((await approvals.get(workspaceId, untouched.pending.id, owner.userId)).state).toBe('pending')
    const removed = (await auditOf(workspaceId)).find((e) => e.type === 'member_removed')
    expect(removed).toMatchObject({ actorId: admin.userId, details: { userId: trader.userId, role: 'trader', revokedApiAccess: 1 } })
    // Their requests are cancelled by the remover, each in the chain.
    expect((await auditOf(workspaceId)).filter((e) => e.type === 'approval_cancelled').map((e) => e.actorId)).toEqual([admin.userId, admin.userId])
    const mail = (await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, trader.email))).find((m) => m.template === 'team_notice')
    expect(mail?.subject).toBe('You were removed from "Desk" on Bulwark')
    expect(mail?.textBody).toMatch(/^admin \d+ removed you from the Bulwark workspace "Desk"\.$/m)
  })

  it('the last owner can neither leave nor be removed; two owners leaving at once leave one behind', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'], { approvalsRequired: false })
    const [admin, trader] = others as [P, P]
    expect(await codeOf(teams.members.leave(workspaceId, ctx(owner.userId)))).toBe('CONFLICT/LAST_OWNER')
    await teams.members.leave(workspaceId, ctx(trader.userId))
    expect(await membership(workspaceId, trader.userId)).toBeUndefined()
    expect((await auditOf(workspaceId)).at(-1)).toMatchObject({ type: 'member_left', actorId: trader.userId })
    // With approvals off a second owner applies at once.
    expect(await teams.members.update(workspaceId, admin.userId, { role: 'owner' }, manager(owner.userId, 'owner'))).toMatchObject({ applied: { role: 'owner' } })
    const outcomes = await Promise.all([codeOf(teams.members.leave(workspaceId, ctx(owner.userId))), codeOf(teams.members.leave(workspaceId, ctx(admin.userId)))])
    expect(outcomes.sort()).toEqual(['CONFLICT/LAST_OWNER', 'resolved'])
    const owners = (await database.db.select().from(schema.memberships).where(eq(schema.memberships.workspaceId, workspaceId))).filter((m) => m.role === 'owner')
    expect(owners).toHaveLength(1)
  })

  it('a personal workspace cannot be left by its owner nor deleted', async () => {
    const p = await person('solo')
    const [m] = await database.db.select().from(schema.memberships).where(eq(schema.memberships.userId, p.userId))
    const ws = m?.workspaceId ?? ''
    expect(await codeOf(teams.members.leave(ws, ctx(p.userId)))).toBe('CONFLICT/PERSONAL_WORKSPACE')
    expect(await codeOf(teams.workspaces.remove(ws, ctx(p.userId)))).toBe('CONFLICT/PERSONAL_WORKSPACE')
  })

  it('deleting a team workspace needs its keys removed and bots stopped, then takes every way in away', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader'])
    const [admin, trader] = others as [P, P]
    const account = await exchangeAccount(workspaceId)
    expect(await codeOf(teams.workspaces.remove(workspaceId, ctx(owner.userId)))).toBe('CONFLICT/HAS_EXCHANGE_ACCOUNTS')
    await database.db.update(schema.exchangeAccounts).set({ removedAt: clock.now() }).where(eq(schema.exchangeAccounts.id, account))
    const botId = newId(clock.now().getTime())
    await database.db.insert(schema.bots).values({ id: botId, workspaceId, kind: 'smart_trade', name: 'b', accountKind: 'demo', accountId: newId(), config: {}, state: {}, status: 'running', createdAt: clock.now(), updatedAt: clock.now() })
    expect(await codeOf(teams.workspaces.remove(workspaceId, ctx(owner.userId)))).toBe('CONFLICT/HAS_RUNNING_BOTS')
    await database.db.update(schema.bots).set({ status: 'stopped' }).where(eq(schema.bots.id, botId))
    await teams.invitations.invite(workspaceId, { email: 'someone@example.com', role: 'viewer' }, manager(owner.userId, 'owner'))
    const pending = await teams.members.update(workspaceId, trader.userId, { role: 'admin' }, manager(owner.userId, 'owner'))
    await database.db.insert(schema.apiTokens).values({ id: newId(), userId: admin.userId, workspaceId, name: 's', tokenHash: sha256Hex(newId()), scope: 'read', allowedIps: [], createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 86_400_000) })

    const { formerMembers } = await teams.workspaces.remove(workspaceId, ctx(owner.userId))
    expect(formerMembers.sort()).toEqual([owner.userId, admin.userId, trader.userId].sort())
    const [row] = await database.db.select().from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId))
    expect(row?.deletedAt).toEqual(clock.now())
    expect(await database.db.select().from(schema.memberships).where(eq(schema.memberships.workspaceId, workspaceId))).toEqual([])
    expect(await database.db.select().from(schema.workspaceInvitations).where(eq(schema.workspaceInvitations.workspaceId, workspaceId))).toEqual([])
    expect((await database.db.select().from(schema.apiTokens).where(eq(schema.apiTokens.workspaceId, workspaceId))).every((t) => t.revokedAt !== null)).toBe(true)
    if ('pending' in pending) expect((await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.id, pending.pending.id)))[0]?.state).toBe('cancelled')
    for (const who of [owner, admin, trader]) expect(await codeOf(authorize(database.db, who.userId, workspaceId, 'workspace.read'))).toBe('NOT_FOUND')
    expect(await codeOf(teams.workspaces.remove(workspaceId, ctx(owner.userId)))).toBe('NOT_FOUND')
    // The chain stays, with the deletion and the cancelled request after it.
    expect((await auditOf(workspaceId)).slice(-2)).toMatchObject([{ type: 'workspace_deleted', details: { name: 'Desk', members: 3, revokedApiAccess: 1 } }, { type: 'approval_cancelled', actorId: owner.userId }])
  })

  it('shows who has a second factor only to owners and admins; others see it only for themselves (review #18)', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'trader', 'viewer'], { approvalsRequired: false })
    const [admin, trader, viewer] = others as [P, P, P]
    await database.db.insert(schema.totpCredentials).values({ userId: owner.userId, seedCiphertext: 'v1.x', confirmedAt: clock.now(), createdAt: clock.now() })
    const factors = async (viewerId: string, role: Role) => (await teams.members.list(workspaceId, viewerId, role)).map((m) => [m.hasSecondFactor, m.hasPasskey])
    expect(await factors(owner.userId, 'owner')).toEqual([[true, false], [false, false], [false, false], [false, false]])
    expect(await factors(admin.userId, 'admin')).toEqual([[true, false], [false, false], [false, false], [false, false]])
    expect(await factors(trader.userId, 'trader')).toEqual([[null, null], [null, null], [false, false], [null, null]])
    // The effective role decides: an admin narrowed to viewer (two-factor policy) sees only their own.
    expect(await factors(admin.userId, 'viewer')).toEqual([[null, null], [false, false], [null, null], [null, null]])
    expect((await factors(viewer.userId, 'viewer'))[3]).toEqual([false, false])
  })

  it('where approvals are required, demoting or removing another owner waits for another owner, who may be that owner (review #1)', async () => {
    const { workspaceId, owner, others } = await team(['owner', 'admin'])
    const [coOwner, admin] = others as [P, P]
    const demote = await teams.members.update(workspaceId, coOwner.userId, { role: 'viewer' }, manager(owner.userId, 'owner'))
    if (!('pending' in demote)) throw new Error('expected a pending approval')
    expect(demote.pending).toMatchObject({ kind: 'owner.change', state: 'pending', summary: `Take the owner rights of ${coOwner.email}: make them a viewer` })
    const [row] = await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.id, demote.pending.id))
    expect(row?.payload).toEqual({ userId: coOwner.userId, role: 'viewer' })
    expect((await membership(workspaceId, coOwner.userId))?.role).toBe('owner')
    // Admins never decide about owners; the requester neither.
    expect(await codeOf(approvals.approve(workspaceId, demote.pending.id, ctx(admin.userId)))).toMatch(/^FORBIDDEN/)
    expect(await codeOf(approvals.approve(workspaceId, demote.pending.id, ctx(owner.userId)))).toBe('FORBIDDEN/SELF_APPROVAL')
    // The owner it is about consents.
    const approved = await approvals.approve(workspaceId, demote.pending.id, ctx(coOwner.userId))
    expect(approved).toMatchObject({ state: 'approved', result: { userId: coOwner.userId, role: 'viewer' } })
    expect((await membership(workspaceId, coOwner.userId))?.role).toBe('viewer')
    expect((await auditOf(workspaceId)).find((e) => e.type === 'member_role_changed')).toMatchObject({
      actorId: coOwner.userId,
      details: { userId: coOwner.userId, from: 'owner', to: 'viewer', approvalId: demote.pending.id, requestedBy: owner.userId },
    })
    const told = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, coOwner.email))
    // Asked first as an owner who may consent, then told.
    expect(told.map((m) => m.subject)).toEqual(['A change in "Desk" waits for your approval', 'Your role in "Desk" on Bulwark is now viewer'])

    // Removing an owner: the same, with role null; the removed owner is told and loses their access.
    const other = await team(['owner', 'owner'])
    const [second, third] = other.others as [P, P]
    const removal = await teams.members.remove(other.workspaceId, second.userId, manager(other.owner.userId, 'owner'))
    if (!('pending' in removal)) throw new Error('expected a pending approval')
    expect(removal.pending).toMatchObject({ kind: 'owner.change', summary: `Remove the owner ${second.email} from the workspace` })
    expect(await membership(other.workspaceId, second.userId)).toBeDefined()
    const before = ended.length
    expect(await approvals.approve(other.workspaceId, removal.pending.id, ctx(third.userId))).toMatchObject({ state: 'approved', result: { userId: second.userId, removed: true } })
    expect(await membership(other.workspaceId, second.userId)).toBeUndefined()
    expect(ended.slice(before)).toEqual([{ ws: other.workspaceId, userId: second.userId, role: 'owner', by: third.userId }])
    expect((await auditOf(other.workspaceId)).find((e) => e.type === 'member_removed')).toMatchObject({ actorId: third.userId, details: { userId: second.userId, role: 'owner', approvalId: removal.pending.id, requestedBy: other.owner.userId } })
    expect((await verifyChain(database.db, workspaceChain(other.workspaceId))).ok).toBe(true)

    // Without approvals, it applies at once, as before (and the demoted owner is told).
    const open = await team(['owner'], { approvalsRequired: false })
    const [openCo] = open.others as [P]
    expect(await teams.members.update(open.workspaceId, openCo.userId, { role: 'admin' }, manager(open.owner.userId, 'owner'))).toMatchObject({ applied: { role: 'admin' } })
    const notices = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, openCo.email))
    expect(notices.map((m) => m.subject)).toEqual(['Your role in "Desk" on Bulwark is now admin'])
  })

  it('checks an owner change again when it applies: the owner it is about must still be one', async () => {
    const { workspaceId, owner, others } = await team(['owner', 'owner'])
    const [b, c] = others as [P, P]
    const demote = await teams.members.update(workspaceId, b.userId, { role: 'admin' }, manager(owner.userId, 'owner'))
    if (!('pending' in demote)) throw new Error('expected a pending approval')
    // Meanwhile b is demoted another way (approvals were off for a moment).
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, workspaceId))
    await teams.members.update(workspaceId, b.userId, { role: 'trader' }, manager(c.userId, 'owner'))
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, workspaceId))
    expect(await codeOf(approvals.approve(workspaceId, demote.pending.id, ctx(c.userId)))).toBe('CONFLICT/TARGET_NOT_OWNER')
    expect((await membership(workspaceId, b.userId))?.role).toBe('trader')
    expect(await codeOf(teams.members.applyOwnerChange({ userId: b.userId, role: 'viewer', extra: 1 }, { workspaceId, approvalId: newId(), requestedBy: owner.userId, decidedBy: c.userId }))).toBe('BAD_INPUT')
  })

  it('a member given a lower role loses the requests they made with their former power (review #8)', async () => {
    const { workspaceId, owner, others } = await team(['admin', 'admin', 'viewer'])
    const [admin, admin2, viewer] = others as [P, P, P]
    const asked = await teams.members.update(workspaceId, viewer.userId, { role: 'trader' }, manager(admin.userId, 'admin'))
    if (!('pending' in asked)) throw new Error('expected a pending approval')
    expect(await teams.members.update(workspaceId, admin.userId, { role: 'viewer' }, manager(owner.userId, 'owner'))).toMatchObject({ applied: { role: 'viewer' } })
    const [row] = await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.id, asked.pending.id))
    expect(row?.state).toBe('cancelled')
    expect((await auditOf(workspaceId)).find((e) => e.type === 'approval_cancelled')).toMatchObject({ details: { approvalId: asked.pending.id, why: 'requester_demoted' } })
    // A change that does not lower the role leaves the requests alone.
    const asked2 = await teams.members.update(workspaceId, viewer.userId, { role: 'trader' }, manager(admin2.userId, 'admin'))
    if (!('pending' in asked2)) throw new Error('expected a pending approval')
    expect(await teams.members.update(workspaceId, admin2.userId, { role: 'admin' }, manager(owner.userId, 'owner'))).toMatchObject({ applied: { role: 'admin' } })
    expect((await database.db.select().from(schema.approvalRequests).where(eq(schema.approvalRequests.id, asked2.pending.id)))[0]?.state).toBe('pending')
  })

  it('calls the access-ended hook after a removal and a leave commit (review #6)', async () => {
    const { workspaceId, owner, others } = await team(['trader', 'viewer'], { approvalsRequired: false })
    const [trader, viewer] = others as [P, P]
    const before = ended.length
    expect(await teams.members.remove(workspaceId, trader.userId, manager(owner.userId, 'owner'))).toEqual({ removed: true })
    await teams.members.leave(workspaceId, ctx(viewer.userId))
    expect(ended.slice(before)).toEqual([
      { ws: workspaceId, userId: trader.userId, role: 'trader', by: owner.userId },
      { ws: workspaceId, userId: viewer.userId, role: 'viewer', by: viewer.userId },
    ])
  })

  it('refuses workspace names that read like a link or an address (they are shown in emails, review #10)', async () => {
    const owner = await person('namer')
    expect(await codeOf(teams.workspaces.create('Security alert: verify at https://evil.example', ctx(owner.userId)))).toBe('BAD_INPUT')
    expect(await codeOf(teams.workspaces.create('mail support@evil.example', ctx(owner.userId)))).toBe('BAD_INPUT')
    const ws = await teams.workspaces.create('Desk A', ctx(owner.userId))
    expect(await codeOf(teams.workspaces.rename(ws.id, 'hxxp://x', ctx(owner.userId)))).toBe('BAD_INPUT')
    expect(await teams.workspaces.rename(ws.id, 'Desk B: spot & futures', ctx(owner.userId))).toMatchObject({ name: 'Desk B: spot & futures' })
  })
})
