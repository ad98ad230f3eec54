import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../lib/errors.js'
import type { HomePaths } from '../config/index.js'

/**
 * Separated mode: when `bulwark start` runs as root, the signer and the api run as two dedicated
 * unprivileged users, and only the signer's user can read the vault and the master key. This is the OS
 * boundary that makes "a compromised api yields nothing" true; the permission model stays on as well.
 */
export const separationNames = { signer: 'bulwark-signer', api: 'bulwark-api', group: 'bulwark' } as const
export type Identity = { uid: number; gid: number }
export type Separation = { signer: Identity; api: Identity; group: number }

/** Whether this configuration runs separated: on, or auto when started as root. One rule for start, doctor and the CLI. */
export const separationEnabled = (mode: 'auto' | 'on' | 'off'): boolean => mode === 'on' || (mode === 'auto' && process.getuid?.() === 0)

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
const tryRun = (cmd: string, args: string[]) => {
  try {
    return run(cmd, args)
  } catch {
    return undefined
  }
}

/** Creates the group and the two system users when missing (useradd/groupadd), and returns their ids. */
export const ensureSeparationUsers = (): Separation => {
  try {
    if (!tryRun('getent', ['group', separationNames.group])) run('groupadd', ['--system', separationNames.group])
    for (const user of [separationNames.signer, separationNames.api]) {
      if (!tryRun('id', ['-u', user])) run('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--gid', separationNames.group, user])
    }
  } catch (err) {
    throw new AppError('FORBIDDEN', `cannot create the users ${separationNames.signer} and ${separationNames.api} (useradd/groupadd failed): create them, or set BULWARK_SEPARATE_USERS=off`, { cause: err })
  }
  const group = Number(run('getent', ['group', separationNames.group]).split(':')[2])
  const id = (user: string): Identity => ({ uid: Number(run('id', ['-u', user])), gid: group })
  return { signer: id(separationNames.signer), api: id(separationNames.api), group }
}

/** Owner only, all the way down: group and other bits are removed from everything below `path`. */
const chownTree = (path: string, uid: number, gid: number) => {
  const st = lstatSync(path)
  if (st.isSymbolicLink()) return
  chownSync(path, uid, gid)
  chmodSync(path, st.mode & 0o700)
  if (st.isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid)
}

/**
 * Hands each part of BULWARK_HOME to its owner: the home itself root:bulwark 0710 (both may traverse,
 * neither may list or write); vault/ to the signer alone; db/, run/, secrets/, archive/ to the api; vault/sock
 * group-traversable so the api can reach the signer's socket (which the signer makes 0660, group bulwark).
 */
export const applySeparation = (paths: HomePaths, s: Separation, shareDir3?: string, archiveDir: string = paths.archiveDir) => {
  chownSync(paths.home, 0, s.group)
  chmodSync(paths.home, 0o710)
  chownTree(paths.vaultDir, s.signer.uid, s.signer.gid)
  chmodSync(paths.vaultDir, 0o710) // the api needs to pass through to vault/sock, nothing else
  if (shareDir3) chownTree(shareDir3, s.signer.uid, s.signer.gid)
  for (const dir of [paths.dbDir, paths.runDir, paths.secretsDir, archiveDir]) chownTree(dir, s.api.uid, s.api.gid)
}

/** The code must be readable by the two users; say so plainly instead of failing obscurely later. */
export const checkCodeReadable = (files: string[]) => {
  for (const user of [separationNames.signer, separationNames.api]) {
    for (const file of files) {
      if (tryRun('runuser', ['-u', user, '--', 'test', '-r', file]) === undefined) {
        throw new AppError('FORBIDDEN', `separated mode: ${user} cannot read ${file}: install Bulwark where other users can read it (e.g. /opt/bulwark), or set BULWARK_SEPARATE_USERS=off`)
      }
    }
  }
}
