import { and, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import { schema, type DbOrTx } from '../db/index.js'
import type { SessionPolicy } from './session-service.js'

const { memberships, workspaces } = schema

/**
 * How many idle minutes a new session of the user gets (R30 and the workspace policies): the default (15
 * for an owner or admin of a team workspace, else 30), lowered to the strictest `session_idle_minutes` of
 * any workspace the user is a member of. A workspace policy only ever shortens it: a value above the
 * default changes nothing. Deleted workspaces do not count. One query.
 */
export const sessionIdleMinutesFor = async (db: DbOrTx, userId: string, policy: Pick<SessionPolicy, 'idleMinutes' | 'privilegedIdleMinutes'>): Promise<number> => {
  const rows = await db
    .select({
      role: memberships.role,
      isPersonal: workspaces.isPersonal,
      idleMinutes: workspaces.sessionIdleMinutes,
      members: sql<number>`(select count(*) from memberships m2 where m2.workspace_id = ${memberships.workspaceId})`,
    })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), isNull(workspaces.deletedAt)))
  const privileged = rows.some((r) => (r.role === 'owner' || r.role === 'admin') && (!r.isPersonal || Number(r.members) > 1))
  const base = privileged ? policy.privilegedIdleMinutes : policy.idleMinutes
  return Math.min(base, ...rows.map((r) => r.idleMinutes ?? base))
}

/**
 * Lowers the idle minutes of live sessions to at most `idleMinutes` (a workspace's policy): of every member of
 * the workspace, or only of `userId` (someone who just joined it). Ended and expired sessions are left alone.
 * @returns how many sessions were shortened
 */
export const shortenLiveSessionsIn = async (tx: DbOrTx, opts: { workspaceId: string; idleMinutes: number; now: Date; userId?: string | undefined }): Promise<number> => {
  const { sessions } = schema
  const whose = opts.userId
    ? eq(sessions.userId, opts.userId)
    : inArray(sessions.userId, tx.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.workspaceId, opts.workspaceId)))
  const shortened = await tx
    .update(sessions)
    .set({ idleMinutes: opts.idleMinutes })
    .where(and(whose, isNull(sessions.revokedAt), gt(sessions.expiresAt, opts.now), gt(sessions.idleMinutes, opts.idleMinutes)))
    .returning({ id: sessions.id })
  return shortened.length
}

/** The workspace's idle policy applied to a member's live sessions. */
export const applyWorkspaceIdlePolicyIn = async (tx: DbOrTx, workspaceId: string, userId: string, now: Date): Promise<number> => {
  const [ws] = await tx.select({ idleMinutes: workspaces.sessionIdleMinutes }).from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1)
  return ws?.idleMinutes ? shortenLiveSessionsIn(tx, { workspaceId, idleMinutes: ws.idleMinutes, now, userId }) : 0
}
