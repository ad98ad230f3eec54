import { and, asc, desc, eq, gt, gte, sql, type SQL } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx, type Tx } from '../db/index.js'
import type { DemoEvent, DemoFill, DemoOrder, DemoSnapshot } from './engine/index.js'

const { demoAccounts, demoEvents, demoSnapshots, demoOrders, demoFills, demoFunding, demoLiquidations } = schema

/**
 * SQL access for the demo exchange: the engine's event log and snapshots, and the projections written
 * with them (ended orders, fills, funding, liquidations). The only demo file that imports db/.
 */

/** One engine step's output, and whatever else must commit with it. */
export type WriteItem = {
  events: readonly DemoEvent[]
  snapshot?: DemoSnapshot
  /** Runs inside the same transaction, after the rows of this batch are written. */
  extra?: (tx: Tx) => Promise<void>
}

const chunk = <T>(rows: T[], size: number): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

const accountOfEvent = (e: DemoEvent): string | null => {
  switch (e.type) {
    case 'account':
      return e.account.accountId
    case 'order':
      return e.order.accountId
    case 'fill':
      return e.fill.accountId
    case 'position':
      return e.position.accountId
    case 'funding_rate':
      return null
    default:
      return e.accountId
  }
}

const fillOfRow = (r: typeof demoFills.$inferSelect): DemoFill => ({
  id: r.id,
  orderId: r.orderId,
  clientOrderId: r.clientOrderId,
  accountId: r.accountId,
  symbol: r.symbol,
  side: r.side as DemoFill['side'],
  positionSide: r.positionSide as DemoFill['positionSide'],
  amount: r.amount,
  price: r.price,
  cost: r.cost,
  fee: r.fee,
  feeCurrency: r.feeCurrency,
  liquidity: r.liquidity as DemoFill['liquidity'],
  realizedPnl: r.realizedPnl,
  time: r.time,
})

export type DemoAccountRow = typeof demoAccounts.$inferSelect

