import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from '../lib/logger.js'
import type { Accounts, Action, OperatorSetup } from '../auth/index.js'
import type { Db } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import type { ExchangeAccounts } from '../keys/index.js'
import type { DemoService } from '../demo/index.js'
import type { SignalIngress, TradingService } from '../trading/index.js'
import { registerErrorHandler, registerNotFoundHandler } from './error-handler.js'
import { healthRoutes, type ReadinessCheck } from './routes/health-routes.js'
import { metaRoutes } from './routes/meta-routes.js'
import { setupRoutes } from './routes/setup-routes.js'
import { authRoutes } from './routes/auth-routes.js'
import { accountRoutes } from './routes/account-routes.js'
import { factorRoutes } from './routes/factor-routes.js'
import { tokenRoutes } from './routes/token-routes.js'
import { alertRoutes } from './routes/alert-routes.js'
import { exchangeAccountRoutes } from './routes/exchange-account-routes.js'
import { demoRoutes } from './routes/demo-routes.js'
import { tradingRoutes } from './routes/trading-routes.js'
import type { ApprovalGate } from '../teams/index.js'
import { webhookRoutes } from './routes/webhook-routes.js'
import { checkOrigin } from './session-guard.js'
import type { App } from './app-types.js'

export type AppConfig = {
  BODY_LIMIT_BYTES: number
  TRUSTED_PROXIES: readonly string[]
  PUBLIC_ORIGIN: string
}

export type AppDeps = {
  config: AppConfig
  logger: Logger
  version: string
  readiness: Record<string, ReadinessCheck>
  setup: Pick<OperatorSetup, 'needsSetup' | 'claim'>
  /** The built web app (web/dist); served at / when present. */
  webRoot?: string | undefined
  /** PEM certificate and key: serve HTTPS and send HSTS. */
  tls?: { cert: Buffer; key: Buffer } | undefined
  /** Accounts, sessions and the workspace routes that need a signed-in actor (absent in tests of the bare app). */
  auth?: { db: Db; accounts: Accounts; alerts: Pick<Alerts, 'list' | 'markRead'>; audit?: Pick<AuditChain, 'append'> | undefined; exchangeAccounts?: ExchangeAccounts | undefined; egressIps?: readonly string[]; demo?: DemoService | undefined; trading?: { service: TradingService; ingress: Pick<SignalIngress, 'receive'> } | undefined
    /** Four-eyes approvals (R42): gated routes answer 202 with the pending request when the workspace requires them. */
    approvals?: ApprovalGate | undefined } | undefined
  /** More route modules, registered after the account routes (each domain's routes get their deps from the root). */
  routes?: ReadonlyArray<(app: App) => void | Promise<void>> | undefined
}

/** Content Security Policy for the dashboard: nothing inline, nothing from elsewhere. */
const contentSecurityPolicy = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The policy action a workspace route checks (R41): the route × role matrix test reads it. */
    action?: Action
  }
}

export type RouteEntry = { method: string; url: string; action: Action | undefined }
const routeTables = new WeakMap<object, RouteEntry[]>()
/** Every route the app registered, with its declared policy action (for the authorization matrix test). */
export const routeTableOf = (app: App): readonly RouteEntry[] => routeTables.get(app) ?? []

/**
 * Whether the web app was built. Under the permission model a grant on a folder that did not exist at
 * start covers nothing, so asking about it is refused (ERR_ACCESS_DENIED): that too means "not built".
 */
const webBuilt = (root: string): boolean => {
  try {
    return existsSync(join(root, 'index.html'))
  } catch {
    return false
  }
}

/** Builds the HTTP app; `listen` (or `ready` before `inject`) is the caller's business. */
export const buildApp = async (deps: AppDeps): Promise<App> => {
  const { config, logger } = deps
  const app = Fastify({
    loggerInstance: logger,
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Client IPs come from the socket unless the peer is a configured proxy.
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? [...config.TRUSTED_PROXIES] : false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App

  const routeTable: RouteEntry[] = []
  routeTables.set(app, routeTable)
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) if (method !== 'HEAD') routeTable.push({ method, url: route.url, action: route.config?.action })
  })

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  app.addHook('onRequest', checkOrigin(config.PUBLIC_ORIGIN))

  // The API speaks JSON only; any other body type is refused with 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  registerErrorHandler(app, config.BODY_LIMIT_BYTES)

  await app.register(helmet, {
    contentSecurityPolicy,
    hsts: deps.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: true,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Bulwark API', version: deps.version, description: 'Self-hosted, security-first automated trading platform' },
      servers: [{ url: config.PUBLIC_ORIGIN }],
    },
    transform: jsonSchemaTransform,
  })

  healthRoutes(app, { checks: deps.readiness })
  metaRoutes(app, { version: deps.version })
  setupRoutes(app, { setup: deps.setup })
  if (deps.auth) {
    const { db, accounts: a, alerts } = deps.auth
    const sessionMaxAgeSeconds = a.sessions.policy.absoluteHours * 3600
    // Whatever a change did, the changer's cached account view is dropped before the answer goes out;
    // a change by an emailed link (no session) drops them all. GETs never change anything.
    app.addHook('onSend', async (req, reply, payload) => {
      // A refused request changed nothing: no reason to drop anything (and no way for strangers to empty the cache).
      if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 300) return payload
      if (req.session) a.me.forget(req.session.userId)
      else if (req.url.startsWith('/api/auth/')) a.me.forgetAll()
      return payload
    })
    authRoutes(app, { db, login: a.login, sessions: a.sessions, me: a.me, stepUp: a.stepUp, devices: a.devices, sessionMaxAgeSeconds })
    accountRoutes(app, { accounts: a.accounts, sessions: a.sessions, stepUp: a.stepUp, signup: a.signup, isOperator: a.isOperator, sessionMaxAgeSeconds })
    factorRoutes(app, { sessions: a.sessions, stepUp: a.stepUp, factorService: a.factorService })
    tokenRoutes(app, { sessions: a.sessions, stepUp: a.stepUp, apiTokens: a.apiTokens })
    alertRoutes(app, { db, alerts, audit: deps.auth.audit, sessions: a.sessions, apiTokens: a.apiTokens })
    if (deps.auth.exchangeAccounts) {
      exchangeAccountRoutes(app, { db, sessions: a.sessions, apiTokens: a.apiTokens, stepUp: a.stepUp, passkeys: a.passkeys, exchangeAccounts: deps.auth.exchangeAccounts, egressIps: deps.auth.egressIps ?? [], approvals: deps.auth.approvals })
    }
    if (deps.auth.demo) demoRoutes(app, { db, sessions: a.sessions, apiTokens: a.apiTokens, demo: deps.auth.demo })
    if (deps.auth.trading) {
      tradingRoutes(app, { db, sessions: a.sessions, apiTokens: a.apiTokens, stepUp: a.stepUp, trading: deps.auth.trading.service, approvals: deps.auth.approvals })
      await webhookRoutes(app, { ingress: deps.auth.trading.ingress })
    }
    for (const register of deps.routes ?? []) await register(app)
  }

  const hasWeb = deps.webRoot !== undefined && webBuilt(deps.webRoot)
  if (hasWeb) {
    await app.register(fastifyStatic, { root: deps.webRoot as string, prefix: '/', wildcard: false, index: ['index.html'], cacheControl: true, maxAge: '1h' })
  }
  registerNotFoundHandler(app, { spaIndex: hasWeb ? 'index.html' : undefined })

  return app
}
