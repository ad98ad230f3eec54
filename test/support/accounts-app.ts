import { randomBytes, randomUUID } from 'node:crypto'
import { desc, eq } from 'drizzle-orm'
import { createLogger } from '../../src/lib/logger.js'
import { createManualClock, type ManualClock } from '../../src/lib/clock.js'
import { schema } from '../../src/db/index.js'
import { createAlerts, createAuditChain, createOutbox, type Alerts, type AuditChain, type Outbox } from '../../src/monitoring/index.js'
import { createAccounts, createOperatorSetup, type Accounts, type AccountsDeps } from '../../src/auth/index.js'
import { hashPassword } from '../../src/auth/password.js'
import { insertUserWithWorkspace } from '../../src/auth/workspace-store.js'
import { buildApp } from '../../src/api/app.js'
import type { App } from '../../src/api/app-types.js'
import type { TestDatabase } from './databases.js'
import { createExchangeAccounts, createKeyRelay, type ExchangeAccounts, type KeyRelay } from '../../src/keys/index.js'
import type { SignerClient } from '../../src/signer/index.js'
import { createDemoPriceSource, createDemoRuntime, createDemoService, createDemoTradingVenue, demoMarketsFor, type DemoRuntime } from '../../src/demo/index.js'
import { createTrading, createVenueResolver, type Trading, type TradingDeps } from '../../src/trading/index.js'
import { AppError } from '../../src/lib/errors.js'
import { createApprovals, type Approvals } from '../../src/teams/index.js'
import { approvalRoutes } from '../../src/api/routes/approval-routes.js'

export const ORIGIN = 'http://localhost:8080'
export const PASSWORD = 'violet ostrich carburetor lighthouse'

type Response = Awaited<ReturnType<App['inject']>>

/** Runtime timers that never fire: a test moves the clock and calls `trading.runtime.tick()`. */
export const manualTimers = { setTimeout: () => 0, clearTimeout: () => {} }

/**
 * Trading wired as the api root does it, on a demo exchange without a feed (prices come from
 * `demo.ingest`) and, with a signer, on exchange accounts through the key relay. By default the
 * runtime's timers never fire and its leases last a day, so a test that moves the clock (past a
 * step-up window, say) keeps driving its bots; the foreign-order scan is off unless asked for.
 */
/** What a test's extra route modules may be given. */
export type HarnessServices = {
  db: TestDatabase['db']
  clock: ManualClock
  audit: AuditChain
  alerts: Alerts
  outbox: Outbox
  accounts: Accounts
  relay: KeyRelay | undefined
  exchangeAccounts: ExchangeAccounts | undefined
  trading: Trading | undefined
  demo: DemoRuntime | undefined
  /** With `approvals: true`: the four-eyes service (give it to a route module as its `approvals` gate). */
  approvals: Approvals | undefined
}

export type TradingOption = true | { demoRuntime?: DemoRuntime; runtime?: TradingDeps['runtime']; foreignScanEveryMs?: number }

/**
 * The real HTTP app with every account service, on a test database, an injected clock and the real
 * outbox (emails are read back from it, as an operator would in embedded mode).
 */
