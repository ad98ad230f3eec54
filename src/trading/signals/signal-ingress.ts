import { eq } from 'drizzle-orm'
import { schema, type Db } from '../../db/index.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { uuidPattern } from '../../lib/ids.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../../monitoring/index.js'
import { signalBotConfigSchema } from '../trading-api-types.js'
import type { SignalAction, SignalInput } from '../trading-types.js'
import { createSlidingCounter, createTokenBuckets } from './rate-limit.js'
import { hasAcceptedSignal, markSignalRejected, recordSignal, type SignalDetails } from './signal-log.js'
import { checkLag, checkSecret, checkSignature, checkSourceIp, headerValue } from './webhook-auth.js'
import { parseSignalTime, parseWebhookBody, quote, toSignalInput } from './webhook-payload.js'
import { openWebhookSecret } from './webhook-secret.js'

const { bots } = schema

export type WebhookRequest = {
  botId: string
  rawBody: string
  headers: Record<string, string | string[] | undefined>
  /** The client address as the api resolved it (proxies trusted only from TRUSTED_PROXIES). */
  sourceIp: string
}

export type AcceptedSignal = { signalRowId: string; action: SignalAction; symbol: string }

export type SignalIngressDeps = {
  db: Db
  clock: Clock
  /** The platform's webhook key (32 bytes) that bots' secrets are sealed under. */
  webhookKey: Uint8Array
  /** Hands an accepted signal to the bot runtime; throws when it could not (the signal is then refused). */
  deliver: (bot: { id: string; workspaceId: string }, signal: SignalInput) => Promise<void>
  /**
   * Pauses a bot (R18): an AUTHENTICATED signal for a symbol outside the bot's list means its secret is
   * used by someone else or the sender is misconfigured — either way the bot stops taking signals until a
   * person looks. Wrong-secret noise never pauses anything (that would hand strangers an off switch).
   */
  pause?: (bot: { id: string; workspaceId: string }, reason: string) => Promise<void>
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
  /**
   * This many refusals of one bot within `windowMs` raise one `webhook_rejections_burst` alert per
   * window. Past `maxLogged` refusals in a window they are still counted and answered, but no longer
   * written to the log, so an unauthenticated flood cannot grow the table without bound.
   */
  burst?: { rejections: number; windowMs: number; maxLogged?: number } | undefined
}

type BotRow = { id: string; workspaceId: string; kind: string; status: string; config: unknown; webhookSecretSealed: string | null }

/** What was learned about the request before it was refused: it goes to the log row. */
type Seen = { action?: string | undefined; signalId?: string | undefined; details: SignalDetails; isSecretUnreadable?: boolean }

const conflict = (reason: string, message: string) => new AppError('CONFLICT', message, { reason })

/**
 * The webhook ingress of signal bots (issue 7, "Signal Bots"). The order of the checks matters:
 * the body's shape first (the same answer whether or not the bot exists), then the secret (unknown bot
 * and wrong secret are one answer), and only then anything that depends on the bot. Every refusal of
 * an existing signal bot is logged with its verdict and counted; nothing reaches `deliver` unless the
 * accepted row was written, and the partial unique index makes that happen once per signal id.
 */
