import { chmodSync, mkdirSync, readFileSync } from 'node:fs'
import { AsyncLocalStorage } from 'node:async_hooks'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { AppError } from '../lib/errors.js'
import { createLogger } from '../lib/logger.js'
import { systemClock } from '../lib/clock.js'
import { armFaultPoints, parseFaultPoints } from '../lib/fault.js'
import { whenOrphaned } from '../lib/parent-watch.js'
import { migrate, openDatabase, type Database } from '../db/index.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, loadOrCreateKeyFile, vaultMigrations } from '../vault/index.js'
import { createSignerAuditLog } from './audit-log.js'
import { createExecutor } from './executor.js'
import { createRateBudget } from './rate-budget.js'
import { loadRecipientKey } from './recipient-key.js'
import { loadAuditSigningKey } from './audit-signing-key.js'
import { startRpcServer, startTlsRpcServer, type Handler } from './rpc-server.js'
import { createSignerService } from './signer-service.js'
import { createSignerHandlers } from './handlers.js'
import { createVaultBackup } from './vault-backup.js'
import type { SignerAuditEvent } from './signer-types.js'
import { signerEnvSchema, type SignerConfig } from './signer-config.js'
import { homePaths } from '../config/paths.js'

export const signerPaths = (home: string) => {
  const vault = join(home, 'vault')
  return {
    vault,
    db: join(vault, 'db'),
    dbLock: join(vault, 'db.lock'),
    shares2: join(vault, 'shares-2'),
    shares3: join(vault, 'shares-3'),
    masterKey: join(vault, 'master.key'),
    fingerprintKey: join(vault, 'fingerprint.key'),
    sealKey: join(vault, 'seal.key'),
    auditSigningKey: join(vault, 'audit-signing.key'),
    auditLog: join(vault, 'audit.log'),
    sockDir: join(vault, 'sock'),
    socket: homePaths(home).signerSocket,
    operatorSocket: homePaths(home).signerOperatorSocket,
    operatorToken: homePaths(home).operatorToken,
  }
}

const openVaultDb = async (url: string | undefined, dataDir: string, lockPath: string): Promise<Database> => {
  const database = url ? await openDatabase({ kind: 'postgres', url, poolSize: 4 }) : await openDatabase({ kind: 'pglite', dataDir, lockPath })
  await migrate(database, vaultMigrations)
  return database
}

/**
 * The signer process root: key custody. Holds the master key and every share store; listens on two
 * Unix sockets (the api's, and the operator's, which keeps direct authority over widenings). Started by `bulwark start`
 * under Node's permission model with core dumps off; also startable alone (`bulwark signer`).
 */
