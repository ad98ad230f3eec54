import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, isAbsolute } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { split } from 'shamir-secret-sharing'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { systemClock, type Clock } from '../lib/clock.js'
import { aeadDecrypt, aeadEncrypt, canonicalJson, hkdfSha256, IntegrityError } from '../crypto/index.js'
import { rowsOf, type Db } from '../db/index.js'
import { dumpDatabase } from '../db/logical-dump.js'
import { vaultMigrations, type KeyHierarchy, type ShareRecord, type ShareStore } from '../vault/index.js'
import type { SignerAuditLog } from './audit-log.js'

/**
 * Backups of the vault, wired by the signer as operator-only operations (`backupVault`, `recoveryKit`).
 *
 * One archive per share store and one for the vault's metadata — never two shares of a key in one
 * archive — each encrypted (AES-256-GCM, random IV, tag 16) under its own key:
 *   HKDF-SHA256(master[v], salt 'bulwark-kek-v1', info 'store:backup:<name>:<backupId>:master:<v>')
 * i.e. the KEK derivation of the key hierarchy (`kekFor`) over the store id `backup:<name>:<backupId>`.
 * The backup id makes every backup's keys different: the main archive's key, which the signer hands to
 * the operator so the CLI can encrypt the api's dump (the master key never leaves the signer), opens
 * that one archive and nothing else. The master key itself is in no archive: the recovery kit covers it.
 *
 * Archive file `<name>.bwbak`: one line of cleartext header JSON, a newline, then the AEAD blob. The AAD is
 * the canonical header without its `sha256`, which is the SHA-256 of the blob (corruption is reported
 * before any key is needed; a swapped or edited header does not authenticate).
 */
export const BACKUP_FORMAT = 'bulwark-backup'
export const ARCHIVE_SUFFIX = '.bwbak'

export const archiveHeader = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    v: z.literal(1),
    backupId: z.string().regex(/^[0-9a-f]{16}$/),
    name: z.string().regex(/^[a-z0-9-]{1,40}$/),
    /** Every archive of the backup, so a restore knows when one is missing. */
    set: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/)).min(1).max(20),
    masterVersion: z.number().int().min(1),
    /** Says in words which key encrypts this archive. */
    key: z.string().max(300),
    createdAt: z.string(),
    entries: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict()
export type ArchiveHeader = z.infer<typeof archiveHeader>

/** The store id handed to the KEK derivation for one archive of one backup. */
export const backupKeyContext = (name: string, backupId: string) => `backup:${name}:${backupId}`
export const backupKeyLabel = (name: string, backupId: string, version: number) =>
  `HKDF-SHA256(master v${version}, salt 'bulwark-kek-v1', info 'store:${backupKeyContext(name, backupId)}:master:${version}')`

/**
 * The same derivation as the key hierarchy's `kekFor`, from a master key file's bytes (offline restore,
 * where no hierarchy is loaded). The caller wipes the result.
 * @throws AppError INTEGRITY_FAILED when the file has no key of that version
 */
export const deriveBackupKey = (masterKey: Buffer, name: string, backupId: string, version: number): Buffer =>
  hkdfSha256(masterKey, 'bulwark-kek-v1', `store:${backupKeyContext(name, backupId)}:master:${version}`)

const aadOf = (header: ArchiveHeader) => {
  const { sha256: _omit, ...rest } = header
  return Buffer.from(canonicalJson(rest))
}

/** Encrypts one archive's payload (a JSON document) and returns the file's bytes. */
export const sealArchive = (meta: Omit<ArchiveHeader, 'format' | 'v' | 'sha256'>, payload: unknown, key: Uint8Array): { bytes: Buffer; header: ArchiveHeader } => {
  const plain = Buffer.from(JSON.stringify(payload), 'utf8')
  try {
    const pending = { format: BACKUP_FORMAT, v: 1, ...meta, sha256: '0'.repeat(64) } as ArchiveHeader
    const blob = aeadEncrypt(key, plain, aadOf(pending))
    const header = { ...pending, sha256: createHash('sha256').update(blob).digest('hex') }
    return { bytes: Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), blob]), header }
  } finally {
    plain.fill(0)
  }
}

/**
 * Reads an archive file's header and checks the blob's SHA-256 (no key needed).
 * @throws AppError INTEGRITY_FAILED for an unreadable header or a blob that does not match its hash
 */
