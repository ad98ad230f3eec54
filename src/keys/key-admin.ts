import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { rowsOf, schema, type Db } from '../db/index.js'
import { systemClock, type Clock } from '../lib/clock.js'
import type { AlertSeverity } from '../db/index.js'
import type { Alerts, AuditActor, AuditChain } from '../monitoring/index.js'
import { keyLimits, sealedEnvelope, type KeyLimits, type KeyView, type SignerAuditEvent, type SignerClient } from '../signer/index.js'

export type KeyAdminDeps = {
  db: Db
  signer: SignerClient
  audit: Pick<AuditChain, 'append'>
  alerts: Pick<Alerts, 'raise'>
  /** The exchange-activity journal's time (default: the system clock). */
  clock?: Clock
  /** Told of every call the journal records (monitoring's `metrics.signerCall`). */
  metrics?: { signerCall: (method: string, outcome: 'success' | 'failure' | 'denied', ms: number) => void }
}

/** An account's last use is rewritten at most once a minute. */
const LAST_USED_GRANULARITY_MS = 60_000
const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)

const workspaceId = z.string().uuid()

/**
 * Signer events that tell the workspace something it must see. A pending widening or passkey trust is
 * the user's chance to cancel before the signer's delay runs out (R26/R32): it is announced here.
 */
const alertSeverityOf: Readonly<Record<string, AlertSeverity>> = {
  signer_refused: 'critical',
  reconstruction_integrity: 'critical',
  ciphertext_context_mismatch: 'critical',
  authenticator_clone_suspected: 'critical',
  vault_store_degraded: 'warning',
  key_widening_pending: 'warning',
  passkey_trust_pending: 'warning',
  widening_confirmation_refused: 'warning',
  key_widening_refused: 'warning',
  key_widening_applied: 'info',
  passkey_trusted: 'info',
  // A key that gained withdraw permission or lost its IP whitelist: disabled by the signer at once.
  key_permission_changed: 'critical',
  // The exchange banned the platform's egress IP: no key trades there until the ban ends.
  venue_ip_banned: 'critical',
}

/** Workspace policy and four-eyes, as the signer takes them when it stores a key. */
export type KeyPolicyOptions = { pendingApproval?: boolean; requireIpRestricted?: boolean }
export type ConnectOptions = KeyPolicyOptions & { exchangeAccountId?: string; actor?: AuditActor; testnet?: boolean; replacesKeyId?: string }
export type PendingKeyDiscardReason = 'rejected' | 'expired' | 'cancelled' | 'failed'
export type ExecuteOptions = { ttlMs?: number; cleanupGrant?: string; botId?: string }
export type DisableAllResult = { keys: KeyView[]; cleanupGrant?: string; cleanupUntil?: string }

/** What a widening changes, as the signer takes it (`proposeWidening`). */
export type WideningChangeInput = { kind: 'limits'; limits: KeyLimits } | { kind: 'enable' }
/** A passkey the api registered, relayed for the signer to trust (after its delay, or confirmed by a trusted passkey). */
export type TrustPasskeyInput = { userId: string; authenticatorId: string; publicKey: string; counter: number }

const operatorActor: AuditActor = { type: 'operator_cli' }

/** Workspace policy (refuseIpUnrestrictedKeys): the signer then refuses a key the exchange does not report as IP-restricted. */
export const refusesIpUnrestrictedKeys = async (db: Db, workspaceId: string): Promise<boolean> => {
  const [ws] = await db.select({ refuse: schema.workspaces.refuseIpUnrestrictedKeys }).from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId)).limit(1)
  return ws?.refuse === true
}

/**
 * Relays key operations to the signer and records what it reports in the workspace's audit chain.
 * The api never sees plaintext: `connect` carries an envelope sealed to the signer's public key.
 */
