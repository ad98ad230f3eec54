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

const appliedCount = async (database: Database): Promise<number> => {
  const rows = rowsOf<{ n: number | string }>(
    await database.db.execute(sql`select count(*) as n from information_schema.tables where table_schema = 'drizzle' and table_name = '__drizzle_migrations'`),
  )
  if (Number(rows[0]?.n ?? 0) === 0) return 0
  const applied = rowsOf<{ n: number | string }>(await database.db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`))
  return Number(applied[0]?.n ?? 0)
}

export const migrationStatus = async (database: Database, migrationsFolder = defaultMigrationsFolder): Promise<MigrationStatus> => {
  const files = readMigrationFiles({ migrationsFolder })
  const applied = await appliedCount(database)
  return { applied, pending: Math.max(0, files.length - applied), latest: files.at(-1)?.hash.slice(0, 12) }
}

/**
 * Applies pending migrations in one transaction (drizzle's migrator), under an advisory lock so two
 * instances starting together do not both apply them. Twice is a no-op; a failure rolls everything back.
 * @returns how many migrations were applied now
 */
export const migrate = async (database: Database, migrationsFolder = defaultMigrationsFolder): Promise<number> =>
  database.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    const before = await appliedCount(database)
    const migrations = readMigrationFiles({ migrationsFolder })
    try {
      faultPoint('migrate.before')
      // Same dialect for both drivers; the session type differs only in its result shape.
      const db = database.db as unknown as { dialect: { migrate: (m: unknown, s: unknown, c: unknown) => Promise<void> }; session: unknown }
      await db.dialect.migrate(migrations, db.session, { migrationsFolder })
    } catch (err) {
      throw new AppError('INTERNAL', `database migration failed and was rolled back (${database.kind} ${database.location}): ${firstLine(err)}`, { cause: err })
    }
    return (await appliedCount(database)) - before
  })

const firstLine = (err: unknown) => (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)).slice(0, 200)
