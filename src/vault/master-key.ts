import { readFileSync, statSync, existsSync } from 'node:fs'
import { writeFileAtomic } from '../lib/durable-file.js'
import { randomBytes } from 'node:crypto'
import { hkdfSha256 } from '../crypto/hkdf.js'
import { AppError } from '../lib/errors.js'

/**
 * The master key hierarchy. The master key never encrypts data itself: each share store's key-encryption
 * key (KEK) is derived from it with HKDF over the store id and master version, so one store's KEK opens
 * nothing in another store. Rotation adds a version; old versions stay until every share is re-wrapped,
 * then `minDecryptionVersion` retires them (SECURITY.md R7).
 *
 * File: JSON `{ current, minDecryptionVersion, keys: { "<version>": base64 } }`, mode 0600, written
 * atomically (O_SYNC temp file, rename). A KMS provider can replace `loadMasterKeyFile` later.
 */
export type MasterKeyFile = { current: number; minDecryptionVersion: number; keys: Record<string, string> }

const KEY_BYTES = 32

const writeAtomic = (path: string, content: string) => writeFileAtomic(path, content, 0o600)

const checkMode = (path: string) => {
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) throw new AppError('FORBIDDEN', `master key file ${path} is readable by others (mode ${mode.toString(8)}): run \`chmod 600 ${path}\``)
}

export const readMasterKeyFile = (path: string): MasterKeyFile => {
  checkMode(path)
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as MasterKeyFile
  if (!Number.isInteger(parsed.current) || !parsed.keys[String(parsed.current)]) throw new AppError('INTEGRITY_FAILED', `master key file ${path} is malformed`)
  return parsed
}

/** Loads the master key file, creating version 1 on first start. */
export const loadMasterKeyFile = (path: string): MasterKeyFile => {
  if (!existsSync(path)) {
    const fresh: MasterKeyFile = { current: 1, minDecryptionVersion: 1, keys: { '1': randomBytes(KEY_BYTES).toString('base64') } }
    writeAtomic(path, JSON.stringify(fresh))
  }
  return readMasterKeyFile(path)
}

/** The file's keys decoded into Buffers; the base64 strings are dropped at once (R12: wipeable bytes only). */
const decodeKeys = (file: MasterKeyFile) => new Map(Object.entries(file.keys).map(([v, b64]) => [Number(v), Buffer.from(b64, 'base64')]))
const metaOf = (file: MasterKeyFile) => ({ current: file.current, minDecryptionVersion: file.minDecryptionVersion })

export const createKeyHierarchy = (path: string) => {
  const loaded = loadMasterKeyFile(path)
  let meta = metaOf(loaded)
  const keys = decodeKeys(loaded)

  const persist = () =>
    writeAtomic(path, JSON.stringify({ ...meta, keys: Object.fromEntries([...keys].map(([v, k]) => [String(v), k.toString('base64')])) } satisfies MasterKeyFile))

  /** A copy of one version's key; the caller wipes it. */
  const masterKey = (version: number): Buffer => {
    if (version < meta.minDecryptionVersion) throw new AppError('INTEGRITY_FAILED', `master key version ${version} is retired`)
    const key = keys.get(version)
    if (!key) throw new AppError('INTEGRITY_FAILED', `master key version ${version} is unknown`)
    return Buffer.from(key)
  }

  /** The KEK of one store under one master version. The caller wipes it. */
  const kekFor = (storeId: string, version: number): Buffer => {
    const master = masterKey(version)
    try {
      return hkdfSha256(master, 'bulwark-kek-v1', `store:${storeId}:master:${version}`)
    } finally {
      master.fill(0)
    }
  }

  return {
    currentVersion: () => meta.current,
    minDecryptionVersion: () => meta.minDecryptionVersion,
    kekFor,
    /** Adds a new current version; old versions keep decrypting until retired. */
    addVersion: (): number => {
      const next = Math.max(...keys.keys()) + 1
      keys.set(next, randomBytes(KEY_BYTES))
      meta = { ...meta, current: next }
      persist()
      return next
    },
    /** Retires every version below `version` and wipes their key bytes. */
    retireBelow: (version: number) => {
      for (const [v, k] of keys) {
        if (v < version) {
          k.fill(0)
          keys.delete(v)
        }
      }
      meta = { ...meta, minDecryptionVersion: version }
      persist()
    },
  }
}

export type KeyHierarchy = ReturnType<typeof createKeyHierarchy>

/**
 * A single random 32-byte key in its own 0600 file, created on first use (the reuse-lock fingerprint
 * key: it must not change when the master key rotates, or a rotated vault would forget its keys).
 */
export const loadOrCreateKeyFile = (path: string): Buffer => {
  if (!existsSync(path)) writeAtomic(path, randomBytes(KEY_BYTES).toString('base64'))
  checkMode(path)
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')
  if (key.length !== KEY_BYTES) throw new AppError('INTEGRITY_FAILED', `key file ${path} is malformed`)
  return key
}
