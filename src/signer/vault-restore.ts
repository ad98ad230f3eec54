import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { combine } from 'shamir-secret-sharing'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { openDatabase, type Database } from '../db/index.js'
import { restoreDatabase } from '../db/logical-dump.js'
import { createDatabaseShareStore, createDirectoryShareStore, vaultMigrations, type ShareStore } from '../vault/index.js'
import {
  ARCHIVE_SUFFIX,
  decodeRecoveryShare,
  deriveBackupKey,
  fromArchivedShare,
  openArchive,
  readArchive,
  writeNewFile,
  type ArchiveHeader,
  type MainPayload,
  type MetaPayload,
  type RecoveryShare,
  type StorePayload,
} from './vault-backup.js'
import { signerPaths } from './main.js'

/**
 * Offline restore (the platform stopped) onto an empty BULWARK_HOME: rebuilds the master key file from
 * the operator's recovery shares (or takes the file already in place), verifies every archive — SHA-256,
 * then GCM under its derived key — before writing anything, then writes the signer's database (metadata
 * and share store 1), the other share stores, the vault's key files and the master key, and hands the
 * `main` archive to the caller (the CLI owns the api's database and secrets directory).
 *
 * The shares library returns garbage for a wrong or damaged share; a combined master key counts only once
 * it opens the archives (GCM), so a bad share is refused, never turned into a silently wrong key.
 */
export type RestoreVaultInput = {
  home: string
  archivesDir: string
  /** t or more recovery shares from `bulwark vault recovery-kit`; omit when the master key file is present. */
  recoveryShares?: string[]
  /** The restored signer's storage as its configuration names it (unset: embedded, under the home). */
  vaultDatabaseUrl?: string
  vault2DatabaseUrl?: string
  shareDir3?: string
  /** The api's side of the backup: checked before anything is written, written after the vault. */
  main?: MainRestoreTarget
}
export type MainRestoreTarget = {
  /** Refuses (throws) when the api's database or secrets directory already holds something. */
  check: () => Promise<void>
  /** Writes the main archive's contents; returns how many entries were restored. */
  write: (payload: MainPayload) => Promise<number>
}
export type RestoreVaultResult = { backupId: string; createdAt: string; masterVersion: number; restored: Array<{ name: string; entries: number }> }

const masterKeyFile = z.object({ current: z.number().int().min(1), minDecryptionVersion: z.number().int().min(1), keys: z.record(z.string().regex(/^\d+$/), z.string()) })

type Archive = { file: string; header: ArchiveHeader; blob: Buffer }

/** Every archive in the folder, hash-checked, all from one backup, none missing. */
const readSet = (dir: string): Map<string, Archive> => {
  if (!existsSync(dir)) throw new AppError('BAD_INPUT', `--from ${dir} does not exist`)
  const files = readdirSync(dir).filter((n) => n.endsWith(ARCHIVE_SUFFIX)).sort()
  if (files.length === 0) throw new AppError('BAD_INPUT', `--from ${dir} holds no backup archives (*${ARCHIVE_SUFFIX})`)
  const archives = new Map<string, Archive>()
  for (const name of files) {
    const file = join(dir, name)
    const archive = { file, ...readArchive(readFileSync(file), file) }
    if (archives.has(archive.header.name)) throw new AppError('BAD_INPUT', `--from ${dir} holds two "${archive.header.name}" archives: keep one backup per folder`)
    archives.set(archive.header.name, archive)
  }
  const first = [...archives.values()][0] as Archive
  for (const a of archives.values()) {
    if (a.header.backupId !== first.header.backupId || a.header.set.join() !== first.header.set.join()) {
      throw new AppError('BAD_INPUT', `${a.file} belongs to another backup than ${first.file}: restore the archives of one backup together`)
    }
  }
  const missing = first.header.set.filter((n) => !archives.has(n))
  if (missing.length > 0) throw new AppError('BAD_INPUT', `the backup ${first.header.backupId} is incomplete: ${missing.map((n) => `${n}${ARCHIVE_SUFFIX}`).join(', ')} missing from ${dir}`)
  for (const n of ['main', 'vault-meta']) if (!first.header.set.includes(n)) throw new AppError('BAD_INPUT', `the backup ${first.header.backupId} has no ${n} archive`)
  return archives
}

/** The master key of `version` from a master key file's bytes; undefined when the bytes are no such file. */
const masterKeyOf = (fileBytes: Uint8Array, version: number): Buffer | undefined => {
  try {
    const parsed = masterKeyFile.parse(JSON.parse(Buffer.from(fileBytes).toString('utf8')))
    const b64 = parsed.keys[String(version)]
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64')
  } catch {
    return undefined
  }
}

