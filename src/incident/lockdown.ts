import { and, eq, inArray, isNull } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { retryOnDeadlock, schema, type Db } from '../db/index.js'
import type { Alerts, AuditActor, AuditChain, Outbox } from '../monitoring/index.js'
import type { AccountTokens, SessionService } from '../auth/index.js'
import type { KeyView } from '../signer/index.js'
import type { LockdownBotsResult, OpenOrderSymbols } from '../trading/index.js'
import type { IncidentStore } from './incident-store.js'
import { toIncidentView } from './incident-store.js'
import { createOrderCleanup, type CleanupRelay, type DemoOrderControl } from './order-cleanup.js'
import type { IncidentActor, LockdownInput, LockdownResultView, LockdownStep, LockdownTrigger, OrdersMode, StepOutcome } from './incident-types.js'

/** What a lockdown needs of the key relay (keys/key-admin.ts). */
export type LockdownRelay = CleanupRelay & {
  /** One signer call: every key of the workspace disabled at once, plus a short cleanup grant for its open orders. */
  disableAll(ws: string, reason: string, actor?: AuditActor, opts?: { cleanupMs?: number }): Promise<{ keys: KeyView[]; cleanupGrant?: string; cleanupUntil?: string }>
}

/** What a lockdown needs of trading (trading/trading-controls.ts). */
export type LockdownTrading = {
  lockdownBots(workspaceId: string, reason: string, userId: string | null): Promise<LockdownBotsResult>
  openOrderSymbols(workspaceId: string): Promise<OpenOrderSymbols[]>
}

export type LockdownDeps = {
  db: Db
  clock: Clock
  store: IncidentStore
  audit: Pick<AuditChain, 'appendIn'>
  alerts: Pick<Alerts, 'raise'>
  outbox: Pick<Outbox, 'sendIn'>
  sessions: Pick<SessionService, 'revokeAllIn'>
  tokens: Pick<AccountTokens, 'issueIn'>
  settings: { get(workspaceId: string): Promise<{ lockdown: { orders: OrdersMode } }> }
  relay?: LockdownRelay | undefined
  trading?: LockdownTrading | undefined
  demo?: DemoOrderControl | undefined
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
  /** How long the disabled keys may still cancel and close (the signer caps it at 10 minutes). */
  cleanupMs?: number
}

export type RequestCtx = { ip?: string | undefined; requestId?: string | undefined }

type StepResult = { outcome: StepOutcome; details: Record<string, unknown> }

const DEFAULT_CLEANUP_MS = 120_000
const defaultReason: Record<LockdownTrigger, string> = {
  web: 'lockdown from the web app',
  cli: 'lockdown by the operator (bulwark lockdown)',
  emergency_link: 'lockdown with the emergency link from a security email',
  system: 'lockdown by Bulwark',
}

export const auditActorOf = (actor: IncidentActor): AuditActor =>
  actor.type === 'user' ? (actor.tokenId ? { type: 'api_token', id: actor.tokenId } : { type: 'user', id: actor.userId }) : { type: actor.type }

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300)

/**
 * The lockdown (R19 as amended), in this order: (1) every key refuses — one signer call, before anything
 * else and before the answer; (2) the workspace is locked and its incident opened (or joined); (3) every
 * bot stopped behind the kill switch; (4) open orders handled as configured, with the cleanup grant; (5)
 * every session of every member ended, the caller's too, and the workspace's API tokens revoked; (6) a
 * critical alert and an email to every member. Each step is a timeline row and an audit event with its
 * outcome; a failing step is recorded and the next ones still run.
 */
