import { randomBytes } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { findSecretFields } from '../lib/redact.js'
import { schema, type Role } from '../db/index.js'
import { createAlerts, createAuditChain, createOutbox, createWorkspaceSettings, workspaceChain } from '../monitoring/index.js'
import { createSessionService, defaultSessionPolicy } from '../auth/session-service.js'
import { applyWorkspaceIdlePolicyIn, sessionIdleMinutesFor } from '../auth/idle-policy.js'
import { authorize, membersAccess } from '../auth/policy.js'
import { createApprovals } from './approvals.js'
import { canonicalAddress, ipMatcher, parseIpRange, widensIpRanges } from './ip-ranges.js'
import { createWorkspacePolicies, normalizeIpRanges, type PolicyPatch } from './workspace-policies.js'

const MINUTE = 60_000

describe('IP ranges', () => {
  it('reads addresses and CIDR ranges into a canonical form, and says what is wrong with the rest', () => {
    expect(parseIpRange(' 203.0.113.0/24 ')).toMatchObject({ family: 'ipv4', text: '203.0.113.0/24' })
    expect(parseIpRange('203.0.113.7')).toMatchObject({ text: '203.0.113.7/32' })
    expect(parseIpRange('2001:DB8:0:0::/32')).toMatchObject({ family: 'ipv6', text: '2001:db8::/32' })
    expect(parseIpRange('2001:db8:0:0:1:0:0:1')).toMatchObject({ text: '2001:db8::1:0:0:1/128' })
    expect(parseIpRange('64:ff9b::192.0.2.33/128')).toMatchObject({ text: '64:ff9b::c000:221/128' })
    expect(parseIpRange('10.1.2.3/8')).toEqual({ problem: '"10.1.2.3/8" has bits set after the prefix: did you mean 10.0.0.0/8?' })
    expect(parseIpRange('10.0.0.0/33')).toEqual({ problem: '"10.0.0.0/33": the prefix length must be a number from 0 to 32' })
    expect(parseIpRange('2001:db8::/129')).toEqual({ problem: '"2001:db8::/129": the prefix length must be a number from 0 to 128' })
    expect('problem' in parseIpRange('example.com')).toBe(true)
    expect('problem' in parseIpRange('fe80::1%eth0')).toBe(true)
    expect('problem' in parseIpRange('10.0.0.0/-1')).toBe(true)
    expect(normalizeIpRanges(['10.0.0.0/8', '10.0.0.0/8', '2001:db8::/32'])).toEqual(['10.0.0.0/8', '2001:db8::/32'])
    expect(() => normalizeIpRanges(['10.0.0.0/8', 'nope', '1.2.3.4/40'])).toThrow(/allowedIpRanges: "nope" is not an IP address.*; "1.2.3.4\/40": the prefix length/)
  })

  it('matches IPv4, IPv6, and IPv4 seen on a dual-stack socket; nothing else', () => {
    const allowed = ipMatcher(['203.0.113.0/24', '2001:db8::/32'])
    expect(allowed('203.0.113.200')).toBe(true)
    expect(allowed('::ffff:203.0.113.200')).toBe(true)
    expect(allowed('203.0.114.1')).toBe(false)
    expect(allowed('2001:db8:ffff::1')).toBe(true)
    expect(allowed('2001:db9::1')).toBe(false)
    expect(allowed(undefined)).toBe(false)
    expect(allowed('not an address')).toBe(false)
    expect(canonicalAddress('::ffff:127.0.0.1')).toEqual({ family: 'ipv4', address: '127.0.0.1' })
  })

  it('a list widens when it reaches an address the old one did not, or becomes "anywhere"', () => {
    expect(widensIpRanges([], ['10.0.0.0/8'])).toBe(false) // anywhere → a range: narrower
    expect(widensIpRanges(['10.0.0.0/8'], ['10.20.0.0/16'])).toBe(false)
    expect(widensIpRanges(['10.0.0.0/8'], ['10.0.0.0/8', '10.9.9.9/32'])).toBe(false)
    expect(widensIpRanges(['10.0.0.0/16'], ['10.0.0.0/8'])).toBe(true)
    expect(widensIpRanges(['10.0.0.0/8'], ['192.0.2.0/24'])).toBe(true)
    expect(widensIpRanges(['10.0.0.0/8'], [])).toBe(true)
    expect(widensIpRanges(['10.0.0.0/8'], ['2001:db8::/32'])).toBe(true) // another family is new ground
  })
})

