import { closeSync, constants, openSync, renameSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

/**
 * Durable writes without fsync(): Node 20's permission model disables the fsync family, so files are
 * opened with O_SYNC instead — every write returns only once the data is on disk. (A rename's directory
 * entry is not synced; a crash can at worst leave the previous file, never a torn one.)
 */
const { O_WRONLY, O_CREAT, O_APPEND, O_SYNC, O_EXCL, O_NOFOLLOW } = constants

/** Writes `content` to `path` through a temp file and a rename: readers see the old file or the new one. */
export const writeFileAtomic = (path: string, content: string, mode = 0o600): void => {
  // A fresh random name, created exclusively and never through a symlink: nobody can pre-plant it.
  const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_SYNC, mode)
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/** Creates `path` only if it does not exist (O_EXCL); false when it already did. */
export const createFileExclusive = (path: string, content: string, mode = 0o600): boolean => {
  let fd: number
  try {
    fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_SYNC, mode)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

/** An append-only file descriptor whose every write is synchronous (audit logs). */
export const openAppendSync = (path: string, mode = 0o600): number => openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_SYNC, mode)
