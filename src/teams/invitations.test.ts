import { and, asc, desc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { sha256Hex } from '../crypto/index.js'
import { schema, type Role } from '../db/index.js'
import { insertUserWithWorkspace } from '../auth/workspace-store.js'
import { createAlerts, createAuditChain, createOutbox, workspaceChain } from '../monitoring/index.js'
import { createApprovals, type Approvals } from './approvals.js'
import { createTeams, type Teams } from './teams.js'
import { invitationThrottlePolicy, maskEmail } from './invitations.js'
import { INVITATION_RECIPIENT_INTERVAL_MS, INVITATION_TTL_MS, MAX_INVITATIONS_PER_ADDRESS_PER_HOUR, MAX_INVITATIONS_PER_HOUR, MAX_PENDING_INVITATIONS } from './team-types.js'

const ORIGIN = 'http://localhost:8080'

describe.each(backends)('invitations on %s (issue 10)', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let teams: Teams
  let approvals: Approvals

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const { db } = database
    const audit = createAuditChain({ db, clock })
    const outbox = createOutbox({ db, clock })
    approvals = createApprovals({ db, clock, audit, alerts: createAlerts({ db, clock }), outbox })
    teams = createTeams({ db, clock, audit, outbox, gate: approvals, publicOrigin: ORIGIN })
    approvals.register('role.upgrade', { apply: teams.members.applyRoleUpgrade })
  })
  afterAll(async () => {
    await database?.dispose()
  })

  let n = 0
  const person = async (name: string, opts: { verified?: boolean; antiPhishingCode?: string } = {}) => {
    n++
    const email = `${name}-${n}@example.com`
    const { userId } = await insertUserWithWorkspace(
      database.db,
      { email, displayName: `${name} ${n}`, passwordHash: null, isOperator: false, ...(opts.verified === false ? {} : { emailVerifiedAt: clock.now() }) },
      'Personal',
      clock.now(),
    )
    if (opts.antiPhishingCode) await database.db.update(schema.users).set({ antiPhishingCode: opts.antiPhishingCode }).where(eq(schema.users.id, userId))
    return { userId, email }
  }
  const by = (userId: string, role: Role = 'owner') => ({ userId, role, ip: '198.51.100.9', requestId: 'req-inv' })
  /** A team workspace; four-eyes off unless asked for (invitations above viewer then wait for a second person). */
  const team = async (opts: { approvalsRequired?: boolean } = {}) => {
    const owner = await person('owner')
    const ws = await teams.workspaces.create('Desk', by(owner.userId))
    if (!opts.approvalsRequired) await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, ws.id))
    return { workspaceId: ws.id, owner }
  }
  const emailsTo = (address: string) => database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, address)).orderBy(desc(schema.emailOutbox.createdAt), desc(schema.emailOutbox.id))
  const tokenFrom = (text: string) => /\/invite#token=([A-Za-z0-9_-]{43})$/m.exec(text)?.[1] ?? ''
  const lastToken = async (address: string) => tokenFrom((await emailsTo(address))[0]?.textBody ?? '')
  const auditOf = (workspaceId: string) => database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(workspaceId))).orderBy(asc(schema.auditEvents.seq))
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string; reason?: string }) => `${e.code}${e.reason ? `/${e.reason}` : ''}`)
  const roleIn = async (workspaceId: string, userId: string) =>
    (await database.db.select().from(schema.memberships).where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, userId))))[0]?.role

  it('emails a single-use link with a 256-bit token kept only as its hash; the right account joins with it', async () => {
    const { workspaceId, owner } = await team()
    const invitee = await person('invitee', { antiPhishingCode: 'blue-heron' })
    const view = await teams.invitations.invite(workspaceId, { email: invitee.email.toUpperCase(), role: 'trader' }, by(owner.userId))
    expect(view).toMatchObject({ email: invitee.email, role: 'trader', state: 'pending', invitedBy: { userId: owner.userId, email: owner.email }, expiresAt: new Date(clock.now().getTime() + INVITATION_TTL_MS).toISOString() })
    const [mail] = await emailsTo(invitee.email)
    expect(mail?.template).toBe('team_notice')
    expect(mail?.subject).toMatch(/^owner \d+ invited you to "Desk" on Bulwark$/)
    // The invitee's anti-phishing code heads it (R35), like every email to an account.
    expect(mail?.textBody.split('\n')[0]).toBe('Your Bulwark anti-phishing code: blue-heron')
    const token = tokenFrom(mail?.textBody ?? '')
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(mail?.textBody).toContain(`${ORIGIN}/invite#token=${token}`)
    const [row] = await database.db.select().from(schema.workspaceInvitations).where(eq(schema.workspaceInvitations.id, view.id))
    expect(row?.tokenHash).toBe(sha256Hex(token))
    // Nothing recorded about it holds the token.
    expect(JSON.stringify(await auditOf(workspaceId))).not.toContain(token)
    expect(JSON.stringify(row)).not.toContain(token)

    expect(await teams.invitations.preview(token, '203.0.113.1')).toEqual({ workspaceName: 'Desk', invitedByName: expect.stringMatching(/^owner \d+$/), role: 'trader', email: invitee.email, expiresAt: view.expiresAt })
    expect(await teams.invitations.admits(token, invitee.email)).toBe(true)
    expect(await teams.invitations.admits(token, 'someone-else@example.com')).toBe(false)

    expect(await teams.invitations.accept(token, { userId: invitee.userId, ip: '203.0.113.1' })).toEqual({ workspaceId, role: 'trader' })
    expect(await roleIn(workspaceId, invitee.userId)).toBe('trader')
    expect((await auditOf(workspaceId)).at(-1)).toMatchObject({ type: 'member_joined', actorId: invitee.userId, details: { userId: invitee.userId, role: 'trader', invitationId: view.id, invitedBy: owner.userId } })
    // The owners hear about it.
    const notice = (await emailsTo(owner.email)).find((m) => m.template === 'team_notice')
    expect(notice?.subject).toMatch(/^invitee \d+ \(invitee-\d+@example\.com\) joined "Desk" on Bulwark$/)
    // Used: the same answer as any link that does not work, for preview and accept alike.
    expect(await codeOf(teams.invitations.preview(token, '203.0.113.1'))).toBe('NOT_FOUND')
    expect(await codeOf(teams.invitations.accept(token, { userId: invitee.userId }))).toBe('NOT_FOUND')
    expect((await teams.invitations.list(workspaceId)).map((i) => i.state)).toEqual(['accepted'])
  })

  it('refuses another account (naming the invited address only masked) and an unverified one, and leaves the link usable', async () => {
    const { workspaceId, owner } = await team()
    const invitee = await person('alice', { verified: false })
    const stranger = await person('mallory')
    await teams.invitations.invite(workspaceId, { email: invitee.email, role: 'viewer' }, by(owner.userId))
    const token = await lastToken(invitee.email)
    const wrong = await teams.invitations.accept(token, { userId: stranger.userId }).catch((e: Error & { code: string; reason: string }) => e)
    expect(wrong).toMatchObject({ code: 'FORBIDDEN', reason: 'WRONG_ACCOUNT', message: `this invitation is for a***@example.com: sign in with that account` })
    expect(maskEmail(invitee.email)).toBe('a***@example.com')
    expect(await codeOf(teams.invitations.accept(token, { userId: invitee.userId }))).toBe('EMAIL_NOT_VERIFIED')
    expect(await roleIn(workspaceId, stranger.userId)).toBeUndefined()
    await database.db.update(schema.users).set({ emailVerifiedAt: clock.now() }).where(eq(schema.users.id, invitee.userId))
    expect(await teams.invitations.accept(token, { userId: invitee.userId })).toEqual({ workspaceId, role: 'viewer' })
  })

  it('a link expires after 7 days, and a revoked or replaced one stops working at once', async () => {
    const { workspaceId, owner } = await team()
    const a = await person('a')
    const b = await person('b')
    await teams.invitations.invite(workspaceId, { email: a.email, role: 'viewer' }, by(owner.userId))
    const expiring = await lastToken(a.email)
    clock.advance(INVITATION_TTL_MS)
    expect(await codeOf(teams.invitations.preview(expiring, undefined))).toBe('NOT_FOUND')
    expect(await codeOf(teams.invitations.accept(expiring, { userId: a.userId }))).toBe('NOT_FOUND')
    expect((await teams.invitations.list(workspaceId))[0]?.state).toBe('expired')

    const first = await teams.invitations.invite(workspaceId, { email: b.email, role: 'viewer' }, by(owner.userId))
    const old = await lastToken(b.email)
    clock.advance(INVITATION_RECIPIENT_INTERVAL_MS)
    const second = await teams.invitations.invite(workspaceId, { email: b.email, role: 'trader' }, by(owner.userId))
    const current = await lastToken(b.email)
    expect(current).not.toBe(old)
    expect(await codeOf(teams.invitations.preview(old, undefined))).toBe('NOT_FOUND')
    const states = new Map((await teams.invitations.list(workspaceId)).map((i) => [i.id, i.state]))
    expect([states.get(first.id), states.get(second.id)]).toEqual(['revoked', 'pending'])
    expect((await auditOf(workspaceId)).at(-1)).toMatchObject({ type: 'member_invited', details: { invitationId: second.id, replacedInvitationIds: [first.id] } })

    await teams.invitations.revoke(workspaceId, second.id, by(owner.userId))
    expect(await codeOf(teams.invitations.accept(current, { userId: b.userId }))).toBe('NOT_FOUND')
    expect((await auditOf(workspaceId)).at(-1)).toMatchObject({ type: 'invitation_revoked', details: { invitationId: second.id } })
    // Revoking again changes nothing; another workspace's id is not found.
    await teams.invitations.revoke(workspaceId, second.id, by(owner.userId))
    const other = await team()
    expect(await codeOf(teams.invitations.revoke(other.workspaceId, second.id, by(other.owner.userId)))).toBe('NOT_FOUND')
  })

  it('only owners invite admins; members are not invited again; at most 20 invitations wait per workspace', async () => {
    const { workspaceId, owner } = await team()
    const admin = await person('admin')
    await database.db.insert(schema.memberships).values({ workspaceId, userId: admin.userId, role: 'admin', createdAt: clock.now() })
    expect(await codeOf(teams.invitations.invite(workspaceId, { email: 'x@example.com', role: 'admin' }, by(admin.userId, 'admin')))).toBe('FORBIDDEN/OWNER_ONLY')
    expect(await codeOf(teams.invitations.invite(workspaceId, { email: admin.email, role: 'viewer' }, by(owner.userId)))).toBe('CONFLICT/ALREADY_MEMBER')
    for (let i = 0; i < MAX_PENDING_INVITATIONS; i++) await teams.invitations.invite(workspaceId, { email: `p${i}@example.com`, role: 'viewer' }, by(admin.userId, 'admin'))
    expect(await codeOf(teams.invitations.invite(workspaceId, { email: 'one-more@example.com', role: 'viewer' }, by(owner.userId)))).toBe('RATE_LIMITED')
    expect(await emailsTo('one-more@example.com')).toEqual([])
    // Re-inviting a pending address (a while later) replaces it, so it still fits.
    clock.advance(INVITATION_RECIPIENT_INTERVAL_MS)
    expect(await teams.invitations.invite(workspaceId, { email: 'p0@example.com', role: 'trader' }, by(owner.userId))).toMatchObject({ state: 'pending' })
    // An address without an account gets the email too, with the "set a code" line instead of a code.
    expect((await emailsTo('p1@example.com'))[0]?.textBody).toMatch(/^You have not set an anti-phishing code yet/)
  })

  it('pauses an address after too many links that do not work, valid ones included, until the window passes', async () => {
    const { workspaceId, owner } = await team()
    const invitee = await person('late')
    await teams.invitations.invite(workspaceId, { email: invitee.email, role: 'viewer' }, by(owner.userId))
    const token = await lastToken(invitee.email)
    const ip = '192.0.2.44'
    for (let i = 0; i < invitationThrottlePolicy.failures; i++) expect(await codeOf(teams.invitations.preview(`${'A'.repeat(42)}${i % 10}`, ip))).toBe('NOT_FOUND')
    expect(await codeOf(teams.invitations.preview(token, ip))).toBe('RATE_LIMITED')
    expect(await codeOf(teams.invitations.accept(token, { userId: invitee.userId, ip }))).toBe('RATE_LIMITED')
    // Another address is not affected.
    expect(await codeOf(teams.invitations.preview(token, '192.0.2.45'))).toBe('resolved')
    clock.advance(invitationThrottlePolicy.windowMinutes * 60_000 + 1)
    expect(await teams.invitations.accept(token, { userId: invitee.userId, ip })).toEqual({ workspaceId, role: 'viewer' })
  })

  it('two accepts of one link at once make one membership', async () => {
    const { workspaceId, owner } = await team()
    const invitee = await person('twice')
    await teams.invitations.invite(workspaceId, { email: invitee.email, role: 'trader' }, by(owner.userId))
    const token = await lastToken(invitee.email)
    const outcomes = await Promise.all([codeOf(teams.invitations.accept(token, { userId: invitee.userId })), codeOf(teams.invitations.accept(token, { userId: invitee.userId }))])
    expect(outcomes.filter((o) => o === 'resolved')).toHaveLength(1)
    expect(await roleIn(workspaceId, invitee.userId)).toBe('trader')
    expect((await auditOf(workspaceId)).filter((e) => e.type === 'member_joined')).toHaveLength(1)
  })

  it('an invitation to a deleted workspace stops working', async () => {
    const { workspaceId, owner } = await team()
    const invitee = await person('too-late')
    await teams.invitations.invite(workspaceId, { email: invitee.email, role: 'viewer' }, by(owner.userId))
    const token = await lastToken(invitee.email)
    await teams.workspaces.remove(workspaceId, by(owner.userId))
    expect(await codeOf(teams.invitations.preview(token, undefined))).toBe('NOT_FOUND')
    expect(await codeOf(teams.invitations.accept(token, { userId: invitee.userId }))).toBe('NOT_FOUND')
  })

  it('where approvals are required, an invitation above viewer joins as viewer and files the role as a request in the inviter\'s name (review #3)', async () => {
    const { workspaceId, owner } = await team({ approvalsRequired: true })
    const admin = await person('admin')
    await database.db.insert(schema.memberships).values({ workspaceId, userId: admin.userId, role: 'admin', createdAt: clock.now() })
    const alt = await person('alt')
    await teams.invitations.invite(workspaceId, { email: alt.email, role: 'admin' }, by(owner.userId))
    const accepted = await teams.invitations.accept(await lastToken(alt.email), { userId: alt.userId })
    expect(accepted).toMatchObject({ workspaceId, role: 'viewer', pendingRole: 'admin', approval: { kind: 'role.upgrade', state: 'pending', requestedBy: { userId: owner.userId } } })
    expect(accepted.approval?.summary).toBe(`Make ${alt.email} an admin (invited as admin; joined as viewer)`)
    expect(await roleIn(workspaceId, alt.userId)).toBe('viewer')
    expect((await auditOf(workspaceId)).find((e) => e.type === 'member_joined')).toMatchObject({ details: { userId: alt.userId, role: 'viewer', invitedAs: 'admin' } })
    const id = accepted.approval?.id ?? ''
    // Neither the inviter (the requester) nor the invitee (who gains) approves it: the owner cannot approve their own second account.
    expect(await codeOf(approvals.approve(workspaceId, id, { userId: owner.userId }))).toBe('FORBIDDEN/SELF_APPROVAL')
    expect(await codeOf(approvals.approve(workspaceId, id, { userId: alt.userId }))).toMatch(/^FORBIDDEN/)
    expect(await approvals.approve(workspaceId, id, { userId: admin.userId })).toMatchObject({ state: 'approved' })
    expect(await roleIn(workspaceId, alt.userId)).toBe('admin')

    // A viewer invitation joins as invited, without a request.
    const looker = await person('looker')
    await teams.invitations.invite(workspaceId, { email: looker.email, role: 'viewer' }, by(owner.userId))
    expect(await teams.invitations.accept(await lastToken(looker.email), { userId: looker.userId })).toEqual({ workspaceId, role: 'viewer' })
  })

  it('where nobody could approve the invited role, the member stays a viewer and the answer says why', async () => {
    const { workspaceId, owner } = await team({ approvalsRequired: true })
    const invitee = await person('solo')
    await teams.invitations.invite(workspaceId, { email: invitee.email, role: 'trader' }, by(owner.userId))
    const accepted = await teams.invitations.accept(await lastToken(invitee.email), { userId: invitee.userId })
    expect(accepted).toEqual({ workspaceId, role: 'viewer', note: expect.stringMatching(/^you joined as a viewer: the role you were invited with \(trader\) needs a second owner or admin to approve it, and it could not be requested: there is no owner or admin other than the person who invited you/) })
    expect(await roleIn(workspaceId, invitee.userId)).toBe('viewer')
    expect(await approvals.list(workspaceId, owner.userId)).toEqual([])
  })

  it('limits the invitation emails: per workspace per hour, per address per workspace per 10 minutes, per address per hour (review #10)', async () => {
    const { workspaceId, owner } = await team()
    const target = `victim-${n}@example.com`
    const first = await teams.invitations.invite(workspaceId, { email: target, role: 'viewer' }, by(owner.userId))
    await teams.invitations.revoke(workspaceId, first.id, by(owner.userId))
    // Revoked (or replaced) ones count: re-inviting the same address is refused for 10 minutes.
    const again = await teams.invitations.invite(workspaceId, { email: target, role: 'viewer' }, by(owner.userId)).catch((e: Error & { code: string }) => e)
    expect(again).toMatchObject({ code: 'RATE_LIMITED', message: `${target} was invited to this workspace less than 10 minutes ago: wait a few minutes before inviting them again` })
    expect((await emailsTo(target)).length).toBe(1)
    clock.advance(INVITATION_RECIPIENT_INTERVAL_MS)
    await teams.invitations.invite(workspaceId, { email: target, role: 'viewer' }, by(owner.userId))

    // At most 30 per workspace per hour, even when each is revoked at once (the pending limit never bites).
    for (let i = 2; i < MAX_INVITATIONS_PER_HOUR; i++) {
      const v = await teams.invitations.invite(workspaceId, { email: `spray-${n}-${i}@example.com`, role: 'viewer' }, by(owner.userId))
      await teams.invitations.revoke(workspaceId, v.id, by(owner.userId))
    }
    const over = await teams.invitations.invite(workspaceId, { email: `spray-${n}-x@example.com`, role: 'viewer' }, by(owner.userId)).catch((e: Error & { code: string }) => e)
    expect(over).toMatchObject({ code: 'RATE_LIMITED', message: 'this workspace sent 30 invitations in the last hour: wait a while before inviting more' })
    expect(await emailsTo(`spray-${n}-x@example.com`)).toEqual([])
    clock.advance(60 * 60 * 1000)
    expect(await teams.invitations.invite(workspaceId, { email: `spray-${n}-x@example.com`, role: 'viewer' }, by(owner.userId))).toMatchObject({ state: 'pending' })

    // Many workspaces cannot flood one mailbox either.
    const mailbox = `target-${n}@example.com`
    for (let i = 0; i < MAX_INVITATIONS_PER_ADDRESS_PER_HOUR; i++) {
      const other = await team()
      await teams.invitations.invite(other.workspaceId, { email: mailbox, role: 'viewer' }, by(other.owner.userId))
    }
    const sixth = await team()
    expect(await codeOf(teams.invitations.invite(sixth.workspaceId, { email: mailbox, role: 'viewer' }, by(sixth.owner.userId)))).toBe('RATE_LIMITED')
    expect((await emailsTo(mailbox)).length).toBe(MAX_INVITATIONS_PER_ADDRESS_PER_HOUR)
  })
})
