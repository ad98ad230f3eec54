import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { findSecretFields } from '../lib/redact.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { schema, type Db, type DbOrTx, type AlertSeverity } from '../db/index.js'
import { alertRuleOf, effectiveSeverity } from './alert-catalogue.js'
import { readWorkspaceSettings } from './workspace-settings.js'

const { alerts } = schema

export type Alert = {
  id: string
  workspaceId: string | null
  rule: string
  severity: AlertSeverity
  details: Record<string, unknown>
  occurrences: number
  createdAt: string
  lastSeenAt: string
  readAt: string | null
}

export type RaiseAlertInput = {
  workspaceId: string | null
  /** A rule of the catalogue (alert-catalogue.ts). */
  rule: string
  /** The catalogue's default when omitted; a workspace override may change it (never lower a security rule). */
  severity?: AlertSeverity
  details?: Record<string, unknown>
  /** Alerts with the same rule and key within `dedupWindowMs` are counted on the first, not repeated. */
  dedupKey?: string
  /** The rule's catalogue window when omitted. */
  dedupWindowMs?: number
}

export type AlertsDeps = {
  db: Db
  clock: Clock
  /**
   * A rule missing from the catalogue: `refuse` (the default — a test or a new raise site that was not
   * catalogued fails loudly) or `accept` (raised as given, with the caller's severity: for a production
   * root that prefers an uncatalogued alert over a failed operation).
   */
  unknownRules?: 'refuse' | 'accept'
}

const toAlert = (r: typeof alerts.$inferSelect): Alert => ({
  id: r.id,
  workspaceId: r.workspaceId,
  rule: r.rule,
  severity: r.severity,
  details: r.details as Record<string, unknown>,
  occurrences: r.occurrences,
  createdAt: r.createdAt.toISOString(),
  lastSeenAt: r.lastSeenAt.toISOString(),
  readAt: r.readAt?.toISOString() ?? null,
})

/** The alerts sink every domain raises through; delivery channels (email, Telegram, webhooks) read from it. */
export const createAlerts = ({ db, clock, unknownRules = 'refuse' }: AlertsDeps) => {
  /**
   * Live listeners (the in-app push). Told after a raise, possibly before the caller's transaction commits:
   * a listener re-reads shortly after, and readers poll as well (alerts raised by other instances).
   */
  const listeners = new Set<(alert: Alert) => void>()
  const announce = (alert: Alert) => {
    for (const listener of listeners) setImmediate(() => listener(alert))
    return alert
  }

  /**
   * Raises (or counts, within the dedup window) an alert in the caller's transaction. Returns null when
   * the workspace turned the rule off (allowed only for rules the catalogue lets it disable).
   * @throws AppError INTERNAL for a rule not in the catalogue (unless `unknownRules: 'accept'`) or secret-named details
   */
  const raiseIn = async (tx: DbOrTx, input: RaiseAlertInput): Promise<Alert | null> => {
    if (!/^[a-z][a-z0-9_.]*$/.test(input.rule)) throw new AppError('BAD_INPUT', `alert rule "${input.rule}" must be lowercase snake case`)
    const secretFields = findSecretFields(input.details ?? {})
    if (secretFields.length > 0) throw new AppError('INTERNAL', `alert details may not carry secret fields (${secretFields.join(', ')})`)
    const rule = alertRuleOf(input.rule)
    if (!rule && unknownRules === 'refuse') throw new AppError('INTERNAL', `alert rule "${input.rule}" is not in the alert catalogue (src/monitoring/alert-catalogue.ts)`)
    const override = input.workspaceId === null ? undefined : (await readWorkspaceSettings(tx, input.workspaceId)).alerts.rules[input.rule]
    if (override?.enabled === false && rule?.canDisable) return null
    const severity = rule ? effectiveSeverity(rule, input.severity, override?.severity) : (input.severity ?? 'warning')
    const now = clock.now()
    if (input.dedupKey !== undefined) {
      const since = new Date(now.getTime() - (input.dedupWindowMs ?? rule?.dedupWindowMs ?? 3_600_000))
      const scope = input.workspaceId === null ? isNull(alerts.workspaceId) : eq(alerts.workspaceId, input.workspaceId)
      const [updated] = await tx
        .update(alerts)
        .set({ occurrences: sql`${alerts.occurrences} + 1`, lastSeenAt: now })
        .where(and(scope, eq(alerts.rule, input.rule), eq(alerts.dedupKey, input.dedupKey), gt(alerts.lastSeenAt, since)))
        .returning()
      if (updated) return announce(toAlert(updated))
    }
    const [row] = await tx
      .insert(alerts)
      .values({
        id: newId(now.getTime()),
        workspaceId: input.workspaceId,
        rule: input.rule,
        severity,
        details: input.details ?? {},
        dedupKey: input.dedupKey ?? null,
        createdAt: now,
        lastSeenAt: now,
      })
      .returning()
    if (!row) throw new Error('alert insert returned nothing')
    return announce(toAlert(row))
  }

  const raise = (input: RaiseAlertInput) => db.transaction((tx) => raiseIn(tx, input))

  /** Newest first; `workspaceId: null` lists instance alerts (operator only). */
  const list = async (workspaceId: string | null, opts: { unreadOnly?: boolean; limit?: number } = {}): Promise<Alert[]> => {
    const scope = workspaceId === null ? isNull(alerts.workspaceId) : eq(alerts.workspaceId, workspaceId)
    const rows = await db
      .select()
      .from(alerts)
      .where(opts.unreadOnly ? and(scope, isNull(alerts.readAt)) : scope)
      .orderBy(desc(alerts.lastSeenAt))
      .limit(Math.min(opts.limit ?? 100, 500))
    return rows.map(toAlert)
  }

  /** Marks one alert read; an alert of another workspace is NOT_FOUND. */
  const markRead = async (workspaceId: string | null, id: string): Promise<void> => {
    const scope = workspaceId === null ? isNull(alerts.workspaceId) : eq(alerts.workspaceId, workspaceId)
    const updated = await db.update(alerts).set({ readAt: clock.now() }).where(and(scope, eq(alerts.id, id))).returning({ id: alerts.id })
    if (updated.length === 0) throw new AppError('NOT_FOUND', `alert "${id}" not found`)
  }

  const unreadCount = async (workspaceId: string | null): Promise<number> => {
    const scope = workspaceId === null ? isNull(alerts.workspaceId) : eq(alerts.workspaceId, workspaceId)
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(alerts).where(and(scope, isNull(alerts.readAt)))
    return row?.n ?? 0
  }

  /** Registers a live listener; returns the function that removes it. */
  const onRaised = (listener: (alert: Alert) => void): (() => void) => {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  return { raise, raiseIn, list, markRead, unreadCount, onRaised }
}

export type Alerts = ReturnType<typeof createAlerts>
