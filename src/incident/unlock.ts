import { and, eq, gte, inArray, isNull, lte, sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { schema, type Db } from '../db/index.js'
import type { AuditActor, AuditChain, Outbox } from '../monitoring/index.js'
import { authorize, verifyPassword, type AccountTokens, type Factors, type LoginThrottle, type SecondFactorProof } from '../auth/index.js'
import type { ExchangeAccounts } from '../keys/index.js'
import type { IncidentStore } from './incident-store.js'
import type { UnlockRequestBody } from './incident-types.js'
import type { RequestCtx } from './lockdown.js'

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

  /**
   * Step one: password and second factor; emails the confirmation link to the requester.
   * @throws AppError CONFLICT (not locked, or an unlock already confirmed), FORBIDDEN (wrong proof), SECOND_FACTOR_REQUIRED
   */
  const requestUnlock = async (session: UnlockSession, workspaceId: string, body: UnlockRequestBody, ctx: RequestCtx = {}) => {
    const incident = await store.openOf(db, workspaceId)
    if (!incident) throw new AppError('CONFLICT', 'this workspace is not locked down: there is nothing to unlock')
    if (incident.unlockConfirmedAt) throw new AppError('CONFLICT', `an unlock is already confirmed: the workspace opens at ${incident.unlockNotBefore?.toISOString() ?? 'the end of the cooling-off'}`)
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
    return { incidentId: incident.id, state: 'unlocking' as const, emailedTo: session.email, coolingOffSeconds: deps.coolingOffSeconds }
  }

  /**
   * Opens the workspace of an incident whose confirmed unlock has waited out its cooling-off. False when it is
   * not due (or already open). The audit record commits with the change or neither happens.
   */
  const complete = async (workspaceId: string, incidentId: string): Promise<boolean> => {
    const now = clock.now()
    const done = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(schema.incidents)
        .set({ state: 'resolved', resolvedAt: now })
        .where(and(eq(schema.incidents.id, incidentId), eq(schema.incidents.state, 'unlocking'), lte(schema.incidents.unlockNotBefore, now)))
        .returning()
      if (!row) return null
      await tx.update(schema.workspaces).set({ lockedAt: null }).where(eq(schema.workspaces.id, workspaceId))
      await store.addEventIn(tx, incidentId, now, 'unlock_completed', 'success', { by: row.unlockRequestedBy })
      await audit.appendIn(tx, { workspaceId, type: 'unlock_completed', actor: { type: 'system' }, outcome: 'success', details: { incidentId, requestedBy: row.unlockRequestedBy } })
      return row
    })
    if (!done) return false
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
    return true
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
    const opened = deps.coolingOffSeconds === 0 ? await complete(confirmed.workspaceId, confirmed.incidentId) : false
    return { ...confirmed, state: opened ? ('resolved' as const) : ('unlocking' as const), unlockNotBefore: notBefore.toISOString() }
  }

  /** Opens every workspace whose cooling-off is over (the timer and the incident reads call it). */
  const settleDue = async (): Promise<number> => {
    let opened = 0
    for (const due of await store.dueUnlocks(clock.now())) if (await complete(due.workspaceId, due.id)) opened++
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

  return { requestUnlock, confirmUnlock, complete, settleDue, reenableKey }
}
export type Unlock = ReturnType<typeof createUnlock>