describe.each(backends)('workspace policies on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T08:00:00Z')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  /** A team workspace with members of the given roles (index 0 first); `withTotp` gives those a confirmed authenticator app row. */
  const team = async (roles: Role[], opts: { approvalsRequired?: boolean; withTotp?: number[] } = {}) => {
    const { db } = database
    const workspaceId = newId(clock.now().getTime())
    await db.insert(schema.workspaces).values({ id: workspaceId, name: 'Desk', createdAt: clock.now(), approvalsRequired: opts.approvalsRequired ?? false })
    const ids: string[] = []
    for (const [i, role] of roles.entries()) {
      const userId = newId(clock.now().getTime())
      await db.insert(schema.users).values({ id: userId, email: `${role}${i}-${userId.slice(-8)}@example.com`, displayName: `${role} ${i}`, emailVerifiedAt: clock.now(), createdAt: clock.now() })
      await db.insert(schema.memberships).values({ workspaceId, userId, role, createdAt: clock.now() })
      // Sealed seeds are the TOTP service's business; the policy only asks whether a confirmed one exists.
      if (opts.withTotp?.includes(i)) await db.insert(schema.totpCredentials).values({ userId, seedCiphertext: 'v1.unused', createdAt: clock.now(), confirmedAt: clock.now() })
      ids.push(userId)
    }
    return { workspaceId, ids }
  }

  const build = () => {
    const { db } = database
    const audit = createAuditChain({ db, clock })
    const settings = createWorkspaceSettings({ db, clock, audit })
    const policies = createWorkspacePolicies({ db, clock, audit, settings })
    const approvals = createApprovals({ db, clock, audit, alerts: createAlerts({ db, clock }), outbox: createOutbox({ db, clock }) })
    approvals.register('policy.relax', { apply: policies.applyPolicyPatch })
    return { policies, approvals, settings }
  }
  const workspaceRow = async (workspaceId: string) => (await database.db.select().from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId)))[0]
  const policyEntries = async (workspaceId: string) =>
    (await database.db.select().from(schema.auditEvents).where(and(eq(schema.auditEvents.chain, workspaceChain(workspaceId)), eq(schema.auditEvents.type, 'workspace_policy_changed'))).orderBy(asc(schema.auditEvents.seq))).map(
      (e) => ({ actorId: e.actorId, ip: e.ip, details: e.details as Record<string, unknown> }),
    )
  const by = (userId: string, ip = '203.0.113.5') => ({ userId, ip, requestId: 'req-1' })

  it('shows the defaults: nothing required, the R30 idle timeout, 90-day rotation, passkeys for admins once there are two members', async () => {
    const { policies } = build()
    const { workspaceId, ids } = await team(['owner', 'trader'], { withTotp: [0] })
    expect(await policies.get(workspaceId)).toEqual({
      requireTwoFactor: false,
      requirePasskeyForAdmins: true,
      sessionIdleMinutes: null,
      allowedIpRanges: [],
      keyRotationDays: 90,
      refuseIpUnrestrictedKeys: false,
      approvalsRequired: false,
      ownerCount: 1,
      memberCount: 2,
      canTurnOffApprovals: true,
      membersWithoutSecondFactor: [{ userId: ids[1], email: expect.stringMatching(/^trader1-/), displayName: 'trader 1', role: 'trader' }],
    })
    const single = await team(['owner'])
    expect((await policies.get(single.workspaceId)).requirePasskeyForAdmins).toBe(false)
    await expect(policies.get(newId())).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('tightening applies at once, in one audited change that names fields and values and carries no secret', async () => {
    const { policies, settings } = build()
    const { workspaceId, ids } = await team(['owner', 'admin'], { approvalsRequired: true, withTotp: [0] })
    const owner = ids[0] as string
    const result = await policies.update(workspaceId, { requireTwoFactor: true, refuseIpUnrestrictedKeys: true, keyRotationDays: 30, allowedIpRanges: ['203.0.113.0/24'] }, by(owner))
    expect(result).toMatchObject({ status: 'applied', policies: { requireTwoFactor: true, refuseIpUnrestrictedKeys: true, keyRotationDays: 30, allowedIpRanges: ['203.0.113.0/24'] } })
    expect(await workspaceRow(workspaceId)).toMatchObject({ requireTwoFactor: true, refuseIpUnrestrictedKeys: true, allowedIpRanges: ['203.0.113.0/24'] })
    expect((await settings.get(workspaceId)).keys.rotationDays).toBe(30)
    const [entry, ...more] = await policyEntries(workspaceId)
    expect(more).toEqual([])
    expect(entry).toMatchObject({ actorId: owner, ip: '203.0.113.5', details: { changed: ['requireTwoFactor', 'allowedIpRanges', 'keyRotationDays', 'refuseIpUnrestrictedKeys'], relaxing: false } })
    expect(entry?.details.values).toContainEqual({ field: 'keyRotationDays', from: 90, to: 30 })
    expect(findSecretFields(entry?.details)).toEqual([])
    // The shortest period pulls the key reminder in before it (the settings document requires that).
    await policies.update(workspaceId, { keyRotationDays: 7 }, by(owner))
    expect((await settings.get(workspaceId)).keys).toMatchObject({ rotationDays: 7, remindDaysBefore: 6 })
  })

  it('refuses bad values whole: nothing of a patch with one bad field is written', async () => {
    const { policies } = build()
    const { workspaceId, ids } = await team(['owner'])
    const owner = ids[0] as string
    const bad: [PolicyPatch, RegExp][] = [
      [{ sessionIdleMinutes: 4, requireTwoFactor: true }, /sessionIdleMinutes/],
      [{ sessionIdleMinutes: 481 }, /sessionIdleMinutes/],
      [{ keyRotationDays: 6 }, /keyRotationDays/],
      [{ keyRotationDays: 731 }, /keyRotationDays/],
      [{ allowedIpRanges: ['203.0.113.0/24', '300.1.1.1/32'], refuseIpUnrestrictedKeys: true }, /"300.1.1.1\/32" is not an IP address/],
      [{ allowedIpRanges: Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`) }, /allowedIpRanges/],
      [{ unknown: true } as PolicyPatch, /unknown|Unrecognized/i],
      [{}, /at least one/],
    ]
    for (const [patch, message] of bad) await expect(policies.update(workspaceId, patch, by(owner))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(message) })
    expect(await workspaceRow(workspaceId)).toMatchObject({ requireTwoFactor: false, refuseIpUnrestrictedKeys: false, sessionIdleMinutes: null, allowedIpRanges: null })
    expect(await policyEntries(workspaceId)).toEqual([])
  })

  it('refuses a change that would lock its maker out: ranges without their address, or two-factor they do not have', async () => {
    const { policies } = build()
    const { workspaceId, ids } = await team(['owner'])
    const owner = ids[0] as string
    await expect(policies.update(workspaceId, { allowedIpRanges: ['198.51.100.0/24'] }, by(owner, '203.0.113.5'))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT', message: expect.stringContaining('you would lock yourself out') })
    await expect(policies.update(workspaceId, { allowedIpRanges: ['198.51.100.0/24'] }, { userId: owner })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT' })
    await expect(policies.update(workspaceId, { requireTwoFactor: true }, by(owner))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT', message: expect.stringContaining('authenticator app or a passkey') })
    expect(await workspaceRow(workspaceId)).toMatchObject({ allowedIpRanges: null, requireTwoFactor: false })
    // From inside the new ranges (an IPv4 client on a dual-stack socket): fine.
    expect(await policies.update(workspaceId, { allowedIpRanges: ['198.51.100.0/24', '2001:db8::/32'] }, by(owner, '::ffff:198.51.100.9'))).toMatchObject({ status: 'applied' })
  })

  it('a lower idle timeout shortens the live sessions of every member (not others, not ended ones); sign-in takes the strictest workspace', async () => {
    const { policies } = build()
    const sessions = createSessionService({ db: database.db, clock, csrfKey: randomBytes(32) })
    const { workspaceId, ids } = await team(['owner', 'trader'])
    const [owner, trader] = ids as [string, string]
    const outsider = (await team(['trader'])).ids[0] as string
    const mine = await sessions.create(owner, {}, { factor: 'password', privileged: true })
    const theirs = await sessions.create(trader, {}, { factor: 'password' })
    const ended = await sessions.create(trader, {}, { factor: 'password' })
    await sessions.revoke(trader, ended.sessionId)
    const stranger = await sessions.create(outsider, {}, { factor: 'password' })
    const idleOf = async (sessionId: string) => (await database.db.select({ idle: schema.sessions.idleMinutes }).from(schema.sessions).where(eq(schema.sessions.id, sessionId)))[0]?.idle

    await policies.update(workspaceId, { sessionIdleMinutes: 20 }, by(owner))
    expect([await idleOf(mine.sessionId), await idleOf(theirs.sessionId), await idleOf(ended.sessionId), await idleOf(stranger.sessionId)]).toEqual([15, 20, 30, 30])
    expect((await policyEntries(workspaceId)).at(-1)?.details).toMatchObject({ changed: ['sessionIdleMinutes'], liveSessionsShortened: 1, relaxing: false })

    // Someone joining later gets the workspace's timeout on their live sessions too.
    const newcomer = (await team(['viewer'])).ids[0] as string
    const joining = await sessions.create(newcomer, {}, { factor: 'password' })
    await database.db.insert(schema.memberships).values({ workspaceId, userId: newcomer, role: 'viewer', createdAt: clock.now() })
    expect(await database.db.transaction((tx) => applyWorkspaceIdlePolicyIn(tx, workspaceId, newcomer, clock.now()))).toBe(1)
    expect(await idleOf(joining.sessionId)).toBe(20)

    // The trader's session idle for 21 minutes has ended; a stranger's keeps the default.
    clock.advance(21 * MINUTE)
    expect(await sessions.authenticate(theirs.token)).toBeUndefined()
    expect(await sessions.authenticate(stranger.token)).toBeDefined()

    // New sign-ins: the default (30, 15 for a team owner) lowered to the strictest workspace the user is in.
    expect(await sessionIdleMinutesFor(database.db, trader, defaultSessionPolicy)).toBe(20)
    expect(await sessionIdleMinutesFor(database.db, owner, defaultSessionPolicy)).toBe(15)
    expect(await sessionIdleMinutesFor(database.db, outsider, defaultSessionPolicy)).toBe(30)
    await policies.update(workspaceId, { sessionIdleMinutes: 5 }, by(owner))
    expect(await sessionIdleMinutesFor(database.db, owner, defaultSessionPolicy)).toBe(5)
    // A deleted workspace's policy no longer counts.
    await database.db.update(schema.workspaces).set({ deletedAt: clock.now() }).where(eq(schema.workspaces.id, workspaceId))
    expect(await sessionIdleMinutesFor(database.db, trader, defaultSessionPolicy)).toBe(30)
  })

  it('relaxing waits for a second owner while approvals are on; the approval applies it, re-checked', async () => {
    const { policies, approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'owner', 'admin'], { approvalsRequired: true, withTotp: [0, 1] })
    const [first, second, admin] = ids as [string, string, string]
    await policies.update(workspaceId, { requireTwoFactor: true, sessionIdleMinutes: 10, allowedIpRanges: ['203.0.113.0/24'], keyRotationDays: 30 }, by(first))

    const relax = { requireTwoFactor: false, requirePasskeyForAdmins: false, sessionIdleMinutes: 60, allowedIpRanges: ['203.0.113.0/24', '198.51.100.0/24'], keyRotationDays: 60 }
    const pending = await policies.update(workspaceId, relax, by(first), approvals)
    if (pending.status !== 'pending') throw new Error('expected a pending request')
    expect(pending.approval).toMatchObject({ kind: 'policy.relax', state: 'pending', summary: expect.stringContaining('stop requiring two-factor authentication') })
    expect(pending.approval.summary).toContain('session idle timeout 10 → 60 minutes')
    // The stored payload names fields as values: nothing in it reads like a secret (the approvals service checks keys).
    const [stored] = await database.db.select({ payload: schema.approvalRequests.payload }).from(schema.approvalRequests).where(eq(schema.approvalRequests.id, pending.approval.id))
    expect(findSecretFields(stored?.payload)).toEqual([])
    expect(stored?.payload).toMatchObject({ patch: expect.arrayContaining([{ field: 'requirePasskeyForAdmins', value: false }, { field: 'sessionIdleMinutes', value: 60 }]) })
    expect(await workspaceRow(workspaceId)).toMatchObject({ requireTwoFactor: true, sessionIdleMinutes: 10, allowedIpRanges: ['203.0.113.0/24'] })

    // Only owners approve a relaxation; the admin is not eligible, the requester never is.
    await expect(approvals.approve(workspaceId, pending.approval.id, { userId: admin })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(approvals.approve(workspaceId, pending.approval.id, { userId: first })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const approved = await approvals.approve(workspaceId, pending.approval.id, { userId: second, ip: '203.0.113.9', requestId: 'req-2' })
    expect(approved).toMatchObject({ state: 'approved', result: { changed: ['requireTwoFactor', 'requirePasskeyForAdmins', 'sessionIdleMinutes', 'allowedIpRanges', 'keyRotationDays'] } })
    expect(await policies.get(workspaceId)).toMatchObject({ requireTwoFactor: false, requirePasskeyForAdmins: false, sessionIdleMinutes: 60, allowedIpRanges: ['203.0.113.0/24', '198.51.100.0/24'], keyRotationDays: 60 })
    expect((await policyEntries(workspaceId)).at(-1)).toMatchObject({ actorId: second, details: { relaxing: true, requestedBy: first, approvalRef: pending.approval.id } })

    // Tightening still applies at once while approvals are on.
    expect(await policies.update(workspaceId, { sessionIdleMinutes: 30 }, by(first), approvals)).toMatchObject({ status: 'applied' })
    // Without the approvals service a relaxation is refused, not applied (fail closed).
    await expect(policies.update(workspaceId, { sessionIdleMinutes: null }, by(first))).rejects.toMatchObject({ code: 'CONFLICT' })
    expect((await workspaceRow(workspaceId))?.sessionIdleMinutes).toBe(30)
  })

  it('an approved relaxation is re-validated when applied: the requester must still be an owner, the approver must not be locked out', async () => {
    const { policies, approvals } = build()
    const { workspaceId, ids } = await team(['owner', 'owner'], { approvalsRequired: true, withTotp: [0, 1] })
    const [first, second] = ids as [string, string]
    await policies.update(workspaceId, { allowedIpRanges: ['203.0.113.0/24'] }, by(first))

    const widen = await policies.update(workspaceId, { allowedIpRanges: ['198.51.100.0/24'] }, by(first, '198.51.100.1'), approvals)
    if (widen.status !== 'pending') throw new Error('expected a pending request')
    // The approver's address (203.0.113.9) is outside the new ranges: applying it would lock them out.
    await expect(approvals.approve(workspaceId, widen.approval.id, { userId: second, ip: '203.0.113.9' })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'LOCKOUT' })
    expect((await workspaceRow(workspaceId))?.allowedIpRanges).toEqual(['203.0.113.0/24'])

    const later = await policies.update(workspaceId, { allowedIpRanges: [] }, by(first), approvals)
    if (later.status !== 'pending') throw new Error('expected a pending request')
    await database.db.update(schema.memberships).set({ role: 'admin' }).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, first)))
    // The approvals service refuses first (the requester lost the right, review #8); the handler checks again itself.
    await expect(approvals.approve(workspaceId, later.approval.id, { userId: second, ip: '203.0.113.9' })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'REQUESTER_LOST_RIGHT' })
    await expect(policies.applyPolicyPatch(later.approval.details, { workspaceId, approvalId: later.approval.id, requestedBy: first, decidedBy: second, ip: '203.0.113.9' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('only an owner'),
    })
    expect((await workspaceRow(workspaceId))?.allowedIpRanges).toEqual(['203.0.113.0/24'])

    // A payload that is not a valid patch (stored by an older version, or tampered with) applies nothing.
    const ctx = { workspaceId, approvalId: newId(), requestedBy: second, decidedBy: first, ip: '203.0.113.9' }
    await expect(policies.applyPolicyPatch({ patch: [{ field: 'sessionIdleMinutes', value: 1 }] }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(policies.applyPolicyPatch({ patch: [{ field: 'isOperator', value: true }] }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(policies.applyPolicyPatch({ sessionIdleMinutes: 10 }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect((await workspaceRow(workspaceId))?.sessionIdleMinutes).toBeNull()
  })

  it('approvals go off only with exactly one owner, at once and audited with a warning', async () => {
    const { policies, approvals } = build()
    const two = await team(['owner', 'owner'], { approvalsRequired: true })
    await expect(policies.update(two.workspaceId, { approvalsRequired: false }, by(two.ids[0] as string), approvals)).rejects.toMatchObject({ code: 'CONFLICT', reason: 'SEVERAL_OWNERS' })
    expect((await workspaceRow(two.workspaceId))?.approvalsRequired).toBe(true)
    expect((await policies.get(two.workspaceId)).canTurnOffApprovals).toBe(false)

    const one = await team(['owner', 'admin'], { approvalsRequired: true })
    const owner = one.ids[0] as string
    // Together with a relaxation: the single owner's own choice, nothing waits.
    const result = await policies.update(one.workspaceId, { approvalsRequired: false, requirePasskeyForAdmins: false }, by(owner), approvals)
    expect(result).toMatchObject({ status: 'applied', policies: { approvalsRequired: false, requirePasskeyForAdmins: false, canTurnOffApprovals: true } })
    expect((await policyEntries(one.workspaceId)).at(-1)?.details).toMatchObject({ warning: 'approvals_turned_off', relaxing: true })
    // Turning them back on is tightening: at once.
    expect(await policies.update(one.workspaceId, { approvalsRequired: true }, by(owner), approvals)).toMatchObject({ status: 'applied', policies: { approvalsRequired: true } })
  })

  it('requiring two-factor makes members without one viewers (effective role), until they have one; a deleted workspace is not found', async () => {
    const { policies } = build()
    const { workspaceId, ids } = await team(['owner', 'trader', 'admin'], { withTotp: [0, 2] })
    const [owner, trader] = ids as [string, string]
    expect(await authorize(database.db, trader, workspaceId, 'trading.trade')).toBe('trader')
    await policies.update(workspaceId, { requireTwoFactor: true }, by(owner))
    await expect(authorize(database.db, trader, workspaceId, 'trading.trade')).rejects.toMatchObject({ code: 'FORBIDDEN', reason: 'TWO_FACTOR_REQUIRED', message: expect.stringContaining('requires two-factor authentication') })
    expect(await authorize(database.db, trader, workspaceId, 'trading.read')).toBe('viewer')
    expect((await membersAccess(database.db, workspaceId)).map((m) => [m.role, m.effectiveRole])).toEqual([
      ['owner', 'owner'],
      ['trader', 'viewer'],
      ['admin', 'admin'],
    ])
    await database.db.insert(schema.passkeys).values({ id: newId(), userId: trader, credentialId: `cred-${trader}`, publicKey: 'unused', counter: 0, transports: [], name: 'Key', deviceType: 'singleDevice', backedUp: false, createdAt: clock.now() })
    expect(await authorize(database.db, trader, workspaceId, 'trading.trade')).toBe('trader')
    await database.db.update(schema.workspaces).set({ deletedAt: clock.now() }).where(eq(schema.workspaces.id, workspaceId))
    await expect(authorize(database.db, owner, workspaceId, 'workspace.read')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await membersAccess(database.db, workspaceId)).toEqual([])
  })
})
