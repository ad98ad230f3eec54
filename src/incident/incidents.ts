import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import type { Db } from '../db/index.js'
import type { Alerts, AuditChain, Outbox } from '../monitoring/index.js'
import type { Accounts } from '../auth/index.js'
import type { ExchangeAccounts } from '../keys/index.js'
import { createIncidentStore, toIncidentView } from './incident-store.js'
import { createLockdown, type LockdownRelay, type LockdownTrading } from './lockdown.js'
import { createUnlock, type UnlockApprovalGate } from './unlock.js'
import { createEmergency } from './emergency.js'
import type { DemoOrderControl } from './order-cleanup.js'
import type { IncidentDetailView, IncidentView, LockStatusView, OrdersMode } from './incident-types.js'

export type IncidentDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  alerts: Pick<Alerts, 'raise'>
  /** Renders with each recipient's anti-phishing code and queues in the caller's transaction. */
  outbox: Pick<Outbox, 'sendIn'>
  accounts: Pick<Accounts, 'sessions' | 'tokens' | 'factors' | 'throttle'>
  /** Workspace settings (monitoring/): `lockdown.orders` is the default for open orders. */
  settings: { get(workspaceId: string): Promise<{ lockdown: { orders: OrdersMode } }> }
  /** The key relay (keys/): absent when no signer is configured. */
  keys?: LockdownRelay | undefined
  exchangeAccounts?: Pick<ExchangeAccounts, 'reverify' | 'requestEnable'> | undefined
  /** Trading's controls (trading/): the kill switch, stopping bots, where open orders are. */
  trading?: (LockdownTrading & { liftLockdownHalt(workspaceId: string): Promise<boolean> }) | undefined
  demo?: DemoOrderControl | undefined
  coolingOffSeconds: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'> | undefined
  cleanupMs?: number
  /**
   * Four-eyes (R42; teams' approvals service): where the workspace's policy requires approvals, an unlock
   * that waited out its cooling-off opens only once a second owner or admin approves it. Register
   * `unlockApprovalHandler` for kind `incident.unlock` with the same service. Absent: unlocks open at once.
   */
  approvals?: UnlockApprovalGate | undefined
}

/** Lockdown, incidents and unlock of workspaces (R19 as amended): see README.md. */
export const createIncidents = (deps: IncidentDeps) => {
  const { db, clock } = deps
  const store = createIncidentStore(db)
  const { sessions, tokens, factors, throttle } = deps.accounts
  const lockdown = createLockdown({
    db,
    clock,
    store,
    audit: deps.audit,
    alerts: deps.alerts,
    outbox: deps.outbox,
    sessions,
    tokens,
    settings: deps.settings,
    relay: deps.keys,
    trading: deps.trading,
    demo: deps.demo,
    logger: deps.logger,
    ...(deps.cleanupMs === undefined ? {} : { cleanupMs: deps.cleanupMs }),
  })
  const unlock = createUnlock({
    db,
    clock,
    store,
    audit: deps.audit,
    outbox: deps.outbox,
    tokens,
    factors,
    throttle,
    liftHalt: deps.trading ? (ws) => deps.trading?.liftLockdownHalt(ws) ?? Promise.resolve(false) : undefined,
    exchangeAccounts: deps.exchangeAccounts,
    coolingOffSeconds: deps.coolingOffSeconds,
    logger: deps.logger,
    approvals: deps.approvals,
  })
  const emergency = createEmergency({ db, store, tokens, lockdown, logger: deps.logger })

  /** Newest first; a due unlock is applied first, so a reader never sees a stale lock. */
  const list = async (workspaceId: string, limit = 50): Promise<IncidentView[]> => {
    await unlock.settleDue()
    return (await store.list(workspaceId, Math.min(Math.max(limit, 1), 200))).map(toIncidentView)
  }

  /** @throws AppError NOT_FOUND (unknown here) */
  const get = async (workspaceId: string, incidentId: string): Promise<IncidentDetailView> => {
    await unlock.settleDue()
    const row = await store.get(db, workspaceId, incidentId)
    if (!row) throw new AppError('NOT_FOUND', `incident "${incidentId}" not found`)
    return { ...toIncidentView(row), timeline: await store.timeline(row.id) }
  }

  const status = async (workspaceId: string): Promise<LockStatusView> => {
    await unlock.settleDue()
    const ws = await store.workspace(db, workspaceId)
    if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
    const open = await store.openOf(db, workspaceId)
    return { locked: ws.lockedAt !== null, lockedAt: ws.lockedAt?.toISOString() ?? null, incident: open ? toIncidentView(open) : null }
  }

  let timer: NodeJS.Timeout | undefined
  let settling: Promise<unknown> | undefined
  /** Opens workspaces whose cooling-off ended, every `everyMs` (the incident reads also do it when asked). */
  const start = ({ everyMs = 30_000 }: { everyMs?: number } = {}) => {
    if (timer) return
    timer = setInterval(() => {
      settling ??= unlock
        .settleDue()
        .catch((err: unknown) => deps.logger?.warn({ err }, 'settling due unlocks failed'))
        .finally(() => (settling = undefined))
    }, everyMs)
    timer.unref()
  }
  /** Stops the timer and waits for running lockdown steps. */
  const stop = async () => {
    clearInterval(timer)
    timer = undefined
    await settling
    await lockdown.idle()
  }

  return {
    lockdown: lockdown.lockdown,
    idle: lockdown.idle,
    list,
    get,
    status,
    requestUnlock: unlock.requestUnlock,
    confirmUnlock: unlock.confirmUnlock,
    settleDueUnlocks: unlock.settleDue,
    reenableKey: unlock.reenableKey,
    /**
     * The approval handler of kind `incident.unlock` (teams' ApprovalHandler): main.ts registers it. Its
     * discard (rejected, cancelled, expired, or failed: an approved opening that failed or was interrupted)
     * sends the incident back to `open`, so the unlock can be asked again.
     */
    unlockApprovalHandler: { apply: unlock.applyApproved, discard: unlock.discardApproval },
    emergencyPreview: emergency.preview,
    emergencyLockdown: emergency.lockDown,
    start,
    stop,
  }
}
export type Incidents = ReturnType<typeof createIncidents>
