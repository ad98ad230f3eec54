import { and, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { findSecretFields, scrubSecretValues } from '../lib/redact.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { schema, type Db, type DbOrTx, type ApprovalKind, type ApprovalState } from '../db/index.js'
import type { Alerts, AuditChain, Outbox } from '../monitoring/index.js'
import { isAllowed, workspaceAccess, type Action } from '../auth/policy.js'
import { mayTradeOn, tradableAccounts } from '../auth/member-grants.js'
import { approverPool, eligibleFor, isOwnerOnly, type Approver } from './approval-eligibility.js'
import {
  APPROVAL_TTL_MS,
  approvalKinds,
  type ApprovalContext,
  type ApprovalDiscardReason,
  type ApprovalGate,
  type ApprovalHandler,
  type ApprovalRequestInput,
  type ApprovalView,
} from './approval-types.js'

const { approvalRequests: requests, memberships, users, workspaces } = schema

/** The in-app alert raised for every new request (alert-catalogue.ts). */
export const APPROVAL_REQUESTED_RULE = 'approval_requested'
/** At most this many requests wait in one workspace: a flood of requests must not bury the real one. */
export const MAX_PENDING_APPROVALS = 20
/** At most this many wait per requester: one member (a trader's promotions, say) cannot fill the queue alone. */
export const MAX_PENDING_PER_REQUESTER = 5
/** An approved request still without a result this long after its approval was interrupted (a crash): it fails. */
export const STALE_APPLY_MS = 10 * 60 * 1000
/** Longer summaries are cut, with a trailing '…' (the request's `details` carry every fact). */
export const SUMMARY_MAX_CHARS = 300
const NOTE_MAX_CHARS = 500
const LIST_LIMIT = 200

export type ApprovalsDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  /** The in-app alert `approval_requested`, raised in the workspace (and sent on its notification channels). */
  alerts: Pick<Alerts, 'raiseIn'>
  /** The email to each eligible approver, with their anti-phishing code (R35). */
  outbox: Pick<Outbox, 'sendIn'>
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
  /** Timers of the expiry sweep (`start`); the global ones by default. */
  timers?: { setInterval: (fn: () => void, ms: number) => unknown; clearInterval: (handle: never) => void } | undefined
}

/** Who decides: the signed-in approver, with the request's facts for the audit entry. */
export type ApprovalDecider = { userId: string; ip?: string | undefined; requestId?: string | undefined }
export type ApprovalListState = 'pending' | 'decided' | 'all'

type Row = typeof requests.$inferSelect

/**
 * The policy action each kind of change needs: the requester must still be allowed it when the request is
 * approved (a member demoted, or narrowed to viewer by the two-factor policy, meanwhile is not).
 */
export const approvalActionOf: Record<ApprovalKind, Action> = {
  'key.connect': 'keys.manage',
  'key.replace': 'keys.manage',
  'limits.raise': 'trading.risk',
  'bot.promote': 'trading.promote',
  'role.upgrade': 'members.manage',
  // Owner business (the requester must also still be an owner: see `requesterStanding`).
  'owner.change': 'members.manage',
  'policy.relax': 'policies.manage',
  'incident.unlock': 'incident.unlock',
}

