import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm'
import type { Logger } from '../../lib/logger.js'
import type { Clock } from '../../lib/clock.js'
import { newId } from '../../lib/ids.js'
import { schema, type AlertSeverity, type Db, type DbOrTx } from '../../db/index.js'
import type { Alerts } from '../alerts.js'
import type { Outbox } from '../outbox.js'
import { alertSummary, alertTitle } from './describe-alert.js'
import { alertMessage } from './telegram-messages.js'
import { openNotifySecret } from './webhook-secret.js'
import { postWebhook, WEBHOOK_TIMEOUT_MS } from './webhook-sender.js'
import { CHANNEL_CHANGED_RULE, CHANNEL_FAILING_RULE, reaches, type WebhookPayload } from './notify-types.js'
import type { ChannelConfig } from './channels-service.js'
import type { Telegram } from './telegram.js'

const { alerts, notificationChannels: channels, notificationDeliveries: deliveries, users, workspaces } = schema

/** Waits after failed attempt n (1-based): 10 s, 30 s, 2 min, 10 min, then 1 h for every later one. */
export const defaultRetryDelaysMs = [10_000, 30_000, 120_000, 600_000, 3_600_000] as const
export const DEFAULT_MAX_ATTEMPTS = 8

export type NotifierDeps = {
  db: Db
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  outbox: Pick<Outbox, 'sendIn'>
  /** Raises `notification_channel_failing`; with `onRaised`, a new alert wakes the dispatcher at once. */
  alerts: Pick<Alerts, 'raiseIn'> & Partial<Pick<Alerts, 'onRaised'>>
  telegram?: Pick<Telegram, 'send'> | undefined
  /** The platform's webhook key (opens webhook signing secrets). */
  webhookKey: Uint8Array
  allowPrivate: boolean
  /** An emergency lockdown link for an alert email (src/incident makes them; monitoring may not import it). */
  emergencyLinkFor?: ((tx: DbOrTx, workspaceId: string, userId: string) => Promise<string | undefined>) | undefined
  pollMs?: number
  batchSize?: number
  retryDelaysMs?: readonly number[]
  maxAttempts?: number
  /** Alerts older than this when first seen (e.g. from before notifications existed) are marked, not sent. */
  staleAfterMs?: number
  /** A claimed delivery is not claimed again for this long (a crash mid-send retries after it). */
  claimLeaseMs?: number
  webhookTimeoutMs?: number
}

type Outcome = { ok: true; status?: number | null } | { ok: false; status: number | null; error: string; isFinal?: boolean }

/**
 * Turns alerts into deliveries and delivers them.
 *
 * Dispatch: alerts not yet dispatched, oldest first and a bounded batch, get one delivery per active channel
 * of their workspace that asks for their severity, and are marked dispatched, all in one transaction; rows
 * are claimed with FOR UPDATE SKIP LOCKED, so two api instances never dispatch the same alert twice.
 * Instance alerts (no workspace) are marked and not sent: channels belong to a workspace, and the operator
 * reads instance alerts in the operator inbox.
 *
 * Delivery: due deliveries are claimed (attempt counted, lease set) and sent; success → delivered; failure →
 * retried after 10 s, 30 s, 2 min, 10 min, 1 h…; after the last attempt → dead and a
 * `notification_channel_failing` alert (warning, one per channel a day), which is never dispatched to the
 * failing channel itself. Email deliveries are written to the outbox in the same transaction that marks them
 * delivered (the outbox's SMTP sender retries on its own).
 */
