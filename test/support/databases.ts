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
export const openTestDatabase = async (kind: DatabaseKind, which: 'api' | 'vault' = 'api'): Promise<TestDatabase> => {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-pglite-'))
    const database = await openDatabase({
      kind: 'pglite',
      dataDir: 'memory://',
      lockPath: join(dir, 'db.lock'),
      loadDataDir: new Blob([readFileSync(inject(which === 'api' ? 'pgliteDumpPath' : 'vaultDumpPath'))]),
    })
    return {
      ...database,
      dispose: async () => {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const { url, drop } = await createPostgresDatabase({ fromTemplate: which })
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 10 })
  return {
    ...database,
    dispose: async () => {
      await database.close()
      await drop()
    },
  }
}

const adminQuery = async (statement: string) => {
  const adminUrl = inject('postgresAdminUrl')
  if (!adminUrl) throw new Error('PostgreSQL is not configured for this run')
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** A database of this file's own on the test server: a clone of the migrated template, or empty. */
export const createPostgresDatabase = async ({ fromTemplate }: { fromTemplate: 'api' | 'vault' | false }): Promise<{ url: string; drop: () => Promise<void> }> => {
  const adminUrl = inject('postgresAdminUrl')
  const template = fromTemplate === 'vault' ? inject('postgresVaultTemplate') : inject('postgresTemplate')
  if (!adminUrl || !template) throw new Error('PostgreSQL is not configured for this run')
  const name = `bulwark_t_${randomBytes(6).toString('hex')}`
  await adminQuery(fromTemplate ? `create database ${name} template ${template}` : `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) }
}
