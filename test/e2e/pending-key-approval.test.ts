import { asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { rowsOf, schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import { createKeyHygiene, keyApprovalHandler, type ExchangeAccounts, type KeyRelay } from '../../src/keys/index.js'
import { APPROVAL_TTL_MS, type ApprovalView } from '../../src/teams/index.js'

type Session = { cookie: string; csrf: string }
type Account = { id: string; keyId: string; state: string; label: string; limits: { maxOrderNotional: string } | null }
type Pending = { approval: ApprovalView; account: Account }
const MINUTE = 60_000

/**
 * Four-eyes on exchange keys (R42) over HTTP, with the real approvals service and the real signer
 * (in-process, its own vault database, real ccxt against the Binance emulator): connecting or replacing a
 * key in a workspace that asks for approvals answers 202 and leaves the key unusable in the signer; a
 * second admin's approval makes the signer verify it again and activate it (a replacement then takes
 * over); a rejection, a cancellation or the 24 h expiry destroys it in the signer. The workspace policy
 * refusing IP-unrestricted keys is enforced by the signer before anything is stored.
 */
describe.each(backends)('keys waiting for a second person on %s (R42)', (kind) => {
  let database: TestDatabase
  let signer: SignerHarness
  let t: AccountsApp
  let relay: KeyRelay
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const ids = { owner: '', admin: '', loner: '' }
  const sessions: Partial<Record<keyof typeof ids, Session>> = {}
  let ws = ''
  let lonerWs = ''
  /** Keys as the exchange knows them: IP-restricted to us unless told otherwise. */
  const exchangeKey = (ipRestrict = true) => {
    const c = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    signer.emulator.addAccount({ ...c, ...(ipRestrict ? { ipRestrict: true, ipWhitelist: ['127.0.0.1'] } : {}), balances: { USDT: '1000', BTC: '1' } })
    return c
  }

  const emailOf = (who: keyof typeof ids) => `${who}@example.com`
  const signIn = async (who: keyof typeof ids) => {
    const { cookie, csrf } = await t.signIn(emailOf(who))
    sessions[who] = { cookie, csrf }
  }
  const as = (who: keyof typeof ids): Session => {
    const s = sessions[who]
    if (!s) throw new Error(`${who} is not signed in`)
    return s
  }
  const send = (who: keyof typeof ids, method: 'GET' | 'POST' | 'PUT', path: string, payload?: unknown, workspaceId = ws) =>
    t.app.inject({ method, url: `/api/workspaces/${workspaceId}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: as(who).cookie, 'x-csrf-token': as(who).csrf } })
  const stepUp = async (who: keyof typeof ids) => expect((await t.post('/api/auth/step-up', { password: PASSWORD }, as(who))).statusCode).toBe(200)
  const connect = async (who: keyof typeof ids, credentials: { apiKey: string; secret: string }, label: string, workspaceId = ws) => {
    await stepUp(who)
    return send(who, 'POST', '/exchange-accounts', { exchange: 'binance', label, envelope: await signer.seal(workspaceId, credentials) }, workspaceId)
  }
  const listed = async () => (await send('owner', 'GET', '/exchange-accounts')).json<Account[]>()
  const signerKeys = async (workspaceId = ws) => relay.list(workspaceId)
  const chain = () => database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))
  const decide = async (who: keyof typeof ids, approval: ApprovalView, verb: 'approve' | 'reject' | 'cancel') => {
    if (verb === 'approve') await stepUp(who)
    return send(who, 'POST', `/approvals/${approval.id}/${verb}`, verb === 'reject' ? { note: 'not this key' } : undefined)
  }
  const fetchBalance = (keyId: string) => relay.execute(ws, keyId, 'fetchBalance', {}, { type: 'user', id: ids.owner })

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    signer = await startSignerHarness(kind, { clock, origin: ORIGIN, emulator: { accounts: [], prices: { BTCUSDT: '50000', ETHUSDT: '3000' } } })
    t = await startAccountsApp(database, { clock, signer: signer.client, approvals: true })
    if (!t.approvals || !t.exchangeAccounts || !t.relay) throw new Error('the harness built no approvals service, exchange accounts or relay')
    relay = t.relay
    // As main.ts registers them: the keys domain applies and discards both kinds.
    const handler = keyApprovalHandler(t.exchangeAccounts as ExchangeAccounts)
    t.approvals.register('key.connect', handler)
    t.approvals.register('key.replace', handler)

    ;({ userId: ids.owner, workspaceId: ws } = await t.addUser(emailOf('owner')))
    ids.admin = (await t.addUser(emailOf('admin'))).userId
    await database.db.insert(schema.memberships).values({ workspaceId: ws, userId: ids.admin, role: 'admin', createdAt: clock.now() })
    ;({ userId: ids.loner, workspaceId: lonerWs } = await t.addUser(emailOf('loner')))
    // Password step-up is enough here (no passkey policy), keys may be connected without a second factor, and both workspaces ask for approvals.
    for (const id of [ws, lonerWs]) {
      await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false, requireTwoFactorForKeys: false, approvalsRequired: true }).where(eq(schema.workspaces.id, id))
    }
    for (const who of Object.keys(ids) as (keyof typeof ids)[]) await signIn(who)
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await signer?.close()
    await database?.dispose()
  })

  let first: Pending
  const firstKey = { apiKey: '', secret: '' }

  it('connecting a key answers 202 with the request: the key is verified and kept in the signer, but cannot trade', async () => {
    Object.assign(firstKey, exchangeKey())
    const res = await connect('owner', firstKey, 'Main')
    expect(res.statusCode).toBe(202)
    first = res.json<Pending>()
    expect(first.approval).toMatchObject({ kind: 'key.connect', state: 'pending', requestedBy: { userId: ids.owner }, summary: expect.stringContaining('"Main"') })
    expect(first.account).toMatchObject({ label: 'Main', state: 'pending_approval' })
    expect(await listed()).toEqual([expect.objectContaining({ id: first.account.id, state: 'pending_approval' })])
    expect((await signerKeys()).map((k) => [k.keyId, k.state])).toEqual([[first.account.keyId, 'pending_approval']])
    // Unusable: no call with it, no enabling it around the request, no disabling it into something a widening could enable.
    await expect(fetchBalance(first.account.keyId)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    await stepUp('owner')
    expect((await send('owner', 'POST', `/exchange-accounts/${first.account.id}/enable`)).json()).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_APPROVAL' })
    expect((await send('owner', 'POST', `/exchange-accounts/${first.account.id}/disable`, {})).json()).toMatchObject({ code: 'CONFLICT', reason: 'PENDING_APPROVAL' })
    // The request names ids only: the secret is nowhere in the api's database.
    const dump = JSON.stringify(rowsOf(await database.db.execute(sql`select payload, summary from approval_requests`)))
    expect(dump).not.toContain(firstKey.secret)
    expect(rowsOf(await database.db.execute(sql`select payload from approval_requests`))).toEqual([{ payload: { exchangeAccountId: first.account.id, keyId: first.account.keyId } }])
    // Not in service yet: no rotation, idleness or expiry reminders, and the security center says it waits.
    const hygiene = createKeyHygiene({ db: database.db, clock, alerts: t.alerts, accounts: t.exchangeAccounts })
    expect(await hygiene.checkKeys(new Date(clock.now().getTime() + 400 * 86_400_000))).toMatchObject({ checked: 0, rotationDue: 0, unused: 0 })
    expect(await hygiene.keyHealth(ws)).toEqual([expect.objectContaining({ keyId: first.account.keyId, state: 'pending_approval', stateLabel: 'Waiting for approval' })])
    expect((await chain()).map((e) => e.type)).toEqual(expect.arrayContaining(['key_connected', 'exchange_account_key_pending', 'approval_requested']))
  })

  it('the requester cannot approve it; a second admin does, and the signer verifies the key again and activates it', async () => {
    await stepUp('owner')
    expect((await send('owner', 'POST', `/approvals/${first.approval.id}/approve`)).json()).toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    await expect(fetchBalance(first.account.keyId)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    signer.emulator.clearRequests()
    const res = await decide('admin', first.approval, 'approve')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ state: 'approved', decidedBy: { userId: ids.admin }, result: { exchangeAccountId: first.account.id, keyId: first.account.keyId, state: 'active' } })
    // Verified at the exchange again at approval time, before it became usable.
    expect(signer.emulator.requests.filter((r) => r.apiKey === firstKey.apiKey && r.isSigned).map((r) => r.path)).toEqual(['/sapi/v1/account/apiRestrictions'])
    expect(await listed()).toEqual([expect.objectContaining({ id: first.account.id, state: 'active' })])
    expect(await fetchBalance(first.account.keyId)).toMatchObject({ USDT: expect.anything() })
    const entries = await chain()
    expect(entries.find((e) => e.type === 'key_approved')).toMatchObject({ actorType: 'user', actorId: ids.admin, details: expect.objectContaining({ keyId: first.account.keyId, state: 'active' }) })
    expect(entries.find((e) => e.type === 'exchange_account_connected')).toMatchObject({
      actorId: ids.admin,
      details: expect.objectContaining({ exchangeAccountId: first.account.id, approvalId: first.approval.id, requestedBy: ids.owner, approvedBy: ids.admin }),
    })
    expect((await verifyChain(database.db, workspaceChain(ws))).ok).toBe(true)
  })

  it('rejected or cancelled, the key is destroyed in the signer and the account it made goes', async () => {
    const key = exchangeKey()
    const asked = (await connect('admin', key, 'Spare')).json<Pending>()
    expect(asked.account.state).toBe('pending_approval')
    const rejected = await decide('owner', asked.approval, 'reject')
    expect(rejected.json()).toMatchObject({ state: 'rejected', note: 'not this key' })
    expect((await signerKeys()).map((k) => k.keyId)).not.toContain(asked.account.keyId)
    expect((await listed()).map((a) => a.id)).toEqual([first.account.id])
    expect((await chain()).filter((e) => e.type === 'exchange_account_key_discarded')).toEqual([
      expect.objectContaining({ actorId: ids.owner, details: expect.objectContaining({ keyId: asked.account.keyId, reason: 'rejected', accountRemoved: true, approvalId: asked.approval.id }) }),
    ])
    // Its reuse lock went with it: the same exchange key can be asked for again, and withdrawn by its requester.
    const again = (await connect('admin', key, 'Spare')).json<Pending>()
    expect(again.approval.state).toBe('pending')
    expect((await decide('admin', again.approval, 'cancel')).json()).toMatchObject({ state: 'cancelled' })
    expect((await signerKeys()).map((k) => k.keyId)).not.toContain(again.account.keyId)
    expect((await listed()).map((a) => a.id)).toEqual([first.account.id])
  })

  it('a replacement waits while the current key keeps serving; approved, it takes over as a rotation does', async () => {
    const narrowed = { symbols: ['BTC/USDT'], maxOrderNotional: '40', max24hNotional: '400', maxOrdersPerMinute: 5, priceBandPct: '5' }
    await stepUp('owner')
    expect((await send('owner', 'PUT', `/exchange-accounts/${first.account.id}/limits`, { limits: narrowed })).json()).toMatchObject({ status: 'applied' })
    await stepUp('admin')
    const res = await send('admin', 'POST', `/exchange-accounts/${first.account.id}/rotate`, { envelope: await signer.seal(ws, exchangeKey()) })
    expect(res.statusCode).toBe(202)
    const replace = res.json<Pending>()
    expect(replace.approval).toMatchObject({ kind: 'key.replace', state: 'pending' })
    expect(replace.account).toMatchObject({ id: first.account.id, keyId: first.account.keyId, state: 'active' })
    const [payload] = rowsOf<{ payload: { keyId: string; replacesKeyId: string } }>(await database.db.execute(sql`select payload from approval_requests where id = ${replace.approval.id}`))
    const newKeyId = payload?.payload.keyId ?? ''
    expect(payload?.payload.replacesKeyId).toBe(first.account.keyId)
    // The old key still serves; the new one waits, unusable; the account did not move.
    expect(await fetchBalance(first.account.keyId)).toBeTruthy()
    await expect(fetchBalance(newKeyId)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect(await listed()).toEqual([expect.objectContaining({ id: first.account.id, keyId: first.account.keyId, state: 'active' })])
    const approved = await decide('owner', replace.approval, 'approve')
    expect(approved.json()).toMatchObject({ state: 'approved', result: { keyId: newKeyId, replacedKeyId: first.account.keyId, state: 'active' } })
    expect(await listed()).toEqual([expect.objectContaining({ id: first.account.id, keyId: newKeyId, state: 'active', limits: expect.objectContaining({ maxOrderNotional: '40' }) })])
    expect((await signerKeys()).map((k) => k.keyId)).toEqual([newKeyId])
    await expect(fetchBalance(first.account.keyId)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect((await chain()).find((e) => e.type === 'key_rotated')).toMatchObject({ actorId: ids.owner, details: expect.objectContaining({ oldKeyId: first.account.keyId, keyId: newKeyId, approvalId: replace.approval.id, requestedBy: ids.admin }) })
    first.account.keyId = newKeyId
  })

  it('nobody approves: after 24 h the request expires and the key is destroyed in the signer', async () => {
    const asked = (await connect('owner', exchangeKey(), 'Late')).json<Pending>()
    clock.advance(APPROVAL_TTL_MS + MINUTE)
    expect(await t.approvals?.expireDue()).toBe(1)
    for (const who of ['owner', 'admin'] as const) await signIn(who) // sessions end after 12 h
    expect((await send('owner', 'GET', `/approvals/${asked.approval.id}`)).json()).toMatchObject({ state: 'expired' })
    expect((await signerKeys()).map((k) => k.keyId)).toEqual([first.account.keyId])
    expect((await listed()).map((a) => a.id)).toEqual([first.account.id])
    expect((await chain()).filter((e) => e.type === 'exchange_account_key_discarded').map((e) => e.details)).toContainEqual(expect.objectContaining({ keyId: asked.account.keyId, reason: 'expired' }))
  })

  it('a key that can withdraw by the time it is approved is refused: the request fails and nothing of it stays', async () => {
    const risky = exchangeKey()
    const asked = (await connect('owner', risky, 'Risky')).json<Pending>()
    signer.emulator.account(risky.apiKey).permissions.enableWithdrawals = true
    const res = await decide('admin', asked.approval, 'approve')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION' })
    expect((await send('owner', 'GET', `/approvals/${asked.approval.id}`)).json()).toMatchObject({ state: 'failed', note: expect.stringMatching(/can withdraw/) })
    expect((await signerKeys()).map((k) => k.keyId)).toEqual([first.account.keyId])
    expect((await listed()).map((a) => a.id)).toEqual([first.account.id])
    expect((await chain()).filter((e) => e.type === 'key_approval_refused')).toEqual([expect.objectContaining({ outcome: 'denied', details: expect.objectContaining({ keyId: asked.account.keyId, reason: 'KEY_HAS_WITHDRAW_PERMISSION' }) })])
  })

  it('a workspace that refuses IP-unrestricted keys: the signer refuses one before anything is stored or asked', async () => {
    await database.db.update(schema.workspaces).set({ refuseIpUnrestrictedKeys: true }).where(eq(schema.workspaces.id, ws))
    const res = await connect('owner', exchangeKey(false), 'Open')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'KEY_NOT_IP_RESTRICTED', message: expect.stringMatching(/Fix: restrict the key to the platform's egress addresses at Binance/) })
    expect((await send('owner', 'GET', '/approvals?state=pending')).json()).toEqual([])
    expect((await signerKeys()).map((k) => k.keyId)).toEqual([first.account.keyId])
    expect((await listed()).map((a) => a.id)).toEqual([first.account.id])
    expect((await chain()).find((e) => e.type === 'key_connect_refused')).toMatchObject({ outcome: 'denied', details: expect.objectContaining({ reason: 'KEY_NOT_IP_RESTRICTED' }) })
    // An IP-restricted key still goes through (to its request).
    expect((await connect('owner', exchangeKey(), 'Fenced')).statusCode).toBe(202)
    await database.db.update(schema.workspaces).set({ refuseIpUnrestrictedKeys: false }).where(eq(schema.workspaces.id, ws))
  })

  it('nobody else could approve (a workspace of one that asks for approvals): refused, and nothing is kept', async () => {
    await signIn('loner') // a day has passed: sessions end after 12 h
    const key = exchangeKey()
    const res = await connect('loner', key, 'Solo', lonerWs)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'CONFLICT', reason: 'NO_APPROVER' })
    expect(await signerKeys(lonerWs)).toEqual([])
    expect((await send('loner', 'GET', '/exchange-accounts', undefined, lonerWs)).json()).toEqual([])
    // Approvals off: the same key connects at once (its reuse lock was released with it).
    await database.db.update(schema.workspaces).set({ approvalsRequired: false }).where(eq(schema.workspaces.id, lonerWs))
    const now = await connect('loner', key, 'Solo', lonerWs)
    expect(now.statusCode).toBe(201)
    expect(now.json()).toMatchObject({ label: 'Solo', state: 'active' })
  })
})
