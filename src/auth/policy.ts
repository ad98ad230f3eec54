import { and, eq, isNull, sql, type Column, type SQL } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { schema, type ApiTokenScope, type DbOrTx, type Role } from '../db/index.js'

/**
 * The one authorization table: which roles may do what in a workspace. Deny by default — an action not
 * listed is allowed to nobody, and a workspace the user is not a member of is NOT_FOUND (its existence
 * is not revealed). The accounts and teams issues add rows; the route × role matrix test reads this table.
 */
export const policy = {
  'workspace.read': ['owner', 'admin', 'trader', 'viewer'],
  'alerts.read': ['owner', 'admin', 'trader', 'viewer'],
  'alerts.acknowledge': ['owner', 'admin', 'trader'],
  // Everyone reads the audit log; traders and viewers see only their own entries (the route narrows it).
  'audit.read': ['owner', 'admin', 'trader', 'viewer'],
  'keys.read': ['owner', 'admin', 'trader', 'viewer'],
  // The security score describes the signed-in person's own factors: sessions only, never a token.
  'security.read': ['owner', 'admin', 'trader', 'viewer'],
  'keys.manage': ['owner', 'admin'],
  // Demo Spot / Demo Futures accounts (paper trading): everyone reads, traders and up place orders.
  'demo.read': ['owner', 'admin', 'trader', 'viewer'],
  'demo.trade': ['owner', 'admin', 'trader'],
  // Smart Trades and Signal Bots: everyone reads, traders and up run them. The kill switch is for anyone who
  // can trade (stopping is always safe); lifting it, risk limits and promotion to a real account are not.
  'trading.read': ['owner', 'admin', 'trader', 'viewer'],
  'trading.trade': ['owner', 'admin', 'trader'],
  'trading.halt': ['owner', 'admin', 'trader'],
  'trading.resume': ['owner', 'admin'],
  'trading.risk': ['owner', 'admin'],
  'trading.promote': ['owner', 'admin', 'trader'],
  // Reading or rotating a Signal Bot's webhook secret: whoever runs bots, signed in (the secret places orders).
  'trading.secrets': ['owner', 'admin', 'trader'],
  // Which API-token scopes a member may create: never more than their role could do themselves.
  'tokens.read': ['owner', 'admin', 'trader', 'viewer'],
  'tokens.trade': ['owner', 'admin', 'trader'],
  'tokens.admin': ['owner', 'admin'],
  // Watching and responding (monitoring issue). Audit export is a compliance act: owners and admins.
  'audit.export': ['owner', 'admin'],
  // The chain's verdict tells how long the log is (everyone's activity): owners and admins, also during a lockdown.
  'audit.verify': ['owner', 'admin'],
  'activity.read': ['owner', 'admin', 'trader', 'viewer'],
  'notifications.read': ['owner', 'admin', 'trader', 'viewer'],
  // A member's own channels (their Telegram chat, their email); workspace webhooks are admin business.
  'notifications.manage': ['owner', 'admin', 'trader', 'viewer'],
  'notifications.webhooks': ['owner', 'admin'],
  'settings.read': ['owner', 'admin', 'trader', 'viewer'],
  'settings.manage': ['owner', 'admin'],
  // Lockdown is for anyone who can trade (stopping is always safe); unlocking is not.
  'incident.read': ['owner', 'admin', 'trader', 'viewer'],
  'incident.lockdown': ['owner', 'admin', 'trader'],
  'incident.unlock': ['owner', 'admin'],
  // Teams: members and invitations are admin business (admins never touch owners); the workspace itself,
  // its policies and deleting it are the owner's. Approving someone else's high-risk change (R42) needs an
  // owner or admin; everyone sees what is pending.
  'members.read': ['owner', 'admin', 'trader', 'viewer'],
  'members.manage': ['owner', 'admin'],
  // Removing a member (and revoking an invitation) is narrowing: it stays possible during a lockdown, when an
  // owner may most need to put a suspect account out (lock-gate.ts).
  'members.remove': ['owner', 'admin'],
  'workspace.manage': ['owner'],
  // Leaving is every member's own choice (the service keeps the last owner from leaving).
  'workspace.leave': ['owner', 'admin', 'trader', 'viewer'],
  'policies.read': ['owner', 'admin', 'trader', 'viewer'],
  'policies.manage': ['owner'],
  'approvals.read': ['owner', 'admin', 'trader', 'viewer'],
  'approvals.decide': ['owner', 'admin'],
  // Withdrawing one's own request: whoever could have asked for something (a viewer's request causes no signer call, R41).
  'approvals.cancel': ['owner', 'admin', 'trader'],
} as const satisfies Record<string, readonly Role[]>

export type Action = keyof typeof policy