export const startSigner = async (config: SignerConfig) => {
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'signer' })
  // Everything the signer creates (its PGlite files too) is owner-only, whatever umask it inherited.
  process.umask(0o077)
  armFaultPoints(parseFaultPoints(config.BULWARK_FAULT_POINTS).points)
  // SIGUSR1 would open an inspector (or, under the permission model, end the process): ignore it.
  process.on('SIGUSR1', () => logger.warn('SIGUSR1 ignored: the signer never opens an inspector'))
  const paths = signerPaths(config.BULWARK_HOME)
  mkdirSync(paths.vault, { recursive: true, mode: 0o700 })
  // Group-traversable in separated mode, so the api's user can reach the 0660 socket inside.
  mkdirSync(paths.sockDir, { recursive: true, mode: 0o700 })
  chmodSync(paths.sockDir, config.SIGNER_SOCKET_GROUP_ACCESS === '1' ? 0o710 : 0o700)

  const vaultDb = await openVaultDb(config.VAULT_DATABASE_URL, paths.db, paths.dbLock)
  const store2Db = config.VAULT2_DATABASE_URL ? await openVaultDb(config.VAULT2_DATABASE_URL, '', '') : undefined
  const stores = [
    createDatabaseShareStore('store-1', vaultDb.db),
    store2Db ? createDatabaseShareStore('store-2', store2Db.db) : createDirectoryShareStore('store-2', paths.shares2),
    createDirectoryShareStore('store-3', config.VAULT_SHARE_DIR_3 ?? paths.shares3),
  ]
  const audit = createSignerAuditLog(paths.auditLog)
  // Events raised while a request runs belong to that request's workspace; others are only logged here.
  const requestEvents = new AsyncLocalStorage<SignerAuditEvent[]>()
  const report = (event: SignerAuditEvent) => requestEvents.getStore()?.push(event)
  const keyHierarchy = createKeyHierarchy(paths.masterKey)
  const vault = createVault({
    db: vaultDb.db,
    stores,
    keys: keyHierarchy,
    fingerprintKey: loadOrCreateKeyFile(paths.fingerprintKey),
    clock: systemClock,
    threshold: config.VAULT_THRESHOLD,
    onEvent: (e) => {
      void audit.write({ ...e }).catch(() => logger.error({ event: e.type }, 'could not write a vault event to the signer audit log'))
      const { type, ...details } = e
      report({ type, outcome: 'failure', details })
    },
  })
  const swept = await vault.sweepIncomplete()
  if (swept > 0) logger.warn({ swept }, 'removed keys left half-written by a crash')

  const executor = createExecutor({
    endpoints: config.BULWARK_EXCHANGE_ENDPOINTS,
    budget: createRateBudget({ factor: config.SIGNER_RATE_BUDGET_FACTOR }),
    onRefusal: (r) => {
      void audit.write({ type: 'signer_refused', ...r }).catch(() => logger.error('could not write a refusal to the signer audit log'))
      report({ type: 'signer_refused', outcome: 'denied', details: { ...r } })
    },
  })
  const service = createSignerService({
    vault,
    db: vaultDb.db,
    executor,
    audit,
    recipient: await loadRecipientKey(paths.sealKey),
    clock: systemClock,
    widening: { delayMs: config.SIGNER_WIDENING_DELAY_SECONDS * 1000, origin: config.PUBLIC_ORIGIN, rpId: new URL(config.PUBLIC_ORIGIN).hostname },
    auditSigningKey: loadAuditSigningKey(paths.auditSigningKey),
    onSweepError: (err) => logger.error({ err }, 'the sweep of keys waiting for approval failed'),
  })
  // A key waiting for four-eyes approval that nobody approved in time is destroyed on the signer's own clock.
  const stopPendingKeySweep = service.startPendingKeySweep()
  const sealState = await service.sealStatus()
  if (sealState.sealed) logger.warn({ reason: sealState.reason, since: sealState.changedAt }, 'the signer is sealed by its operator: it refuses all but narrowing and audit operations until `bulwark vault unseal`')
  // Backups read the same stores under the same master-key hierarchy; operator socket only.
  const backup = createVaultBackup({ db: vaultDb.db, stores, keys: keyHierarchy, vaultDir: paths.vault, audit, clock: systemClock })
  const { api: apiHandlers, operator: operatorHandlers } = createSignerHandlers({ service, vault, backup, requestEvents })
  const apiServer = await startRpcServer(paths.socket, apiHandlers, logger, { mode: config.SIGNER_SOCKET_GROUP_ACCESS === '1' ? 0o660 : 0o600 })
  // Same user in embedded mode: the socket's file mode cannot tell the operator from the api, the token can.
  const operatorToken = loadOrCreateKeyFile(paths.operatorToken).toString('base64')
  const operatorServer = await startRpcServer(paths.operatorSocket, operatorHandlers, logger, { requiredAuth: operatorToken })
  const tcp = config.SIGNER_TCP_LISTEN ? await startTcp(config, apiHandlers, logger) : undefined
  logger.info({ socket: paths.socket, tcpPort: tcp?.port, permissionModel: typeof process.permission !== 'undefined' }, 'signer ready')

  return {
    close: async () => {
      stopPendingKeySweep()
      await apiServer.close()
      await operatorServer.close()
      await tcp?.close()
      audit.close()
      await vaultDb.close()
      await store2Db?.close()
    },
  }
}

/** The api's operations over mutual TLS, for a signer on another host (the operator socket stays local). */
const startTcp = async (config: SignerConfig, handlers: Record<string, Handler>, logger: ReturnType<typeof createLogger>) => {
  const files = [config.SIGNER_TLS_CERT_FILE, config.SIGNER_TLS_KEY_FILE, config.SIGNER_CLIENT_CA_FILE]
  if (files.some((f) => !f)) throw new AppError('BAD_INPUT', 'SIGNER_TCP_LISTEN needs SIGNER_TLS_CERT_FILE, SIGNER_TLS_KEY_FILE and SIGNER_CLIENT_CA_FILE (mutual TLS)')
  const [host = '', port = '0'] = (config.SIGNER_TCP_LISTEN ?? '').split(':')
  const [cert, key, ca] = files.map((f) => readFileSync(f as string)) as [Buffer, Buffer, Buffer]
  return startTlsRpcServer({ host, port: Number(port), cert, key, ca }, handlers, logger)
}

/** `node dist/signer/main.js`: parse the minimal environment and run until SIGTERM. */
const runAsProcess = async () => {
  const parsed = signerEnvSchema.safeParse(process.env)
  if (!parsed.success) {
    process.stderr.write(`signer: invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`)
    process.exit(1)
  }
  try {
    const signer = await startSigner(Object.freeze(parsed.data))
    const stop = () => void signer.close().then(() => process.exit(0), () => process.exit(1))
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    whenOrphaned(stop)
  } catch (err) {
    process.stderr.write(`signer: ${err instanceof AppError ? err.message : 'failed to start'}\n`)
    if (!(err instanceof AppError)) process.stderr.write(`${(err as Error).stack ?? ''}\n`)
    process.exit(1)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void runAsProcess()
