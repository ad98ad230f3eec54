import type { ApiClient } from '../../lib/api-client'
import {
  parseCandles,
  parseDemoAccounts,
  parseDemoBalance,
  parseDemoFeed,
  parseDemoFills,
  parseDemoMarkets,
  parseDemoOrders,
  parseDemoPnl,
  parseDemoPositions,
  parseDemoSettings,
} from '../../lib/demo-parsers'
import type { Timeframe } from '../../lib/demo-chart-data'

/** Reads of the demo exchange (/api/workspaces/:ws/demo/…). */

export const demoPath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/demo`
export const demoAccountPath = (workspaceId: string, accountId: string) => `${demoPath(workspaceId)}/accounts/${encodeURIComponent(accountId)}`

const query = (params: Readonly<Record<string, string | number | undefined>>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** Which data source the demo prices come from, and whether it is healthy. */
export const fetchDemoFeed = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${demoPath(workspaceId)}/feed`, parseDemoFeed, { signal })

export const fetchDemoMarkets = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${demoPath(workspaceId)}/markets`, parseDemoMarkets, { signal })

export const fetchDemoAccounts = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${demoPath(workspaceId)}/accounts`, parseDemoAccounts, { signal })

export const fetchDemoBalance = (client: ApiClient, workspaceId: string, accountId: string, signal: AbortSignal) =>
  client.read(`${demoAccountPath(workspaceId, accountId)}/balance`, parseDemoBalance, { signal })

export const fetchDemoOrders = (
  client: ApiClient,
  workspaceId: string,
  accountId: string,
  filter: { status: 'open' | 'closed'; symbol?: string },
  signal: AbortSignal,
) => client.read(`${demoAccountPath(workspaceId, accountId)}/orders${query(filter)}`, parseDemoOrders, { signal })

export const fetchDemoFills = (client: ApiClient, workspaceId: string, accountId: string, filter: { symbol?: string; limit?: number }, signal: AbortSignal) =>
  client.read(`${demoAccountPath(workspaceId, accountId)}/fills${query(filter)}`, parseDemoFills, { signal })

export const fetchDemoPositions = (client: ApiClient, workspaceId: string, accountId: string, signal: AbortSignal) =>
  client.read(`${demoAccountPath(workspaceId, accountId)}/positions`, parseDemoPositions, { signal })

/** Position mode and per-symbol leverage and margin mode, set or default. */
export const fetchDemoSettings = (client: ApiClient, workspaceId: string, accountId: string, signal: AbortSignal) =>
  client.read(`${demoAccountPath(workspaceId, accountId)}/settings`, parseDemoSettings, { signal })

export const fetchDemoPnl = (client: ApiClient, workspaceId: string, accountId: string, signal: AbortSignal) =>
  client.read(`${demoAccountPath(workspaceId, accountId)}/pnl`, parseDemoPnl, { signal })

/** Candles of the running feed, oldest first; `time` is the open time. */
export const fetchDemoCandles = (client: ApiClient, workspaceId: string, params: { symbol: string; timeframe: Timeframe; limit: number }, signal: AbortSignal) =>
  client.read(`${demoPath(workspaceId)}/candles${query(params)}`, parseCandles, { signal })
