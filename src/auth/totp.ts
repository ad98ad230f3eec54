import { createHmac, randomFillSync } from 'node:crypto'
import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { AEAD_KEY_BYTES, aeadDecrypt, aeadEncrypt, canonicalJson, IntegrityError } from '../crypto/index.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { Alerts } from '../monitoring/index.js'

const { totpCredentials } = schema

/**
 * RFC 6238 as every authenticator app implements it (R23): HMAC-SHA-1, 6 digits, 30 s steps. The
 * window is ±1 step and no wider: each extra step doubles the guesses an attacker gets per code.
 */
export const totpParameters = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 } as const

/** 160 bits, the RFC 4226 recommendation and the R23 floor. */
const SEED_BYTES = 20
const CIPHERTEXT_PREFIX = 'v1.'
export const WRONG_TOTP_CODE = 'that code is not right: enter the current 6-digit code from your authenticator app'

/**
 * The context the seed ciphertext is bound to: a row copied to another user, or a ciphertext of some
 * other purpose under the same key, does not authenticate. Changing this makes every stored seed
 * unreadable, so totp.test.ts pins it.
 */
const seedAad = (userId: string) => Buffer.from(canonicalJson({ v: 1, purpose: 'totp_seed', userId }))

/**
 * otpauth's default HMAC copies the key with `Buffer.from`, which lands in Node's shared pool where we
 * cannot wipe it; handing the caller's bytes straight to createHmac leaves no copy of ours behind (R12).
 */
const hmac = (algorithm: string, key: Uint8Array, message: Uint8Array): Uint8Array => createHmac(algorithm, key).update(message).digest()

/** A seed in memory we own (its own ArrayBuffer, shared with otpauth's Secret), so one `fill(0)` wipes it. */
const ownedSeed = (): Uint8Array => new Uint8Array(SEED_BYTES)

const totpFor = (seed: Uint8Array, issuer = '', label = 'Bulwark') =>
  new TOTP({
    issuer,
    label,
    secret: new Secret({ buffer: seed.buffer }),
    algorithm: totpParameters.algorithm,
    digits: totpParameters.digits,
    period: totpParameters.period,
    hmac,
  })

/** Spaces stripped; anything else that is not exactly six digits is simply a wrong code. */
const normaliseCode = (code: string): string | undefined => {
  const compact = code.replace(/\s+/g, '')
  return /^\d{6}$/.test(compact) ? compact : undefined
}

export type TotpSetup = { secret: string; otpauthUri: string; qrDataUrl: string }
export type TotpStatus = { enabled: boolean; pending: boolean }

export type TotpDeps = {
  db: Db
  clock: Clock
  /** The platform's TOTP seed key (32 bytes): not the vault master key. */
  seedKey: Buffer
  issuer?: string
  /** Told when a stored seed fails to authenticate (tampering or a row copied between users). */
  alerts?: Pick<Alerts, 'raise'>
}

/**
 * Authenticator-app second factor (SECURITY.md R23). Seeds are encrypted at rest under `seedKey`, bound
 * to the user id; the last accepted time step is stored, and a code is accepted only through a
 * compare-and-swap that moves it forward, so a code works once even under concurrent requests.
 */
