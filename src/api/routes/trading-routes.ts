import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import { isAllowed, tokenScopeFor, type Action, type ApiTokens, type SessionService, type StepUp } from '../../auth/index.js'
import type { ApiTokenScope, Db } from '../../db/index.js'
import { approvalPendingSchema, type ApprovalGate } from '../../teams/index.js'
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
  tradingAccountEntrySchema,
  webhookInfoSchema,
  mayTradeOn,
  type TradingActor,
  type TradingService,
} from '../../trading/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession, requireStepUp, tradableAccountsOf } from '../session-guard.js'

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
  /**
   * Four-eyes (R42): raising an exchange account's risk limits and promoting a bot to a real account wait
   * for a second person when the workspace's policy says so (202 with the pending request). Absent: they
   * apply at once.
   */
  approvals?: ApprovalGate | undefined
}

const scopeOrder: readonly ApiTokenScope[] = ['read', 'trade', 'admin']

const read: Action = 'trading.read'
const trade: Action = 'trading.trade'
/** Revealing or rotating a webhook secret: traders and up, signed in with step-up, never an API token (the secret places orders). */
const secrets: Action = 'trading.secrets'

/**
 * Smart Trades, Signal Bots, the kill switch and risk limits of a workspace (policy rows trading.*).
 * Order requests take an Idempotency-Key; revealing a webhook secret, promoting to a real account and
 * lifting the kill switch need a signed-in person with a fresh step-up. The webhook itself is in
 * webhook-routes.ts (no session: the secret in the body is the credential).
 *
 * A trader narrowed by per-member grants acts only on the exchange accounts granted to them (the services
 * check it: src/trading/account-grants.ts); reads stay workspace-wide, and stopping a bot or the whole
 * workspace is open to anyone who may trade. With an approval gate, raising an exchange account's risk
 * limits and promoting a bot answer 202 with the pending request when the workspace requires four eyes.
 */
