import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseConfig, describeSecretFiles, platformSecretSpecs, homePaths, type Config } from '../config/index.js'
import { readLockHolder, migrationStatus, type MigrationStatus } from '../db/index.js'
import { MAX_SOCKET_PATH_BYTES } from '../lib/unix-socket.js'
import { openConfiguredDatabase } from '../main.js'
import { callAdmin } from './admin-client.js'
import { separationEnabled } from './separation.js'

export type Check = { status: 'ok' | 'warn' | 'fail'; name: string; detail: string }

const mark = { ok: '✓', warn: '!', fail: '✗' } as const

/** Read-only health report of configuration, files and storage. Creates nothing. */
export const runDoctor = async (env: Record<string, string | undefined>, now = new Date()): Promise<Check[]> => {
  const checks: Check[] = []
  const add = (status: Check['status'], name: string, detail: string) => checks.push({ status, name, detail })

  const parsed = parseConfig(env)
  if (!parsed.ok) {
    for (const p of parsed.problems) add('fail', 'config', p)
    return checks
  }
  const config: Config = parsed.config
  add('ok', 'config', 'every variable is valid')
  const major = Number(process.versions.node.split('.')[0])
  add(major >= 20 ? 'ok' : 'fail', 'node', `Node.js ${process.versions.node}${major >= 20 ? '' : ' (20 or newer is required)'}`)

  const home = resolve(config.BULWARK_HOME)
  const paths = homePaths(home)
  if (!existsSync(home)) {
    add('warn', 'home', `${home} does not exist yet: the first start creates it (mode 0700)`)
  } else {
    const st = statSync(home)
    const mode = st.mode & 0o777
    // A separated home is root:bulwark 0710 on purpose: group traversal only.
    if ((mode & (separationEnabled(config.BULWARK_SEPARATE_USERS) ? 0o067 : 0o077)) !== 0) add('fail', 'home', `${home} is open to other users (mode ${mode.toString(8)}): run \`chmod 700 ${home}\``)
    else if (typeof process.getuid === 'function' && st.uid !== process.getuid()) add('fail', 'home', `${home} belongs to uid ${st.uid}, not to this user`)
    else add('ok', 'home', `${home} (mode ${mode.toString(8).padStart(4, '0')}, owned by this user)`)
    for (const s of describeSecretFiles(home, config)) {
      if ('missing' in s) {
        add('warn', `secret ${s.name}`, `${s.path} not created yet (generated at first start)`)
        continue
      }
      const ageDays = Math.floor((now.getTime() - s.createdAt.getTime()) / 86_400_000)
      const rotation = platformSecretSpecs[s.name].rotationDays
      if ((s.mode & (s.generated ? 0o077 : 0o007)) !== 0) add('fail', `secret ${s.name}`, `${s.path} is readable by others (mode ${s.mode.toString(8)}): run \`chmod 600 ${s.path}\``)
      else if (ageDays > rotation) add('warn', `secret ${s.name}`, `${ageDays} days old, past its ${rotation}-day rotation period`)
      else add('ok', `secret ${s.name}`, `mode ${s.mode.toString(8)}, ${ageDays} of ${rotation} rotation days`)
    }
  }

  for (const [name, path] of [['admin socket', paths.adminSocket], ['signer socket', paths.signerSocket], ['operator socket', paths.signerOperatorSocket]] as const) {
    const bytes = Buffer.byteLength(path)
    add(bytes <= MAX_SOCKET_PATH_BYTES ? 'ok' : 'fail', name, `${path} is ${bytes} bytes (limit ${MAX_SOCKET_PATH_BYTES}; Node truncates longer Unix socket paths)${bytes > MAX_SOCKET_PATH_BYTES ? ': use a shorter BULWARK_HOME' : ''}`)
  }

  const holder = existsSync(paths.instanceLock) ? readLockHolder(paths.instanceLock) : undefined
  if (holder) {
    add('ok', 'instance', `running as process ${holder.pid} since ${holder.startedAt}`)
    try {
      const status = (await callAdmin(paths.adminSocket, 'status', {}, 10_000)) as { database: string; migrations: MigrationStatus }
      add(status.migrations.pending === 0 ? 'ok' : 'warn', 'storage', `${status.database}: ${status.migrations.applied} migrations applied, ${status.migrations.pending} pending`)
    } catch (err) {
      add('fail', 'storage', err instanceof Error ? err.message : String(err))
    }
    // Venues that sign timestamps refuse requests outside a few seconds' window (Binance: 5 s recvWindow).
    try {
      const skews = (await callAdmin(paths.adminSocket, 'clock-skew', {}, 30_000)) as Array<{ venue: string; skewMs: number | null; note: string }>
      if (skews.length === 0) add('ok', 'exchange clocks', 'no exchange keys connected yet')
      for (const s of skews) {
        if (s.skewMs === null) add('warn', `clock ${s.venue}`, s.note)
        else add(Math.abs(s.skewMs) > 1_000 ? 'warn' : 'ok', `clock ${s.venue}`, `${s.skewMs} ms from this machine${Math.abs(s.skewMs) > 1_000 ? ': check NTP here (ccxt corrects the offset where the venue allows, but signed requests near the window edge fail)' : ''}`)
      }
    } catch (err) {
      add('warn', 'exchange clocks', err instanceof Error ? err.message : String(err))
    }
  } else {
    add('ok', 'instance', 'not running (this BULWARK_HOME is free)')
    if (!config.DATABASE_URL && !existsSync(paths.dbDir)) {
      add('warn', 'storage', `embedded database ${paths.dbDir} does not exist yet: the first start creates it`)
    } else {
      try {
        const database = await openConfiguredDatabase(config, home)
        try {
          const m = await migrationStatus(database)
          add(m.pending === 0 ? 'ok' : 'warn', 'storage', `${database.kind} ${database.location}: ${m.applied} migrations applied, ${m.pending} pending${m.pending ? ' (run `bulwark migrate`)' : ''}`)
        } finally {
          await database.close()
        }
      } catch (err) {
        add('fail', 'storage', err instanceof Error ? err.message : String(err))
      }
    }
  }

  const separated = separationEnabled(config.BULWARK_SEPARATE_USERS)
  add(
    separated ? 'ok' : 'warn',
    'processes',
    separated
      ? 'separated mode: the signer runs as bulwark-signer and the api as bulwark-api; only the signer can read vault/ (an OS boundary), and both run under Node\'s permission model'
      : 'same-user mode: the signer and the api run as this user under Node\'s permission model (the api has no grant on vault/): a safety net, not a boundary. Start as root for separated mode.',
  )
  if (!config.DATABASE_URL) {
    add(
      'warn',
      'isolation',
      'embedded mode keeps every store (database, secrets, the vault shares and the master key) on one disk: a copy of BULWARK_HOME is a copy of everything. For real funds, put the share stores on separate databases/volumes (docs/deployment.md).',
    )
  }
  return checks
}

export const formatChecks = (checks: Check[]): string => checks.map((c) => `${mark[c.status]} ${c.name}: ${c.detail}`).join('\n')
