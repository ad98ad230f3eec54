import { and, desc, eq, lt, ne, or, sql, type SQL } from 'drizzle-orm'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import type { Clock } from '../../lib/clock.js'
import { randomToken, sha256Hex } from '../../crypto/index.js'
import { schema, type AlertSeverity, type Db, type DbOrTx } from '../../db/index.js'
import type { AuditChain } from '../audit-chain.js'
import type { Alerts } from '../alerts.js'
import { checkWebhookUrl, resolveWithDns, type ResolveHost } from './webhook-address.js'
import { generateNotifySecret, openNotifySecret, sealNotifySecret } from './webhook-secret.js'
import { postWebhook, type WebhookResult } from './webhook-sender.js'
import { CHANNEL_CHANGED_RULE, severityRank, type ChannelActor, type ChannelView, type DeliveryView, type WebhookPayload } from './notify-types.js'

const { notificationChannels: channels, notificationDeliveries: deliveries, alerts, users } = schema

type ChannelRow = typeof channels.$inferSelect
export type ChannelConfig = { url?: string; chatId?: number }

export type NotificationChannelsDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  alerts: Pick<Alerts, 'raiseIn'>
  /** The platform's webhook key (32 bytes): seals webhook signing secrets at rest. */
  webhookKey: Uint8Array
  /** NOTIFY_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean
  /** Present when TELEGRAM_BOT_TOKEN_FILE is set; its username makes the `t.me` deep link. */
  telegram?: { botUsername: () => string | undefined } | undefined
  resolveHost?: ResolveHost
  linkCodeTtlMs?: number
}

export const LINK_CODE_TTL_MS = 10 * 60_000
const LABEL_MAX_CHARS = 80
const VISIBLE_URL_MAX = 2_000

export const hashLinkCode = (code: string): string => sha256Hex(code.trim())

