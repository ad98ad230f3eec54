import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import { Bot, GrammyError, HttpError, type Context } from 'grammy'
import type { Logger } from '../../lib/logger.js'
import type { Clock } from '../../lib/clock.js'
import { schema, type AlertSeverity, type Db } from '../../db/index.js'
import type { AuditChain } from '../audit-chain.js'
import { channelsOfChat, hashLinkCode } from './channels-service.js'
import { linkedMessage, NEUTRAL_ANSWER, statusMessage, type WorkspaceStatus } from './telegram-messages.js'

const { notificationChannels: channels, users, workspaces, alerts } = schema

export type TelegramDeps = {
  /** The bot token (from TELEGRAM_BOT_TOKEN_FILE). Only grammY sees it; it is never logged. */
  token: string
  /** TELEGRAM_API_ROOT (tests: a fake Bot API server on loopback). */
  apiRoot: string
  db: Db
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  audit: Pick<AuditChain, 'appendIn'>
  /**
   * More status lines for a workspace (running bots …), from domains monitoring may not import; the api root
   * passes it. Open alerts and the lock state are read here.
   */
  statusOf?: ((workspaceId: string) => Promise<string>) | undefined
  /** Long-poll timeout in seconds (Telegram's getUpdates `timeout`). */
  pollTimeoutSeconds?: number
}

/** A link code as typed: base64url, 20 characters (`randomToken(15)`); anything else is not tried. */
const codeShape = /^[A-Za-z0-9_-]{20}$/

export class TelegramSendError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message)
    this.name = 'TelegramSendError'
  }
}

/**
 * The Telegram side of notifications, on grammY with long polling: links a member's private chat with the
 * one-time code, answers /status, and sends alert messages. Unknown chats, group chats and wrong or expired
 * codes all get the same neutral answer, which names no account and no workspace.
 */
