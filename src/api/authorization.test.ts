import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'
import { newId } from '../lib/ids.js'
import { schema, type ApiTokenScope, type Role } from '../db/index.js'

const { roles } = schema
import { isAllowed, tokenScopeFor, type Action } from '../auth/index.js'
import { routeTableOf } from './app.js'
import { createManualClock } from '../lib/clock.js'
import { startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import type { SignerClient } from '../signer/index.js'

const scopeRank: Record<ApiTokenScope, number> = { read: 0, trade: 1, admin: 2 }

/**
 * R41: every workspace route × every role × own or foreign workspace, and every API-token scope,
 * generated from the app's route table and compared with the one policy table. A new workspace route
 * is covered the day it is added; one without a declared action fails here.
 */
describe.each(backends)('authorization matrix on %s (R41)', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let workspaceId = ''
  const members = {} as Record<Role, { cookie: string; csrf: string }>
  let stranger: { cookie: string; csrf: string }

  let signer: SignerHarness
  let signerCalls = 0
  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const clock = createManualClock(Date.now())
    // The real signer, so the exchange-account routes are registered and walked too.
    signer = await startSignerHarness(kind, { clock, origin: 'http://localhost:8080', emulator: { accounts: [], prices: { BTCUSDT: '50000' } } })
    const client = signer.client
    const counting: SignerClient = { ...client, call: ((...args: Parameters<SignerClient['call']>) => (signerCalls++, client.call(...args))) as SignerClient['call'] }
    t = await startAccountsApp(database, { clock, signer: counting, trading: true })
    await t.setup.initFromCli({ email: 'ops@example.com', password: 'violet ostrich carburetor lighthouse', workspaceName: 'Desk' })
    ;({ workspaceId } = await t.addUser('owner@example.com'))
    for (const role of roles) {
      if (role === 'owner') continue
      const { userId } = await t.addUser(`${role}@example.com`)
      await database.db.insert(schema.memberships).values({ workspaceId, userId, role, createdAt: t.clock.now() })
    }
    // Team workspaces ask owners/admins for a passkey by default (R26, tested below); the matrix is about roles.
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, workspaceId))
    for (const role of roles) members[role] = await t.signIn(`${role}@example.com`)
    await t.addUser('stranger@example.com')
    stranger = await t.signIn('stranger@example.com')
  }, 120_000)
  afterAll(async () => {
    await t.close()
    await signer.close()
    await database.dispose()
  })

  const workspaceRoutes = () => routeTableOf(t.app).filter((r) => r.url.includes(':workspaceId'))
  const urlFor = (url: string, ws: string) => url.replace(':workspaceId', ws).replace(/:[A-Za-z]+/g, () => newId())
  const isWorkspaceNotFound = (body: { code?: string; message?: string }) => body.code === 'NOT_FOUND' && /^workspace "/.test(body.message ?? '')

  it('every workspace route declares a policy action', () => {
    expect(workspaceRoutes().length).toBeGreaterThan(0)
    // Trading is wired: its routes are walked with the rest (a sample of each kind of guard).
    const ws = '/api/workspaces/:workspaceId'
    expect(workspaceRoutes().map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([`POST ${ws}/smart-trades`, `PATCH ${ws}/smart-trades/:id`, `GET ${ws}/signal-bots/:id/webhook`, `POST ${ws}/bots/:id/promote`, `DELETE ${ws}/trading/halt`, `PUT ${ws}/trading/accounts/:kind/:id/risk`]),
    )
    for (const r of workspaceRoutes()) expect({ route: `${r.method} ${r.url}`, action: r.action }).toEqual({ route: `${r.method} ${r.url}`, action: expect.any(String) })
  })

  it('each role gets exactly what the table says; another workspace is NOT_FOUND for everyone', async () => {
    for (const r of workspaceRoutes()) {
      const action = r.action as Action
      for (const role of roles) {
        const res = await t.call(r.method as 'GET', urlFor(r.url, workspaceId), members[role], r.method === 'GET' ? undefined : {})
        const body = res.json<{ code?: string; message?: string }>()
        const allowed = isAllowed(role, action)
        expect({ route: `${r.method} ${r.url}`, role, refused: res.statusCode === 403 }).toEqual({ route: `${r.method} ${r.url}`, role, refused: !allowed })
        expect(isWorkspaceNotFound(body)).toBe(false)
      }
      const foreign = await t.call(r.method as 'GET', urlFor(r.url, workspaceId), stranger, r.method === 'GET' ? undefined : {})
      expect(isWorkspaceNotFound(foreign.json())).toBe(true)
    }
  })

  it('a malformed workspace id is simply not found (never a 500)', async () => {
    for (const r of workspaceRoutes()) {
      const res = await t.call(r.method as 'GET', urlFor(r.url, 'not-a-uuid'), members.owner, r.method === 'GET' ? undefined : {})
      expect({ route: `${r.method} ${r.url}`, status: res.statusCode }).toEqual({ route: `${r.method} ${r.url}`, status: 404 })
    }
  })

  it('R41: no request by a viewer reaches the signer (viewers read snapshots)', async () => {
    signerCalls = 0
    for (const r of workspaceRoutes()) await t.call(r.method as 'GET', urlFor(r.url, workspaceId), members.viewer, r.method === 'GET' ? undefined : {})
    expect(signerCalls).toBe(0)
    // The same walk as the owner does reach it (the counter counts).
    for (const r of workspaceRoutes().filter((x) => x.method === 'GET')) await t.call('GET', urlFor(r.url, workspaceId), members.owner)
    expect(signerCalls).toBeGreaterThan(0)
  })

  it('API tokens: the scope table caps each action, and a token sees only its own workspace', async () => {
    const ownerSession = members.owner
    await t.post('/api/auth/step-up', { password: 'violet ostrich carburetor lighthouse' }, ownerSession)
    // R26: in a team workspace, owners and admins need a passkey by default; this owner has none.
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: null }).where(eq(schema.workspaces.id, workspaceId))
    const refused = await t.post('/api/tokens', { name: 'no-passkey', workspaceId, scope: 'read', expiresInDays: 1 }, ownerSession)
    expect(refused.json()).toMatchObject({ code: 'PHISHING_RESISTANT_FACTOR_REQUIRED' })
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, workspaceId))
    for (const scope of ['read', 'trade', 'admin'] as const) {
      const created = await t.post('/api/tokens', { name: `t-${scope}`, workspaceId, scope, expiresInDays: 1 }, ownerSession)
      expect(created.statusCode).toBe(201)
      const token = created.json<{ token: string }>().token
      for (const r of workspaceRoutes()) {
        const needed = tokenScopeFor[r.action as Action]
        const res = await t.app.inject({ method: r.method as 'GET', url: urlFor(r.url, workspaceId), headers: { authorization: `Bearer ${token}` }, ...(r.method === 'GET' ? {} : { payload: {} }) })
        const expected = needed !== null && scopeRank[scope] >= scopeRank[needed]
        expect({ route: `${r.method} ${r.url}`, scope, refused: res.statusCode === 403 }).toEqual({ route: `${r.method} ${r.url}`, scope, refused: !expected })
        const other = await t.app.inject({ method: r.method as 'GET', url: urlFor(r.url, newId()), headers: { authorization: `Bearer ${token}` }, ...(r.method === 'GET' ? {} : { payload: {} }) })
        // Routes no token may use refuse it outright; the others do not reveal another workspace.
        if (needed === null) expect({ route: `${r.method} ${r.url}`, scope, status: other.statusCode }).toEqual({ route: `${r.method} ${r.url}`, scope, status: 403 })
        else expect({ route: `${r.method} ${r.url}`, scope, notFound: isWorkspaceNotFound(other.json()) }).toEqual({ route: `${r.method} ${r.url}`, scope, notFound: true })
      }
    }
    // A viewer cannot mint a token above its role.
    await t.post('/api/auth/step-up', { password: 'violet ostrich carburetor lighthouse' }, members.viewer)
    expect((await t.post('/api/tokens', { name: 'x', workspaceId, scope: 'trade', expiresInDays: 1 }, members.viewer)).statusCode).toBe(403)
  })
})
