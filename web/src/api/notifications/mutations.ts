import type { AlertSeverity } from '../../lib/account-parsers'
import { parseNothing } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import { parseChannel, parseLinkCode, parseWebhookCreated, parseWebhookTest } from '../../lib/notification-parsers'
import { notificationBase } from './queries'

const channelsPath = (workspaceId: string) => `${notificationBase(workspaceId)}/notification-channels`
const webhooksPath = (workspaceId: string) => `${notificationBase(workspaceId)}/notification-webhooks`

export const createEmailChannel = (client: ApiClient, workspaceId: string, minSeverity: AlertSeverity) =>
  client.write('POST', `${channelsPath(workspaceId)}/email`, parseChannel, { minSeverity })

/** A Telegram channel waiting for its chat: the answer carries the one-time link code. */
export const createTelegramChannel = (client: ApiClient, workspaceId: string, minSeverity: AlertSeverity) =>
  client.write('POST', `${channelsPath(workspaceId)}/telegram`, parseLinkCode, { minSeverity })

export const newLinkCode = (client: ApiClient, workspaceId: string, channelId: string) =>
  client.write('POST', `${channelsPath(workspaceId)}/${encodeURIComponent(channelId)}/link-code`, parseLinkCode, {})

export type ChannelPatch = { label?: string; minSeverity?: AlertSeverity; isEnabled?: boolean }

/** Webhooks live under their own path (owners and admins); every change needs a fresh step-up. */
export const updateChannel = (client: ApiClient, workspaceId: string, channel: { id: string; kind: string }, patch: ChannelPatch) =>
  client.write('PATCH', `${channel.kind === 'webhook' ? webhooksPath(workspaceId) : channelsPath(workspaceId)}/${encodeURIComponent(channel.id)}`, parseChannel, patch)

export const removeChannel = (client: ApiClient, workspaceId: string, channel: { id: string; kind: string }) =>
  client.write('DELETE', `${channel.kind === 'webhook' ? webhooksPath(workspaceId) : channelsPath(workspaceId)}/${encodeURIComponent(channel.id)}`, parseNothing)

/** The signing secret is in this answer only. */
export const createWebhook = (client: ApiClient, workspaceId: string, body: { url: string; label?: string; minSeverity: AlertSeverity }) =>
  client.write('POST', webhooksPath(workspaceId), parseWebhookCreated, body)

export const testWebhook = (client: ApiClient, workspaceId: string, channelId: string) =>
  client.write('POST', `${webhooksPath(workspaceId)}/${encodeURIComponent(channelId)}/test`, parseWebhookTest, {})
