import { z } from 'zod'
import { botViewSchema, webhookInfoSchema, type CreateSignalBotBody, type CreateSmartTradeBody, type SignalBotConfig } from './schemas'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import { parseGated } from '../../lib/team-parsers'
import { botPath, parseBot, parseRiskLimits, parseWebhook, parseWith, riskPath, workspacePath, type AccountRef, type RiskLimits } from './queries'

/**
 * Changes to Smart Trades, Signal Bots and the kill switch. Order-placing requests (create, close at
 * market) carry an `Idempotency-Key`: the server answers a repeat with the first result, so a retry
 * after a lost answer cannot open a second trade. The caller keeps the key for a retry of the same
 * submit (`idempotency.ts`). Promotion, the webhook secret and lifting the halt need step-up; the api
 * client asks and repeats them.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key'

const smartTradePath = (workspaceId: string, botId: string) => `${workspacePath(workspaceId)}/smart-trades/${encodeURIComponent(botId)}`
const signalBotPath = (workspaceId: string, botId: string) => `${workspacePath(workspaceId)}/signal-bots/${encodeURIComponent(botId)}`
const keyed = (idempotencyKey: string) => ({ headers: { [IDEMPOTENCY_HEADER]: idempotencyKey } })

/** Creates and starts a Smart Trade at once (201). */
export const createSmartTrade = (client: ApiClient, workspaceId: string, body: CreateSmartTradeBody, idempotencyKey: string) =>
  client.write('POST', `${workspacePath(workspaceId)}/smart-trades`, parseBot, body, keyed(idempotencyKey))

export type EditSmartTradeBody = Pick<CreateSmartTradeBody['config'], 'takeProfit' | 'stopLoss' | 'timeoutSeconds'>

/** New targets, stop or timeout for a running trade (entry and amount are fixed once sent). */
export const editSmartTrade = (client: ApiClient, workspaceId: string, botId: string, body: EditSmartTradeBody) =>
  client.write('PATCH', smartTradePath(workspaceId, botId), parseBot, body)

/** Cancels what is open and sells (or buys back) the position at market. */
export const closeSmartTrade = (client: ApiClient, workspaceId: string, botId: string, idempotencyKey: string) =>
  client.write('POST', `${smartTradePath(workspaceId, botId)}/close`, parseBot, undefined, keyed(idempotencyKey))

/** Cancels the orders not yet filled; a position already held stays. */
export const cancelSmartTrade = (client: ApiClient, workspaceId: string, botId: string) =>
  client.write('POST', `${smartTradePath(workspaceId, botId)}/cancel`, parseBot)

const parseCreatedSignalBot = parseWith(z.object({ bot: botViewSchema, webhook: webhookInfoSchema.nullable() }))
export type CreatedSignalBot = ReturnType<typeof parseCreatedSignalBot>

/** A new Signal Bot, on a demo account, as a draft; the webhook (secret included) for webhook bots. */
export const createSignalBot = (client: ApiClient, workspaceId: string, body: CreateSignalBotBody) =>
  client.write('POST', `${workspacePath(workspaceId)}/signal-bots`, parseCreatedSignalBot, body)

/** Only while the bot is not running. */
export const editSignalBot = (client: ApiClient, workspaceId: string, botId: string, body: { name?: string; config?: SignalBotConfig }) =>
  client.write('PATCH', signalBotPath(workspaceId, botId), parseBot, body)

/** A new secret: alerts still sending the old one are refused from now on. Needs step-up. */
export const rotateWebhookSecret = (client: ApiClient, workspaceId: string, botId: string) =>
  client.write('POST', `${signalBotPath(workspaceId, botId)}/webhook/rotate`, parseWebhook)

export type BotCommand = 'start' | 'pause' | 'stop'

export const commandBot = (client: ApiClient, workspaceId: string, botId: string, command: BotCommand) =>
  client.write('POST', `${botPath(workspaceId, botId)}/${command}`, parseBot)

/**
 * Moves a demo bot to a real exchange account. Needs step-up. In a workspace with four-eyes approvals
 * (R42) the answer is the request waiting for a second owner or admin (202), and the bot stays on demo.
 */
export const promoteBot = (client: ApiClient, workspaceId: string, botId: string, exchangeAccountId: string) =>
  client.write('POST', `${botPath(workspaceId, botId)}/promote`, parseGated(parseBot), { exchangeAccountId })

/** The kill switch: stops every bot of the workspace. The page reads the halt again afterwards. */
export const haltTrading = (client: ApiClient, workspaceId: string, reason: string) =>
  client.write('POST', `${workspacePath(workspaceId)}/trading/halt`, parseNothing, { reason })

/** Lifts the halt. Needs step-up (owners and admins). */
export const resumeTrading = (client: ApiClient, workspaceId: string) => client.write('DELETE', `${workspacePath(workspaceId)}/trading/halt`, parseNothing)

/** Lowering applies at once; raising a real exchange account's limits may wait for a second owner or admin (202, R42). */
export const setRiskLimits = (client: ApiClient, workspaceId: string, account: AccountRef, limits: RiskLimits) =>
  client.write('PUT', riskPath(workspaceId, account), parseGated(parseRiskLimits), limits)
