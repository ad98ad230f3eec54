import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { Action, ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import {
  botViewSchema,
  createSignalBotBody,
  createSmartTradeBody,
  demoRecordSchema,
  editSignalBotBody,
  editSmartTradeBody,
  haltBody,
  haltViewSchema,
  orderViewSchema,
  ordersQuery,
  promoteBotBody,
  riskLimitsSchema,
  signalViewSchema,
  tradingAccountViewSchema,
  webhookInfoSchema,
  type TradingService,
} from '../../trading/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession, requireStepUp } from '../session-guard.js'

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const bot = ws.extend({ id: z.string().uuid('must be a bot id') })
const riskAccount = ws.extend({ kind: z.enum(['demo', 'exchange']), id: z.string().uuid('must be an account id') })
const botsQuery = z.object({ kind: z.enum(['smart_trade', 'signal_bot']).optional() }).strict()
const idempotencyHeaders = z.object({ 'idempotency-key': z.string({ error: 'send an Idempotency-Key header (a fresh UUID per order request)' }).min(1).max(100) }).passthrough()
const signalBotCreated = z.object({ bot: botViewSchema, webhook: webhookInfoSchema.nullable() })

export type TradingRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  trading: TradingService
}

const actorFor = (req: FastifyRequest) => {
  const a = actorOf(req)
  return { userId: a.userId, tokenId: a.token?.tokenId }
}

const read: Action = 'trading.read'
const trade: Action = 'trading.trade'
/** Revealing or rotating a webhook secret: traders and up, signed in with step-up, never an API token (the secret places orders). */
const secrets: Action = 'trading.secrets'

/**
 * Smart Trades, Signal Bots, the kill switch and risk limits of a workspace (policy rows trading.*).
 * Order requests take an Idempotency-Key; revealing a webhook secret, promoting to a real account and
 * lifting the kill switch need a signed-in person with a fresh step-up. The webhook itself is in
 * webhook-routes.ts (no session: the secret in the body is the credential).
 */
