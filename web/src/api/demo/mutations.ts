import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import type { PlaceOrderBody } from '../../lib/demo-order-validation'
import { parseDemoAccount, parseDemoOrder, type DemoAccountKind } from '../../lib/demo-parsers'
import { demoAccountPath, demoPath } from './queries'

/**
 * Changes on the demo exchange. Orders the exchange would refuse come back as 422 EXCHANGE_REJECTED
 * with its message ("Filter failure: NOTIONAL (…)"); nothing is reserved or written for them.
 */

export type CreateDemoAccountBody = { name: string; kind: DemoAccountKind; initialBalance?: string }

export const createDemoAccount = (client: ApiClient, workspaceId: string, body: CreateDemoAccountBody) =>
  client.write('POST', `${demoPath(workspaceId)}/accounts`, parseDemoAccount, body)

/** Cancels open orders, closes positions and sets the balance; the history is kept. */
export const resetDemoAccount = (client: ApiClient, workspaceId: string, accountId: string, balance: string | undefined) =>
  client.write('POST', `${demoAccountPath(workspaceId, accountId)}/reset`, parseDemoAccount, balance === undefined ? {} : { balance })

/** @throws ApiError EXCHANGE_REJECTED with the exchange-like message */
export const placeDemoOrder = (client: ApiClient, workspaceId: string, accountId: string, body: PlaceOrderBody) =>
  client.write('POST', `${demoAccountPath(workspaceId, accountId)}/orders`, parseDemoOrder, body)

export const cancelDemoOrder = (client: ApiClient, workspaceId: string, accountId: string, orderId: string) =>
  client.write('DELETE', `${demoAccountPath(workspaceId, accountId)}/orders/${encodeURIComponent(orderId)}`, parseDemoOrder)

// The contract does not describe these answers; the page reads positions again afterwards.

export const setDemoLeverage = (client: ApiClient, workspaceId: string, accountId: string, symbol: string, leverage: number) =>
  client.write('POST', `${demoAccountPath(workspaceId, accountId)}/leverage`, parseNothing, { symbol, leverage })

export const setDemoMarginMode = (client: ApiClient, workspaceId: string, accountId: string, symbol: string, mode: 'isolated' | 'cross') =>
  client.write('POST', `${demoAccountPath(workspaceId, accountId)}/margin-mode`, parseNothing, { symbol, mode })

export const setDemoPositionMode = (client: ApiClient, workspaceId: string, accountId: string, hedged: boolean) =>
  client.write('POST', `${demoAccountPath(workspaceId, accountId)}/position-mode`, parseNothing, { hedged })