export const readArchive = (bytes: Buffer, file: string): { header: ArchiveHeader; blob: Buffer } => {
  const end = bytes.indexOf(0x0a)
  let header: ArchiveHeader
  try {
    header = archiveHeader.parse(JSON.parse(bytes.subarray(0, end).toString('utf8')))
  } catch (err) {
    throw new AppError('INTEGRITY_FAILED', `${file} is not a Bulwark backup archive (its header does not parse)`, { cause: err })
  }
  const blob = bytes.subarray(end + 1)
  if (createHash('sha256').update(blob).digest('hex') !== header.sha256) throw new AppError('INTEGRITY_FAILED', `${file} is damaged: its contents do not match the SHA-256 in its header`)
  return { header, blob }
}

/**
 * Decrypts an archive read by `readArchive`.
 * @throws AppError INTEGRITY_FAILED when the key or the header does not authenticate the blob
 */
export const openArchive = <T>(archive: { header: ArchiveHeader; blob: Buffer }, key: Uint8Array, file: string): T => {
  let plain: Buffer
  try {
    plain = aeadDecrypt(key, archive.blob, aadOf(archive.header))
  } catch (err) {
    if (err instanceof IntegrityError) throw new AppError('INTEGRITY_FAILED', `${file} does not open with its key: wrong master key, or the archive or its header was changed`)
    throw err
  }
  try {
    return JSON.parse(plain.toString('utf8')) as T
  } finally {
    plain.fill(0)
  }
}

/** Writes a file that did not exist (0600) through a temp file and a rename. */
export const writeNewFile = (path: string, bytes: Buffer) => {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' })
  renameSync(tmp, path)
}

/** Files as they travel in an archive. */
export type ArchivedFile = { name: string; data: string }
/** A share record as it travels in an archive (the directory store's file form). */
export type ArchivedShare = Omit<ShareRecord, 'wrappedShare' | 'credentialsCiphertext' | 'createdAt'> & { wrappedShare: string; credentialsCiphertext: string; createdAt: string }
export type MetaPayload = { dump: string; files: ArchivedFile[] }
export type StorePayload = { storeId: string; records: ArchivedShare[] }
export type MainPayload = { dump: string; files: ArchivedFile[] }

export const toArchivedShare = (r: ShareRecord): ArchivedShare => ({
  ...r,
  wrappedShare: r.wrappedShare.toString('base64'),
  credentialsCiphertext: r.credentialsCiphertext.toString('base64'),
  createdAt: r.createdAt.toISOString(),
})
export const fromArchivedShare = (r: ArchivedShare): ShareRecord => ({
  ...r,
  wrappedShare: Buffer.from(r.wrappedShare, 'base64'),
  credentialsCiphertext: Buffer.from(r.credentialsCiphertext, 'base64'),
  createdAt: new Date(r.createdAt),
})

/**
 * The vault directory's own files that belong in `vault-meta`: the fingerprint key (the reuse lock must
 * keep recognising keys), the sealing key, the checkpoint signing key and any other `*.key`, and the
 * signer's audit log. Never the master key (the recovery kit's job) and never the operator token
 * (a restored signer makes a new one).
 */
export const vaultMetaFiles = (vaultDir: string): string[] =>
  readdirSync(vaultDir)
    .filter((n) => (n.endsWith('.key') && n !== 'master.key') || n === 'audit.log')
    .filter((n) => statSync(join(vaultDir, n)).isFile())
    .sort()

export type VaultArchiveInfo = { name: string; file: string; keyLabel: string; entries: number; sha256: string }

export type VaultBackupResult = {
  backupId: string
  createdAt: string
  masterVersion: number
  /** The folder (inside the vault directory) holding the archives; the operator's CLI moves them out. */
  dir: string
  /** Every archive name the finished backup must hold: these plus `main`, which the CLI writes. */
  set: string[]
  archives: VaultArchiveInfo[]
  main: {
    keyLabel: string
    /**
     * The key of this backup's `main` archive (base64), for the operator's CLI to encrypt the api's dump
     * with. Derived with this backup's id: it opens that one archive, no store, no other backup.
     */
    keyUnsafe: string
  }
}

export type VaultBackupDeps = {
  /** The signer's own database (metadata and share store 1). */
  db: Db
  stores: ShareStore[]
  keys: KeyHierarchy
  vaultDir: string
  /** Where the master key file lives (default: `<vaultDir>/master.key`). */
  masterKeyPath?: string
  audit: Pick<SignerAuditLog, 'write'>
  clock?: Clock
}

