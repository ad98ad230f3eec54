import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { openDatabase, rowsOf } from './connection.js'
import { defaultMigrationsFolder, migrate, migrationStatus } from './migrate.js'

type Column = { table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }

const schemaOf = async (database: TestDatabase | Awaited<ReturnType<typeof openDatabase>>) =>
  rowsOf<Column>(
    await database.db.execute(
      sql`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
    ),
  ).map((c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable} ${c.column_default ?? ''}`)

const userTables = async (database: { db: TestDatabase['db'] }) =>
  rowsOf<{ table_name: string }>(await database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`)).map((r) => r.table_name)

describe.each(backends)('migrations on %s', (kind) => {
  const opened: TestDatabase[] = []
  afterAll(async () => {
    for (const d of opened) await d.dispose()
  })

  it('are all applied, and applying them again is a no-op', async () => {
    const database = await openTestDatabase(kind)
    opened.push(database)
    expect(await migrationStatus(database)).toMatchObject({ pending: 0 })
    expect(await migrate(database)).toBe(0)
    expect(await userTables(database)).toEqual(expect.arrayContaining(['users', 'workspaces', 'memberships', 'audit_events', 'audit_chain_heads', 'alerts', 'email_outbox', 'setup_tokens']))
  })

  it('leave the database as it was when one fails', async () => {
    const database = await openTestDatabase(kind)
    opened.push(database)
    const before = await schemaOf(database)
    // A copy of the real migrations plus a new one whose second statement fails.
    const folder = mkdtempSync(join(tmpdir(), 'bulwark-mig-'))
    cpSync(defaultMigrationsFolder, folder, { recursive: true })
    writeFileSync(join(folder, '9999_broken.sql'), 'CREATE TABLE half_done (id int);\n--> statement-breakpoint\nSELECT * FROM no_such_table;\n')
    const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<Record<string, unknown>> }
    journal.entries.push({ idx: journal.entries.length, version: '7', when: 4_102_444_800_000, tag: '9999_broken', breakpoints: true })
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal))
    await expect(migrate(database, folder)).rejects.toThrow(/migration failed and was rolled back/)
    expect(await schemaOf(database)).toEqual(before)
    expect(await userTables(database)).not.toContain('half_done')
    expect((await migrationStatus(database, folder)).pending).toBe(1)
    rmSync(folder, { recursive: true, force: true })
  })
})

describe.runIf(backends.includes('postgres'))('PGlite and PostgreSQL', () => {
  it('end up with the same schema', async () => {
    const lite = await openTestDatabase('pglite')
    const pgdb = await openTestDatabase('postgres')
    try {
      expect(await schemaOf(lite)).toEqual(await schemaOf(pgdb))
      expect((await schemaOf(lite)).length).toBeGreaterThan(40)
    } finally {
      await lite.dispose()
      await pgdb.dispose()
    }
  })
})

describe('an unreachable PostgreSQL', () => {
  it('is one clear line naming the place and the fix, without the password', async () => {
    const err = await openDatabase({ kind: 'postgres', url: 'postgres://bulwark:s3cretpw@127.0.0.1:1/nothing' }).catch((e: unknown) => e as Error) // secretlint-disable-line -- fake credentials: tests they never reach the message
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1\/nothing \(ECONNREFUSED\): start the server or fix DATABASE_URL$/)
    expect((err as Error).message).not.toContain('s3cretpw')
  })
})
