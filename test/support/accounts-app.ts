import { randomBytes } from 'node:crypto'
import { desc, eq } from 'drizzle-orm'
import { createLogger } from '../../src/lib/logger.js'
import { createManualClock, type ManualClock } from '../../src/lib/clock.js'
import { schema } from '../../src/db/index.js'
import { createAlerts, createAuditChain, createOutbox } from '../../src/monitoring/index.js'
import { createAccounts, createOperatorSetup, type Accounts, type AccountsDeps } from '../../src/auth/index.js'
import { hashPassword } from '../../src/auth/password.js'
import { insertUserWithWorkspace } from '../../src/auth/workspace-store.js'
import { buildApp } from '../../src/api/app.js'
import type { App } from '../../src/api/app-types.js'
import type { TestDatabase } from './databases.js'
import { createExchangeAccounts, createKeyRelay } from '../../src/keys/index.js'
import type { SignerClient } from '../../src/signer/index.js'

export const ORIGIN = 'http://localhost:8080'
export const PASSWORD = 'violet ostrich carburetor lighthouse'

type Response = Awaited<ReturnType<App['inject']>>

/**
 * The real HTTP app with every account service, on a test database, an injected clock and the real
 * outbox (emails are read back from it, as an operator would in embedded mode).
 */
export const startAccountsApp = async (
  database: TestDatabase,
  opts: { clock?: ManualClock; overrides?: Partial<AccountsDeps>; signer?: SignerClient } = {},
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
    ? createExchangeAccounts({ db: database.db, clock, relay, audit, mayConnect: (userId, workspaceId) => accounts.accounts.assertMayConnectKeys(userId, workspaceId) })
    : undefined
  const app = await buildApp({
    config: { BODY_LIMIT_BYTES: 65_536, TRUSTED_PROXIES: [], PUBLIC_ORIGIN: ORIGIN },
    logger: createLogger({ level: 'silent' }),
    version: '0',
    readiness: {},
    setup,
    auth: { db: database.db, accounts, alerts, exchangeAccounts, egressIps: ['203.0.113.10'] },
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

  return { app, clock, accounts, relay, exchangeAccounts, audit, alerts, outbox, setup, addUser, cookieOf, deviceCookieOf, post, call, me, signIn, lastEmail, emailsTo, linkToken, close: () => app.close() }
}
export type AccountsApp = Awaited<ReturnType<typeof startAccountsApp>>
