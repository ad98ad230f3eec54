import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import { AppError, systemErrorCode } from '../lib/errors.js'

export type LockHolder = { pid: number; hostname: string; startedAt: string }
export type LockFile = { path: string; release: () => void }

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return systemErrorCode(err) === 'EPERM'
  }
}

/** Who holds the lock, if a live process does (a lock left by a dead process counts as free). */
export const readLockHolder = (path: string): LockHolder | undefined => {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder
    if (holder.hostname !== hostname()) return holder // another host: cannot check, so believe it
    return isAlive(holder.pid) ? holder : undefined
  } catch {
    return undefined
  }
}

/**
 * An exclusive lock file (O_EXCL create). PGlite loses writes when two processes open one data directory,
 * so the embedded database is opened only under this lock. A lock left behind by a crashed process is
 * detected by its pid and taken over.
 * @throws AppError CONFLICT naming the holder when a live process has it
 */
export const acquireLockFile = (path: string, what: string): LockFile => {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() } satisfies LockHolder))
      closeSync(fd)
      let released = false
      return {
        path,
        release: () => {
          if (released) return
          released = true
          try {
            unlinkSync(path)
          } catch {
            // already gone: nothing to release
          }
        },
      }
    } catch (err) {
      if (systemErrorCode(err) !== 'EEXIST') {
        throw new AppError('FORBIDDEN', `cannot create lock file ${path} (${systemErrorCode(err) ?? 'error'}): check permissions of BULWARK_HOME`, { cause: err })
      }
      const holder = readLockHolder(path)
      if (holder) {
        throw new AppError(
          'CONFLICT',
          `${what} is in use by process ${holder.pid} (since ${holder.startedAt}): stop that process, or run this command while it runs so it goes through its admin socket`,
        )
      }
      try {
        unlinkSync(path) // stale: its process is gone
      } catch {
        // someone else removed it first; retry
      }
    }
  }
  throw new AppError('CONFLICT', `${what} is being opened by another process at the same moment: try again`)
}