export const createTotpService = ({ db, clock, seedKey, issuer = 'Bulwark', alerts }: TotpDeps) => {
  if (seedKey.length !== AEAD_KEY_BYTES) throw new AppError('INTERNAL', `the TOTP seed key must be ${AEAD_KEY_BYTES} bytes`)

  const seal = (userId: string, seed: Uint8Array): string => CIPHERTEXT_PREFIX + aeadEncrypt(seedKey, seed, seedAad(userId)).toString('base64url')

  const integrityFailure = async (userId: string, cause: unknown): Promise<never> => {
    await alerts?.raise({ workspaceId: null, rule: 'totp_seed_integrity_failed', severity: 'critical', details: { userId }, dedupKey: userId, dedupWindowMs: 3_600_000 })
    throw new AppError('INTEGRITY_FAILED', 'the stored authenticator settings could not be read: ask your operator', { cause })
  }

  /** Decrypts the seed for `use` and wipes it afterwards, even when `use` throws. */
  const withSeed = async <T>(userId: string, ciphertext: string, use: (seed: Uint8Array) => T): Promise<T> => {
    let plain: Buffer
    try {
      if (!ciphertext.startsWith(CIPHERTEXT_PREFIX)) throw new IntegrityError()
      plain = aeadDecrypt(seedKey, Buffer.from(ciphertext.slice(CIPHERTEXT_PREFIX.length), 'base64url'), seedAad(userId))
    } catch (err) {
      if (err instanceof IntegrityError) return integrityFailure(userId, err)
      throw err
    }
    // aeadDecrypt's buffer may sit in a shared allocation; copy into memory of our own and wipe both.
    const seed = ownedSeed()
    try {
      if (plain.length !== SEED_BYTES) return await integrityFailure(userId, new IntegrityError('unexpected seed length'))
      seed.set(plain)
      plain.fill(0)
      return use(seed)
    } finally {
      plain.fill(0)
      seed.fill(0)
    }
  }

  /** The time step a code belongs to, within ±1 of now; undefined when it matches none. */
  const matchingStep = (seed: Uint8Array, code: string): number | undefined => {
    const totp = totpFor(seed)
    const timestamp = clock.now().getTime()
    const delta = totp.validate({ token: code, timestamp, window: totpParameters.window })
    return delta === null ? undefined : totp.counter({ timestamp }) + delta
  }

  /**
   * Starts (or restarts) enrolment with a fresh seed. The secret is returned this once, for the QR code
   * and manual entry, and never again.
   * @throws AppError CONFLICT when the user already has a confirmed authenticator (disable it first)
   */
  const beginSetup = async (userId: string, accountLabel: string): Promise<TotpSetup> => {
    const seed = ownedSeed()
    try {
      randomFillSync(seed)
      const now = clock.now()
      const ciphertext = seal(userId, seed)
      // One statement, so a confirmed authenticator can never be overwritten by a racing setup.
      const written = await db
        .insert(totpCredentials)
        .values({ userId, seedCiphertext: ciphertext, createdAt: now, confirmedAt: null, lastUsedStep: null })
        .onConflictDoUpdate({
          target: totpCredentials.userId,
          set: { seedCiphertext: ciphertext, createdAt: now, confirmedAt: null, lastUsedStep: null },
          setWhere: isNull(totpCredentials.confirmedAt),
        })
        .returning({ userId: totpCredentials.userId })
      if (written.length === 0) throw new AppError('CONFLICT', 'an authenticator app is already set up: turn it off before adding another')
      const totp = totpFor(seed, issuer, accountLabel)
      const otpauthUri = totp.toString()
      const qrDataUrl = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 240 })
      return { secret: totp.secret.base32, otpauthUri, qrDataUrl }
    } finally {
      seed.fill(0)
    }
  }

  /**
   * Finishes enrolment with a first code from the app; that code's step counts as used.
   * @throws AppError UNAUTHENTICATED for a wrong code, NOT_FOUND when no setup is pending, CONFLICT when already on
   */
  const confirm = async (userId: string, code: string): Promise<void> => {
    const [row] = await db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)).limit(1)
    if (!row) throw new AppError('NOT_FOUND', 'no authenticator setup is in progress: start again')
    if (row.confirmedAt) throw new AppError('CONFLICT', 'an authenticator app is already set up')
    const normalised = normaliseCode(code)
    const step = normalised === undefined ? undefined : await withSeed(userId, row.seedCiphertext, (seed) => matchingStep(seed, normalised))
    if (step === undefined) throw new AppError('UNAUTHENTICATED', WRONG_TOTP_CODE)
    // Only the seed we checked against: a setup restarted meanwhile has a new seed and stays pending.
    const done = await db
      .update(totpCredentials)
      .set({ confirmedAt: clock.now(), lastUsedStep: step })
      .where(and(eq(totpCredentials.userId, userId), isNull(totpCredentials.confirmedAt), eq(totpCredentials.seedCiphertext, row.seedCiphertext)))
      .returning({ userId: totpCredentials.userId })
    if (done.length === 0) throw new AppError('CONFLICT', 'the authenticator setup changed meanwhile: start again')
  }

  /**
   * Checks a code for sign-in or step-up and uses it up.
   * @throws AppError UNAUTHENTICATED (wrong, malformed, or no authenticator), OTP_REPLAY (that step or a later one was already used),
   *   INTEGRITY_FAILED (the stored seed does not authenticate)
   */
  const verify = async (userId: string, code: string): Promise<void> => {
    const [row] = await db
      .select({ seedCiphertext: totpCredentials.seedCiphertext })
      .from(totpCredentials)
      .where(and(eq(totpCredentials.userId, userId), isNotNull(totpCredentials.confirmedAt)))
      .limit(1)
    const normalised = normaliseCode(code)
    if (!row || normalised === undefined) throw new AppError('UNAUTHENTICATED', WRONG_TOTP_CODE)
    const step = await withSeed(userId, row.seedCiphertext, (seed) => matchingStep(seed, normalised))
    if (step === undefined) throw new AppError('UNAUTHENTICATED', WRONG_TOTP_CODE)
    // Compare-and-swap in the database: of concurrent requests with one code, exactly one moves the step.
    const accepted = await db
      .update(totpCredentials)
      .set({ lastUsedStep: step })
      .where(
        and(
          eq(totpCredentials.userId, userId),
          isNotNull(totpCredentials.confirmedAt),
          or(isNull(totpCredentials.lastUsedStep), lt(totpCredentials.lastUsedStep, step)),
        ),
      )
      .returning({ userId: totpCredentials.userId })
    if (accepted.length === 0) throw new AppError('OTP_REPLAY', 'that code was already used: wait for the next one')
  }

  const status = async (userId: string): Promise<TotpStatus> => {
    const [row] = await db.select({ confirmedAt: totpCredentials.confirmedAt }).from(totpCredentials).where(eq(totpCredentials.userId, userId)).limit(1)
    return { enabled: row !== undefined && row.confirmedAt !== null, pending: row !== undefined && row.confirmedAt === null }
  }

  /** Removes the authenticator (confirmed or pending); true when there was one. The caller has done step-up. */
  const disable = async (userId: string, tx: DbOrTx = db): Promise<boolean> =>
    (await tx.delete(totpCredentials).where(eq(totpCredentials.userId, userId)).returning({ userId: totpCredentials.userId })).length > 0

  return { beginSetup, confirm, verify, status, disable }
}
export type TotpService = ReturnType<typeof createTotpService>
