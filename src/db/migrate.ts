import { fileURLToPath } from 'node:url'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { faultPoint } from '../lib/fault.js'
import { rowsOf, type Database } from './connection.js'

/** Works from src/ (tests) and from dist/ (the build copies the folder beside the compiled file). */
export const defaultMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

const MIGRATION_LOCK_KEY = 0x6275_6c77 // "bulw"

export type MigrationStatus = { applied: number; pending: number; latest: string | undefined }

/** Where a migration set keeps its bookkeeping; the signer's set uses its own table, so the two never mix. */
export type MigrationSet = { folder: string; schema: string; table: string }
export const apiMigrations: MigrationSet = { folder: defaultMigrationsFolder, schema: 'drizzle', table: '__drizzle_migrations' }

const asSet = (m: string | MigrationSet): MigrationSet => (typeof m === 'string' ? { ...apiMigrations, folder: m } : m)

const appliedCount = async (database: Database, set: MigrationSet): Promise<number> => {
  const rows = rowsOf<{ n: number | string }>(
    await database.db.execute(sql`select count(*) as n from information_schema.tables where table_schema = ${set.schema} and table_name = ${set.table}`),
  )
  if (Number(rows[0]?.n ?? 0) === 0) return 0
  const applied = rowsOf<{ n: number | string }>(await database.db.execute(sql`select count(*) as n from ${sql.identifier(set.schema)}.${sql.identifier(set.table)}`))
  return Number(applied[0]?.n ?? 0)
}

export const migrationStatus = async (database: Database, migrations: string | MigrationSet = apiMigrations): Promise<MigrationStatus> => {
  const set = asSet(migrations)
  const files = readMigrationFiles({ migrationsFolder: set.folder })
  const applied = await appliedCount(database, set)
  return { applied, pending: Math.max(0, files.length - applied), latest: files.at(-1)?.hash.slice(0, 12) }
}

/**
 * Applies pending migrations in one transaction (drizzle's migrator), under an advisory lock so two
 * instances starting together do not both apply them. Twice is a no-op; a failure rolls everything back.
 * @returns how many migrations were applied now
 */
export const migrate = async (database: Database, migrationSet: string | MigrationSet = apiMigrations): Promise<number> =>
  database.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    const set = asSet(migrationSet)
    const before = await appliedCount(database, set)
    const migrations = readMigrationFiles({ migrationsFolder: set.folder })
    try {
      faultPoint('migrate.before')
      // Same dialect for both drivers; the session type differs only in its result shape.
      const db = database.db as unknown as { dialect: { migrate: (m: unknown, s: unknown, c: unknown) => Promise<void> }; session: unknown }
      await db.dialect.migrate(migrations, db.session, { migrationsFolder: set.folder, migrationsSchema: set.schema, migrationsTable: set.table })
    } catch (err) {
      throw new AppError('INTERNAL', `database migration failed and was rolled back (${database.kind} ${database.location}): ${firstLine(err)}`, { cause: err })
    }
    return (await appliedCount(database, set)) - before
  })

const firstLine = (err: unknown) => (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)).slice(0, 200)