export const createSignalIngress = ({ db, clock, webhookKey, deliver, pause, alerts, logger, burst }: SignalIngressDeps) => {
  const threshold = burst?.rejections ?? 10
  const windowMs = burst?.windowMs ?? 60_000
  const maxLogged = Math.max(burst?.maxLogged ?? 100, threshold)
  const buckets = createTokenBuckets(clock)
  const rejections = createSlidingCounter(clock, { windowMs, cap: maxLogged + 1 })
  const alertedAt = new Map<string, number>()
  /** Refusals already written (a failed delivery updates its own row). */
  const logged = new WeakSet<AppError>()

  const loadBot = async (botId: string): Promise<BotRow | undefined> => {
    const id = botId.toLowerCase()
    if (!uuidPattern.test(id)) return undefined
    const [row] = await db
      .select({ id: bots.id, workspaceId: bots.workspaceId, kind: bots.kind, status: bots.status, config: bots.config, webhookSecretSealed: bots.webhookSecretSealed })
      .from(bots)
      .where(eq(bots.id, id))
      .limit(1)
    return row?.kind === 'signal_bot' ? row : undefined
  }

  /** The bot's secret, or undefined; a sealed secret that does not open is an incident, answered like a wrong one. */
  const secretOf = async (bot: BotRow | undefined, seen: Seen): Promise<string | undefined> => {
    if (bot?.webhookSecretSealed == null) return undefined
    try {
      return openWebhookSecret(webhookKey, bot.id, bot.webhookSecretSealed)
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'INTEGRITY_FAILED') throw err
      seen.isSecretUnreadable = true
      await alerts.raise({ workspaceId: bot.workspaceId, rule: 'webhook_secret_integrity_failed', severity: 'critical', details: { botId: bot.id }, dedupKey: bot.id, dedupWindowMs: 3_600_000 })
      return undefined
    }
  }

  const accept = async (req: WebhookRequest, bot: BotRow | undefined, receivedAt: Date, seen: Seen): Promise<AcceptedSignal> => {
    const body = parseWebhookBody(req.rawBody, headerValue(req.headers, 'content-type'))
    seen.action = body.action
    seen.signalId = body.signalId
    seen.details = { action: body.action, symbol: body.symbol, amount: body.amount?.toString(), price: body.price?.toString(), takeProfit: body.takeProfit?.toString(), stopLoss: body.stopLoss?.toString() }

    checkSecret(body.secret, await secretOf(bot, seen))
    if (bot === undefined) throw new AppError('INTERNAL', 'unreachable: a secret matched without a bot')
    const secret = body.secret

    const config = signalBotConfigSchema.safeParse(bot.config)
    if (!config.success) throw new AppError('INTERNAL', 'this bot\'s stored configuration is not valid: edit and save the bot again')
    const { source, symbols, sides } = config.data
    if (source.kind !== 'webhook') throw conflict('WEBHOOK_DISABLED', 'this bot takes its signals from an indicator, not from webhooks')

    checkSourceIp(req.sourceIp, source.allowIps)
    const nowMs = receivedAt.getTime()
    const { isSigned } = checkSignature({ secret, rawBody: req.rawBody, headers: req.headers, nowMs, maxLagSeconds: source.maxLagSeconds, required: source.requireSignature })
    seen.details.isSigned = isSigned
    if (!buckets.take(bot.id, source.ratePerMinute)) {
      throw new AppError('RATE_LIMITED', `this bot accepts ${source.ratePerMinute} signals a minute: wait ${buckets.retryAfterSeconds(bot.id)} s`, { reason: 'RATE_LIMITED' })
    }
    if (bot.status !== 'running') throw conflict('BOT_NOT_RUNNING', `the bot is ${bot.status}, not running: start it to act on signals`)

    let signal: SignalInput
    try {
      signal = toSignalInput(body, symbols)
    } catch (err) {
      if (err instanceof AppError && err.reason === 'UNKNOWN_SYMBOL') await offList(bot, body.symbol ?? '')
      throw err
    }
    seen.details = { ...seen.details, action: signal.action, symbol: signal.symbol, amount: signal.amount, price: signal.price, takeProfit: signal.takeProfit, stopLoss: signal.stopLoss }
    if ((signal.action === 'enter_short' && sides === 'long') || (signal.action === 'enter_long' && sides === 'short')) {
      throw new AppError('BAD_INPUT', `this bot takes ${sides} entries only: ${signal.action} is refused`, { reason: 'SIDE_NOT_ALLOWED' })
    }
    // Logged for stale refusals too: a steady lag in the log points at the sender's clock or queue.
    const signalTimeMs = parseSignalTime(body.timestamp)
    seen.details.lagMs = nowMs - signalTimeMs
    checkLag('the signal', signalTimeMs, nowMs, source.maxLagSeconds)

    const duplicate = () => conflict('DUPLICATE_SIGNAL', `signal ${quote(signal.signalId ?? '')} was already accepted: each signal id is acted on once`)
    if (signal.signalId !== undefined && (await hasAcceptedSignal(db, bot.id, signal.signalId))) throw duplicate()
    const row = await recordSignal(db, {
      botId: bot.id,
      workspaceId: bot.workspaceId,
      source: 'webhook',
      signalId: signal.signalId,
      action: signal.action,
      verdict: 'accepted',
      message: `${signal.action} ${signal.symbol}`,
      sourceIp: req.sourceIp,
      details: seen.details,
      receivedAt,
    })
    // The unique index decided: another delivery of this signal id won the race.
    if (row.isDuplicate) throw duplicate()

    try {
      await deliver({ id: bot.id, workspaceId: bot.workspaceId }, signal)
    } catch (err) {
      if (!(err instanceof AppError)) logger?.error({ err, botId: bot.id }, 'could not hand a signal to the bot')
      const refusal = err instanceof AppError ? err : new AppError('UNAVAILABLE', 'the bot could not take the signal now: send it again', { cause: err })
      // Not accepted after all, so the sender may retry with the same signal id.
      await markSignalRejected(db, row.id, { code: refusal.code, message: refusal.message })
      logged.add(refusal)
      throw refusal
    }
    return { signalRowId: row.id, action: signal.action, symbol: signal.symbol }
  }

  /** R18: an authenticated signal for a symbol the bot does not trade pauses it, with a critical alert. */
  const offList = async (bot: BotRow, symbol: string) => {
    const reason = `paused: an authenticated signal asked for "${symbol.slice(0, 40)}", which is not in this bot's symbol list (is the webhook secret used elsewhere?)`
    await alerts.raise({ workspaceId: bot.workspaceId, rule: 'signal_symbol_not_allowed', severity: 'critical', details: { botId: bot.id, symbol: symbol.slice(0, 40) }, dedupKey: bot.id })
    await pause?.({ id: bot.id, workspaceId: bot.workspaceId }, reason).catch((err: unknown) => logger?.error({ err, botId: bot.id }, 'could not pause a bot after an off-list signal'))
  }

  const raiseBurst = async (bot: BotRow, count: number, err: AppError) => {
    const now = clock.now().getTime()
    const last = alertedAt.get(bot.id)
    if (last !== undefined && now - last < windowMs) return
    alertedAt.set(bot.id, now)
    await alerts.raise({
      workspaceId: bot.workspaceId,
      rule: 'webhook_rejections_burst',
      severity: 'warning',
      details: { botId: bot.id, rejections: count, windowSeconds: Math.round(windowMs / 1000), lastCode: err.code, lastReason: err.reason ?? null },
      // A sustained attack is one alert counting its bursts, not one alert per window.
      dedupKey: bot.id,
      dedupWindowMs: Math.max(windowMs, 3_600_000),
    })
  }

  /** Logs and counts a refusal of an existing bot; the refusal itself is rethrown by the caller. */
  const refuse = async (bot: BotRow, req: WebhookRequest, receivedAt: Date, seen: Seen, err: AppError) => {
    const count = rejections.add(bot.id)
    try {
      if (count <= maxLogged) {
        await recordSignal(db, {
          botId: bot.id,
          workspaceId: bot.workspaceId,
          source: 'webhook',
          signalId: seen.signalId,
          action: seen.action,
          verdict: 'rejected',
          code: err.code,
          message: err.message,
          sourceIp: req.sourceIp,
          details: { ...seen.details, reason: seen.isSecretUnreadable ? 'SECRET_UNREADABLE' : err.reason },
          receivedAt,
        })
      }
      if (count >= threshold) await raiseBurst(bot, count, err)
    } catch (logErr) {
      // The refusal stands either way; a log that cannot be written must not turn it into a 500.
      logger?.error({ err: logErr, botId: bot.id }, 'could not log a refused signal')
    }
  }

  /**
   * Authenticates, checks and logs one webhook signal, then hands it to the bot.
   * @throws AppError for every refusal (logged first when the bot exists): UNAUTHENTICATED, FORBIDDEN,
   *   BAD_INPUT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, RATE_LIMITED, CONFLICT — each with a reason
   */
  const receive = async (req: WebhookRequest): Promise<AcceptedSignal> => {
    const receivedAt = clock.now()
    const bot = await loadBot(req.botId)
    const seen: Seen = { details: {} }
    try {
      return await accept(req, bot, receivedAt, seen)
    } catch (err) {
      if (bot !== undefined && err instanceof AppError && !logged.has(err)) await refuse(bot, req, receivedAt, seen, err)
      throw err
    }
  }

  return { receive }
}
export type SignalIngress = ReturnType<typeof createSignalIngress>