export const tradingRoutes = (app: App, { db, sessions, apiTokens, stepUp, trading }: TradingRouteDeps) => {
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const person = [requireSession(sessions), authorizeWorkspace(db)]
  const sensitive = [...person, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })]
  const base = '/api/workspaces/:workspaceId'
  const tags = ['trading']
  const { bots, promotion, controls } = trading

  app.get(`${base}/trading/accounts`, { schema: { tags, params: ws, response: { 200: z.array(tradingAccountViewSchema) } }, config: { action: read }, preValidation: member }, async (req) =>
    trading.accounts.list(req.params.workspaceId),
  )
  app.get(`${base}/bots`, { schema: { tags, params: ws, querystring: botsQuery, response: { 200: z.array(botViewSchema) } }, config: { action: read }, preValidation: member }, async (req) =>
    bots.list(req.params.workspaceId, req.query.kind),
  )
  app.get(`${base}/bots/:id`, { schema: { tags, params: bot, response: { 200: botViewSchema } }, config: { action: read }, preValidation: member }, async (req) => bots.get(req.params.workspaceId, req.params.id))
  app.get(`${base}/bots/:id/orders`, { schema: { tags, params: bot, response: { 200: z.array(orderViewSchema) } }, config: { action: read }, preValidation: member }, async (req) =>
    controls.orders(req.params.workspaceId, { botId: req.params.id, limit: 200 }),
  )
  app.get(`${base}/bots/:id/signals`, { schema: { tags, params: bot, response: { 200: z.array(signalViewSchema) } }, config: { action: read }, preValidation: member }, async (req) =>
    controls.signals(req.params.workspaceId, req.params.id),
  )
  app.get(`${base}/orders`, { schema: { tags, params: ws, querystring: ordersQuery, response: { 200: z.array(orderViewSchema) } }, config: { action: read }, preValidation: member }, async (req) =>
    controls.orders(req.params.workspaceId, req.query),
  )

  app.post(
    `${base}/smart-trades`,
    { schema: { tags, params: ws, headers: idempotencyHeaders, body: createSmartTradeBody, response: { 201: botViewSchema } }, config: { action: trade }, preValidation: member },
    async (req, reply) => {
      const r = await bots.createSmartTrade(actorFor(req), req.params.workspaceId, req.body, req.headers['idempotency-key'])
      return reply.code(201).header('idempotent-replayed', String(r.replayed)).send(r.body)
    },
  )
  app.post(
    `${base}/smart-trades/:id/close`,
    { schema: { tags, params: bot, headers: idempotencyHeaders, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member },
    async (req, reply) => {
      const r = await bots.closeSmartTrade(actorFor(req), req.params.workspaceId, req.params.id, req.headers['idempotency-key'])
      return reply.code(200).header('idempotent-replayed', String(r.replayed)).send(r.body)
    },
  )
  app.patch(`${base}/smart-trades/:id`, { schema: { tags, params: bot, body: editSmartTradeBody, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.editSmartTrade(actorFor(req), req.params.workspaceId, req.params.id, req.body),
  )
  app.post(`${base}/smart-trades/:id/cancel`, { schema: { tags, params: bot, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.cancelSmartTrade(actorFor(req), req.params.workspaceId, req.params.id),
  )

  app.post(`${base}/signal-bots`, { schema: { tags, params: ws, body: createSignalBotBody, response: { 201: signalBotCreated } }, config: { action: trade }, preValidation: member }, async (req, reply) =>
    reply.code(201).send(await bots.createSignalBot(actorFor(req), req.params.workspaceId, req.body)),
  )
  app.patch(`${base}/signal-bots/:id`, { schema: { tags, params: bot, body: editSignalBotBody, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.editSignalBot(actorFor(req), req.params.workspaceId, req.params.id, req.body),
  )
  app.get(`${base}/signal-bots/:id/webhook`, { schema: { tags, params: bot, response: { 200: webhookInfoSchema } }, config: { action: secrets }, preValidation: sensitive }, async (req) =>
    bots.webhook(req.params.workspaceId, req.params.id),
  )
  app.post(`${base}/signal-bots/:id/webhook/rotate`, { schema: { tags, params: bot, response: { 200: webhookInfoSchema } }, config: { action: secrets }, preValidation: sensitive }, async (req) =>
    bots.rotateWebhookSecret(actorFor(req), req.params.workspaceId, req.params.id),
  )

  for (const verb of ['start', 'pause', 'stop'] as const) {
    app.post(`${base}/bots/:id/${verb}`, { schema: { tags, params: bot, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
      bots[verb](actorFor(req), req.params.workspaceId, req.params.id),
    )
  }

  app.get(`${base}/bots/:id/demo-record`, { schema: { tags, params: bot, response: { 200: demoRecordSchema } }, config: { action: read }, preValidation: member }, async (req) =>
    promotion.demoRecord(req.params.workspaceId, req.params.id),
  )
  app.post(`${base}/bots/:id/promote`, { schema: { tags, params: bot, body: promoteBotBody, response: { 200: botViewSchema } }, config: { action: 'trading.promote' }, preValidation: sensitive }, async (req) =>
    promotion.promote(actorFor(req), req.params.workspaceId, req.params.id, req.body.exchangeAccountId),
  )

  app.get(`${base}/trading/halt`, { schema: { tags, params: ws, response: { 200: haltViewSchema } }, config: { action: read }, preValidation: member }, async (req) => controls.haltStatus(req.params.workspaceId))
  app.post(`${base}/trading/halt`, { schema: { tags, params: ws, body: haltBody, response: { 200: haltViewSchema } }, config: { action: 'trading.halt' }, preValidation: member }, async (req) =>
    controls.halt(actorFor(req), req.params.workspaceId, req.body.reason),
  )
  app.delete(`${base}/trading/halt`, { schema: { tags, params: ws, response: { 200: haltViewSchema } }, config: { action: 'trading.resume' }, preValidation: sensitive }, async (req) =>
    controls.resume(actorFor(req), req.params.workspaceId),
  )

  app.get(`${base}/trading/accounts/:kind/:id/risk`, { schema: { tags, params: riskAccount, response: { 200: riskLimitsSchema } }, config: { action: read }, preValidation: member }, async (req) =>
    controls.riskLimits(req.params.workspaceId, { kind: req.params.kind, id: req.params.id }),
  )
  app.put(`${base}/trading/accounts/:kind/:id/risk`, { schema: { tags, params: riskAccount, body: riskLimitsSchema, response: { 200: riskLimitsSchema } }, config: { action: 'trading.risk' }, preValidation: person }, async (req) =>
    controls.setRiskLimits(actorFor(req), req.params.workspaceId, { kind: req.params.kind, id: req.params.id }, req.body),
  )
}
