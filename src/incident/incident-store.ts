import { and, asc, desc, eq, inArray, isNull, lte, max, ne } from 'drizzle-orm'
import { newId } from '../lib/ids.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { IncidentActor, IncidentEventView, IncidentView, LockdownTrigger, OrdersMode, StepOutcome } from './incident-types.js'

const { incidents, incidentEvents, workspaces, memberships, users } = schema

type IncidentRow = typeof incidents.$inferSelect

const iso = (d: Date | null) => d?.toISOString() ?? null

export const toIncidentView = (r: IncidentRow): IncidentView => ({
  id: r.id,
  workspaceId: r.workspaceId,
  state: r.state,
  trigger: r.trigger,
  ordersMode: r.ordersMode,
  reason: r.reason,
  openedBy: { type: r.openedByType, id: r.openedById },
  openedAt: r.openedAt.toISOString(),
  unlockRequestedAt: iso(r.unlockRequestedAt),
  unlockConfirmedAt: iso(r.unlockConfirmedAt),
  unlockNotBefore: iso(r.unlockNotBefore),
  resolvedAt: iso(r.resolvedAt),
  summary: r.summary as Record<string, unknown>,
})

const actorColumns = (actor: IncidentActor) =>
  actor.type === 'user' ? { openedByType: actor.tokenId ? 'api_token' : 'user', openedById: actor.tokenId ?? actor.userId } : { openedByType: actor.type, openedById: null }

/** SQL of incidents, their timeline and the workspace lock; every method takes the caller's transaction. */
export const createIncidentStore = (db: Db) => {
  const openOf = async (tx: DbOrTx, workspaceId: string): Promise<IncidentRow | undefined> => {
    const [row] = await tx
      .select()
      .from(incidents)
      .where(and(eq(incidents.workspaceId, workspaceId), ne(incidents.state, 'resolved')))
      .limit(1)
    return row
  }

  /**
   * Locks the workspace and opens its incident, or joins the one not yet resolved (at most one per workspace,
   * a unique index). Joining an incident that was being unlocked sends it back to `open`: a lockdown always
   * wins over a pending unlock, whose emailed confirmation then no longer matches.
   */
  const lockAndOpenIn = async (
    tx: DbOrTx,
    input: { workspaceId: string; actor: IncidentActor; trigger: LockdownTrigger; ordersMode: OrdersMode; reason: string; now: Date },
  ): Promise<{ incident: IncidentRow; joined: boolean; wasUnlocking: boolean }> => {
    // The workspace row first: it serializes two lockdowns of one workspace (the second waits, then joins).
    await tx.update(workspaces).set({ lockedAt: input.now }).where(and(eq(workspaces.id, input.workspaceId), isNull(workspaces.lockedAt)))
    const existing = await openOf(tx, input.workspaceId)
    if (existing) {
      if (existing.state !== 'unlocking') return { incident: existing, joined: true, wasUnlocking: false }
      const [reopened] = await tx
        .update(incidents)
        .set({ state: 'open', unlockRequestedAt: null, unlockRequestedBy: null, unlockConfirmedAt: null, unlockNotBefore: null })
        .where(eq(incidents.id, existing.id))
        .returning()
      return { incident: reopened ?? existing, joined: true, wasUnlocking: true }
    }
    const [created] = await tx
      .insert(incidents)
      .values({
        id: newId(input.now.getTime()),
        workspaceId: input.workspaceId,
        state: 'open',
        trigger: input.trigger,
        ordersMode: input.ordersMode,
        reason: input.reason,
        ...actorColumns(input.actor),
        openedAt: input.now,
        summary: {},
      })
      .returning()
    if (!created) throw new Error('incident insert returned nothing (bug)')
    return { incident: created, joined: false, wasUnlocking: false }
  }

  /**
   * Appends to the timeline. Times within one incident strictly increase (a step recorded in the same
   * millisecond as the one before is put 1 ms after it), so the timeline sorts in the order things happened.
   */
  const addEventIn = async (tx: DbOrTx, incidentId: string, at: Date, kind: string, outcome: StepOutcome, details: Record<string, unknown>) => {
    const [last] = await tx.select({ at: max(incidentEvents.at) }).from(incidentEvents).where(eq(incidentEvents.incidentId, incidentId))
    const lastMs = last?.at ? new Date(last.at).getTime() : -Infinity
    const when = at.getTime() > lastMs ? at : new Date(lastMs + 1)
    await tx.insert(incidentEvents).values({ id: newId(when.getTime()), incidentId, at: when, kind, outcome, details })
  }

  /** Merges one step's facts into the incident's summary (`{ keys: {...}, bots: {...}, … }`). */
  const mergeSummaryIn = async (tx: DbOrTx, incidentId: string, patch: Record<string, unknown>) => {
    const [row] = await tx.select({ summary: incidents.summary }).from(incidents).where(eq(incidents.id, incidentId)).for('update')
    await tx
      .update(incidents)
      .set({ summary: { ...(row?.summary as Record<string, unknown> | undefined), ...patch } })
      .where(eq(incidents.id, incidentId))
  }

  const get = async (tx: DbOrTx, workspaceId: string, incidentId: string): Promise<IncidentRow | undefined> => {
    const [row] = await tx
      .select()
      .from(incidents)
      .where(and(eq(incidents.id, incidentId), eq(incidents.workspaceId, workspaceId)))
      .limit(1)
    return row
  }

  const list = (workspaceId: string, limit: number) => db.select().from(incidents).where(eq(incidents.workspaceId, workspaceId)).orderBy(desc(incidents.openedAt), desc(incidents.id)).limit(limit)

  const timeline = async (incidentId: string): Promise<IncidentEventView[]> => {
    const rows = await db.select().from(incidentEvents).where(eq(incidentEvents.incidentId, incidentId)).orderBy(asc(incidentEvents.at), asc(incidentEvents.id))
    return rows.map((r) => ({ id: r.id, at: r.at.toISOString(), kind: r.kind, outcome: r.outcome as StepOutcome, details: r.details as Record<string, unknown> }))
  }

  const workspace = async (tx: DbOrTx, workspaceId: string) => {
    const [row] = await tx.select({ id: workspaces.id, name: workspaces.name, lockedAt: workspaces.lockedAt }).from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1)
    return row
  }

  /** Members with their addresses (for the emails) — every role, viewers too: they should know. */
  const members = (tx: DbOrTx, workspaceId: string) =>
    tx
      .select({ userId: users.id, email: users.email, displayName: users.displayName, role: memberships.role })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.workspaceId, workspaceId))

  /** The workspaces where a user may pull the brake (owner, admin, trader), with their lock state. */
  const lockableWorkspacesOf = (tx: DbOrTx, userId: string) =>
    tx
      .select({ id: workspaces.id, name: workspaces.name, role: memberships.role, lockedAt: workspaces.lockedAt })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(and(eq(memberships.userId, userId), inArray(memberships.role, ['owner', 'admin', 'trader'])))
      .orderBy(asc(workspaces.name), asc(workspaces.id))

  /** Incidents whose confirmed unlock has waited out its cooling-off. */
  const dueUnlocks = (now: Date) =>
    db
      .select({ id: incidents.id, workspaceId: incidents.workspaceId })
      .from(incidents)
      .where(and(eq(incidents.state, 'unlocking'), lte(incidents.unlockNotBefore, now)))

  return { openOf, lockAndOpenIn, addEventIn, mergeSummaryIn, get, list, timeline, workspace, members, lockableWorkspacesOf, dueUnlocks }
}
export type IncidentStore = ReturnType<typeof createIncidentStore>