export const startAccountsApp = async (
  database: TestDatabase,
  opts: {
    clock?: ManualClock
    overrides?: Partial<AccountsDeps>
    signer?: SignerClient
    trading?: TradingOption
    /** More route modules, given the harness's services (e.g. `(h) => [(app) => auditRoutes(app, {...})]`). */
    routes?: (h: HarnessServices) => ReadonlyArray<(app: App) => void | Promise<void>>
    /**
     * Four-eyes approvals (R42): builds the real approvals service (`t.approvals`, `h.approvals`), registers
     * its routes (/api/workspaces/:ws/approvals…) and hands it to buildApp as the gate of the routes it
     * registers (exchange accounts, trading); give `h.approvals` to your own route modules. No
     * handler is registered: a test registers the appliers it needs (`t.approvals.register(kind, …)`),
     * as main.ts does. Whether a workspace asks for approvals is its `approvals_required` column.
     */
    approvals?: boolean
  } = {},
) => {
  const clock = opts.clock ?? createManualClock('2026-12-04T08:00:00Z')
  const audit = createAuditChain({ db: database.db, clock })
  const alerts = createAlerts({ db: database.db, clock })
  const outbox = createOutbox({ db: database.db, clock })
  const setup = createOperatorSetup({ db: database.db, clock, audit, tokenTtlHours: 1 })
  const accounts: Accounts = createAccounts({
    db: database.db,
    clock,
    audit,
    alerts,
    mailer: outbox,
    csrfKey: randomBytes(32),
    totpSeedKey: randomBytes(32),
    publicOrigin: ORIGIN,
    host: '127.0.0.1',
    signupMode: 'auto',
    ...opts.overrides,
  })
  const relay = opts.signer ? createKeyRelay({ db: database.db, signer: opts.signer, audit, alerts }) : undefined
  const exchangeAccounts = relay
    ? createExchangeAccounts({ db: database.db, clock, relay, audit, alerts, mayConnect: (userId, workspaceId) => accounts.accounts.assertMayConnectKeys(userId, workspaceId) })
    : undefined
  const wired = opts.trading === undefined ? undefined : await wireTrading(database, clock, { audit, alerts, relay, exchangeAccounts }, opts.trading === true ? {} : opts.trading)
  const approvals = opts.approvals ? createApprovals({ db: database.db, clock, audit, alerts, outbox }) : undefined
  const services: HarnessServices = { db: database.db, clock, audit, alerts, outbox, accounts, relay, exchangeAccounts, trading: wired?.trading, demo: wired?.demoRuntime, approvals }
  const gated: ReadonlyArray<(app: App) => void | Promise<void>> = approvals
    ? [(app) => approvalRoutes(app, { db: database.db, sessions: accounts.sessions, apiTokens: accounts.apiTokens, stepUp: accounts.stepUp, approvals })]
    : []
  const app = await buildApp({
    routes: [...gated, ...(opts.routes?.(services) ?? [])],
    config: { BODY_LIMIT_BYTES: 65_536, TRUSTED_PROXIES: [], PUBLIC_ORIGIN: ORIGIN },
    logger: createLogger({ level: 'silent' }),
    version: '0',
    readiness: {},
    setup,
    auth: {
      db: database.db,
      accounts,
      alerts,
      audit,
      exchangeAccounts,
      egressIps: ['203.0.113.10'],
      ...(wired ? { demo: wired.demoService, trading: { service: wired.trading, ingress: wired.trading.ingress } } : {}),
      approvals,
    },
  })
  await app.ready()

  /** A user with a personal workspace and a verified email, straight into the database. */
  const addUser = async (email: string, password = PASSWORD) => {
    const hash = await hashPassword(password)
    return database.db.transaction((tx) => insertUserWithWorkspace(tx, { email, displayName: email.split('@')[0] ?? email, passwordHash: hash, isOperator: false, emailVerifiedAt: clock.now() }, 'Personal', clock.now()))
  }

  const cookieOf = (res: Response) => {
    const all = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
    return all.find((c) => c.startsWith('__Host-sid='))?.split(';')[0] ?? ''
  }
  const deviceCookieOf = (res: Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-did='))?.split(';')[0]

  const post = (url: string, payload: unknown, s?: { cookie: string; csrf?: string }, extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers: { origin: ORIGIN, ...(s ? { cookie: s.cookie, ...(s.csrf ? { 'x-csrf-token': s.csrf } : {}) } : {}), ...extra } })
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, s: { cookie: string; csrf?: string }, payload?: unknown) =>
    app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: s.cookie, ...(s.csrf ? { 'x-csrf-token': s.csrf } : {}) } })

  const me = (cookie: string) => app.inject({ url: '/api/me', headers: { cookie } })
  /** Signs in with the password only (users without a second factor); returns the cookie and the CSRF token. */
  const signIn = async (email: string, password = PASSWORD, headers: Record<string, string> = {}) => {
    const res = await post('/api/auth/login', { email, password }, undefined, headers)
    if (res.statusCode !== 200 || res.json<{ status: string }>().status !== 'signed_in') throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`)
    const cookie = cookieOf(res)
    return { cookie, csrf: (await me(cookie)).json<{ csrfToken: string }>().csrfToken, res }
  }

  /** The newest email to an address (optionally of one template), as stored in the outbox. */
  const lastEmail = async (to: string, template?: string) => {
    const rows = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, to)).orderBy(desc(schema.emailOutbox.createdAt), desc(schema.emailOutbox.id))
    return rows.find((r) => template === undefined || r.template === template)
  }
  const emailsTo = (to: string) => database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.toAddress, to))
  /** The token of the link in the newest email of that template. */
  const linkToken = async (to: string, template: string) => /#token=([A-Za-z0-9_-]{43})/.exec((await lastEmail(to, template))?.textBody ?? '')?.[1] ?? ''

  const close = async () => {
    await app.close()
    await wired?.stop()
  }

  return {
    app,
    clock,
    accounts,
    relay,
    exchangeAccounts,
    audit,
    alerts,
    outbox,
    setup,
    /** With `trading`: the composed trading module and the demo exchange it trades on. */
    trading: wired?.trading,
    demo: wired?.demoRuntime,
    /** With `approvals: true`: the four-eyes service. */
    approvals,
    addUser,
    cookieOf,
    deviceCookieOf,
    post,
    call,
    me,
    signIn,
    lastEmail,
    emailsTo,
    linkToken,
    close,
  }
}

const wireTrading = async (
  database: TestDatabase,
  clock: ManualClock,
  deps: { audit: ReturnType<typeof createAuditChain>; alerts: ReturnType<typeof createAlerts>; relay: ReturnType<typeof createKeyRelay> | undefined; exchangeAccounts: ReturnType<typeof createExchangeAccounts> | undefined },
  opts: Exclude<TradingOption, true>,
) => {
  const { db } = database
  const ownsDemo = opts.demoRuntime === undefined
  const demoRuntime = opts.demoRuntime ?? createDemoRuntime({ db, clock, seed: 'accounts-app', markets: demoMarketsFor(['BTC/USDT', 'ETH/USDT']) })
  if (ownsDemo) await demoRuntime.start()
  const { relay, exchangeAccounts } = deps
  const venues = createVenueResolver({
    db,
    demo: async (workspaceId, accountId) => {
      const row = await demoRuntime.store.accountIn(workspaceId, accountId)
      return row ? createDemoTradingVenue({ runtime: demoRuntime, accountId: row.id, kind: row.kind }) : null
    },
    execute: async (workspaceId, keyId, method, args, execOpts) => {
      if (!relay) throw new AppError('UNAVAILABLE', 'no signer is configured: exchange accounts cannot trade')
      return relay.execute(workspaceId, keyId, method, args, { type: 'system', id: 'bot-runtime' }, execOpts)
    },
  })
  const trading: Trading = createTrading({
    db,
    clock,
    logger: createLogger({ level: 'silent' }),
    audit: deps.audit,
    alerts: deps.alerts,
    venues,
    prices: createDemoPriceSource(demoRuntime),
    disableAccount: async (workspaceId, exchangeAccountId, reason) => {
      if (!exchangeAccounts) throw new AppError('UNAVAILABLE', 'no signer is configured')
      await exchangeAccounts.disable({ type: 'system', id: 'reconciliation' }, workspaceId, exchangeAccountId, reason)
    },
    webhookKey: randomBytes(32),
    publicOrigin: ORIGIN,
    instanceId: `accounts-app:${randomUUID().slice(0, 8)}`,
    runtime: { timers: manualTimers, leaseMs: 86_400_000, ...opts.runtime },
    foreignScanEveryMs: opts.foreignScanEveryMs ?? 0,
  })
  await trading.start()
  return {
    trading,
    demoRuntime,
    demoService: createDemoService({ runtime: demoRuntime, clock, audit: deps.audit }),
    stop: async () => {
      await trading.stop()
      if (ownsDemo) await demoRuntime.stop()
    },
  }
}
export type AccountsApp = Awaited<ReturnType<typeof startAccountsApp>>
