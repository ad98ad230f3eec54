import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { writeFileAtomic } from '../lib/durable-file.js'
import { join } from 'node:path'
import { and, eq, ne } from 'drizzle-orm'
import type { DbOrTx } from '../db/index.js'
import { vaultShares } from './vault-schema.js'

/** What every share store keeps per (key, version): one wrapped share and a copy of the credentials' ciphertext. */
export type ShareRecord = {
  keyId: string
  keyVersion: number
  storeId: string
  shareIndex: number
  threshold: number
  shareCount: number
  workspaceId: string
  exchangeAccountId: string
  masterVersion: number
  wrappedShare: Buffer
  credentialsCiphertext: Buffer
  createdAt: Date
}

export type ShareStore = {
  readonly id: string
  readonly kind: 'database' | 'directory'
  /** Writes (or replaces) a record durably. */
  put: (record: ShareRecord) => Promise<void>
  get: (keyId: string, keyVersion: number) => Promise<ShareRecord | undefined>
  /** Every record of a key, all versions (refresh and destroy use it). */
  listVersions: (keyId: string) => Promise<number[]>
  deleteVersion: (keyId: string, keyVersion: number) => Promise<void>
  deleteOtherVersions: (keyId: string, keepVersion: number) => Promise<void>
  /** Every record in the store (master-key rotation walks them). */
  all: () => AsyncIterable<ShareRecord>
  health: () => Promise<'ok' | string>
}

/** A share store in a PostgreSQL/PGlite database (store 1 in the signer's own database; store 2 in production). */
export const createDatabaseShareStore = (id: string, db: DbOrTx): ShareStore => {
  const where = (keyId: string, keyVersion: number) => and(eq(vaultShares.keyId, keyId), eq(vaultShares.keyVersion, keyVersion), eq(vaultShares.storeId, id))
  return {
    id,
    kind: 'database',
    put: async (r) => {
      await db
        .insert(vaultShares)
        .values({ ...r, storeId: id })
        .onConflictDoUpdate({
          target: [vaultShares.keyId, vaultShares.keyVersion, vaultShares.storeId],
          // A put replaces the whole record, as the directory store does.
          set: {
            shareIndex: r.shareIndex,
            threshold: r.threshold,
            shareCount: r.shareCount,
            workspaceId: r.workspaceId,
            exchangeAccountId: r.exchangeAccountId,
            masterVersion: r.masterVersion,
            wrappedShare: r.wrappedShare,
            credentialsCiphertext: r.credentialsCiphertext,
            createdAt: r.createdAt,
          },
        })
    },
    get: async (keyId, keyVersion) => {
      const [row] = await db.select().from(vaultShares).where(where(keyId, keyVersion)).limit(1)
      return row
    },
    listVersions: async (keyId) =>
      (await db.select({ v: vaultShares.keyVersion }).from(vaultShares).where(and(eq(vaultShares.keyId, keyId), eq(vaultShares.storeId, id)))).map((r) => r.v),
    deleteVersion: async (keyId, keyVersion) => {
      await db.delete(vaultShares).where(where(keyId, keyVersion))
    },
    deleteOtherVersions: async (keyId, keepVersion) => {
      await db.delete(vaultShares).where(and(eq(vaultShares.keyId, keyId), eq(vaultShares.storeId, id), ne(vaultShares.keyVersion, keepVersion)))
    },
    all: async function* () {
      for (const row of await db.select().from(vaultShares).where(eq(vaultShares.storeId, id))) yield row
    },
    health: async () => {
      await db.select({ k: vaultShares.keyId }).from(vaultShares).limit(1)
      return 'ok'
    },
  }
}

type FileRecord = Omit<ShareRecord, 'wrappedShare' | 'credentialsCiphertext' | 'createdAt'> & { wrappedShare: string; credentialsCiphertext: string; createdAt: string }

/** A share store as a directory of 0600 files, one per (key, version), written atomically (embedded stores 2 and 3). */
export const createDirectoryShareStore = (id: string, dir: string): ShareStore => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = (keyId: string, keyVersion: number) => join(dir, `${keyId}.${keyVersion}.share`)
  const parse = (text: string): ShareRecord => {
    const f = JSON.parse(text) as FileRecord
    return { ...f, wrappedShare: Buffer.from(f.wrappedShare, 'base64'), credentialsCiphertext: Buffer.from(f.credentialsCiphertext, 'base64'), createdAt: new Date(f.createdAt) }
  }
  const names = () => readdirSync(dir).filter((n) => n.endsWith('.share'))
  return {
    id,
    kind: 'directory',
    put: async (r) => {
      const body: FileRecord = { ...r, storeId: id, wrappedShare: r.wrappedShare.toString('base64'), credentialsCiphertext: r.credentialsCiphertext.toString('base64'), createdAt: r.createdAt.toISOString() }
      writeFileAtomic(file(r.keyId, r.keyVersion), JSON.stringify(body))
    },
    get: async (keyId, keyVersion) => {
      try {
        return parse(readFileSync(file(keyId, keyVersion), 'utf8'))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    listVersions: async (keyId) =>
      names()
        .filter((n) => n.startsWith(`${keyId}.`))
        .map((n) => Number(n.split('.')[1])),
    deleteVersion: async (keyId, keyVersion) => rmSync(file(keyId, keyVersion), { force: true }),
    deleteOtherVersions: async (keyId, keepVersion) => {
      for (const n of names()) if (n.startsWith(`${keyId}.`) && Number(n.split('.')[1]) !== keepVersion) rmSync(join(dir, n), { force: true })
    },
    all: async function* () {
      for (const n of names()) yield parse(readFileSync(join(dir, n), 'utf8'))
    },
    health: async () => {
      readdirSync(dir)
      return 'ok'
    },
  }
}
