import { mkdtempSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { sql } from 'drizzle-orm'
import { migrate, openDatabase, schema, type Database } from '../src/db/index.js'
import { systemClock } from '../src/lib/clock.js'
import { newId } from '../src/lib/ids.js'
import { createAuditChain, GENESIS_HASH, verifyChain, workspaceChain, type AuditEntry } from '../src/monitoring/index.js'
import { entryHash } from '../src/monitoring/audit-hash.js'

/**
 * `npm run bench -- audit` (issue 8): append throughput with hashing, 8 concurrent writers on one chain
 * (appends are grouped: the appends waiting for a chain are written in one transaction with one head
 * update), on PGlite and on PostgreSQL (DATABASE_URL; skipped with a note when unset); `verify` time for
 * 1,000,000 events (built fast: precomputed linked entries in multi-row inserts); then the lockdown bench
 * (bench/audit-lockdown.ts). The last line is JSON.
 */

const WRITERS = 8
const APPENDS = Number(process.env.BENCH_AUDIT_APPENDS ?? 40_000)
const VERIFY_EVENTS = Number(process.env.BENCH_AUDIT_VERIFY_EVENTS ?? 1_000_000)
const say = (line: string) => process.stdout.write(`${line}\n`)

const openPglite = async (): Promise<Database & { dispose: () => Promise<void> }> => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-audit-'))
  const database = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'db'), lockPath: join(dir, 'db.lock') })
  await migrate(database)
  return {
    ...database,
    dispose: async () => {
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A fresh database on the server DATABASE_URL points at, migrated, dropped afterwards. */
const openPostgres = async (adminUrl: string): Promise<Database & { dispose: () => Promise<void> }> => {
  const name = `bench_audit_${randomBytes(5).toString('hex')}`
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await admin(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: WRITERS + 2 })
  await migrate(database)
  return {
    ...database,
    dispose: async () => {
      await database.close()
      await admin(`drop database if exists ${name} with (force)`)
    },
  }
}

/** 8 writers, each awaiting its own appends one after another, all on one workspace chain. */
const appendThroughput = async (database: Database): Promise<number> => {
  const audit = createAuditChain({ db: database.db, clock: systemClock })
  const ws = newId()
  const event = (w: number, i: number) => ({ workspaceId: ws, type: 'bench_event', actor: { type: 'user' as const, id: `writer-${w}` }, outcome: 'success' as const, ip: '203.0.113.7', requestId: `r-${w}-${i}`, details: { w, i, symbol: 'BTC/USDT' } })
  const run = (perWriter: number) => Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; i < perWriter; i++) await audit.append(event(w, i))
  }))
  await run(200) // warm-up: JIT, connection pool, statement plans
  const started = performance.now()
  await run(Math.ceil(APPENDS / WRITERS))
  const seconds = (performance.now() - started) / 1000
  const verdict = await verifyChain(database.db, workspaceChain(ws))
  if (!verdict.ok) throw new Error(`the benchmark chain does not verify: ${JSON.stringify(verdict)}`)
  return Math.round((Math.ceil(APPENDS / WRITERS) * WRITERS) / seconds)
}

