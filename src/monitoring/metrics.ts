import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { createFileExclusive } from '../lib/durable-file.js'
import { safeEqual } from '../crypto/index.js'
import { schema, type Db } from '../db/index.js'
import { SYSTEM_CHAIN } from './audit-types.js'

/** Sign-in audit events (system chain) and the outcome label each counts under. */
const loginOutcomeOf: Readonly<Record<string, string>> = {
  login_succeeded: 'success',
  login_failed: 'failure',
  otp_replay: 'failure',
  login_throttled: 'throttled',
}

export type SignerCallOutcome = 'success' | 'failure' | 'denied'

/**
 * Prometheus metrics on a registry of their own (never prom-client's global one, which other code in
 * the process could fill). What the database already records is read at scrape time, so every api
 * instance reports the same totals and nothing needs wiring into the domains: sign-ins (from the
 * system audit chain, read incrementally by seq), alerts by rule and severity, bots by status. Signer
 * calls and order latency are observed in process by `signerCall`, which the key relay calls on its
 * exchange-activity insert path.
 */
export const createMetrics = ({ db }: { db: Db }) => {
  const registry = new Registry()

  // Sign-ins: counted from the audit chain after the last seq seen (append-only, so never recounted).
  let loginSeq = 0
  const logins = new Counter({
    name: 'bulwark_logins_total',
    help: 'Sign-in attempts by outcome (success, failure, throttled), from the system audit chain',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect: async () => {
      const rows = await db
        .select({ type: schema.auditEvents.type, n: sql<number>`count(*)::int`, last: sql<number>`max(${schema.auditEvents.seq})::bigint` })
        .from(schema.auditEvents)
        .where(and(eq(schema.auditEvents.chain, SYSTEM_CHAIN), gt(schema.auditEvents.seq, loginSeq), inArray(schema.auditEvents.type, Object.keys(loginOutcomeOf))))
        .groupBy(schema.auditEvents.type)
      for (const r of rows) {
        logins.inc({ outcome: loginOutcomeOf[r.type] ?? 'failure' }, Number(r.n))
        loginSeq = Math.max(loginSeq, Number(r.last))
      }
    },
  })
  for (const outcome of new Set(Object.values(loginOutcomeOf))) logins.inc({ outcome }, 0)

  // Alerts: a raise either inserts a row or counts an occurrence on one, so the sum of occurrences is the
  // number of raises. Rows are never updated downwards; the counter follows the table's totals.
  const seenAlerts = new Map<string, number>()
  const alertsRaised = new Counter({
    name: 'bulwark_alerts_total',
    help: 'Alerts raised (repeats folded into one alert included), by rule and severity',
    labelNames: ['rule', 'severity'] as const,
    registers: [registry],
    collect: async () => {
      const rows = await db
        .select({ rule: schema.alerts.rule, severity: schema.alerts.severity, n: sql<number>`sum(${schema.alerts.occurrences})::int` })
        .from(schema.alerts)
        .groupBy(schema.alerts.rule, schema.alerts.severity)
      for (const r of rows) {
        const key = `${r.rule}\u0000${r.severity}`
        const delta = Number(r.n) - (seenAlerts.get(key) ?? 0)
        if (delta > 0) alertsRaised.inc({ rule: r.rule, severity: r.severity }, delta)
        seenAlerts.set(key, Math.max(Number(r.n), seenAlerts.get(key) ?? 0))
      }
    },
  })

  const bots = new Gauge({
    name: 'bulwark_bots',
    help: 'Bots by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect: async () => {
      const rows = await db.select({ status: schema.bots.status, n: sql<number>`count(*)::int` }).from(schema.bots).groupBy(schema.bots.status)
      bots.reset()
      for (const status of schema.botStatuses) bots.set({ status }, 0)
      for (const r of rows) bots.set({ status: r.status }, Number(r.n))
    },
  })

  const signerCalls = new Counter({
    name: 'bulwark_signer_calls_total',
    help: 'Calls through the signer by venue method and outcome (denied: the signer refused it)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  })
  const signerRefusals = new Counter({
    name: 'bulwark_signer_refusals_total',
    help: 'Calls the signer refused, by venue method',
    labelNames: ['method'] as const,
    registers: [registry],
  })
  const signerLatency = new Histogram({
    name: 'bulwark_signer_call_seconds',
    help: 'Time of a call through the signer, as the api saw it',
    labelNames: ['method'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const orderLatency = new Histogram({
    name: 'bulwark_order_latency_seconds',
    help: 'Time to place an order through the signer (request to the exchange\'s answer), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  /** Method names are a closed set (venue methods), but a label must never carry free text. */
  const methodLabel = (method: string) => (/^[A-Za-z]{1,40}$/.test(method) ? method : 'other')

  /** Called by the key relay for each call it journals in exchange_activity. */
  const signerCall = (method: string, outcome: SignerCallOutcome, ms: number) => {
    const m = methodLabel(method)
    signerCalls.inc({ method: m, outcome })
    if (outcome === 'denied') signerRefusals.inc({ method: m })
    const seconds = Math.max(0, ms) / 1000
    signerLatency.observe({ method: m }, seconds)
    if (m === 'createOrder') orderLatency.observe({ outcome }, seconds)
  }

  return { registry, contentType: registry.contentType, signerCall, render: () => registry.metrics() }
}
export type Metrics = ReturnType<typeof createMetrics>

/** A bearer check in constant time; the token is never logged or echoed. */
export const isMetricsToken = (expected: string, authorization: string | undefined): boolean => {
  const match = /^Bearer (\S+)$/.exec(authorization ?? '')
  return match?.[1] !== undefined && safeEqual(match[1], expected)
}

const TOKEN_BYTES = 32

/**
 * The bearer token Prometheus sends: read from `tokenFile` (METRICS_TOKEN_FILE) or generated once as
 * `secrets/metrics.token` under BULWARK_HOME (0600). The process root calls this and hands the token
 * to the metrics route.
 * @throws AppError naming the file and the fix (unreadable, readable by others, too short)
 */
export const loadMetricsToken = (home: string, tokenFile?: string): string => {
  const generated = tokenFile === undefined
  const path = tokenFile ?? join(home, 'secrets', 'metrics.token')
  if (generated) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    createFileExclusive(path, `${randomBytes(TOKEN_BYTES).toString('base64url')}\n`)
  }
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (err) {
    throw new AppError('BAD_INPUT', `METRICS_TOKEN_FILE ${path} cannot be read (${systemErrorCode(err) ?? 'error'}): fix the path`, { cause: err })
  }
  if ((mode & (generated ? 0o077 : 0o007)) !== 0) throw new AppError('FORBIDDEN', `metrics token file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${path}\``)
  const token = readFileSync(path, 'utf8').trim()
  if (token.length < 32) throw new AppError('BAD_INPUT', `metrics token file ${path} must hold at least 32 characters`)
  return token
}
