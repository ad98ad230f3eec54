import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { rowsOf, type Database, type Db, type DbOrTx } from './connection.js'
import { apiMigrations, migrate, migrationStatus, type MigrationSet } from './migrate.js'

/**
 * A logical dump of one schema as JSON lines, for backups (`bulwark backup`) and restores onto an empty
 * database of either kind (PGlite or PostgreSQL).
 *
 * Line 1 is a header `{kind, v, schema, migrations, tables: [{name, columns, rows}]}`; every other line is
 * one row `{"t": table, "v": [value, …]}` with the values in the header's column order. Every value is
 * PostgreSQL's own text form (`column::text`) or null: numeric and bigint keep every digit (a JSON number
 * would go through a JS float), jsonb keeps its big numbers, bytea is `\x…` hex. The restore casts each
 * text back with the target column's type, so the round trip is exact whatever the type.
 *
 * The dump is read in one REPEATABLE READ transaction: one consistent snapshot of every table.
 * It is plaintext (password hashes, encrypted TOTP seeds, journals): callers encrypt it at once.
 */
export const DUMP_KIND = 'bulwark-logical-dump'

const dumpHeader = z.object({
  kind: z.literal(DUMP_KIND),
  v: z.literal(1),
  schema: z.string().min(1).max(63),
  /** Migrations applied to the dumped database: a restore refuses a dump newer than its own code. */
  migrations: z.number().int().min(0),
  tables: z.array(z.object({ name: z.string().min(1).max(63), columns: z.array(z.string().min(1).max(63)).min(1), rows: z.number().int().min(0) })),
})
export type DumpHeader = z.infer<typeof dumpHeader>
const rowLine = z.object({ t: z.string(), v: z.array(z.string().nullable()) })

export type DumpOptions = {
  /** The schema to dump (default `public`, the api's tables). */
  schema?: string
  /** Tables left out (e.g. the signer's share rows, which go into their own archive). */
  excludeTables?: readonly string[]
  /** Whose bookkeeping counts the applied migrations (default: the api's); its table is never dumped. */
  migrations?: MigrationSet
}

type Column = { name: string; type: string }