export const createNotifier = (deps: NotifierDeps) => {
  const { db, clock, logger, webhookKey, allowPrivate } = deps
  const batchSize = Math.max(1, Math.min(deps.batchSize ?? 50, 500))
  const retryDelaysMs = deps.retryDelaysMs ?? defaultRetryDelaysMs
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const staleAfterMs = deps.staleAfterMs ?? 24 * 3_600_000
  const claimLeaseMs = deps.claimLeaseMs ?? 60_000
  const webhookTimeoutMs = deps.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS

  /** Dispatches one batch; returns how many alerts it marked. */
  const dispatch = (): Promise<{ alerts: number; deliveries: number }> =>
    db.transaction(async (tx) => {
      const batch = await tx
        .select({ id: alerts.id, workspaceId: alerts.workspaceId, rule: alerts.rule, severity: alerts.severity, details: alerts.details, createdAt: alerts.createdAt })
        .from(alerts)
        .where(isNull(alerts.dispatchedAt))
        .orderBy(asc(alerts.createdAt), asc(alerts.id))
        .limit(batchSize)
        .for('update', { skipLocked: true })
      if (batch.length === 0) return { alerts: 0, deliveries: 0 }
      const now = clock.now()
      const fresh = batch.filter((a) => a.workspaceId !== null && now.getTime() - a.createdAt.getTime() <= staleAfterMs)
      const workspaceIds = [...new Set(fresh.map((a) => a.workspaceId as string))]
      const active =
        workspaceIds.length === 0
          ? []
          : await tx
              .select({ id: channels.id, workspaceId: channels.workspaceId, minSeverity: channels.minSeverity })
              .from(channels)
              .where(
                and(
                  inArray(channels.workspaceId, workspaceIds),
                  eq(channels.state, 'active'),
                  // A member's channel stops with their membership.
                  sql`(${channels.userId} is null or exists (select 1 from memberships m where m.workspace_id = ${channels.workspaceId} and m.user_id = ${channels.userId}))`,
                ),
              )
      const rows: (typeof deliveries.$inferInsert)[] = []
      for (const alert of fresh) {
        // A channel is never told about itself: not that it fails, nor that it was just added or changed (the
        // other channels are: an added webhook is what an intruder would use to read the alerts).
        const aboutChannel = alert.rule === CHANNEL_FAILING_RULE || alert.rule === CHANNEL_CHANGED_RULE ? (alert.details as { channelId?: unknown }).channelId : undefined
        for (const ch of active) {
          if (ch.workspaceId !== alert.workspaceId || ch.id === aboutChannel || !reaches(alert.severity, ch.minSeverity as AlertSeverity)) continue
          rows.push({ id: newId(now.getTime()), channelId: ch.id, alertId: alert.id, workspaceId: ch.workspaceId, state: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now })
        }
      }
      if (rows.length > 0) await tx.insert(deliveries).values(rows).onConflictDoNothing()
      await tx
        .update(alerts)
        .set({ dispatchedAt: now })
        .where(
          inArray(
            alerts.id,
            batch.map((a) => a.id),
          ),
        )
      return { alerts: batch.length, deliveries: rows.length }
    })

  /** Claims due deliveries, counting the attempt now: a crash mid-send still spends it, and the lease keeps others off. */
  const claimDue = async () => {
    const now = clock.now()
    const due = db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(inArray(deliveries.state, ['pending', 'failed']), lte(deliveries.nextAttemptAt, now)))
      .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id))
      .limit(batchSize)
      .for('update', { skipLocked: true })
    const claimed = await db
      .update(deliveries)
      .set({ attempts: sql`${deliveries.attempts} + 1`, nextAttemptAt: new Date(now.getTime() + claimLeaseMs) })
      .where(and(inArray(deliveries.id, due), inArray(deliveries.state, ['pending', 'failed'])))
      .returning()
    return claimed.sort((a, b) => a.id.localeCompare(b.id))
  }

  type Claimed = Awaited<ReturnType<typeof claimDue>>[number]

  const contextOf = async (d: Claimed) => {
    const [row] = await db
      .select({ channel: channels, alert: alerts, workspaceName: workspaces.name })
      .from(channels)
      .innerJoin(alerts, eq(alerts.id, d.alertId))
      .innerJoin(workspaces, eq(workspaces.id, channels.workspaceId))
      .where(eq(channels.id, d.channelId))
    return row
  }
  type Context = NonNullable<Awaited<ReturnType<typeof contextOf>>>

  const markDelivered = (tx: DbOrTx, d: Claimed, status: number | null) =>
    tx
      .update(deliveries)
      .set({ state: 'delivered', deliveredAt: clock.now(), lastStatus: status, lastError: null })
      .where(and(eq(deliveries.id, d.id), inArray(deliveries.state, ['pending', 'failed'])))

  const userOf = async (tx: DbOrTx, userId: string | null) => {
    if (!userId) return undefined
    const [u] = await tx.select({ email: users.email, verifiedAt: users.emailVerifiedAt, antiPhishingCode: users.antiPhishingCode }).from(users).where(eq(users.id, userId))
    return u
  }

  const sendEmail = ({ channel, alert, workspaceName }: Context, d: Claimed): Promise<Outcome> =>
    db.transaction(async (tx) => {
      const user = await userOf(tx, channel.userId)
      if (!user || !channel.userId) return { ok: false, status: null, error: 'the member of this channel no longer exists', isFinal: true }
      if (!user.verifiedAt) return { ok: false, status: null, error: 'the email address is not verified' }
      const emergencyLink = deps.emergencyLinkFor ? await deps.emergencyLinkFor(tx, channel.workspaceId, channel.userId) : undefined
      await deps.outbox.sendIn(
        tx,
        { userId: channel.userId, address: user.email },
        {
          template: 'alert_notification',
          vars: { workspaceName, rule: alert.rule, severity: alert.severity, title: alertTitle(alert.rule), summary: alertSummary({ details: alert.details as Record<string, unknown>, occurrences: alert.occurrences }), occurredAt: alert.createdAt, emergencyLink },
        },
      )
      await markDelivered(tx, d, null)
      return { ok: true }
    })

  const sendTelegram = async ({ channel, alert, workspaceName }: Context): Promise<Outcome> => {
    const chatId = (channel.config as ChannelConfig).chatId
    if (!deps.telegram) return { ok: false, status: null, error: 'Telegram is not configured on this server' }
    if (typeof chatId !== 'number') return { ok: false, status: null, error: 'no Telegram chat is linked' }
    const user = await userOf(db, channel.userId)
    const text = alertMessage({
      antiPhishingCode: user?.antiPhishingCode,
      workspaceName,
      severity: alert.severity,
      title: alertTitle(alert.rule),
      summary: alertSummary({ details: alert.details as Record<string, unknown>, occurrences: alert.occurrences }),
      rule: alert.rule,
      occurredAt: alert.createdAt,
    })
    try {
      await deps.telegram.send(chatId, text)
      return { ok: true }
    } catch (err) {
      const e = err as { message?: unknown; status?: unknown }
      return { ok: false, status: typeof e.status === 'number' ? e.status : null, error: typeof e.message === 'string' ? e.message : 'Telegram error' }
    }
  }

  const sendWebhook = async ({ channel, alert }: Context, d: Claimed): Promise<Outcome> => {
    const url = (channel.config as ChannelConfig).url
    if (!url || !channel.secretSealed) return { ok: false, status: null, error: 'no URL or signing secret stored', isFinal: true }
    let secret: string
    try {
      secret = openNotifySecret(webhookKey, channel.id, channel.secretSealed)
    } catch {
      return { ok: false, status: null, error: 'the stored signing secret does not open (INTEGRITY_FAILED)', isFinal: true }
    }
    const payload: WebhookPayload = { id: alert.id, workspaceId: channel.workspaceId, rule: alert.rule, severity: alert.severity, details: alert.details as Record<string, unknown>, occurredAt: alert.createdAt.toISOString() }
    const result = await postWebhook({ url, secret, deliveryId: d.id, body: JSON.stringify(payload), timestamp: String(Math.floor(clock.now().getTime() / 1000)) }, { allowPrivate }, webhookTimeoutMs)
    return result.ok ? { ok: true, status: result.status } : { ok: false, status: result.status, error: result.error ?? 'failed' }
  }

  const recordFailure = (d: Claimed, context: Context | undefined, outcome: Extract<Outcome, { ok: false }>) =>
    db.transaction(async (tx) => {
      const error = outcome.error.slice(0, 300)
      const isDead = outcome.isFinal === true || d.attempts >= maxAttempts
      const delay = retryDelaysMs[Math.min(d.attempts, retryDelaysMs.length) - 1] ?? retryDelaysMs.at(-1) ?? 3_600_000
      await tx
        .update(deliveries)
        .set({ state: isDead ? 'dead' : 'failed', lastStatus: outcome.status, lastError: error, ...(isDead ? {} : { nextAttemptAt: new Date(clock.now().getTime() + delay) }) })
        .where(and(eq(deliveries.id, d.id), inArray(deliveries.state, ['pending', 'failed'])))
      if (isDead && context) {
        await deps.alerts.raiseIn(tx, {
          workspaceId: context.channel.workspaceId,
          rule: CHANNEL_FAILING_RULE,
          dedupKey: context.channel.id,
          dedupWindowMs: 24 * 3_600_000,
          details: { channelId: context.channel.id, kind: context.channel.kind, label: context.channel.label, attempts: d.attempts, lastError: error },
        })
      }
      return isDead
    })

  /** Sends what is due, one delivery at a time. */
  const deliverDue = async (): Promise<{ delivered: number; failed: number; dead: number }> => {
    const claimed = await claimDue()
    const counts = { delivered: 0, failed: 0, dead: 0 }
    for (const d of claimed) {
      const context = await contextOf(d)
      let outcome: Outcome
      try {
        if (!context) outcome = { ok: false, status: null, error: 'the channel or alert is gone', isFinal: true }
        else if (context.channel.state !== 'active') outcome = { ok: false, status: null, error: `the channel is ${context.channel.state}`, isFinal: true }
        else if (context.channel.kind === 'email') outcome = await sendEmail(context, d)
        else if (context.channel.kind === 'telegram') outcome = await sendTelegram(context)
        else outcome = await sendWebhook(context, d)
      } catch (err) {
        // Our own failure (database, template): counted like any other, so the attempts stay bounded.
        logger.error({ deliveryId: d.id, error: err instanceof Error ? err.message : String(err) }, 'notification delivery crashed')
        outcome = { ok: false, status: null, error: 'internal error while sending' }
      }

      if (outcome.ok) {
        if (context?.channel.kind !== 'email') await markDelivered(db, d, outcome.status ?? null)
        counts.delivered++
        continue
      }
      // A channel switched off after dispatch is no failure of the channel: no alert about it.
      const isDead = await recordFailure(d, context?.channel.state === 'active' ? context : undefined, outcome)
      if (isDead) counts.dead++
      else counts.failed++
      logger.warn({ deliveryId: d.id, channelId: d.channelId, kind: context?.channel.kind, attempts: d.attempts, error: outcome.error, willRetry: !isDead }, 'notification delivery failed')
    }
    return counts
  }

  let round: Promise<unknown> = Promise.resolve()

  /** One round: dispatch until nothing is left (bounded), then deliver what is due. Rounds never overlap here. */
  const tick = (): Promise<{ dispatched: number; delivered: number; failed: number; dead: number }> => {
    const run = async () => {
      let dispatched = 0
      for (let i = 0; i < 20; i++) {
        const { alerts: n } = await dispatch()
        dispatched += n
        if (n < batchSize) break
      }
      return { dispatched, ...(await deliverDue()) }
    }
    const next = round.then(run, run)
    round = next.catch(() => {})
    return next
  }

  let timer: NodeJS.Timeout | undefined
  let isRunning = false
  let unsubscribe: (() => void) | undefined

  const schedule = (ms: number) => {
    if (!isRunning) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void loop(), ms)
    timer.unref()
  }
  const loop = async () => {
    try {
      await tick()
    } catch (err) {
      logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'notification round failed; trying again later')
    }
    schedule(deps.pollMs ?? 2_000)
  }

  /** Polls every `pollMs`; a raised alert (this instance) wakes it sooner. Timers do not keep the process alive. */
  const start = () => {
    if (isRunning) return
    isRunning = true
    unsubscribe = deps.alerts.onRaised?.(() => schedule(50))
    schedule(0)
  }

  const stop = async () => {
    isRunning = false
    unsubscribe?.()
    if (timer) clearTimeout(timer)
    await round
  }

  return { dispatch, deliverDue, tick, start, stop }
}

export type Notifier = ReturnType<typeof createNotifier>
