import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, createPostgresDatabase, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { openDatabase } from '../db/index.js'
import { encodeCredentialFields } from '../crypto/sealing.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, decodeCredentials, type ShareStore } from '../vault/index.js'
import { createSignerAuditLog } from './audit-log.js'
import {
  ARCHIVE_SUFFIX,
  createVaultBackup,
  decodeRecoveryShare,
  encodeRecoveryShare,
  openArchive,
  readArchive,
  sealArchive,
  writeNewFile,
  type MainPayload,
  type StorePayload,
  type VaultBackupResult,
} from './vault-backup.js'
import { restoreVault, type RestoreVaultInput } from './vault-restore.js'

const CANARY = `CANARY-${randomBytes(12).toString('hex')}`
const canaryForms = [CANARY, Buffer.from(CANARY).toString('hex'), Buffer.from(CANARY).toString('base64')]

/** What the CLI does with the api's side: seal the dump under the key the signer handed out. */
const writeMainArchive = (dir: string, r: VaultBackupResult, payload: MainPayload) => {
  const key = Buffer.from(r.main.keyUnsafe, 'base64')
  const { bytes } = sealArchive({ backupId: r.backupId, name: 'main', set: r.set, masterVersion: r.masterVersion, key: r.main.keyLabel, createdAt: r.createdAt, entries: 1 }, payload, key)
  key.fill(0)
  writeNewFile(join(dir, `main${ARCHIVE_SUFFIX}`), bytes)
}

/** A share whose bytes changed but whose text still passes its checksum: only the final GCM check can catch it. */
const corrupt = (text: string) => {
  const s = decodeRecoveryShare(text, 1)
  s.bytes[0] = (s.bytes[0] ?? 0) ^ 0x01
  return encodeRecoveryShare(s)
}