const tablesOf = async (db: DbOrTx, schema: string): Promise<string[]> =>
  rowsOf<{ name: string }>(
    await db.execute(sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`),
  ).map((r) => r.name)

/** Columns a row can be written to (generated columns are recomputed by the database). */
const columnsOf = async (db: DbOrTx, schema: string, table: string): Promise<Column[]> =>
  rowsOf<Column>(
    await db.execute(sql`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relname = ${table} and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      order by a.attnum`),
  )

const qualified = (schema: string, table: string) => sql`${sql.identifier(schema)}.${sql.identifier(table)}`

const appliedMigrations = async (db: DbOrTx, set: MigrationSet): Promise<number> => {
  const exists = rowsOf<{ n: number | string }>(
    await db.execute(sql`select count(*) as n from information_schema.tables where table_schema = ${set.schema} and table_name = ${set.table}`),
  )
  if (Number(exists[0]?.n ?? 0) === 0) return 0
  return Number(rowsOf<{ n: number | string }>(await db.execute(sql`select count(*) as n from ${qualified(set.schema, set.table)}`))[0]?.n ?? 0)
}

/** Text forms independent of the server's settings, in both directions. */
const pinTextFormats = async (tx: DbOrTx) => {
  await tx.execute(sql`set local datestyle = 'ISO, YMD'`)
  await tx.execute(sql`set local intervalstyle = 'postgres'`)
  await tx.execute(sql`set local bytea_output = 'hex'`)
  await tx.execute(sql`set local extra_float_digits = 3`)
}

const skipped = (schema: string, set: MigrationSet, exclude: readonly string[]) => (table: string) =>
  exclude.includes(table) || (set.schema === schema && set.table === table)

/**
 * Dumps every table of `schema` (one consistent snapshot) as JSON lines.
 * @example await dumpDatabase(database.db)                       // the api's tables
 * @example await dumpDatabase(vaultDb.db, { schema: 'signer', excludeTables: ['shares'], migrations: vaultMigrations })
 */
export const dumpDatabase = async (db: Db, opts: DumpOptions = {}): Promise<string> => {
  const schema = opts.schema ?? 'public'
  const set = opts.migrations ?? apiMigrations
  const isSkipped = skipped(schema, set, opts.excludeTables ?? [])
  return db.transaction(
    async (tx) => {
      await pinTextFormats(tx)
      const header: DumpHeader = { kind: DUMP_KIND, v: 1, schema, migrations: await appliedMigrations(tx, set), tables: [] }
      const body: string[] = []
      for (const table of (await tablesOf(tx, schema)).filter((t) => !isSkipped(t))) {
        const columns = await columnsOf(tx, schema, table)
        if (columns.length === 0) continue
        const values = sql.join(columns.map((c) => sql`${sql.identifier(c.name)}::text`), sql`, `)
        const rows = rowsOf<{ r: string }>(await tx.execute(sql`select array_to_json(array[${values}])::text as r from ${qualified(schema, table)}`))
        for (const { r } of rows) body.push(`{"t":${JSON.stringify(table)},"v":${r}}`)
        header.tables.push({ name: table, columns: columns.map((c) => c.name), rows: rows.length })
      }
      return [JSON.stringify(header), ...body].join('\n') + '\n'
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  )
}

/**
 * The header of a dump, validated.
 * @throws AppError BAD_INPUT when the text is not a Bulwark logical dump
 */
export const readDumpHeader = (jsonl: string): DumpHeader => {
  const end = jsonl.indexOf('\n')
  try {
    return dumpHeader.parse(JSON.parse(end === -1 ? jsonl : jsonl.slice(0, end)))
  } catch (err) {
    throw new AppError('BAD_INPUT', 'this is not a Bulwark database dump (its header does not parse)', { cause: err })
  }
}

/** Tables ordered so that every table comes after the tables its foreign keys point to. */
const insertionOrder = async (db: DbOrTx, schema: string, tables: string[]): Promise<string[]> => {
  const edges = rowsOf<{ child: string; parent: string }>(
    await db.execute(sql`select src.relname as child, dst.relname as parent from pg_constraint c
      join pg_class src on src.oid = c.conrelid join pg_class dst on dst.oid = c.confrelid
      join pg_namespace ns on ns.oid = src.relnamespace join pg_namespace nd on nd.oid = dst.relnamespace
      where c.contype = 'f' and ns.nspname = ${schema} and nd.nspname = ${schema}`),
  )
  const parents = new Map(tables.map((t) => [t, new Set<string>()]))
  for (const e of edges) if (e.child !== e.parent && parents.has(e.parent)) parents.get(e.child)?.add(e.parent)
  const ordered: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (t: string) => {
    if (state.get(t) === 'done') return
    // A cycle of foreign keys cannot be loaded row by row without deferrable constraints; none exists today.
    if (state.get(t) === 'visiting') throw new AppError('INTERNAL', `the foreign keys of ${schema}.${t} form a cycle: the dump cannot be restored in order`)
    state.set(t, 'visiting')
    for (const p of [...(parents.get(t) ?? [])].sort()) visit(p)
    state.set(t, 'done')
    ordered.push(t)
  }
  for (const t of [...tables].sort()) visit(t)
  return ordered
}

export type EmptinessOptions = { schema?: string; migrations?: MigrationSet }

/**
 * Refuses a database that holds any row in `schema` (its migrations' bookkeeping aside): a restore never
 * merges into live data.
 * @throws AppError CONFLICT naming the first table with rows
 */
export const assertSchemaEmpty = async (db: DbOrTx, opts: EmptinessOptions = {}): Promise<void> => {
  const schema = opts.schema ?? 'public'
  const isSkipped = skipped(schema, opts.migrations ?? apiMigrations, [])
  for (const table of (await tablesOf(db, schema)).filter((t) => !isSkipped(t))) {
    const rows = rowsOf<{ has: boolean }>(await db.execute(sql`select exists (select 1 from ${qualified(schema, table)}) as has`))
    if (rows[0]?.has) throw new AppError('CONFLICT', `the target database is not empty (${schema}.${table} has rows): restore only into an empty database`)
  }
}

const BATCH_BYTES = 1 << 20

const insertBatch = async (tx: DbOrTx, schema: string, table: string, columns: Column[], batch: string[]) => {
  const names = sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `)
  // The type names come from the target's own catalog, never from the dump.
  const casts: SQL[] = columns.map((c, i) => sql`(x->>${sql.raw(String(i))})::${sql.raw(c.type)}`)
  await tx.execute(
    sql`insert into ${qualified(schema, table)} (${names}) overriding system value select ${sql.join(casts, sql`, `)} from json_array_elements(${`[${batch.join(',')}]`}::json) as x`,
  )
}

