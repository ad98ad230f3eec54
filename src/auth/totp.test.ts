import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { aeadEncrypt, canonicalJson } from '../crypto/index.js'
import { rowsOf, schema } from '../db/index.js'
import { createAlerts } from '../monitoring/index.js'
import { insertUserWithWorkspace } from './workspace-store.js'
import { createTotpService, totpParameters, WRONG_TOTP_CODE, type TotpService } from './totp.js'

const { totpCredentials } = schema
const STEP_MS = totpParameters.period * 1000

/** What an authenticator app computes: the same parameters the service uses. */
const codeAt = (secretBase32: string, timestampMs: number, digits: number = totpParameters.digits) =>
  TOTP.generate({ secret: Secret.fromBase32(secretBase32), algorithm: totpParameters.algorithm, digits, period: totpParameters.period, timestamp: timestampMs })

/** RFC 6238 Appendix B, SHA-1 rows: seed ASCII "12345678901234567890", 8 digits. */
const rfcSeed = Buffer.from('12345678901234567890', 'ascii')
const rfcVectors: Array<[seconds: number, code: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP parameters (R23)', () => {
  it.each(rfcVectors)('reproduces RFC 6238 Appendix B at T=%i s (%s), and its last 6 digits with our 6-digit setting', (seconds, expected) => {
    const secret = new Secret({ buffer: new Uint8Array(rfcSeed).buffer })
    const params = { secret, algorithm: totpParameters.algorithm, period: totpParameters.period, timestamp: seconds * 1000 }
    expect(TOTP.generate({ ...params, digits: 8 })).toBe(expected)
    expect(TOTP.generate({ ...params, digits: totpParameters.digits })).toBe(expected.slice(-6))
  })

  it('is what authenticator apps expect: SHA-1, 6 digits, 30 s, ±1 step', () => {
    expect(totpParameters).toEqual({ algorithm: 'SHA1', digits: 6, period: 30, window: 1 })
  })
})

