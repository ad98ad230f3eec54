import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { homePaths, prepareHome, privateDir, type Config } from '../config/index.js'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { acquireLockFile, readLockHolder } from '../db/index.js'
import { assertSchemaEmpty, readDumpHeader, restoreDatabase } from '../db/logical-dump.js'
import { createSignerClient } from '../signer/index.js'
import { signerEnvSchema } from '../signer/signer-config.js'
import { ARCHIVE_SUFFIX, sealArchive, writeNewFile, type ArchivedFile, type MainPayload, type VaultBackupResult } from '../signer/vault-backup.js'
import { restoreVault, type MainRestoreTarget } from '../signer/vault-restore.js'
import { openConfiguredDatabase } from '../main.js'
import { callAdmin } from './admin-client.js'
import type { CliContext } from './cli-context.js'

/**
 * `bulwark backup`, `bulwark restore`, `bulwark vault recovery-kit`.
 *
 * Backup needs the platform running: the api dumps its database over the owner-only admin socket
 * (`backup-dump`), and the signer writes the vault's archives itself and hands out only this backup's
 * `main` archive key — the master key never leaves the signer, so there is no offline backup (a stopped
 * platform is refused with the fix). Restore is the opposite: offline only, onto an empty home.
 */
const isRunning = (config: Config) => {
  const paths = homePaths(resolve(config.BULWARK_HOME))
  return { paths, running: existsSync(paths.instanceLock) && readLockHolder(paths.instanceLock) !== undefined }
}

/** A call on the signer's operator socket (operator token: readable by the operator only). */
const operatorCall = async <T>(paths: ReturnType<typeof homePaths>, op: string, params: Record<string, unknown>): Promise<T> => {
  const client = createSignerClient({ socketPath: paths.signerOperatorSocket, timeoutMs: 600_000, auth: readFileSync(paths.operatorToken, 'utf8').trim() })
  try {
    // The operator ops are typed by the signer's table; this module only names them.
    const call = client.call as unknown as (op: string, workspaceId: null, params: unknown) => Promise<{ result: unknown }>
    return (await call(op, null, params)).result as T
  } finally {
    client.close()
  }
}

const emptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0

