import { and, eq, isNull } from 'drizzle-orm'
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

/** The user's personal workspace (where their own alerts go), if any. Deleted workspaces are never anyone's (nor are personal ones ever deleted). */
export const personalWorkspaceOf = async (db: DbOrTx, userId: string): Promise<string | undefined> => {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(workspaces.isPersonal, true), eq(memberships.role, 'owner'), isNull(workspaces.deletedAt)))
    .limit(1)
  return row?.id
}