/** n linked entries written straight into the table (multi-row inserts), then one timed `verifyChain`. */
const verifyTime = async (database: Database, n: number): Promise<number> => {
  const ws = newId()
  const chain = workspaceChain(ws)
  const base = Date.parse('2026-01-01T00:00:00Z')
  let prevHash = GENESIS_HASH
  const BATCH = 2_000
  const built = performance.now()
  for (let from = 1; from <= n; from += BATCH) {
    const rows: AuditEntry[] = []
    for (let seq = from; seq < Math.min(from + BATCH, n + 1); seq++) {
      const unhashed = { chain, seq, prevHash, workspaceId: ws, type: 'order_placed', actor: { type: 'system' as const, id: 'bot-runtime' }, occurredAt: new Date(base + seq).toISOString(), ip: null, requestId: `r${seq}`, outcome: 'success' as const, details: { orderId: `o${seq}`, symbol: 'BTC/USDT', side: seq % 2 ? 'buy' : 'sell' } }
      prevHash = entryHash(unhashed)
      rows.push({ ...unhashed, hash: prevHash })
    }
    await database.db.insert(schema.auditEvents).values(
      rows.map((e) => ({ chain, seq: e.seq, prevHash: e.prevHash, hash: e.hash, workspaceId: ws, type: e.type, actorType: e.actor.type, actorId: e.actor.id ?? null, occurredAt: new Date(e.occurredAt), ip: e.ip, requestId: e.requestId, outcome: e.outcome, details: e.details })),
    )
  }
  await database.db.insert(schema.auditChainHeads).values({ chain, seq: n, hash: prevHash })
  await database.db.execute(sql`analyze audit_events`)
  say(`  built ${n.toLocaleString('en')} linked entries in ${((performance.now() - built) / 1000).toFixed(1)} s`)
  const started = performance.now()
  const verdict = await verifyChain(database.db, chain, { head: { seq: n, hash: prevHash } })
  const seconds = (performance.now() - started) / 1000
  if (!verdict.ok || verdict.entries !== n) throw new Error(`verify failed: ${JSON.stringify(verdict)}`)
  return Math.round(seconds * 100) / 100
}

type LockdownFigures = { lockdownKeysMs: number | null; lockdownOrdersMs: number | null }

const lockdown = async (): Promise<LockdownFigures> => {
  let mod: { runLockdownBench?: () => Promise<{ lockdownKeysMs: number; lockdownOrdersMs: number }> }
  try {
    mod = (await import(['.', 'audit-lockdown.js'].join('/'))) as typeof mod
  } catch {
    say('lockdown: not built (bench/audit-lockdown.ts is missing)')
    return { lockdownKeysMs: null, lockdownOrdersMs: null }
  }
  if (!mod.runLockdownBench) {
    say('lockdown: not built (bench/audit-lockdown.ts exports no runLockdownBench)')
    return { lockdownKeysMs: null, lockdownOrdersMs: null }
  }
  const r = await mod.runLockdownBench()
  return { lockdownKeysMs: r.lockdownKeysMs, lockdownOrdersMs: r.lockdownOrdersMs }
}

export const run = async () => {
  say(`audit: ${WRITERS} concurrent writers on one chain, ${APPENDS.toLocaleString('en')} appends each run, hashing on; appends grouped per transaction`)
  const lite = await openPglite()
  let appendsPerSec: number
  let verify1MSec: number
  try {
    appendsPerSec = await appendThroughput(lite)
    say(`  PGlite (persistent, temp dir): ${appendsPerSec.toLocaleString('en')} appends/s`)
    say(`verify: ${VERIFY_EVENTS.toLocaleString('en')} events on PGlite`)
    verify1MSec = await verifyTime(lite, VERIFY_EVENTS)
    say(`  verified in ${verify1MSec} s`)
  } finally {
    await lite.dispose()
  }

  let appendsPerSecPostgres: number | null = null
  let verify1MSecPostgres: number | null = null
  const url = process.env.DATABASE_URL
  if (url) {
    const server = await openPostgres(url)
    try {
      appendsPerSecPostgres = await appendThroughput(server)
      say(`  PostgreSQL (${server.location.replace(/\/[^/]*$/, '')}): ${appendsPerSecPostgres.toLocaleString('en')} appends/s`)
      say(`verify: ${VERIFY_EVENTS.toLocaleString('en')} events on PostgreSQL`)
      verify1MSecPostgres = await verifyTime(server, VERIFY_EVENTS)
      say(`  verified in ${verify1MSecPostgres} s`)
    } finally {
      await server.dispose()
    }
  } else {
    say('  PostgreSQL: skipped (DATABASE_URL is not set)')
  }

  const figures = await lockdown()
  process.stdout.write(
    `${JSON.stringify({ name: 'audit', appendsPerSec, appendsPerSecPostgres, grouped: true, writers: WRITERS, verify1MSec, verify1MSecPostgres, verifyEvents: VERIFY_EVENTS, ...figures })}\n`,
  )
}
