import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { AppError, systemErrorCode } from '../lib/errors.js'
import * as schema from './schema.js'
import { acquireLockFile, type LockFile } from './lock-file.js'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
/** A transaction handle; every store method takes an optional one. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

export type DatabaseKind = 'pglite' | 'postgres'

export type Database = {
  db: Db
  kind: DatabaseKind
  /** Where the data lives, without credentials (for messages and `doctor`). */
  location: string
  ping: () => Promise<void>
  /** Runs `fn` holding a session-level advisory lock (serializes e.g. migrations across instances). */
  withAdvisoryLock: <T>(key: number, fn: () => Promise<T>) => Promise<T>
  close: () => Promise<void>
}

export type OpenDatabaseInput =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string; lockPath: string; loadDataDir?: Blob }

/** postgres://user:pw@host:5432/db → host:5432/db, so a password never reaches a message. */
export const describePostgresUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return '(unparseable DATABASE_URL)'
  }
}

const openPostgres = async (url: string, poolSize = 10): Promise<Database> => {
  const location = describePostgresUrl(url)
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 })
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    client.release()
  } catch (err) {
    await pool.end().catch(() => {})
    const code = systemErrorCode(err)
    const reason = code ?? (err instanceof Error ? err.message.split('\n')[0] : 'error')
    throw new AppError('UNAVAILABLE', `cannot reach PostgreSQL at ${location} (${reason}): start the server or fix DATABASE_URL`, { cause: err })
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db
  return {
    db,
    kind: 'postgres',
    location,
    ping: async () => {
      await pool.query('select 1')
    },
    withAdvisoryLock: async (key, fn) => {
      const client = await pool.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [key])
        try {
          return await fn()
        } finally {
          await client.query('select pg_advisory_unlock($1)', [key])
        }
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}

const looksLikePgliteDir = (dir: string) => existsSync(join(dir, 'PG_VERSION'))
/** Entries of a directory; none when it is missing or, under the permission model, not listable itself. */
const listDir = (dir: string): string[] => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const openPglite = async (dataDir: string, lockPath: string, loadDataDir?: Blob): Promise<Database> => {
  const lock: LockFile = acquireLockFile(lockPath, `the embedded database ${dataDir}`)
  if (listDir(dataDir).length > 0 && !looksLikePgliteDir(dataDir)) {
    lock.release()
    throw new AppError('INTEGRITY_FAILED', `${dataDir} is not an embedded database directory: move it aside or point BULWARK_HOME elsewhere`)
  }
  let client: PGlite
  try {
    client = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {})
    await client.query('select 1')
  } catch (err) {
    lock.release()
    throw new AppError(
      'INTEGRITY_FAILED',
      `the embedded database ${dataDir} cannot be opened (it may be corrupt): restore it from a backup, or move it aside to start empty`,
      { cause: err },
    )
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    location: dataDir,
    ping: async () => {
      await client.query('select 1')
    },
    // One process, one connection: PGlite already runs transactions one at a time.
    withAdvisoryLock: (_key, fn) => fn(),
    close: async () => {
      try {
        await client.close()
      } finally {
        lock.release()
      }
    },
  }
}

/** @throws AppError with a one-line cause and fix (unreachable server, locked or corrupt directory) */
export const openDatabase = (input: OpenDatabaseInput): Promise<Database> =>
  input.kind === 'postgres' ? openPostgres(input.url, input.poolSize) : openPglite(input.dataDir, input.lockPath, input.loadDataDir)

/** Both drivers return rows differently from `execute`; this gives plain rows. */
export const rowsOf = <T>(result: unknown): T[] => {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}