/**
 * The API-token scope each action needs; null means tokens may never do it (managing tokens and keys
 * is for signed-in people with step-up). A token's request must pass this and its owner's role.
 */
export const tokenScopeFor: Record<Action, ApiTokenScope | null> = {
  'workspace.read': 'read',
  'alerts.read': 'read',
  'alerts.acknowledge': 'trade',
  'audit.read': 'admin',
  'keys.read': 'read',
  'security.read': null,
  'keys.manage': null,
  'demo.read': 'read',
  'demo.trade': 'trade',
  'trading.read': 'read',
  'trading.trade': 'trade',
  'trading.halt': 'trade',
  'trading.resume': null,
  'trading.risk': null,
  'trading.promote': null,
  'trading.secrets': null,
  'tokens.read': null,
  'tokens.trade': null,
  'tokens.admin': null,
  'audit.export': 'admin',
  'audit.verify': 'admin',
  'activity.read': 'read',
  'notifications.read': 'read',
  'notifications.manage': null,
  'notifications.webhooks': null,
  'settings.read': 'read',
  'settings.manage': null,
  'incident.read': 'read',
  // A script may pull the emergency brake (a monitoring system that saw something); it can never release it.
  'incident.lockdown': 'trade',
  'incident.unlock': null,
  'members.read': 'read',
  'members.manage': null,
  'members.remove': null,
  'workspace.manage': null,
  'workspace.leave': null,
  'policies.read': 'read',
  'policies.manage': null,
  'approvals.read': 'read',
  'approvals.decide': null,
  'approvals.cancel': null,
}

const scopeRank: Record<ApiTokenScope, number> = { read: 0, trade: 1, admin: 2 }

/** Who is asking: a signed-in user, or a user's API token (bound to one workspace and a scope). */
export type Actor = { userId: string; token?: { tokenId: string; workspaceId: string; scope: ApiTokenScope } | undefined }

/** A token outside its own workspace: NOT_FOUND (the workspace's existence is not revealed). */
export const checkTokenWorkspace = (actor: Actor, workspaceId: string) => {
  if (actor.token && actor.token.workspaceId !== workspaceId) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
}

/** A token below the action's scope (or an action tokens may never do): FORBIDDEN. */
export const checkTokenScope = (actor: Actor, workspaceId: string, action: Action) => {
  checkTokenWorkspace(actor, workspaceId)
  if (!actor.token) return
  const needed = tokenScopeFor[action]
  if (needed === null || scopeRank[actor.token.scope] < scopeRank[needed]) {
    throw new AppError('FORBIDDEN', `this API token (${actor.token.scope} scope) may not do this (${action})${needed ? `: it needs ${needed} scope` : ': sign in instead'}`)
  }
}

/**
 * `authorize` for an actor: a token outside its workspace sees NOT_FOUND, below the action's scope
 * FORBIDDEN; then the owner's effective role decides.
 */
export const authorizeActor = async (db: DbOrTx, actor: Actor, workspaceId: string, action: Action): Promise<Role> => {
  checkTokenScope(actor, workspaceId, action)
  return authorize(db, actor.userId, workspaceId, action)
}

export const isAllowed = (role: Role, action: Action): boolean => (policy[action] as readonly Role[]).includes(role)

/** The FORBIDDEN message for a member whose role allows an action that the two-factor policy withholds. */
export const TWO_FACTOR_POLICY_MESSAGE = 'this workspace requires two-factor authentication: set up an authenticator app or a passkey first'

const { memberships, workspaces, users } = schema

/**
 * Whether a user has a second factor (a confirmed authenticator app or a passkey), as one SQL expression
 * over a user id column: for joins, so checking it costs no extra round trip.
 */
export const hasSecondFactorSql = (userId: SQL | Column) =>
  sql<boolean>`(exists (select 1 from totp_credentials t2f where t2f.user_id = ${userId} and t2f.confirmed_at is not null) or exists (select 1 from passkeys p2f where p2f.user_id = ${userId}))`

/**
 * The role a member acts with: their own, except that a workspace requiring two-factor authentication
 * treats a member without a second factor as a viewer until they set one up (their API tokens too: a token
 * acts with its owner's effective role).
 */
export const effectiveRole = (role: Role, requireTwoFactor: boolean, hasSecondFactor: boolean): Role => (requireTwoFactor && !hasSecondFactor ? 'viewer' : role)

/** A caller's standing in a workspace, read in one query: what `authorizeWorkspace` needs after the role check. */
export type WorkspaceAccess = {
  /** The effective role (see `effectiveRole`). */
  role: Role
  /** The membership's own role, before the two-factor policy. */
  memberRole: Role
  /** The member acts as a viewer because the workspace requires a second factor they do not have. */
  limitedByTwoFactor: boolean
  lockedAt: Date | null
  /** The workspace's allowed sign-in ranges (CIDR); null or empty: anywhere. */
  allowedIpRanges: string[] | null
}