export const createKeyRelay = ({ db, signer, audit, alerts, clock = systemClock, metrics }: KeyAdminDeps) => {
  const record = async (ws: string, requestId: string, events: SignerAuditEvent[], actor: AuditActor) => {
    for (const e of events) {
      // The exchange-activity log's fact (journal below), not a security event for the chain.
      if (e.type === 'exchange_request') continue
      await audit.append({ workspaceId: ws, type: e.type, actor, outcome: e.outcome, requestId, details: e.details })
      const severity = Object.hasOwn(alertSeverityOf, e.type) ? alertSeverityOf[e.type] : undefined
      if (severity) {
        const dedupKey = String(e.details.operationId ?? e.details.keyId ?? e.details.authenticatorId ?? e.type)
        await alerts.raise({ workspaceId: ws, rule: e.type, severity, details: e.details, dedupKey })
      }
    }
  }

  /** Calls the signer for a workspace and audits its events whether the call succeeded or not. */
  const relay = async <T>(ws: string, op: Parameters<SignerClient['call']>[0], params: Record<string, unknown>, actor: AuditActor = operatorActor, botId?: string): Promise<T> => {
    const requestId = randomUUID()
    const started = performance.now()
    try {
      const { result, events } = await signer.call(op, ws, params as never, requestId)
      await record(ws, requestId, events, actor)
      if (op === 'execute') await journal({ ws, params, actor, requestId, started, outcome: 'success', err: undefined, events, botId })
      return result as T
    } catch (err) {
      const events = ((err as AppError).details as { events?: SignerAuditEvent[] } | undefined)?.events ?? []
      await record(ws, requestId, events, actor)
      if (op === 'execute') {
        const outcome = err instanceof AppError && err.code === 'KEY_LIMIT_EXCEEDED' ? 'denied' : 'failure'
        const exchange = await journal({ ws, params, actor, requestId, started, outcome, err, events, botId })
        // The exchange refused the key itself (revoked there, wrong secret, IP no longer whitelisted): the
        // workspace must hear it, once per key while it keeps happening.
        if (err instanceof AppError && err.code === 'EXCHANGE_AUTH') {
          const keyId = String(params.keyId ?? '')
          await alerts.raise({ workspaceId: ws, rule: 'exchange_auth_failed', severity: 'warning', details: { keyId, exchange }, dedupKey: keyId })
        }
      }
      throw err
    }
  }

  type JournalInput = {
    ws: string
    params: Record<string, unknown>
    actor: AuditActor
    requestId: string
    started: number
    outcome: 'success' | 'failure' | 'denied'
    err: unknown
    events: SignerAuditEvent[]
    botId: string | undefined
  }

  /**
   * The exchange-activity journal: one row per private call through the signer, whatever its outcome,
   * in one statement — the row (account and exchange looked up by the key) and, after a success, the
   * account's last use, which is only rewritten once it is a minute old (a bot's every call would
   * otherwise update the same row). Returns the account's exchange (the key's, when no account names it).
   */
  const journal = async ({ ws, params, actor, requestId, started, outcome, err, events, botId }: JournalInput): Promise<string | null> => {
    const keyId = String(params.keyId ?? '')
    // Not a key id at all: the signer refused the input before any key was used, and there is nothing to log
    // against (the refusal itself reaches the caller untouched).
    if (!isUuid(keyId)) return null
    const now = clock.now()
    const args = (params.args ?? {}) as Record<string, unknown>
    // Order facts only (symbol, side, type, amount, price, client id): never credentials, which never reach the api anyway.
    const details = Object.fromEntries(Object.entries(args).filter(([k]) => ['symbol', 'side', 'type', 'amount', 'price', 'clientOrderId', 'id'].includes(k)))
    const sent = events.find((e) => e.type === 'exchange_request')?.details as { endpoint?: unknown; exchange?: unknown } | undefined
    const endpoint = typeof sent?.endpoint === 'string' ? sent.endpoint.slice(0, 300) : null
    const keyExchange = typeof sent?.exchange === 'string' ? sent.exchange : null
    const errorCode = err instanceof AppError ? err.code : err ? 'INTERNAL' : null
    const durationMs = Math.round(performance.now() - started)
    metrics?.signerCall(String(params.method ?? ''), outcome, durationMs)
    const result = await db.execute(sql`
      with account as (
        select id, exchange from exchange_accounts where key_id = ${keyId}::uuid and workspace_id = ${ws}::uuid limit 1
      ), logged as (
        insert into exchange_activity (id, workspace_id, exchange_account_id, key_id, exchange, method, endpoint, bot_id, outcome, error_code, actor_type, actor_id, request_id, occurred_at, duration_ms, details)
        select ${newId(now.getTime())}::uuid, ${ws}::uuid, account.id, ${keyId}::uuid, coalesce(account.exchange, ${keyExchange}::text), ${String(params.method ?? '')}::text,
          ${endpoint}::text, ${botId !== undefined && isUuid(botId) ? botId : null}::uuid, ${outcome}::text, ${errorCode}::text, ${actor.type}::text, ${actor.id ?? null}::text,
          ${requestId}::text, ${now.toISOString()}::timestamptz, ${durationMs}::integer, ${JSON.stringify(details)}::jsonb
        from (select 1) as one left join account on true
      ), touched as (
        update exchange_accounts set last_used_at = ${now.toISOString()}::timestamptz
        where ${outcome === 'success'}::boolean and key_id = ${keyId}::uuid and workspace_id = ${ws}::uuid
          and (last_used_at is null or last_used_at < ${new Date(now.getTime() - LAST_USED_GRANULARITY_MS).toISOString()}::timestamptz)
      )
      select coalesce((select exchange from account), ${keyExchange}::text) as exchange`)
    return rowsOf<{ exchange: string | null }>(result)[0]?.exchange ?? null
  }

  /** The operator's personal workspace: where CLI-connected keys go unless told otherwise. */
  const operatorWorkspace = async (): Promise<string> => {
    const [row] = await db
      .select({ id: schema.workspaces.id })
      .from(schema.memberships)
      .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.memberships.workspaceId))
      .where(and(eq(schema.users.isOperator, true), eq(schema.memberships.role, 'owner'), eq(schema.workspaces.isPersonal, true)))
      .limit(1)
    if (!row) throw new AppError('NOT_FOUND', 'there is no operator yet: run `bulwark init` first')
    return row.id
  }

  return {
    operatorWorkspace,
    /**
     * `pendingApproval`: the signer stores the verified key as `pending_approval` (four-eyes, R42) until
     * `approvePending`; `requireIpRestricted`: the workspace refuses keys the exchange does not report as
     * IP-restricted (KEY_NOT_IP_RESTRICTED, nothing stored).
     */
    connect: (ws: string, exchange: string, envelope: unknown, opts: ConnectOptions = {}) =>
      relay<KeyView>(
        ws,
        'connect',
        {
          exchange,
          exchangeAccountId: opts.exchangeAccountId ?? newId(),
          envelope: sealedEnvelope.parse(envelope),
          ...(opts.testnet ? { testnet: true } : {}),
          ...(opts.replacesKeyId ? { replacesKeyId: opts.replacesKeyId } : {}),
          ...(opts.pendingApproval ? { pendingApproval: true } : {}),
          ...(opts.requireIpRestricted ? { requireIpRestricted: true } : {}),
        },
        opts.actor,
      ),
    /**
     * `ttlMs`: the signer does not send the call once it has waited that long (orders: see trading/journal).
     * `cleanupGrant`: from `disableAll`, lets a key it disabled cancel orders and close positions until it expires.
     * `botId`: the bot that makes the call, for the exchange-activity log.
     */
    execute: (ws: string, keyId: string, method: string, args: Record<string, unknown>, actor?: AuditActor, opts: ExecuteOptions = {}) =>
      relay(ws, 'execute', { keyId, method, args, ...(opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs }), ...(opts.cleanupGrant === undefined ? {} : { cleanupGrant: opts.cleanupGrant }) }, actor, opts.botId),
    generateKeyPair: (ws: string, exchange: string, exchangeAccountId: string, actor?: AuditActor) =>
      relay<{ key: KeyView; publicKeyPem: string }>(ws, 'generateKeyPair', { exchange, exchangeAccountId }, actor),
    completeKeyPair: (ws: string, keyId: string, apiKey: string, actor?: AuditActor, opts: KeyPolicyOptions = {}) =>
      relay<KeyView>(ws, 'completeKeyPair', { keyId, apiKey, ...(opts.pendingApproval ? { pendingApproval: true } : {}), ...(opts.requireIpRestricted ? { requireIpRestricted: true } : {}) }, actor),
    /** Four-eyes approved: the signer re-verifies the pending key and makes it usable (a replacement inherits `replacesKeyId`'s limits and disabled state). */
    approvePending: (ws: string, keyId: string, opts: { replacesKeyId?: string | undefined; requireIpRestricted?: boolean }, actor?: AuditActor) =>
      relay<KeyView>(ws, 'approvePending', { keyId, ...(opts.replacesKeyId ? { replacesKeyId: opts.replacesKeyId } : {}), ...(opts.requireIpRestricted ? { requireIpRestricted: true } : {}) }, actor),
    /** Destroys a key still waiting for approval (every share); CONFLICT for any other key, which it never touches. */
    discardPending: (ws: string, keyId: string, reason: PendingKeyDiscardReason, actor?: AuditActor) => relay<{ keyId: string; state: 'destroyed' }>(ws, 'discardPending', { keyId, reason }, actor),
    /** Narrowing only: re-reads permissions at the exchange; a key that became dangerous is disabled there and then. */
    reverify: (ws: string, keyId: string, actor?: AuditActor) => relay<KeyView>(ws, 'reverify', { keyId }, actor),
    publicKey: async () => (await signer.call('publicKey', null, {} as never, randomUUID())).result as { publicKey: string; algorithm: string; maxEnvelopeAgeSeconds: number },
    list: (ws: string) => relay<KeyView[]>(ws, 'listKeys', {}),
    disable: (ws: string, keyId: string, reason: string, actor?: AuditActor) => relay<KeyView>(ws, 'disable', { keyId, reason }, actor),
    /**
     * Lockdown: every key of the workspace refuses at once (one signer transaction; pending widenings voided).
     * With `cleanupMs` (≤ 600000) the result carries a cleanup grant for `execute`, valid until `cleanupUntil`.
     */
    disableAll: (ws: string, reason: string, actor?: AuditActor, opts: { cleanupMs?: number } = {}) =>
      relay<DisableAllResult>(ws, 'disableWorkspaceKeys', { reason, ...(opts.cleanupMs === undefined ? {} : { cleanupMs: opts.cleanupMs }) }, actor),
    destroy: (ws: string, keyId: string, actor?: AuditActor) => relay(ws, 'destroy', { keyId }, actor),
    /** Narrowing applies at once; a widening is refused (FORBIDDEN, reason limit_widening_needs_confirmation): propose it. */
    setLimits: (ws: string, keyId: string, limits: KeyLimits, actor?: AuditActor) => relay(ws, 'setLimits', { keyId, limits: keyLimits.parse(limits) }, actor),
    /** Pending until confirmed by a passkey the signer already trusts, or until its delay passes (announced). */
    trustPasskey: (ws: string, input: TrustPasskeyInput, actor?: AuditActor) => relay(ws, 'trustPasskey', { ...input }, actor),
    /** Immediate (narrowing). Call it when a passkey is deleted, or with a user id when a member leaves or loses the right to widen. */
    untrustPasskey: (ws: string, which: { authenticatorId: string } | { userId: string }, actor?: AuditActor) => relay(ws, 'untrustPasskey', { ...which }, actor),
    listPasskeys: (ws: string) => relay(ws, 'listPasskeys', {}),
    /** Returns the pending operation with its `challenge`: the WebAuthn challenge the confirming passkey must sign. */
    proposeWidening: (ws: string, keyId: string, change: WideningChangeInput, actor?: AuditActor) => relay(ws, 'proposeWidening', { keyId, change }, actor),
    /** `assertion` is the browser's AuthenticationResponseJSON, relayed untouched: the signer verifies it. */
    confirmWidening: (ws: string, operationId: string, assertion: unknown, actor?: AuditActor) => relay(ws, 'confirmWidening', { operationId, assertion }, actor),
    cancelWidening: (ws: string, operationId: string, actor?: AuditActor) => relay(ws, 'cancelWidening', { operationId }, actor),
    listPendingWidenings: (ws: string) => relay(ws, 'listPendingWidenings', {}),
  }
}
export type KeyRelay = ReturnType<typeof createKeyRelay>

/** Admin-socket verbs for `bulwark keys …` (the CLI seals; the api relays). */
export const keyAdminHandlers = (deps: KeyAdminDeps): Record<string, (body: Record<string, unknown>) => Promise<unknown>> => {
  const keys = createKeyRelay(deps)
  const ws = async (body: Record<string, unknown>) => (body.workspaceId === undefined ? keys.operatorWorkspace() : workspaceId.parse(body.workspaceId))
  return {
    'operator-workspace': async () => ({ workspaceId: await keys.operatorWorkspace() }),
    'keys-connect': async (b) => {
      const w = await ws(b)
      return keys.connect(w, String(b.exchange ?? ''), b.envelope, { requireIpRestricted: await refusesIpUnrestrictedKeys(deps.db, w) })
    },
    'keys-execute': async (b) => keys.execute(await ws(b), String(b.keyId ?? ''), String(b.method ?? ''), (b.args ?? {}) as Record<string, unknown>),
    'keys-list': async (b) => keys.list(await ws(b)),
    'keys-disable': async (b) => keys.disable(await ws(b), String(b.keyId ?? ''), String(b.reason ?? 'disabled by the operator')),
    'keys-remove': async (b) => keys.destroy(await ws(b), String(b.keyId ?? '')),
  }
}
