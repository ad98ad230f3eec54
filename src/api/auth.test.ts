import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { rowsOf } from '../db/index.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { policy } from '../auth/index.js'
import { LOGIN_FAILED } from '../auth/index.js'
import type { App } from './app-types.js'
import { ORIGIN, startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'

describe.each(backends)('sign-in and sessions on %s (R28–R31)', (kind) => {
  let database: TestDatabase
  let app: App
  let alerts: AccountsApp['alerts']
  let harness: AccountsApp
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const password = 'violet ostrich carburetor lighthouse'

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    harness = await startAccountsApp(database, { clock })
    app = harness.app
    alerts = harness.alerts
    await harness.setup.initFromCli({ email: 'ops@example.com', password, workspaceName: 'Desk' })
  })
  afterAll(async () => {
    await app.close()
    await database.dispose()
  })

  const addUser = (email: string) => harness.addUser(email, password)
  const login = (email: string, pw: string) => app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin: ORIGIN }, payload: { email, password: pw } })
  const cookieOf = (res: Awaited<ReturnType<typeof login>>) => harness.cookieOf(res)
  const me = (cookie: string) => app.inject({ url: '/api/me', headers: { cookie } })

  it('signs in with a __Host- cookie (Secure, HttpOnly, SameSite=Strict) and stores only the token hash', async () => {
    const res = await login('OPS@example.com', password)
    expect(res.statusCode).toBe(200)
    const setCookie = String(res.headers['set-cookie'])
    expect(setCookie).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200(,|$)/)
    const token = cookieOf(res).split('=')[1] ?? ''
    const stored = JSON.stringify(rowsOf(await database.db.execute(sql`select * from sessions`)))
    expect(stored).not.toContain(token)
    const body = (await me(cookieOf(res))).json<{ user: { email: string }; workspaces: Array<{ name: string; role: string }> }>()
    expect(body.user.email).toBe('ops@example.com')
    expect(body.workspaces).toEqual([expect.objectContaining({ name: 'Desk', role: 'owner' })])
  })

  it('R28: an unknown account and a wrong password get byte-identical answers', async () => {
    const wrong = await login('ops@example.com', 'not the password at all')
    const unknown = await login('nobody@example.com', 'not the password at all')
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    const strip = (b: string) => b.replace(/"requestId":"[^"]+"/, '')
    expect(strip(wrong.body)).toBe(strip(unknown.body))
    expect(wrong.json()).toMatchObject({ code: 'UNAUTHENTICATED', message: LOGIN_FAILED })
  })

  it('R30: ends a session after 30 idle minutes, and after 12 hours whatever the activity', async () => {
    const cookie = cookieOf(await login('ops@example.com', password))
    clock.advance(29 * 60_000)
    expect((await me(cookie)).statusCode).toBe(200)
    clock.advance(31 * 60_000)
    expect((await me(cookie)).statusCode).toBe(401)
    const busy = cookieOf(await login('ops@example.com', password))
    for (let i = 0; i < 25; i++) {
      clock.advance(29 * 60_000) // active every 29 minutes for 12 h 5 min
      if (i < 24) expect((await me(busy)).statusCode).toBe(200)
    }
    expect((await me(busy)).statusCode).toBe(401)
  })

  it('R31: revoking session B from session A ends B at once; logout ends the session on the server', async () => {
    const a = cookieOf(await login('ops@example.com', password))
    const b = cookieOf(await login('ops@example.com', password))
    const csrf = (await me(a)).json<{ csrfToken: string }>().csrfToken
    const list = (await app.inject({ url: '/api/sessions', headers: { cookie: a } })).json<Array<{ id: string; current: boolean }>>()
    const other = list.find((s) => !s.current && s.id)
    const bId = (await app.inject({ url: '/api/sessions', headers: { cookie: b } })).json<Array<{ id: string; current: boolean }>>().find((s) => s.current)?.id
    expect(other).toBeDefined()
    const revoke = await app.inject({ method: 'DELETE', url: `/api/sessions/${bId}`, headers: { cookie: a, origin: ORIGIN, 'x-csrf-token': csrf } })
    expect(revoke.statusCode).toBe(204)
    expect((await me(b)).statusCode).toBe(401)
    const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: a, origin: ORIGIN, 'x-csrf-token': csrf } })
    expect(out.statusCode).toBe(204)
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0')
    expect((await me(a)).statusCode).toBe(401) // the old cookie no longer works anywhere
  })

  it('refuses cookie-authenticated changes without the CSRF token, and any change from another origin', async () => {
    const cookie = cookieOf(await login('ops@example.com', password))
    const noToken = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, origin: ORIGIN } })
    expect(noToken.statusCode).toBe(403)
    const csrf = (await me(cookie)).json<{ csrfToken: string }>().csrfToken
    const foreign = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, origin: 'https://evil.example', 'x-csrf-token': csrf } })
    expect(foreign.statusCode).toBe(403)
    const crossLogin = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin: 'https://evil.example' }, payload: { email: 'ops@example.com', password } })
    expect(crossLogin.statusCode).toBe(403)
    expect((await me(cookie)).statusCode).toBe(200) // none of that ended the session
  })

  it('R24: locks an account after 10 failures (even the right password waits), then lets it in', async () => {
    await addUser('trader@example.com')
    const from = (email: string, pw: string, ip = '198.51.100.1') => app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { email, password: pw } })
    for (let i = 0; i < 10; i++) expect((await from('trader@example.com', 'wrong guess number one')).statusCode).toBe(401)
    const locked = await from('trader@example.com', password)
    expect(locked.statusCode).toBe(429)
    expect(locked.json()).toMatchObject({ code: 'RATE_LIMITED' })
    // An unknown account is throttled the same way: the answers do not tell which accounts exist.
    for (let i = 0; i < 10; i++) await from('ghost@example.com', 'wrong guess number one')
    expect((await from('ghost@example.com', 'anything at all here')).json()).toMatchObject({ code: 'RATE_LIMITED', message: locked.json<{ message: string }>().message })
    clock.advance(61_000) // the first lock is one minute
    expect((await from('trader@example.com', password)).statusCode).toBe(200)
  })

  it('R24: after 100 consecutive failures the right password never succeeds; per-IP limits hold', async () => {
    await addUser('victim@example.com')
    const from = (email: string, pw: string, ip = '198.51.100.2') => app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { email, password: pw } })
    for (let i = 0; i < 100; i++) {
      clock.advance(61 * 60_000) // wait out every lock (at most an hour) and every per-IP window
      await from('victim@example.com', 'still not the password')
    }
    clock.advance(24 * 3_600_000)
    expect((await from('victim@example.com', password)).statusCode).toBe(429)
    // Per IP: 50 failures within 15 minutes pause that address, not others.
    for (let i = 0; i < 50; i++) await from(`spray${i}@example.com`, 'sprayed password guess', '203.0.113.50')
    expect((await from('ops@example.com', password, '203.0.113.50')).statusCode).toBe(429)
    expect((await from('ops@example.com', password, '203.0.113.51')).statusCode).toBe(200)
  }, 120_000)

  it('authorizes workspace routes from one deny-by-default table: members by role, others NOT_FOUND (R41)', async () => {
    const [{ workspaceId } = { workspaceId: '' }] = rowsOf<{ workspaceId: string }>(
      await database.db.execute(sql`select m.workspace_id as "workspaceId" from memberships m join users u on u.id = m.user_id where u.email = 'ops@example.com'`),
    )
    const alert = await alerts.raise({ workspaceId, rule: 'key_connected', severity: 'info' })
    if (!alert) throw new Error('the alert was not raised')
    const signIn = async (email: string) => {
      const cookie = cookieOf(await login(email, password))
      return { cookie, csrf: (await me(cookie)).json<{ csrfToken: string }>().csrfToken }
    }
    const owner = await signIn('ops@example.com')
    await addUser('viewer@example.com')
    const [viewerId] = rowsOf<{ id: string }>(await database.db.execute(sql`select id from users where email = 'viewer@example.com'`))
    await database.db.insert(schema.memberships).values({ workspaceId, userId: viewerId?.id ?? '', role: 'viewer', createdAt: clock.now() })
    const viewer = await signIn('viewer@example.com')
    await addUser('stranger@example.com')
    const stranger = await signIn('stranger@example.com')

    const list = (who: { cookie: string }, ws = workspaceId) => app.inject({ url: `/api/workspaces/${ws}/alerts`, headers: { cookie: who.cookie } })
    const ack = (who: { cookie: string; csrf: string }) =>
      app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/alerts/${alert.id}/read`, headers: { cookie: who.cookie, origin: ORIGIN, 'x-csrf-token': who.csrf } })
    // The table says who may: both roles read, only the owner (trader and up) acknowledges.
    expect(policy['alerts.read']).toContain('viewer')
    expect(policy['alerts.acknowledge']).not.toContain('viewer')
    // (sign-ins without a device cookie also raised new-device alerts here; this test is about the table)
    expect((await list(owner)).json<Array<{ rule: string }>>().filter((a) => a.rule === 'key_connected')).toEqual([expect.objectContaining({ id: alert.id, rule: 'key_connected' })])
    expect((await list(viewer)).statusCode).toBe(200)
    expect((await ack(viewer)).statusCode).toBe(403)
    expect((await list(stranger)).json()).toMatchObject({ code: 'NOT_FOUND' }) // another workspace's existence is not revealed
    expect((await list(owner, newId())).statusCode).toBe(404)
    expect((await ack(owner)).statusCode).toBe(204)
    expect((await list(owner)).json<Array<{ id: string; readAt: string | null }>>().find((a) => a.id === alert.id)?.readAt).not.toBeNull()
  })

  it('answers 401 without a session and 400 for unknown fields', async () => {
    expect((await me('')).statusCode).toBe(401)
    expect((await me('__Host-sid=forged')).statusCode).toBe(401)
    const extra = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ops@example.com', password, remember: true } })
    expect(extra.json()).toMatchObject({ code: 'BAD_INPUT', message: 'body: unknown field "remember"' })
  })
})