export const createTelegram = ({ token, apiRoot, db, clock, logger, audit, statusOf, pollTimeoutSeconds = 30 }: TelegramDeps) => {
  const bot = new Bot(token, { client: { apiRoot: apiRoot.replace(/\/+$/, '') } })
  const describeError = describeErrorWith(token)
  let username: string | undefined

  const antiPhishingCodeOf = async (userId: string | null): Promise<string | null> => {
    if (!userId) return null
    const [u] = await db.select({ code: users.antiPhishingCode }).from(users).where(eq(users.id, userId))
    return u?.code ?? null
  }

  /** Links the chat to the channel whose live code this is; undefined for a wrong or expired code. */
  const link = async (code: string, chatId: number) =>
    db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(channels)
        .where(and(eq(channels.kind, 'telegram'), eq(channels.linkCodeHash, hashLinkCode(code)), gt(channels.linkCodeExpiresAt, clock.now())))
        .for('update')
      if (!row) return undefined
      const [updated] = await tx
        .update(channels)
        .set({ config: { chatId }, state: 'active', linkCodeHash: null, linkCodeExpiresAt: null, updatedAt: clock.now() })
        .where(and(eq(channels.id, row.id), eq(channels.linkCodeHash, hashLinkCode(code))))
        .returning()
      if (!updated) return undefined
      await audit.appendIn(tx, {
        workspaceId: row.workspaceId,
        type: 'notification_channel_linked',
        actor: { type: 'user', id: row.userId ?? undefined },
        outcome: 'success',
        details: { channelId: row.id, kind: 'telegram' },
      })
      const [ws] = await tx.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.id, row.workspaceId))
      return { userId: row.userId, workspaceName: ws?.name ?? '', minSeverity: row.minSeverity as AlertSeverity }
    })

  const tryLink = async (ctx: Context, code: string): Promise<void> => {
    const chatId = ctx.chat?.id
    if (chatId === undefined || ctx.chat?.type !== 'private' || !codeShape.test(code)) {
      await ctx.reply(NEUTRAL_ANSWER)
      return
    }
    const linked = await link(code, chatId)
    if (!linked) {
      await ctx.reply(NEUTRAL_ANSWER)
      return
    }
    logger.info({ event: 'telegram_chat_linked' }, 'Telegram chat linked to a notification channel')
    await ctx.reply(linkedMessage({ antiPhishingCode: await antiPhishingCodeOf(linked.userId), workspaceName: linked.workspaceName, minSeverity: linked.minSeverity }))
  }

  const status = async (ctx: Context): Promise<void> => {
    const chatId = ctx.chat?.id
    const linked = chatId !== undefined && ctx.chat?.type === 'private' ? await channelsOfChat(db, chatId) : []
    const first = linked[0]
    if (!first) {
      await ctx.reply(NEUTRAL_ANSWER)
      return
    }
    const seen = new Set<string>()
    const states: WorkspaceStatus[] = []
    for (const c of linked) {
      if (seen.has(c.workspaceId)) continue
      seen.add(c.workspaceId)
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(alerts)
        .where(and(eq(alerts.workspaceId, c.workspaceId), isNull(alerts.readAt)))
      let extra: string | undefined
      try {
        extra = statusOf ? await statusOf(c.workspaceId) : undefined
      } catch {
        extra = 'Bots: status unavailable right now'
      }
      states.push({ workspaceName: c.workspaceName, isLocked: c.lockedAt !== null, unreadAlerts: row?.n ?? 0, extra })
    }
    await ctx.reply(statusMessage(await antiPhishingCodeOf(first.userId), states))
  }

  bot.command('start', (ctx) => (ctx.match ? tryLink(ctx, ctx.match.trim()) : ctx.reply(NEUTRAL_ANSWER)))
  bot.command('status', status)
  bot.on('message:text', (ctx) => {
    const text = ctx.message.text.trim()
    return codeShape.test(text) ? tryLink(ctx, text) : ctx.reply(NEUTRAL_ANSWER)
  })
  bot.catch((err) => {
    // The error's own message only: grammY's context would put the update (the chat's text) in the log.
    logger.warn({ error: describeError(err.error) }, 'Telegram update handling failed')
  })

  let polling: Promise<void> | undefined

  /** Starts long polling; resolves once the bot is initialized (getMe, deleteWebhook) and polling has begun. */
  const start = async (): Promise<void> => {
    if (polling) return
    await new Promise<void>((resolve, reject) => {
      polling = bot
        .start({
          timeout: pollTimeoutSeconds,
          allowed_updates: ['message'],
          onStart: (info) => {
            username = info.username
            logger.info({ bot: info.username }, 'Telegram bot polling')
            resolve()
          },
        })
        .catch((err: unknown) => {
          logger.error({ error: describeError(err) }, 'Telegram bot stopped: check TELEGRAM_BOT_TOKEN_FILE (or another instance polls the same bot)')
          reject(err instanceof Error ? new Error(describeError(err)) : new Error('Telegram start failed'))
        })
    })
  }

  const stop = async (): Promise<void> => {
    if (!polling) return
    const running = polling
    polling = undefined
    if (bot.isRunning()) await bot.stop().catch(() => {})
    await running.catch(() => {})
  }

  /** Sends a plain-text message. @throws TelegramSendError with Telegram's status and description (no token) */
  const send = async (chatId: number, text: string): Promise<void> => {
    try {
      await bot.api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true } })
    } catch (err) {
      throw new TelegramSendError(describeError(err), err instanceof GrammyError ? err.error_code : null)
    }
  }

  return { start, stop, send, botUsername: () => username }
}

export type Telegram = ReturnType<typeof createTelegram>

/**
 * Telegram's own error code and description, or the error's message with the token cut out: grammY keeps
 * the request URL (which holds the token) out of its errors, and this makes sure of it.
 */
const describeErrorWith =
  (token: string) =>
  (err: unknown): string => {
    if (err instanceof GrammyError) return `Telegram ${err.error_code}: ${err.description}`.split(token).join('[redacted]').slice(0, 300)
    if (err instanceof HttpError) return 'network error talking to the Telegram Bot API'
    const message = err instanceof Error ? err.message : String(err)
    return message.split(token).join('[redacted]').replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot[redacted]').slice(0, 300)
  }
