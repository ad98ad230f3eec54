import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { schema, rowsOf, type Db, type DbOrTx, type Role } from '../db/index.js'
import type { AuditChain, Outbox } from '../monitoring/index.js'
import type { Logger } from '../lib/logger.js'
import type { MeReader } from '../auth/index.js'
import type { ApprovalContext, ApprovalGate, ApprovalView } from './approval-types.js'
import type { Approvals } from './approvals.js'
import { endMembershipIn, grantsOf, liveAccountIds, lockMembers, lockWorkspace, replaceGrants, type MemberRow } from './member-store.js'
import { roleRank, teamRoles, type TeamRole, type MemberChange, type MemberView, type TeamActor } from './team-types.js'

const { memberships } = schema

/** The most accounts one trader may be granted by name (beyond that, "all" is what is meant). */
const MAX_GRANTS = 200

/** Who changes a membership: their id, and their (effective) role in the workspace as authorization found it. */
export type MemberManager = TeamActor & { role: Role }

/** A member update either applied, or waiting for a second person (R42: HTTP 202 with the request). */
export type MemberUpdateResult = { applied: MemberView } | { pending: ApprovalView }
/** A removal either done, or (an owner, where approvals are required) waiting for another owner. */
export type MemberRemoveResult = { removed: true } | { pending: ApprovalView }

/** What an approved role upgrade carries (approval_requests.payload): ids and values, never a secret. */
export const roleUpgradePayload = z
  .object({
    userId: z.string().uuid(),
    role: z.enum(teamRoles).optional(),
    accountScope: z.enum(['all', 'granted']).optional(),
    exchangeAccountIds: z.array(z.string().uuid()).max(MAX_GRANTS).optional(),
  })
  .strict()
export type RoleUpgradePayload = z.infer<typeof roleUpgradePayload>

/**
 * What an approved `owner.change` carries: the owner who loses their owner rights, and their new role
 * (null: removed from the workspace). Owners other than the requester approve it; the owner it is about may
 * approve it too (consent).
 */
export const ownerChangePayload = z
  .object({
    userId: z.string().uuid(),
    role: z.enum(['admin', 'trader', 'viewer']).nullable(),
    accountScope: z.enum(['all', 'granted']).optional(),
    exchangeAccountIds: z.array(z.string().uuid()).max(MAX_GRANTS).optional(),
  })
  .strict()
export type OwnerChangePayload = z.infer<typeof ownerChangePayload>

/** Options of the approvals service's `cancelAllBy`; `requestedOnly`: only the requests the member made. */
type CancelAllByOptions = NonNullable<Parameters<Approvals['cancelAllBy']>[3]>

export type MembersDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  outbox: Pick<Outbox, 'sendIn'>
  /**
   * Four-eyes (R42): a role upgrade, or wider account grants, waits for a second owner or admin where the
   * workspace asks for it; a member who goes takes their pending requests (and upgrades of them) along.
   */
  gate: ApprovalGate & Pick<Approvals, 'cancelAllBy'>
  logger?: Pick<Logger, 'warn'> | undefined
  /**
   * Called (errors logged, never thrown) after someone's membership ended — removed, or left — once it
   * committed: main.ts rotates what they may still hold outside the database (review #6). `by`: the remover,
   * or the leaver themselves.
   */
  onAccessEnded?: ((workspaceId: string, userId: string, role: Role, by: TeamActor) => Promise<void>) | undefined
  /** Drops a person's cached /api/me when a change approved by someone else changed their memberships. */
  me?: Pick<MeReader, 'forget'> | undefined
}

type Standing = { role: Role; accountScope: 'all' | 'granted'; grants: string[] }

/** A validated change: where the member stands, where they would stand, and whether that is more power. */
type Plan = {
  target: MemberRow
  from: Standing
  to: Standing
  /** A higher role, or a trader allowed on accounts they could not trade on before. */
  isUpgrade: boolean
  /** A lower role (their own pending requests are cancelled once it applies). */
  isDowngrade: boolean
  /** Owner rights taken from someone else: four-eyes among owners (`owner.change`) where approvals are required. */
  demotesOwner: boolean
  isNoop: boolean
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x))

const article = (role: Role) => (role === 'owner' || role === 'admin' ? `an ${role}` : `a ${role}`)

