import { randomBytes, randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { rowsOf } from './connection.js'
import { assertSchemaEmpty, dumpDatabase, readDumpHeader, restoreDatabase } from './logical-dump.js'

/** Rows compared as a set: the dump does not promise an order within a table. */
const rowLines = (dump: string) => dump.trim().split('\n').slice(1).sort()

// Child before parent alphabetically, so only the foreign-key order can get the inserts right.
const trickySchema = (schema: string) => [
  sql.raw(`create schema ${schema}`),
  sql.raw(`create table ${schema}.z_parent (
    id serial primary key, n numeric not null, big bigint not null, raw bytea, doc jsonb, plain json,
    at timestamp(3) with time zone, tags text[], span interval, note text, doubled numeric generated always as (n * 2) stored)`),
  sql.raw(`create table ${schema}.a_child (id integer generated always as identity primary key, parent_id integer not null references ${schema}.z_parent(id))`),
]

describe.each(backends)('logical dump on %s', (kind) => {
  const opened: TestDatabase[] = []
  const open = async () => {
    const d = await openTestDatabase(kind)
    opened.push(d)
    return d
  }
  afterAll(async () => {
    for (const d of opened) await d.dispose()
  })

  /** A workspace, its owner, two audit events and an alert whose details no JS number could hold. */
  const seedApi = async (database: TestDatabase) => {
    const ws = randomUUID()
    const user = randomUUID()
    const at = '2026-12-04T09:00:00.123Z'
    await database.db.execute(sql`insert into workspaces (id, name, is_personal, created_at) values (${ws}, ${'Personal "quoted"\nline'}, true, ${at})`)
    await database.db.execute(sql`insert into users (id, email, display_name, password_hash, is_operator, created_at) values (${user}, 'op@example.test', 'Op', '$argon2id$v=19$m=19456,t=2,p=1$x$y', true, ${at})`)
    await database.db.execute(sql`insert into memberships (workspace_id, user_id, role, created_at) values (${ws}, ${user}, 'owner', ${at})`)
    for (const seq of [1, 2]) {
      await database.db.execute(
        sql`insert into audit_events (chain, seq, prev_hash, hash, workspace_id, type, actor_type, outcome, details, occurred_at) values (${`ws:${ws}`}, ${seq}, 'p', 'h', ${ws}, 'test_event', 'system', 'success', '{}', ${at})`,
      )
    }
    await database.db.execute(
      sql`insert into alerts (id, workspace_id, rule, severity, details, created_at, last_seen_at) values (${randomUUID()}, ${ws}, 'r', 'info', ${'{"n": 123456789012345678901234567890.000000000000000001, "s": "a\\u00e9\\nb"}'}::jsonb, ${at}, ${at})`,
    )
  }

  it('round-trips the api tables exactly, audit rows included', async () => {
    const source = await open()
    await seedApi(source)
    const dump = await dumpDatabase(source.db)
    const header = readDumpHeader(dump)
    expect(header.tables.find((t) => t.name === 'audit_events')?.rows).toBe(2)
    expect(header.migrations).toBeGreaterThan(0)

    const target = await open()
    const result = await restoreDatabase(target, dump)
    expect(result.tables.find((t) => t.name === 'memberships')).toEqual({ name: 'memberships', rows: 1 })
    // Memberships point at users and workspaces: they were inserted after both.
    const names = result.tables.map((t) => t.name)
    expect(names.indexOf('memberships')).toBeGreaterThan(Math.max(names.indexOf('users'), names.indexOf('workspaces')))
    expect(rowLines(await dumpDatabase(target.db))).toEqual(rowLines(dump))
    const [alert] = rowsOf<{ n: string }>(await target.db.execute(sql`select details->>'n' as n from alerts`))
    expect(alert?.n).toBe('123456789012345678901234567890.000000000000000001')
  })

  it('keeps every type exact, skips generated columns and continues serial and identity sequences', async () => {
    const schema = `dt_${randomBytes(4).toString('hex')}`
    const source = await open()
    for (const s of trickySchema(schema)) await source.db.execute(s)
    await source.db.execute(
      sql.raw(`insert into ${schema}.z_parent (n, big, raw, doc, plain, at, tags, span, note) values
        (0.000000000000000000000000001, 9223372036854775807, '\\x00ff10', '{"big": 98765432109876543210}', '{"b":1, "a":2}', '2026-12-04 09:00:00.123+00', '{"a,b","c"}', '1 day 02:03:04', null),
        (-12.5, -1, '', 'null', '[]', null, '{}', null, E'tab\\there')`),
    )
    await source.db.execute(sql.raw(`insert into ${schema}.a_child (parent_id) values (1), (2), (2)`))
    const dump = await dumpDatabase(source.db, { schema })
    expect(readDumpHeader(dump).tables.find((t) => t.name === 'z_parent')?.columns).not.toContain('doubled')

    const target = await open()
    for (const s of trickySchema(schema)) await target.db.execute(s)
    await restoreDatabase(target, dump, { schema })
    expect(rowLines(await dumpDatabase(target.db, { schema }))).toEqual(rowLines(dump))
    const [row] = rowsOf<{ doubled: string; plain: string }>(await target.db.execute(sql.raw(`select doubled::text, plain::text from ${schema}.z_parent where id = 1`)))
    expect(row).toEqual({ doubled: '0.000000000000000000000000002', plain: '{"b":1, "a":2}' })
    // New rows continue after the restored ones instead of colliding with them.
    const [next] = rowsOf<{ id: number }>(await target.db.execute(sql.raw(`insert into ${schema}.z_parent (n, big) values (1, 1) returning id`)))
    expect(next?.id).toBe(3)
    const [child] = rowsOf<{ id: number }>(await target.db.execute(sql.raw(`insert into ${schema}.a_child (parent_id) values (3) returning id`)))
    expect(child?.id).toBe(4)
  })

  it('refuses a target that holds data, and writes nothing', async () => {
    const source = await open()
    await seedApi(source)
    const dump = await dumpDatabase(source.db)
    const target = await open()
    await target.db.execute(sql`insert into workspaces (id, name, created_at) values (${randomUUID()}, 'live', now())`)
    await expect(restoreDatabase(target, dump)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(rowsOf<{ n: string }>(await target.db.execute(sql`select count(*)::text as n from users`))[0]?.n).toBe('0')
  })

  it('writes all rows or none: a row that breaks a constraint rolls the whole restore back', async () => {
    const source = await open()
    await seedApi(source)
    const dump = await dumpDatabase(source.db)
    // A membership pointing at a user that is not in the dump: the foreign key refuses it, after users went in.
    const broken = dump.replace(/("t":"memberships","v":\["[0-9a-f-]+",")[0-9a-f-]+"/, `$1${randomUUID()}"`)
    expect(broken).not.toBe(dump)
    const target = await open()
    await expect(restoreDatabase(target, broken)).rejects.toThrow()
    await assertSchemaEmpty(target.db)
  })

  it('refuses dumps it cannot trust to be whole or to fit this version', async () => {
    const source = await open()
    await seedApi(source)
    const dump = await dumpDatabase(source.db)
    const target = await open()
    const [first, ...rest] = dump.split('\n')
    const header = JSON.parse(first as string) as { migrations: number; tables: Array<{ name: string; rows: number }> }
    const withHeader = (h: unknown) => [JSON.stringify(h), ...rest].join('\n')
    // A row line cut off: the header's counts no longer match.
    await expect(restoreDatabase(target, dump.replace(/\n\{"t":"users"[^\n]*/, ''))).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(restoreDatabase(target, withHeader({ ...header, migrations: 999 }))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('newer Bulwark') })
    await expect(restoreDatabase(target, withHeader({ ...header, tables: [...header.tables, { name: 'no_such_table', columns: ['x'], rows: 0 }] }))).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(restoreDatabase(target, 'not a dump')).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await assertSchemaEmpty(target.db)
  })
})