const recoveryKitParams = z.object({ threshold: z.number().int().min(2).max(10), shares: z.number().int().min(2).max(10) }).refine((p) => p.threshold <= p.shares, 'the threshold cannot exceed the number of shares')

type KeyFacts = { key_id: string; key_version: number; threshold: number; state: string }

export const createVaultBackup = ({ db, stores, keys, vaultDir, masterKeyPath = join(vaultDir, 'master.key'), audit, clock = systemClock }: VaultBackupDeps) => {
  const keyFacts = async () =>
    rowsOf<KeyFacts>(await db.execute(sql`select key_id, key_version, threshold, state from signer.keys order by key_id`)).map((k) => `${k.key_id}:${k.key_version}:${k.threshold}:${k.state}`)

  /**
   * Reads the metadata and every store, and checks the reads agree: every live key has at least its
   * threshold of shares at its current version across the store snapshots, and no key changed meanwhile
   * (a connect, refresh or destroy running during the backup). Retried a few times, then refused.
   */
  const collect = async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await keyFacts()
      const meta: MetaPayload = {
        dump: await dumpDatabase(db, { schema: 'signer', excludeTables: ['shares'], migrations: vaultMigrations }),
        files: vaultMetaFiles(vaultDir).map((name) => ({ name, data: readFileSync(join(vaultDir, name)).toString('base64') })),
      }
      const perStore: StorePayload[] = []
      for (const store of stores) {
        const records: ArchivedShare[] = []
        for await (const r of store.all()) records.push(toArchivedShare(r))
        perStore.push({ storeId: store.id, records })
      }
      const after = await keyFacts()
      const complete = after.every((fact) => {
        const [keyId, version, threshold, state] = fact.split(':')
        if (state === 'writing' || state === 'destroyed') return true
        const held = perStore.filter((s) => s.records.some((r) => r.keyId === keyId && r.keyVersion === Number(version))).length
        return held >= Number(threshold)
      })
      if (complete && before.join() === after.join()) return { meta, perStore }
    }
    throw new AppError('CONFLICT', 'the vault kept changing while it was being read (a key being connected, refreshed or removed): run the backup again')
  }

  const outDirFor = (given: string | undefined, backupId: string, createdAt: Date) => {
    const dir = resolve(vaultDir, given ?? join('backups', `${createdAt.toISOString().replace(/[:.]/g, '-')}-${backupId}`))
    const rel = relative(resolve(vaultDir), dir)
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new AppError('BAD_INPUT', 'outDir: the signer writes backups only inside its vault directory')
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new AppError('CONFLICT', `outDir ${dir} is not empty`)
    return dir
  }

  /** Writes the vault's archives into a fresh folder inside the vault directory and describes them. */
  const backupVault = async (p: { outDir?: string } = {}): Promise<VaultBackupResult> => {
    const backupId = randomBytes(8).toString('hex')
    const createdAt = clock.now()
    const dir = outDirFor(p.outDir, backupId, createdAt)
    const masterVersion = keys.currentVersion()
    const { meta, perStore } = await collect()
    const set = ['main', 'vault-meta', ...stores.map((s) => s.id)]
    const header = (name: string, entries: number) => ({ backupId, name, set, masterVersion, key: backupKeyLabel(name, backupId, masterVersion), createdAt: createdAt.toISOString(), entries })
    const metaEntries = meta.dump.split('\n').filter((l) => l !== '').length - 1 + meta.files.length
    const payloads: Array<{ name: string; entries: number; payload: unknown }> = [
      { name: 'vault-meta', entries: metaEntries, payload: meta },
      ...perStore.map((s) => ({ name: s.storeId, entries: s.records.length, payload: s })),
    ]
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const archives: VaultArchiveInfo[] = []
    try {
      for (const a of payloads) {
        const key = keys.kekFor(backupKeyContext(a.name, backupId), masterVersion)
        try {
          const sealed = sealArchive(header(a.name, a.entries), a.payload, key)
          const file = join(dir, `${a.name}${ARCHIVE_SUFFIX}`)
          writeNewFile(file, sealed.bytes)
          archives.push({ name: a.name, file, keyLabel: sealed.header.key, entries: a.entries, sha256: sealed.header.sha256 })
        } finally {
          key.fill(0)
        }
      }
      // Logged before the main archive's key leaves the signer: no log line, no key (fail closed, R39).
      await audit.write({ type: 'vault_backup_created', backupId, masterVersion, archives: archives.map((a) => ({ name: a.name, entries: a.entries, sha256: a.sha256 })) })
    } catch (err) {
      rmSync(dir, { recursive: true, force: true })
      throw err
    }
    const mainKey = keys.kekFor(backupKeyContext('main', backupId), masterVersion)
    try {
      return { backupId, createdAt: createdAt.toISOString(), masterVersion, dir, set, archives, main: { keyLabel: backupKeyLabel('main', backupId, masterVersion), keyUnsafe: mainKey.toString('base64') } }
    } finally {
      mainKey.fill(0)
    }
  }

  /**
   * Splits the master key file into t-of-n operator recovery shares, returned once and stored nowhere.
   * The file holds every live master version, so a kit restores backups made under any of them; a kit
   * made before a rotation does not hold versions added later (issue a new kit after every rotation).
   */
  const recoveryKit = async (params: { threshold: number; shares: number }): Promise<{ shares: string[]; threshold: number; kitId: string; masterVersion: number }> => {
    const parsed = recoveryKitParams.safeParse(params)
    if (!parsed.success) throw new AppError('BAD_INPUT', `recovery kit: ${parsed.error.issues.map((i) => i.message).join('; ')} (threshold 2–10, shares 2–10)`)
    const { threshold, shares } = parsed.data
    const kitId = randomBytes(4).toString('hex')
    const masterVersion = keys.currentVersion()
    // Logged first: a kit nobody can account for is worse than no kit (fail closed). Counts only, no material.
    await audit.write({ type: 'recovery_kit_issued', threshold, shares, kitId, masterVersion })
    const file = readFileSync(masterKeyPath)
    // The library rejects Node Buffers: a plain Uint8Array copy, wiped like the file's bytes.
    const plain = new Uint8Array(file)
    file.fill(0)
    let raw: Uint8Array[] = []
    try {
      raw = await split(plain, shares, threshold)
      return { shares: raw.map((bytes, i) => encodeRecoveryShare({ threshold, index: i + 1, kitId, bytes })), threshold, kitId, masterVersion }
    } finally {
      plain.fill(0)
      for (const r of raw) r.fill(0)
    }
  }

  return { backupVault, recoveryKit }
}
export type VaultBackup = ReturnType<typeof createVaultBackup>