export const createDemoStore = ({ db, clock }: { db: Db; clock: Clock }) => {
  /** Every item of a batch commits together or not at all; rows go in engine (seq) order. */
  const writeBatch = (items: readonly WriteItem[]): Promise<void> =>
    db.transaction(async (tx) => {
      const events: (typeof demoEvents.$inferInsert)[] = []
      const orders: (typeof demoOrders.$inferInsert)[] = []
      const fills: (typeof demoFills.$inferInsert)[] = []
      const funding: (typeof demoFunding.$inferInsert)[] = []
      const liquidations: (typeof demoLiquidations.$inferInsert)[] = []
      let snapshot: DemoSnapshot | undefined
      for (const item of items) {
        if (item.snapshot !== undefined) snapshot = item.snapshot
        for (const e of item.events) {
          events.push({ seq: e.seq, time: e.time, type: e.type, accountId: accountOfEvent(e), event: e })
          if (e.type === 'order' && e.order.status !== 'open') {
            const o = e.order
            orders.push({ id: o.id, seq: e.seq, accountId: o.accountId, symbol: o.symbol, clientOrderId: o.clientOrderId, status: o.status, updatedAt: o.updatedAt, order: o })
          } else if (e.type === 'fill') {
            const f = e.fill
            fills.push({ ...f, seq: e.seq })
          } else if (e.type === 'funding') {
            const { seq, accountId, symbol, positionSide, rate, markPrice, contracts, amount, fundingTime } = e
            funding.push({ seq, accountId, symbol, positionSide, rate, markPrice, contracts, amount, fundingTime })
          } else if (e.type === 'liquidation') {
            const { id, seq, accountId, symbol, positionSide, marginMode, side, contracts, markPrice, realizedPnl, fee, lossCovered, time } = e
            liquidations.push({ id, seq, accountId, symbol, positionSide, marginMode, side, contracts, markPrice, realizedPnl, fee, lossCovered, time })
          }
        }
      }
      // Below PostgreSQL's 65,535 parameters per statement.
      for (const rows of chunk(events, 2000)) await tx.insert(demoEvents).values(rows)
      for (const rows of chunk(orders, 2000)) await tx.insert(demoOrders).values(rows)
      for (const rows of chunk(fills, 2000)) await tx.insert(demoFills).values(rows)
      for (const rows of chunk(funding, 2000)) await tx.insert(demoFunding).values(rows)
      for (const rows of chunk(liquidations, 2000)) await tx.insert(demoLiquidations).values(rows)
      if (snapshot !== undefined) {
        const row = { seq: snapshot.counters.event, time: snapshot.time, takenAt: clock.now(), snapshot }
        await tx
          .insert(demoSnapshots)
          .values(row)
          .onConflictDoUpdate({ target: demoSnapshots.seq, set: { time: row.time, takenAt: row.takenAt, snapshot: row.snapshot } })
        // The newest two are kept: one to start from, one in case the newest is unreadable.
        await tx.execute(sql`delete from demo_snapshots where seq < (select min(seq) from (select seq from demo_snapshots order by seq desc limit 2) newest)`)
      }
      for (const item of items) if (item.extra !== undefined) await item.extra(tx)
    })

  const latestSnapshot = async (): Promise<DemoSnapshot | null> => {
    const [row] = await db.select({ snapshot: demoSnapshots.snapshot }).from(demoSnapshots).orderBy(desc(demoSnapshots.seq)).limit(1)
    return row === undefined ? null : (row.snapshot as DemoSnapshot)
  }

  /** Events after `seq`, in order, at most `limit`. */
  const eventsAfter = async (seq: number, limit: number): Promise<DemoEvent[]> => {
    const rows = await db.select({ event: demoEvents.event }).from(demoEvents).where(gt(demoEvents.seq, seq)).orderBy(asc(demoEvents.seq)).limit(limit)
    return rows.map((r) => r.event as DemoEvent)
  }

  /** An ended order by engine id or client order id (the latest with that client id). */
  const endedOrder = async (accountId: string, ref: { id?: string | undefined; clientOrderId?: string | undefined }): Promise<DemoOrder | null> => {
    const by = ref.id !== undefined ? eq(demoOrders.id, ref.id) : ref.clientOrderId !== undefined ? eq(demoOrders.clientOrderId, ref.clientOrderId) : undefined
    if (by === undefined) return null
    const [row] = await db
      .select({ order: demoOrders.order })
      .from(demoOrders)
      .where(and(eq(demoOrders.accountId, accountId), by))
      .orderBy(desc(demoOrders.seq))
      .limit(1)
    return row === undefined ? null : (row.order as DemoOrder)
  }

  /** Ended orders, newest first. */
  const endedOrders = async (accountId: string, opts: { symbol?: string | undefined; limit: number }): Promise<DemoOrder[]> => {
    const where: SQL[] = [eq(demoOrders.accountId, accountId)]
    if (opts.symbol !== undefined) where.push(eq(demoOrders.symbol, opts.symbol))
    const rows = await db
      .select({ order: demoOrders.order })
      .from(demoOrders)
      .where(and(...where))
      .orderBy(desc(demoOrders.seq))
      .limit(opts.limit)
    return rows.map((r) => r.order as DemoOrder)
  }

  /**
   * Fills in engine order. With `since`, the first `limit` at or after that time; without it, the
   * latest `limit` (still oldest first, as exchanges answer). `afterSeq` skips what came before a reset.
   */
  const fills = async (accountId: string, opts: { symbol?: string | undefined; since?: number | undefined; afterSeq?: number; limit?: number }): Promise<DemoFill[]> => {
    const where: SQL[] = [eq(demoFills.accountId, accountId)]
    if (opts.symbol !== undefined) where.push(eq(demoFills.symbol, opts.symbol))
    if (opts.since !== undefined) where.push(gte(demoFills.time, opts.since))
    if (opts.afterSeq !== undefined) where.push(gt(demoFills.seq, opts.afterSeq))
    const q = db
      .select()
      .from(demoFills)
      .where(and(...where))
    if (opts.limit === undefined) return (await q.orderBy(asc(demoFills.seq))).map(fillOfRow)
    if (opts.since !== undefined) return (await q.orderBy(asc(demoFills.seq)).limit(opts.limit)).map(fillOfRow)
    return (await q.orderBy(desc(demoFills.seq)).limit(opts.limit)).map(fillOfRow).reverse()
  }

  /** Sums since a reset: realized PnL and fees of fills and liquidations, funding paid or received. */
  const ledgerTotals = async (accountId: string, afterSeq: number) => {
    const one = async (q: Promise<{ v: string | null }[]>) => (await q)[0]?.v ?? '0'
    const f = and(eq(demoFills.accountId, accountId), gt(demoFills.seq, afterSeq))
    const l = and(eq(demoLiquidations.accountId, accountId), gt(demoLiquidations.seq, afterSeq))
    return {
      fillPnl: await one(db.select({ v: sql<string | null>`sum(${demoFills.realizedPnl})` }).from(demoFills).where(f)),
      fillFees: await one(db.select({ v: sql<string | null>`sum(${demoFills.fee})` }).from(demoFills).where(f)),
      liquidationPnl: await one(db.select({ v: sql<string | null>`sum(${demoLiquidations.realizedPnl})` }).from(demoLiquidations).where(l)),
      liquidationFees: await one(db.select({ v: sql<string | null>`sum(${demoLiquidations.fee})` }).from(demoLiquidations).where(l)),
      funding: await one(
        db
          .select({ v: sql<string | null>`sum(${demoFunding.amount})` })
          .from(demoFunding)
          .where(and(eq(demoFunding.accountId, accountId), gt(demoFunding.seq, afterSeq))),
      ),
    }
  }

  const lastEventSeq = async (tx: DbOrTx = db): Promise<number> => {
    const [row] = await tx.select({ seq: demoEvents.seq }).from(demoEvents).orderBy(desc(demoEvents.seq)).limit(1)
    return row?.seq ?? 0
  }

  const insertAccount = async (tx: DbOrTx, row: typeof demoAccounts.$inferInsert): Promise<void> => {
    await tx.insert(demoAccounts).values(row)
  }

  const listAccounts = (workspaceId: string): Promise<DemoAccountRow[]> =>
    db.select().from(demoAccounts).where(eq(demoAccounts.workspaceId, workspaceId)).orderBy(asc(demoAccounts.createdAt), asc(demoAccounts.id))

  const countAccounts = async (workspaceId: string): Promise<number> => {
    const [row] = await db.select({ n: sql<number | string>`count(*)` }).from(demoAccounts).where(eq(demoAccounts.workspaceId, workspaceId))
    return Number(row?.n ?? 0)
  }

  /** The account if it belongs to the workspace; an account of another workspace does not exist here. */
  const accountIn = async (workspaceId: string, id: string): Promise<DemoAccountRow | null> => {
    const [row] = await db
      .select()
      .from(demoAccounts)
      .where(and(eq(demoAccounts.workspaceId, workspaceId), eq(demoAccounts.id, id)))
      .limit(1)
    return row ?? null
  }

  const markReset = async (tx: DbOrTx, id: string, resetSeq: number): Promise<void> => {
    await tx
      .update(demoAccounts)
      .set({ resetCount: sql`${demoAccounts.resetCount} + 1`, resetSeq, lastResetAt: clock.now() })
      .where(eq(demoAccounts.id, id))
  }

  return { writeBatch, latestSnapshot, eventsAfter, endedOrder, endedOrders, fills, ledgerTotals, lastEventSeq, insertAccount, listAccounts, countAccounts, accountIn, markReset }
}
export type DemoStore = ReturnType<typeof createDemoStore>
