import { and, eq, inArray, sql } from 'drizzle-orm'
import { newId } from '../lib/ids.js'
import { schema, type DbOrTx, type Role } from '../db/index.js'

const { users, workspaces, memberships } = schema

/** `emailVerifiedAt` is set for the operator: the setup token or the terminal proved them, not a mailbox. */
export type NewUser = { email: string; displayName: string; passwordHash: string | null; isOperator: boolean; emailVerifiedAt?: Date }

/** A user with their personal workspace, as owner; all three rows or none (the caller's transaction). */
export const insertUserWithWorkspace = async (
  tx: DbOrTx,
  user: NewUser,
  workspaceName: string,
  now: Date,
): Promise<{ userId: string; workspaceId: string }> => {
  const userId = newId(now.getTime())
  const workspaceId = newId(now.getTime())
  await tx.insert(users).values({ id: userId, ...user, createdAt: now })
  await tx.insert(workspaces).values({ id: workspaceId, name: workspaceName, isPersonal: true, createdAt: now })
  await tx.insert(memberships).values({ workspaceId, userId, role: 'owner' satisfies Role, createdAt: now })
  return { userId, workspaceId }
}

export const findUserByEmail = async (db: DbOrTx, email: string) => {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1)
  return row
}

export const hasOperator = async (db: DbOrTx): Promise<boolean> => {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.isOperator, true)).limit(1)
  return row !== undefined
}

/** The user's personal workspace (where their own alerts go), if any. */
export const personalWorkspaceOf = async (db: DbOrTx, userId: string): Promise<string | undefined> => {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(workspaces.isPersonal, true), eq(memberships.role, 'owner')))
    .limit(1)
  return row?.id
}

/** Owner or admin of a team workspace (not personal, or with more than one member): shorter idle timeout (R30). */
export const isPrivileged = async (db: DbOrTx, userId: string): Promise<boolean> => {
  const rows = await db
    .select({ workspaceId: memberships.workspaceId, isPersonal: workspaces.isPersonal, members: sql<number>`(select count(*) from memberships m2 where m2.workspace_id = ${memberships.workspaceId})` })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), inArray(memberships.role, ['owner', 'admin'])))
  return rows.some((r) => !r.isPersonal || Number(r.members) > 1)
}
