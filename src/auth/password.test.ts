import { randomBytes } from 'node:crypto'
import { argon2i, argon2id, bcrypt } from 'hash-wasm'
import { describe, expect, it } from 'vitest'
import { AppError } from '../lib/errors.js'
import {
  ARGON2_FLOOR,
  argon2Params,
  hashPassword,
  needsRehash,
  parsePhc,
  passwordProblem,
  verifyPassword,
} from './password.js'

const password = 'violet-ostrich-carburetor-17'

/** A hash made directly with hash-wasm, bypassing hashPassword's floor, as an old or foreign row would be. */
const legacyArgon2id = (overrides: { memorySize?: number; iterations?: number; saltBytes?: number; hashLength?: number }) =>
  argon2id({
    password,
    salt: randomBytes(overrides.saltBytes ?? 16),
    memorySize: overrides.memorySize ?? argon2Params.memorySize,
    iterations: overrides.iterations ?? argon2Params.iterations,
    parallelism: 1,
    hashLength: overrides.hashLength ?? 32,
    outputType: 'encoded',
  })

describe('hashPassword and parsePhc (R22)', () => {
  it('writes argon2id at or above the floor with a 16-byte salt', async () => {
    const phc = await hashPassword(password)
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
    const info = parsePhc(phc)
    expect(info.algorithm).toBe('argon2id')
    expect(info.version).toBe(19)
    expect(info.memorySize).toBeGreaterThanOrEqual(19_456) // 19 MiB in KiB
    expect(info.iterations).toBeGreaterThanOrEqual(2)
    expect(info.parallelism).toBe(1)
    expect(info.saltBytes).toBeGreaterThanOrEqual(16)
    expect(info.hashBytes).toBe(32)
  })

  it('uses a fresh salt every time', async () => {
    const [a, b] = await Promise.all([hashPassword(password), hashPassword(password)])
    expect(a).not.toBe(b)
  })

  it('hashes with injected (raised) parameters', async () => {
    const raised = { ...argon2Params, memorySize: 24_576, iterations: 3 }
    const info = parsePhc(await hashPassword(password, raised))
    expect([info.memorySize, info.iterations, info.parallelism]).toEqual([24_576, 3, 1])
  })

  it.each([
    ['memory', { memorySize: 8_192 }],
    ['iterations', { iterations: 1 }],
    ['parallelism', { parallelism: 0 }],
    ['output length', { hashLength: 16 }],
  ])('refuses to hash with %s below the floor', async (_name, lower) => {
    await expect(hashPassword(password, { ...ARGON2_FLOOR, ...lower })).rejects.toMatchObject({ code: 'INTERNAL' })
  })

  it('reads other PHC algorithms without m/t/p', async () => {
    const phc = await argon2i({ password, salt: randomBytes(16), memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32, outputType: 'encoded' })
    expect(parsePhc(phc)).toMatchObject({ algorithm: 'argon2i', version: 19, memorySize: 19_456 })
    expect(parsePhc('$pbkdf2-sha256$i=600000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toMatchObject({
      algorithm: 'pbkdf2-sha256',
      version: null,
      memorySize: null,
      saltBytes: 16,
    })
  })

  it.each([[''], ['not a hash'], ['$argon2id$v=19$m=19456,t=2,p=1$$'], ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$']])(
    'rejects a malformed hash (%j) as an integrity failure without quoting it',
    (phc) => {
      let thrown: unknown
      try {
        parsePhc(phc)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(AppError)
      expect((thrown as AppError).code).toBe('INTEGRITY_FAILED')
      if (phc.length > 0) expect((thrown as AppError).message).not.toContain(phc)
    },
  )
})

describe('verifyPassword (R20)', () => {
  it('accepts the password and refuses another', async () => {
    const phc = await hashPassword(password)
    expect(await verifyPassword(phc, password)).toBe(true)
    expect(await verifyPassword(phc, 'violet-ostrich-carburetor-18')).toBe(false)
  })

  it('does not truncate: a 100-character password with its last character changed does not verify', async () => {
    const long = randomBytes(75).toString('base64') // 100 characters
    expect(long).toHaveLength(100)
    const changed = long.slice(0, 99) + (long.endsWith('A') ? 'B' : 'A')
    const phc = await hashPassword(long)
    expect(await verifyPassword(phc, long)).toBe(true)
    expect(await verifyPassword(phc, changed)).toBe(false)
  })

  it('does not truncate at 256 characters either', async () => {
    const long = randomBytes(192).toString('base64') // 256 characters
    const phc = await hashPassword(long)
    expect(await verifyPassword(phc, long.slice(0, 255) + (long.endsWith('A') ? 'B' : 'A'))).toBe(false)
  })

  it('applies NFKC the same way when hashing and verifying', async () => {
    const phc = await hashPassword('Ｖｉｏｌｅｔ-ostrich-ﬁnch-17') // full-width letters and the "ﬁ" ligature
    expect(await verifyPassword(phc, 'Violet-ostrich-finch-17')).toBe(true)
    expect(await verifyPassword(phc, 'violet-ostrich-finch-17')).toBe(false) // case is kept
  })
})

describe('needsRehash (R22)', () => {
  it('is false for a hash made with the current parameters', async () => {
    expect(needsRehash(await hashPassword(password))).toBe(false)
  })

  it('is true once the configured parameters rise above the stored ones', async () => {
    const phc = await hashPassword(password)
    expect(needsRehash(phc, { ...argon2Params, memorySize: argon2Params.memorySize * 2 })).toBe(true)
    expect(needsRehash(phc, { ...argon2Params, iterations: argon2Params.iterations + 1 })).toBe(true)
    expect(needsRehash(phc, { ...argon2Params, parallelism: 2 })).toBe(true)
    expect(needsRehash(phc, { ...argon2Params, hashLength: 64 })).toBe(true)
  })

  it('is false for a hash above the configured parameters', async () => {
    const phc = await hashPassword(password, { ...argon2Params, memorySize: 24_576, iterations: 3 })
    expect(needsRehash(phc)).toBe(false)
  })

  it.each([
    ['lower memory', { memorySize: 8_192 }],
    ['fewer iterations', { iterations: 1 }],
    ['a salt shorter than 16 bytes', { saltBytes: 8 }],
    ['a shorter output', { hashLength: 16 }],
  ])('is true for an argon2id hash with %s', async (_name, overrides) => {
    const phc = await legacyArgon2id(overrides)
    expect(await verifyPassword(phc, password)).toBe(true) // still verifies, so login can upgrade it
    expect(needsRehash(phc)).toBe(true)
  })

  it('is true for another algorithm', async () => {
    const i = await argon2i({ password, salt: randomBytes(16), ...argon2Params, outputType: 'encoded' })
    const b = await bcrypt({ password, salt: randomBytes(16), costFactor: 4, outputType: 'encoded' })
    expect(needsRehash(i)).toBe(true)
    expect(needsRehash(b)).toBe(true)
  })

  it('is true for an older argon2 version and for an unreadable string', async () => {
    const phc = await hashPassword(password)
    expect(needsRehash(phc.replace('$v=19$', '$v=16$'))).toBe(true)
    expect(needsRehash('garbage')).toBe(true)
  })
})

describe('passwordProblem (length only, single factor)', () => {
  it.each([
    ['14 characters', true, 'a'.repeat(14)],
    ['15 characters', false, 'a'.repeat(15)],
    ['256 characters', false, 'a'.repeat(256)],
    ['257 characters', true, 'a'.repeat(257)],
  ])('%s → problem: %s', (_name, hasProblem, pw) => {
    expect(passwordProblem(pw) !== undefined).toBe(hasProblem)
  })
})
