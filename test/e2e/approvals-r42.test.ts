import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import type { Trading } from '../../src/trading/index.js'
import { APPROVAL_TTL_MS, type ApprovalView } from '../../src/teams/index.js'

type Session = { cookie: string; csrf: string }
const MINUTE = 60_000

/**
 * R42 as SECURITY.md states it, over HTTP with the real signer (an exchange account needs a real key):
 * "an admin requests a limit increase and it is not applied. The same admin cannot self-approve (403). A
 * second admin approves and it is applied; both identities are in the audit log." And the 24 h expiry: a
 * request nobody approves expires and is never applied.
 */
describe.each(backends)('four-eyes approvals end to end on %s (R42)', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let ws = ''
  let accountId = ''
  const ids: Record<'owner' | 'requester' | 'approver' | 'trader', string> = { owner: '', requester: '', approver: '', trader: '' }
  const sessions: Partial<Record<keyof typeof ids, Session>> = {}

  const emailOf = (who: keyof typeof ids) => `${who}@example.com`
  /** A fresh sign-in (sessions end after 12 h; a sign-in also counts as a fresh step-up). */
  const signIn = async (who: keyof typeof ids): Promise<Session> => {
    const { cookie, csrf } = await t.signIn(emailOf(who))
    sessions[who] = { cookie, csrf }
    return { cookie, csrf }
  }
  const as = (who: keyof typeof ids): Session => {
    const s = sessions[who]
    if (!s) throw new Error(`${who} is not signed in`)
    return s
  }
  const send = (who: keyof typeof ids, method: 'GET' | 'POST' | 'PUT', path: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/workspaces/${ws}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: as(who).cookie, 'x-csrf-token': as(who).csrf } })
  const risk = () => `/trading/accounts/exchange/${accountId}/risk`
  const limits = async () => (await send('owner', 'GET', risk())).json<Record<string, unknown>>()
  const stepUp = async (who: keyof typeof ids) => expect((await t.post('/api/auth/step-up', { password: PASSWORD }, as(who))).statusCode).toBe(200)
  const chain = () => database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      emulator: { accounts: [{ ...key, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000', BTC: '0' } }], prices: { BTCUSDT: '50000' } },
    })
    t = await startAccountsApp(database, { clock, signer: signer.client, trading: true, approvals: true })
    const trading = t.trading as Trading
    const approvals = t.approvals
    if (!approvals) throw new Error('the harness built no approvals service')
    // As main.ts registers it: the trading domain's applier re-validates and applies as the approver.
    approvals.register('limits.raise', { apply: (payload, ctx) => trading.controls.applyRiskLimits(payload, ctx) })

    ;({ userId: ids.owner, workspaceId: ws } = await t.addUser(emailOf('owner')))
    for (const [who, role] of [
      ['requester', 'admin'],
      ['approver', 'admin'],
      ['trader', 'trader'],
    ] as const) {
      ids[who] = (await t.addUser(emailOf(who))).userId
      await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: ids[who], role, createdAt: clock.now() })
    }
    // Password step-up is enough here (no passkey policy), and keys may be connected without a second factor;
    // four-eyes is turned on once the key is in (connecting is itself a gated change).
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false, requireTwoFactorForKeys: false }).where(eq(schema.workspaces.id, ws))
    for (const who of Object.keys(ids) as (keyof typeof ids)[]) await signIn(who)
    const connected = await send('owner', 'POST', '/exchange-accounts', { exchange: 'binance', label: 'Main', envelope: await signer.seal(ws, key) })
    expect(connected.json()).toMatchObject({ state: 'active' })
    accountId = connected.json<{ id: string }>().id
    expect((await send('requester', 'PUT', risk(), { maxOrderNotional: '100' })).statusCode).toBe(200)
    await database.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await signer?.close()
    await database?.dispose()
  })

  let raise: ApprovalView

  it('an admin asks for a limit increase: 202 with the pending request, and nothing applied', async () => {
    const res = await send('requester', 'PUT', risk(), { maxOrderNotional: '500' })
    expect(res.statusCode).toBe(202)
    raise = res.json<{ approval: ApprovalView }>().approval
    expect(raise).toMatchObject({ kind: 'limits.raise', state: 'pending', requestedBy: { userId: ids.requester, email: emailOf('requester') }, decidedBy: null, canDecide: false })
    expect(await limits()).toEqual({ maxOrderNotional: '100' })
    // Everyone sees it; only an eligible other owner/admin may decide it.
    const seen = (who: keyof typeof ids) => send(who, 'GET', `/approvals/${raise.id}`).then((r) => r.json<ApprovalView>().canDecide)
    expect({ owner: await seen('owner'), requester: await seen('requester'), approver: await seen('approver'), trader: await seen('trader') }).toEqual({ owner: true, requester: false, approver: true, trader: false })
    expect((await send('trader', 'GET', '/approvals')).json<ApprovalView[]>().map((a) => a.id)).toEqual([raise.id])
    // The approvers were told: an email to each (not to the requester, not to the trader) and an in-app alert.
    expect((await t.emailsTo(emailOf('approver'))).filter((m) => m.textBody.includes(raise.summary))).toHaveLength(1)
    expect((await t.emailsTo(emailOf('owner'))).filter((m) => m.textBody.includes(raise.summary))).toHaveLength(1)
    expect((await t.emailsTo(emailOf('requester'))).filter((m) => m.textBody.includes(raise.summary))).toHaveLength(0)
    expect((await t.emailsTo(emailOf('trader'))).filter((m) => m.textBody.includes(raise.summary))).toHaveLength(0)
    expect(await t.alerts.list(ws)).toContainEqual(expect.objectContaining({ rule: 'approval_requested', details: expect.objectContaining({ approvalId: raise.id }) }))
  })

  it('the same admin cannot approve it (403), and a trader may not either', async () => {
    await stepUp('requester')
    const self = await send('requester', 'POST', `/approvals/${raise.id}/approve`)
    expect(self.statusCode).toBe(403)
    expect(self.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    await stepUp('trader')
    expect((await send('trader', 'POST', `/approvals/${raise.id}/approve`)).statusCode).toBe(403)
    expect((await send('trader', 'POST', `/approvals/${raise.id}/reject`, {})).statusCode).toBe(403)
    expect(await limits()).toEqual({ maxOrderNotional: '100' })
  })

  it('a second admin approves with a fresh step-up and the raise applies; both identities are in the audit chain', async () => {
    clock.advance(6 * MINUTE) // the sign-in's step-up window is over
    const stale = await send('approver', 'POST', `/approvals/${raise.id}/approve`)
    expect(stale.statusCode).toBe(401)
    expect(stale.json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    await stepUp('approver')
    const approved = await send('approver', 'POST', `/approvals/${raise.id}/approve`)
    expect(approved.statusCode).toBe(200)
    expect(approved.json()).toMatchObject({ id: raise.id, state: 'approved', requestedBy: { userId: ids.requester }, decidedBy: { userId: ids.approver }, canDecide: false })
    expect(await limits()).toEqual({ maxOrderNotional: '500' })
    // Approving again: decided already.
    await stepUp('owner')
    expect((await send('owner', 'POST', `/approvals/${raise.id}/approve`)).json()).toMatchObject({ code: 'CONFLICT' })

    const entries = await chain()
    const requested = entries.find((e) => e.type === 'approval_requested' && (e.details as { approvalId?: string }).approvalId === raise.id)
    const approval = entries.find((e) => e.type === 'approval_approved' && (e.details as { approvalId?: string }).approvalId === raise.id)
    expect(requested).toMatchObject({ actorType: 'user', actorId: ids.requester, outcome: 'success', ip: expect.any(String), requestId: expect.any(String) })
    expect(approval).toMatchObject({ actorType: 'user', actorId: ids.approver, outcome: 'success', details: expect.objectContaining({ requestedBy: ids.requester }) })
    expect(entries.map((e) => e.type)).toContain('approval_applied')
    expect((await verifyChain(database.db, workspaceChain(ws))).ok).toBe(true)
  })

  it('only the requester cancels; an API token reads what waits but cannot decide', async () => {
    const res = await send('requester', 'PUT', risk(), { maxOrderNotional: '700' })
    const pending = res.json<{ approval: ApprovalView }>().approval
    const foreign = await send('approver', 'POST', `/approvals/${pending.id}/cancel`)
    expect([foreign.statusCode, foreign.json()]).toEqual([403, expect.objectContaining({ reason: 'NOT_REQUESTER' })])
    const created = await t.post('/api/tokens', { name: 'script', workspaceId: ws, scope: 'admin', expiresInDays: 30 }, as('owner'))
    expect(created.statusCode).toBe(201)
    const bearer = { authorization: `Bearer ${created.json<{ token: string }>().token}` }
    const listed = await t.app.inject({ url: `/api/workspaces/${ws}/approvals?state=pending`, headers: bearer })
    expect(listed.json<ApprovalView[]>().map((a) => a.id)).toEqual([pending.id])
    expect((await t.app.inject({ method: 'POST', url: `/api/workspaces/${ws}/approvals/${pending.id}/approve`, headers: bearer })).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'POST', url: `/api/workspaces/${ws}/approvals/${pending.id}/cancel`, headers: bearer })).statusCode).toBe(403)
    const cancelled = await send('requester', 'POST', `/approvals/${pending.id}/cancel`)
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', decidedBy: { userId: ids.requester } })
    expect(await limits()).toEqual({ maxOrderNotional: '500' })
  })

  it('rejecting needs a fresh step-up; a requester demoted to viewer can neither cancel nor have the request approved', async () => {
    const setRole = (role: 'admin' | 'viewer') =>
      database.db.update(schema.memberships).set({ role }).where(and(eq(schema.memberships.workspaceId, ws), eq(schema.memberships.userId, ids.requester)))
    const first = (await send('requester', 'PUT', risk(), { maxOrderNotional: '800' })).json<{ approval: ApprovalView }>().approval
    clock.advance(6 * MINUTE) // every step-up window is over
    const stale = await send('approver', 'POST', `/approvals/${first.id}/reject`, {})
    expect([stale.statusCode, stale.json()]).toEqual([401, expect.objectContaining({ code: 'STEP_UP_REQUIRED' })])
    expect((await send('owner', 'GET', `/approvals/${first.id}`)).json()).toMatchObject({ state: 'pending' })

    // Demoted to viewer: cancelling (whose discard may reach the signer) is not a viewer's act (R41)…
    await setRole('viewer')
    const cancel = await send('requester', 'POST', `/approvals/${first.id}/cancel`)
    expect([cancel.statusCode, cancel.json()]).toEqual([403, expect.objectContaining({ code: 'FORBIDDEN' })])
    // …and the raise they asked for while an admin is no longer theirs to make: approving cancels it.
    await stepUp('approver')
    const approved = await send('approver', 'POST', `/approvals/${first.id}/approve`)
    expect([approved.statusCode, approved.json()]).toEqual([409, expect.objectContaining({ code: 'CONFLICT', reason: 'REQUESTER_LOST_RIGHT' })])
    expect((await send('owner', 'GET', `/approvals/${first.id}`)).json()).toMatchObject({ state: 'cancelled', decidedBy: { userId: ids.approver } })
    expect(await limits()).toEqual({ maxOrderNotional: '500' })
    await setRole('admin')

    const second = (await send('requester', 'PUT', risk(), { maxOrderNotional: '800' })).json<{ approval: ApprovalView }>().approval
    const rejected = await send('approver', 'POST', `/approvals/${second.id}/reject`, { note: 'too much' })
    expect([rejected.statusCode, rejected.json()]).toEqual([200, expect.objectContaining({ state: 'rejected', note: 'too much', details: expect.objectContaining({ account: expect.objectContaining({ id: accountId }), limits: { maxOrderNotional: '800' } }) })])
    expect(await limits()).toEqual({ maxOrderNotional: '500' })
  })

  it('a request nobody approves expires after 24 h and is never applied', async () => {
    const res = await send('requester', 'PUT', risk(), { maxOrderNotional: '900' })
    expect(res.statusCode).toBe(202)
    const pending = res.json<{ approval: ApprovalView }>().approval
    clock.advance(APPROVAL_TTL_MS - MINUTE)
    for (const who of ['owner', 'approver'] as const) await signIn(who) // sessions end after 12 h
    expect((await send('owner', 'GET', `/approvals/${pending.id}`)).json()).toMatchObject({ state: 'pending', canDecide: true })
    clock.advance(MINUTE)
    // Past its expiry it reads as expired at once; the sweep (main.ts runs it every 60 s) marks it and audits.
    expect((await send('owner', 'GET', '/approvals?state=decided')).json<ApprovalView[]>()).toContainEqual(expect.objectContaining({ id: pending.id, state: 'expired', decidedBy: null }))
    expect((await send('owner', 'GET', '/approvals?state=pending')).json<ApprovalView[]>()).toEqual([])
    await t.approvals?.expireDue()
    await stepUp('approver')
    const late = await send('approver', 'POST', `/approvals/${pending.id}/approve`)
    expect(late.statusCode).toBe(409)
    expect(await limits()).toEqual({ maxOrderNotional: '500' })
    expect((await chain()).filter((e) => e.type === 'approval_expired')).toEqual([expect.objectContaining({ actorType: 'system', details: expect.objectContaining({ approvalId: pending.id, requestedBy: ids.requester }) })])
  })
})
