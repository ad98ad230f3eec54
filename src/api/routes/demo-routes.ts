import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { Action, ApiTokens, SessionService } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { feedStatusView } from '../../market/index.js'
import {
  createDemoAccountBody,
  demoAccountView,
  demoBalanceView,
  demoCandleView,
  demoCandlesQuery,
  demoFillView,
  demoFillsQuery,
  demoMarketView,
  demoOrderView,
  demoOrdersQuery,
  demoPnlView,
  demoPositionModeView,
  demoPositionView,
  demoSymbolSettingsView,
  placeDemoOrderBody,
  resetDemoAccountBody,
  setDemoLeverageBody,
  setDemoMarginModeBody,
  setDemoPositionModeBody,
  type DemoActor,
  type DemoService,
} from '../../demo/index.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor } from '../session-guard.js'

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const account = ws.extend({ id: z.string().uuid('must be a demo account id') })
// Belongs beside demoSymbolSettingsView in demo/demo-types.ts; kept here while that file is not ours.
const demoSettingsView = demoPositionModeView.extend({ symbols: z.array(demoSymbolSettingsView) })

const order = account.extend({ orderId: z.string().regex(/^[0-9]{1,20}$/, 'must be an order id') })

// Policy rows (auth/policy.ts): demo.read for every role and read-scope tokens, demo.trade for
// owner/admin/trader and trade-scope tokens.
const read: Action = 'demo.read'
const trade: Action = 'demo.trade'

export type DemoRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  demo: DemoService
}

const actorFor = (req: FastifyRequest): DemoActor => {
  const a = actorOf(req)
  return { userId: a.userId, tokenId: a.token?.tokenId }
}

/**
 * Demo Spot / Demo Futures of a workspace. Members and API tokens alike (bots trade here too); viewers
 * and read tokens only read. Refused orders are 422 EXCHANGE_REJECTED with the exchange's words.
 */
export const demoRoutes = (app: App, { db, sessions, apiTokens, demo }: DemoRouteDeps) => {
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const base = '/api/workspaces/:workspaceId/demo'
  const acct = `${base}/accounts/:id`
  const tags = ['demo']

  app.get(`${base}/feed`, { schema: { tags, params: ws, response: { 200: feedStatusView } }, config: { action: read }, preValidation: member }, async () => demo.feed())
  app.get(`${base}/markets`, { schema: { tags, params: ws, response: { 200: z.array(demoMarketView) } }, config: { action: read }, preValidation: member }, async () => demo.markets())
  app.get(`${base}/candles`, { schema: { tags, params: ws, querystring: demoCandlesQuery, response: { 200: z.array(demoCandleView) } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.candles(req.query),
  )

  app.get(`${base}/accounts`, { schema: { tags, params: ws, response: { 200: z.array(demoAccountView) } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.listAccounts(req.params.workspaceId),
  )
  app.post(`${base}/accounts`, { schema: { tags, params: ws, body: createDemoAccountBody, response: { 201: demoAccountView } }, config: { action: trade }, preValidation: member }, async (req, reply) =>
    reply.code(201).send(await demo.createAccount(actorFor(req), req.params.workspaceId, req.body)),
  )
  app.post(`${acct}/reset`, { schema: { tags, params: account, body: resetDemoAccountBody, response: { 200: demoAccountView } }, config: { action: trade }, preValidation: member }, async (req) =>
    demo.resetAccount(actorFor(req), req.params.workspaceId, req.params.id, req.body),
  )

  app.get(`${acct}/balance`, { schema: { tags, params: account, response: { 200: demoBalanceView } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.balance(req.params.workspaceId, req.params.id),
  )
  app.get(`${acct}/orders`, { schema: { tags, params: account, querystring: demoOrdersQuery, response: { 200: z.array(demoOrderView) } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.orders(req.params.workspaceId, req.params.id, req.query),
  )
  app.post(`${acct}/orders`, { schema: { tags, params: account, body: placeDemoOrderBody, response: { 201: demoOrderView } }, config: { action: trade }, preValidation: member }, async (req, reply) =>
    reply.code(201).send(await demo.placeOrder(req.params.workspaceId, req.params.id, req.body)),
  )
  app.delete(`${acct}/orders/:orderId`, { schema: { tags, params: order, response: { 200: demoOrderView } }, config: { action: trade }, preValidation: member }, async (req) =>
    demo.cancelOrder(req.params.workspaceId, req.params.id, req.params.orderId),
  )
  app.get(`${acct}/fills`, { schema: { tags, params: account, querystring: demoFillsQuery, response: { 200: z.array(demoFillView) } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.fills(req.params.workspaceId, req.params.id, req.query),
  )
  app.get(`${acct}/positions`, { schema: { tags, params: account, response: { 200: z.array(demoPositionView) } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.positions(req.params.workspaceId, req.params.id),
  )
  app.get(`${acct}/pnl`, { schema: { tags, params: account, response: { 200: demoPnlView } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.pnl(req.params.workspaceId, req.params.id),
  )
  app.get(`${acct}/settings`, { schema: { tags, params: account, response: { 200: demoSettingsView } }, config: { action: read }, preValidation: member }, async (req) =>
    demo.settings(req.params.workspaceId, req.params.id),
  )
  app.post(`${acct}/leverage`, { schema: { tags, params: account, body: setDemoLeverageBody, response: { 200: demoSymbolSettingsView } }, config: { action: trade }, preValidation: member }, async (req) =>
    demo.setLeverage(req.params.workspaceId, req.params.id, req.body),
  )
  app.post(`${acct}/margin-mode`, { schema: { tags, params: account, body: setDemoMarginModeBody, response: { 200: demoSymbolSettingsView } }, config: { action: trade }, preValidation: member }, async (req) =>
    demo.setMarginMode(req.params.workspaceId, req.params.id, req.body),
  )
  app.post(`${acct}/position-mode`, { schema: { tags, params: account, body: setDemoPositionModeBody, response: { 200: demoPositionModeView } }, config: { action: trade }, preValidation: member }, async (req) =>
    demo.setPositionMode(req.params.workspaceId, req.params.id, req.body),
  )
}