describe.each(backends)('vault backup and restore on %s', (kind) => {
  const work = mkdtempSync(join(tmpdir(), 'bulwark-backup-'))
  const vaultDir = join(work, 'source', 'vault')
  const clock = createManualClock('2026-12-04T09:00:00Z')
  let database: TestDatabase
  let second: TestDatabase | undefined
  let stores: ShareStore[]
  let backup: ReturnType<typeof createVaultBackup>
  let auditPath: string
  let keyId: string
  let workspaceId: string
  let result: VaultBackupResult
  let kit: string[]
  const mainPayload: MainPayload = { dump: '{"kind":"bulwark-logical-dump"}\n', files: [{ name: 'session.key', data: randomBytes(32).toString('base64') }] }

  beforeAll(async () => {
    mkdirSync(vaultDir, { recursive: true, mode: 0o700 })
    database = await openTestDatabase(kind, 'vault')
    second = kind === 'postgres' ? await openTestDatabase('postgres', 'vault') : undefined
    stores = [
      createDatabaseShareStore('store-1', database.db),
      second ? createDatabaseShareStore('store-2', second.db) : createDirectoryShareStore('store-2', join(vaultDir, 'shares-2')),
      createDirectoryShareStore('store-3', join(vaultDir, 'shares-3')),
    ]
    const keys = createKeyHierarchy(join(vaultDir, 'master.key'))
    writeFileSync(join(vaultDir, 'fingerprint.key'), randomBytes(32).toString('base64'), { mode: 0o600 })
    const fingerprintKey = Buffer.from(readFileSync(join(vaultDir, 'fingerprint.key'), 'utf8'), 'base64')
    auditPath = join(vaultDir, 'audit.log')
    const audit = createSignerAuditLog(auditPath)
    const vault = createVault({ db: database.db, stores, keys, fingerprintKey, clock, threshold: 2, onEvent: () => {} })
    workspaceId = newId()
    const stored = await vault.storeKey({
      workspaceId,
      exchangeAccountId: newId(),
      exchange: 'binance',
      credentials: decodeCredentials(encodeCredentialFields({ apiKey: 'CANARYKEY-0001', secret: CANARY })),
      state: 'active',
      verification: {},
      limits: { symbols: ['BTC/USDT'] },
    })
    keyId = stored.keyId
    // A rotation first: the backup and the kit must carry master version 2.
    await vault.rotateMaster()
    backup = createVaultBackup({ db: database.db, stores, keys, vaultDir, audit, clock })
    result = await backup.backupVault({})
    writeMainArchive(result.dir, result, mainPayload)
    kit = (await backup.recoveryKit({ threshold: 2, shares: 3 })).shares
  })
  afterAll(async () => {
    await database.dispose()
    await second?.dispose()
    rmSync(work, { recursive: true, force: true })
  })

  /** A restore target: an empty home, and empty PostgreSQL databases for the vault on that backend. */
  const target = async (): Promise<{ home: string; input: Pick<RestoreVaultInput, 'home' | 'vaultDatabaseUrl' | 'vault2DatabaseUrl'>; drop: () => Promise<void> }> => {
    const home = mkdtempSync(join(work, 'home-'))
    if (kind === 'pglite') return { home, input: { home }, drop: async () => {} }
    const one = await createPostgresDatabase({ fromTemplate: false })
    const two = await createPostgresDatabase({ fromTemplate: false })
    return { home, input: { home, vaultDatabaseUrl: one.url, vault2DatabaseUrl: two.url }, drop: async () => (await one.drop(), await two.drop()) }
  }

  it('writes one archive per store and one for the metadata, each saying which key encrypts it', () => {
    expect(result.archives.map((a) => a.name)).toEqual(['vault-meta', 'store-1', 'store-2', 'store-3'])
    expect(result.masterVersion).toBe(2)
    for (const a of result.archives) {
      const { header } = readArchive(readFileSync(a.file), a.file)
      expect(header).toMatchObject({ name: a.name, backupId: result.backupId, masterVersion: 2, set: ['main', 'vault-meta', 'store-1', 'store-2', 'store-3'] })
      expect(header.key).toBe(`HKDF-SHA256(master v2, salt 'bulwark-kek-v1', info 'store:backup:${a.name}:${result.backupId}:master:2')`)
    }
    expect(result.archives.find((a) => a.name === 'store-3')?.entries).toBe(1)
  })

  it('R1: no archive holds the secret in raw, hex or base64, and no archive holds two shares of a key', () => {
    for (const f of readdirSync(result.dir)) {
      const text = readFileSync(join(result.dir, f)).toString('latin1')
      for (const form of canaryForms) expect(text.includes(form)).toBe(false)
    }
    const keys = createKeyHierarchy(join(vaultDir, 'master.key'))
    for (const name of ['store-1', 'store-2', 'store-3']) {
      const file = join(result.dir, `${name}${ARCHIVE_SUFFIX}`)
      const key = keys.kekFor(`backup:${name}:${result.backupId}`, 2)
      const payload = openArchive<StorePayload>(readArchive(readFileSync(file), file), key, file)
      expect(payload.records.map((r) => [r.keyId, r.storeId])).toEqual([[keyId, name]])
      // Each archive's key opens that archive only.
      const other = join(result.dir, `store-${name === 'store-1' ? 2 : 1}${ARCHIVE_SUFFIX}`)
      expect(() => openArchive(readArchive(readFileSync(other), other), key, other)).toThrow(/does not open/)
    }
  })

  it('logs the kit and the backup in the signer audit log without any share or key material', () => {
    const log = readFileSync(auditPath, 'utf8')
    const kitLine = log.split('\n').find((l) => l.includes('recovery_kit_issued'))
    expect(JSON.parse(kitLine ?? '{}')).toMatchObject({ type: 'recovery_kit_issued', threshold: 2, shares: 3, masterVersion: 2 })
    expect(log).toContain('vault_backup_created')
    for (const share of kit) expect(log.includes(share.split('-')[4] as string)).toBe(false)
    expect(log.includes(result.main.keyUnsafe)).toBe(false)
  })

  it('restores onto an empty home from the archives and 2 of 3 shares, and the key assembles again', async () => {
    const t = await target()
    let restoredMain: MainPayload | undefined
    try {
      const out = await restoreVault({
        ...t.input,
        archivesDir: result.dir,
        recoveryShares: [kit[2] as string, kit[0] as string],
        main: { check: async () => {}, write: async (p) => ((restoredMain = p), p.files.length) },
      })
      expect(out.restored.map((r) => r.name)).toEqual(['vault-meta', 'store-1', 'store-2', 'store-3', 'main'])
      expect(restoredMain).toEqual(mainPayload)
      const v = join(t.home, 'vault')
      expect(readdirSync(v)).toEqual(expect.arrayContaining(['master.key', 'fingerprint.key', 'audit.log']))
      expect(readFileSync(join(v, 'master.key'))).toEqual(readFileSync(join(vaultDir, 'master.key')))

      // A vault opened on the restored storage, as the signer opens it, assembles the secret.
      const db = t.input.vaultDatabaseUrl
        ? await openDatabase({ kind: 'postgres', url: t.input.vaultDatabaseUrl })
        : await openDatabase({ kind: 'pglite', dataDir: join(v, 'db'), lockPath: join(v, 'db.lock') })
      const db2 = t.input.vault2DatabaseUrl ? await openDatabase({ kind: 'postgres', url: t.input.vault2DatabaseUrl }) : undefined
      try {
        const restoredStores = [
          createDatabaseShareStore('store-1', db.db),
          db2 ? createDatabaseShareStore('store-2', db2.db) : createDirectoryShareStore('store-2', join(v, 'shares-2')),
          createDirectoryShareStore('store-3', join(v, 'shares-3')),
        ]
        const vault = createVault({
          db: db.db,
          stores: restoredStores,
          keys: createKeyHierarchy(join(v, 'master.key')),
          fingerprintKey: Buffer.from(readFileSync(join(v, 'fingerprint.key'), 'utf8'), 'base64'),
          clock,
          threshold: 2,
          onEvent: () => {},
        })
        expect(await vault.withSecret(keyId, workspaceId, async (c) => c.secret.toString('utf8'))).toBe(CANARY)
        // The reuse lock came back too: the same API key cannot be connected twice.
        await expect(
          vault.storeKey({ workspaceId, exchangeAccountId: newId(), exchange: 'binance', credentials: decodeCredentials(encodeCredentialFields({ apiKey: 'CANARYKEY-0001', secret: 'x' })), state: 'active', verification: {}, limits: {} }),
        ).rejects.toMatchObject({ code: 'CONFLICT' })
      } finally {
        await db.close()
        await db2?.close()
      }
    } finally {
      await t.drop()
    }
  })

  it('survives one damaged share among more than the threshold', async () => {
    const t = await target()
    try {
      const out = await restoreVault({ ...t.input, archivesDir: result.dir, recoveryShares: [corrupt(kit[0] as string), kit[1] as string, kit[2] as string] })
      expect(out.restored.map((r) => r.name)).toEqual(['vault-meta', 'store-1', 'store-2', 'store-3'])
    } finally {
      await t.drop()
    }
  })

  const refusesAndWritesNothing = async (input: Partial<RestoreVaultInput>, expected: Record<string, unknown>) => {
    const t = await target()
    try {
      let checked = false
      await expect(
        restoreVault({ ...t.input, archivesDir: result.dir, recoveryShares: kit.slice(0, 2), ...input, main: { check: async () => void (checked = true), write: async () => 0 } }),
      ).rejects.toMatchObject(expected)
      expect(readdirSync(t.home)).toEqual([])
      expect(checked).toBe(false)
    } finally {
      await t.drop()
    }
  }

  it('refuses one share of a 2-of-3 kit, and writes nothing', () => refusesAndWritesNothing({ recoveryShares: [kit[1] as string] }, { code: 'KEY_UNAVAILABLE' }))

  it('refuses a damaged share (never a silently wrong key), a typo and a share of another kit', async () => {
    await refusesAndWritesNothing({ recoveryShares: [corrupt(kit[0] as string), kit[1] as string] }, { code: 'INTEGRITY_FAILED' })
    const first = kit[0] as string
    const typo = `${first.slice(0, 30)}${first[30] === 'a' ? 'b' : 'a'}${first.slice(31)}`
    await refusesAndWritesNothing({ recoveryShares: [typo, kit[1] as string] }, { code: 'BAD_INPUT', message: expect.stringMatching(/share #1/) })
    const otherKit = (await backup.recoveryKit({ threshold: 2, shares: 2 })).shares
    await refusesAndWritesNothing({ recoveryShares: [otherKit[0] as string, kit[1] as string] }, { code: 'BAD_INPUT', message: expect.stringMatching(/different recovery kits/) })
  })

  it('refuses a tampered archive or header, a missing archive, and archives of two backups, writing nothing', async () => {
    const copy = (name: string) => {
      const dir = mkdtempSync(join(work, `${name}-`))
      for (const f of readdirSync(result.dir)) writeFileSync(join(dir, f), readFileSync(join(result.dir, f)))
      return dir
    }
    // One flipped ciphertext byte: caught by the hash before any key is tried.
    const flipped = copy('flipped')
    const bytes = readFileSync(join(flipped, `store-2${ARCHIVE_SUFFIX}`))
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff
    writeFileSync(join(flipped, `store-2${ARCHIVE_SUFFIX}`), bytes)
    await refusesAndWritesNothing({ archivesDir: flipped }, { code: 'INTEGRITY_FAILED', message: expect.stringMatching(/damaged/) })
    // A header edited (entries) with its hash intact: the GCM tag refuses it.
    const edited = copy('edited')
    const file = join(edited, `store-3${ARCHIVE_SUFFIX}`)
    writeFileSync(file, Buffer.from(readFileSync(file).toString('latin1').replace('"entries":1', '"entries":2'), 'latin1'))
    await refusesAndWritesNothing({ archivesDir: edited }, { code: 'INTEGRITY_FAILED', message: expect.stringMatching(/does not open/) })
    const missing = copy('missing')
    rmSync(join(missing, `store-1${ARCHIVE_SUFFIX}`))
    await refusesAndWritesNothing({ archivesDir: missing }, { code: 'BAD_INPUT', message: expect.stringMatching(/incomplete/) })
    const mixed = copy('mixed')
    const other = await backup.backupVault({})
    writeFileSync(join(mixed, `store-3${ARCHIVE_SUFFIX}`), readFileSync(join(other.dir, `store-3${ARCHIVE_SUFFIX}`)))
    await refusesAndWritesNothing({ archivesDir: mixed }, { code: 'BAD_INPUT', message: expect.stringMatching(/another backup/) })
  })

  it('refuses a home that is not empty', async () => {
    const t = await target()
    try {
      mkdirSync(join(t.home, 'vault', 'shares-2'), { recursive: true })
      writeFileSync(join(t.home, 'vault', 'shares-2', 'x.share'), '{}')
      await expect(restoreVault({ ...t.input, archivesDir: result.dir, recoveryShares: kit.slice(0, 2) })).rejects.toMatchObject({ code: 'CONFLICT' })
      expect(existsSync(join(t.home, 'vault', 'master.key'))).toBe(false)
    } finally {
      await t.drop()
    }
  })

  it('writes backups only inside the vault directory and refuses bad kit sizes', async () => {
    await expect(backup.backupVault({ outDir: '../elsewhere' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(backup.backupVault({ outDir: '/tmp' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(backup.recoveryKit({ threshold: 1, shares: 3 })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(backup.recoveryKit({ threshold: 4, shares: 3 })).rejects.toMatchObject({ code: 'BAD_INPUT' })
  })
})
