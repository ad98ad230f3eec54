import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import type { Logger } from '../lib/logger.js'
import type { Approvals } from './approvals.js'
import { endAllMembershipsIn, lockWorkspace } from './member-store.js'
import { MAX_OWNED_WORKSPACES, workspaceNameProblem, type TeamActor, type TeamWorkspaceView } from './team-types.js'

const { workspaces, memberships, exchangeAccounts, bots } = schema

export type TeamWorkspacesDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  /** A deleted workspace's pending four-eyes requests are cancelled (their discards run). */
  gate: Pick<Approvals, 'cancelAllIn'>
  logger?: Pick<Logger, 'warn'> | undefined
}

/**
 * Team workspaces: created by anyone signed in (who becomes their owner), renamed and deleted by owners.
 * A new team workspace asks for four-eyes approvals (R42) from the start. Deleting is a soft delete: the
 * row and its audit chain stay for the record, everything that grants access goes (memberships, grants,
 * invitations, API tokens; then pending approvals), so every route answers NOT_FOUND for it from then on.
 * Exchange keys and running bots must be gone first: a deletion never strands a live key or an open position.
 */
export const createTeamWorkspaces = ({ db, clock, audit, gate, logger }: TeamWorkspacesDeps) => {
  /** @throws AppError BAD_INPUT when the name reads like a link or an address (it is shown in invitation emails) */
  const checkName = (name: string) => {
    const problem = workspaceNameProblem(name)
    if (problem) throw new AppError('BAD_INPUT', `name: ${problem}`)
  }

  /**
   * @throws AppError BAD_INPUT (see `checkName`), CONFLICT when the caller already owns MAX_OWNED_WORKSPACES workspaces
   */
  const create = async (name: string, by: TeamActor): Promise<TeamWorkspaceView> => {
    checkName(name)
    return db.transaction(async (tx) => {
      const [owned] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(memberships)
        .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
        .where(and(eq(memberships.userId, by.userId), eq(memberships.role, 'owner'), isNull(workspaces.deletedAt)))
      if ((owned?.n ?? 0) >= MAX_OWNED_WORKSPACES) throw new AppError('CONFLICT', `you own ${MAX_OWNED_WORKSPACES} workspaces already: delete one you no longer use first`)
      const now = clock.now()
      const id = newId(now.getTime())
      await tx.insert(workspaces).values({ id, name, isPersonal: false, approvalsRequired: true, createdAt: now })
      await tx.insert(memberships).values({ workspaceId: id, userId: by.userId, role: 'owner', createdAt: now })
      await audit.appendIn(tx, { workspaceId: id, type: 'workspace_created', actor: { type: 'user', id: by.userId }, outcome: 'success', ip: by.ip, requestId: by.requestId, details: { name } })
      return { id, name, role: 'owner' as const }
    })
  }

  /** @throws AppError BAD_INPUT (see `checkName`), NOT_FOUND (deleted meanwhile) */
  const rename = async (workspaceId: string, name: string, by: TeamActor): Promise<TeamWorkspaceView> => {
    checkName(name)
    return db.transaction(async (tx) => {
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      if (ws.name !== name) {
        await tx.update(workspaces).set({ name }).where(eq(workspaces.id, workspaceId))
        await audit.appendIn(tx, { workspaceId, type: 'workspace_renamed', actor: { type: 'user', id: by.userId }, outcome: 'success', ip: by.ip, requestId: by.requestId, details: { from: ws.name, to: name } })
      }
      const [m] = await tx.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, by.userId)))
      if (!m) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      return { id: workspaceId, name, role: m.role }
    })
  }

  /**
   * Deletes a team workspace. Returns who its members were (their cached views are stale now).
   * @throws AppError NOT_FOUND, CONFLICT (a personal workspace; exchange accounts not removed; bots running or paused)
   */
  const remove = async (workspaceId: string, by: TeamActor): Promise<{ formerMembers: string[] }> => {
    const removed = await db.transaction(async (tx) => {
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      if (ws.isPersonal) throw new AppError('CONFLICT', 'a personal workspace cannot be deleted', { reason: 'PERSONAL_WORKSPACE' })
      const [accounts] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(exchangeAccounts)
        .where(and(eq(exchangeAccounts.workspaceId, workspaceId), isNull(exchangeAccounts.removedAt)))
      if ((accounts?.n ?? 0) > 0) {
        throw new AppError('CONFLICT', `remove the workspace's ${accounts?.n} exchange account${accounts?.n === 1 ? '' : 's'} first: deleting it never leaves a live key behind`, { reason: 'HAS_EXCHANGE_ACCOUNTS' })
      }
      const [active] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(bots)
        .where(and(eq(bots.workspaceId, workspaceId), inArray(bots.status, ['running', 'paused'])))
      if ((active?.n ?? 0) > 0) throw new AppError('CONFLICT', `stop the workspace's ${active?.n} running or paused bot${active?.n === 1 ? '' : 's'} first`, { reason: 'HAS_RUNNING_BOTS' })
      const now = clock.now()
      await tx.update(workspaces).set({ deletedAt: now }).where(eq(workspaces.id, workspaceId))
      const ended = await endAllMembershipsIn(tx, workspaceId, now)
      await audit.appendIn(tx, {
        workspaceId,
        type: 'workspace_deleted',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { name: ws.name, members: ended.userIds.length, revokedApiAccess: ended.revokedApiAccess },
      })
      return { formerMembers: ended.userIds }
    })
    // After the commit (the approvals service runs each request's discard, e.g. a key waiting in the signer).
    try {
      await gate.cancelAllIn(workspaceId, by)
    } catch (err) {
      logger?.warn({ workspaceId, error: err instanceof Error ? err.message : String(err) }, 'cancelling the pending requests of a deleted workspace failed')
    }
    return removed
  }

  return { create, rename, remove }
}
export type TeamWorkspaces = ReturnType<typeof createTeamWorkspaces>
