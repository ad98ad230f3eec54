import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sql } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createLogger } from '../lib/logger.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { rowsOf } from '../db/index.js'
import { createAuditChain, verifyAllChains } from '../monitoring/index.js'
import { createOperatorSetup } from '../auth/index.js'
import { buildApp } from './app.js'
import type { App } from './app-types.js'

const config = { BODY_LIMIT_BYTES: 2_048, TRUSTED_PROXIES: [] as string[], PUBLIC_ORIGIN: 'http://localhost:8080' }

describe('client IP', () => {
  const build = async (trusted: string[]) => {
    const app = await buildApp({
      config: { ...config, TRUSTED_PROXIES: trusted },
      logger: createLogger({ level: 'silent' }),
      version: '0',
      readiness: {},
      setup: { needsSetup: async () => false, claim: async () => ({ userId: '', workspaceId: '' }) },
    })
    app.get('/t/ip', async (req) => ({ ip: req.ip }))
    await app.ready()
    return app
  }
  const ipSeen = async (app: App, remoteAddress: string) =>
    (await app.inject({ url: '/t/ip', remoteAddress, headers: { 'x-forwarded-for': '198.51.100.23' } })).json<{ ip: string }>().ip

  it('comes from the socket unless the peer is a configured proxy', async () => {
    const direct = await build([])
    expect(await ipSeen(direct, '203.0.113.5')).toBe('203.0.113.5') // a forged X-Forwarded-For is ignored
    await direct.close()
    const proxied = await build(['10.0.0.0/8'])
    expect(await ipSeen(proxied, '10.1.2.3')).toBe('198.51.100.23')
    expect(await ipSeen(proxied, '203.0.113.5')).toBe('203.0.113.5') // not our proxy: not believed
    await proxied.close()
  })
})

describe.each(backends)('HTTP app on %s', (kind) => {
  let database: TestDatabase
  let app: App
  let logs: string[]
  const clock = createManualClock('2026-12-04T10:00:00Z')
  let setup: ReturnType<typeof createOperatorSetup>

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    logs = []
    const sink = new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) })
    const audit = createAuditChain({ db: database.db, clock })
    setup = createOperatorSetup({ db: database.db, clock, audit, tokenTtlHours: 1 })
    app = await buildApp({
      config,
      logger: createLogger({ level: 'info', destination: sink }),
      version: '9.9.9',
      readiness: { database: async () => (await database.ping(), 'ok'), signer: async () => 'starting' },
      setup,
    })
    // Routes that exist only here, to drive the error handler through every kind of failure.
    const probe = app.withTypeProvider()
    probe.post('/t/strict', { schema: { body: z.object({ amount: z.string().regex(/^\d+$/, 'must be a whole number') }).strict() } }, async () => ({ ok: true }))
    probe.get('/t/app-error', async () => {
      throw new AppError('CONFLICT', 'the key "k1" is already connected')
    })
    probe.get('/t/boom', async () => {
      throw new Error('db password is hunter2')
    })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await database.dispose()
  })

  it('answers health and readiness with every check named', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ status: 'not_ready', checks: { database: 'ok', signer: 'starting' } })
  })

  it('maps errors to { code, message, requestId } with the status from the table', async () => {
    const conflict = await app.inject({ url: '/t/app-error' })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json()).toEqual({ code: 'CONFLICT', message: 'the key "k1" is already connected', requestId: conflict.headers['x-request-id'] })

    const bad = await app.inject({ method: 'POST', url: '/t/strict', payload: { amount: '1.5' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'BAD_INPUT', message: 'body.amount: must be a whole number' })

    const unknownField = await app.inject({ method: 'POST', url: '/t/strict', payload: { amount: '1', admin: true } })
    expect(unknownField.json()).toMatchObject({ code: 'BAD_INPUT', message: 'body: unknown field "admin"' })

    const notJson = await app.inject({ method: 'POST', url: '/t/strict', headers: { 'content-type': 'application/json' }, payload: '{"amount":' })
    expect(notJson.json()).toMatchObject({ code: 'BAD_INPUT', message: 'the request body is not valid JSON' })

    const tooLarge = await app.inject({ method: 'POST', url: '/t/strict', payload: { amount: '1'.repeat(5_000) } })
    expect(tooLarge.statusCode).toBe(413)
    expect(tooLarge.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })

    const wrongType = await app.inject({ method: 'POST', url: '/t/strict', headers: { 'content-type': 'text/plain' }, payload: 'amount=1' })
    expect(wrongType.statusCode).toBe(415)

    const missing = await app.inject({ url: '/api/nothing-here' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /api/nothing-here' })
  })

  it('turns unknown errors into INTERNAL with no detail, keeping the cause in the log only', async () => {
    const res = await app.inject({ url: '/t/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ code: 'INTERNAL', message: 'internal error', requestId: res.headers['x-request-id'] })
    expect(res.body).not.toContain('hunter2')
  })

  it('sends a strict CSP and never logs a password from a request body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/setup', payload: { token: 'x'.repeat(20), email: 'op@example.com', password: 'CANARY-password-9f8e7d6c' } })
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(logs.join('')).not.toContain('CANARY-password')
  })

  it('publishes an OpenAPI document built from the route schemas', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { openapi: string; info: { version: string }; paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info.version).toBe('9.9.9')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/version', '/api/setup']))
    expect(JSON.stringify(doc.paths['/api/setup'])).toContain('workspaceName')
  })

  it('lets the setup token claim the instance exactly once, and audits refusals', async () => {
    expect((await app.inject({ url: '/api/setup' })).json()).toEqual({ needsSetup: true })
    const issued = await setup.issueSetupToken()
    if (!issued) throw new Error('expected a token')
    const body = { token: issued.token, email: 'Operator@Example.com', password: 'violet ostrich carburetor lighthouse', workspaceName: 'Desk' }

    const wrong = await app.inject({ method: 'POST', url: '/api/setup', payload: { ...body, token: 'y'.repeat(32) } })
    expect(wrong.statusCode).toBe(403)
    const weak = await app.inject({ method: 'POST', url: '/api/setup', payload: { ...body, password: 'short' } })
    expect(weak.json()).toMatchObject({ code: 'PASSWORD_REJECTED', reason: 'TOO_SHORT', message: expect.stringMatching(/^password: /) })

    const ok = await app.inject({ method: 'POST', url: '/api/setup', payload: body })
    expect(ok.statusCode).toBe(201)
    const again = await app.inject({ method: 'POST', url: '/api/setup', payload: body })
    expect(again.statusCode).toBe(403) // the token is spent
    expect((await app.inject({ url: '/api/setup' })).json()).toEqual({ needsSetup: false })
    expect(await setup.issueSetupToken()).toBeUndefined()

    const users = rowsOf<{ email: string; password_hash: string; is_operator: boolean }>(await database.db.execute(sql`select email, password_hash, is_operator from users`))
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ email: 'operator@example.com', is_operator: true })
    expect(users[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    const tokens = rowsOf<{ token_hash: string }>(await database.db.execute(sql`select token_hash from setup_tokens`))
    expect(JSON.stringify(tokens)).not.toContain(issued.token) // stored hashed

    const types = rowsOf<{ type: string; outcome: string }>(await database.db.execute(sql`select type, outcome from audit_events order by chain, seq`)).map((r) => `${r.type}:${r.outcome}`)
    expect(types).toEqual(expect.arrayContaining(['setup_claim_refused:denied', 'operator_created:success', 'workspace_created:success']))
    expect((await verifyAllChains(database.db)).every((v) => v.ok)).toBe(true)
  })
})
