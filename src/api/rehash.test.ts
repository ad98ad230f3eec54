import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { PASSWORD, startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'
import { rowsOf } from '../db/index.js'
import { parsePhc } from '../auth/index.js'

/** R22: when the argon2id parameters rise, a user's hash is rewritten at their next sign-in. */
describe.each(backends)('rehash on sign-in on %s (R22)', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  const raised = { memorySize: 24_576, iterations: 3, parallelism: 1, hashLength: 32 } as const

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, { overrides: { passwordParams: raised } })
    await t.addUser('old@example.com') // hashed with today's floor (m=19456, t=2)
  })
  afterAll(async () => {
    await t.close()
    await database.dispose()
  })

  const storedHash = async () => rowsOf<{ h: string }>(await database.db.execute(sql`select password_hash as h from users where email = 'old@example.com'`))[0]?.h ?? ''

  it('rewrites a weaker hash with the raised parameters after a successful sign-in, never after a failed one', async () => {
    expect(parsePhc(await storedHash())).toMatchObject({ memorySize: 19_456, iterations: 2 })
    expect((await t.post('/api/auth/login', { email: 'old@example.com', password: 'not the password at all' })).statusCode).toBe(401)
    expect(parsePhc(await storedHash())).toMatchObject({ memorySize: 19_456, iterations: 2 })
    await t.signIn('old@example.com')
    expect(parsePhc(await storedHash())).toMatchObject({ algorithm: 'argon2id', memorySize: 24_576, iterations: 3, parallelism: 1 })
    await t.signIn('old@example.com', PASSWORD) // and the new hash verifies
  })
})
