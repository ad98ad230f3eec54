import type { Parse } from './api'
import type { AlertSeverity } from './account-parsers'
import { isRecord, readList, readObject, type JsonRecord } from './json-guards'

/**
 * Types and parsers for notification channels, deliveries, the unread count and the workspace
 * settings (src/api/routes/notification-routes.ts, settings-routes.ts). A channel view never carries
 * a secret: a webhook's signing secret and a Telegram link code come once, from the call that makes them.
 */

export const severities: readonly AlertSeverity[] = ['info', 'warning', 'critical']

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

export type ChannelKind = 'email' | 'telegram' | 'webhook'

export type Channel = {
  id: string
  kind: ChannelKind
  label: string
  /** pending (Telegram not linked yet) | active | disabled */
  state: string
  minSeverity: AlertSeverity
  userId: string | null
  url: string | undefined
  isLinked: boolean | undefined
  linkCodeExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

export const parseChannel = (value: unknown): Channel => {
  const fields = readObject(value, 'notification channel')
  const record: JsonRecord = isRecord(value) ? value : {}
  return {
    id: fields.string('id'),
    kind: fields.oneOf('kind', ['email', 'telegram', 'webhook'] as const),
    label: fields.string('label'),
    state: fields.string('state'),
    minSeverity: fields.oneOf('minSeverity', severities),
    userId: fields.nullableString('userId'),
    url: optionalString(record.url),
    isLinked: typeof record.isLinked === 'boolean' ? record.isLinked : undefined,
    linkCodeExpiresAt: optionalString(record.linkCodeExpiresAt) ?? null,
    createdAt: fields.string('createdAt'),
    updatedAt: fields.string('updatedAt'),
  }
}

export const parseChannels: Parse<Channel[]> = (body) => readList(body, 'notification channels', parseChannel)

export type LinkCode = { channel: Channel; linkCode: string; expiresAt: string; deepLink: string | undefined }

export const parseLinkCode: Parse<LinkCode> = (body) => {
  const fields = readObject(body, 'telegram link code')
  const deepLink = optionalString((body as JsonRecord).deepLink)
  return {
    channel: parseChannel(fields.record('channel')),
    linkCode: fields.string('linkCode'),
    expiresAt: fields.string('expiresAt'),
    // Only https links leave the dashboard.
    deepLink: deepLink !== undefined && deepLink.startsWith('https://') ? deepLink : undefined,
  }
}

export type WebhookCreated = { channel: Channel; secret: string }

export const parseWebhookCreated: Parse<WebhookCreated> = (body) => {
  const fields = readObject(body, 'webhook')
  return { channel: parseChannel(fields.record('channel')), secret: fields.string('secret') }
}

export type WebhookTestResult = { ok: boolean; status: number | null; error: string | null }

export const parseWebhookTest: Parse<WebhookTestResult> = (body) => {
  const fields = readObject(body, 'webhook test')
  const status = (body as JsonRecord).status
  return { ok: fields.boolean('ok'), status: typeof status === 'number' ? status : null, error: fields.nullableString('error') }
}

export type Delivery = {
  id: string
  channelId: string
  alertId: string
  rule: string
  severity: AlertSeverity
  /** pending | delivered | failed | dead */
  state: string
  attempts: number
  nextAttemptAt: string
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
}

const parseDelivery = (value: unknown): Delivery => {
  const fields = readObject(value, 'delivery')
  const lastStatus = (value as JsonRecord).lastStatus
  return {
    id: fields.string('id'),
    channelId: fields.string('channelId'),
    alertId: fields.string('alertId'),
    rule: fields.string('rule'),
    severity: fields.oneOf('severity', severities),
    state: fields.string('state'),
    attempts: fields.number('attempts'),
    nextAttemptAt: fields.string('nextAttemptAt'),
    lastStatus: typeof lastStatus === 'number' ? lastStatus : null,
    lastError: fields.nullableString('lastError'),
    createdAt: fields.string('createdAt'),
    deliveredAt: fields.nullableString('deliveredAt'),
  }
}

export type DeliveryPage = { items: Delivery[]; nextBefore: string | null }

export const parseDeliveryPage: Parse<DeliveryPage> = (body) => {
  const fields = readObject(body, 'deliveries')
  return { items: fields.array('items', parseDelivery), nextBefore: fields.nullableString('nextBefore') }
}

/** GET …/alerts/unread and each `unread` event of …/alerts/stream: `{ count }`. */
export const parseUnreadCount: Parse<number> = (body) => {
  const count = readObject(body, 'unread').number('count')
  if (!Number.isInteger(count) || count < 0) throw new Error('unread: expected a count')
  return count
}

/** One `unread` event's data, or undefined for anything else (a malformed event is ignored, not fatal). */
export const unreadFromEvent = (data: string): number | undefined => {
  try {
    return parseUnreadCount(JSON.parse(data) as unknown)
  } catch {
    return undefined
  }
}

// ---- Workspace settings and alert rules ----------------------------------------------------------

export const lockdownOrderModes = ['cancel', 'cancel_and_close', 'leave'] as const
export type LockdownOrdersMode = (typeof lockdownOrderModes)[number]

export type WorkspaceSettings = {
  alerts: { rules: Readonly<Record<string, { enabled?: boolean; severity?: AlertSeverity }>> }
  keys: { rotationDays: number; remindDaysBefore: number; unusedDays: number }
  audit: { retentionDays: number }
  lockdown: { orders: LockdownOrdersMode }
}

const parseRuleOverrides = (value: unknown): WorkspaceSettings['alerts']['rules'] => {
  if (!isRecord(value)) return {}
  const rules: Record<string, { enabled?: boolean; severity?: AlertSeverity }> = {}
  for (const [id, override] of Object.entries(value)) {
    if (!isRecord(override)) continue
    const severity = severities.find((s) => s === override.severity)
    rules[id] = {
      ...(typeof override.enabled === 'boolean' ? { enabled: override.enabled } : {}),
      ...(severity === undefined ? {} : { severity }),
    }
  }
  return rules
}

export const parseSettings: Parse<WorkspaceSettings> = (body) => {
  const fields = readObject(body, 'settings')
  const alerts = readObject(fields.record('alerts'), 'settings.alerts')
  const keys = readObject(fields.record('keys'), 'settings.keys')
  const audit = readObject(fields.record('audit'), 'settings.audit')
  const lockdown = readObject(fields.record('lockdown'), 'settings.lockdown')
  return {
    alerts: { rules: parseRuleOverrides(alerts.record('rules')) },
    keys: { rotationDays: keys.number('rotationDays'), remindDaysBefore: keys.number('remindDaysBefore'), unusedDays: keys.number('unusedDays') },
    audit: { retentionDays: audit.number('retentionDays') },
    lockdown: { orders: lockdown.oneOf('orders', lockdownOrderModes) },
  }
}

export type AlertRule = {
  id: string
  domain: string
  title: string
  trigger: string
  defaultSeverity: AlertSeverity
  severity: AlertSeverity
  enabled: boolean
  /** Security rules cannot be turned off (or quietened) by a workspace. */
  canDisable: boolean
  /** instance rules are the operator's; a workspace sees them but does not set them. */
  scope: string
}

const parseRule = (value: unknown): AlertRule => {
  const fields = readObject(value, 'alert rule')
  return {
    id: fields.string('id'),
    domain: fields.string('domain'),
    title: fields.string('title'),
    trigger: fields.string('trigger'),
    defaultSeverity: fields.oneOf('defaultSeverity', severities),
    severity: fields.oneOf('severity', severities),
    enabled: fields.boolean('enabled'),
    canDisable: fields.boolean('canDisable'),
    scope: optionalString((value as JsonRecord).scope) ?? 'workspace',
  }
}

export const parseAlertRules: Parse<AlertRule[]> = (body) => readList(body, 'alert rules', parseRule)