export const tradingRoutes = (app: App, { db, sessions, apiTokens, stepUp, trading, approvals }: TradingRouteDeps) => {
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const person = [requireSession(sessions), authorizeWorkspace(db)]
  const sensitive = [...person, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })]
  const base = '/api/workspaces/:workspaceId'
  const tags = ['trading']
  const { bots, promotion, controls } = trading

  /** The caller as the trading services see them: with the exchange accounts they may trade on (per-member grants; a token inherits its owner's). */
  const actorFor = async (req: FastifyRequest): Promise<TradingActor> => {
    const a = actorOf(req)
    return { userId: a.userId, tokenId: a.token?.tokenId, accounts: await tradableAccountsOf(db, req), ip: req.ip, requestId: req.id }
  }
  /** Whether the caller's effective role (and token scope) lets them trade at all: the `tradable` flags start there. */
  const mayTrade = (req: FastifyRequest): boolean => {
    const token = actorOf(req).token
    const needed = tokenScopeFor[trade]
    const scopeOk = token === undefined || (needed !== null && scopeOrder.indexOf(token.scope) >= scopeOrder.indexOf(needed))
    return req.workspaceRole !== undefined && isAllowed(req.workspaceRole, trade) && scopeOk
  }

  app.get(`${base}/trading/accounts`, { schema: { tags, params: ws, response: { 200: z.array(tradingAccountEntrySchema) } }, config: { action: read }, preValidation: member }, async (req) => {
    const { workspaceId } = req.params
    const [list, grants] = await Promise.all([trading.accounts.list(workspaceId), mayTrade(req) ? tradableAccountsOf(db, req) : null])
    return list.map((a) => ({ ...a, tradable: grants !== null && mayTradeOn(grants, a) }))
  })
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
      const r = await bots.createSmartTrade(await actorFor(req), req.params.workspaceId, req.body, req.headers['idempotency-key'])
      return reply.code(201).header('idempotent-replayed', String(r.replayed)).send(r.body)
    },
  )
  app.post(
    `${base}/smart-trades/:id/close`,
    { schema: { tags, params: bot, headers: idempotencyHeaders, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member },
    async (req, reply) => {
      const r = await bots.closeSmartTrade(await actorFor(req), req.params.workspaceId, req.params.id, req.headers['idempotency-key'])
      return reply.code(200).header('idempotent-replayed', String(r.replayed)).send(r.body)
    },
  )
  app.patch(`${base}/smart-trades/:id`, { schema: { tags, params: bot, body: editSmartTradeBody, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.editSmartTrade(await actorFor(req), req.params.workspaceId, req.params.id, req.body),
  )
  app.post(`${base}/smart-trades/:id/cancel`, { schema: { tags, params: bot, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.cancelSmartTrade(await actorFor(req), req.params.workspaceId, req.params.id),
  )

  app.post(`${base}/signal-bots`, { schema: { tags, params: ws, body: createSignalBotBody, response: { 201: signalBotCreated } }, config: { action: trade }, preValidation: member }, async (req, reply) =>
    reply.code(201).send(await bots.createSignalBot(await actorFor(req), req.params.workspaceId, req.body)),
  )
  app.patch(`${base}/signal-bots/:id`, { schema: { tags, params: bot, body: editSignalBotBody, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
    bots.editSignalBot(await actorFor(req), req.params.workspaceId, req.params.id, req.body),
  )
  app.get(`${base}/signal-bots/:id/webhook`, { schema: { tags, params: bot, response: { 200: webhookInfoSchema } }, config: { action: secrets }, preValidation: sensitive }, async (req) =>
    bots.webhook(await actorFor(req), req.params.workspaceId, req.params.id),
  )
  app.post(`${base}/signal-bots/:id/webhook/rotate`, { schema: { tags, params: bot, response: { 200: webhookInfoSchema } }, config: { action: secrets }, preValidation: sensitive }, async (req) =>
    bots.rotateWebhookSecret(await actorFor(req), req.params.workspaceId, req.params.id),
  )

  for (const verb of ['start', 'pause', 'stop'] as const) {
    app.post(`${base}/bots/:id/${verb}`, { schema: { tags, params: bot, response: { 200: botViewSchema } }, config: { action: trade }, preValidation: member }, async (req) =>
      bots[verb](await actorFor(req), req.params.workspaceId, req.params.id),
    )
  }

  app.get(`${base}/bots/:id/demo-record`, { schema: { tags, params: bot, response: { 200: demoRecordSchema } }, config: { action: read }, preValidation: member }, async (req) =>
    promotion.demoRecord(req.params.workspaceId, req.params.id),
  )
  app.post(
    `${base}/bots/:id/promote`,
    { schema: { tags, params: bot, body: promoteBotBody, response: { 200: botViewSchema, 202: approvalPendingSchema } }, config: { action: 'trading.promote' }, preValidation: sensitive },
    async (req, reply) => {
      const { workspaceId, id } = req.params
      const actor = await actorFor(req)
      if (approvals && (await approvals.required(workspaceId, 'bot.promote'))) {
        // Checked now too, so a request that could never apply is refused instead of waiting 24 hours.
        const { summary, payload } = await promotion.describePromotion(actor, workspaceId, id, req.body.exchangeAccountId)
        const approval = await approvals.request({ workspaceId, kind: 'bot.promote', summary, payload, requestedBy: { userId: actor.userId, ip: req.ip, requestId: req.id } })
        return reply.code(202).send({ approval })
      }
      return reply.code(200).send(await promotion.promote(actor, workspaceId, id, req.body.exchangeAccountId))
    },
  )

  app.get(`${base}/trading/halt`, { schema: { tags, params: ws, response: { 200: haltViewSchema } }, config: { action: read }, preValidation: member }, async (req) => controls.haltStatus(req.params.workspaceId))
  app.post(`${base}/trading/halt`, { schema: { tags, params: ws, body: haltBody, response: { 200: haltViewSchema } }, config: { action: 'trading.halt' }, preValidation: member }, async (req) =>
    controls.halt(await actorFor(req), req.params.workspaceId, req.body.reason),
  )
  app.delete(`${base}/trading/halt`, { schema: { tags, params: ws, response: { 200: haltViewSchema } }, config: { action: 'trading.resume' }, preValidation: sensitive }, async (req) =>
    controls.resume(await actorFor(req), req.params.workspaceId),
  )

  app.get(`${base}/trading/accounts/:kind/:id/risk`, { schema: { tags, params: riskAccount, response: { 200: riskLimitsSchema } }, config: { action: read }, preValidation: member }, async (req) =>
    controls.riskLimits(req.params.workspaceId, { kind: req.params.kind, id: req.params.id }),
  )
  app.put(
    `${base}/trading/accounts/:kind/:id/risk`,
    { schema: { tags, params: riskAccount, body: riskLimitsSchema, response: { 200: riskLimitsSchema, 202: approvalPendingSchema } }, config: { action: 'trading.risk' }, preValidation: person },
    async (req, reply) => {
      const { workspaceId } = req.params
      const account = { kind: req.params.kind, id: req.params.id }
      const actor = await actorFor(req)
      // Only real-exchange accounts: a demo account holds no real money, so its limits change at once.
      if (!approvals || account.kind !== 'exchange') return reply.code(200).send(await controls.setRiskLimits(actor, workspaceId, account, req.body))
      const plan = await controls.planRiskLimits(actor, workspaceId, account, req.body)
      if (plan.isRaise && (await approvals.required(workspaceId, 'limits.raise'))) {
        // The whole new set waits, tightened fields included: the approver approves one change as they read it.
        const payload = { account, limits: req.body, before: plan.before }
        const approval = await approvals.request({ workspaceId, kind: 'limits.raise', summary: plan.summary, payload, requestedBy: { userId: actor.userId, ip: req.ip, requestId: req.id } })
        return reply.code(202).send({ approval })
      }
      // Applied only over the limits it was compared with: a raise cannot slip in between the check and the write.
      return reply.code(200).send(await controls.setRiskLimits(actor, workspaceId, account, req.body, { expected: plan.before }))
    },
  )
}
