import { mkdirSync, statSync, accessSync, constants } from 'node:fs'
import { resolve } from 'node:path'
import { AppError, systemErrorCode } from '../lib/errors.js'

export type Home = { path: string; created: boolean }

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0')

/**
 * Makes sure BULWARK_HOME exists, belongs to this user and is closed to everyone else (0700).
 * Refuses — never "fixes" — a directory that others can read: someone may have relied on that.
 * @throws AppError with a one-line cause and fix
 */
export const prepareHome = (homePath: string, { groupMayTraverse = false }: { groupMayTraverse?: boolean } = {}): Home => {
  const path = resolve(homePath)
  let created = false
  try {
    const st = statSync(path)
    if (!st.isDirectory()) throw new AppError('BAD_INPUT', `BULWARK_HOME ${path} is not a directory: point BULWARK_HOME at a directory`)
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw new AppError('FORBIDDEN', `BULWARK_HOME ${path} belongs to uid ${st.uid}, not to this user (${process.getuid()}): run Bulwark as its owner or chown it`)
    }
    // Separated mode: root:bulwark 0710 lets the two service users pass through, nothing more.
    if ((st.mode & (groupMayTraverse ? 0o067 : 0o077)) !== 0) {
      throw new AppError('FORBIDDEN', `BULWARK_HOME ${path} is open to other users (mode ${octal(st.mode)}): run \`chmod 700 ${path}\``)
    }
  } catch (err) {
    if (err instanceof AppError) throw err
    if (systemErrorCode(err) !== 'ENOENT') {
      throw new AppError('FORBIDDEN', `BULWARK_HOME ${path} cannot be read (${systemErrorCode(err) ?? 'error'}): check its permissions`, { cause: err })
    }
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 })
      created = true
    } catch (mkErr) {
      throw new AppError('FORBIDDEN', `BULWARK_HOME ${path} cannot be created (${systemErrorCode(mkErr) ?? 'error'}): choose a writable location`, { cause: mkErr })
    }
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (err) {
    throw new AppError('FORBIDDEN', `BULWARK_HOME ${path} is not readable and writable by this user: run \`chmod 700 ${path}\` as its owner`, { cause: err })
  }
  return { path, created }
}

/** A private subdirectory of BULWARK_HOME (0700), created when missing. */
export const privateDir = (home: string, name: string, { groupMayTraverse = false }: { groupMayTraverse?: boolean } = {}): string => {
  const dir = resolve(home, name)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = statSync(dir)
  if ((st.mode & (groupMayTraverse ? 0o067 : 0o077)) !== 0) throw new AppError('FORBIDDEN', `${dir} is open to other users (mode ${octal(st.mode)}): run \`chmod 700 ${dir}\``)
  return dir
}