const opensWith = (fileBytes: Uint8Array, archive: Archive): boolean => {
  const master = masterKeyOf(fileBytes, archive.header.masterVersion)
  if (!master) return false
  const key = deriveBackupKey(master, archive.header.name, archive.header.backupId, archive.header.masterVersion)
  try {
    openArchive(archive, key, archive.file)
    return true
  } catch {
    return false
  } finally {
    key.fill(0)
    master.fill(0)
  }
}

const combinations = <T>(items: T[], k: number): T[][] =>
  k === 0 ? [[]] : items.flatMap((item, i) => combinations(items.slice(i + 1), k - 1).map((rest) => [item, ...rest]))

/**
 * Rebuilds the master key file from recovery shares: at least t of one kit, and a combination whose
 * result opens the backup (tried t at a time, so one bad share among more than t is survived).
 * @throws AppError KEY_UNAVAILABLE (fewer than t), BAD_INPUT (mixed kits), INTEGRITY_FAILED (no combination opens the backup)
 */
export const rebuildMasterKeyFile = async (texts: string[], probe: Archive): Promise<Buffer> => {
  const shares: RecoveryShare[] = texts.map((t, i) => decodeRecoveryShare(t, i + 1))
  try {
    const [first] = shares
    if (!first) throw new AppError('KEY_UNAVAILABLE', 'no recovery share given')
    if (shares.some((s) => s.kitId !== first.kitId || s.threshold !== first.threshold)) throw new AppError('BAD_INPUT', 'the recovery shares come from different recovery kits: give shares of one kit')
    const distinct = [...new Map(shares.map((s) => [s.index, s])).values()]
    if (distinct.length < first.threshold) {
      throw new AppError('KEY_UNAVAILABLE', `${distinct.length} distinct recovery share(s) given, ${first.threshold} needed: the master key is not rebuilt from fewer`)
    }
    for (const group of combinations(distinct, first.threshold)) {
      // Plain Uint8Array copies for the library, wiped after each attempt.
      const copies = group.map((s) => new Uint8Array(s.bytes))
      let combined: Uint8Array | undefined
      try {
        combined = await combine(copies)
        if (opensWith(combined, probe)) return Buffer.from(combined)
      } catch {
        // A combination the library rejects is as wrong as one that does not open the backup.
      } finally {
        for (const c of copies) c.fill(0)
        combined?.fill(0)
      }
    }
    throw new AppError(
      'INTEGRITY_FAILED',
      `the recovery shares do not rebuild the master key of backup ${probe.header.backupId} (master version ${probe.header.masterVersion}): a share is wrong or damaged, or the kit predates that master version`,
    )
  } finally {
    for (const s of shares) s.bytes.fill(0)
  }
}

const isEmptyDir = (dir: string, allowed: string[] = []) => !existsSync(dir) || readdirSync(dir).every((n) => allowed.includes(n))

const openVaultDatabase = async (url: string | undefined, dataDir: string, lockPath: string): Promise<Database> => {
  const database = url ? await openDatabase({ kind: 'postgres', url, poolSize: 2 }) : await openDatabase({ kind: 'pglite', dataDir, lockPath })
  return database
}

/**
 * Verifies a backup and restores it (see the file comment). Nothing is written unless every archive
 * opens and every target is empty; when a write fails, what this call created under the home is removed.
 * @throws AppError BAD_INPUT, KEY_UNAVAILABLE, INTEGRITY_FAILED, CONFLICT (a target is not empty)
 */
