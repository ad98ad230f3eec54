import { and, eq } from 'drizzle-orm'
import { schema, type DbOrTx, type Role } from '../db/index.js'

/** The exchange accounts a member may trade on: every one, or the named ones (a trader narrowed by grants). */
export type TradableAccounts = 'all' | ReadonlySet<string>

/**
 * Owners and admins trade on every account; a trader on every one unless their membership's
 * `account_scope` is `granted`, then only on the exchange accounts granted to them (demo accounts are
 * never narrowed: no real money). Viewers trade on none, which the policy table already says.
 */
export const tradableAccounts = async (db: DbOrTx, workspaceId: string, userId: string, role: Role): Promise<TradableAccounts> => {
  if (role === 'owner' || role === 'admin') return 'all'
  if (role === 'viewer') return new Set()
  const [m] = await db
    .select({ scope: schema.memberships.accountScope })
    .from(schema.memberships)
    .where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.userId, userId)))
    .limit(1)
  if (!m || m.scope === 'all') return m ? 'all' : new Set()
  const rows = await db
    .select({ id: schema.memberAccountGrants.exchangeAccountId })
    .from(schema.memberAccountGrants)
    .where(and(eq(schema.memberAccountGrants.workspaceId, workspaceId), eq(schema.memberAccountGrants.userId, userId)))
  return new Set(rows.map((r) => r.id))
}

export const mayTradeOn = (accounts: TradableAccounts, exchangeAccountId: string): boolean => accounts === 'all' || accounts.has(exchangeAccountId)
