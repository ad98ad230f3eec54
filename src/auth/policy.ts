import { and, eq } from 'drizzle-orm'
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
  'workspace.manage': ['owner'],
  'policies.read': ['owner', 'admin', 'trader', 'viewer'],
  'policies.manage': ['owner'],
  'approvals.read': ['owner', 'admin', 'trader', 'viewer'],
  'approvals.decide': ['owner', 'admin'],
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
  'workspace.manage': null,
  'policies.read': 'read',
  'policies.manage': null,
  'approvals.read': 'read',
  'approvals.decide': null,
}

const scopeRank: Record<ApiTokenScope, number> = { read: 0, trade: 1, admin: 2 }

/** Who is asking: a signed-in user, or a user's API token (bound to one workspace and a scope). */
export type Actor = { userId: string; token?: { tokenId: string; workspaceId: string; scope: ApiTokenScope } | undefined }

/**
 * `authorize` for an actor: a token outside its workspace sees NOT_FOUND, below the action's scope
 * FORBIDDEN; then the owner's role decides.
 */
export const authorizeActor = async (db: DbOrTx, actor: Actor, workspaceId: string, action: Action): Promise<Role> => {
  if (actor.token) {
    if (actor.token.workspaceId !== workspaceId) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
    const needed = tokenScopeFor[action]
    if (needed === null || scopeRank[actor.token.scope] < scopeRank[needed]) {
      throw new AppError('FORBIDDEN', `this API token (${actor.token.scope} scope) may not do this (${action})${needed ? `: it needs ${needed} scope` : ': sign in instead'}`)
    }
  }
  return authorize(db, actor.userId, workspaceId, action)
}

export const isAllowed = (role: Role, action: Action): boolean => (policy[action] as readonly Role[]).includes(role)

/**
 * The caller's role in the workspace, if `action` is allowed to it.
 * @throws AppError NOT_FOUND (not a member), FORBIDDEN (a member whose role may not do this)
 */
export const authorize = async (db: DbOrTx, userId: string, workspaceId: string, action: Action): Promise<Role> => {
  const [m] = await db
    .select({ role: schema.memberships.role })
    .from(schema.memberships)
    .where(and(eq(schema.memberships.userId, userId), eq(schema.memberships.workspaceId, workspaceId)))
    .limit(1)
  if (!m) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
  if (!isAllowed(m.role, action)) throw new AppError('FORBIDDEN', `your role (${m.role}) may not do this (${action})`)
  return m.role
}