export const restoreVault = async (input: RestoreVaultInput): Promise<RestoreVaultResult> => {
  const paths = signerPaths(input.home)
  const archives = readSet(input.archivesDir)
  const meta = archives.get('vault-meta') as Archive
  const { backupId, masterVersion, createdAt } = meta.header

  // 1. The master key file: rebuilt from shares, or the one in place.
  const hasMasterFile = existsSync(paths.masterKey)
  if (input.recoveryShares?.length && hasMasterFile) throw new AppError('CONFLICT', `${paths.masterKey} already exists: restore onto an empty BULWARK_HOME, or omit the recovery shares to use that file`)
  if (!input.recoveryShares?.length && !hasMasterFile) {
    throw new AppError('KEY_UNAVAILABLE', `no master key file at ${paths.masterKey} and no recovery share given: pass at least the threshold of shares with --recovery-share`)
  }
  const masterFile = input.recoveryShares?.length ? await rebuildMasterKeyFile(input.recoveryShares, meta) : readFileSync(paths.masterKey)
  try {
    // 2. Every archive opens under its own key (all of them before any write).
    const payloads = new Map<string, unknown>()
    for (const [name, archive] of archives) {
      const master = masterKeyOf(masterFile, archive.header.masterVersion)
      if (!master) throw new AppError('INTEGRITY_FAILED', `the master key file has no version ${archive.header.masterVersion}, which encrypts ${archive.file}`)
      const key = deriveBackupKey(master, name, backupId, archive.header.masterVersion)
      try {
        payloads.set(name, openArchive(archive, key, archive.file))
      } finally {
        key.fill(0)
        master.fill(0)
      }
    }
    const storeNames = meta.header.set.filter((n) => n !== 'main' && n !== 'vault-meta')
    const unknown = storeNames.filter((n) => !['store-1', 'store-2', 'store-3'].includes(n))
    if (unknown.length > 0) throw new AppError('BAD_INPUT', `the backup has share stores this version does not know: ${unknown.join(', ')}`)

    // 3. Every target is empty.
    const vaultEntriesAllowed = input.recoveryShares?.length ? [] : ['master.key']
    if (!isEmptyDir(paths.vault, vaultEntriesAllowed)) throw new AppError('CONFLICT', `${paths.vault} is not empty: restore onto an empty BULWARK_HOME (move the old one aside)`)
    const shareDir3 = input.shareDir3 ?? paths.shares3
    if (!isEmptyDir(shareDir3)) throw new AppError('CONFLICT', `share store 3 (${shareDir3}) is not empty: restore only into empty stores`)
    await input.main?.check()

    // 4. Writes; on failure, remove what was created here.
    const createdVault = !existsSync(paths.vault)
    const opened: Database[] = []
    const restored: Array<{ name: string; entries: number }> = []
    try {
      mkdirSync(paths.vault, { recursive: true, mode: 0o700 })
      const vaultDb = await openVaultDatabase(input.vaultDatabaseUrl, paths.db, paths.dbLock)
      opened.push(vaultDb)
      const metaPayload = payloads.get('vault-meta') as MetaPayload
      const metaResult = await restoreDatabase(vaultDb, metaPayload.dump, { schema: 'signer', migrations: vaultMigrations })
      restored.push({ name: 'vault-meta', entries: metaResult.tables.reduce((n, t) => n + t.rows, 0) + metaPayload.files.length })

      const storeFor = async (name: string): Promise<{ store: ShareStore; db?: Database }> => {
        if (name === 'store-1') return { store: createDatabaseShareStore('store-1', vaultDb.db), db: vaultDb }
        if (name === 'store-2' && input.vault2DatabaseUrl) {
          const second = await openVaultDatabase(input.vault2DatabaseUrl, '', '')
          opened.push(second)
          await restoreDatabase(second, emptySignerDump(), { schema: 'signer', migrations: vaultMigrations })
          return { store: createDatabaseShareStore('store-2', second.db), db: second }
        }
        return { store: createDirectoryShareStore(name, name === 'store-2' ? paths.shares2 : shareDir3) }
      }
      for (const name of storeNames) {
        const payload = payloads.get(name) as StorePayload
        const { store, db } = await storeFor(name)
        const put = async (target: ShareStore) => {
          for (const r of payload.records) await target.put(fromArchivedShare({ ...r, storeId: name }))
        }
        // A database store takes its records in one transaction: all or none.
        if (db) await db.db.transaction(async (tx) => put(createDatabaseShareStore(name, tx)))
        else await put(store)
        restored.push({ name, entries: payload.records.length })
      }
      for (const f of metaPayload.files) {
        if (!/^[a-z0-9_-]+\.(key|log)$/.test(f.name)) throw new AppError('BAD_INPUT', `the vault-meta archive names an unexpected file "${f.name}"`)
        writeNewFile(join(paths.vault, f.name), Buffer.from(f.data, 'base64'))
      }
      if (input.main) restored.push({ name: 'main', entries: await input.main.write(payloads.get('main') as MainPayload) })
      // Last: a master key file in place marks a finished vault (a signer started earlier would make its own).
      if (input.recoveryShares?.length) writeNewFile(paths.masterKey, masterFile)
    } catch (err) {
      for (const d of opened.splice(0)) await d.close().catch(() => {})
      if (createdVault) rmSync(paths.vault, { recursive: true, force: true })
      else for (const n of readdirSync(paths.vault)) if (!vaultEntriesAllowed.includes(n)) rmSync(join(paths.vault, n), { recursive: true, force: true })
      if (input.shareDir3) for (const n of readdirSync(input.shareDir3)) rmSync(join(input.shareDir3, n), { recursive: true, force: true })
      throw err
    } finally {
      for (const d of opened) await d.close().catch(() => {})
    }
    return { backupId, createdAt, masterVersion, restored }
  } finally {
    masterFile.fill(0)
  }
}

/** A dump with no rows: migrates a second vault database and checks it is empty. */
const emptySignerDump = () => `${JSON.stringify({ kind: 'bulwark-logical-dump', v: 1, schema: 'signer', migrations: 0, tables: [] })}\n`

