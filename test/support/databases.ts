import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import pg from 'pg'
import { openDatabase, type Database, type DatabaseKind } from '../../src/db/index.js'

export type TestDatabase = Database & { dispose: () => Promise<void> }

/** The storage backends every integration suite runs on: PGlite always, PostgreSQL when configured. */
export const backends: DatabaseKind[] = inject('postgresTemplate') ? ['pglite', 'postgres'] : ['pglite']

/** A migrated database of its own: a loaded PGlite dump, or a clone of the PostgreSQL template. */
export const openTestDatabase = async (kind: DatabaseKind): Promise<TestDatabase> => {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-pglite-'))
    const database = await openDatabase({
      kind: 'pglite',
      dataDir: 'memory://',
      lockPath: join(dir, 'db.lock'),
      loadDataDir: new Blob([readFileSync(inject('pgliteDumpPath'))]),
    })
    return {
      ...database,
      dispose: async () => {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const adminUrl = inject('postgresAdminUrl')
  const template = inject('postgresTemplate')
  if (!adminUrl || !template) throw new Error('PostgreSQL is not configured for this run')
  const name = `bulwark_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name} template ${template}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 10 })
  return {
    ...database,
    dispose: async () => {
      await database.close()
      const a = new pg.Client({ connectionString: adminUrl })
      await a.connect()
      await a.query(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}