// ---- Recovery share text: bwrk1-<t>-<i>-<kit id>-<base32 share>-<check> ----------------------------

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

const base32Encode = (bytes: Uint8Array): string => {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

const base32Decode = (text: string): Uint8Array | undefined => {
  const out: number[] = []
  let buffer = 0
  let bits = 0
  for (const ch of text) {
    const v = BASE32.indexOf(ch)
    if (v === -1) return undefined
    buffer = ((buffer << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return new Uint8Array(out)
}

/** A typo check (not a secret-derived value: it covers the share text, which the operator holds anyway). */
const checkOf = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 8)

export type RecoveryShare = { threshold: number; index: number; kitId: string; bytes: Uint8Array }

export const encodeRecoveryShare = ({ threshold, index, kitId, bytes }: RecoveryShare): string => {
  const body = `bwrk1-${threshold}-${index}-${kitId}-${base32Encode(bytes)}`
  return `${body}-${checkOf(body)}`
}

/**
 * Parses one printed share. The caller wipes `bytes`.
 * @throws AppError BAD_INPUT for a malformed share or a failed check (a typo), naming its position only
 */
export const decodeRecoveryShare = (text: string, position: number): RecoveryShare => {
  const m = /^bwrk1-(\d{1,2})-(\d{1,2})-([0-9a-f]{8})-([a-z2-7]+)-([0-9a-f]{8})$/.exec(text.trim().toLowerCase())
  const bad = (why: string) => new AppError('BAD_INPUT', `recovery share #${position} ${why}: copy it again exactly as printed`)
  if (!m) throw bad('is not a Bulwark recovery share (bwrk1-…)')
  const [, t, i, kitId, b32, check] = m as unknown as [string, string, string, string, string, string]
  if (checkOf(`bwrk1-${t}-${i}-${kitId}-${b32}`) !== check) throw bad('fails its checksum')
  const bytes = base32Decode(b32)
  if (!bytes || bytes.length < 2) throw bad('is damaged')
  return { threshold: Number(t), index: Number(i), kitId, bytes }
}
