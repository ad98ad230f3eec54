import { and, eq, gt, inArray, isNull, lt, ne, notExists, or, sql } from 'drizzle-orm'
import { schema, type BotStatus, type Db, type DbOrTx } from '../../db/index.js'

const { bots, tradingRuntimes, tradingHalts } = schema

/**
 * SQL of the bot runtime: leases and state of `bots`, heartbeats in `trading_runtimes`, the kill switch
 * in `trading_halts`. Every write a runtime makes to a bot it drives is a compare-and-swap on
 * (version, lease_owner = me, lease not expired): a runtime that lost its lease can never write.
 * Times come from the injected clock, never from the database's now(), so tests can move them.
 */

export type BotRow = typeof bots.$inferSelect

const haltedWorkspace = (db: DbOrTx) => db.select({ one: sql`1` }).from(tradingHalts).where(eq(tradingHalts.workspaceId, bots.workspaceId))

/** The lease is free, expired, or already ours. */
const leasable = (owner: string, now: Date) => or(isNull(bots.leaseOwner), lt(bots.leaseExpiresAt, now), eq(bots.leaseOwner, owner))

export const createBotStore = (db: Db) => {
  /**
   * Takes the leases of running bots nobody holds (never held, released, or expired: a stalled runtime's
   * bots), at most `limit`. One statement: two runtimes claiming at once never get the same bot
   * (PostgreSQL re-checks the WHERE on a row another transaction just changed; SKIP LOCKED lets the
   * second claimant pass over rows being taken instead of waiting).
   */
  const claim = async (input: { owner: string; now: Date; leaseMs: number; limit: number }): Promise<BotRow[]> => {
    const expires = new Date(input.now.getTime() + input.leaseMs)
    const free = and(eq(bots.status, 'running'), or(isNull(bots.leaseOwner), lt(bots.leaseExpiresAt, input.now)), notExists(haltedWorkspace(db)))
    const candidates = db.select({ id: bots.id }).from(bots).where(free).orderBy(bots.leaseExpiresAt).limit(input.limit).for('update', { skipLocked: true })
    return db
      .update(bots)
      .set({ leaseOwner: input.owner, leaseExpiresAt: expires })
      .where(and(inArray(bots.id, candidates), free))
      .returning()
  }

  /** Takes one running bot's lease (free, expired or ours), e.g. to deliver an event to it here. */
  const claimOne = async (input: { id: string; owner: string; now: Date; leaseMs: number }): Promise<BotRow | null> => {
    const [row] = await db
      .update(bots)
      .set({ leaseOwner: input.owner, leaseExpiresAt: new Date(input.now.getTime() + input.leaseMs) })
      .where(and(eq(bots.id, input.id), eq(bots.status, 'running'), leasable(input.owner, input.now), notExists(haltedWorkspace(db))))
      .returning()
    return row ?? null
  }

  /** Extends the leases still ours; the ids missing from the answer are lost (released, expired and taken, or paused elsewhere). */
  const renew = async (input: { owner: string; ids: readonly string[]; now: Date; leaseMs: number }): Promise<Set<string>> => {
    const renewed = new Set<string>()
    for (let i = 0; i < input.ids.length; i += 1000) {
      const ids = input.ids.slice(i, i + 1000)
      const rows = await db
        .update(bots)
        .set({ leaseExpiresAt: new Date(input.now.getTime() + input.leaseMs) })
        .where(and(inArray(bots.id, ids), eq(bots.leaseOwner, input.owner), eq(bots.status, 'running')))
        .returning({ id: bots.id })
      for (const r of rows) renewed.add(r.id)
    }
    return renewed
  }

  /** Lets go of leases we hold (a bot this runtime stopped driving, or all of them at shutdown). */
  const release = async (input: { owner: string; ids?: readonly string[] }): Promise<void> => {
    const mine = eq(bots.leaseOwner, input.owner)
    await db
      .update(bots)
      .set({ leaseOwner: null, leaseExpiresAt: null })
      .where(input.ids === undefined ? mine : and(mine, inArray(bots.id, [...input.ids])))
  }

  /**
   * Writes a transition: the state, and with `status` the end of the bot's run here (the lease is let
   * go). False when the bot's version moved or the lease is not ours and current: nothing was written.
   */
  const writeState = async (input: { id: string; owner: string; version: number; now: Date; state: unknown; status?: { status: BotStatus; reason: string | null } }): Promise<boolean> => {
    const rows = await db
      .update(bots)
      .set({
        state: input.state,
        version: sql`${bots.version} + 1`,
        updatedAt: input.now,
        ...(input.status === undefined ? {} : { status: input.status.status, statusReason: input.status.reason, leaseOwner: null, leaseExpiresAt: null }),
      })
      .where(and(eq(bots.id, input.id), eq(bots.version, input.version), eq(bots.leaseOwner, input.owner), gt(bots.leaseExpiresAt, input.now)))
      .returning({ id: bots.id })
    return rows.length === 1
  }

  /**
   * Sets a bot running and takes its lease in one statement: only from `from`, only while its
   * workspace is not halted, only when no other runtime holds it.
   */
  const markRunning = async (input: { id: string; owner: string; now: Date; leaseMs: number; from: readonly BotStatus[] }): Promise<BotRow | null> => {
    const [row] = await db
      .update(bots)
      .set({
        status: 'running',
        statusReason: null,
        version: sql`${bots.version} + 1`,
        leaseOwner: input.owner,
        leaseExpiresAt: new Date(input.now.getTime() + input.leaseMs),
        updatedAt: input.now,
        startedAt: sql`coalesce(${bots.startedAt}, ${input.now.toISOString()}::timestamptz)`,
      })
      .where(and(eq(bots.id, input.id), inArray(bots.status, [...input.from]), leasable(input.owner, input.now), notExists(haltedWorkspace(db))))
      .returning()
    return row ?? null
  }

  /**
   * Pauses or stops bots whatever runtime drives them: the version moves and the lease is cleared, so
   * that runtime's next write fails and its next renewal drops the bot.
   */
  const setStatus = async (input: ({ ids: readonly string[] } | { workspaceId: string }) & { from: readonly BotStatus[]; status: BotStatus; reason: string; now: Date }): Promise<string[]> => {
    const scope = 'ids' in input ? inArray(bots.id, [...input.ids]) : eq(bots.workspaceId, input.workspaceId)
    const rows = await db
      .update(bots)
      .set({ status: input.status, statusReason: input.reason, version: sql`${bots.version} + 1`, leaseOwner: null, leaseExpiresAt: null, updatedAt: input.now })
      .where(and(scope, inArray(bots.status, [...input.from])))
      .returning({ id: bots.id })
    return rows.map((r) => r.id)
  }

  const get = async (id: string): Promise<BotRow | null> => {
    const [row] = await db.select().from(bots).where(eq(bots.id, id))
    return row ?? null
  }

  // --- runtimes (heartbeats) ---

  const registerRuntime = async (input: { id: string; host: string; now: Date }): Promise<void> => {
    await db
      .insert(tradingRuntimes)
      .values({ id: input.id, host: input.host, startedAt: input.now, heartbeatAt: input.now })
      .onConflictDoUpdate({ target: tradingRuntimes.id, set: { host: input.host, startedAt: input.now, heartbeatAt: input.now, stoppedAt: null, stallReportedAt: null } })
  }

  /** A beat also clears an old stall report, so a runtime that stalls again is reported again. */
  const beat = async (input: { id: string; now: Date }): Promise<boolean> => {
    const rows = await db
      .update(tradingRuntimes)
      .set({ heartbeatAt: input.now, stallReportedAt: null, stoppedAt: null })
      .where(eq(tradingRuntimes.id, input.id))
      .returning({ id: tradingRuntimes.id })
    return rows.length === 1
  }

  /** Marks the other runtimes whose heartbeat is older than `before` stalled, each once; returns them. */
  const reportStalled = async (input: { self: string; before: Date; now: Date }) =>
    db
      .update(tradingRuntimes)
      .set({ stallReportedAt: input.now })
      .where(and(ne(tradingRuntimes.id, input.self), isNull(tradingRuntimes.stoppedAt), isNull(tradingRuntimes.stallReportedAt), lt(tradingRuntimes.heartbeatAt, input.before)))
      .returning({ id: tradingRuntimes.id, host: tradingRuntimes.host, heartbeatAt: tradingRuntimes.heartbeatAt })

  const markStopped = async (input: { id: string; now: Date }): Promise<void> => {
    await db.update(tradingRuntimes).set({ stoppedAt: input.now }).where(eq(tradingRuntimes.id, input.id))
  }

  // --- the kill switch ---

  /** False when the workspace was already halted (the first halt's reason stays). */
  const insertHalt = async (input: { workspaceId: string; userId: string | null; reason: string; now: Date }): Promise<boolean> => {
    const rows = await db
      .insert(tradingHalts)
      .values({ workspaceId: input.workspaceId, haltedAt: input.now, haltedBy: input.userId, reason: input.reason })
      .onConflictDoNothing()
      .returning({ id: tradingHalts.workspaceId })
    return rows.length === 1
  }

  const deleteHalt = async (workspaceId: string): Promise<boolean> => {
    const rows = await db.delete(tradingHalts).where(eq(tradingHalts.workspaceId, workspaceId)).returning({ id: tradingHalts.workspaceId })
    return rows.length === 1
  }

  const haltOf = async (workspaceId: string) => {
    const [row] = await db.select().from(tradingHalts).where(eq(tradingHalts.workspaceId, workspaceId))
    return row ?? null
  }

  return { claim, claimOne, renew, release, writeState, markRunning, setStatus, get, registerRuntime, beat, reportStalled, markStopped, insertHalt, deleteHalt, haltOf }
}
export type BotStore = ReturnType<typeof createBotStore>
