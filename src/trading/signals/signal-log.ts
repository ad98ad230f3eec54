import { and, desc, eq, lt } from 'drizzle-orm'
import { schema, type DbOrTx } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import { newId, uuidPattern } from '../../lib/ids.js'

const { botSignals } = schema

/**
 * The signal log (`bot_signals`): every signal a bot received, webhook or indicator, with its verdict.
 * At most one accepted row per (bot, signalId) — the partial unique index is the final guard when two
 * deliveries of the same signal race.
 */

export type SignalSource = 'webhook' | 'indicator'
export type SignalVerdict = 'accepted' | 'rejected'

/**
 * What a row may say about the signal besides its verdict. A closed set of fields, so the secret, the
 * raw body or a header can never be written here by accident.
 */
export type SignalDetails = {
  action?: string | undefined
  symbol?: string | undefined
  amount?: string | undefined
  price?: string | undefined
  takeProfit?: string | undefined
  stopLoss?: string | undefined
  /** Receive time minus the signal's own timestamp (negative: from the future). */
  lagMs?: number | undefined
  /** The refusal's reason (UNKNOWN_ACTION, STALE_SIGNAL, …) when its code alone does not say. */
  reason?: string | undefined
  /** Whether the request carried a valid HMAC signature. */
  isSigned?: boolean | undefined
}

const detailKeys = ['action', 'symbol', 'amount', 'price', 'takeProfit', 'stopLoss', 'lagMs', 'reason', 'isSigned'] as const satisfies ReadonlyArray<keyof SignalDetails>

/** Only the known fields, strings cut short: senders' values are stored, never trusted to be small. */
const cleanDetails = (details: SignalDetails): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {}
  for (const key of detailKeys) {
    const value = details[key]
    if (typeof value === 'string') out[key] = value.slice(0, 64)
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value
    else if (typeof value === 'boolean') out[key] = value
  }
  return out
}

export type RecordSignalInput = {
  botId: string
  workspaceId: string
  source: SignalSource
  signalId?: string | null | undefined
  /** The mapped action when accepted; the sender's word (cut short) when refused. */
  action?: string | null | undefined
  verdict: SignalVerdict
  /** The refusal's error code; null when accepted. */
  code?: string | null | undefined
  message: string
  sourceIp?: string | null | undefined
  details: SignalDetails
  receivedAt: Date
}

/**
 * Appends one row. An accepted signal whose (bot, signalId) already has an accepted row is not written:
 * `duplicate` is true and the caller refuses it (and logs that refusal as a rejected row).
 */
export const recordSignal = async (db: DbOrTx, input: RecordSignalInput): Promise<{ id: string; isDuplicate: boolean }> => {
  const id = newId(input.receivedAt.getTime())
  const inserted = await db
    .insert(botSignals)
    .values({
      id,
      botId: input.botId,
      workspaceId: input.workspaceId,
      source: input.source,
      receivedAt: input.receivedAt,
      signalId: input.signalId ?? null,
      action: input.action?.slice(0, 32) ?? null,
      verdict: input.verdict,
      code: input.code ?? null,
      message: input.message.slice(0, 500),
      sourceIp: input.sourceIp?.slice(0, 64) ?? null,
      details: cleanDetails(input.details),
    })
    // No conflict target: the only unique index besides the key is the partial (bot, signalId) one for
    // accepted rows, and DO NOTHING keeps a surrounding transaction usable.
    .onConflictDoNothing()
    .returning({ id: botSignals.id })
  return { id, isDuplicate: inserted.length === 0 }
}

/** Whether the bot already accepted a signal with this id (the fast path; recordSignal is the guard). */
export const hasAcceptedSignal = async (db: DbOrTx, botId: string, signalId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: botSignals.id })
    .from(botSignals)
    .where(and(eq(botSignals.botId, botId), eq(botSignals.signalId, signalId), eq(botSignals.verdict, 'accepted')))
    .limit(1)
  return rows.length > 0
}

/**
 * Turns an accepted row into a refusal, when the bot could not be handed the signal: the sender may
 * then deliver the same signal id again.
 */
export const markSignalRejected = async (db: DbOrTx, id: string, refusal: { code: string; message: string }): Promise<void> => {
  await db.update(botSignals).set({ verdict: 'rejected', code: refusal.code, message: refusal.message.slice(0, 500) }).where(eq(botSignals.id, id))
}

export type SignalLogEntry = {
  id: string
  source: string
  receivedAt: string
  signalId: string | null
  action: string | null
  verdict: SignalVerdict
  code: string | null
  message: string
  sourceIp: string | null
  details: Record<string, unknown>
}

/**
 * A bot's signals, newest first; `before` is the id of the last row of the previous page. The caller
 * has checked that the bot is the workspace's.
 */
export const listSignals = async (db: DbOrTx, botId: string, opts: { limit?: number; before?: string | undefined } = {}): Promise<SignalLogEntry[]> => {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 500)
  if (opts.before !== undefined && !uuidPattern.test(opts.before)) throw new AppError('BAD_INPUT', 'before: must be the id of a signal from the previous page')
  const scope = opts.before === undefined ? eq(botSignals.botId, botId) : and(eq(botSignals.botId, botId), lt(botSignals.id, opts.before))
  const rows = await db.select().from(botSignals).where(scope).orderBy(desc(botSignals.id)).limit(limit)
  return rows.map((r) => ({
    id: r.id,
    source: r.source,
    receivedAt: r.receivedAt.toISOString(),
    signalId: r.signalId,
    action: r.action,
    verdict: r.verdict === 'accepted' ? 'accepted' : 'rejected',
    code: r.code,
    message: r.message,
    sourceIp: r.sourceIp,
    details: r.details as Record<string, unknown>,
  }))
}
