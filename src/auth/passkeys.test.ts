import { createHash } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createSoftAuthenticator, type SoftAuthenticator } from '../../test/support/soft-authenticator.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createAlerts, createAuditChain } from '../monitoring/index.js'
import { insertUserWithWorkspace } from './workspace-store.js'
import { CHALLENGE_TTL_MS, createPasskeyService, PASSKEY_FAILED, passkeyUserHandle, type PasskeyService } from './passkeys.js'

const ORIGIN = 'http://localhost:8080'

describe.each(backends)('passkeys on %s (R25)', (kind) => {
  let database: TestDatabase
  let passkeys: PasskeyService
  let alerts: ReturnType<typeof createAlerts>
  const clock = createManualClock('2026-12-04T08:00:00Z')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    const audit = createAuditChain({ db: database.db, clock })
    alerts = createAlerts({ db: database.db, clock })
    passkeys = createPasskeyService({ db: database.db, clock, audit, alerts, rpId: 'localhost', rpName: 'Bulwark', origin: ORIGIN })
  })
  afterAll(async () => {
    await database.dispose()
  })

  type Account = { userId: string; workspaceId: string; email: string; sessionId: string; authenticator: SoftAuthenticator }

  let accountCount = 0
  const newAccount = async (): Promise<Account> => {
    accountCount += 1
    const email = `user${accountCount}-${newId().slice(-6)}@example.com`
    const ids = await database.db.transaction((tx) => insertUserWithWorkspace(tx, { email, displayName: `User ${accountCount}`, passwordHash: null, isOperator: false }, 'Personal', clock.now()))
    return { ...ids, email, sessionId: newId(), authenticator: createSoftAuthenticator({ origin: ORIGIN }) }
  }

  const register = async (a: Account, name = 'Laptop') => {
    const options = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'Someone', sessionId: a.sessionId })
    return passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response: a.authenticator.register(options), name })
  }

  /** An account with one registered passkey. */
  const enrolled = async () => {
    const a = await newAccount()
    const { id } = await register(a)
    return { ...a, passkeyId: id }
  }

  const stepUpOptions = (a: Account, sessionId = a.sessionId) => passkeys.authenticationOptions({ purpose: 'step_up', userId: a.userId, sessionId })

  const refusedWith = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', message: PASSKEY_FAILED })
    return err as AppError
  }

  const auditOf = async (type: string, userId: string) => {
    const rows = await database.db.select().from(schema.auditEvents).where(and(eq(schema.auditEvents.type, type), eq(schema.auditEvents.actorId, userId)))
    return rows.map((r) => ({ outcome: r.outcome, details: r.details as Record<string, unknown> }))
  }

  const storedPasskey = async (id: string) => {
    const [row] = await database.db.select().from(schema.passkeys).where(eq(schema.passkeys.id, id))
    if (!row) throw new Error(`passkey ${id} is not stored`)
    return row
  }

  it('registers a passkey with a none attestation and signs in with it without a password', async () => {
    const a = await newAccount()
    const options = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'Ada', sessionId: a.sessionId })
    expect(options.attestation).toBe('none')
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' })
    expect(options.rp).toEqual({ id: 'localhost', name: 'Bulwark' })
    // The user handle is our id's 16 bytes, never the email.
    expect(options.user.id).toBe(Buffer.from(a.userId.replace(/-/g, ''), 'hex').toString('base64url'))
    expect(Buffer.from(options.user.id, 'base64url')).toHaveLength(16)
    expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16)

    const registered = await passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response: a.authenticator.register(options), name: '  Work laptop  ' })
    expect(registered.name).toBe('Work laptop')
    const row = await storedPasskey(registered.id)
    const [held] = a.authenticator.credentials()
    expect(row).toMatchObject({ userId: a.userId, credentialId: held?.id, counter: 0, transports: ['internal'], deviceType: 'singleDevice', backedUp: false })
    expect(await auditOf('passkey_registered', a.userId)).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ authenticator: registered.id }) })])

    // The next registration excludes the passkey the user already has.
    const again = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'Ada', sessionId: a.sessionId })
    expect(again.excludeCredentials?.map((c) => c.id)).toEqual([held?.id])

    const login = await passkeys.authenticationOptions({ purpose: 'login' })
    expect(login.allowCredentials).toEqual([])
    expect(login.userVerification).toBe('preferred')
    clock.advance(1000)
    const assertion = a.authenticator.authenticate(login)
    expect(assertion.response.userHandle).toBe(options.user.id)
    const result = await passkeys.verifyAuthentication({ purpose: 'login', response: assertion, requireUserVerification: false })
    expect(result).toEqual({ userId: a.userId, passkeyId: registered.id, userVerified: true })
    const after = await storedPasskey(registered.id)
    expect(after.counter).toBe(1)
    expect(after.lastUsedAt?.toISOString()).toBe(clock.now().toISOString())
  })

  it('accepts a passkey as the second factor of the user it belongs to, listing only their credentials', async () => {
    const a = await enrolled()
    const options = await passkeys.authenticationOptions({ purpose: 'second_factor', userId: a.userId })
    expect(options.allowCredentials?.map((c) => c.id)).toEqual(a.authenticator.credentials().map((c) => c.id))
    expect(options.userVerification).toBe('preferred')
    const result = await passkeys.verifyAuthentication({ purpose: 'second_factor', userId: a.userId, response: a.authenticator.authenticate(options, { userVerified: false }), requireUserVerification: false })
    expect(result).toEqual({ userId: a.userId, passkeyId: a.passkeyId, userVerified: false })
  })

  it('refuses an assertion replayed with its already used challenge', async () => {
    const a = await enrolled()
    const assertion = a.authenticator.authenticate(await stepUpOptions(a))
    const verify = () => passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: assertion, requireUserVerification: true })
    await verify()
    await refusedWith(verify())
    expect(await auditOf('passkey_failed', a.userId)).toEqual([{ outcome: 'failure', details: { purpose: 'step_up', reason: 'challenge_unknown_used_expired_or_unbound' } }])
  })

  it('uses a challenge once even when two verifications race', async () => {
    const a = await enrolled()
    const assertion = a.authenticator.authenticate(await stepUpOptions(a))
    const verify = () => passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: assertion, requireUserVerification: true })
    const outcomes = await Promise.allSettled([verify(), verify(), verify()])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
  })

  it('refuses an assertion made for another origin, and says why only in the audit log', async () => {
    const a = await enrolled()
    const err = await refusedWith(
      passkeys.verifyAuthentication({
        purpose: 'step_up',
        userId: a.userId,
        sessionId: a.sessionId,
        response: a.authenticator.authenticate(await stepUpOptions(a), { origin: 'https://localhost.evil.example' }),
        requireUserVerification: true,
      }),
    )
    expect(JSON.stringify({ message: err.message, reason: err.reason, details: err.details })).not.toContain('evil')
    const [failure] = await auditOf('passkey_failed', a.userId)
    expect(failure?.details).toMatchObject({ reason: 'verification_failed', detail: expect.stringContaining('https://localhost.evil.example') })
    // The same authenticator at the right origin is fine: the origin alone made the difference.
    await passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: a.authenticator.authenticate(await stepUpOptions(a)), requireUserVerification: true })
  })

  it('refuses a registration made for another origin', async () => {
    const a = await newAccount()
    const options = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'A', sessionId: a.sessionId })
    await refusedWith(passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response: a.authenticator.register(options, { origin: 'http://localhost:8081' }) }))
    expect(await passkeys.count(a.userId)).toBe(0)
  })

  it('requires user verification for step-up, whatever the caller asks for', async () => {
    const a = await enrolled()
    const options = await stepUpOptions(a)
    expect(options.userVerification).toBe('required')
    for (const requireUserVerification of [true, false]) {
      const response = a.authenticator.authenticate(await stepUpOptions(a), { userVerified: false })
      await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response, requireUserVerification }))
    }
    const ok = await passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: a.authenticator.authenticate(options), requireUserVerification: true })
    expect(ok.userVerified).toBe(true)
  })

  it('refuses an assertion without user presence', async () => {
    const a = await enrolled()
    const options = await passkeys.authenticationOptions({ purpose: 'second_factor', userId: a.userId })
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'second_factor', userId: a.userId, response: a.authenticator.authenticate(options, { userPresent: false }), requireUserVerification: false }))
  })

  it('refuses a counter that went backwards as a suspected clone, with an audit event and a critical alert', async () => {
    const a = await enrolled()
    const stepUp = async (counter: number) =>
      passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: a.authenticator.authenticate(await stepUpOptions(a), { counter }), requireUserVerification: true })
    await stepUp(10)
    expect((await storedPasskey(a.passkeyId)).counter).toBe(10)

    await refusedWith(stepUp(5))
    await refusedWith(stepUp(10)) // equal is not forward either
    expect((await storedPasskey(a.passkeyId)).counter).toBe(10)
    const events = await auditOf('authenticator_clone_suspected', a.userId)
    expect(events).toHaveLength(2)
    expect(events[0]).toEqual({ outcome: 'denied', details: expect.objectContaining({ authenticator: a.passkeyId, storedCounter: 10, receivedCounter: 5 }) })
    const raised = await alerts.list(a.workspaceId)
    expect(raised).toEqual([expect.objectContaining({ rule: 'authenticator_clone_suspected', severity: 'critical', occurrences: 2 })])
    expect(raised[0]?.details).toMatchObject({ userId: a.userId, authenticator: a.passkeyId })

    await stepUp(11)
    expect((await storedPasskey(a.passkeyId)).counter).toBe(11)
  })

  it('accepts authenticators that keep their counter at zero', async () => {
    const a = await enrolled()
    for (let i = 0; i < 2; i += 1) {
      await passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: a.authenticator.authenticate(await stepUpOptions(a), { counter: 0 }), requireUserVerification: true })
    }
    expect(await alerts.list(a.workspaceId)).toEqual([])
  })

  it('refuses a challenge five minutes and one second old, and accepts one a second younger than five minutes', async () => {
    const a = await enrolled()
    const young = a.authenticator.authenticate(await stepUpOptions(a))
    clock.advance(CHALLENGE_TTL_MS - 1000)
    await passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: young, requireUserVerification: true })

    const old = a.authenticator.authenticate(await stepUpOptions(a))
    clock.advance(CHALLENGE_TTL_MS + 1000)
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: old, requireUserVerification: true }))
    expect(await passkeys.purgeExpiredChallenges()).toBeGreaterThanOrEqual(1)
  })

  it('binds a challenge to the session it was issued for', async () => {
    const a = await enrolled()
    const assertion = a.authenticator.authenticate(await stepUpOptions(a))
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: newId(), response: assertion, requireUserVerification: true }))
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, response: assertion, requireUserVerification: true }))
    // Still unused: the session it belongs to can use it.
    await passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: assertion, requireUserVerification: true })
  })

  it('binds a challenge to its purpose', async () => {
    const a = await enrolled()
    const assertion = a.authenticator.authenticate(await passkeys.authenticationOptions({ purpose: 'second_factor', userId: a.userId, sessionId: a.sessionId }))
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: assertion, requireUserVerification: true }))
  })

  it("refuses another user's passkey as a second factor", async () => {
    const victim = await enrolled()
    const attacker = await enrolled()
    const options = await passkeys.authenticationOptions({ purpose: 'second_factor', userId: victim.userId })
    const [attackerCredential] = attacker.authenticator.credentials()
    const response = attacker.authenticator.authenticate(options, { credentialId: attackerCredential?.id })
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'second_factor', userId: victim.userId, response, requireUserVerification: false }))
    expect((await auditOf('passkey_failed', victim.userId)).map((e) => e.details['reason'])).toEqual(['credential_of_another_user'])
  })

  it("refuses a discoverable sign-in whose user handle is not the credential's user", async () => {
    const a = await enrolled()
    const other = await newAccount()
    const response = a.authenticator.authenticate(await passkeys.authenticationOptions({ purpose: 'login' }), { userHandle: Buffer.from(passkeyUserHandle(other.userId)).toString('base64url') })
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'login', response, requireUserVerification: false }))
  })

  it('refuses an unknown credential and a forged signature', async () => {
    const a = await enrolled()
    const stranger = createSoftAuthenticator({ origin: ORIGIN })
    stranger.register(await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'A', sessionId: a.sessionId }))
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'login', response: stranger.authenticate(await passkeys.authenticationOptions({ purpose: 'login' })), requireUserVerification: false }))

    const genuine = a.authenticator.authenticate(await stepUpOptions(a))
    const signature = Buffer.from(genuine.response.signature, 'base64url')
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1
    const forged = { ...genuine, response: { ...genuine.response, signature: signature.toString('base64url') } }
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'step_up', userId: a.userId, sessionId: a.sessionId, response: forged, requireUserVerification: true }))
    const reasons = (await auditOf('passkey_failed', a.userId)).map((e) => e.details['reason'])
    expect(reasons).toContain('bad_signature')
  })

  it('confirms an operation only with an assertion over that operation’s hash, user-verified', async () => {
    const a = await enrolled()
    const opHash = (op: object) => new Uint8Array(createHash('sha256').update(JSON.stringify(op)).digest())
    const raise = opHash({ op: 'raise_limit', key: 'k1', nonce: newId() })
    const other = opHash({ op: 'raise_limit', key: 'k2', nonce: newId() })
    // A prompt the user dismissed: the same operation's challenge can be asked for again while unused.
    await passkeys.authenticationOptions({ purpose: 'confirm', userId: a.userId, sessionId: a.sessionId, challenge: raise })
    const options = await passkeys.authenticationOptions({ purpose: 'confirm', userId: a.userId, sessionId: a.sessionId, challenge: raise })
    expect(options.challenge).toBe(Buffer.from(raise).toString('base64url'))
    expect(options.userVerification).toBe('required')
    const response = a.authenticator.authenticate(options)
    const confirm = (expectedChallenge: Uint8Array) => passkeys.verifyAuthentication({ purpose: 'confirm', userId: a.userId, sessionId: a.sessionId, response, requireUserVerification: true, expectedChallenge })
    await refusedWith(confirm(other))
    await confirm(raise)
    await expect(passkeys.authenticationOptions({ purpose: 'confirm', userId: a.userId, sessionId: a.sessionId, challenge: raise })).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(passkeys.authenticationOptions({ purpose: 'confirm', userId: a.userId, challenge: new Uint8Array(8) })).rejects.toMatchObject({ code: 'BAD_INPUT' })
  })

  it('lists, renames and removes only the owner’s passkeys', async () => {
    const a = await enrolled()
    const b = await enrolled()
    clock.advance(1000)
    const second = await register({ ...a, authenticator: createSoftAuthenticator({ origin: ORIGIN }) }, 'Phone')
    expect(await passkeys.count(a.userId)).toBe(2)
    expect((await passkeys.list(a.userId)).map((p) => p.name)).toEqual(['Laptop', 'Phone'])

    await expect(passkeys.rename(a.userId, second.id, '  Old phone ')).resolves.toEqual({ id: second.id, name: 'Old phone' })
    await expect(passkeys.rename(a.userId, second.id, '   ')).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(passkeys.rename(a.userId, second.id, 'x'.repeat(61))).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(passkeys.rename(b.userId, second.id, 'Mine now')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(passkeys.remove(b.userId, second.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(passkeys.remove(a.userId, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect((await passkeys.list(a.userId)).map((p) => p.name)).toEqual(['Laptop', 'Old phone'])

    await passkeys.remove(a.userId, a.passkeyId)
    expect(await passkeys.list(a.userId)).toEqual([expect.objectContaining({ id: second.id, name: 'Old phone', deviceType: 'singleDevice', lastUsedAt: null })])
    expect(await passkeys.count(b.userId)).toBe(1)
    expect(await auditOf('passkey_removed', a.userId)).toEqual([expect.objectContaining({ outcome: 'success' })])
    // A removed passkey signs nobody in.
    await refusedWith(passkeys.verifyAuthentication({ purpose: 'login', response: a.authenticator.authenticate(await passkeys.authenticationOptions({ purpose: 'login' })), requireUserVerification: false }))
  })

  it('refuses to register the same credential twice, for the same user or another', async () => {
    const a = await enrolled()
    const b = await newAccount()
    const [held] = a.authenticator.credentials()
    const optionsA = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'A', sessionId: a.sessionId })
    // A well-behaved authenticator honours the exclude list; a client that ignores it meets the database.
    expect(() => a.authenticator.register(optionsA)).toThrow(/InvalidStateError/)
    await expect(passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response: a.authenticator.register(optionsA, { credentialId: held?.id }) })).rejects.toMatchObject({ code: 'CONFLICT' })
    const optionsB = await passkeys.registrationOptions({ userId: b.userId, email: b.email, displayName: 'B', sessionId: b.sessionId })
    await expect(passkeys.verifyRegistration({ userId: b.userId, sessionId: b.sessionId, response: a.authenticator.register(optionsB, { credentialId: held?.id }) })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await passkeys.count(a.userId)).toBe(1)
    expect(await passkeys.count(b.userId)).toBe(0)
  })

  it('refuses a registration challenge presented by another user or session', async () => {
    const a = await newAccount()
    const b = await newAccount()
    const options = await passkeys.registrationOptions({ userId: a.userId, email: a.email, displayName: 'A', sessionId: a.sessionId })
    const response = a.authenticator.register(options)
    await refusedWith(passkeys.verifyRegistration({ userId: b.userId, sessionId: a.sessionId, response }))
    await refusedWith(passkeys.verifyRegistration({ userId: a.userId, sessionId: newId(), response }))
    await passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response })
    await refusedWith(passkeys.verifyRegistration({ userId: a.userId, sessionId: a.sessionId, response }))
  })
})
