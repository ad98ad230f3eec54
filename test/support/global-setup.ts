import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { openDatabase } from '../../src/db/index.js'
import { migrate, apiMigrations, type MigrationSet } from '../../src/db/migrate.js'
import { vaultMigrations } from '../../src/vault/vault-db.js'
import { isCi, postgresUrl } from './services.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteDumpPath: string
    vaultDumpPath: string
    postgresTemplate: string | null
    postgresVaultTemplate: string | null
    postgresAdminUrl: string | null
  }
}

const root = join(import.meta.dirname, '..', '..')

/**
 * Once per run: build the server and the web app (end-to-end suites run the real `bulwark` command),
 * migrate one PGlite and dump it (files load the dump: ~0.3 s instead of ~2 s and ~700 MB), and, when
 * PostgreSQL is configured, migrate a template database that each file clones.
 */
export default async function setup(project: TestProject) {
  // NODE_ENV=production: vitest sets it to "test", which would give the web app React's development build.
  // BULWARK_TEST_SKIP_BUILD=1 skips it when running unit files only (the e2e suites need dist/).
  if (process.env.BULWARK_TEST_SKIP_BUILD !== '1') execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } })

  const work = mkdtempSync(join(tmpdir(), 'bulwark-test-'))
  const dumpMigrated = async (set: MigrationSet, file: string) => {
    const fresh = await PGlite.create()
    const { drizzle } = await import('drizzle-orm/pglite')
    const database = { db: drizzle(fresh), kind: 'pglite', location: 'memory', ping: async () => {}, withAdvisoryLock: <T>(_k: number, fn: () => Promise<T>) => fn(), close: () => fresh.close() }
    await migrate(database as unknown as Parameters<typeof migrate>[0], set)
    const dump = await fresh.dumpDataDir('none')
    const path = join(work, file)
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()))
    await fresh.close()
    return path
  }
  project.provide('pgliteDumpPath', await dumpMigrated(apiMigrations, 'api.tar'))
  project.provide('vaultDumpPath', await dumpMigrated(vaultMigrations, 'vault.tar'))

  let template: string | null = null
  const vaultTemplate = `bulwark_vtmpl_${process.pid}`
  if (postgresUrl) {
    template = `bulwark_tmpl_${process.pid}`
    const admin = new pg.Client({ connectionString: postgresUrl })
    try {
      await admin.connect()
    } catch (err) {
      if (isCi) throw new Error(`CI: DATABASE_URL is set but PostgreSQL is unreachable (${(err as Error).message})`, { cause: err })
      console.warn(`\n[services] PostgreSQL unreachable at DATABASE_URL: PostgreSQL suites SKIPPED\n`)
      template = null
    }
    if (template) {
      for (const [name, set] of [[template, apiMigrations], [vaultTemplate, vaultMigrations]] as const) {
        await admin.query(`drop database if exists ${name}`)
        await admin.query(`create database ${name}`)
        const url = new URL(postgresUrl)
        url.pathname = `/${name}`
        const tmplDb = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 })
        await migrate(tmplDb, set)
        await tmplDb.close()
      }
      await admin.end()
    }
  } else if (isCi) {
    throw new Error('CI: DATABASE_URL is not set, so the PostgreSQL suites would be skipped; .ci/run must set it')
  } else {
    console.warn('\n[services] DATABASE_URL not set: PostgreSQL suites SKIPPED (embedded PGlite suites run)\n')
  }
  console.warn('[services] REDIS_URL: no suite uses Redis yet (bots run in the api process under database leases; distributing them over BullMQ is not built yet)')
  project.provide('postgresTemplate', template)
  project.provide('postgresVaultTemplate', template ? vaultTemplate : null)
  project.provide('postgresAdminUrl', template ? postgresUrl! : null)

  return async () => {
    rmSync(work, { recursive: true, force: true })
    if (template && postgresUrl) {
      const admin = new pg.Client({ connectionString: postgresUrl })
      await admin.connect()
      await admin.query(`drop database if exists ${template} with (force)`)
      await admin.query(`drop database if exists ${vaultTemplate} with (force)`)
      await admin.end()
    }
  }
}