describe.each(backends)('TOTP on %s (R23)', (kind) => {
  let database: TestDatabase
  let totp: TotpService
  let alerts: ReturnType<typeof createAlerts>
  const clock = createManualClock('2026-12-04T08:00:10Z')
  const seedKey = randomBytes(32)

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    alerts = createAlerts({ db: database.db, clock })
    totp = createTotpService({ db: database.db, clock, seedKey, alerts })
  })
  afterAll(async () => {
    await database.dispose()
  })

  const addUser = async () => {
    const email = `u${randomBytes(4).toString('hex')}@example.com`
    const { userId } = await database.db.transaction((tx) => insertUserWithWorkspace(tx, { email, displayName: email, passwordHash: null, isOperator: false }, 'Personal', clock.now()))
    return { userId, email }
  }
  /** A user with a confirmed authenticator; the confirming code used a step well in the past. */
  const enrolled = async () => {
    const user = await addUser()
    const { secret } = await totp.beginSetup(user.userId, user.email)
    await totp.confirm(user.userId, codeAt(secret, clock.now().getTime()))
    clock.advance(10 * STEP_MS)
    return { ...user, secret }
  }
  /** A 6-digit code that no step in the ±1 window produces, so a refusal is not a coincidence. */
  const wrongCode = (secret: string, at: number) => {
    const window = [-1, 0, 1].map((d) => codeAt(secret, at + d * STEP_MS))
    let n = Number(window[1])
    do n = (n + 1) % 1_000_000
    while (window.includes(String(n).padStart(6, '0')))
    return String(n).padStart(6, '0')
  }
  /** Whether `code` (from another step) happens to equal one of the accepted window's codes. */
  const inWindow = (secret: string, at: number, code: string) => [-1, 0, 1].some((d) => codeAt(secret, at + d * STEP_MS) === code)
  const storedRow = async (userId: string) => (await database.db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)))[0]

  it('enrols: a QR code and otpauth URI for the app, pending until a first code confirms it', async () => {
    const { userId, email } = await addUser()
    const setup = await totp.beginSetup(userId, email)
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/) // 32 base32 characters = 160 bits
    expect(setup.otpauthUri).toBe(
      `otpauth://totp/Bulwark:${encodeURIComponent(email)}?issuer=Bulwark&secret=${setup.secret}&algorithm=SHA1&digits=6&period=30`,
    )
    expect(setup.qrDataUrl).toMatch(/^data:image\/png;base64,/)
    expect(Buffer.from(setup.qrDataUrl.split(',')[1] ?? '', 'base64').subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(await totp.status(userId)).toEqual({ enabled: false, pending: true })

    const now = clock.now().getTime()
    await expect(totp.verify(userId, codeAt(setup.secret, now))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' }) // not confirmed yet
    await expect(totp.confirm(userId, wrongCode(setup.secret, now))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: WRONG_TOTP_CODE })
    await totp.confirm(userId, codeAt(setup.secret, now))
    expect(await totp.status(userId)).toEqual({ enabled: true, pending: false })
    // The confirming code's step is used up.
    await expect(totp.verify(userId, codeAt(setup.secret, now))).rejects.toMatchObject({ code: 'OTP_REPLAY', status: 401 })
    await expect(totp.beginSetup(userId, email)).rejects.toMatchObject({ code: 'CONFLICT' })
    await expect(totp.confirm(userId, codeAt(setup.secret, now))).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await totp.status((await addUser()).userId)).toEqual({ enabled: false, pending: false })
  })

  it('a restarted setup replaces the pending seed: the first QR code no longer confirms', async () => {
    const { userId, email } = await addUser()
    const first = await totp.beginSetup(userId, email)
    const second = await totp.beginSetup(userId, email)
    expect(second.secret).not.toBe(first.secret)
    const now = clock.now().getTime()
    if (codeAt(first.secret, now) !== codeAt(second.secret, now)) {
      await expect(totp.confirm(userId, codeAt(first.secret, now))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    }
    await totp.confirm(userId, codeAt(second.secret, now))
    expect(await totp.status(userId)).toEqual({ enabled: true, pending: false })
  })

  it('accepts the steps now, −1 and +1 only, and refuses −2 and +2', async () => {
    const { userId, secret } = await enrolled()
    const now = clock.now().getTime()
    for (const outside of [codeAt(secret, now - 2 * STEP_MS), codeAt(secret, now + 2 * STEP_MS)]) {
      // One chance in ~300,000 that a far step's code equals a near one's; that would be a match, not a bug.
      if (!inWindow(secret, now, outside)) await expect(totp.verify(userId, outside)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    }
    await totp.verify(userId, codeAt(secret, now - STEP_MS))
    await totp.verify(userId, codeAt(secret, now))
    await totp.verify(userId, codeAt(secret, now + STEP_MS))
    expect((await storedRow(userId))?.lastUsedStep).toBe(Math.floor(now / STEP_MS) + 1)
  })

  it('verifies RFC 6238 codes for a stored RFC seed, pinning the ciphertext format and its AAD', async () => {
    const { userId } = await addUser()
    // v1. + base64url(AES-256-GCM(seed, AAD = canonical {v, purpose, userId})): changing it strands every stored seed.
    const aad = Buffer.from(canonicalJson({ v: 1, purpose: 'totp_seed', userId }))
    const seedCiphertext = `v1.${aeadEncrypt(seedKey, rfcSeed, aad).toString('base64url')}`
    await database.db.insert(totpCredentials).values({ userId, seedCiphertext, createdAt: clock.now(), confirmedAt: clock.now() })
    const rfcClock = createManualClock(0)
    const rfcTotp = createTotpService({ db: database.db, clock: rfcClock, seedKey })
    for (const [seconds, code] of rfcVectors) {
      rfcClock.set(seconds * 1000)
      await rfcTotp.verify(userId, code.slice(-6))
    }
    expect((await storedRow(userId))?.lastUsedStep).toBe(Math.floor(20000000000 / 30))
  })

  it('refuses a replay of the same code, and an older step once a newer one was accepted (otp_replay)', async () => {
    const { userId, secret } = await enrolled()
    const now = clock.now().getTime()
    await totp.verify(userId, codeAt(secret, now))
    await expect(totp.verify(userId, codeAt(secret, now))).rejects.toMatchObject({ code: 'OTP_REPLAY', status: 401 })

    clock.advance(STEP_MS)
    const later = clock.now().getTime()
    await totp.verify(userId, codeAt(secret, later))
    // The previous step is still inside the ±1 window, but older than the last accepted one.
    await expect(totp.verify(userId, codeAt(secret, later - STEP_MS))).rejects.toMatchObject({ code: 'OTP_REPLAY' })
  })

  it('accepts a code exactly once when ten requests race with it', async () => {
    const { userId, secret } = await enrolled()
    const code = codeAt(secret, clock.now().getTime())
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => totp.verify(userId, code)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(rejected.map((r) => (r.reason as { code: string }).code)).toEqual(Array(9).fill('OTP_REPLAY'))
  })

  it('takes codes with spaces; anything that is not six digits is just a wrong code', async () => {
    const { userId, secret } = await enrolled()
    const code = codeAt(secret, clock.now().getTime())
    for (const bad of ['', 'abcdef', '12345', '1234567', `${code}0`, '12-34-56', '１２３４５６', '123456\u0000']) {
      await expect(totp.verify(userId, bad)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: WRONG_TOTP_CODE })
    }
    await totp.verify(userId, ` ${code.slice(0, 3)} ${code.slice(3)} `)
  })

  it('keeps the seed encrypted at rest, bound to its user: a row copied to another user fails with an integrity error', async () => {
    const a = await enrolled()
    const b = await enrolled()
    const row = await storedRow(a.userId)
    if (!row) throw new Error('no row')
    expect(row.seedCiphertext).toMatch(/^v1\.[A-Za-z0-9_-]+$/)
    const seed = Secret.fromBase32(a.secret).bytes
    const seedBuf = Buffer.from(seed)
    const dump = JSON.stringify(rowsOf(await database.db.execute(sql`select * from totp_credentials`)))
    for (const form of [a.secret, a.secret.toLowerCase(), seedBuf.toString('hex'), seedBuf.toString('base64'), seedBuf.toString('base64url'), seedBuf.toString('latin1')]) {
      expect(dump).not.toContain(form)
    }
    expect(Buffer.from(row.seedCiphertext.slice(3), 'base64url').includes(seedBuf)).toBe(false)

    await database.db.update(totpCredentials).set({ seedCiphertext: row.seedCiphertext }).where(eq(totpCredentials.userId, b.userId))
    await expect(totp.verify(b.userId, codeAt(a.secret, clock.now().getTime()))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
    await expect(totp.verify(b.userId, codeAt(b.secret, clock.now().getTime()))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
    const raised = await alerts.list(null)
    expect(raised).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'totp_seed_integrity_failed', severity: 'critical', details: { userId: b.userId } })]))
    expect(JSON.stringify(raised)).not.toContain(a.secret)
    // A's own row is untouched and still works.
    await totp.verify(a.userId, codeAt(a.secret, clock.now().getTime()))
  })

  it('does not decrypt under another seed key', async () => {
    const a = await enrolled()
    const otherKey = createTotpService({ db: database.db, clock, seedKey: randomBytes(32) })
    await expect(otherKey.verify(a.userId, codeAt(a.secret, clock.now().getTime()))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
  })

  it('refuses a seed key that is not 32 bytes', () => {
    expect(() => createTotpService({ db: database.db, clock, seedKey: randomBytes(16) })).toThrow(/32 bytes/)
  })

  it('disable removes the authenticator, after which codes are refused and setup can start again', async () => {
    const { userId, email, secret } = await enrolled()
    await database.db.transaction(async (tx) => {
      expect(await totp.disable(userId, tx)).toBe(true)
    })
    expect(await totp.status(userId)).toEqual({ enabled: false, pending: false })
    expect(await totp.disable(userId)).toBe(false)
    await expect(totp.verify(userId, codeAt(secret, clock.now().getTime()))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    const again = await totp.beginSetup(userId, email)
    expect(again.secret).not.toBe(secret)
  })
})
