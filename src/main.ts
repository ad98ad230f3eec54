import { rmSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Config } from './config/index.js'
import { homePaths, loadPlatformSecrets, prepareHome, privateDir } from './config/index.js'
import { AppError, systemErrorCode } from './lib/errors.js'
import { createLogger, type Logger } from './lib/logger.js'
import { systemClock, type Clock } from './lib/clock.js'
import { armFaultPoints, parseFaultPoints } from './lib/fault.js'
import { whenOrphaned } from './lib/parent-watch.js'
import { acquireLockFile, migrate, migrationStatus, openDatabase, type Database, type LockFile } from './db/index.js'
import {
  auditAdminHandlers,
  createAlertStream,
  createAlerts,
  createAuditArchiver,
  createAuditChain,
  createAuditCheckpointer,
  createAuditHasher,
  createCheckpointSource,
  createEmailSender,
  createMetrics,
  createNotificationChannels,
  createNotifier,
  createOutbox,
  createTelegram,
  createWorkspaceSettings,
  loadMetricsToken,
} from './monitoring/index.js'
import { createWorkspaceChanges } from './live/index.js'
import { createAccounts, createOperatorSetup } from './auth/index.js'
import { buildApp, startAdminSocket, type App } from './api/index.js'
import { createCheckpointSigner, createSignerClient, type SignerClient, type SignerTls } from './signer/index.js'
import { bulwarkVersion } from './version.js'
import { createExchangeAccounts, createExchangeActivity, createKeyHygiene, createKeyRelay, createPasskeyTrustSync, keyAdminHandlers } from './keys/index.js'
import { createIncidents, incidentAdminHandlers } from './incident/index.js'
import { dumpDatabase } from './db/logical-dump.js'
import { liveRoutes } from './api/routes/live-routes.js'
import { auditRoutes } from './api/routes/audit-routes.js'
import { activityRoutes } from './api/routes/activity-routes.js'
import { settingsRoutes } from './api/routes/settings-routes.js'
import { securityRoutes } from './api/routes/security-routes.js'
import { metricsRoutes } from './api/routes/metrics-routes.js'
import { notificationRoutes } from './api/routes/notification-routes.js'
import { incidentRoutes } from './api/routes/incident-routes.js'
import { teamRoutes } from './api/routes/team-routes.js'
import { policyRoutes } from './api/routes/policy-routes.js'
import { approvalRoutes } from './api/routes/approval-routes.js'
import { createApprovals, createTeams, createWorkspacePolicies } from './teams/index.js'
import { registerApprovalHandlers } from './approval-handlers.js'
import { createMemberOffboarding } from './member-offboarding.js'
import { createDemoPriceSource, createDemoRuntime, createDemoService, createDemoTradingVenue, demoFeedSettings, openDemoFeed, openDemoFunding } from './demo/index.js'
import { createPolledPrices, createTrading, createVenueResolver, routePrices } from './trading/index.js'
import { createPublicExchange } from './market/index.js'
import { catalogueEntry } from './exchanges/index.js'
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { parseConfig, formatConfigProblems } from './config/index.js'

export type Platform = {
  url: string
  app: App
  database: Database
  /** Graceful: stop accepting, finish in-flight requests within the bound, close storage. */
  close: (reason?: string) => Promise<void>
}

export type StartOptions = {
  logger?: Logger
  clock?: Clock
  /** Where the human-facing lines (setup token) go; stdout by default. */
  print?: (line: string) => void
  /**
   * Run as the api child of `bulwark start`: the supervisor prepared BULWARK_HOME, holds the instance
   * lock and runs the signer; this process may not even stat the home (permission model).
   */
  supervised?: boolean
  /**
   * A signer client made by the caller (tests: the in-process signer harness, so the whole platform's
   * route table can be walked against a real signer). The caller closes it.
   */
  signer?: SignerClient
}

const webRoot = fileURLToPath(new URL('../web/dist', import.meta.url))

