import { and, eq, inArray, isNull, or } from 'drizzle-orm'
import { schema, type DbOrTx, type ApprovalKind, type Role } from '../db/index.js'
import { hasSecondFactorSql } from '../auth/policy.js'

/**
 * Who may approve or reject a four-eyes request (R42):
 * - a member of the workspace with role owner or admin, other than the requester;
 * - whose account can sign in (not disabled, not locked);
 * - whose effective role is not narrowed by the workspace's require-two-factor policy: without an
 *   authenticator app or a passkey such a member acts as a viewer (auth/policy.ts `effectiveRole`), so
 *   cannot approve either;
 * - for `policy.relax`, a `role.upgrade` to owner and an `owner.change` (an owner demoted or removed):
 *   owners only;
 * - for a `role.upgrade`: never the member it is for (they gain from it). The owner an `owner.change` is
 *   about MAY approve it: that is their consent (they lose power, nobody gains).
 */

const { memberships, users, workspaces } = schema

export type Approver = { userId: string; email: string; displayName: string; role: Role }

/**
 * Owner business, approved by owners only: relaxing the workspace's policies, making someone owner, and
 * taking owner rights away from someone (`owner.change`: else one owner of several could demote the others
 * and, single owner then, turn approvals off).
 */
export const isOwnerOnly = (kind: ApprovalKind, payload: unknown): boolean =>
  kind === 'policy.relax' || kind === 'owner.change' || (kind === 'role.upgrade' && (payload as { role?: unknown } | null)?.role === 'owner')

/** The member a role upgrade is for: never one of its approvers (they gain from it). */
const beneficiaryOf = (kind: ApprovalKind, payload: unknown): string | undefined => {
  const userId = (payload as { userId?: unknown } | null)?.userId
  return kind === 'role.upgrade' && typeof userId === 'string' ? userId : undefined
}

/**
 * Who may approve one request, from the workspace's pool of possible approvers (see `approverPool`):
 * never the requester, never the member a role upgrade is for, owners only for owner-only kinds.
 */
export const eligibleFor = (pool: readonly Approver[], row: { kind: ApprovalKind; payload: unknown; requestedBy: string | null }): Approver[] => {
  const ownersOnly = isOwnerOnly(row.kind, row.payload)
  const beneficiary = beneficiaryOf(row.kind, row.payload)
  return pool.filter((a) => a.userId !== row.requestedBy && a.userId !== beneficiary && (!ownersOnly || a.role === 'owner'))
}

/**
 * The workspace's possible approvers: owners and admins who can sign in and are not narrowed to viewer
 * by the require-two-factor policy. `eligibleFor` narrows it for one request.
 */
export const approverPool = (tx: DbOrTx, workspaceId: string): Promise<Approver[]> =>
  tx
    .select({ userId: users.id, email: users.email, displayName: users.displayName, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(
      and(
        eq(memberships.workspaceId, workspaceId),
        inArray(memberships.role, ['owner', 'admin']),
        isNull(users.disabledAt),
        isNull(users.lockedAt),
        isNull(workspaces.deletedAt),
        // The effective role (auth/policy.ts `effectiveRole`): the two-factor policy makes those without one viewers.
        or(eq(workspaces.requireTwoFactor, false), hasSecondFactorSql(users.id)),
      ),
    )
    .orderBy(memberships.createdAt, users.id)