/** The member's access to a live (not deleted) workspace, or undefined when they are not a member of one. */
export const workspaceAccess = async (db: DbOrTx, userId: string, workspaceId: string): Promise<WorkspaceAccess | undefined> => {
  const [m] = await db
    .select({
      role: memberships.role,
      requireTwoFactor: workspaces.requireTwoFactor,
      // Evaluated only where the policy asks for it: the common case costs nothing more.
      hasSecondFactor: sql<boolean>`case when ${workspaces.requireTwoFactor} then ${hasSecondFactorSql(memberships.userId)} else true end`,
      lockedAt: workspaces.lockedAt,
      allowedIpRanges: workspaces.allowedIpRanges,
    })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(memberships.workspaceId, workspaceId), isNull(workspaces.deletedAt)))
    .limit(1)
  if (!m) return undefined
  const role = effectiveRole(m.role, m.requireTwoFactor, m.hasSecondFactor)
  return { role, memberRole: m.role, limitedByTwoFactor: role !== m.role, lockedAt: m.lockedAt, allowedIpRanges: m.allowedIpRanges }
}

/**
 * Whether the access record's effective role may do `action`.
 * @throws AppError FORBIDDEN (with reason TWO_FACTOR_REQUIRED when only the two-factor policy stands in the way)
 */
export const assertActionAllowed = (access: Pick<WorkspaceAccess, 'role' | 'memberRole' | 'limitedByTwoFactor'>, action: Action): void => {
  if (isAllowed(access.role, action)) return
  if (access.limitedByTwoFactor && isAllowed(access.memberRole, action)) throw new AppError('FORBIDDEN', TWO_FACTOR_POLICY_MESSAGE, { reason: 'TWO_FACTOR_REQUIRED' })
  throw new AppError('FORBIDDEN', `your role (${access.role}) may not do this (${action})`)
}

/** The member's access record. @throws AppError NOT_FOUND (not a member, or the workspace was deleted) */
export const requireMembership = async (db: DbOrTx, userId: string, workspaceId: string): Promise<WorkspaceAccess> => {
  const access = await workspaceAccess(db, userId, workspaceId)
  if (!access) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
  return access
}

/**
 * `authorize`, returning the whole access record (one query).
 * @throws AppError NOT_FOUND (not a member, or the workspace was deleted), FORBIDDEN (the effective role may not do this)
 */
export const authorizeAccess = async (db: DbOrTx, userId: string, workspaceId: string, action: Action): Promise<WorkspaceAccess> => {
  const access = await requireMembership(db, userId, workspaceId)
  assertActionAllowed(access, action)
  return access
}

/**
 * The caller's effective role in the workspace, if `action` is allowed to it.
 * @throws AppError NOT_FOUND (not a member, or the workspace was deleted), FORBIDDEN (a member whose role may not do this)
 */
export const authorize = async (db: DbOrTx, userId: string, workspaceId: string, action: Action): Promise<Role> => (await authorizeAccess(db, userId, workspaceId, action)).role

/** One member of a workspace as the teams features see them: own role, effective role, second factors. */
export type MemberAccess = {
  userId: string
  email: string
  displayName: string
  role: Role
  /** `viewer` for a member the two-factor policy limits; else `role`. */
  effectiveRole: Role
  limitedByTwoFactor: boolean
  hasSecondFactor: boolean
  hasPasskey: boolean
  joinedAt: Date
}

/** Every member of a live workspace with their effective role (one query); empty for a deleted or unknown workspace. */
export const membersAccess = async (db: DbOrTx, workspaceId: string): Promise<MemberAccess[]> => {
  const rows = await db
    .select({
      userId: memberships.userId,
      email: users.email,
      displayName: users.displayName,
      role: memberships.role,
      joinedAt: memberships.createdAt,
      requireTwoFactor: workspaces.requireTwoFactor,
      hasSecondFactor: hasSecondFactorSql(memberships.userId),
      hasPasskey: sql<boolean>`exists (select 1 from passkeys pk where pk.user_id = ${memberships.userId})`,
    })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, workspaceId), isNull(workspaces.deletedAt)))
    .orderBy(memberships.createdAt, memberships.userId)
  return rows.map((r) => {
    const role = effectiveRole(r.role, r.requireTwoFactor, r.hasSecondFactor)
    return {
      userId: r.userId,
      email: r.email,
      displayName: r.displayName,
      role: r.role,
      effectiveRole: role,
      limitedByTwoFactor: role !== r.role,
      hasSecondFactor: r.hasSecondFactor,
      hasPasskey: r.hasPasskey,
      joinedAt: r.joinedAt,
    }
  })
}
