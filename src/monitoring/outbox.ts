import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import { renderTemplated, type TemplatedEmail } from './email-templates.js'

const { emailOutbox, users } = schema

export type OutgoingEmail = {
  userId?: string | null
  to: string
  subject: string
  text: string
  /** Template name, for tests and for the anti-phishing-code check (R35). */
  template: string
}

export type OutboxMessage = OutgoingEmail & {
  id: string
  createdAt: string
  sentAt: string | null
  attempts: number
  /** Why the last delivery attempt failed (no credentials, no body); null once sent or never tried. */
  lastError: string | null
}

/**
 * Retry schedule of SMTP delivery. Attempt n (from 0) is due at createdAt + baseDelayMs × (2ⁿ − 1): with the
 * defaults 0 s, 30 s, 1.5 min, 3.5 min … and the 10th and last about 4.3 h after the change. The schedule
 * hangs off created_at because the table has no "next attempt" column.
 */
export const defaultOutboxRetry = { baseDelayMs: 30_000, maxAttempts: 10 } as const
export type OutboxRetry = { baseDelayMs: number; maxAttempts: number }

export const LINK_SENT = '[link sent]'

/**
 * Replaces every link that carries a token (`…?token=…`, `…#token=…`, `&token=…`) and every absolute URL with a
 * query or fragment by `[link sent]`. Applied when a message has been handed to the mail server, so a dump of
 * the database holds no usable reset, unlock or verification link.
 */
export const redactLinks = (text: string): string =>
  text.replace(/\bhttps?:\/\/[^\s<>"]*[?#][^\s<>"]*/gi, LINK_SENT).replace(/[^\s<>"]*[?#&]token=[^\s<>"]*/gi, LINK_SENT)

const ERROR_MAX_CHARS = 500

/**
 * Email is written to the outbox in the same transaction as the change it reports, then delivered by
 * the SMTP sender (email-sender.ts). With no mail server the outbox itself is readable (`bulwark outbox`).
 *
 * Bodies waiting here keep their live links on purpose: in embedded mode (no SMTP_URL) the operator reads
 * them from the outbox, so the outbox is the delivery channel. Only `markSent` strips them, once the mail
 * server has the message. A message that never gets sent keeps its links for the operator.
 */
export const createOutbox = ({ db, clock, retry = defaultOutboxRetry }: { db: Db; clock: Clock; retry?: OutboxRetry }) => {
  const enqueueIn = async (tx: DbOrTx, email: OutgoingEmail): Promise<string> => {
    const id = newId(clock.now().getTime())
    await tx.insert(emailOutbox).values({
      id,
      userId: email.userId ?? null,
      toAddress: email.to,
      subject: email.subject,
      textBody: email.text,
      template: email.template,
      createdAt: clock.now(),
    })
    return id
  }

  /**
   * Renders a template with the recipient's anti-phishing code, read in the caller's transaction (so a notice
   * of a code change shows the new code), and queues it. Structurally an `AccountMailer` (auth/account-mail.ts).
   */
  const sendIn = async (tx: DbOrTx, to: { userId: string; address: string }, mail: TemplatedEmail): Promise<void> => {
    const [user] = await tx.select({ antiPhishingCode: users.antiPhishingCode }).from(users).where(eq(users.id, to.userId))
    await enqueueIn(tx, { userId: to.userId, to: to.address, template: mail.template, ...renderTemplated(mail, { antiPhishingCode: user?.antiPhishingCode }) })
  }

  const toMessage = (r: typeof emailOutbox.$inferSelect): OutboxMessage => ({
    id: r.id,
    userId: r.userId,
    to: r.toAddress,
    subject: r.subject,
    text: r.textBody,
    template: r.template,
    createdAt: r.createdAt.toISOString(),
    sentAt: r.sentAt?.toISOString() ?? null,
    attempts: r.attempts,
    lastError: r.lastError,
  })

  const list = async (opts: { pendingOnly?: boolean; limit?: number } = {}): Promise<OutboxMessage[]> => {
    const q = db.select().from(emailOutbox)
    const rows = await (opts.pendingOnly ? q.where(isNull(emailOutbox.sentAt)).orderBy(asc(emailOutbox.createdAt)) : q.orderBy(desc(emailOutbox.createdAt))).limit(
      Math.min(opts.limit ?? 50, 500),
    )
    return rows.map(toMessage)
  }

  /**
   * Claims up to `limit` unsent messages whose next attempt is due, oldest first, counting the claim as an
   * attempt. Counting at claim time means a crash mid-send still spends an attempt (no endless loop on a
   * message that kills the sender) and pushes the message's next due time out, so a second sender polling
   * the same database skips it; SKIP LOCKED keeps two simultaneous claims apart. A message that was overdue
   * when claimed (no sender ran for a while) may be due again at once: run one sender per database, or
   * accept a rare duplicate there.
   */
  const claimDue = async (limit: number): Promise<OutboxMessage[]> => {
    const now = clock.now().toISOString()
    const dueAt = sql`${emailOutbox.createdAt} + (${retry.baseDelayMs}::double precision * (power(2, ${emailOutbox.attempts}) - 1)) * interval '1 millisecond'`
    const due = db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(and(isNull(emailOutbox.sentAt), lt(emailOutbox.attempts, retry.maxAttempts), sql`${dueAt} <= ${now}::timestamptz`))
      .orderBy(asc(emailOutbox.createdAt))
      .limit(Math.max(1, Math.min(limit, 500)))
      .for('update', { skipLocked: true })
    const rows = await db
      .update(emailOutbox)
      .set({ attempts: sql`${emailOutbox.attempts} + 1` })
      .where(and(inArray(emailOutbox.id, due), isNull(emailOutbox.sentAt)))
      .returning()
    return rows.map(toMessage).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
  }

  /**
   * Records delivery and replaces the stored body with its link-free copy. The text is redacted again here,
   * so a caller passing the original body still leaves no live link behind. False when already marked sent.
   */
  const markSent = async (id: string, redactedText: string): Promise<boolean> => {
    const rows = await db
      .update(emailOutbox)
      .set({ sentAt: clock.now(), textBody: redactLinks(redactedText), lastError: null })
      .where(and(eq(emailOutbox.id, id), isNull(emailOutbox.sentAt)))
      .returning({ id: emailOutbox.id })
    return rows.length === 1
  }

  /**
   * Records why an attempt failed (the attempt itself was counted by `claimDue`). `isPermanent` spends the
   * remaining attempts, for failures no retry can fix (a malformed address). `error` must already be free of
   * credentials and of the message body.
   */
  const markFailed = async (id: string, error: string, opts: { isPermanent?: boolean } = {}): Promise<{ attempts: number; willRetry: boolean } | null> => {
    const [row] = await db
      .update(emailOutbox)
      .set({
        lastError: error.slice(0, ERROR_MAX_CHARS),
        ...(opts.isPermanent ? { attempts: sql`greatest(${emailOutbox.attempts}, ${retry.maxAttempts}::integer)` } : {}),
      })
      .where(and(eq(emailOutbox.id, id), isNull(emailOutbox.sentAt)))
      .returning({ attempts: emailOutbox.attempts })
    return row ? { attempts: row.attempts, willRetry: row.attempts < retry.maxAttempts } : null
  }

  return { enqueueIn, sendIn, list, claimDue, markSent, markFailed }
}

export type Outbox = ReturnType<typeof createOutbox>
