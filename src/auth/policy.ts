import { and, eq } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { schema, type DbOrTx, type Role } from '../db/index.js'

/**
 * The one authorization table: which roles may do what in a workspace. Deny by default — an action not
 * listed is allowed to nobody, and a workspace the user is not a member of is NOT_FOUND (its existence
 * is not revealed). The accounts and teams issues add rows; the route × role matrix test reads this table.
 */
export const policy = {
  'workspace.read': ['owner', 'admin', 'trader', 'viewer'],
  'alerts.read': ['owner', 'admin', 'trader', 'viewer'],
  'alerts.acknowledge': ['owner', 'admin', 'trader'],
  'audit.read': ['owner', 'admin'],
  'keys.read': ['owner', 'admin', 'trader', 'viewer'],
  'keys.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>

export type Action = keyof typeof policy

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
