import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { hashPassword } from './password.js'
import { insertUserWithWorkspace } from './workspace-store.js'
import { createSessionService } from './session-service.js'

/**
 * The session cache (one lookup per second per session) must honour revocation: at once in the
 * instance that revoked, and within a second of the clock in any other api instance (R31).
 */
describe.each(backends)('session cache on %s', (kind) => {
  let database: TestDatabase
  let userId = ''
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const csrfKey = randomBytes(32)

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const hash = await hashPassword('violet ostrich carburetor lighthouse')
    ;({ userId } = await database.db.transaction((tx) => insertUserWithWorkspace(tx, { email: 'a@example.com', displayName: 'a', passwordHash: hash, isOperator: false }, 'P', clock.now())))
  })
  afterAll(async () => {
    await database.dispose()
  })

  it('a revocation by another instance shows within one second; by the same instance at once', async () => {
    const one = createSessionService({ db: database.db, clock, csrfKey })
    const two = createSessionService({ db: database.db, clock, csrfKey })
    const a = await one.create(userId, {})
    const b = await one.create(userId, {})
    expect(await one.authenticate(a.token)).toBeDefined()
    expect(await two.authenticate(a.token)).toBeDefined() // now cached in both
    await two.revoke(userId, a.sessionId)
    expect(await two.authenticate(a.token)).toBeUndefined() // the revoking instance: at once
    expect(await one.authenticate(a.token)).toBeDefined() // the other: still cached …
    clock.advance(1_000)
    expect(await one.authenticate(a.token)).toBeUndefined() // … for at most a second
    expect(await one.authenticate(b.token)).toBeDefined()
  })

  it('a step-up is visible at once (the cached session is dropped)', async () => {
    const svc = createSessionService({ db: database.db, clock, csrfKey })
    const s = await svc.create(userId, {})
    clock.advance(10 * 60_000)
    const before = await svc.authenticate(s.token)
    expect(before && svc.stepUpUntil(before)).toBeUndefined()
    await svc.markAuthenticated(s.sessionId, 'totp')
    const after = await svc.authenticate(s.token)
    expect(after?.authenticatedWith).toBe('totp')
    expect(after && svc.stepUpUntil(after)).toBeDefined()
  })
})
