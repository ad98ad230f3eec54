import { and, eq, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'
import type { AuditActor, AuditChain, Outbox } from '../monitoring/index.js'
import { authorize, verifyPassword, type AccountTokens, type Factors, type LoginThrottle, type SecondFactorProof } from '../auth/index.js'
import type { ExchangeAccounts } from '../keys/index.js'
import type { IncidentStore } from './incident-store.js'
import type { UnlockRequestBody } from './incident-types.js'
import type { RequestCtx } from './lockdown.js'

/** A four-eyes request as the unlock sees it (teams' ApprovalView; incident/ may not import teams/). */
export type UnlockApproval = { id: string; state: string; expiresAt: string } & Record<string, unknown>

/**
 * The four-eyes gate (R42) as the unlock uses it: structurally teams' `ApprovalGate` plus its early check.
 * main.ts passes the approvals service.
 */
export type UnlockApprovalGate = {
  required: (workspaceId: string, kind: 'incident.unlock') => Promise<boolean>
  request: (input: {
    workspaceId: string
    kind: 'incident.unlock'
    summary: string
    payload: Record<string, unknown>
    requestedBy: { userId: string; ip?: string | undefined; requestId?: string | undefined }
  }) => Promise<UnlockApproval>
  /** Refuses at the first step when nobody but the requester could approve (CONFLICT, reason NO_APPROVER). */
  assertApproverExists?: ((workspaceId: string, kind: 'incident.unlock', requesterId: string) => Promise<void>) | undefined
}

/** Why an unlock's approval request was closed without opening the workspace (teams' ApprovalDiscardReason). */
export type UnlockDiscardReason = 'rejected' | 'expired' | 'cancelled' | 'failed'

/** What the approved unlock carries: the incident, and which unlock request of it was approved. */
export const unlockApprovalPayload = z.object({ incidentId: z.string().uuid(), unlockRequestedAt: z.string() })
export type UnlockApprovalPayload = z.infer<typeof unlockApprovalPayload>

/** The context the approvals service runs an applier with (teams' ApprovalContext). */
export type UnlockApprovalContext = { workspaceId: string; approvalId: string; requestedBy: string | null; decidedBy: string | null; ip?: string | undefined; requestId?: string | undefined }

export type UnlockDeps = {
  db: Db
  clock: Clock
  store: IncidentStore
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  outbox: Pick<Outbox, 'sendIn'>
  tokens: Pick<AccountTokens, 'issueIn' | 'consumeIn'>
  factors: Pick<Factors, 'summary' | 'verify'>
  throttle: Pick<LoginThrottle, 'check' | 'failed' | 'succeeded'>
  /** Lifts the kill switch the lockdown set (trading/); bots stay stopped. */
  liftHalt?: ((workspaceId: string) => Promise<boolean>) | undefined
  exchangeAccounts?: Pick<ExchangeAccounts, 'reverify' | 'requestEnable'> | undefined
  /** Between the emailed confirmation and the workspace opening (config UNLOCK_COOLING_OFF_SECONDS). */
  coolingOffSeconds: number
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
  /**
   * Four-eyes (R42): when the workspace's policy asks for it, the unlock that waited out its cooling-off
   * does not open the workspace: it becomes a request a second owner or admin approves (kind
   * `incident.unlock`, applied by `applyApproved`). Absent: the unlock opens the workspace at once.
   */
  approvals?: UnlockApprovalGate | undefined
}

/** The signed-in member asking (a session: API tokens can never unlock). */
export type UnlockSession = { userId: string; sessionId: string; email: string }

const confirmPayload = z.object({ workspaceId: z.string().uuid(), incidentId: z.string().uuid(), requestedAt: z.string() })

/**
 * Unlock after a lockdown (R19 as amended): the password AND a second factor (an authenticator code, or a
 * passkey assertion from the step-up challenge of this session), then the emailed confirmation link, then
 * the cooling-off period. Only then the workspace opens and the incident is resolved (audited in the same
 * transaction: no unlock without its audit record, R39). Keys stay disabled: each comes back through
 * re-verification and the signer-confirmed `enable` widening (`reenableKey`); bots stay stopped.
 *
 * Four-eyes (R42): in a workspace whose policy requires approvals, the unlock that passed all of the above
 * waits once more, for a second eligible owner or admin: when the cooling-off ends the incident stays
 * `unlocking` with `unlockNotBefore` cleared (that is "awaiting approval") and an `incident.unlock`
 * request is made in the requester's name. Approving it runs `applyApproved`, which opens the workspace if
 * that same unlock still waits (a newer lockdown sends the incident back to `open`: the approval then
 * fails). Rejected, cancelled or expired, the unlock ends (`discardApproval`): the incident is `open` again
 * and anyone may ask anew; so is an approved one whose opening failed. Nobody who could approve
 * (NO_APPROVER) is refused at the first step already, except for a workspace's only owner: an unlock must
 * never be impossible, and that owner could have turned approvals off anyway, so their unlock goes ahead
 * without approval (audited `unlock_approval_waived`, reason `single_owner_no_approver`).
 */
export const createUnlock = (deps: UnlockDeps) => {
  const { db, clock, store, audit } = deps
  const userActor = (userId: string): AuditActor => ({ type: 'user', id: userId })

  /** Both proofs, throttled like sign-in; a failure is audited and reads as FORBIDDEN (the session is fine). */
  const verifyProofs = async (session: UnlockSession, body: UnlockRequestBody, ctx: RequestCtx) => {
    await deps.throttle.check(session.email, ctx.ip)
    const summary = await deps.factors.summary(session.userId)
    if (!summary.totp && summary.passkeys === 0) {
      throw new AppError('SECOND_FACTOR_REQUIRED', 'unlocking needs a second factor (an authenticator app or a passkey): ask another owner or admin of the workspace, or your operator')
    }
    const factor = 'totp' in body ? 'totp' : 'passkey'
    try {
      const [user] = await db.select({ passwordHash: schema.users.passwordHash }).from(schema.users).where(eq(schema.users.id, session.userId)).limit(1)
      // Both are checked whatever the first gives, so the answer does not say which one was wrong.
      const passwordOk = user?.passwordHash ? await verifyPassword(user.passwordHash, body.password) : false
      const proof: SecondFactorProof = 'totp' in body ? { totp: body.totp } : { passkey: body.passkey as never }
      const factorOk = await deps.factors.verify(session.userId, proof, { purpose: 'step_up', bindingId: session.sessionId }).then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && (err.code === 'UNAUTHENTICATED' || err.code === 'OTP_REPLAY')) return false
          throw err
        },
      )
      if (!passwordOk || !factorOk) throw new AppError('FORBIDDEN', 'the password or the second factor is not right')
    } catch (err) {
      if (err instanceof AppError && err.code === 'FORBIDDEN') {
        await deps.throttle.failed(session.email, ctx.ip)
        await audit.append({ workspaceId: null, type: 'unlock_request_failed', actor: userActor(session.userId), outcome: 'failure', ...ctx, details: { factor } })
      }
      throw err
    }
    await deps.throttle.succeeded(session.email)
    return factor
  }

  /** Whether the requester is the workspace's only owner (membership role: the owner who could turn approvals off). */
  const isSoleOwner = async (workspaceId: string, userId: string): Promise<boolean> => {
    const owners = await db
      .select({ userId: schema.memberships.userId })
      .from(schema.memberships)
      .where(and(eq(schema.memberships.workspaceId, workspaceId), eq(schema.memberships.role, 'owner')))
      .limit(2)
    return owners.length === 1 && owners[0]?.userId === userId
  }

  /**
   * Whether this requester's unlock waits for a second person: `none` (approvals off, or no gate),
   * `required`, or `waived` (approvals on, nobody else could approve, and the requester is the only owner).
   * @throws AppError CONFLICT (reason NO_APPROVER) when nobody else could approve and the requester is not the only owner
   */
  const approvalNeed = async (workspaceId: string, requesterId: string): Promise<'none' | 'required' | 'waived'> => {
    const gate = deps.approvals
    if (!gate || !(await gate.required(workspaceId, 'incident.unlock'))) return 'none'
    try {
      await gate.assertApproverExists?.(workspaceId, 'incident.unlock', requesterId)
      return 'required'
    } catch (err) {
      if (err instanceof AppError && err.reason === 'NO_APPROVER' && (await isSoleOwner(workspaceId, requesterId))) return 'waived'
      throw err
    }
  }

  /**
   * Step one: password and second factor; emails the confirmation link to the requester.
   * @throws AppError CONFLICT (not locked, or an unlock already confirmed), FORBIDDEN (wrong proof), SECOND_FACTOR_REQUIRED
   */
  const requestUnlock = async (session: UnlockSession, workspaceId: string, body: UnlockRequestBody, ctx: RequestCtx = {}) => {
    const incident = await store.openOf(db, workspaceId)
    if (!incident) throw new AppError('CONFLICT', 'this workspace is not locked down: there is nothing to unlock')
    if (incident.unlockConfirmedAt) {
      throw new AppError(
        'CONFLICT',
        incident.unlockNotBefore
          ? `an unlock is already confirmed: the workspace opens at ${incident.unlockNotBefore.toISOString()}`
          : 'an unlock is already confirmed and waits for a second owner or admin to approve it (Approvals)',
      )
    }
    // Before the proofs are spent: an unlock nobody could approve would only end in a refusal (a sole owner's is waived).
    const approvalRequired = (await approvalNeed(workspaceId, session.userId)) === 'required'
    const factor = await verifyProofs(session, body, ctx)
    const now = clock.now()
    const ws = await store.workspace(db, workspaceId)
    await db.transaction(async (tx) => {
      const [updated] = await tx
        .update(schema.incidents)
        .set({ state: 'unlocking', unlockRequestedAt: now, unlockRequestedBy: session.userId, unlockConfirmedAt: null, unlockNotBefore: null })
        .where(and(eq(schema.incidents.id, incident.id), inArray(schema.incidents.state, ['open', 'unlocking']), isNull(schema.incidents.unlockConfirmedAt)))
        .returning({ id: schema.incidents.id })
      if (!updated) throw new AppError('CONFLICT', 'the incident changed meanwhile: reload and try again')
      const confirmLink = await deps.tokens.issueIn(tx, session.userId, 'confirm_unlock', { workspaceId, incidentId: incident.id, requestedAt: now.toISOString() })
      const emergencyLink = await deps.tokens.issueIn(tx, session.userId, 'emergency_lockdown')
      await deps.outbox.sendIn(
        tx,
        { userId: session.userId, address: session.email },
        { template: 'unlock_requested', vars: { workspaceName: ws?.name ?? 'workspace', time: now, ip: ctx.ip, confirmLink, coolingOffMinutes: Math.ceil(deps.coolingOffSeconds / 60), emergencyLink } },
      )
      await store.addEventIn(tx, incident.id, now, 'unlock_requested', 'success', { by: session.userId, factor })
      await audit.appendIn(tx, { workspaceId, type: 'unlock_requested', actor: userActor(session.userId), outcome: 'success', ...ctx, details: { incidentId: incident.id, factor } })
    })
    return { incidentId: incident.id, state: 'unlocking' as const, emailedTo: session.email, coolingOffSeconds: deps.coolingOffSeconds, approvalRequired }
  }

  type IncidentRow = typeof schema.incidents.$inferSelect
  /**
   * Which unlock opens the workspace: one due after its cooling-off (`waived`: four-eyes was on but the
   * sole owner had nobody to approve it), or one a second member approved.
   */
  type Opening = { due: Date; waived?: boolean } | { approved: UnlockApprovalPayload; ctx: UnlockApprovalContext }

  /**
   * Resolves the incident and opens its workspace when the unlock is still the one meant; the audit record
   * commits with the change or neither happens. Then lifts the lockdown's kill switch and emails the members.
   */
  const open = async (workspaceId: string, incidentId: string, how: Opening): Promise<IncidentRow | null> => {
    const now = clock.now()
    const still =
      'due' in how
        ? lte(schema.incidents.unlockNotBefore, how.due)
        : and(isNull(schema.incidents.unlockNotBefore), isNotNull(schema.incidents.unlockConfirmedAt), eq(schema.incidents.unlockRequestedAt, new Date(how.approved.unlockRequestedAt)))
    const done = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(schema.incidents)
        .set({ state: 'resolved', resolvedAt: now })
        .where(and(eq(schema.incidents.id, incidentId), eq(schema.incidents.workspaceId, workspaceId), eq(schema.incidents.state, 'unlocking'), still))
        .returning()
      if (!row) return null
      await tx.update(schema.workspaces).set({ lockedAt: null }).where(eq(schema.workspaces.id, workspaceId))
      if ('due' in how && how.waived) {
        const waiver = { incidentId, requestedBy: row.unlockRequestedBy, reason: 'single_owner_no_approver' }
        await store.addEventIn(tx, incidentId, now, 'unlock_approval_waived', 'success', waiver)
        await audit.appendIn(tx, { workspaceId, type: 'unlock_approval_waived', actor: { type: 'system' }, outcome: 'success', details: waiver })
      }
      const approval = 'due' in how ? {} : { approvedBy: how.ctx.decidedBy, approvalId: how.ctx.approvalId }
      await store.addEventIn(tx, incidentId, now, 'unlock_completed', 'success', { by: row.unlockRequestedBy, ...approval })
      await audit.appendIn(tx, {
        workspaceId,
        type: 'unlock_completed',
        // The approver opened it (both identities are in the entry); a plain unlock opens on Bulwark's timer.
        actor: 'due' in how || !how.ctx.decidedBy ? { type: 'system' } : userActor(how.ctx.decidedBy),
        outcome: 'success',
        ...('due' in how ? {} : { ip: how.ctx.ip, requestId: how.ctx.requestId }),
        details: { incidentId, requestedBy: row.unlockRequestedBy, ...approval },
      })
      return row
    })
    if (!done) return null
    const haltSetByLockdown = (done.summary as { bots?: { haltSetByLockdown?: boolean } }).bots?.haltSetByLockdown === true
    // The kill switch the lockdown set goes with it; one that was on before the lockdown stays.
    if (haltSetByLockdown && deps.liftHalt) {
      try {
        if (await deps.liftHalt(workspaceId)) await audit.append({ workspaceId, type: 'trading_resumed', actor: { type: 'system' }, outcome: 'success', details: { incidentId, why: 'unlock completed' } })
      } catch (err) {
        deps.logger?.warn({ err, workspaceId }, 'the lockdown kill switch could not be lifted: lift it under Trading')
      }
    }
    try {
      const ws = await store.workspace(db, workspaceId)
      const members = await store.members(db, workspaceId)
      await db.transaction(async (tx) => {
        for (const m of members) {
          const emergencyLink = await deps.tokens.issueIn(tx, m.userId, 'emergency_lockdown')
          await deps.outbox.sendIn(tx, { userId: m.userId, address: m.email }, { template: 'unlock_completed', vars: { workspaceName: ws?.name ?? 'workspace', time: now, emergencyLink } })
        }
      })
    } catch (err) {
      deps.logger?.warn({ err, workspaceId }, 'unlock emails could not be queued')
    }
    return done
  }

  /** Sends an unlock that waits for approval back to `open` (it ended without opening), with why on the timeline. */
  const abandonIn = async (tx: DbOrTx, incidentId: string, unlockRequestedAt: Date | null, kind: string, details: Record<string, unknown>) => {
    const [reset] = await tx
      .update(schema.incidents)
      .set({ state: 'open', unlockRequestedAt: null, unlockRequestedBy: null, unlockConfirmedAt: null, unlockNotBefore: null })
      .where(
        and(
          eq(schema.incidents.id, incidentId),
          eq(schema.incidents.state, 'unlocking'),
          isNull(schema.incidents.unlockNotBefore),
          isNotNull(schema.incidents.unlockConfirmedAt),
          unlockRequestedAt ? eq(schema.incidents.unlockRequestedAt, unlockRequestedAt) : undefined,
        ),
      )
      .returning({ id: schema.incidents.id })
    if (reset) await store.addEventIn(tx, incidentId, clock.now(), kind, 'failure', details)
    return reset !== undefined
  }

  /**
   * The unlock's cooling-off is over but the workspace asks for four eyes: the incident is claimed (its
   * `unlockNotBefore` cleared, so no timer picks it up again) and the request made in the requester's name.
   * When that is refused (nobody could approve it any more, too many requests wait) the unlock ends.
   */
  const requestApproval = async (workspaceId: string, incidentId: string, gate: UnlockApprovalGate): Promise<UnlockApproval | null> => {
    const now = clock.now()
    const [row] = await db
      .update(schema.incidents)
      .set({ unlockNotBefore: null })
      .where(and(eq(schema.incidents.id, incidentId), eq(schema.incidents.workspaceId, workspaceId), eq(schema.incidents.state, 'unlocking'), lte(schema.incidents.unlockNotBefore, now)))
      .returning()
    if (!row) return null
    try {
      if (!row.unlockRequestedBy || !row.unlockRequestedAt) throw new AppError('CONFLICT', 'the member who asked for this unlock is gone: ask again')
      const approval = await gate.request({
        workspaceId,
        kind: 'incident.unlock',
        summary: `Unlock the workspace after the lockdown of ${row.openedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (password, second factor, emailed link and cooling-off done)`,
        payload: { incidentId, unlockRequestedAt: row.unlockRequestedAt.toISOString() } satisfies UnlockApprovalPayload,
        requestedBy: { userId: row.unlockRequestedBy },
      })
      await db.transaction((tx) => store.addEventIn(tx, incidentId, clock.now(), 'unlock_approval_requested', 'success', { approvalId: approval.id, by: row.unlockRequestedBy, expiresAt: approval.expiresAt }))
      return approval
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL'
      const reason = err instanceof AppError ? (err.reason ?? null) : null
      await db.transaction(async (tx) => {
        if (!(await abandonIn(tx, incidentId, row.unlockRequestedAt, 'unlock_approval_refused', { code, reason, message: err instanceof AppError ? err.message : 'internal error' }))) return
        await audit.appendIn(tx, { workspaceId, type: 'unlock_approval_refused', actor: { type: 'system' }, outcome: 'failure', details: { incidentId, requestedBy: row.unlockRequestedBy, code, reason } })
      })
      if (!(err instanceof AppError)) throw err
      deps.logger?.warn({ workspaceId, incidentId, code, reason }, 'an unlock could not be put up for approval: it ended, members may ask again')
      return null
    }
  }

  /**
   * An unlock whose cooling-off is over: opens the workspace, or (four eyes) puts it up for approval.
   * `opened` is false when it was not due; `approval` is the request when one was made.
   */
  const complete = async (workspaceId: string, incidentId: string): Promise<{ opened: boolean; approval: UnlockApproval | null }> => {
    const gate = deps.approvals
    if (gate && (await gate.required(workspaceId, 'incident.unlock'))) {
      // Decided now, not at the first step: an approver who joined meanwhile makes it wait after all.
      const incident = await store.get(db, workspaceId, incidentId)
      const requester = incident?.unlockRequestedBy
      const need = requester ? await approvalNeed(workspaceId, requester).catch(() => 'required' as const) : 'required'
      if (need === 'waived') return { opened: (await open(workspaceId, incidentId, { due: clock.now(), waived: true })) !== null, approval: null }
      return { opened: false, approval: await requestApproval(workspaceId, incidentId, gate) }
    }
    return { opened: (await open(workspaceId, incidentId, { due: clock.now() })) !== null, approval: null }
  }

  /**
   * The applier of an approved `incident.unlock` (main.ts registers it with the approvals service): opens
   * the workspace if that same unlock still waits for approval.
   * @throws AppError CONFLICT (a newer lockdown or unlock replaced it), BAD_INPUT (not an unlock payload)
   */
  const applyApproved = async (payload: unknown, ctx: UnlockApprovalContext): Promise<Record<string, unknown>> => {
    const p = unlockApprovalPayload.safeParse(payload)
    if (!p.success) throw new AppError('BAD_INPUT', 'this approval does not name an unlock')
    const row = await open(ctx.workspaceId, p.data.incidentId, { approved: p.data, ctx })
    if (!row) throw new AppError('CONFLICT', 'this unlock no longer waits for approval (a newer lockdown or unlock replaced it): the workspace stays locked')
    return { incidentId: row.id, state: 'resolved' }
  }

  /**
   * Rejected, cancelled, expired, or approved but opening failed (or was interrupted): the unlock ends and
   * the incident is `open` again (ask anew). A newer unlock of the same incident is left alone.
   */
  const discardApproval = async (payload: unknown, ctx: UnlockApprovalContext, reason: UnlockDiscardReason): Promise<void> => {
    const p = unlockApprovalPayload.safeParse(payload)
    if (!p.success) return
    await db.transaction((tx) => abandonIn(tx, p.data.incidentId, new Date(p.data.unlockRequestedAt), `unlock_approval_${reason}`, { approvalId: ctx.approvalId, by: ctx.decidedBy }))
  }

  /**
   * Step two: the emailed link (no sign-in needed; the token is single-use). Starts the cooling-off; with none,
   * the workspace opens at once.
   * @throws AppError BAD_INPUT (bad or used link), CONFLICT (the unlock was replaced or cancelled by a lockdown)
   */
  const confirmUnlock = async (token: string, ctx: RequestCtx = {}) => {
    const now = clock.now()
    const notBefore = new Date(now.getTime() + deps.coolingOffSeconds * 1000)
    const confirmed = await db.transaction(async (tx) => {
      const { userId, payload } = await deps.tokens.consumeIn(tx, token, 'confirm_unlock')
      const p = confirmPayload.safeParse(payload)
      if (!p.success) throw new AppError('BAD_INPUT', 'this link is not an unlock confirmation')
      const incident = await store.get(tx, p.data.workspaceId, p.data.incidentId)
      const matches = incident?.state === 'unlocking' && incident.unlockRequestedBy === userId && incident.unlockRequestedAt?.toISOString() === p.data.requestedAt && incident.unlockConfirmedAt === null
      if (!incident || !matches) throw new AppError('CONFLICT', 'this unlock was cancelled by a newer lockdown or replaced by a newer request: ask again')
      // Still allowed to unlock (a member removed or demoted meanwhile is not).
      await authorize(tx, userId, p.data.workspaceId, 'incident.unlock')
      await tx.update(schema.incidents).set({ unlockConfirmedAt: now, unlockNotBefore: notBefore }).where(eq(schema.incidents.id, incident.id))
      await store.addEventIn(tx, incident.id, now, 'unlock_confirmed', 'success', { by: userId, unlockNotBefore: notBefore.toISOString() })
      await audit.appendIn(tx, { workspaceId: p.data.workspaceId, type: 'unlock_confirmed', actor: userActor(userId), outcome: 'success', ...ctx, details: { incidentId: incident.id, unlockNotBefore: notBefore.toISOString() } })
      return { workspaceId: p.data.workspaceId, incidentId: incident.id }
    })
    const done = deps.coolingOffSeconds === 0 ? await complete(confirmed.workspaceId, confirmed.incidentId) : { opened: false, approval: null }
    return { ...confirmed, state: done.opened ? ('resolved' as const) : ('unlocking' as const), unlockNotBefore: notBefore.toISOString(), approval: done.approval }
  }

  /** Opens every workspace whose cooling-off is over (the timer and the incident reads call it). */
  const settleDue = async (): Promise<number> => {
    let opened = 0
    for (const due of await store.dueUnlocks(clock.now())) if ((await complete(due.workspaceId, due.id)).opened) opened++
    return opened
  }

  /**
   * One key back after an unlock: re-verified at the exchange now, then the signer's `enable` widening, which
   * takes effect only with a passkey confirmation the signer verifies, or after its announced delay.
   * @throws AppError WORKSPACE_LOCKED (unlock first), NOT_FOUND (no such key here)
   */
  const reenableKey = async (actor: { userId: string }, workspaceId: string, keyId: string, ctx: RequestCtx = {}) => {
    if (!deps.exchangeAccounts) throw new AppError('UNAVAILABLE', 'no signer is configured: there are no exchange keys')
    const ws = await store.workspace(db, workspaceId)
    if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
    if (ws.lockedAt) throw new AppError('WORKSPACE_LOCKED', 'the workspace is still locked down: unlock it first, then re-enable keys one by one')
    const [row] = await db
      .select({ id: schema.exchangeAccounts.id })
      .from(schema.exchangeAccounts)
      .where(and(eq(schema.exchangeAccounts.workspaceId, workspaceId), eq(schema.exchangeAccounts.keyId, keyId), isNull(schema.exchangeAccounts.removedAt)))
      .limit(1)
    if (!row) throw new AppError('NOT_FOUND', `key "${keyId}" not found in this workspace`)
    const who = userActor(actor.userId)
    const started = clock.now()
    const key = await deps.exchangeAccounts.reverify(who, workspaceId, row.id)
    if (key.state !== 'disabled') throw new AppError('CONFLICT', `the key is ${key.state}: there is nothing to re-enable`)
    // A key already disabled stays so when re-verification finds it dangerous (withdraw on, revoked, IP list
    // gone), with no new reason: the signer's audit event, relayed into the chain just now, tells.
    const [danger] = await db
      .select({ seq: schema.auditEvents.seq })
      .from(schema.auditEvents)
      .where(
        and(
          eq(schema.auditEvents.workspaceId, workspaceId),
          eq(schema.auditEvents.type, 'key_permission_changed'),
          gte(schema.auditEvents.occurredAt, started),
          sql`${schema.auditEvents.details}->>'keyId' = ${keyId}`,
        ),
      )
      .limit(1)
    if (danger) throw new AppError('KEY_HAS_WITHDRAW_PERMISSION', 're-verification found this key dangerous at the exchange (it can withdraw, was revoked, or lost its IP whitelist): fix it there, or replace the key')
    const pending = await deps.exchangeAccounts.requestEnable(who, workspaceId, row.id)
    await audit.append({ workspaceId, type: 'key_reenable_requested', actor: who, outcome: 'success', ...ctx, details: { keyId, exchangeAccountId: row.id, operationId: String(pending.operation.operationId ?? '') } })
    return { status: pending.status, key, operation: pending.operation }
  }

  return { requestUnlock, confirmUnlock, complete, settleDue, reenableKey, applyApproved, discardApproval }
}
export type Unlock = ReturnType<typeof createUnlock>
