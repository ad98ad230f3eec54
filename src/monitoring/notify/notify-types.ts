import { z } from 'zod'
import type { AlertSeverity } from '../../db/index.js'

/**
 * Shapes shared by the notification services and the api routes. Channel views never carry a secret:
 * a webhook's signing secret and a Telegram link code are returned once, by the call that makes them.
 */

export const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 }
export const severitySchema = z.enum(['info', 'warning', 'critical'])

/** Whether an alert of `severity` reaches a channel that asks for `minSeverity` and above. */
export const reaches = (severity: AlertSeverity, minSeverity: AlertSeverity): boolean => severityRank[severity] >= severityRank[minSeverity]

/** The rule of the alert a dead delivery raises; never dispatched to the channel it is about. */
export const CHANNEL_FAILING_RULE = 'notification_channel_failing'
/** The rule raised when alerts get quieter (a channel disabled or removed, a higher minimum) or a webhook is added (R34). */
export const CHANNEL_CHANGED_RULE = 'notification_channel_changed'

export const channelView = z.object({
  id: z.string(),
  kind: z.enum(['email', 'telegram', 'webhook']),
  label: z.string(),
  state: z.enum(['pending', 'active', 'disabled']),
  minSeverity: severitySchema,
  /** The member an email or Telegram channel belongs to; null for a workspace webhook. */
  userId: z.string().nullable(),
  /** Webhooks: the target URL (shown to those who manage webhooks only). */
  url: z.string().optional(),
  /** Telegram: whether a chat is linked, and until when the current link code works. */
  isLinked: z.boolean().optional(),
  linkCodeExpiresAt: z.string().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type ChannelView = z.infer<typeof channelView>

export const deliveryView = z.object({
  id: z.string(),
  channelId: z.string(),
  alertId: z.string(),
  rule: z.string(),
  severity: severitySchema,
  state: z.enum(['pending', 'delivered', 'failed', 'dead']),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
})
export type DeliveryView = z.infer<typeof deliveryView>

/** Who acts on a channel: the member, and whether their role may manage workspace webhooks. */
export type ChannelActor = { userId: string; canManageWebhooks: boolean; ip?: string | undefined; requestId?: string | undefined }

/** The webhook body (JSON); the signature covers `timestamp + "." + body` exactly as sent. */
export type WebhookPayload = {
  id: string
  workspaceId: string
  rule: string
  severity: AlertSeverity
  details: Record<string, unknown>
  occurredAt: string
}