/** SIGNER_URL and its certificate files (the schema made sure they come together). */
const remoteSigner = (config: Config): SignerTls => {
  const url = new URL((config.SIGNER_URL ?? '').replace(/^tls:/, 'http:'))
  const read = (file: string | undefined) => readFileSync(file ?? '')
  return { host: url.hostname, port: Number(url.port), cert: read(config.SIGNER_CLIENT_CERT_FILE), key: read(config.SIGNER_CLIENT_KEY_FILE), ca: read(config.SIGNER_CA_FILE) }
}

/** The database this configuration points at: PostgreSQL by URL, else the embedded PGlite under the lock. */
export const openConfiguredDatabase = (config: Pick<Config, 'DATABASE_URL'>, home: string): Promise<Database> => {
  const paths = homePaths(home)
  return config.DATABASE_URL
    ? openDatabase({ kind: 'postgres', url: config.DATABASE_URL })
    : openDatabase({ kind: 'pglite', dataDir: paths.dbDir, lockPath: paths.dbLock })
}

/**
 * The api process root: config → home and secrets → database → services → HTTP app → listen.
 * Anything that fails before the server listens undoes what this start created (a fresh BULWARK_HOME is
 * removed again), so a failed first start leaves nothing half-created.
 */
export const startPlatform = async (config: Config, opts: StartOptions = {}): Promise<Platform> => {
  const logger = opts.logger ?? createLogger({ level: config.LOG_LEVEL, name: 'api' })
  const clock = opts.clock ?? systemClock
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`))
  armFaultPoints(parseFaultPoints(config.BULWARK_FAULT_POINTS).points)

  const home = opts.supervised ? { path: resolve(config.BULWARK_HOME), created: false } : prepareHome(config.BULWARK_HOME)
  const paths = homePaths(home.path)
  const undo: Array<() => Promise<void> | void> = []
  const rollback = async () => {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => {})
    if (home.created) rmSync(home.path, { recursive: true, force: true })
  }

  try {
    const instanceLock: LockFile = opts.supervised ? { path: paths.instanceLock, release: () => {} } : (privateDir(home.path, 'run'), acquireLockFile(paths.instanceLock, `BULWARK_HOME ${home.path}`))
    undo.push(() => instanceLock.release())
    const signer = opts.signer
      ? opts.signer
      : config.SIGNER_URL
      ? createSignerClient({ tls: remoteSigner(config) })
      : opts.supervised
        ? createSignerClient({ socketPath: paths.signerSocket })
        : undefined
    if (!opts.signer) undo.push(() => signer?.close())
    const secrets = loadPlatformSecrets(home.path, config)

    const database = await openConfiguredDatabase(config, home.path)
    undo.push(() => database.close())
    const applied = await migrate(database)
    logger.info({ database: database.kind, location: database.location, applied }, 'database ready')

    const audit = createAuditChain({ db: database.db, clock })
    const alerts = createAlerts({ db: database.db, clock })
    const outbox = createOutbox({ db: database.db, clock })
    // With a mail server, the outbox is delivered by SMTP; without one it is read with `bulwark outbox`.
    const mailSender = config.SMTP_URL ? createEmailSender({ outbox, smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, logger, clock }) : undefined
    mailSender?.start()
    undo.push(() => mailSender?.stop())
    const settings = createWorkspaceSettings({ db: database.db, clock, audit })
    // Four-eyes approvals (R42) and the rest of teams: handlers are registered once every domain exists.
    const approvals = createApprovals({ db: database.db, clock, audit, alerts, outbox, logger })
    const policies = createWorkspacePolicies({ db: database.db, clock, audit, settings })
    const teams = createTeams({
      db: database.db,
      clock,
      audit,
      outbox,
      gate: approvals,
      logger,
      publicOrigin: config.PUBLIC_ORIGIN,
      // Declared below, once trading exists; called only when someone leaves or is removed.
      onAccessEnded: (workspaceId, userId, role, by) => offboard(workspaceId, userId, role, by),
      me: { forget: (userId) => accounts.me.forget(userId) },
    })
    const metrics = createMetrics({ db: database.db })
    const setup = createOperatorSetup({ db: database.db, clock, audit, tokenTtlHours: config.BULWARK_SETUP_TOKEN_TTL_HOURS })
    // The signer keeps its own list of passkeys that may confirm widening a key (signer/README.md).
    const keyRelay = signer ? createKeyRelay({ db: database.db, signer, audit, alerts, clock, metrics }) : undefined
    const passkeyTrust = keyRelay ? createPasskeyTrustSync({ db: database.db, relay: keyRelay, logger }) : undefined
    const accounts = createAccounts({
      db: database.db,
      clock,
      audit,
      alerts,
      mailer: outbox,
      csrfKey: secrets.csrf,
      totpSeedKey: secrets.totpSeed,
      publicOrigin: config.PUBLIC_ORIGIN,
      host: config.HOST,
      signupMode: config.SIGNUP,
      passwordParams: { memorySize: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS, parallelism: 1, hashLength: 32 },
      ...(passkeyTrust ? { onPasskeyAdded: passkeyTrust.added, onPasskeyRemoved: passkeyTrust.removed } : {}),
      admitsInvitee: (token, email) => teams.invitations.admits(token, email),
    })

    const exchangeAccounts = keyRelay
      ? createExchangeAccounts({ db: database.db, clock, relay: keyRelay, audit, alerts, mayConnect: (userId, workspaceId) => accounts.accounts.assertMayConnectKeys(userId, workspaceId) })
      : undefined
    // R16: every live key is asked about its permissions again each day; the signer disables dangerous ones.
    const reverifyDaily = setInterval(() => void exchangeAccounts?.reverifyAll().catch((err: unknown) => logger.warn({ err }, 'daily key re-verification failed')), 86_400_000)
    reverifyDaily.unref()
    undo.push(() => clearInterval(reverifyDaily))
    // Key hygiene: rotation due, unused, expiring — checked daily (and once at start).
    const hygiene = createKeyHygiene({ db: database.db, clock, alerts, ...(exchangeAccounts ? { accounts: exchangeAccounts } : {}) })
    const hygieneDaily = setInterval(() => void hygiene.checkKeys().catch((err: unknown) => logger.warn({ err }, 'key hygiene check failed')), 86_400_000)
    hygieneDaily.unref()
    undo.push(() => clearInterval(hygieneDaily))

    // Audit checkpoints: the signer signs each chain's head (R38); verify compares the chain with them.
    const checkpointSigner = signer ? createCheckpointSigner(signer) : undefined
    const checkpoints = checkpointSigner ? createCheckpointSource(checkpointSigner) : undefined
    const checkpointer = checkpointSigner ? createAuditCheckpointer({ db: database.db, clock, signer: checkpointSigner, alerts, logger, intervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS }) : undefined
    checkpointer?.start()
    undo.push(() => checkpointer?.stop())
    const archiveDir = config.AUDIT_ARCHIVE_DIR ? resolve(config.AUDIT_ARCHIVE_DIR) : paths.archiveDir
    const archiver = checkpoints ? createAuditArchiver({ db: database.db, clock, settings, checkpoints, alerts, logger, dir: archiveDir }) : undefined
    const archiveDaily = setInterval(() => void archiver?.archiveOld().catch((err: unknown) => logger.warn({ err }, 'audit archiving failed')), 86_400_000)
    archiveDaily.unref()
    undo.push(() => clearInterval(archiveDaily))

    // The demo exchanges: one engine fed by the configured market data (replay of the bundled set by default).
    // Funding rates: the reference exchange's live rate with MARKET_SOURCE=live, else the configured one (said so).
    const funding = await openDemoFunding(config, { clock, logger })
    const demoRuntime = createDemoRuntime({
      db: database.db,
      clock,
      logger,
      alerts,
      funding,
      seed: config.DEMO_SEED,
      openFeed: (after) => openDemoFeed(demoFeedSettings(config, clock.now().getTime()), { clock, logger }, after),
    })
    await demoRuntime.start()
    undo.push(() => demoRuntime.stop())
    const demo = createDemoService({ runtime: demoRuntime, clock, audit })

    // Trading: bots drive demo accounts in this process and exchange accounts through the signer.
    const venues = createVenueResolver({
      db: database.db,
      demo: async (workspaceId, accountId) => {
        const row = await demoRuntime.store.accountIn(workspaceId, accountId)
        return row ? createDemoTradingVenue({ runtime: demoRuntime, accountId: row.id, kind: row.kind }) : null
      },
      execute: async (workspaceId, keyId, method, args, opts) => {
        if (!keyRelay) throw new AppError('UNAVAILABLE', 'no signer is configured: exchange accounts cannot trade')
        return keyRelay.execute(workspaceId, keyId, method, args, { type: 'system', id: 'bot-runtime' }, opts)
      },
    })
    const publicClients = new Map<string, Promise<Awaited<ReturnType<typeof createPublicExchange>>>>()
    const exchangePrices = createPolledPrices({
      logger,
      fetchLast: async (venue, symbol) => {
        const ccxtId = catalogueEntry(venue)?.ccxtId
        if (!ccxtId) throw new AppError('BAD_INPUT', `no public prices for venue "${venue}"`)
        let client = publicClients.get(ccxtId)
        if (!client) publicClients.set(ccxtId, (client = createPublicExchange(ccxtId)))
        const ticker = await (await client).fetchTicker(symbol)
        if (typeof ticker.last !== 'number' || !Number.isFinite(ticker.last)) throw new AppError('EXCHANGE_UNAVAILABLE', `${venue} gave no last price for ${symbol}`)
        return String(ticker.last)
      },
    })
    undo.push(() => exchangePrices.stop())
    const demoPrices = createDemoPriceSource(demoRuntime)
    const trading = createTrading({
      db: database.db,
      clock,
      logger,
      audit,
      alerts,
      venues,
      prices: routePrices([
        { handles: demoPrices.handles, source: demoPrices },
        { handles: () => true, source: exchangePrices },
      ]),
      disableAccount: async (workspaceId, exchangeAccountId, reason) => {
        if (!exchangeAccounts) throw new AppError('UNAVAILABLE', 'no signer is configured')
        await exchangeAccounts.disable({ type: 'system', id: 'reconciliation' }, workspaceId, exchangeAccountId, reason)
      },
      webhookKey: secrets.webhookSecret,
      publicOrigin: config.PUBLIC_ORIGIN,
      instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    })
    await trading.start()
    undo.push(() => trading.stop())
    const offboard = createMemberOffboarding({ trading, alerts, logger })

    // Lockdown and unlock (src/incident): the emergency brake of a workspace.
    const incidents = createIncidents({
      db: database.db,
      clock,
      audit,
      alerts,
      outbox,
      accounts,
      settings,
      keys: keyRelay,
      exchangeAccounts,
      trading: trading.controls,
      demo,
      coolingOffSeconds: config.UNLOCK_COOLING_OFF_SECONDS,
      logger,
      approvals,
    })
    incidents.start()
    undo.push(() => incidents.stop())
    registerApprovalHandlers(approvals, { exchangeAccounts, trading, incidents, members: teams.members, policies })
    approvals.start()
    undo.push(() => approvals.stop())

    // Notifications: alerts go to members' email and Telegram and to workspace webhooks; the inbox is pushed live.
    const telegram = config.TELEGRAM_BOT_TOKEN_FILE
      ? createTelegram({
          token: readFileSync(config.TELEGRAM_BOT_TOKEN_FILE, 'utf8').trim(),
          apiRoot: config.TELEGRAM_API_ROOT,
          db: database.db,
          clock,
          logger,
          audit,
          statusOf: async (workspaceId) => {
            const bots = await trading.bots.list(workspaceId)
            return `Running bots: ${bots.filter((b) => b.status === 'running').length}`
          },
        })
      : undefined
    const channels = createNotificationChannels({ db: database.db, clock, audit, alerts, webhookKey: secrets.webhookSecret, allowPrivate: config.NOTIFY_WEBHOOK_ALLOW_PRIVATE, telegram })
    const notifier = createNotifier({
      db: database.db,
      clock,
      logger,
      outbox,
      alerts,
      telegram,
      webhookKey: secrets.webhookSecret,
      allowPrivate: config.NOTIFY_WEBHOOK_ALLOW_PRIVATE,
      emergencyLinkFor: (tx, _workspaceId, userId) => accounts.tokens.issueIn(tx, userId, 'emergency_lockdown'),
    })
    notifier.start()
    undo.push(() => notifier.stop())
    // Telegram answers 409 to a second poller and retries network errors forever: never awaited at start.
    void telegram?.start().catch((err: unknown) => logger.warn({ err }, 'the Telegram bot stopped'))
    undo.push(() => telegram?.stop())
    const alertStream = createAlertStream({ alerts, logger })
    // What changed in each watched workspace (bots, orders, balances, alerts, …), for the dashboards' live stream.
    const liveChanges = createWorkspaceChanges({ db: database.db, logger })
    undo.push(() => liveChanges.close())
    const metricsToken = loadMetricsToken(home.path, config.METRICS_TOKEN_FILE)

    // Used and expired WebAuthn challenges are worthless; drop them hourly so the table stays small.
    const purge = setInterval(() => void accounts.passkeys.purgeExpiredChallenges().catch((err: unknown) => logger.warn({ err }, 'challenge purge failed')), 3_600_000)
    purge.unref()
    undo.push(() => clearInterval(purge))

    const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) } : undefined
    const app = await buildApp({
      config,
      logger,
      version: bulwarkVersion,
      readiness: {
        database: () => withTimeout(database.ping(), 2_000).then(() => 'ok'),
        ...(signer ? { signer: () => withTimeout(signer.ping(), 2_000) } : {}),
      },
      setup,
      webRoot,
      tls,
      auth: { db: database.db, accounts, alerts, audit, exchangeAccounts, egressIps: config.BULWARK_EGRESS_IPS, demo, trading: { service: trading, ingress: trading.ingress }, approvals },
      routes: [
        (app) => auditRoutes(app, { db: database.db, clock, audit, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, checkpoints }),
        (app) => activityRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, activity: createExchangeActivity({ db: database.db, clock }) }),
        (app) => settingsRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, settings }),
        (app) => securityRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, hygiene, me: accounts.me }),
        (app) => notificationRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, channels, alerts, stream: alertStream }),
        (app) => liveRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, changes: liveChanges }),
        (app) => incidentRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, incidents }),
        (app) => teamRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, ...teams, me: accounts.me }),
        (app) => policyRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, policies, approvals }),
        (app) => approvalRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, approvals }),
        (app) => metricsRoutes(app, { metrics, token: metricsToken }),
      ],
    })
    undo.push(() => app.close())

    try {
      await app.listen({ port: config.PORT, host: config.HOST })
    } catch (err) {
      if (systemErrorCode(err) === 'EADDRINUSE') throw new AppError('CONFLICT', `port ${config.PORT} on ${config.HOST} is already in use: stop the other process or set PORT to a free port`, { cause: err })
      if (systemErrorCode(err) === 'EACCES') throw new AppError('FORBIDDEN', `not allowed to listen on port ${config.PORT}: use a port above 1023 or run behind a proxy`, { cause: err })
      throw err
    }
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : config.PORT
    const url = `${tls ? 'https' : 'http'}://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`

    const admin = await startAdminSocket(paths.adminSocket, {
      status: async () => ({ pid: process.pid, version: bulwarkVersion, url, database: database.kind, migrations: await migrationStatus(database) }),
      migrate: async () => ({ applied: await migrate(database) }),
      ...auditAdminHandlers({ db: database.db, audit, hasher: createAuditHasher(secrets.auditHmac), checkpoints, checkpointer, archiver, archiveDir }),
      ...incidentAdminHandlers(incidents),
      // `bulwark backup`: the api database as JSON lines over this owner-only socket; the CLI encrypts it.
      'backup-dump': async () => dumpDatabase(database.db),
      init: async (body) => setup.initFromCli({ email: String(body.email ?? ''), password: String(body.password ?? ''), workspaceName: String(body.workspaceName ?? 'Personal') }),
      outbox: async (body) => outbox.list({ pendingOnly: body.pendingOnly === true }),
      alerts: async () => alerts.list(null),
      'clock-skew': async () => (signer ? (await signer.call('clockSkew', null, {} as never)).result : []),
      signup: async (body) => {
        if (body.mode === 'open' || body.mode === 'invite' || body.mode === 'auto') await accounts.signup.setMode(body.mode)
        return { mode: await accounts.signup.mode(), open: await accounts.signup.isOpen() }
      },
      ...(signer ? keyAdminHandlers({ db: database.db, signer, audit, alerts }) : {}),
    })
    undo.push(() => admin.close())

    await audit.append({ workspaceId: null, type: 'platform_started', actor: { type: 'system' }, outcome: 'success', details: { version: bulwarkVersion, database: database.kind } })

    const setupToken = await setup.issueSetupToken()
    if (setupToken) {
      print(`\n  Bulwark has no operator yet. Claim it at ${config.PUBLIC_ORIGIN}/ with this one-time setup token:\n\n      ${setupToken.token}\n\n  (valid until ${setupToken.expiresAt.toISOString()}; or run \`bulwark init\` in another terminal)\n`)
    }
    logger.info({ url, version: bulwarkVersion }, 'bulwark listening')

    let closing: Promise<void> | undefined
    const close = (reason = 'shutdown') =>
      (closing ??= (async () => {
        logger.info({ reason }, 'shutting down')
        // Stop accepting now; in-flight requests get SHUTDOWN_TIMEOUT_MS to finish, then their sockets are cut.
        const force = setTimeout(() => app.server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS)
        force.unref()
        // A keep-alive connection becomes idle once its last response is sent: close it then, not at the deadline.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
        await admin.close()
        await app.close()
        await incidents.stop()
        await notifier.stop()
        await telegram?.stop()
        await trading.stop()
        exchangePrices.stop()
        await demoRuntime.stop()
        clearTimeout(force)
        clearInterval(sweep)
        await audit.append({ workspaceId: null, type: 'platform_stopped', actor: { type: 'system' }, outcome: 'success', details: { reason } }).catch(() => {})
        signer?.close()
        clearInterval(purge)
        clearInterval(reverifyDaily)
        await mailSender?.stop()
        clearInterval(hygieneDaily)
        clearInterval(archiveDaily)
        // The last checkpoint covers the platform_stopped entry.
        await checkpointer?.stop().catch((err: unknown) => logger.warn({ err }, 'the final audit checkpoint failed'))
        await database.close()
        instanceLock.release()
        logger.info('stopped')
      })())

    return { url, app, database, close }
  } catch (err) {
    await rollback()
    throw err
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })

/** `node dist/main.js`: the api process as `bulwark start` runs it (supervised, under the permission model). */
const runAsProcess = async () => {
  process.umask(0o077) // the database files are owner-only, whatever umask was inherited
  const parsed = parseConfig(process.env)
  if (!parsed.ok) {
    process.stderr.write(`${formatConfigProblems(parsed.problems)}\n`)
    process.exit(1)
  }
  try {
    const platform = await startPlatform(parsed.config, { supervised: true })
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      platform.close(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
    whenOrphaned(() => stop('supervisor gone'))
  } catch (err) {
    process.stderr.write(`bulwark: ${err instanceof AppError ? err.message : 'the api failed to start'}\n`)
    if (!(err instanceof AppError)) process.stderr.write(`${(err as Error).stack ?? ''}\n`)
    process.exit(1)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void runAsProcess()