/** The one-line summary as stored: whitespace folded, cut with a trailing '…' when too long (never silently). */
export const summaryOf = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1).trimEnd()}…` : line
}

const detailsOf = (payload: unknown): Record<string, unknown> =>
  payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {}

/** Why a decision does not go through although the request is open: it is cancelled instead (see `approve`). */
type Withdrawal = { why: string; note: string; error: AppError }

/**
 * Four-eyes approvals (R42): a high-risk change in a team workspace waits as a request until a second
 * eligible member approves it, and is applied then by the handler registered for its kind (main.ts
 * registers them: keys, trading, members, policies, the incident unlock).
 *
 * Eligibility (who may approve or reject a request): see approval-eligibility.ts — an owner or admin
 * other than the requester, able to sign in, not narrowed to viewer by the two-factor policy; owners only
 * for owner-only kinds. Approving also needs a fresh step-up (the route: `requireStepUp`, which demands a
 * passkey where the workspace's policy asks owners and admins for one).
 *
 * Invariants:
 * - Deciding is a compare-and-set on `state = 'pending' AND expires_at > now`: two approvers at once
 *   apply a change once; an approval and the expiry never both win.
 * - Every transition is audited in the workspace chain in the same transaction as the row change; the
 *   approval entry names the approver as actor and the requester in its details (both identities).
 * - Nothing secret is stored: the payload is what the applier needs (ids, values), refused when a field is
 *   named like a secret. A handler's failure is stored as a note without secret values.
 * - An approved request whose handler fails becomes `failed` (note: the error's message) and `approve`
 *   rethrows the handler's error, so the HTTP answer says why; GET shows the failed request.
 * - Rejected, cancelled and expired requests run the handler's `discard` (e.g. a key waiting in the
 *   signer is destroyed). A discard that fails is logged; the request's state stands.
 * - While the workspace is locked down only an `incident.unlock` request may be approved (rejecting and
 *   cancelling always work: they change nothing).
 */
export const createApprovals = (deps: ApprovalsDeps) => {
  const { db, clock, audit } = deps
  const handlers = new Map<ApprovalKind, ApprovalHandler>()

  /** Registers how one kind is applied (and discarded); main.ts does it once per kind. */
  const register = (kind: ApprovalKind, handler: ApprovalHandler): void => {
    if (handlers.has(kind)) throw new Error(`an approval handler for "${kind}" is already registered`)
    handlers.set(kind, handler)
  }

  /**
   * The members who could approve a request of this kind by this requester (the request's own check,
   * also for a flow that wants to refuse early, like the unlock's first step).
   */
  const eligibleApprovers = async (workspaceId: string, kind: ApprovalKind, requesterId: string, payload: unknown = {}): Promise<Approver[]> =>
    eligibleFor(await approverPool(db, workspaceId), { kind, payload, requestedBy: requesterId })

  /** @throws AppError CONFLICT (reason NO_APPROVER) when nobody but the requester could approve it */
  const assertApproverExists = async (workspaceId: string, kind: ApprovalKind, requesterId: string, payload: unknown = {}): Promise<void> => {
    if ((await eligibleApprovers(workspaceId, kind, requesterId, payload)).length === 0) throw noApprover(kind, payload)
  }

  const noApprover = (kind: ApprovalKind, payload: unknown) =>
    new AppError(
      'CONFLICT',
      `this change needs a second ${isOwnerOnly(kind, payload) ? 'owner' : 'owner or admin'} to approve it and there is none who could: invite another ${isOwnerOnly(kind, payload) ? 'owner' : 'owner/admin'}, or (single-owner workspace) turn approvals off`,
      { reason: 'NO_APPROVER' },
    )

  /** The workspace's policy says whether this kind waits for a second person (R42). A deleted workspace: no. */
  const required = async (workspaceId: string, _kind: ApprovalKind): Promise<boolean> => {
    const [ws] = await db.select({ on: workspaces.approvalsRequired, deletedAt: workspaces.deletedAt }).from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1)
    return ws !== undefined && ws.deletedAt === null && ws.on
  }

  const people = async (tx: DbOrTx, ids: readonly (string | null)[]) => {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null))]
    if (wanted.length === 0) return new Map<string, { userId: string; email: string; displayName: string }>()
    const rows = await tx.select({ userId: users.id, email: users.email, displayName: users.displayName }).from(users).where(inArray(users.id, wanted))
    return new Map(rows.map((r) => [r.userId, r]))
  }

  /**
   * Views of rows of one workspace, with `canDecide` for the viewer. A pending row past its expiry reads as
   * `expired` (decided at its expiry) before the sweep marks it: reading never runs a discard (which may
   * reach the signer), so a viewer's read stays a read.
   */
  const viewsOf = async (tx: DbOrTx, workspaceId: string, rows: readonly Row[], viewerUserId: string | null): Promise<ApprovalView[]> => {
    if (rows.length === 0) return []
    const byId = await people(
      tx,
      rows.flatMap((r) => [r.requestedBy, r.decidedBy]),
    )
    const now = clock.now().getTime()
    const isOpen = (r: Row) => r.state === 'pending' && r.expiresAt.getTime() > now
    const pool = rows.some(isOpen) && viewerUserId ? await approverPool(tx, workspaceId) : []
    return rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspaceId,
      kind: r.kind,
      summary: r.summary,
      details: detailsOf(r.payload),
      state: r.state === 'pending' && !isOpen(r) ? 'expired' : r.state,
      requestedBy: (r.requestedBy && byId.get(r.requestedBy)) || null,
      requestedAt: r.requestedAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      decidedBy: (r.decidedBy && byId.get(r.decidedBy)) || null,
      decidedAt: r.decidedAt?.toISOString() ?? (r.state === 'pending' && !isOpen(r) ? r.expiresAt.toISOString() : null),
      note: r.note,
      result: (r.result as Record<string, unknown> | null) ?? null,
      canDecide: isOpen(r) && eligibleFor(pool, r).some((a) => a.userId === viewerUserId),
    }))
  }

  const rowOf = async (tx: DbOrTx, workspaceId: string, id: string): Promise<Row> => {
    const [row] = await tx
      .select()
      .from(requests)
      .where(and(eq(requests.workspaceId, workspaceId), eq(requests.id, id)))
      .limit(1)
    if (!row) throw new AppError('NOT_FOUND', `approval request "${id}" not found`)
    return row
  }

  const viewOf = async (workspaceId: string, id: string, viewerUserId: string | null): Promise<ApprovalView> => {
    const [view] = await viewsOf(db, workspaceId, [await rowOf(db, workspaceId, id)], viewerUserId)
    if (!view) throw new AppError('NOT_FOUND', `approval request "${id}" not found`)
    return view
  }

  /**
   * Creates the pending request, audits `approval_requested` (actor: the requester), raises the in-app
   * alert and emails every eligible approver, all in one transaction.
   * At most MAX_PENDING_APPROVALS wait in a workspace and MAX_PENDING_PER_REQUESTER per requester; an
   * `incident.unlock` is never refused by either, nor counted (a flood of requests must not keep a
   * workspace locked).
   * @throws AppError CONFLICT (reason NO_APPROVER: nobody else could approve it; reason TOO_MANY_PENDING),
   *   NOT_FOUND (no such workspace, or the requester is not a member), BAD_INPUT (empty summary), INTERNAL (secret-named payload)
   */
  const request = async (input: ApprovalRequestInput): Promise<ApprovalView> => {
    if (!(approvalKinds as readonly string[]).includes(input.kind)) throw new AppError('INTERNAL', `"${String(input.kind)}" is not a kind of approval`)
    const summary = summaryOf(input.summary)
    if (summary.length === 0) throw new AppError('BAD_INPUT', 'an approval request needs a summary')
    const secretFields = findSecretFields(input.payload)
    if (secretFields.length > 0) throw new AppError('INTERNAL', `an approval payload may not carry secret fields (${secretFields.join(', ')})`)
    const requesterId = input.requestedBy.userId
    const row = await db.transaction(async (tx) => {
      // The workspace row first: it serializes two requests of one workspace, so the pending limit holds.
      const [ws] = await tx.select({ name: workspaces.name, deletedAt: workspaces.deletedAt }).from(workspaces).where(eq(workspaces.id, input.workspaceId)).for('update')
      const [member] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, input.workspaceId), eq(memberships.userId, requesterId)))
        .limit(1)
      if (!ws || ws.deletedAt || !member) throw new AppError('NOT_FOUND', `workspace "${input.workspaceId}" not found`)
      const approvers = eligibleFor(await approverPool(tx, input.workspaceId), { kind: input.kind, payload: input.payload, requestedBy: requesterId })
      if (approvers.length === 0) throw noApprover(input.kind, input.payload)
      const now = clock.now()
      if (input.kind !== 'incident.unlock') {
        // Unlock requests neither count nor are refused: they are one per incident (the unlock flow says so).
        const [pending] = await tx
          .select({ all: sql<number>`count(*)::int`, mine: sql<number>`(count(*) filter (where ${requests.requestedBy} = ${requesterId}))::int` })
          .from(requests)
          .where(and(eq(requests.workspaceId, input.workspaceId), eq(requests.state, 'pending'), gt(requests.expiresAt, now), ne(requests.kind, 'incident.unlock')))
        if ((pending?.mine ?? 0) >= MAX_PENDING_PER_REQUESTER) {
          throw new AppError('CONFLICT', `${MAX_PENDING_PER_REQUESTER} of your changes already wait for approval here: wait for them, or cancel some first`, { reason: 'TOO_MANY_PENDING' })
        }
        if ((pending?.all ?? 0) >= MAX_PENDING_APPROVALS) {
          throw new AppError('CONFLICT', `${MAX_PENDING_APPROVALS} changes already wait for approval in this workspace: approve, reject or cancel some first`, { reason: 'TOO_MANY_PENDING' })
        }
      }
      const [created] = await tx
        .insert(requests)
        .values({
          id: newId(now.getTime()),
          workspaceId: input.workspaceId,
          kind: input.kind,
          summary,
          payload: input.payload,
          state: 'pending',
          requestedBy: requesterId,
          requestedAt: now,
          expiresAt: new Date(now.getTime() + APPROVAL_TTL_MS),
        })
        .returning()
      if (!created) throw new Error('approval insert returned nothing (bug)')
      await audit.appendIn(tx, {
        workspaceId: input.workspaceId,
        type: 'approval_requested',
        actor: { type: 'user', id: requesterId },
        outcome: 'success',
        ip: input.requestedBy.ip,
        requestId: input.requestedBy.requestId,
        details: { approvalId: created.id, kind: created.kind, summary, approvers: approvers.length, expiresAt: created.expiresAt.toISOString() },
      })
      const [requester] = await tx.select({ displayName: users.displayName, email: users.email }).from(users).where(eq(users.id, requesterId))
      const who = requester ? `${requester.displayName} (${requester.email})` : 'a member'
      await deps.alerts.raiseIn(tx, {
        workspaceId: input.workspaceId,
        rule: APPROVAL_REQUESTED_RULE,
        details: { approvalId: created.id, kind: created.kind, summary, requestedBy: who, expiresAt: created.expiresAt.toISOString() },
      })
      for (const a of approvers) {
        await deps.outbox.sendIn(tx, { userId: a.userId, address: a.email }, { template: 'team_notice', vars: { change: 'approval_requested', workspaceName: ws.name, requestedBy: who, summary, expiresAt: created.expiresAt } })
      }
      return created
    })
    const [view] = await viewsOf(db, input.workspaceId, [row], requesterId)
    if (!view) throw new Error('unreachable: one row gives one view')
    return view
  }

  const contextOf = (row: Row, decidedBy: string | null, who?: ApprovalDecider): ApprovalContext => ({
    workspaceId: row.workspaceId,
    approvalId: row.id,
    requestedBy: row.requestedBy,
    decidedBy,
    ip: who?.ip,
    requestId: who?.requestId,
  })

  const runDiscard = async (row: Row, reason: ApprovalDiscardReason, ctx: ApprovalContext) => {
    const discard = handlers.get(row.kind)?.discard
    if (!discard) return
    try {
      await discard(row.payload, ctx, reason)
    } catch (err) {
      deps.logger?.warn({ err, approvalId: row.id, kind: row.kind, reason }, 'an approval request was closed but its discard step failed')
    }
  }

  /** Marks pending rows past their expiry as expired (audited, actor system), then discards each. */
  const expireWhere = async (scope: ReturnType<typeof and>): Promise<number> => {
    const now = clock.now()
    const expired = await db.transaction(async (tx) => {
      const rows = await tx
        .update(requests)
        .set({ state: 'expired', decidedAt: sql`${requests.expiresAt}` })
        .where(and(eq(requests.state, 'pending'), lte(requests.expiresAt, now), scope))
        .returning()
      for (const r of rows) {
        await audit.appendIn(tx, {
          workspaceId: r.workspaceId,
          type: 'approval_expired',
          actor: { type: 'system' },
          outcome: 'success',
          details: { approvalId: r.id, kind: r.kind, summary: r.summary, requestedBy: r.requestedBy, expiresAt: r.expiresAt.toISOString() },
        })
      }
      return rows
    })
    for (const r of expired) await runDiscard(r, 'expired', contextOf(r, null))
    return expired.length
  }

  /**
   * Approved requests whose apply never finished (the process stopped between the approval and the
   * result): `failed` (audited, actor system), then discarded, so nothing waits forever (e.g. a locked
   * workspace's unlock can be asked again).
   */
  const failInterrupted = async (): Promise<number> => {
    const cutoff = new Date(clock.now().getTime() - STALE_APPLY_MS)
    const note = 'applying this approved change was interrupted and did not finish: nothing more will happen, ask again'
    const failed = await db.transaction(async (tx) => {
      const rows = await tx
        .update(requests)
        .set({ state: 'failed', note })
        .where(and(eq(requests.state, 'approved'), isNull(requests.result), lt(requests.decidedAt, cutoff)))
        .returning()
      for (const r of rows) {
        await audit.appendIn(tx, {
          workspaceId: r.workspaceId,
          type: 'approval_apply_failed',
          actor: { type: 'system' },
          outcome: 'failure',
          details: { approvalId: r.id, kind: r.kind, requestedBy: r.requestedBy, approvedBy: r.decidedBy, code: 'INTERRUPTED' },
        })
      }
      return rows
    })
    for (const r of failed) await runDiscard(r, 'failed', contextOf(r, r.decidedBy))
    return failed.length
  }

  /**
   * Expires every pending request past its 24 h, and fails approved ones whose apply was interrupted (the
   * 60 s timer of `start` calls it; reads show expired ones at once already). Returns how many it closed.
   */
  const expireDue = async (): Promise<number> => (await expireWhere(undefined)) + (await failInterrupted())

  const stateWord: Record<ApprovalState, string> = {
    pending: 'waiting',
    approved: 'already approved',
    rejected: 'already rejected',
    expired: 'expired',
    cancelled: 'cancelled',
    failed: 'already approved (applying it failed)',
  }

  /**
   * A request that may still be decided, else why not. An expired one still marked pending becomes
   * `expired` here (and is discarded) before the CONFLICT.
   */
  const assertOpen = async (row: Row): Promise<void> => {
    if (row.state === 'pending' && row.expiresAt.getTime() <= clock.now().getTime()) {
      await expireWhere(eq(requests.id, row.id))
      throw new AppError('CONFLICT', `this request expired at ${row.expiresAt.toISOString()}: ask again`, { reason: 'EXPIRED' })
    }
    if (row.state !== 'pending') throw new AppError('CONFLICT', `this request is ${stateWord[row.state]}: there is nothing to decide`, { reason: row.state.toUpperCase() })
  }

  const selfDecision = (verb: 'approve' | 'reject') =>
    new AppError('FORBIDDEN', verb === 'approve' ? 'you asked for this change: a second person must approve it' : 'you asked for this change: cancel it instead', { reason: 'SELF_APPROVAL' })

  /** The decider is an eligible approver of this request, read in `tx` (the claim's transaction). */
  const assertEligibleIn = async (tx: DbOrTx, row: Row, userId: string, verb: 'approve' | 'reject') => {
    if (row.requestedBy === userId) throw selfDecision(verb)
    if (!eligibleFor(await approverPool(tx, row.workspaceId), row).some((a) => a.userId === userId)) {
      const who = isOwnerOnly(row.kind, row.payload) ? 'an owner' : 'an owner or admin'
      throw new AppError('FORBIDDEN', `only ${who} other than the requester (and the member it is for), with a second factor where the workspace requires one, may ${verb} this`, {
        reason: 'NOT_ELIGIBLE',
      })
    }
  }

  /**
   * Whether the requester may still make the change they asked for (read in the claim's transaction): still
   * a member, their effective role (the two-factor policy narrows it) still allowed the kind's action, still
   * an owner for an `owner.change`, still granted the real account a promotion goes to. Else why not.
   */
  const requesterStanding = async (tx: DbOrTx, row: Row): Promise<Withdrawal | undefined> => {
    const access = row.requestedBy ? await workspaceAccess(tx, row.requestedBy, row.workspaceId) : undefined
    if (!row.requestedBy || !access) {
      return {
        why: 'requester_gone',
        note: 'the member who asked for it is no longer in the workspace',
        error: new AppError('CONFLICT', 'the member who asked for this change is no longer in the workspace: it was cancelled', { reason: 'REQUESTER_GONE' }),
      }
    }
    const lost: Withdrawal = {
      why: 'requester_lost_right',
      note: 'the member who asked for it may no longer make this change',
      error: new AppError('CONFLICT', 'the member who asked for this change may no longer make it (their role or access changed): it was cancelled', { reason: 'REQUESTER_LOST_RIGHT' }),
    }
    if (!isAllowed(access.role, approvalActionOf[row.kind])) return lost
    if (row.kind === 'owner.change' && access.role !== 'owner') return lost
    if (row.kind === 'bot.promote') {
      const target = (row.payload as { exchangeAccountId?: unknown } | null)?.exchangeAccountId
      if (typeof target !== 'string' || !mayTradeOn(await tradableAccounts(tx, row.workspaceId, row.requestedBy, access.role), target)) return lost
    }
    return undefined
  }

  /** Cancels the pending rows of `scope` in `tx`, each audited as `approval_cancelled` (actor: `by`). Discard them after the commit. */
  const cancelIn = async (tx: DbOrTx, workspaceId: string, scope: ReturnType<typeof and>, by: ApprovalDecider, why: string, note: string): Promise<Row[]> => {
    const rows = await tx
      .update(requests)
      .set({ state: 'cancelled', decidedBy: by.userId, decidedAt: clock.now(), note })
      .where(and(eq(requests.workspaceId, workspaceId), eq(requests.state, 'pending'), scope))
      .returning()
    for (const r of rows) {
      await audit.appendIn(tx, {
        workspaceId,
        type: 'approval_cancelled',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { approvalId: r.id, kind: r.kind, summary: r.summary, requestedBy: r.requestedBy, why },
      })
    }
    return rows
  }

  /**
   * Moves a pending, unexpired request to `state` (a compare-and-set: exactly one decision wins) and audits
   * it in the same transaction. `guard` runs first in that transaction, with the workspace row locked
   * (FOR UPDATE: a request, a lockdown's lock and other decisions of this workspace wait for it), so what
   * it checks still holds when the decision commits. It throws to refuse (nothing is written), or returns a
   * withdrawal: the request is cancelled instead (and discarded after the commit) and its error thrown.
   */
  const claim = async (
    row: Row,
    set: Partial<typeof requests.$inferInsert> & { state: ApprovalState },
    event: { type: string; actorId: string; who: ApprovalDecider; details?: Record<string, unknown> },
    guard?: (tx: DbOrTx, ws: { lockedAt: Date | null }) => Promise<Withdrawal | undefined>,
  ): Promise<Row> => {
    const now = clock.now()
    const outcome = await db.transaction(async (tx): Promise<{ claimed: Row } | { withdrawn: Row[]; error: AppError } | undefined> => {
      const [ws] = await tx.select({ lockedAt: workspaces.lockedAt }).from(workspaces).where(eq(workspaces.id, row.workspaceId)).for('update')
      if (!ws) return undefined
      const withdrawal = guard ? await guard(tx, ws) : undefined
      if (withdrawal) {
        const withdrawn = await cancelIn(tx, row.workspaceId, and(eq(requests.id, row.id), gt(requests.expiresAt, now)), event.who, withdrawal.why, withdrawal.note)
        return withdrawn.length > 0 ? { withdrawn, error: withdrawal.error } : undefined
      }
      const [updated] = await tx
        .update(requests)
        .set({ ...set, decidedAt: now })
        .where(and(eq(requests.id, row.id), eq(requests.workspaceId, row.workspaceId), eq(requests.state, 'pending'), gt(requests.expiresAt, now)))
        .returning()
      if (!updated) return undefined
      await audit.appendIn(tx, {
        workspaceId: row.workspaceId,
        type: event.type,
        actor: { type: 'user', id: event.actorId },
        outcome: 'success',
        ip: event.who.ip,
        requestId: event.who.requestId,
        details: { approvalId: row.id, kind: row.kind, summary: row.summary, requestedBy: row.requestedBy, ...event.details },
      })
      return { claimed: updated }
    })
    if (outcome && 'claimed' in outcome) return outcome.claimed
    if (outcome) {
      for (const r of outcome.withdrawn) await runDiscard(r, 'cancelled', contextOf(r, event.who.userId, event.who))
      throw outcome.error
    }
    // Someone else decided it meanwhile, or it expired this instant: answer with what it is now.
    await assertOpen(await rowOf(db, row.workspaceId, row.id))
    throw new AppError('CONFLICT', 'this request changed meanwhile: reload it')
  }

  /**
   * A second eligible member approves: the request is claimed (pending → approved) and audited with both
   * identities, then its handler applies the change. Who approves, the requester's standing and the
   * lockdown are checked in the claim's transaction. A requester who left, or may no longer make the change
   * (demoted, narrowed to viewer by the two-factor policy, an owner change by someone no longer owner, a
   * promotion to an account no longer granted to them), has the request cancelled (and discarded) instead.
   * On the handler's failure the request becomes `failed`, its discard runs (reason `failed`) and the
   * handler's error is rethrown.
   * @throws AppError NOT_FOUND, FORBIDDEN (reason SELF_APPROVAL or NOT_ELIGIBLE), CONFLICT (not pending, expired;
   *   reason REQUESTER_GONE or REQUESTER_LOST_RIGHT: it was cancelled), WORKSPACE_LOCKED (a lockdown holds the
   *   workspace; only the unlock may be approved), UNAVAILABLE (no handler)
   */
  const approve = async (workspaceId: string, id: string, approver: ApprovalDecider): Promise<ApprovalView> => {
    const row = await rowOf(db, workspaceId, id)
    if (row.requestedBy === approver.userId) throw selfDecision('approve')
    await assertOpen(row)
    const handler = handlers.get(row.kind)
    if (!handler) throw new AppError('UNAVAILABLE', `this server cannot apply "${row.kind}" changes yet: the request stays pending`)
    const claimed = await claim(row, { state: 'approved', decidedBy: approver.userId }, { type: 'approval_approved', actorId: approver.userId, who: approver }, async (tx, ws) => {
      await assertEligibleIn(tx, row, approver.userId, 'approve')
      const withdrawal = await requesterStanding(tx, row)
      if (withdrawal) return withdrawal
      if (row.kind !== 'incident.unlock' && ws.lockedAt) {
        throw new AppError('WORKSPACE_LOCKED', 'this workspace is locked down after an incident: unlock it first, then approve this change', { reason: 'LOCKDOWN' })
      }
      return undefined
    })
    const ctx = contextOf(claimed, approver.userId, approver)
    let result: Record<string, unknown>
    try {
      result = (await handler.apply(claimed.payload, ctx)) ?? {}
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL'
      const note = err instanceof AppError ? scrubSecretValues(err.message).slice(0, NOTE_MAX_CHARS) : 'the change could not be applied (internal error): ask your operator to check the server log'
      if (!(err instanceof AppError)) deps.logger?.error({ err, approvalId: id, kind: row.kind }, 'applying an approved change failed')
      await db.transaction(async (tx) => {
        await tx.update(requests).set({ state: 'failed', note }).where(eq(requests.id, id))
        await audit.appendIn(tx, {
          workspaceId,
          type: 'approval_apply_failed',
          actor: { type: 'user', id: approver.userId },
          outcome: 'failure',
          ip: approver.ip,
          requestId: approver.requestId,
          details: { approvalId: id, kind: row.kind, requestedBy: row.requestedBy, code },
        })
      })
      // Nothing may wait on a failed request (a key in the signer, an unlock): its discard cleans up.
      await runDiscard(claimed, 'failed', ctx)
      throw err
    }
    const stored = findSecretFields(result).length === 0 ? result : { applied: true }
    await db.transaction(async (tx) => {
      await tx.update(requests).set({ result: stored }).where(eq(requests.id, id))
      await audit.appendIn(tx, {
        workspaceId,
        type: 'approval_applied',
        actor: { type: 'user', id: approver.userId },
        outcome: 'success',
        ip: approver.ip,
        requestId: approver.requestId,
        details: { approvalId: id, kind: row.kind, requestedBy: row.requestedBy, approvedBy: approver.userId },
      })
    })
    return viewOf(workspaceId, id, approver.userId)
  }

  /**
   * An eligible member (not the requester: they cancel) turns the request down; its handler discards it.
   * Eligibility is checked in the claim's transaction.
   * @throws AppError NOT_FOUND, FORBIDDEN (SELF_APPROVAL, NOT_ELIGIBLE), CONFLICT (not pending, expired)
   */
  const reject = async (workspaceId: string, id: string, decider: ApprovalDecider, note?: string): Promise<ApprovalView> => {
    const row = await rowOf(db, workspaceId, id)
    if (row.requestedBy === decider.userId) throw selfDecision('reject')
    await assertOpen(row)
    const text = note === undefined ? null : scrubSecretValues(note.trim()).slice(0, NOTE_MAX_CHARS) || null
    const claimed = await claim(row, { state: 'rejected', decidedBy: decider.userId, note: text }, { type: 'approval_rejected', actorId: decider.userId, who: decider, details: { note: text } }, async (tx) => {
      await assertEligibleIn(tx, row, decider.userId, 'reject')
      return undefined
    })
    await runDiscard(claimed, 'rejected', contextOf(claimed, decider.userId, decider))
    return viewOf(workspaceId, id, decider.userId)
  }

  /**
   * The requester withdraws their request; its handler discards it. (The route lets only roles that could
   * have asked for something do it, `approvals.cancel`: a viewer's request never reaches the signer.)
   * @throws AppError NOT_FOUND, FORBIDDEN (not the requester), CONFLICT (not pending, expired)
   */
  const cancel = async (workspaceId: string, id: string, requester: ApprovalDecider): Promise<ApprovalView> => {
    const row = await rowOf(db, workspaceId, id)
    if (row.requestedBy !== requester.userId) throw new AppError('FORBIDDEN', 'only the member who asked for this change can cancel it (others reject it)', { reason: 'NOT_REQUESTER' })
    await assertOpen(row)
    const claimed = await claim(row, { state: 'cancelled', decidedBy: requester.userId }, { type: 'approval_cancelled', actorId: requester.userId, who: requester })
    await runDiscard(claimed, 'cancelled', contextOf(claimed, requester.userId, requester))
    return viewOf(workspaceId, id, requester.userId)
  }

  /**
   * Cancels pending requests in bulk (audited one by one as `approval_cancelled`, actor: who caused it),
   * then discards each. For membership changes: the rows are chosen by `scope`.
   */
  const cancelWhere = async (workspaceId: string, scope: ReturnType<typeof and>, by: ApprovalDecider, why: string, note: string): Promise<number> => {
    const cancelled = await db.transaction((tx) => cancelIn(tx, workspaceId, scope, by, why, note))
    for (const r of cancelled) await runDiscard(r, 'cancelled', contextOf(r, by.userId, by))
    return cancelled.length
  }

  /**
   * A member left or was removed (`by`: who removed them, or the member who left): their pending requests,
   * and role upgrades waiting for them, are cancelled and discarded. With `requestedOnly` (a member given
   * less power): only the requests they made. Call it after the membership change committed. Returns how
   * many were cancelled.
   */
  const cancelAllBy = (workspaceId: string, userId: string, by: ApprovalDecider, opts: { requestedOnly?: boolean; why?: string; note?: string } = {}): Promise<number> =>
    cancelWhere(
      workspaceId,
      opts.requestedOnly ? eq(requests.requestedBy, userId) : or(eq(requests.requestedBy, userId), and(eq(requests.kind, 'role.upgrade'), sql`${requests.payload}->>'userId' = ${userId}`)),
      by,
      opts.why ?? 'member_left',
      opts.note ?? 'the member who asked for it (or whom it was for) is no longer in the workspace',
    )

  /** The workspace was deleted (`by`: its owner): every pending request is cancelled and discarded. */
  const cancelAllIn = (workspaceId: string, by: ApprovalDecider): Promise<number> => cancelWhere(workspaceId, undefined, by, 'workspace_deleted', 'the workspace was deleted')

  /** Newest first (at most 200). `pending`: still decidable; `decided`: everything else (expired included). */
  const list = async (workspaceId: string, viewerUserId: string, opts: { state?: ApprovalListState | undefined } = {}): Promise<ApprovalView[]> => {
    const state = opts.state ?? 'all'
    const now = clock.now()
    const open = and(eq(requests.state, 'pending'), gt(requests.expiresAt, now))
    const rows = await db
      .select()
      .from(requests)
      .where(and(eq(requests.workspaceId, workspaceId), state === 'pending' ? open : state === 'decided' ? or(ne(requests.state, 'pending'), lte(requests.expiresAt, now)) : undefined))
      .orderBy(desc(requests.requestedAt), desc(requests.id))
      .limit(LIST_LIMIT)
    return viewsOf(db, workspaceId, rows, viewerUserId)
  }

  /** @throws AppError NOT_FOUND (unknown in this workspace) */
  const get = (workspaceId: string, id: string, viewerUserId: string): Promise<ApprovalView> => viewOf(workspaceId, id, viewerUserId)

  let timer: unknown
  let sweeping: Promise<unknown> | undefined
  const timers = deps.timers ?? { setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(), clearInterval: (h: never) => clearInterval(h) }
  /** Expires due requests every `everyMs` (60 s by default). */
  const start = ({ everyMs = 60_000 }: { everyMs?: number } = {}) => {
    if (timer !== undefined) return
    timer = timers.setInterval(() => {
      sweeping ??= expireDue()
        .catch((err: unknown) => deps.logger?.warn({ err }, 'expiring approval requests failed'))
        .finally(() => (sweeping = undefined))
    }, everyMs)
  }
  /** Stops the timer and waits for a running sweep. */
  const stop = async () => {
    if (timer !== undefined) timers.clearInterval(timer as never)
    timer = undefined
    await sweeping
  }

  const gate: ApprovalGate = { required, request }
  return { ...gate, register, list, get, approve, reject, cancel, cancelAllBy, cancelAllIn, expireDue, eligibleApprovers, assertApproverExists, start, stop }
}
export type Approvals = ReturnType<typeof createApprovals>
