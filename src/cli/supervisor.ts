import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'
import { envSchema, homePaths, loadPlatformSecrets, prepareHome, privateDir, type Config } from '../config/index.js'
import { acquireLockFile } from '../db/index.js'
import { AppError } from '../lib/errors.js'
import { applySeparation, checkCodeReadable, ensureSeparationUsers, separationEnabled, separationNames, type Identity, type Separation } from './separation.js'
import { createSignerClient, signerEnvKeys } from '../signer/index.js'

const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
/** What both children may read of the installation: never the repository root, which may hold BULWARK_HOME. */
const codeReadGrants = [`${repo}/dist`, `${repo}/node_modules`, `${repo}/web/dist`, `${repo}/package.json`]

/** Only the signer's own variables go along (BULWARK_HOME is set explicitly). */
const signerEnvNames = signerEnvKeys.filter((k) => k !== 'BULWARK_HOME')

const pick = (env: NodeJS.ProcessEnv, names: readonly string[]) => Object.fromEntries(names.flatMap((n) => (env[n] === undefined ? [] : [[n, env[n] as string]])))

/**
 * The custody process: core dumps off (prlimit), Node's permission model with file grants for its vault
 * and sockets only — no inspector, child-process, worker or addon grants — and only its own variables.
 */
export const spawnSigner = (homePath: string, env: NodeJS.ProcessEnv, stdio: StdioOptions, as?: Identity): ChildProcess => {
  const paths = homePaths(homePath)
  const shareDir3 = env.VAULT_SHARE_DIR_3
  const writable = [paths.vaultDir, ...(shareDir3 ? [shareDir3] : [])] // its sockets are in vault/sock
  const tlsFiles = [env.SIGNER_TLS_CERT_FILE, env.SIGNER_TLS_KEY_FILE, env.SIGNER_CLIENT_CA_FILE].filter((f): f is string => Boolean(f))
  const args = [
    '--core=0',
    '--',
    process.execPath,
    '--experimental-permission',
    '--no-warnings',
    ...[...codeReadGrants, ...writable, ...tlsFiles].map((p) => `--allow-fs-read=${p}`),
    ...writable.map((p) => `--allow-fs-write=${p}`),
    join(repo, 'dist', 'signer', 'main.js'),
  ]
  const signerEnv = { BULWARK_HOME: homePath, ...pick(env, signerEnvNames), ...(as ? { SIGNER_SOCKET_GROUP_ACCESS: '1' } : {}) }
  return spawn('prlimit', args, { env: signerEnv, stdio, ...(as ? { uid: as.uid, gid: as.gid } : {}) })
}

