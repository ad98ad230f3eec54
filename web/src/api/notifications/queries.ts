import type { ApiClient } from '../../lib/api-client'
import { parseChannels, parseDeliveryPage, parseUnreadCount } from '../../lib/notification-parsers'

export const notificationBase = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`

/** Your own email and Telegram channels, and the workspace's webhooks when your role manages them. */
export const fetchChannels = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${notificationBase(workspaceId)}/notification-channels`, parseChannels, { signal })

/** Newest first; `before` is the `nextBefore` of the previous page. */
export const fetchDeliveries = (client: ApiClient, workspaceId: string, before: string | undefined, signal: AbortSignal) =>
  client.read(`${notificationBase(workspaceId)}/notification-deliveries?limit=25${before === undefined ? '' : `&before=${encodeURIComponent(before)}`}`, parseDeliveryPage, { signal })

export const fetchUnreadCount = (client: ApiClient, workspaceId: string, signal: AbortSignal) =>
  client.read(`${notificationBase(workspaceId)}/alerts/unread`, parseUnreadCount, { signal })

/** The server-sent events of the live unread count (EventSource sends the session cookie itself). */
export const alertStreamPath = (workspaceId: string) => `${notificationBase(workspaceId)}/alerts/stream`
