import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from '../lib/logger.js'
import type { OperatorSetup } from '../auth/index.js'
import { registerErrorHandler, registerNotFoundHandler } from './error-handler.js'
import { healthRoutes, type ReadinessCheck } from './routes/health-routes.js'
import { metaRoutes } from './routes/meta-routes.js'
import { setupRoutes } from './routes/setup-routes.js'
import { authRoutes, type AuthRouteDeps } from './routes/auth-routes.js'
import { alertRoutes } from './routes/alert-routes.js'
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
  /** Sign-in and sessions (absent in tests of the bare app). */
  auth?: AuthRouteDeps | undefined
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
    authRoutes(app, deps.auth)
    alertRoutes(app, deps.auth)
  }

  const hasWeb = deps.webRoot !== undefined && existsSync(join(deps.webRoot, 'index.html'))
  if (hasWeb) {
    await app.register(fastifyStatic, { root: deps.webRoot as string, prefix: '/', wildcard: false, index: ['index.html'], cacheControl: true, maxAge: '1h' })
  }
  registerNotFoundHandler(app, { spaIndex: hasWeb ? 'index.html' : undefined })

  return app
}
