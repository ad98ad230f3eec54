import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { AlertSeverity } from '../db/index.js'
import type { Alerts, AuditActor, AuditChain } from '../monitoring/index.js'
import { keyLimits, sealedEnvelope, type KeyLimits, type KeyView, type SignerAuditEvent, type SignerClient } from '../signer/index.js'

export type KeyAdminDeps = { db: Db; signer: SignerClient; audit: Pick<AuditChain, 'append'>; alerts: Pick<Alerts, 'raise'> }

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

/** What a widening changes, as the signer takes it (`proposeWidening`). */
export type WideningChangeInput = { kind: 'limits'; limits: KeyLimits } | { kind: 'enable' }
/** A passkey the api registered, relayed for the signer to trust (after its delay, or confirmed by a trusted passkey). */
export type TrustPasskeyInput = { userId: string; authenticatorId: string; publicKey: string; counter: number }

const operatorActor: AuditActor = { type: 'operator_cli' }

/**
 * Relays key operations to the signer and records what it reports in the workspace's audit chain.
 * The api never sees plaintext: `connect` carries an envelope sealed to the signer's public key.
 */
export const createKeyRelay = ({ db, signer, audit, alerts }: KeyAdminDeps) => {
  const record = async (ws: string, requestId: string, events: SignerAuditEvent[], actor: AuditActor) => {
    for (const e of events) {
      await audit.append({ workspaceId: ws, type: e.type, actor, outcome: e.outcome, requestId, details: e.details })
      const severity = Object.hasOwn(alertSeverityOf, e.type) ? alertSeverityOf[e.type] : undefined
      if (severity) {
        const dedupKey = String(e.details.operationId ?? e.details.keyId ?? e.details.authenticatorId ?? e.type)
        await alerts.raise({ workspaceId: ws, rule: e.type, severity, details: e.details, dedupKey })
      }
    }
  }

  /** Calls the signer for a workspace and audits its events whether the call succeeded or not. */
  const relay = async <T>(ws: string, op: Parameters<SignerClient['call']>[0], params: Record<string, unknown>, actor: AuditActor = operatorActor): Promise<T> => {
    const requestId = randomUUID()
    const started = performance.now()
    try {
      const { result, events } = await signer.call(op, ws, params as never, requestId)
      await record(ws, requestId, events, actor)
      if (op === 'execute') await journal(ws, params, actor, requestId, started, 'success', undefined)
      return result as T
    } catch (err) {
      const events = ((err as AppError).details as { events?: SignerAuditEvent[] } | undefined)?.events ?? []
      await record(ws, requestId, events, actor)
      if (op === 'execute') await journal(ws, params, actor, requestId, started, err instanceof AppError && err.code === 'KEY_LIMIT_EXCEEDED' ? 'denied' : 'failure', err)
      throw err
    }
  }

  /** The exchange-activity journal: one row per private call through the signer, whatever its outcome. */
  const journal = async (ws: string, params: Record<string, unknown>, actor: AuditActor, requestId: string, started: number, outcome: 'success' | 'failure' | 'denied', err: unknown) => {
    const keyId = String(params.keyId ?? '')
    const [account] = await db.select({ id: schema.exchangeAccounts.id }).from(schema.exchangeAccounts).where(eq(schema.exchangeAccounts.keyId, keyId)).limit(1)
    const now = new Date()
    const args = (params.args ?? {}) as Record<string, unknown>
    await db.insert(schema.exchangeActivity).values({
      id: newId(now.getTime()),
      workspaceId: ws,
      exchangeAccountId: account?.id ?? null,
      keyId,
      method: String(params.method ?? ''),
      outcome,
      errorCode: err instanceof AppError ? err.code : err ? 'INTERNAL' : null,
      actorType: actor.type,
      actorId: actor.id ?? null,
      requestId,
      occurredAt: now,
      durationMs: Math.round(performance.now() - started),
      // Order facts only (symbol, side, type, amount, price, client id): never credentials, which never reach the api anyway.
      details: Object.fromEntries(Object.entries(args).filter(([k]) => ['symbol', 'side', 'type', 'amount', 'price', 'clientOrderId', 'id'].includes(k))),
    })
    if (account && outcome === 'success') await db.update(schema.exchangeAccounts).set({ lastUsedAt: now }).where(eq(schema.exchangeAccounts.id, account.id))
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
    connect: (ws: string, exchange: string, envelope: unknown, opts: { exchangeAccountId?: string; actor?: AuditActor; testnet?: boolean; replacesKeyId?: string } = {}) =>
      relay<KeyView>(
        ws,
        'connect',
        { exchange, exchangeAccountId: opts.exchangeAccountId ?? newId(), envelope: sealedEnvelope.parse(envelope), ...(opts.testnet ? { testnet: true } : {}), ...(opts.replacesKeyId ? { replacesKeyId: opts.replacesKeyId } : {}) },
        opts.actor,
      ),
    /** `ttlMs`: the signer does not send the call once it has waited that long (orders: see trading/journal). */
    execute: (ws: string, keyId: string, method: string, args: Record<string, unknown>, actor?: AuditActor, opts: { ttlMs?: number } = {}) =>
      relay(ws, 'execute', { keyId, method, args, ...(opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs }) }, actor),
    generateKeyPair: (ws: string, exchange: string, exchangeAccountId: string, actor?: AuditActor) =>
      relay<{ key: KeyView; publicKeyPem: string }>(ws, 'generateKeyPair', { exchange, exchangeAccountId }, actor),
    completeKeyPair: (ws: string, keyId: string, apiKey: string, actor?: AuditActor) => relay<KeyView>(ws, 'completeKeyPair', { keyId, apiKey }, actor),
    /** Narrowing only: re-reads permissions at the exchange; a key that became dangerous is disabled there and then. */
    reverify: (ws: string, keyId: string, actor?: AuditActor) => relay<KeyView>(ws, 'reverify', { keyId }, actor),
    publicKey: async () => (await signer.call('publicKey', null, {} as never, randomUUID())).result as { publicKey: string; algorithm: string; maxEnvelopeAgeSeconds: number },
    list: (ws: string) => relay<KeyView[]>(ws, 'listKeys', {}),
    disable: (ws: string, keyId: string, reason: string, actor?: AuditActor) => relay<KeyView>(ws, 'disable', { keyId, reason }, actor),
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
    'keys-connect': async (b) => keys.connect(await ws(b), String(b.exchange ?? ''), b.envelope),
    'keys-execute': async (b) => keys.execute(await ws(b), String(b.keyId ?? ''), String(b.method ?? ''), (b.args ?? {}) as Record<string, unknown>),
    'keys-list': async (b) => keys.list(await ws(b)),
    'keys-disable': async (b) => keys.disable(await ws(b), String(b.keyId ?? ''), String(b.reason ?? 'disabled by the operator')),
    'keys-remove': async (b) => keys.destroy(await ws(b), String(b.keyId ?? '')),
  }
}