const log = (line: string) => process.stderr.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), name: 'supervisor', msg: line })}\n`)

/**
 * `bulwark start`: prepares BULWARK_HOME, holds the instance lock, and runs two children under Node's
 * permission model — the signer (key custody: vault files, no inspector, no child processes, no addons,
 * core dumps off via prlimit) and the api (no access to the vault or the master key). Restarts the signer
 * with backoff if it dies; a failed first start removes the home it created.
 */
export const supervise = async (config: Config, env: NodeJS.ProcessEnv): Promise<void> => {
  const isRoot = process.getuid?.() === 0
  const separated = separationEnabled(config.BULWARK_SEPARATE_USERS)
  if (separated && !isRoot) throw new AppError('FORBIDDEN', 'BULWARK_SEPARATE_USERS=on needs `bulwark start` to run as root (it starts the signer and the api as their own users)')
  const home = prepareHome(config.BULWARK_HOME, { groupMayTraverse: separated })
  const paths = homePaths(home.path)
  let lock: ReturnType<typeof acquireLockFile> | undefined
  let separation: Separation | undefined
  let signer: ChildProcess | undefined
  const children: { api?: ChildProcess } = {}
  let stopping = false
  const cleanupFresh = () => {
    if (home.created) rmSync(home.path, { recursive: true, force: true })
  }
  try {
    // Created here: under the permission model the children may not create their own top-level folders.
    for (const dir of ['run', 'vault', 'db']) privateDir(home.path, dir, { groupMayTraverse: separated })
    // The audit archive folder: made here for the same reason (the api writes archived segments into it).
    privateDir(home.path, config.AUDIT_ARCHIVE_DIR ?? 'archive', { groupMayTraverse: separated })
    // Share store 3 elsewhere: created here (a grant on a missing path would not cover its files) and
    // held to the same rule as the home: this user's, closed to everyone else.
    if (env.VAULT_SHARE_DIR_3) privateDir(home.path, env.VAULT_SHARE_DIR_3)
    lock = acquireLockFile(paths.instanceLock, `BULWARK_HOME ${home.path}`)
    loadPlatformSecrets(home.path, config)
    if (separated) {
      separation = ensureSeparationUsers()
      checkCodeReadable([join(repo, 'dist', 'main.js'), join(repo, 'dist', 'signer', 'main.js'), join(repo, 'node_modules', 'ccxt', 'package.json'), join(repo, 'package.json')])
      applySeparation(paths, separation, env.VAULT_SHARE_DIR_3, config.AUDIT_ARCHIVE_DIR ? resolve(config.AUDIT_ARCHIVE_DIR) : paths.archiveDir)
      log(`separated mode: signer as ${separationNames.signer}, api as ${separationNames.api}`)
    }
  } catch (err) {
    lock?.release()
    cleanupFresh()
    throw err
  }
  const startSignerChild = () => {
    // The signer checks WebAuthn confirmations against the same origin the api serves (even when it came from the default).
    signer = spawnSigner(home.path, { ...env, PUBLIC_ORIGIN: config.PUBLIC_ORIGIN }, ['ignore', 'inherit', 'inherit'], separation?.signer)
    return signer
  }

  const client = createSignerClient({ socketPath: paths.signerSocket, timeoutMs: 2_000 })
  const waitForSigner = async (child: ChildProcess) => {
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`the signer exited with code ${child.exitCode} while starting`)
      if (existsSync(paths.signerSocket) && (await client.ping().then(() => true, () => false))) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('the signer did not become ready within 60 s')
  }

  /** Stops the api first (it finishes in-flight requests), then the signer, then releases the lock. */
  const stopAll = async (apiSignal: NodeJS.Signals = 'SIGTERM') => {
    stopping = true
    const { api } = children
    if (api && api.exitCode === null) {
      api.kill(apiSignal)
      await new Promise((r) => api.once('exit', r))
    }
    if (signer && signer.exitCode === null) {
      signer.kill('SIGTERM')
      await new Promise((r) => signer?.once('exit', r))
    }
    lock?.release()
  }

  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1)
    void stopAll(signal).then(() => process.exit(children.api?.exitCode === 0 ? 0 : 1))
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))

  // The signer and the api start side by side (the api reports the signer in /readyz until it answers).
  // With SIGNER_URL the signer runs on another host (`bulwark signer` there); only the api starts here.
  const first = config.SIGNER_URL ? undefined : startSignerChild()
  const apiEnv = pick(env, [...Object.keys(envSchema.shape), 'PATH'])
  const apiWriteGrants = [paths.dbDir, paths.runDir, paths.secretsDir, config.AUDIT_ARCHIVE_DIR ? resolve(config.AUDIT_ARCHIVE_DIR) : paths.archiveDir]
  const apiReadGrants = [
    ...codeReadGrants,
    // The bundled replay data (src/market reads it at run time; the signer never needs it).
    join(repo, 'data', 'market'),
    ...apiWriteGrants,
    ...[config.TLS_CERT_FILE, config.TLS_KEY_FILE, config.SIGNER_CLIENT_CERT_FILE, config.SIGNER_CLIENT_KEY_FILE, config.SIGNER_CA_FILE, config.TELEGRAM_BOT_TOKEN_FILE, config.METRICS_TOKEN_FILE].filter((f): f is string => Boolean(f)),
  ]
  const api = (children.api = spawn(
    process.execPath,
    [
      '--experimental-permission',
      '--no-warnings',
      ...apiReadGrants.map((p) => `--allow-fs-read=${p}`),
      ...apiWriteGrants.map((p) => `--allow-fs-write=${p}`),
      join(repo, 'dist', 'main.js'),
    ],
    { env: { ...apiEnv, BULWARK_HOME: home.path }, stdio: ['ignore', 'inherit', 'inherit'], ...(separation ? { uid: separation.api.uid, gid: separation.api.gid } : {}) },
  ))
  api.once('exit', (code) => {
    if (stopping) return
    // The api ended on its own: a failed start (it printed why) or a crash. Stop the signer too.
    const becameReady = existsSync(paths.adminSocket)
    void stopAll().then(() => {
      if (!becameReady) cleanupFresh()
      process.exit(code === 0 ? 0 : 1)
    })
  })

  try {
    if (first) await waitForSigner(first)
  } catch (err) {
    // Already stopping: the api failed first, said why, and its exit handler ends the process.
    if (stopping) await new Promise(() => {})
    stopping = true
    api.kill('SIGKILL')
    first?.kill('SIGKILL')
    client.close()
    lock.release()
    cleanupFresh()
    throw err
  }
  client.close()

  // If the signer dies, bring it back with backoff; the api's /readyz reports it missing meanwhile.
  let backoffMs = 500
  const watchSigner = (child: ChildProcess) =>
    child.once('exit', (code, signal) => {
      if (stopping) return
      log(`signer exited (${signal ?? code}); restarting in ${backoffMs} ms`)
      setTimeout(() => {
        if (stopping) return
        watchSigner(startSignerChild())
        backoffMs = Math.min(backoffMs * 2, 30_000)
      }, backoffMs)
    })
  if (first) watchSigner(first)

}