/**
 * Members of a workspace and what may change about them (issue 10, "Roles in practice"). Invariants:
 * - nobody changes their own membership (no self-escalation; the last owner cannot demote themselves);
 * - admins never change or remove owners, and never make anyone owner;
 * - a workspace always keeps an owner: the last one can be neither demoted, removed, nor leave;
 * - more power (a higher role, wider account grants) waits for a second owner or admin when the workspace's
 *   policy asks for four-eyes (R42); less power applies at once;
 * - per-account grants narrow only traders, and name only this workspace's exchange accounts.
 * The "last owner" rules are decided on locked membership rows, so two owners leaving at once cannot both go.
 */
export const createMembers = ({ db, clock, audit, outbox, gate, logger, onAccessEnded, me }: MembersDeps) => {
  /**
   * After a membership ended (committed): their pending requests, and upgrades of them, are cancelled with
   * their discards run (a key waiting in the signer is destroyed). Should this fail, the requests stay
   * pending; their applier checks the member again, and the approvals service refuses a request whose
   * requester is no longer a member.
   */
  const cancelRequestsOf = async (workspaceId: string, userId: string, by: TeamActor, opts?: CancelAllByOptions) => {
    try {
      await gate.cancelAllBy(workspaceId, userId, by, opts)
    } catch (err) {
      logger?.warn({ workspaceId, userId, error: err instanceof Error ? err.message : String(err) }, 'cancelling the pending requests of a former member failed')
    }
  }

  /** A member given a lower role: the requests they made with their former power are cancelled (review #8). */
  const cancelOwnRequestsOf = (workspaceId: string, userId: string, by: TeamActor) =>
    cancelRequestsOf(workspaceId, userId, by, { requestedOnly: true, why: 'requester_demoted', note: 'the member who asked for it was given a lower role' })

  /** After a membership ended (committed): the main.ts hook (review #6); a failure is logged, never thrown. */
  const accessEnded = async (workspaceId: string, userId: string, role: Role, by: TeamActor) => {
    me?.forget(userId)
    if (!onAccessEnded) return
    try {
      await onAccessEnded(workspaceId, userId, role, by)
    } catch (err) {
      logger?.warn({ workspaceId, userId, error: err instanceof Error ? err.message : String(err) }, 'ending what a former member still held failed')
    }
  }

  /**
   * Members as `viewerId` sees them. Who has a second factor tells an attacker whom to phish: only owners and
   * admins (who manage the team) see it for everyone, others only for themselves (review #18).
   */
  const viewOf = async (tx: DbOrTx, workspaceId: string, viewerId: string, viewerRole: Role, userId?: string): Promise<MemberView[]> => {
    const seesFactors = viewerRole === 'owner' || viewerRole === 'admin'
    const rows = rowsOf<{
      userId: string
      email: string
      displayName: string
      role: Role
      accountScope: 'all' | 'granted'
      joinedAt: Date | string
      hasTotp: boolean
      hasPasskey: boolean
      grants: string[] | null
    }>(
      await tx.execute(sql`
        select m.user_id as "userId", u.email, u.display_name as "displayName", m.role, m.account_scope as "accountScope", m.created_at as "joinedAt",
          exists (select 1 from totp_credentials t where t.user_id = m.user_id and t.confirmed_at is not null) as "hasTotp",
          exists (select 1 from passkeys p where p.user_id = m.user_id) as "hasPasskey",
          (select json_agg(g.exchange_account_id::text order by g.exchange_account_id) from member_account_grants g
             where g.workspace_id = m.workspace_id and g.user_id = m.user_id) as grants
        from memberships m join users u on u.id = m.user_id join workspaces w on w.id = m.workspace_id
        where m.workspace_id = ${workspaceId} and w.deleted_at is null ${userId ? sql`and m.user_id = ${userId}` : sql``}
        order by m.created_at, m.user_id`),
    )
    return rows.map((r) => ({
      userId: r.userId,
      email: r.email,
      displayName: r.displayName,
      role: r.role,
      accountScope: r.accountScope,
      exchangeAccountIds: r.accountScope === 'granted' ? (r.grants ?? []) : [],
      joinedAt: new Date(r.joinedAt).toISOString(),
      hasSecondFactor: seesFactors || r.userId === viewerId ? r.hasTotp || r.hasPasskey : null,
      hasPasskey: seesFactors || r.userId === viewerId ? r.hasPasskey : null,
      isYou: r.userId === viewerId,
    }))
  }

  /** Every member of a live workspace, oldest first, as a viewer of role `viewerRole` (their effective role) sees them. */
  const list = (workspaceId: string, viewerId: string, viewerRole: Role): Promise<MemberView[]> => viewOf(db, workspaceId, viewerId, viewerRole)

  const memberNotFound = (userId: string) => new AppError('NOT_FOUND', `member "${userId}" not found in this workspace`)

  /**
   * Checks a change against the rules on locked rows and works out what it would do.
   * @throws AppError FORBIDDEN (yourself, an admin and an owner), NOT_FOUND (not a member), BAD_INPUT (grants), CONFLICT (last owner)
   */
  const plan = async (tx: DbOrTx, workspaceId: string, targetId: string, change: MemberChange, by: MemberManager): Promise<Plan> => {
    if (by.role !== 'owner' && by.role !== 'admin') throw new AppError('FORBIDDEN', `your role (${by.role}) may not change members`)
    if (targetId === by.userId) throw new AppError('FORBIDDEN', 'you cannot change your own role or account grants: ask another owner or admin', { reason: 'SELF_CHANGE' })
    const members = await lockMembers(tx, workspaceId)
    const target = members.find((m) => m.userId === targetId)
    if (!target) throw memberNotFound(targetId)
    if (by.role !== 'owner' && target.role === 'owner') throw new AppError('FORBIDDEN', 'admins cannot change owners', { reason: 'OWNER_PROTECTED' })
    if (by.role !== 'owner' && change.role === 'owner') throw new AppError('FORBIDDEN', 'only an owner can make someone an owner', { reason: 'OWNER_PROTECTED' })

    const from: Standing = { role: target.role, accountScope: target.accountScope, grants: target.accountScope === 'granted' ? await grantsOf(tx, workspaceId, targetId) : [] }
    const role = change.role ?? from.role
    const accountScope = change.accountScope ?? (role === 'trader' && from.role === 'trader' ? from.accountScope : 'all')
    if (accountScope === 'granted' && role !== 'trader') {
      throw new AppError('BAD_INPUT', `accountScope: only traders can be limited to granted accounts (${article(role)} trades on every account)`)
    }
    const named = [...new Set(change.exchangeAccountIds ?? [])]
    if (accountScope === 'all' && named.length > 0) throw new AppError('BAD_INPUT', "exchangeAccountIds: grants need accountScope 'granted'")
    if (named.length > MAX_GRANTS) throw new AppError('BAD_INPUT', `exchangeAccountIds: at most ${MAX_GRANTS} accounts`)
    const grants = accountScope === 'granted' ? (change.exchangeAccountIds === undefined && from.accountScope === 'granted' ? from.grants : named).slice().sort() : []
    if (change.exchangeAccountIds !== undefined && accountScope === 'granted') {
      const live = await liveAccountIds(tx, workspaceId, grants)
      const unknown = grants.filter((id) => !live.has(id))
      if (unknown.length > 0) throw new AppError('BAD_INPUT', `exchangeAccountIds: not an exchange account of this workspace: ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}`)
    }
    const to: Standing = { role, accountScope, grants }

    if (from.role === 'owner' && to.role !== 'owner' && members.filter((m) => m.role === 'owner').length <= 1) {
      throw new AppError('CONFLICT', 'this is the last owner of the workspace: make someone else owner first', { reason: 'LAST_OWNER' })
    }
    const widensGrants = to.role === 'trader' && from.role === 'trader' && from.accountScope === 'granted' && (to.accountScope === 'all' || to.grants.some((g) => !from.grants.includes(g)))
    const isUpgrade = roleRank[to.role] > roleRank[from.role] || widensGrants
    const isNoop = to.role === from.role && to.accountScope === from.accountScope && sameSet(to.grants, from.grants)
    const isDowngrade = roleRank[to.role] < roleRank[from.role]
    const demotesOwner = from.role === 'owner' && to.role !== 'owner'
    return { target, from, to, isUpgrade, isDowngrade, demotesOwner, isNoop }
  }

  /** Writes a planned change and its audit entries (`member_role_changed`, `member_grants_changed`) in `tx`. */
  const applyIn = async (tx: DbOrTx, workspaceId: string, p: Plan, audited: { actorId: string; ip?: string | undefined; requestId?: string | undefined; approvalId?: string; requestedBy?: string | null }) => {
    const { target, from, to } = p
    const now = clock.now()
    await tx.update(memberships).set({ role: to.role, accountScope: to.accountScope }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, target.userId)))
    if (!sameSet(to.grants, from.grants)) await replaceGrants(tx, workspaceId, target.userId, to.grants, now)
    const base = { workspaceId, actor: { type: 'user' as const, id: audited.actorId }, outcome: 'success' as const, ip: audited.ip, requestId: audited.requestId }
    const via = audited.approvalId ? { approvalId: audited.approvalId, requestedBy: audited.requestedBy ?? null } : {}
    if (to.role !== from.role) {
      await audit.appendIn(tx, { ...base, type: 'member_role_changed', details: { userId: target.userId, email: target.email, from: from.role, to: to.role, ...via } })
    }
    if (to.accountScope !== from.accountScope || !sameSet(to.grants, from.grants)) {
      await audit.appendIn(tx, {
        ...base,
        type: 'member_grants_changed',
        details: { userId: target.userId, email: target.email, from: { scope: from.accountScope, exchangeAccountIds: from.grants }, to: { scope: to.accountScope, exchangeAccountIds: to.grants }, ...via },
      })
    }
  }

  const describe = (p: Plan): string => {
    const who = p.target.email
    const parts: string[] = []
    if (p.to.role !== p.from.role) parts.push(`make ${who} ${article(p.to.role)} (now ${p.from.role})`)
    if (p.to.role === 'trader' && (p.to.accountScope !== p.from.accountScope || !sameSet(p.to.grants, p.from.grants))) {
      parts.push(p.to.accountScope === 'all' ? `let ${who} trade on every exchange account` : `let ${who} trade on ${p.to.grants.length} named exchange account${p.to.grants.length === 1 ? '' : 's'}`)
    }
    const text = parts.join(' and ')
    return text.charAt(0).toUpperCase() + text.slice(1)
  }


  /** Who did it, as an email names them. */
  const nameOf = (members: readonly MemberRow[], userId: string, fallback: string) => {
    const m = members.find((x) => x.userId === userId)
    return m?.displayName || m?.email || fallback
  }

  /** Tells an owner who lost their owner rights (in the transaction that took them). */
  const tellDemotedOwner = async (tx: DbOrTx, workspaceName: string, p: Plan, byName: string) => {
    await outbox.sendIn(tx, { userId: p.target.userId, address: p.target.email }, {
      template: 'team_notice',
      vars: { change: 'role_changed', workspaceName, by: byName, from: p.from.role, to: p.to.role, time: clock.now() },
    })
  }

  const describeOwnerChange = (p: Plan): string => {
    const grants = p.to.role === 'trader' && p.to.accountScope === 'granted' ? ` on ${p.to.grants.length} named exchange account${p.to.grants.length === 1 ? '' : 's'}` : ''
    return `Take the owner rights of ${p.target.email}: make them ${article(p.to.role)}${grants}`
  }

  /**
   * Changes a member's role and/or account grants. More power waits for approval where the workspace asks
   * for four-eyes (`pending`, kind `role.upgrade`), and so does taking owner rights from someone else (kind
   * `owner.change`, owners approve: otherwise one owner could demote the others and then turn approvals off
   * alone). Everything else applies at once (`applied`); a member given a lower role loses the requests they made.
   * @throws AppError FORBIDDEN, NOT_FOUND, BAD_INPUT, CONFLICT (see `plan`), CONFLICT reason NO_APPROVER (from the gate)
   */
  const update = async (workspaceId: string, targetId: string, change: MemberChange, by: MemberManager): Promise<MemberUpdateResult> => {
    // Read before the transaction: the gate uses its own connection (PGlite has one; it would wait for ours).
    const upgradeGated = await gate.required(workspaceId, 'role.upgrade')
    const ownerChangeGated = await gate.required(workspaceId, 'owner.change')
    const outcome = await db.transaction(async (tx): Promise<{ plan: Plan; applied: boolean }> => {
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      const p = await plan(tx, workspaceId, targetId, change, by)
      if (p.isNoop || (p.isUpgrade && upgradeGated) || (p.demotesOwner && ownerChangeGated)) return { plan: p, applied: false }
      await applyIn(tx, workspaceId, p, { actorId: by.userId, ip: by.ip, requestId: by.requestId })
      if (p.demotesOwner) await tellDemotedOwner(tx, ws.name, p, nameOf(await lockMembers(tx, workspaceId), by.userId, 'An owner'))
      return { plan: p, applied: true }
    })
    const p = outcome.plan
    if (!outcome.applied && !p.isNoop) {
      if (p.demotesOwner) {
        const payload: OwnerChangePayload = {
          userId: targetId,
          role: p.to.role as Exclude<TeamRole, 'owner'>,
          ...(p.to.role === 'trader' ? { accountScope: p.to.accountScope, ...(p.to.accountScope === 'granted' ? { exchangeAccountIds: p.to.grants } : {}) } : {}),
        }
        const approval = await gate.request({ workspaceId, kind: 'owner.change', summary: describeOwnerChange(p), payload, requestedBy: { userId: by.userId, ip: by.ip, requestId: by.requestId } })
        return { pending: approval }
      }
      // The end state asked for, re-planned when approved: the role only when it changes (a member demoted
      // meanwhile is not raised back by an approved change of their grants), the grants only for a trader.
      const payload: RoleUpgradePayload = {
        userId: targetId,
        ...(p.to.role !== p.from.role ? { role: p.to.role } : {}),
        ...(p.to.role === 'trader' ? { accountScope: p.to.accountScope, ...(p.to.accountScope === 'granted' ? { exchangeAccountIds: p.to.grants } : {}) } : {}),
      }
      const approval = await gate.request({ workspaceId, kind: 'role.upgrade', summary: describe(p), payload, requestedBy: { userId: by.userId, ip: by.ip, requestId: by.requestId } })
      return { pending: approval }
    }
    if (outcome.applied && p.isDowngrade) await cancelOwnRequestsOf(workspaceId, targetId, by)
    const [view] = await viewOf(db, workspaceId, by.userId, by.role, targetId)
    if (!view) throw memberNotFound(targetId)
    return { applied: view }
  }

  /**
   * The approval handler of kind `role.upgrade` (main.ts registers it): applies the approved change after
   * checking it again as the requester, now — the requester must still manage members, the member must
   * still be one, and the rules must still hold (an admin's request to change someone who became an owner
   * fails). A change that has meanwhile become moot applies nothing and says so.
   */
  const applyRoleUpgrade = async (payload: unknown, ctx: ApprovalContext): Promise<Record<string, unknown>> => {
    const parsed = roleUpgradePayload.safeParse(payload)
    if (!parsed.success) throw new AppError('BAD_INPUT', 'the approved request does not describe a member change')
    const { userId, ...change } = parsed.data
    if (!ctx.requestedBy) throw new AppError('CONFLICT', 'the person who asked for this change no longer has an account', { reason: 'REQUESTER_GONE' })
    const requestedBy = ctx.requestedBy
    const result = await db.transaction(async (tx) => {
      if (!(await lockWorkspace(tx, ctx.workspaceId))) throw new AppError('NOT_FOUND', `workspace "${ctx.workspaceId}" not found`)
      const [requester] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, ctx.workspaceId), eq(memberships.userId, requestedBy)))
      if (!requester || (requester.role !== 'owner' && requester.role !== 'admin')) {
        throw new AppError('CONFLICT', 'the person who asked for this change no longer manages members of this workspace', { reason: 'REQUESTER_GONE' })
      }
      const p = await plan(tx, ctx.workspaceId, userId, change, { userId: requestedBy, role: requester.role })
      if (p.isNoop) return { userId, role: p.to.role, accountScope: p.to.accountScope, unchanged: true }
      await applyIn(tx, ctx.workspaceId, p, { actorId: ctx.decidedBy ?? requestedBy, ip: ctx.ip, requestId: ctx.requestId, approvalId: ctx.approvalId, requestedBy })
      return { userId, role: p.to.role, accountScope: p.to.accountScope, exchangeAccountIds: p.to.grants }
    })
    me?.forget(userId)
    return result
  }


  /** Ends `target`'s membership in `tx`: access, API tokens, the audit entry (`member_removed`) and their notice. */
  const removeIn = async (
    tx: DbOrTx,
    ws: { id: string; name: string },
    target: MemberRow,
    byName: string,
    audited: { actorId: string; ip?: string | undefined; requestId?: string | undefined; approvalId?: string; requestedBy?: string | null },
  ) => {
    const now = clock.now()
    const ended = await endMembershipIn(tx, ws.id, target.userId, now)
    const via = audited.approvalId ? { approvalId: audited.approvalId, requestedBy: audited.requestedBy ?? null } : {}
    await audit.appendIn(tx, {
      workspaceId: ws.id,
      type: 'member_removed',
      actor: { type: 'user', id: audited.actorId },
      outcome: 'success',
      ip: audited.ip,
      requestId: audited.requestId,
      details: { userId: target.userId, email: target.email, role: target.role, ...ended, ...via },
    })
    await outbox.sendIn(tx, { userId: target.userId, address: target.email }, { template: 'team_notice', vars: { change: 'removed', workspaceName: ws.name, by: byName, time: now } })
  }

  /**
   * Removes someone else from the workspace; their access ends at once (see `endMembershipIn`), their pending
   * requests are cancelled, and they are told by email. Removing yourself is `leave`. Removing an owner where
   * approvals are required waits for another owner (`owner.change`, payload role null): `pending`.
   * @throws AppError BAD_INPUT (yourself), NOT_FOUND, FORBIDDEN (an admin and an owner), CONFLICT (last owner),
   *   CONFLICT reason NO_APPROVER (from the gate)
   */
  const remove = async (workspaceId: string, targetId: string, by: MemberManager): Promise<MemberRemoveResult> => {
    if (targetId === by.userId) throw new AppError('BAD_INPUT', 'to remove yourself, leave the workspace instead')
    const ownerChangeGated = await gate.required(workspaceId, 'owner.change')
    const outcome = await db.transaction(async (tx): Promise<{ waits: MemberRow } | { removed: MemberRow }> => {
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      const members = await lockMembers(tx, workspaceId)
      const target = members.find((m) => m.userId === targetId)
      if (!target) throw memberNotFound(targetId)
      if (by.role !== 'owner' && target.role === 'owner') throw new AppError('FORBIDDEN', 'admins cannot remove owners', { reason: 'OWNER_PROTECTED' })
      if (by.role !== 'owner' && by.role !== 'admin') throw new AppError('FORBIDDEN', `your role (${by.role}) may not remove members`)
      if (target.role === 'owner' && members.filter((m) => m.role === 'owner').length <= 1) {
        throw new AppError('CONFLICT', 'this is the last owner of the workspace: make someone else owner first', { reason: 'LAST_OWNER' })
      }
      if (target.role === 'owner' && ownerChangeGated) return { waits: target }
      await removeIn(tx, ws, target, nameOf(members, by.userId, 'An owner or admin'), { actorId: by.userId, ip: by.ip, requestId: by.requestId })
      return { removed: target }
    })
    if ('waits' in outcome) {
      const payload: OwnerChangePayload = { userId: targetId, role: null }
      const approval = await gate.request({
        workspaceId,
        kind: 'owner.change',
        summary: `Remove the owner ${outcome.waits.email} from the workspace`,
        payload,
        requestedBy: { userId: by.userId, ip: by.ip, requestId: by.requestId },
      })
      return { pending: approval }
    }
    await cancelRequestsOf(workspaceId, targetId, by)
    await accessEnded(workspaceId, targetId, outcome.removed.role, by)
    return { removed: true }
  }

  /**
   * The approval handler of kind `owner.change` (src/approval-handlers.ts registers it): demotes or removes
   * an owner once another owner approved it, after checking again, now, that the owner it is about still is
   * one, that the requester still is an owner (and not the same person), and that the workspace keeps an owner.
   * The demoted or removed owner is told by email; what they asked for is cancelled.
   * @throws AppError BAD_INPUT (payload), NOT_FOUND (workspace gone), CONFLICT reason REQUESTER_LOST_RIGHT,
   *   TARGET_NOT_OWNER, LAST_OWNER; and what `plan` throws (e.g. grants naming removed accounts)
   */
  const applyOwnerChange = async (payload: unknown, ctx: ApprovalContext): Promise<Record<string, unknown>> => {
    const parsed = ownerChangePayload.safeParse(payload)
    if (!parsed.success) throw new AppError('BAD_INPUT', 'the approved request does not describe an owner change')
    const { userId, role, accountScope, exchangeAccountIds } = parsed.data
    const requestedBy = ctx.requestedBy
    if (!requestedBy) throw new AppError('CONFLICT', 'the person who asked for this change no longer has an account', { reason: 'REQUESTER_GONE' })
    if (requestedBy === userId) throw new AppError('CONFLICT', 'an owner cannot take their own owner rights through a request', { reason: 'SELF_CHANGE' })
    const audited = { actorId: ctx.decidedBy ?? requestedBy, ip: ctx.ip, requestId: ctx.requestId, approvalId: ctx.approvalId, requestedBy }
    const done = await db.transaction(async (tx) => {
      const ws = await lockWorkspace(tx, ctx.workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${ctx.workspaceId}" not found`)
      const members = await lockMembers(tx, ctx.workspaceId)
      const requester = members.find((m) => m.userId === requestedBy)
      if (requester?.role !== 'owner') {
        throw new AppError('CONFLICT', 'the owner who asked for this change is no longer an owner of this workspace', { reason: 'REQUESTER_LOST_RIGHT' })
      }
      const target = members.find((m) => m.userId === userId)
      if (target?.role !== 'owner') throw new AppError('CONFLICT', 'the member this change is about is no longer an owner: nothing was changed', { reason: 'TARGET_NOT_OWNER' })
      if (members.filter((m) => m.role === 'owner').length <= 1) {
        throw new AppError('CONFLICT', 'this is the last owner of the workspace: make someone else owner first', { reason: 'LAST_OWNER' })
      }
      const byName = requester.displayName || requester.email || 'An owner'
      if (role === null) {
        await removeIn(tx, ws, target, byName, audited)
        return { removed: target }
      }
      const p = await plan(tx, ctx.workspaceId, userId, { role, accountScope, exchangeAccountIds }, { userId: requestedBy, role: 'owner' })
      await applyIn(tx, ctx.workspaceId, p, audited)
      await tellDemotedOwner(tx, ws.name, p, byName)
      return { demoted: p }
    })
    const by = { userId: audited.actorId, ip: ctx.ip, requestId: ctx.requestId }
    if ('removed' in done) {
      await cancelRequestsOf(ctx.workspaceId, userId, by)
      await accessEnded(ctx.workspaceId, userId, 'owner', by)
      return { userId, removed: true }
    }
    await cancelOwnRequestsOf(ctx.workspaceId, userId, by)
    me?.forget(userId)
    return { userId, role: done.demoted.to.role, accountScope: done.demoted.to.accountScope, exchangeAccountIds: done.demoted.to.grants }
  }

  /**
   * Leaves the workspace: the same effects as being removed, for yourself.
   * @throws AppError NOT_FOUND (not a member), CONFLICT (the last owner; an owner of a personal workspace)
   */
  const leave = async (workspaceId: string, by: TeamActor): Promise<void> => {
    const role = await db.transaction(async (tx) => {
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      const members = await lockMembers(tx, workspaceId)
      const leaver = members.find((m) => m.userId === by.userId)
      if (!leaver) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      if (ws.isPersonal && leaver.role === 'owner') throw new AppError('CONFLICT', 'this is your personal workspace: it cannot be left', { reason: 'PERSONAL_WORKSPACE' })
      if (leaver.role === 'owner' && members.filter((m) => m.role === 'owner').length <= 1) {
        throw new AppError('CONFLICT', 'you are the last owner of this workspace: make someone else owner first (or delete the workspace)', { reason: 'LAST_OWNER' })
      }
      const ended = await endMembershipIn(tx, workspaceId, by.userId, clock.now())
      await audit.appendIn(tx, {
        workspaceId,
        type: 'member_left',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { userId: by.userId, email: leaver.email, role: leaver.role, ...ended },
      })
      return leaver.role
    })
    await cancelRequestsOf(workspaceId, by.userId, by)
    await accessEnded(workspaceId, by.userId, role, by)
  }

  return { list, update, applyRoleUpgrade, applyOwnerChange, remove, leave }
}
export type Members = ReturnType<typeof createMembers>
