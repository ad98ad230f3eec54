import { and, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { AuditChain, WorkspaceSettingsService } from '../monitoring/index.js'
import { membersAccess, type MemberAccess } from '../auth/policy.js'
import { shortenLiveSessionsIn } from '../auth/idle-policy.js'
import type { ApprovalContext, ApprovalGate, ApprovalView } from './approval-types.js'
import { ipMatcher, MAX_IP_RANGES, parseIpRange, widensIpRanges } from './ip-ranges.js'

const { workspaces } = schema

/** Bounds of the policies a workspace owner sets. */
export const policyBounds = { sessionIdleMinutes: { min: 5, max: 480 }, keyRotationDays: { min: 7, max: 730 } } as const

/**
 * A change to a workspace's policies: each given field replaces the current value. `null` for
 * `sessionIdleMinutes` goes back to the default (R30), for `requirePasskeyForAdmins` to the default (on for
 * a workspace with more than one member). An empty `allowedIpRanges` allows every address.
 */
export const policyPatchSchema = z
  .object({
    requireTwoFactor: z.boolean(),
    requirePasskeyForAdmins: z.boolean().nullable(),
    sessionIdleMinutes: z.number().int().min(policyBounds.sessionIdleMinutes.min).max(policyBounds.sessionIdleMinutes.max).nullable(),
    allowedIpRanges: z.array(z.string().max(100)).max(MAX_IP_RANGES),
    keyRotationDays: z.number().int().min(policyBounds.keyRotationDays.min).max(policyBounds.keyRotationDays.max),
    refuseIpUnrestrictedKeys: z.boolean(),
    approvalsRequired: z.boolean(),
  })
  .partial()
  .strict()
export type PolicyPatch = z.infer<typeof policyPatchSchema>
type PolicyField = keyof PolicyPatch

const person = z.object({ userId: z.string(), email: z.string(), displayName: z.string(), role: z.enum(['owner', 'admin', 'trader', 'viewer']) })

/** The policies as the API shows them (every member may read them). */
export const policyViewSchema = z.object({
  requireTwoFactor: z.boolean(),
  /** Effective: the explicit setting, or the default (on once the workspace has more than one member). */
  requirePasskeyForAdmins: z.boolean(),
  /** Null: the default idle timeout (R30: 30 minutes, 15 for owners and admins of a team). */
  sessionIdleMinutes: z.number().int().nullable(),
  allowedIpRanges: z.array(z.string()),
  keyRotationDays: z.number().int(),
  refuseIpUnrestrictedKeys: z.boolean(),
  approvalsRequired: z.boolean(),
  ownerCount: z.number().int(),
  memberCount: z.number().int(),
  /** Approvals may be off only in a workspace with exactly one owner (whose choice it then is). */
  canTurnOffApprovals: z.boolean(),
  /** Members without an authenticator app or a passkey: viewers while `requireTwoFactor` is on. */
  membersWithoutSecondFactor: z.array(person),
})
export type PolicyView = z.infer<typeof policyViewSchema>

/** Who changes the policies: the signed-in owner, with the request's address (the lock-out check uses it). */
export type PolicyChangedBy = { userId: string; ip?: string | undefined; requestId?: string | undefined }

export type PolicyUpdateResult = { status: 'applied'; policies: PolicyView } | { status: 'pending'; approval: ApprovalView }

const policyFields = Object.keys(policyPatchSchema.shape) as [PolicyField, ...PolicyField[]]

/**
 * The approval request's payload for `policy.relax`: the patch as a list of `{ field, value }`. Field names
 * travel as values, never as keys: the approvals service refuses keys that read like secrets, and
 * `requirePasskeyForAdmins` ("pass…") and `sessionIdleMinutes` ("session id") would.
 */
export const policyRelaxPayload = z.object({ patch: z.array(z.object({ field: z.enum(policyFields), value: z.unknown() }).strict()).max(policyFields.length) }).strict()
export type PolicyRelaxPayload = z.infer<typeof policyRelaxPayload>

const toPayload = (patch: PolicyPatch): PolicyRelaxPayload => ({ patch: (Object.entries(patch) as [PolicyField, unknown][]).map(([field, value]) => ({ field, value })) })
/** Back to a patch; `planIn` validates it like any other. */
const fromPayload = (payload: PolicyRelaxPayload): PolicyPatch => Object.fromEntries(payload.patch.map((c) => [c.field, c.value])) as PolicyPatch

type Current = {
  requireTwoFactor: boolean
  requirePasskeyForAdmins: boolean | null
  sessionIdleMinutes: number | null
  allowedIpRanges: string[]
  keyRotationDays: number
  refuseIpUnrestrictedKeys: boolean
  approvalsRequired: boolean
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const describeIssues = (error: z.ZodError) => error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')

/**
 * Canonical ranges (deduplicated, in the order given), or BAD_INPUT listing every entry that is not one.
 * @throws AppError BAD_INPUT
 */
export const normalizeIpRanges = (input: readonly string[]): string[] => {
  if (input.length > MAX_IP_RANGES) throw new AppError('BAD_INPUT', `allowedIpRanges: at most ${MAX_IP_RANGES} ranges`)
  const problems: string[] = []
  const out: string[] = []
  for (const text of input) {
    const r = parseIpRange(text)
    if ('problem' in r) problems.push(r.problem)
    else if (!out.includes(r.text)) out.push(r.text)
  }
  if (problems.length > 0) throw new AppError('BAD_INPUT', `allowedIpRanges: ${problems.join('; ')}`)
  return out
}

/**
 * Workspace policies (issue 10): require a second factor of every member, a passkey of owners and admins,
 * the session idle timeout, the allowed sign-in IP ranges, the key rotation period, refusing
 * IP-unrestricted keys, and four-eyes approvals.
 *
 * Invariants:
 * - Tightening applies at once. RELAXING (turning a requirement off, a longer idle timeout or back to the
 *   default from a value, reaching addresses the ranges did not, a longer rotation period) waits for a
 *   second owner's approval while the workspace requires approvals (kind `policy.relax`; the whole patch
 *   waits, and is re-validated when applied). Without a gate such a change is refused (fail closed).
 * - Approvals may be turned off only in a workspace with exactly one owner; that applies at once (it is
 *   that owner's choice) and is audited with a warning, together with whatever else the same patch changes.
 * - No change may lock out the person making it: ranges that exclude their current address, or requiring a
 *   second factor they do not have, are CONFLICT.
 * - A lower idle timeout shortens every live session of every member at once (sessions.idle_minutes); new
 *   sign-ins take the strictest of the user's workspaces (auth/idle-policy.ts).
 * - Every change is one transaction with its audit entry `workspace_policy_changed` (fields, old and new
 *   values: none of them is a secret).
 */
export const createWorkspacePolicies = ({
  db,
  clock,
  audit,
  settings,
}: {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  settings: Pick<WorkspaceSettingsService, 'getIn' | 'updateIn'>
}) => {
  const currentIn = async (tx: DbOrTx, workspaceId: string, opts: { lock?: boolean } = {}): Promise<Current> => {
    const query = tx
      .select({
        requireTwoFactor: workspaces.requireTwoFactor,
        requirePasskeyForAdmins: workspaces.requirePasskeyForAdmins,
        sessionIdleMinutes: workspaces.sessionIdleMinutes,
        allowedIpRanges: workspaces.allowedIpRanges,
        refuseIpUnrestrictedKeys: workspaces.refuseIpUnrestrictedKeys,
        approvalsRequired: workspaces.approvalsRequired,
      })
      .from(workspaces)
      .where(and(eq(workspaces.id, workspaceId), isNull(workspaces.deletedAt)))
      .limit(1)
    // The row lock serializes policy changes of one workspace: each sees the one before it.
    const [row] = opts.lock ? await query.for('update') : await query
    if (!row) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
    const keyRotationDays = (await settings.getIn(tx, workspaceId)).keys.rotationDays
    return { ...row, allowedIpRanges: row.allowedIpRanges ?? [], keyRotationDays }
  }

  const viewOf = (current: Current, members: readonly MemberAccess[]): PolicyView => {
    const ownerCount = members.filter((m) => m.role === 'owner').length
    return {
      requireTwoFactor: current.requireTwoFactor,
      requirePasskeyForAdmins: current.requirePasskeyForAdmins ?? members.length > 1,
      sessionIdleMinutes: current.sessionIdleMinutes,
      allowedIpRanges: current.allowedIpRanges,
      keyRotationDays: current.keyRotationDays,
      refuseIpUnrestrictedKeys: current.refuseIpUnrestrictedKeys,
      approvalsRequired: current.approvalsRequired,
      ownerCount,
      memberCount: members.length,
      canTurnOffApprovals: ownerCount === 1,
      membersWithoutSecondFactor: members.filter((m) => !m.hasSecondFactor).map((m) => ({ userId: m.userId, email: m.email, displayName: m.displayName, role: m.role })),
    }
  }

  const getIn = async (tx: DbOrTx, workspaceId: string): Promise<PolicyView> => viewOf(await currentIn(tx, workspaceId), await membersAccess(tx, workspaceId))

  /** The fields whose new value relaxes the policy (see the invariants). */
  const relaxedFields = (current: Current, next: Current, memberCount: number): PolicyField[] => {
    const passkeyDefault = memberCount > 1
    const relaxed: PolicyField[] = []
    if (current.requireTwoFactor && !next.requireTwoFactor) relaxed.push('requireTwoFactor')
    if ((current.requirePasskeyForAdmins ?? passkeyDefault) && !(next.requirePasskeyForAdmins ?? passkeyDefault)) relaxed.push('requirePasskeyForAdmins')
    if (current.sessionIdleMinutes !== null && (next.sessionIdleMinutes === null || next.sessionIdleMinutes > current.sessionIdleMinutes)) relaxed.push('sessionIdleMinutes')
    if (widensIpRanges(current.allowedIpRanges, next.allowedIpRanges)) relaxed.push('allowedIpRanges')
    if (next.keyRotationDays > current.keyRotationDays) relaxed.push('keyRotationDays')
    if (current.refuseIpUnrestrictedKeys && !next.refuseIpUnrestrictedKeys) relaxed.push('refuseIpUnrestrictedKeys')
    return relaxed
  }

  type Plan = { current: Current; next: Current; changed: PolicyField[]; relaxed: PolicyField[]; turnsApprovalsOff: boolean; members: MemberAccess[] }

  /**
   * Validates a patch against the workspace as it is now; changes nothing.
   * @throws AppError BAD_INPUT (a value out of bounds, a range that is not one), NOT_FOUND, CONFLICT (lock-out,
   *   approvals off with several owners, the requester is no owner any more)
   */
  const planIn = async (tx: DbOrTx, workspaceId: string, patch: PolicyPatch, by: PolicyChangedBy, opts: { lock: boolean }): Promise<Plan> => {
    const parsed = policyPatchSchema.safeParse(patch)
    if (!parsed.success) throw new AppError('BAD_INPUT', `policies: ${describeIssues(parsed.error)}`)
    const p = parsed.data
    if (Object.keys(p).length === 0) throw new AppError('BAD_INPUT', 'policies: send at least one policy to change')
    const current = await currentIn(tx, workspaceId, opts)
    const members = await membersAccess(tx, workspaceId)
    const requester = members.find((m) => m.userId === by.userId)
    // The route checked this already; an approved request is applied later, when it may no longer hold.
    if (requester?.effectiveRole !== 'owner') throw new AppError('CONFLICT', 'only an owner of the workspace may change its policies, and the person who asked is not one (any more)')
    const next: Current = {
      requireTwoFactor: p.requireTwoFactor ?? current.requireTwoFactor,
      requirePasskeyForAdmins: p.requirePasskeyForAdmins === undefined ? current.requirePasskeyForAdmins : p.requirePasskeyForAdmins,
      sessionIdleMinutes: p.sessionIdleMinutes === undefined ? current.sessionIdleMinutes : p.sessionIdleMinutes,
      allowedIpRanges: p.allowedIpRanges === undefined ? current.allowedIpRanges : normalizeIpRanges(p.allowedIpRanges),
      keyRotationDays: p.keyRotationDays ?? current.keyRotationDays,
      refuseIpUnrestrictedKeys: p.refuseIpUnrestrictedKeys ?? current.refuseIpUnrestrictedKeys,
      approvalsRequired: p.approvalsRequired ?? current.approvalsRequired,
    }
    const changed = (Object.keys(next) as PolicyField[]).filter((f) => !sameValue(current[f], next[f]))
    if (changed.includes('allowedIpRanges') && next.allowedIpRanges.length > 0 && !ipMatcher(next.allowedIpRanges)(by.ip)) {
      throw new AppError('CONFLICT', `you would lock yourself out: your address (${by.ip ?? 'unknown'}) is not in the new allowed IP ranges. Add it, or make the change from inside them`, {
        reason: 'LOCKOUT',
      })
    }
    if (changed.includes('requireTwoFactor') && next.requireTwoFactor && !requester.hasSecondFactor) {
      throw new AppError('CONFLICT', 'you would lock yourself out: requiring two-factor authentication would make you a viewer here. Set up an authenticator app or a passkey first', {
        reason: 'LOCKOUT',
      })
    }
    const turnsApprovalsOff = current.approvalsRequired && !next.approvalsRequired
    const ownerCount = members.filter((m) => m.role === 'owner').length
    if (turnsApprovalsOff && ownerCount !== 1) {
      throw new AppError('CONFLICT', `approvals can be turned off only in a workspace with exactly one owner, and this one has ${ownerCount}: a change one owner makes must wait for another`, {
        reason: 'SEVERAL_OWNERS',
      })
    }
    return { current, next, changed, relaxed: relaxedFields(current, next, members.length), turnsApprovalsOff, members }
  }

  /** Writes the plan: the workspace row, the settings document, live sessions, the audit entry. */
  const writeIn = async (tx: DbOrTx, workspaceId: string, plan: Plan, by: PolicyChangedBy, approval?: ApprovalContext): Promise<void> => {
    const { current, next, changed } = plan
    if (changed.length === 0) return
    const columns = changed.filter((f) => f !== 'keyRotationDays')
    if (columns.length > 0) {
      await tx
        .update(workspaces)
        .set(Object.fromEntries(columns.map((f) => [f, next[f]])))
        .where(eq(workspaces.id, workspaceId))
    }
    if (changed.includes('keyRotationDays')) {
      const { keys } = await settings.getIn(tx, workspaceId)
      // The reminder must come before the period ends (workspace-settings.ts): a shorter period pulls it in.
      const remind = keys.remindDaysBefore >= next.keyRotationDays ? { remindDaysBefore: next.keyRotationDays - 1 } : {}
      await settings.updateIn(tx, workspaceId, { keys: { rotationDays: next.keyRotationDays, ...remind } })
    }
    let liveSessionsShortened = 0
    if (changed.includes('sessionIdleMinutes') && next.sessionIdleMinutes !== null) {
      liveSessionsShortened = await shortenLiveSessionsIn(tx, { workspaceId, idleMinutes: next.sessionIdleMinutes, now: clock.now() })
    }
    await audit.appendIn(tx, {
      workspaceId,
      type: 'workspace_policy_changed',
      actor: { type: 'user', id: approval?.decidedBy ?? by.userId },
      outcome: 'success',
      ip: by.ip,
      requestId: by.requestId,
      details: {
        changed,
        values: changed.map((field) => ({ field, from: current[field], to: next[field] })),
        relaxing: plan.relaxed.length > 0,
        ...(plan.turnsApprovalsOff ? { warning: 'approvals_turned_off' } : {}),
        ...(approval ? { approvalRef: approval.approvalId, requestedBy: approval.requestedBy } : {}),
        ...(liveSessionsShortened > 0 ? { liveSessionsShortened } : {}),
      },
    })
  }

  const summaryOf = (plan: Plan): string => {
    const { current: c, next: n } = plan
    const words: Record<PolicyField, () => string> = {
      requireTwoFactor: () => (n.requireTwoFactor ? 'require two-factor authentication of every member' : 'stop requiring two-factor authentication'),
      requirePasskeyForAdmins: () => (n.requirePasskeyForAdmins === null ? 'passkeys for owners and admins back to the default' : n.requirePasskeyForAdmins ? 'require passkeys of owners and admins' : 'stop requiring passkeys of owners and admins'),
      sessionIdleMinutes: () => `session idle timeout ${c.sessionIdleMinutes ?? 'default'} → ${n.sessionIdleMinutes ?? 'default'}${n.sessionIdleMinutes === null ? '' : ' minutes'}`,
      allowedIpRanges: () => (n.allowedIpRanges.length === 0 ? 'allow sign-in from any IP address' : `allowed IP ranges: ${n.allowedIpRanges.slice(0, 5).join(', ')}${n.allowedIpRanges.length > 5 ? ` and ${n.allowedIpRanges.length - 5} more` : ''}`),
      keyRotationDays: () => `key rotation period ${c.keyRotationDays} → ${n.keyRotationDays} days`,
      refuseIpUnrestrictedKeys: () => (n.refuseIpUnrestrictedKeys ? 'refuse exchange keys without an IP restriction' : 'accept exchange keys without an IP restriction'),
      approvalsRequired: () => (n.approvalsRequired ? 'turn four-eyes approvals on' : 'turn four-eyes approvals off'),
    }
    const text = `Relax workspace policies: ${plan.changed.map((f) => words[f]()).join('; ')}`
    return text.length > 290 ? `${text.slice(0, 289)}…` : text
  }

  /**
   * Applies a patch, or (relaxing, with approvals on) files it for a second owner's approval.
   * `gate`: the approvals service; without one, a relaxing change in a workspace that requires approvals is refused.
   * @throws AppError BAD_INPUT, NOT_FOUND, CONFLICT (see `planIn`; NO_APPROVER from the gate)
   */
  const update = async (workspaceId: string, patch: PolicyPatch, by: PolicyChangedBy, gate?: ApprovalGate): Promise<PolicyUpdateResult> => {
    const plan = await db.transaction((tx) => planIn(tx, workspaceId, patch, by, { lock: false }))
    if (plan.relaxed.length > 0 && !plan.turnsApprovalsOff) {
      const waits = gate ? await gate.required(workspaceId, 'policy.relax') : plan.current.approvalsRequired
      if (waits) {
        if (!gate) throw new AppError('CONFLICT', 'this change relaxes the workspace policies and needs a second owner to approve it, but approvals are not available here')
        const approval = await gate.request({
          workspaceId,
          kind: 'policy.relax',
          summary: summaryOf(plan),
          payload: toPayload(policyPatchSchema.parse(patch)),
          requestedBy: { userId: by.userId, ip: by.ip, requestId: by.requestId },
        })
        return { status: 'pending', approval }
      }
    }
    const policies = await db.transaction(async (tx) => {
      // Planned again under the row lock: what was checked above may have changed in between.
      const locked = await planIn(tx, workspaceId, patch, by, { lock: true })
      if (locked.relaxed.length > 0 && !locked.turnsApprovalsOff && locked.current.approvalsRequired) {
        throw new AppError('CONFLICT', 'the workspace policies changed while you were editing them: reload and try again')
      }
      await writeIn(tx, workspaceId, locked, by)
      return getIn(tx, workspaceId)
    })
    return { status: 'applied', policies }
  }

  /**
   * The `policy.relax` applier (main.ts registers it with the approvals service): re-validates the patch
   * against the workspace as it is now, as the requester (who must still be an owner), with the approver's
   * address for the lock-out check, and applies it.
   * @throws AppError BAD_INPUT (a payload that is not a patch), CONFLICT (it no longer holds)
   */
  const applyPolicyPatch = async (payload: unknown, ctx: ApprovalContext): Promise<Record<string, unknown>> => {
    const parsed = policyRelaxPayload.safeParse(payload)
    if (!parsed.success) throw new AppError('BAD_INPUT', `policy change: ${describeIssues(parsed.error)}`)
    if (!ctx.requestedBy) throw new AppError('CONFLICT', 'the person who asked for this change is no longer a member')
    const by = { userId: ctx.requestedBy, ip: ctx.ip, requestId: ctx.requestId }
    return db.transaction(async (tx) => {
      // The lock-out check sees the approver's address: the change takes effect from the request they made.
      const plan = await planIn(tx, ctx.workspaceId, fromPayload(parsed.data), by, { lock: true })
      await writeIn(tx, ctx.workspaceId, plan, by, ctx)
      return { changed: plan.changed }
    })
  }

  return {
    get: (workspaceId: string) => db.transaction((tx) => getIn(tx, workspaceId)),
    getIn,
    update,
    applyPolicyPatch,
  }
}
export type WorkspacePolicies = ReturnType<typeof createWorkspacePolicies>