export const toChannelView = (r: ChannelRow, opts: { showUrl: boolean }): ChannelView => {
  const config = r.config as ChannelConfig
  return {
    id: r.id,
    kind: r.kind,
    label: r.label,
    state: r.state,
    minSeverity: r.minSeverity as AlertSeverity,
    userId: r.userId,
    ...(r.kind === 'webhook' && opts.showUrl && config.url ? { url: config.url.slice(0, VISIBLE_URL_MAX) } : {}),
    ...(r.kind === 'telegram' ? { isLinked: typeof config.chatId === 'number', linkCodeExpiresAt: r.linkCodeHash ? (r.linkCodeExpiresAt?.toISOString() ?? null) : null } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }
}

/** A member sees their own email and Telegram channels, and the workspace webhooks if their role manages them. */
const visibleTo = (actor: ChannelActor): SQL =>
  actor.canManageWebhooks
    ? (or(and(ne(channels.kind, 'webhook'), eq(channels.userId, actor.userId)), eq(channels.kind, 'webhook')) as SQL)
    : (and(ne(channels.kind, 'webhook'), eq(channels.userId, actor.userId)) as SQL)

const cleanLabel = (label: string | undefined, fallback: string) => {
  const text = (label ?? '').replace(/[\p{Cc}\u2028\u2029]/gu, ' ').replace(/\s+/g, ' ').trim()
  return (text || fallback).slice(0, LABEL_MAX_CHARS)
}

/**
 * The notification channels of a workspace: each member's own email and Telegram chat, and the workspace's
 * outgoing webhooks. Every change is audited; a change that makes alerts quieter (a channel disabled or
 * removed, a higher minimum severity) and a new webhook (alerts now leave for a URL) also raise an alert,
 * so the other channels and the inbox hear of it (R34).
 */
export const createNotificationChannels = (deps: NotificationChannelsDeps) => {
  const { db, clock, audit, webhookKey, allowPrivate } = deps
  const resolveHost = deps.resolveHost ?? resolveWithDns
  const linkCodeTtlMs = deps.linkCodeTtlMs ?? LINK_CODE_TTL_MS

  const findVisible = async (tx: DbOrTx, workspaceId: string, actor: ChannelActor, channelId: string, kinds: 'member' | 'webhook'): Promise<ChannelRow> => {
    const kindScope = kinds === 'webhook' ? eq(channels.kind, 'webhook') : ne(channels.kind, 'webhook')
    const [row] = await tx
      .select()
      .from(channels)
      .where(and(eq(channels.id, channelId), eq(channels.workspaceId, workspaceId), kindScope, visibleTo(actor)))
      .for('update')
    if (!row) throw new AppError('NOT_FOUND', `notification channel "${channelId}" not found`)
    return row
  }

  const record = (tx: DbOrTx, workspaceId: string, actor: ChannelActor, type: string, row: ChannelRow, extra: Record<string, unknown> = {}) =>
    audit.appendIn(tx, {
      workspaceId,
      type,
      actor: { type: 'user', id: actor.userId },
      outcome: 'success',
      ip: actor.ip,
      requestId: actor.requestId,
      details: { channelId: row.id, kind: row.kind, minSeverity: row.minSeverity, state: row.state, ...extra },
    })

  const announce = async (tx: DbOrTx, workspaceId: string, actor: ChannelActor, row: ChannelRow, change: string) => {
    await deps.alerts.raiseIn(tx, { workspaceId, rule: CHANNEL_CHANGED_RULE, details: { change, channelId: row.id, kind: row.kind, label: row.label, byUserId: actor.userId } })
  }

  const insertChannel = async (tx: DbOrTx, values: Omit<typeof channels.$inferInsert, 'createdAt' | 'updatedAt'>) => {
    const now = clock.now()
    const [row] = await tx.insert(channels).values({ ...values, createdAt: now, updatedAt: now }).returning()
    if (!row) throw new Error('channel insert returned nothing')
    return row
  }

  const list = async (workspaceId: string, actor: ChannelActor): Promise<ChannelView[]> => {
    const rows = await db.select().from(channels).where(and(eq(channels.workspaceId, workspaceId), visibleTo(actor))).orderBy(channels.createdAt, channels.id)
    return rows.map((r) => toChannelView(r, { showUrl: actor.canManageWebhooks }))
  }

  /** The member's email channel, to their verified address (read at send time, so it follows an email change). */
  const createEmail = (workspaceId: string, actor: ChannelActor, input: { minSeverity?: AlertSeverity | undefined }): Promise<ChannelView> =>
    db.transaction(async (tx) => {
      const [user] = await tx.select({ email: users.email, verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, actor.userId))
      if (!user?.verifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'confirm your email address first: alerts go only to a verified address')
      const [existing] = await tx
        .select({ id: channels.id })
        .from(channels)
        .where(and(eq(channels.workspaceId, workspaceId), eq(channels.userId, actor.userId), eq(channels.kind, 'email')))
      if (existing) throw new AppError('CONFLICT', `you already have an email channel in this workspace ("${existing.id}"): change or enable that one`)
      const row = await insertChannel(tx, {
        id: newId(clock.now().getTime()),
        workspaceId,
        userId: actor.userId,
        kind: 'email',
        label: cleanLabel(undefined, user.email),
        state: 'active',
        minSeverity: input.minSeverity ?? 'warning',
        config: {},
      })
      await record(tx, workspaceId, actor, 'notification_channel_created', row)
      return toChannelView(row, { showUrl: false })
    })

  const issueLinkCode = () => {
    const code = randomToken(15)
    const expiresAt = new Date(clock.now().getTime() + linkCodeTtlMs)
    const username = deps.telegram?.botUsername()
    return { code, hash: hashLinkCode(code), expiresAt, deepLink: username ? `https://t.me/${username}?start=${code}` : undefined }
  }

  type LinkCodeAnswer = { channel: ChannelView; linkCode: string; expiresAt: string; deepLink?: string | undefined }

  /**
   * A Telegram channel waiting for its chat: the one-time code (shown once, stored as SHA-256, valid ten
   * minutes) is sent to the bot as `/start <code>`, which links the chat and activates the channel.
   */
  const createTelegram = async (workspaceId: string, actor: ChannelActor, input: { label?: string | undefined; minSeverity?: AlertSeverity | undefined }): Promise<LinkCodeAnswer> => {
    if (!deps.telegram) throw new AppError('BAD_INPUT', 'Telegram is not set up on this server (the operator sets TELEGRAM_BOT_TOKEN_FILE)', { reason: 'TELEGRAM_NOT_CONFIGURED' })
    return db.transaction(async (tx) => {
      const link = issueLinkCode()
      const row = await insertChannel(tx, {
        id: newId(clock.now().getTime()),
        workspaceId,
        userId: actor.userId,
        kind: 'telegram',
        label: cleanLabel(input.label, 'Telegram'),
        state: 'pending',
        minSeverity: input.minSeverity ?? 'warning',
        config: {},
        linkCodeHash: link.hash,
        linkCodeExpiresAt: link.expiresAt,
      })
      await record(tx, workspaceId, actor, 'notification_channel_created', row)
      return { channel: toChannelView(row, { showUrl: false }), linkCode: link.code, expiresAt: link.expiresAt.toISOString(), deepLink: link.deepLink }
    })
  }

  /** A fresh code for a Telegram channel (the old one stops working); an active channel moves when it is used. */
  const newLinkCode = async (workspaceId: string, actor: ChannelActor, channelId: string): Promise<LinkCodeAnswer> => {
    if (!deps.telegram) throw new AppError('BAD_INPUT', 'Telegram is not set up on this server (the operator sets TELEGRAM_BOT_TOKEN_FILE)', { reason: 'TELEGRAM_NOT_CONFIGURED' })
    return db.transaction(async (tx) => {
      const row = await findVisible(tx, workspaceId, actor, channelId, 'member')
      if (row.kind !== 'telegram') throw new AppError('BAD_INPUT', 'only a Telegram channel has a link code')
      const link = issueLinkCode()
      const [updated] = await tx
        .update(channels)
        .set({ linkCodeHash: link.hash, linkCodeExpiresAt: link.expiresAt, updatedAt: clock.now() })
        .where(eq(channels.id, row.id))
        .returning()
      if (!updated) throw new Error('channel update returned nothing')
      await record(tx, workspaceId, actor, 'notification_channel_link_code_issued', updated)
      return { channel: toChannelView(updated, { showUrl: false }), linkCode: link.code, expiresAt: link.expiresAt.toISOString(), deepLink: link.deepLink }
    })
  }

  /** A workspace webhook; its signing secret is returned once and stored sealed. */
  const createWebhook = async (
    workspaceId: string,
    actor: ChannelActor,
    input: { url: string; label?: string | undefined; minSeverity?: AlertSeverity | undefined },
  ): Promise<{ channel: ChannelView; secret: string }> => {
    if (!actor.canManageWebhooks) throw new AppError('FORBIDDEN', 'your role may not manage workspace webhooks')
    // Resolved before the transaction: a slow DNS answer must not hold a database connection.
    const url = await checkWebhookUrl(input.url, { allowPrivate }, resolveHost)
    const secret = generateNotifySecret()
    return db.transaction(async (tx) => {
      const id = newId(clock.now().getTime())
      const row = await insertChannel(tx, {
        id,
        workspaceId,
        userId: null,
        kind: 'webhook',
        label: cleanLabel(input.label, url.host),
        state: 'active',
        minSeverity: input.minSeverity ?? 'warning',
        config: { url: url.toString() },
        secretSealed: sealNotifySecret(webhookKey, id, secret),
      })
      await record(tx, workspaceId, actor, 'notification_channel_created', row, { host: url.host })
      await announce(tx, workspaceId, actor, row, 'webhook_added')
      return { channel: toChannelView(row, { showUrl: true }), secret }
    })
  }

  /** Label, minimum severity, enabled or not. A Telegram channel becomes active only by linking its chat. */
  const update = (
    workspaceId: string,
    actor: ChannelActor,
    channelId: string,
    kinds: 'member' | 'webhook',
    patch: { label?: string | undefined; minSeverity?: AlertSeverity | undefined; isEnabled?: boolean | undefined },
  ): Promise<ChannelView> =>
    db.transaction(async (tx) => {
      const row = await findVisible(tx, workspaceId, actor, channelId, kinds)
      const isLinked = row.kind !== 'telegram' || typeof (row.config as ChannelConfig).chatId === 'number'
      const state = patch.isEnabled === undefined ? row.state : patch.isEnabled ? (isLinked ? 'active' : 'pending') : 'disabled'
      const minSeverity = patch.minSeverity ?? (row.minSeverity as AlertSeverity)
      const [updated] = await tx
        .update(channels)
        .set({ state, minSeverity, label: patch.label === undefined ? row.label : cleanLabel(patch.label, row.label), updatedAt: clock.now() })
        .where(eq(channels.id, row.id))
        .returning()
      if (!updated) throw new Error('channel update returned nothing')
      await record(tx, workspaceId, actor, 'notification_channel_updated', updated, { previousState: row.state, previousMinSeverity: row.minSeverity })
      if (row.state !== 'disabled' && state === 'disabled') await announce(tx, workspaceId, actor, updated, 'disabled')
      else if (severityRank[minSeverity] > severityRank[row.minSeverity as AlertSeverity]) await announce(tx, workspaceId, actor, updated, 'min_severity_raised')
      return toChannelView(updated, { showUrl: kinds === 'webhook' })
    })

  /** Removes a channel and its delivery log. */
  const remove = (workspaceId: string, actor: ChannelActor, channelId: string, kinds: 'member' | 'webhook'): Promise<void> =>
    db.transaction(async (tx) => {
      const row = await findVisible(tx, workspaceId, actor, channelId, kinds)
      await tx.delete(channels).where(eq(channels.id, row.id))
      await record(tx, workspaceId, actor, 'notification_channel_deleted', row)
      await announce(tx, workspaceId, actor, row, 'removed')
    })

  /** The delivery log of the channels the member sees, newest first; `before` is the last id of the previous page. */
  const listDeliveries = async (
    workspaceId: string,
    actor: ChannelActor,
    opts: { channelId?: string | undefined; before?: string | undefined; limit?: number | undefined } = {},
  ): Promise<{ items: DeliveryView[]; nextBefore: string | null }> => {
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 200))
    const rows = await db
      .select({ d: deliveries, rule: alerts.rule, severity: alerts.severity })
      .from(deliveries)
      .innerJoin(channels, eq(channels.id, deliveries.channelId))
      .innerJoin(alerts, eq(alerts.id, deliveries.alertId))
      .where(
        and(
          eq(deliveries.workspaceId, workspaceId),
          visibleTo(actor),
          opts.channelId ? eq(deliveries.channelId, opts.channelId) : undefined,
          opts.before ? lt(deliveries.id, opts.before) : undefined,
        ),
      )
      .orderBy(desc(deliveries.id))
      .limit(limit + 1)
    const items = rows.slice(0, limit).map(({ d, rule, severity }) => ({
      id: d.id,
      channelId: d.channelId,
      alertId: d.alertId,
      rule,
      severity,
      state: d.state,
      attempts: d.attempts,
      nextAttemptAt: d.nextAttemptAt.toISOString(),
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
    }))
    return { items, nextBefore: rows.length > limit ? (items.at(-1)?.id ?? null) : null }
  }

  /** Sends a signed test payload (rule `notification_test`) now, outside the delivery log, and says how it went. */
  const testWebhook = async (workspaceId: string, actor: ChannelActor, channelId: string): Promise<WebhookResult> => {
    const row = await db.transaction((tx) => findVisible(tx, workspaceId, actor, channelId, 'webhook'))
    const url = (row.config as ChannelConfig).url
    if (!url || !row.secretSealed) throw new AppError('INTEGRITY_FAILED', 'this webhook has no URL or signing secret stored: create it again')
    const now = clock.now()
    const payload: WebhookPayload = { id: newId(now.getTime()), workspaceId, rule: 'notification_test', severity: 'info', details: { message: 'Test notification from Bulwark' }, occurredAt: now.toISOString() }
    const result = await postWebhook(
      { url, secret: openNotifySecret(webhookKey, row.id, row.secretSealed), deliveryId: newId(now.getTime()), body: JSON.stringify(payload), timestamp: String(Math.floor(now.getTime() / 1000)) },
      { allowPrivate },
    )
    await db.transaction((tx) =>
      audit.appendIn(tx, {
        workspaceId,
        type: 'notification_webhook_tested',
        actor: { type: 'user', id: actor.userId },
        outcome: result.ok ? 'success' : 'failure',
        ip: actor.ip,
        requestId: actor.requestId,
        details: { channelId: row.id, status: result.status },
      }),
    )
    return result
  }

  return { list, createEmail, createTelegram, newLinkCode, createWebhook, update, remove, listDeliveries, testWebhook }
}

export type NotificationChannels = ReturnType<typeof createNotificationChannels>

/** Active channels linked to a Telegram chat whose member still belongs to the workspace (for /status). */
export const channelsOfChat = (db: DbOrTx, chatId: number) =>
  db
    .select({ channelId: channels.id, workspaceId: channels.workspaceId, userId: channels.userId, workspaceName: schema.workspaces.name, lockedAt: schema.workspaces.lockedAt })
    .from(channels)
    .innerJoin(schema.workspaces, eq(schema.workspaces.id, channels.workspaceId))
    .innerJoin(schema.memberships, and(eq(schema.memberships.workspaceId, channels.workspaceId), eq(schema.memberships.userId, channels.userId)))
    .where(and(eq(channels.kind, 'telegram'), eq(channels.state, 'active'), sql`(${channels.config} ->> 'chatId')::bigint = ${chatId}`))
    .orderBy(channels.createdAt)

