import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import pg from 'pg'
import { pino } from 'pino'
import { apiMigrations, migrate, openDatabase, schema, type Database, type Db, type MigrationSet } from '../src/db/index.js'
import type { Clock } from '../src/lib/clock.js'
import { newId } from '../src/lib/ids.js'
import { createLogger, type Logger } from '../src/lib/logger.js'
import { vaultMigrations } from '../src/vault/index.js'

/**
 * What the `bots` benchmark's parts share: migrated database dumps (made once, in a process of their
 * own: migrating a PGlite costs ~1 GB of memory that must not show in the bots' RSS), opening a
 * persistent PGlite in a temporary directory from such a dump, a latency histogram and a logger on stderr
 * (a worker's stdout carries its one JSON result).
 */

export type Dumps = { api: string; vault: string }

/** Migrates an empty PGlite for the api and one for the vault and writes their dumps into `dir`. */
export const prepareDumps = async (dir: string): Promise<Dumps> => {
  const dump = async (set: MigrationSet, file: string) => {
    const fresh = await PGlite.create()
    const database = { db: drizzle(fresh), kind: 'pglite', location: 'memory', ping: async () => {}, withAdvisoryLock: <T>(_k: number, fn: () => Promise<T>) => fn(), close: () => fresh.close() }
    await migrate(database as unknown as Database, set)
    const data = await fresh.dumpDataDir('none')
    const path = join(dir, file)
    writeFileSync(path, Buffer.from(await data.arrayBuffer()))
    await fresh.close()
    return path
  }
  return { api: await dump(apiMigrations, 'api.tar'), vault: await dump(vaultMigrations, 'vault.tar') }
}

/**
 * A database for one part: a persistent (on-disk) PGlite in `dir`, loaded from a migrated dump; or, with
 * BENCH_BOTS_DATABASE_URL (an admin URL like postgres://postgres@127.0.0.1:5432/postgres), a fresh
 * PostgreSQL database, migrated, dropped on close — to compare the embedded database with a server.
 */
export const openDumped = async (dumpPath: string, dir: string, name: string): Promise<Database> => {
  const admin = process.env.BENCH_BOTS_DATABASE_URL
  if (admin === undefined || admin === '') return openDatabase({ kind: 'pglite', dataDir: join(dir, name), lockPath: join(dir, `${name}.lock`), loadDataDir: new Blob([readFileSync(dumpPath)]) })
  const dbName = `bench_bots_${name}_${randomBytes(5).toString('hex')}`
  const adminQuery = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await adminQuery(`create database ${dbName}`)
  const url = new URL(admin)
  url.pathname = `/${dbName}`
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 10 })
  await migrate(database, name === 'vault' ? vaultMigrations : apiMigrations)
  return {
    ...database,
    close: async () => {
      await database.close()
      await adminQuery(`drop database if exists ${dbName} with (force)`)
    },
  }
}

/**
 * Warnings and errors on stderr, each message at most 3 times; `counts` tells how often each came (a bot
 * dropped for a lost lease says so once per bot, and the bench reports the count instead of the flood).
 */
export const benchLogger = () => {
  const base = createLogger({ level: process.env.BENCH_BOTS_LOG_LEVEL ?? 'warn', name: 'bench-bots', destination: pino.destination(2) })
  const counts: Record<string, number> = {}
  const counted =
    (level: 'warn' | 'error') =>
    (obj: unknown, msg?: string): void => {
      const key = `${level}: ${msg ?? (typeof obj === 'string' ? obj : '')}`
      counts[key] = (counts[key] ?? 0) + 1
      if ((counts[key] ?? 0) <= 3) base[level](obj as object, msg)
    }
  const logger = { info: (obj: unknown, msg?: string) => base.info(obj as object, msg), warn: counted('warn'), error: counted('error') } as unknown as Pick<Logger, 'info' | 'warn' | 'error'>
  return { logger, counts }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

export const r1 = (x: number) => Number(x.toFixed(1))
export const r2 = (x: number) => Number(x.toFixed(2))

export const rssMB = () => r1(process.memoryUsage().rss / 1_048_576)

/** A user with a personal workspace (as sign-up makes them). */
export const seedWorkspace = async (db: Db, clock: Clock, name: string): Promise<{ userId: string; workspaceId: string }> => {
  const userId = newId()
  const workspaceId = newId()
  await db.insert(schema.users).values({ id: userId, email: `${name}-${userId.slice(-8)}@example.com`, displayName: name, createdAt: clock.now() })
  await db.insert(schema.workspaces).values({ id: workspaceId, name, isPersonal: true, createdAt: clock.now() })
  await db.insert(schema.memberships).values({ workspaceId, userId, role: 'owner', createdAt: clock.now() })
  return { userId, workspaceId }
}

/**
 * Latencies in milliseconds: 10 µs buckets up to 2 s, then kept one by one. Millions of samples cost a
 * fixed 800 KB, so recording does not itself grow the memory being measured.
 */
export const createHistogram = () => {
  const resolution = 100 // buckets per ms
  const buckets = new Uint32Array(2_000 * resolution)
  const beyond: number[] = []
  let count = 0
  let max = 0
  let sum = 0
  const record = (ms: number) => {
    const v = Math.max(0, ms)
    count++
    sum += v
    if (v > max) max = v
    const i = Math.floor(v * resolution)
    if (i < buckets.length) buckets[i] = (buckets[i] ?? 0) + 1
    else beyond.push(v)
  }
  /** The q-quantile (0 < q ≤ 1), to the bucket's upper edge; 0 when empty. */
  const quantile = (q: number): number => {
    if (count === 0) return 0
    const rank = Math.ceil(q * count)
    let seen = 0
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i] ?? 0
      if (seen >= rank) return (i + 1) / resolution
    }
    const rest = [...beyond].sort((a, b) => a - b)
    return rest[Math.min(rest.length - 1, rank - seen - 1)] ?? max
  }
  return {
    record,
    quantile,
    get count() {
      return count
    },
    get max() {
      return max
    },
    get mean() {
      return count === 0 ? 0 : sum / count
    },
    summary: () => ({ n: count, p50: r2(quantile(0.5)), p99: r2(quantile(0.99)), max: r2(max) }),
  }
}
export type Histogram = ReturnType<typeof createHistogram>
