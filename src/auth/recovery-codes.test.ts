import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { sha256Hex } from '../crypto/index.js'
import { rowsOf, schema } from '../db/index.js'
import { insertUserWithWorkspace } from './workspace-store.js'
import { createRecoveryCodes, RECOVERY_CODE_REJECTED, type RecoveryCodes } from './recovery-codes.js'

const { recoveryCodes } = schema
const CODE_SHAPE = /^([a-z2-7]{8})\.([a-z2-7]{4}(?:-[a-z2-7]{4}){4})$/

describe.each(backends)('recovery codes on %s (R27)', (kind) => {
  let database: TestDatabase
  let codes: RecoveryCodes
  const clock = createManualClock('2026-12-04T08:00:00Z')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    codes = createRecoveryCodes({ db: database.db, clock })
  })
  afterAll(async () => {
    await database.dispose()
  })

  const addUser = async () => {
    const email = `u${randomBytes(4).toString('hex')}@example.com`
    return (await database.db.transaction((tx) => insertUserWithWorkspace(tx, { email, displayName: email, passwordHash: null, isOperator: false }, 'Personal', clock.now()))).userId
  }
  const rejected = { code: 'UNAUTHENTICATED', message: RECOVERY_CODE_REJECTED, status: 401 }

  it('hands out ten distinct id.secret codes of 100 random bits each, storing only SHA-256 of the secret', async () => {
    const userId = await addUser()
    const issued = await codes.generate(userId)
    expect(issued).toHaveLength(10)
    expect(new Set(issued).size).toBe(10)
    const parts = issued.map((c) => CODE_SHAPE.exec(c))
    // 20 base32 characters × 5 bits = 100 bits ≥ the 80-bit floor.
    for (const m of parts) expect(m?.[2]?.replace(/-/g, '')).toHaveLength(20)
    expect(new Set(parts.map((m) => m?.[1])).size).toBe(10)
    expect(await codes.remaining(userId)).toBe(10)

    const rows = await database.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, userId))
    const secrets = parts.map((m) => (m?.[2] ?? '').replace(/-/g, ''))
    expect(rows.map((r) => r.secretHash).sort()).toEqual(secrets.map((s) => sha256Hex(s)).sort())
    const dump = JSON.stringify(rowsOf(await database.db.execute(sql`select * from recovery_codes`)))
    for (const [i, code] of issued.entries()) {
      expect(dump).not.toContain(code)
      expect(dump).not.toContain(secrets[i])
      expect(dump).not.toContain(code.split('.')[1])
    }
  })

  it('accepts a code once; the second use gets the same 401 as an unknown or wrong code', async () => {
    const userId = await addUser()
    const [first, second] = await codes.generate(userId)
    if (!first || !second) throw new Error('no codes')
    await codes.consume(userId, first)
    expect(await codes.remaining(userId)).toBe(9)
    await expect(codes.consume(userId, first)).rejects.toMatchObject(rejected)
    const [id] = second.split('.')
    const wrongSecret = `${id}.${'a'.repeat(4)}-${'b'.repeat(4)}-${'c'.repeat(4)}-${'d'.repeat(4)}-${'e'.repeat(4)}`
    await expect(codes.consume(userId, wrongSecret)).rejects.toMatchObject(rejected)
    await expect(codes.consume(userId, `zzzzzzzz.${second.split('.')[1]}`)).rejects.toMatchObject(rejected)
    for (const junk of ['', 'not a code', `${second}x`, 'x'.repeat(10_000)]) await expect(codes.consume(userId, junk)).rejects.toMatchObject(rejected)
    expect(await codes.remaining(userId)).toBe(9)
    await codes.consume(userId, second)
    expect(await codes.remaining(userId)).toBe(8)
  })

  it('refuses another user’s code', async () => {
    const alice = await addUser()
    const bob = await addUser()
    const [aliceCode] = await codes.generate(alice)
    await codes.generate(bob)
    await expect(codes.consume(bob, aliceCode ?? '')).rejects.toMatchObject(rejected)
    expect(await codes.remaining(alice)).toBe(10)
    await codes.consume(alice, aliceCode ?? '')
  })

  it('accepts the code typed in upper case, without the dot or dashes, or with spaces', async () => {
    const userId = await addUser()
    const issued = await codes.generate(userId)
    const variants = [
      (c: string) => c.toUpperCase(),
      (c: string) => c.replace(/[-.]/g, ''),
      (c: string) => c.replace(/-/g, ' ').toUpperCase(),
      (c: string) => `  ${c.replace('.', '-')}\n`,
    ]
    for (const [i, variant] of variants.entries()) await codes.consume(userId, variant(issued[i] ?? ''))
    expect(await codes.remaining(userId)).toBe(10 - variants.length)
  })

  it('a new set invalidates every earlier code, used or not', async () => {
    const userId = await addUser()
    const old = await codes.generate(userId)
    await codes.consume(userId, old[0] ?? '')
    const fresh = await codes.generate(userId)
    expect(fresh.some((c) => old.includes(c))).toBe(false)
    expect(await codes.remaining(userId)).toBe(10)
    for (const code of old) await expect(codes.consume(userId, code)).rejects.toMatchObject(rejected)
    await codes.consume(userId, fresh[0] ?? '')
  })

  it('replaces the set inside the caller’s transaction: a rollback keeps the old codes', async () => {
    const userId = await addUser()
    const old = await codes.generate(userId)
    await database.db
      .transaction(async (tx) => {
        expect(await codes.generate(userId, tx)).toHaveLength(10)
        throw new Error('rollback')
      })
      .catch(() => {})
    expect(await codes.remaining(userId)).toBe(10)
    await codes.consume(userId, old[1] ?? '')
  })

  it('lets one of ten concurrent uses of a code succeed', async () => {
    const userId = await addUser()
    const [code] = await codes.generate(userId)
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => codes.consume(userId, code ?? '')))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(await codes.remaining(userId)).toBe(9)
  })
})
