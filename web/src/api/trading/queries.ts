import { z } from 'zod'
import {
  botViewSchema,
  demoRecordSchema,
  haltViewSchema,
  orderViewSchema,
  riskLimitsSchema,
  signalViewSchema,
  tradingAccountViewSchema,
  webhookInfoSchema,
  type BotApiView,
} from './schemas'
import type { Parse } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import { withStepUp } from '../../lib/step-up'

/**
 * Reads of trading (/api/workspaces/:ws/bots, …/smart-trades, …/signal-bots, …/trading, …/orders).
 * Answers are checked against the server's own zod schemas (src/trading/trading-api-types.ts, through
 * ./schemas): a shape this page does not know fails as BAD_RESPONSE instead of reaching a table. The
 * view schemas are not strict, so a newer server's extra fields pass.
 */

/** A zod schema as the api client's `Parse`; the client turns its throw into BAD_RESPONSE. */
export const parseWith =
  <T>(schema: z.ZodType<T>): Parse<T> =>
  (body) =>
    schema.parse(body)

/**
 * `tradable` (teams): whether the signed-in member may trade on it (a trader limited to granted accounts
 * may not trade on the others). Absent from a server without teams, where `canTrade` says it all.
 */
const tradingAccountSchema = tradingAccountViewSchema.extend({ tradable: z.boolean().optional() })
export type TradingAccountView = z.infer<typeof tradingAccountSchema>
export type OrderView = z.infer<typeof orderViewSchema>
export type SignalView = z.infer<typeof signalViewSchema>
export type WebhookInfo = z.infer<typeof webhookInfoSchema>
export type DemoRecord = z.infer<typeof demoRecordSchema>
export type HaltView = z.infer<typeof haltViewSchema>
export type RiskLimits = z.infer<typeof riskLimitsSchema>
export type BotView = BotApiView
export type BotKind = BotView['kind']
export type AccountRef = { kind: 'demo' | 'exchange'; id: string }

export const parseBot = parseWith(botViewSchema)
export const parseWebhook = parseWith(webhookInfoSchema)
const parseBots = parseWith(z.array(botViewSchema))
const parseOrders = parseWith(z.array(orderViewSchema))
const parseSignals = parseWith(z.array(signalViewSchema))
const parseAccounts = parseWith(z.array(tradingAccountSchema))
const parseDemoRecord = parseWith(demoRecordSchema)
const parseHalt = parseWith(haltViewSchema)
export const parseRiskLimits = parseWith(riskLimitsSchema)

export const workspacePath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`
export const botPath = (workspaceId: string, botId: string) => `${workspacePath(workspaceId)}/bots/${encodeURIComponent(botId)}`
export const riskPath = (workspaceId: string, account: AccountRef) =>
  `${workspacePath(workspaceId)}/trading/accounts/${encodeURIComponent(account.kind)}/${encodeURIComponent(account.id)}/risk`

/** Demo and exchange accounts a bot can trade on, with whether stops rest on the venue. */
export const fetchTradingAccounts = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/trading/accounts`, parseAccounts, { signal })

export const fetchBots = (client: ApiClient, workspaceId: string, kind: BotKind, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/bots?kind=${encodeURIComponent(kind)}`, parseBots, { signal })

export const fetchBot = (client: ApiClient, workspaceId: string, botId: string, signal: AbortSignal) =>
  client.read(botPath(workspaceId, botId), parseBot, { signal })

/** The bot's orders from the journal, newest first, with their fills and fees. */
export const fetchBotOrders = (client: ApiClient, workspaceId: string, botId: string, signal: AbortSignal) =>
  client.read(`${botPath(workspaceId, botId)}/orders`, parseOrders, { signal })

/** Every signal the bot received, accepted or not, with the verdict. */
export const fetchBotSignals = (client: ApiClient, workspaceId: string, botId: string, signal: AbortSignal) =>
  client.read(`${botPath(workspaceId, botId)}/signals`, parseSignals, { signal })

/** Trades, PnL, drawdown and days run on the demo account: what a promotion is decided on. */
export const fetchDemoRecord = (client: ApiClient, workspaceId: string, botId: string, signal: AbortSignal) =>
  client.read(`${botPath(workspaceId, botId)}/demo-record`, parseDemoRecord, { signal })

/**
 * The webhook URL, its secret and the TradingView message (which carries the secret). The secret is
 * behind step-up: reads do not ask by themselves (a poll must never open a dialog), so this one does.
 * @throws ApiError STEP_UP_CANCELLED when the person closes the dialog
 */
export const fetchWebhook = (client: ApiClient, workspaceId: string, botId: string) =>
  withStepUp(() => client.read(`${workspacePath(workspaceId)}/signal-bots/${encodeURIComponent(botId)}/webhook`, parseWebhook), client.confirmIdentity)

/** The workspace's kill switch. */
export const fetchHalt = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${workspacePath(workspaceId)}/trading/halt`, parseHalt, { signal })

export const fetchRiskLimits = (client: ApiClient, workspaceId: string, account: AccountRef, signal: AbortSignal) =>
  client.read(riskPath(workspaceId, account), parseRiskLimits, { signal })

export type OrdersFilter = { botId?: string; state?: 'open' | 'final' | 'unknown'; limit?: number }

/** Orders of the workspace across bots; `state: 'unknown'` lists those reconciliation has not resolved. */
export const fetchOrders = (client: ApiClient, workspaceId: string, filter: OrdersFilter, signal: AbortSignal) => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) search.set(key, String(value))
  const text = search.toString()
  return client.read(`${workspacePath(workspaceId)}/orders${text === '' ? '' : `?${text}`}`, parseOrders, { signal })
}
