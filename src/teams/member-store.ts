import { and, asc, eq, inArray, isNull } from 'drizzle-orm'
import { schema, type AccountScope, type DbOrTx, type Role } from '../db/index.js'

const { memberships, memberAccountGrants, users, apiTokens, exchangeAccounts, workspaces } = schema

/** A membership as the member rules need it. */
export type MemberRow = { userId: string; email: string; displayName: string; role: Role; accountScope: AccountScope }

/**
 * Every membership of the workspace, locked (FOR UPDATE, in user-id order so two writers never deadlock)
 * until the caller's transaction ends: "the last owner" is decided on rows nobody else can change meanwhile.
 */
export const lockMembers = async (tx: DbOrTx, workspaceId: string): Promise<MemberRow[]> => {
  const rows = await tx
    .select({ userId: memberships.userId, role: memberships.role, accountScope: memberships.accountScope })
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(memberships.userId))
    .for('update')
  if (rows.length === 0) return []
  const people = await tx
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(
      inArray(
        users.id,
        rows.map((r) => r.userId),
      ),
    )
  const byId = new Map(people.map((p) => [p.id, p]))
  return rows.map((r) => ({ ...r, email: byId.get(r.userId)?.email ?? '', displayName: byId.get(r.userId)?.displayName ?? '' }))
}

/** The live workspace (not deleted), locked until the caller's transaction ends. */
export const lockWorkspace = async (tx: DbOrTx, workspaceId: string) => {
  const [row] = await tx
    .select({ id: workspaces.id, name: workspaces.name, isPersonal: workspaces.isPersonal })
    .from(workspaces)
    .where(and(eq(workspaces.id, workspaceId), isNull(workspaces.deletedAt)))
    .for('update')
  return row
}

export const grantsOf = async (tx: DbOrTx, workspaceId: string, userId: string): Promise<string[]> =>
  (
    await tx
      .select({ id: memberAccountGrants.exchangeAccountId })
      .from(memberAccountGrants)
      .where(and(eq(memberAccountGrants.workspaceId, workspaceId), eq(memberAccountGrants.userId, userId)))
      .orderBy(asc(memberAccountGrants.exchangeAccountId))
  ).map((r) => r.id)

/** Which of `ids` are exchange accounts of this workspace that were not removed. */
export const liveAccountIds = async (tx: DbOrTx, workspaceId: string, ids: readonly string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set()
  const rows = await tx
    .select({ id: exchangeAccounts.id })
    .from(exchangeAccounts)
    .where(and(eq(exchangeAccounts.workspaceId, workspaceId), isNull(exchangeAccounts.removedAt), inArray(exchangeAccounts.id, [...ids])))
  return new Set(rows.map((r) => r.id))
}

export const replaceGrants = async (tx: DbOrTx, workspaceId: string, userId: string, ids: readonly string[], now: Date) => {
  await tx.delete(memberAccountGrants).where(and(eq(memberAccountGrants.workspaceId, workspaceId), eq(memberAccountGrants.userId, userId)))
  if (ids.length > 0) await tx.insert(memberAccountGrants).values(ids.map((exchangeAccountId) => ({ workspaceId, userId, exchangeAccountId, createdAt: now })))
}

/**
 * What ending someone's access to a workspace undid, for the audit entry. `revokedApiAccess` counts API tokens:
 * an audit detail key may not look like a secret's name (src/lib/redact.ts), and "token" does.
 */
export type AccessEnded = { revokedApiAccess: number }

/**
 * Ends one person's access to a workspace in the caller's transaction: the membership goes (their grants
 * with it, by cascade) and their API tokens for the workspace are revoked. Every request is authorized
 * afresh, so their next one is NOT_FOUND; their live streams end at the next change check (src/live). Their
 * pending four-eyes requests are the approvals service's to cancel (`cancelAllBy`, after the commit).
 */
export const endMembershipIn = async (tx: DbOrTx, workspaceId: string, userId: string, now: Date): Promise<AccessEnded> => {
  await tx.delete(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
  const tokens = await tx
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id })
  return { revokedApiAccess: tokens.length }
}

/** The whole workspace's version of `endMembershipIn`, for its deletion (invitations go too): returns who the members were. */
export const endAllMembershipsIn = async (tx: DbOrTx, workspaceId: string, now: Date): Promise<AccessEnded & { userIds: string[] }> => {
  const removed = await tx.delete(memberships).where(eq(memberships.workspaceId, workspaceId)).returning({ userId: memberships.userId })
  await tx.delete(schema.workspaceInvitations).where(eq(schema.workspaceInvitations.workspaceId, workspaceId))
  const tokens = await tx
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.workspaceId, workspaceId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id })
  return { userIds: removed.map((r) => r.userId), revokedApiAccess: tokens.length }
}

/** Owners of a workspace with their addresses (for notices). */
export const ownersOf = (tx: DbOrTx, workspaceId: string) =>
  tx
    .select({ userId: users.id, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner')))