export const createLockdown = (deps: LockdownDeps) => {
  const { db, clock, store, audit, relay, trading } = deps
  const cleanup = createOrderCleanup({ db, relay, demo: deps.demo, openOrderSymbols: (ws) => trading?.openOrderSymbols(ws) ?? Promise.resolve([]) })
  const running = new Set<Promise<unknown>>()

  /** One step's timeline row, audit event and summary entry, in one transaction (the audit is fail-closed). */
  const record = async (workspaceId: string, incidentId: string, step: LockdownStep, result: StepResult, actor: AuditActor, ctx: RequestCtx, at = clock.now()) => {
    // Takes the chain head before the incident row, unlike a repeated lockdown's transaction: one of the two
    // may be a deadlock's victim, and then simply runs again (a step's record is never lost to it).
    await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        await store.addEventIn(tx, incidentId, at, step, result.outcome, result.details)
        await audit.appendIn(tx, { workspaceId, type: 'lockdown_step', actor, outcome: result.outcome === 'failure' ? 'failure' : 'success', ...ctx, details: { incidentId, step, result: result.outcome, ...result.details } })
        await store.mergeSummaryIn(tx, incidentId, { [step]: { outcome: result.outcome, ...result.details } })
      }),
    )
  }

  const attempt = async (fn: () => Promise<StepResult>): Promise<StepResult> => {
    try {
      return await fn()
    } catch (err) {
      return { outcome: 'failure', details: { error: messageOf(err) } }
    }
  }

  /** How members know who pressed it: a display name, "an API token of …", or the operator. */
  const byLabel = async (actor: IncidentActor): Promise<string | undefined> => {
    if (actor.type === 'operator_cli') return 'the operator'
    if (actor.type === 'system') return undefined
    const [u] = await db.select({ name: schema.users.displayName }).from(schema.users).where(eq(schema.users.id, actor.userId)).limit(1)
    return u ? (actor.tokenId ? `an API token of ${u.name}` : u.name) : undefined
  }

  const disableKeys = async (workspaceId: string, reason: string, actor: AuditActor) => {
    if (!relay) return { step: { outcome: 'skipped', details: { why: 'no signer is configured: there are no exchange keys' } } satisfies StepResult, keys: [] as KeyView[], grant: undefined }
    try {
      const r = await relay.disableAll(workspaceId, reason, actor, { cleanupMs: deps.cleanupMs ?? DEFAULT_CLEANUP_MS })
      // The api's mirror follows the signer, so lists show the keys disabled without asking it again.
      const ids = r.keys.map((k) => k.keyId)
      if (ids.length > 0) await db.update(schema.exchangeAccounts).set({ state: 'disabled' }).where(and(eq(schema.exchangeAccounts.workspaceId, workspaceId), inArray(schema.exchangeAccounts.keyId, ids)))
      const step: StepResult = { outcome: 'success', details: { disabled: r.keys.filter((k) => k.state === 'disabled').length, keys: r.keys.length, ...(r.cleanupUntil ? { cleanupUntil: r.cleanupUntil } : {}) } }
      return { step, keys: r.keys, grant: r.cleanupGrant }
    } catch (err) {
      return { step: { outcome: 'failure', details: { error: messageOf(err) } } satisfies StepResult, keys: [] as KeyView[], grant: undefined }
    }
  }

  const endSessions = async (workspaceId: string): Promise<StepResult> => {
    const members = await store.members(db, workspaceId)
    return db.transaction(async (tx) => {
      let ended = 0
      for (const m of members) ended += await deps.sessions.revokeAllIn(tx, m.userId)
      // Tokens bound to this workspace are sessions of a kind: a stolen one must not outlive the lockdown.
      const revoked = await tx
        .update(schema.apiTokens)
        .set({ revokedAt: clock.now() })
        .where(and(eq(schema.apiTokens.workspaceId, workspaceId), isNull(schema.apiTokens.revokedAt)))
        .returning({ id: schema.apiTokens.id })
      return { outcome: 'success', details: { members: members.length, sessionsEnded: ended, apiAccessRevoked: revoked.length } }
    })
  }

  const notify = async (workspaceId: string, incidentId: string, input: { trigger: LockdownTrigger; reason: string; orders: OrdersMode; by: string | undefined }): Promise<StepResult> => {
    const ws = await store.workspace(db, workspaceId)
    const members = await store.members(db, workspaceId)
    let alerted = false
    try {
      alerted = (await deps.alerts.raise({ workspaceId, rule: 'lockdown_started', severity: 'critical', details: { incidentId, trigger: input.trigger, orders: input.orders }, dedupKey: incidentId })) !== null
    } catch (err) {
      deps.logger?.warn({ err, workspaceId }, 'lockdown alert could not be raised')
    }
    const time = clock.now().toISOString()
    await db.transaction(async (tx) => {
      for (const m of members) {
        const emergencyLink = await deps.tokens.issueIn(tx, m.userId, 'emergency_lockdown')
        await deps.outbox.sendIn(
          tx,
          { userId: m.userId, address: m.email },
          { template: 'lockdown_started', vars: { workspaceName: ws?.name ?? 'workspace', time, trigger: input.trigger, by: input.by, reason: input.reason, orders: input.orders, emergencyLink } },
        )
      }
    })
    return { outcome: alerted ? 'success' : 'failure', details: { alert: alerted, emailed: members.length } }
  }

  /**
   * Locks a workspace down. The answer comes once keys refuse, the workspace is locked and bots are stopped;
   * with `background` the order cleanup, the sessions and the notifications go on after it (`idle()` waits
   * for them), otherwise they are done too.
   * @throws AppError NOT_FOUND for an unknown workspace
   */
  const lockdown = async (actor: IncidentActor, workspaceId: string, input: LockdownInput, opts: { background?: boolean; ctx?: RequestCtx } = {}): Promise<LockdownResultView> => {
    const ctx = opts.ctx ?? {}
    const ws = await store.workspace(db, workspaceId)
    if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
    const reason = input.reason ?? defaultReason[input.trigger]
    const who = auditActorOf(actor)
    const triggeredAt = clock.now()

    // (1) Keys first: from this call's return, every key of the workspace refuses to trade.
    const keys = await disableKeys(workspaceId, reason, who)
    const keysAt = clock.now()
    const orders = input.orders ?? (await deps.settings.get(workspaceId).then((s) => s.lockdown.orders, () => 'cancel' as const))
    const by = await byLabel(actor)

    // (2) Lock and open (or join) the incident; the trigger and the keys step are written with it.
    // A repeated lockdown can meet its predecessor's background steps on the same rows: a deadlock's victim runs again.
    const { incident, joined, wasUnlocking } = await retryOnDeadlock(() => db.transaction(async (tx) => {
      const opened = await store.lockAndOpenIn(tx, { workspaceId, actor, trigger: input.trigger, ordersMode: orders, reason, now: triggeredAt })
      const id = opened.incident.id
      await store.addEventIn(tx, id, triggeredAt, opened.joined ? 'lockdown_repeated' : 'lockdown_triggered', 'success', {
        trigger: input.trigger,
        orders,
        reason,
        ...(by ? { by } : {}),
        ...(opened.wasUnlocking ? { cancelledUnlock: true } : {}),
      })
      await audit.appendIn(tx, {
        workspaceId,
        type: 'lockdown_triggered',
        actor: who,
        outcome: 'success',
        ...ctx,
        details: { incidentId: id, trigger: input.trigger, orders, reason, joined: opened.joined, ...(opened.wasUnlocking ? { cancelledUnlock: true } : {}) },
      })
      await store.addEventIn(tx, id, keysAt, 'keys', keys.step.outcome, keys.step.details)
      await audit.appendIn(tx, { workspaceId, type: 'lockdown_step', actor: who, outcome: keys.step.outcome === 'failure' ? 'failure' : 'success', ...ctx, details: { incidentId: id, step: 'keys', result: keys.step.outcome, ...keys.step.details } })
      const lockDetails = { lockedAt: (ws.lockedAt ?? triggeredAt).toISOString(), alreadyLocked: ws.lockedAt !== null }
      await store.addEventIn(tx, id, clock.now(), 'lock', 'success', lockDetails)
      await audit.appendIn(tx, { workspaceId, type: 'lockdown_step', actor: who, outcome: 'success', ...ctx, details: { incidentId: id, step: 'lock', result: 'success', ...lockDetails } })
      await store.mergeSummaryIn(tx, id, { keys: { outcome: keys.step.outcome, ...keys.step.details }, lock: { outcome: 'success', ...lockDetails } })
      return opened
    }))
    const incidentId = incident.id
    const step = async (name: LockdownStep, fn: () => Promise<StepResult>) => {
      const result = await attempt(fn)
      await record(workspaceId, incidentId, name, result, who, ctx).catch((err: unknown) => deps.logger?.error({ err, workspaceId, incidentId, step: name }, 'a lockdown step could not be recorded'))
      return result
    }

    // (3) Bots: the kill switch, then every bot stopped.
    await step('bots', async () => {
      if (!trading) return { outcome: 'skipped', details: { why: 'trading is not running here' } }
      const r = await trading.lockdownBots(workspaceId, reason, actor.type === 'user' ? actor.userId : null)
      // Whether this incident turned the kill switch on (the unlock lifts only that one): a joining lockdown
      // finds it on already, but it is still the incident's.
      const before = joined ? ((await store.get(db, workspaceId, incidentId))?.summary as { bots?: { haltSetByLockdown?: boolean } } | undefined)?.bots?.haltSetByLockdown : undefined
      return { outcome: 'success', details: { stoppedBots: r.stoppedBots, wasHalted: r.wasHalted, haltSetByLockdown: before === true || !r.wasHalted } }
    })

    const rest = async () => {
      // (4) Open orders, as configured.
      await step('orders', async () => {
        if (orders === 'leave') return { outcome: 'skipped', details: { mode: 'leave' } }
        const r = await cleanup.run({ workspaceId, mode: orders, keys: keys.keys, cleanupGrant: keys.grant, actor: who })
        return { outcome: r.failed > 0 ? 'failure' : 'success', details: { ...r } }
      })
      // (5) Every session of every member, the caller's included.
      await step('sessions', () => endSessions(workspaceId))
      // (6) Tell everyone, once per incident.
      await step('notify', async () =>
        joined ? { outcome: 'skipped', details: { why: wasUnlocking ? 'joined the open incident (its pending unlock was cancelled)' : 'joined the open incident: members were told when it opened' } } : notify(workspaceId, incidentId, { trigger: input.trigger, reason, orders, by }),
      )
    }
    const pending: LockdownStep[] = ['orders', 'sessions', 'notify']
    if (opts.background) {
      const work = rest().catch((err: unknown) => deps.logger?.error({ err, workspaceId, incidentId }, 'lockdown steps failed'))
      running.add(work)
      void work.finally(() => running.delete(work))
    } else {
      await rest()
      pending.length = 0
    }
    const current = (await store.get(db, workspaceId, incidentId)) ?? incident
    return { incident: toIncidentView(current), joined, keysDisabled: keys.keys.filter((k) => k.state === 'disabled').length, pending }
  }

  /** Resolves once every lockdown running in the background has finished its steps. */
  const idle = async () => {
    while (running.size > 0) await Promise.allSettled([...running])
  }

  return { lockdown, idle }
}
export type Lockdown = ReturnType<typeof createLockdown>
