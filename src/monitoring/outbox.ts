import { asc, desc, isNull } from 'drizzle-orm'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'

const { emailOutbox } = schema

export type OutgoingEmail = {
  userId?: string | null
  to: string
  subject: string
  text: string
  /** Template name, for tests and for the anti-phishing-code check (R35). */
  template: string
}

export type OutboxMessage = OutgoingEmail & { id: string; createdAt: string; sentAt: string | null; attempts: number }

/**
 * Email is written to the outbox in the same transaction as the change it reports, then delivered by
 * the SMTP sender (accounts feature). With no mail server the outbox itself is readable (`bulwark outbox`).
 */
export const createOutbox = ({ db, clock }: { db: Db; clock: Clock }) => {
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

  const list = async (opts: { pendingOnly?: boolean; limit?: number } = {}): Promise<OutboxMessage[]> => {
    const q = db.select().from(emailOutbox)
    const rows = await (opts.pendingOnly ? q.where(isNull(emailOutbox.sentAt)).orderBy(asc(emailOutbox.createdAt)) : q.orderBy(desc(emailOutbox.createdAt))).limit(
      Math.min(opts.limit ?? 50, 500),
    )
    return rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      to: r.toAddress,
      subject: r.subject,
      text: r.textBody,
      template: r.template,
      createdAt: r.createdAt.toISOString(),
      sentAt: r.sentAt?.toISOString() ?? null,
      attempts: r.attempts,
    }))
  }

  return { enqueueIn, list }
}

export type Outbox = ReturnType<typeof createOutbox>
