import { and, asc, desc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { schema, type Db, type DbOrTx, type IntentState, type TradingAccountKind } from '../../db/index.js'

const { orderIntents, reconcileCursors, exchangeAccounts } = schema

export type IntentRow = typeof orderIntents.$inferSelect
export type NewIntentRow = typeof orderIntents.$inferInsert
/** The columns a state change may write (never the order itself, its key or its client order id). */
export type IntentPatch = Partial<Pick<IntentRow, 'state' | 'exchangeOrderId' | 'filled' | 'average' | 'fee' | 'feeCurrency' | 'reason' | 'unresolved' | 'sentAt' | 'checkedAt'>> & { updatedAt: Date }

/**
 * SQL on the order journal (order_intents) and the foreign-order cursors. Every state change is a
 * compare-and-swap on the state the caller read: two writers (a placement and reconciliation, or two
 * api instances) cannot both move one intent, so only one of them may send it.
 */
export const createJournalStore = (db: Db) => {
  /** Inserts a new intent; null when one with the same (bot, key) or (account, client order id) exists. */
  const insert = async (row: NewIntentRow, tx: DbOrTx = db): Promise<IntentRow | null> => {
    const [inserted] = await tx.insert(orderIntents).values(row).onConflictDoNothing().returning()
    return inserted ?? null
  }

  const byId = async (id: string, tx: DbOrTx = db): Promise<IntentRow | null> => {
    const [row] = await tx.select().from(orderIntents).where(eq(orderIntents.id, id))
    return row ?? null
  }

  /** The intent a bot named `key`; for orders without a bot, the workspace's intent of that key on that account. */
  const byKey = async (q: { workspaceId: string; botId: string | null; key: string; accountKind?: TradingAccountKind; accountId?: string }, tx: DbOrTx = db): Promise<IntentRow | null> => {
    const where =
      q.botId !== null
        ? and(eq(orderIntents.botId, q.botId), eq(orderIntents.intentKey, q.key))
        : and(
            eq(orderIntents.workspaceId, q.workspaceId),
            isNull(orderIntents.botId),
            eq(orderIntents.intentKey, q.key),
            ...(q.accountKind && q.accountId ? [eq(orderIntents.accountKind, q.accountKind), eq(orderIntents.accountId, q.accountId)] : []),
          )
    const [row] = await tx.select().from(orderIntents).where(where).orderBy(asc(orderIntents.createdAt)).limit(1)
    return row ?? null
  }

  const byClientOrderId = async (accountKind: TradingAccountKind, accountId: string, clientOrderId: string, tx: DbOrTx = db): Promise<IntentRow | null> => {
    const [row] = await tx
      .select()
      .from(orderIntents)
      .where(and(eq(orderIntents.accountKind, accountKind), eq(orderIntents.accountId, accountId), eq(orderIntents.clientOrderId, clientOrderId)))
    return row ?? null
  }

  /** Compare-and-swap: writes `patch` only while the intent is still in one of `from`; null when it was not. */
  const transition = async (id: string, from: IntentState | readonly IntentState[], patch: IntentPatch, tx: DbOrTx = db): Promise<IntentRow | null> => {
    const states = typeof from === 'string' ? [from] : [...from]
    const [row] = await tx
      .update(orderIntents)
      .set(patch)
      .where(and(eq(orderIntents.id, id), inArray(orderIntents.state, states)))
      .returning()
    return row ?? null
  }

  const ofBot = (botId: string, tx: DbOrTx = db): Promise<IntentRow[]> => tx.select().from(orderIntents).where(eq(orderIntents.botId, botId)).orderBy(asc(orderIntents.createdAt))

  /** Acknowledged and partially filled intents (resting on the venue), oldest first. */
  const open = (filter: { workspaceId?: string; botId?: string; accountKind?: TradingAccountKind; accountId?: string } = {}, tx: DbOrTx = db): Promise<IntentRow[]> =>
    tx
      .select()
      .from(orderIntents)
      .where(
        and(
          inArray(orderIntents.state, ['acknowledged', 'partially_filled']),
          ...(filter.workspaceId ? [eq(orderIntents.workspaceId, filter.workspaceId)] : []),
          ...(filter.botId ? [eq(orderIntents.botId, filter.botId)] : []),
          ...(filter.accountKind ? [eq(orderIntents.accountKind, filter.accountKind)] : []),
          ...(filter.accountId ? [eq(orderIntents.accountId, filter.accountId)] : []),
        ),
      )
      .orderBy(asc(orderIntents.createdAt))

  /**
   * What reconciliation must look at: `unknown` intents not yet reported unresolved, `sent` ones without
   * an answer (a crash between the compare-and-swap and the answer), and `intent` ones never sent (a crash
   * before it) — each only once it is older than `before`.
   */
  const toResolve = (before: Date, limit = 200, tx: DbOrTx = db): Promise<IntentRow[]> =>
    tx
      .select()
      .from(orderIntents)
      .where(
        or(
          and(eq(orderIntents.state, 'unknown'), eq(orderIntents.unresolved, false), or(isNull(orderIntents.sentAt), lte(orderIntents.sentAt, before))),
          and(eq(orderIntents.state, 'sent'), lte(orderIntents.sentAt, before)),
          and(eq(orderIntents.state, 'intent'), lte(orderIntents.createdAt, before)),
        ),
      )
      .orderBy(asc(orderIntents.createdAt))
      .limit(limit)

  /** Which of these exchange order ids and client order ids the journal has for an account. */
  const known = async (accountKind: TradingAccountKind, accountId: string, ids: { exchangeOrderIds: string[]; clientOrderIds: string[] }, tx: DbOrTx = db) => {
    if (ids.exchangeOrderIds.length === 0 && ids.clientOrderIds.length === 0) return { exchangeOrderIds: new Set<string>(), clientOrderIds: new Set<string>() }
    const rows = await tx
      .select({ exchangeOrderId: orderIntents.exchangeOrderId, clientOrderId: orderIntents.clientOrderId })
      .from(orderIntents)
      .where(
        and(
          eq(orderIntents.accountKind, accountKind),
          eq(orderIntents.accountId, accountId),
          or(
            ...(ids.exchangeOrderIds.length > 0 ? [inArray(orderIntents.exchangeOrderId, ids.exchangeOrderIds)] : []),
            ...(ids.clientOrderIds.length > 0 ? [inArray(orderIntents.clientOrderId, ids.clientOrderIds)] : []),
          ),
        ),
      )
    return {
      exchangeOrderIds: new Set(rows.flatMap((r) => (r.exchangeOrderId === null ? [] : [r.exchangeOrderId]))),
      clientOrderIds: new Set(rows.map((r) => r.clientOrderId)),
    }
  }

  /** Intents of an account and symbol that may be on the exchange without our knowing their exchange id yet. */
  const inFlight = (accountKind: TradingAccountKind, accountId: string, symbol: string, tx: DbOrTx = db): Promise<IntentRow[]> =>
    tx
      .select()
      .from(orderIntents)
      .where(
        and(
          eq(orderIntents.accountKind, accountKind),
          eq(orderIntents.accountId, accountId),
          eq(orderIntents.symbol, symbol),
          inArray(orderIntents.state, ['sent', 'unknown']),
          isNull(orderIntents.exchangeOrderId),
        ),
      )

  /** Exchange accounts with intents since `since`, with the symbols they traded (foreign-order scans). */
  const activeExchangeAccounts = async (since: Date, tx: DbOrTx = db): Promise<Array<{ workspaceId: string; accountId: string; symbols: string[] }>> => {
    const rows = await tx
      .selectDistinct({ workspaceId: orderIntents.workspaceId, accountId: orderIntents.accountId, symbol: orderIntents.symbol })
      .from(orderIntents)
      .where(and(eq(orderIntents.accountKind, 'exchange'), gte(orderIntents.createdAt, since)))
    const byAccount = new Map<string, { workspaceId: string; accountId: string; symbols: string[] }>()
    for (const r of rows) {
      const entry = byAccount.get(r.accountId) ?? { workspaceId: r.workspaceId, accountId: r.accountId, symbols: [] }
      entry.symbols.push(r.symbol)
      byAccount.set(r.accountId, entry)
    }
    return [...byAccount.values()].map((e) => ({ ...e, symbols: e.symbols.sort() }))
  }

  const exchangeAccount = async (workspaceId: string, id: string, tx: DbOrTx = db) => {
    const [row] = await tx
      .select({ id: exchangeAccounts.id, keyCreatedAt: exchangeAccounts.keyCreatedAt, createdAt: exchangeAccounts.createdAt, removedAt: exchangeAccounts.removedAt, state: exchangeAccounts.state })
      .from(exchangeAccounts)
      .where(and(eq(exchangeAccounts.id, id), eq(exchangeAccounts.workspaceId, workspaceId)))
    return row ?? null
  }

  const cursor = async (exchangeAccountId: string, tx: DbOrTx = db): Promise<number | null> => {
    const [row] = await tx.select({ tradesUntil: reconcileCursors.tradesUntil }).from(reconcileCursors).where(eq(reconcileCursors.exchangeAccountId, exchangeAccountId))
    return row?.tradesUntil ?? null
  }

  /** Moves the cursor forward only (two scans racing never move it back). */
  const advanceCursor = async (exchangeAccountId: string, tradesUntil: number, scannedAt: Date, tx: DbOrTx = db): Promise<void> => {
    await tx
      .insert(reconcileCursors)
      .values({ exchangeAccountId, tradesUntil, scannedAt })
      .onConflictDoUpdate({ target: reconcileCursors.exchangeAccountId, set: { tradesUntil: sql`greatest(${reconcileCursors.tradesUntil}, excluded.trades_until)`, scannedAt } })
  }

  /** Newest first, for listings. */
  const recentOfWorkspace = (workspaceId: string, limit = 100, tx: DbOrTx = db): Promise<IntentRow[]> =>
    tx.select().from(orderIntents).where(eq(orderIntents.workspaceId, workspaceId)).orderBy(desc(orderIntents.createdAt)).limit(Math.min(limit, 500))

  return { insert, byId, byKey, byClientOrderId, transition, ofBot, open, toResolve, known, inFlight, activeExchangeAccounts, exchangeAccount, cursor, advanceCursor, recentOfWorkspace }
}
export type JournalStore = ReturnType<typeof createJournalStore>