/** Generated platform secrets (BULWARK_HOME/secrets): TOTP seeds and webhook secrets are encrypted under them. */
const readSecrets = (dir: string): ArchivedFile[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.key') && statSync(join(dir, n)).isFile())
        .sort()
        .map((name) => ({ name, data: readFileSync(join(dir, name)).toString('base64') }))
    : []

/** Moves a file the signer wrote (same user, or root in separated mode); copies across file systems. */
const moveFile = (from: string, to: string) => {
  try {
    renameSync(from, to)
  } catch (err) {
    if (systemErrorCode(err) !== 'EXDEV') throw err
    copyFileSync(from, to)
    rmSync(from)
  }
}

const backup = async (context: CliContext, opts: { out: string }) => {
  const config = context.loadConfig()
  const { paths, running } = isRunning(config)
  if (!running) {
    throw new AppError('UNAVAILABLE', 'Bulwark is not running: `bulwark backup` reads through the running platform (the master key never leaves the signer). Start it (`npm start`), then run this again')
  }
  const out = resolve(opts.out)
  if (!emptyOrMissing(out)) throw new AppError('BAD_INPUT', `--out ${out} is not empty: give a new or empty folder (one backup per folder)`)
  mkdirSync(out, { recursive: true, mode: 0o700 })

  // The api's database first, then the vault: a key connected in between is in the vault but not yet
  // in the api's data (an unused key the operator can remove), never the other way round.
  const dump = await callAdmin(paths.adminSocket, 'backup-dump', {}, 600_000)
  if (typeof dump !== 'string') throw new AppError('INTERNAL', 'the running instance answered backup-dump with something other than a dump')
  const rows = readDumpHeader(dump).tables.reduce((n, t) => n + t.rows, 0)
  const main: MainPayload = { dump, files: readSecrets(paths.secretsDir) }
  const vault = await operatorCall<VaultBackupResult>(paths, 'backupVault', {})

  const key = Buffer.from(vault.main.keyUnsafe, 'base64')
  try {
    const { bytes, header } = sealArchive(
      { backupId: vault.backupId, name: 'main', set: vault.set, masterVersion: vault.masterVersion, key: vault.main.keyLabel, createdAt: vault.createdAt, entries: rows + main.files.length },
      main,
      key,
    )
    writeNewFile(join(out, `main${ARCHIVE_SUFFIX}`), bytes)
    context.out(`backup ${vault.backupId} (master key version ${vault.masterVersion}) in ${out}:`)
    context.out(`  main${ARCHIVE_SUFFIX}  ${header.entries} entries  key ${header.key}`)
  } finally {
    key.fill(0)
  }
  for (const a of vault.archives) {
    moveFile(a.file, join(out, basename(a.file)))
    context.out(`  ${basename(a.file)}  ${a.entries} entries  key ${a.keyLabel}`)
  }
  rmdirSync(vault.dir)
  context.out('The master key is in no archive: keep a recovery kit (`bulwark vault recovery-kit`) apart from the backups.')
}

/** The api's side of a restore: its database (PGlite under the home, or DATABASE_URL) and its secrets. */
const mainTarget = (config: Config, home: string): MainRestoreTarget => {
  const paths = homePaths(home)
  return {
    check: async () => {
      if (!emptyOrMissing(paths.secretsDir)) throw new AppError('CONFLICT', `${paths.secretsDir} is not empty: restore onto an empty BULWARK_HOME`)
      if (!config.DATABASE_URL) {
        if (!emptyOrMissing(paths.dbDir)) throw new AppError('CONFLICT', `${paths.dbDir} is not empty: restore onto an empty BULWARK_HOME`)
        return
      }
      const database = await openConfiguredDatabase(config, home)
      try {
        await assertSchemaEmpty(database.db)
      } finally {
        await database.close()
      }
    },
    write: async (payload) => {
      const dir = privateDir(home, 'secrets')
      for (const f of payload.files) {
        if (!/^[a-zA-Z0-9_-]+\.key$/.test(f.name)) throw new AppError('BAD_INPUT', `the main archive names an unexpected secret file "${f.name}"`)
        writeFileSync(join(dir, f.name), Buffer.from(f.data, 'base64'), { mode: 0o600, flag: 'wx' })
      }
      if (!config.DATABASE_URL) privateDir(home, 'db')
      const database = await openConfiguredDatabase(config, home)
      try {
        const { tables } = await restoreDatabase(database, payload.dump)
        return tables.reduce((n, t) => n + t.rows, 0) + payload.files.length
      } finally {
        await database.close()
      }
    },
  }
}

const restore = async (context: CliContext, opts: { from: string; recoveryShare: string[] }) => {
  const config = context.loadConfig()
  const { running } = isRunning(config)
  if (running) throw new AppError('CONFLICT', 'Bulwark is running: stop it, then restore onto an empty BULWARK_HOME')
  const vaultEnv = signerEnvSchema.pick({ VAULT_DATABASE_URL: true, VAULT2_DATABASE_URL: true, VAULT_SHARE_DIR_3: true }).parse(process.env)
  const home = prepareHome(config.BULWARK_HOME)
  const paths = homePaths(home.path)
  const before = new Set(readdirSync(home.path))
  // Held while restoring, so a `bulwark start` cannot open the half-restored home.
  privateDir(home.path, 'run')
  const lock = acquireLockFile(paths.instanceLock, 'the Bulwark instance (a restore is running)')
  try {
    const result = await restoreVault({
      home: home.path,
      archivesDir: resolve(opts.from),
      ...(opts.recoveryShare.length > 0 ? { recoveryShares: opts.recoveryShare } : {}),
      vaultDatabaseUrl: vaultEnv.VAULT_DATABASE_URL,
      vault2DatabaseUrl: vaultEnv.VAULT2_DATABASE_URL,
      shareDir3: vaultEnv.VAULT_SHARE_DIR_3,
      main: mainTarget(config, home.path),
    })
    context.out(`restored backup ${result.backupId} of ${result.createdAt} (master key version ${result.masterVersion}) into ${home.path}:`)
    for (const r of result.restored) context.out(`  ${r.name}: ${r.entries} entries`)
    context.out('Start Bulwark (`npm start`), then check with `bulwark audit verify` and `bulwark vault verify`.')
  } catch (err) {
    lock.release()
    // Nothing half-written: whatever this restore created under the home goes again.
    if (home.created) rmSync(home.path, { recursive: true, force: true })
    else for (const n of readdirSync(home.path)) if (!before.has(n)) rmSync(join(home.path, n), { recursive: true, force: true })
    throw err
  }
  lock.release()
}

const recoveryKit = async (context: CliContext, opts: { threshold: string; shares: string }) => {
  const config = context.loadConfig()
  const { paths, running } = isRunning(config)
  if (!running) throw new AppError('UNAVAILABLE', 'Bulwark is not running: the recovery kit is made by the signer, which holds the master key. Start it (`npm start`), then run this again')
  const threshold = Number(opts.threshold)
  const shares = Number(opts.shares)
  const kit = await operatorCall<{ shares: string[]; threshold: number; kitId: string; masterVersion: number }>(paths, 'recoveryKit', { threshold, shares })
  context.out(`Recovery kit ${kit.kitId}: any ${kit.threshold} of these ${kit.shares.length} shares rebuild the master key file (master key version ${kit.masterVersion}).`)
  context.out('Each share is printed this once and stored nowhere. Give each to a different person or place, offline.')
  context.out('A master-key rotation makes this kit too old for later backups: issue a new kit after every rotation.')
  kit.shares.forEach((s, i) => context.out(`share ${i + 1} of ${kit.shares.length}: ${s}`))
}

export const registerBackupCommands = (program: Command, context: CliContext) => {
  program
    .command('backup')
    .description('write encrypted archives of the api database and of each vault store (the platform running)')
    .requiredOption('--out <dir>', 'a new or empty folder for the archives')
    .action((opts: { out: string }) => backup(context, opts))

  program
    .command('restore')
    .description('verify a backup and restore it onto an empty BULWARK_HOME (the platform stopped)')
    .requiredOption('--from <dir>', 'the folder `bulwark backup` wrote')
    .option('--recovery-share <share>', 'a share of the recovery kit (repeat it: at least the threshold)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action((opts: { from: string; recoveryShare: string[] }) => restore(context, opts))

  const vault = program.commands.find((c) => c.name() === 'vault') ?? program.command('vault').description('key custody maintenance (operator only)')
  vault
    .command('recovery-kit')
    .description('split the master key into t-of-n operator recovery shares, printed once')
    .option('--threshold <t>', 'shares needed to rebuild it', '2')
    .option('--shares <n>', 'shares to print', '3')
    .action((opts: { threshold: string; shares: string }) => recoveryKit(context, opts))
}