/** Serial and identity sequences continue after the restored rows. */
const resetSequences = async (tx: DbOrTx, schema: string, table: string, columns: Column[]) => {
  for (const c of columns) {
    const seq = rowsOf<{ s: string | null }>(await tx.execute(sql`select pg_get_serial_sequence(quote_ident(${schema}) || '.' || quote_ident(${table}), ${c.name}) as s`))[0]?.s
    if (!seq) continue
    const col = sql.identifier(c.name)
    await tx.execute(sql`select setval(${seq}::regclass, coalesce((select max(${col}) from ${qualified(schema, table)}), 1), (select max(${col}) from ${qualified(schema, table)}) is not null)`)
  }
}

export type RestoreDumpOptions = EmptinessOptions

/**
 * Loads a dump into an empty database: migrates it first, checks it is empty and at least as new as the
 * dump, then inserts every table in foreign-key order in one transaction (all rows or none). Append-only
 * tables (the audit log) accept the inserts: their triggers refuse only updates and deletes.
 * @throws AppError BAD_INPUT (not a dump, or a dump from newer code), CONFLICT (not empty)
 */
export const restoreDatabase = async (database: Database, jsonl: string, opts: RestoreDumpOptions = {}): Promise<{ tables: Array<{ name: string; rows: number }> }> => {
  const header = readDumpHeader(jsonl)
  const schema = opts.schema ?? 'public'
  const set = opts.migrations ?? apiMigrations
  if (header.schema !== schema) throw new AppError('BAD_INPUT', `the dump holds schema "${header.schema}", not "${schema}"`)
  await migrate(database, set)
  const applied = (await migrationStatus(database, set)).applied
  if (header.migrations > applied) {
    throw new AppError('BAD_INPUT', `the dump was made by a newer Bulwark (${header.migrations} migrations, this one has ${applied}): restore it with that version or later`)
  }
  const rowsByTable = new Map<string, string[]>(header.tables.map((t) => [t.name, []]))
  for (const line of jsonl.split('\n').slice(1)) {
    if (line === '') continue
    const row = rowLine.parse(JSON.parse(line))
    const list = rowsByTable.get(row.t)
    const declared = header.tables.find((t) => t.name === row.t)
    if (!list || !declared || row.v.length !== declared.columns.length) throw new AppError('BAD_INPUT', `the dump has a row for ${row.t} that its header does not describe`)
    list.push(JSON.stringify(row.v))
  }
  for (const t of header.tables) {
    if (rowsByTable.get(t.name)?.length !== t.rows) throw new AppError('BAD_INPUT', `the dump is incomplete: ${t.name} should have ${t.rows} rows`)
  }

  return database.db.transaction(async (tx) => {
    await pinTextFormats(tx)
    await assertSchemaEmpty(tx, { schema, migrations: set })
    const present = await tablesOf(tx, schema)
    const restored: Array<{ name: string; rows: number }> = []
    for (const table of await insertionOrder(tx, schema, header.tables.map((t) => t.name))) {
      if (!present.includes(table)) throw new AppError('BAD_INPUT', `the dump has a table ${schema}.${table} that this version does not know`)
      const declared = header.tables.find((t) => t.name === table) as DumpHeader['tables'][number]
      const target = new Map((await columnsOf(tx, schema, table)).map((c) => [c.name, c]))
      const columns = declared.columns.map((name) => {
        const c = target.get(name)
        if (!c) throw new AppError('BAD_INPUT', `the dump has a column ${table}.${name} that this version does not know`)
        return c
      })
      const rows = rowsByTable.get(table) ?? []
      let batch: string[] = []
      let bytes = 0
      for (const r of rows) {
        batch.push(r)
        bytes += r.length
        if (bytes >= BATCH_BYTES) {
          await insertBatch(tx, schema, table, columns, batch)
          batch = []
          bytes = 0
        }
      }
      if (batch.length > 0) await insertBatch(tx, schema, table, columns, batch)
      await resetSequences(tx, schema, table, columns)
      restored.push({ name: table, rows: rows.length })
    }
    return { tables: restored }
  })
}
