import { and, desc, eq, isNull, inArray } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { Alerts, AuditActor, AuditChain } from '../monitoring/index.js'
import { catalogueEntry } from '../exchanges/index.js'
import { z } from 'zod'
import { keyLimits, type KeyLimits, type KeyView } from '../signer/index.js'
import { refusesIpUnrestrictedKeys, type KeyRelay } from './key-admin.js'
import { createPendingKeyFlows } from './pending-keys.js'

const { exchangeAccounts } = schema

export type ExchangeAccountView = {
  id: string
  /** The signer's key id: what pending widenings refer to. */
  keyId: string
  workspaceId: string
  exchange: string
  label: string
  state: string
  disabledReason: string | null
  apiKeyHint: string
  verification: Record<string, unknown>
  limits: KeyLimits | null
  /** Connected to the venue's testnet/demo environment: no real funds. */
  testnet: boolean
  createdAt: string
  keyCreatedAt: string
  keyAgeDays: number
  lastUsedAt: string | null
  lastVerifiedAt: string | null
  /** True when the signer could not be asked just now: the mirror is shown as last known. */
  stale: boolean
}

export type ExchangeAccountRow = typeof exchangeAccounts.$inferSelect
type Row = ExchangeAccountRow

/** The reason the signer gives when a limits change widens and must be proposed instead. */
/**
 * Four-eyes (R42) on widening a key's limits — the signer's notional limits are the hard ones. The api's
 * approvals gate, typed here because keys/ may not import teams/. Approval does not bypass the signer: the
 * approver then proposes the widening, which still waits for a trusted passkey or the signer's delay.
 */
export type KeyLimitsGate<V> = {
  required: (workspaceId: string, kind: 'limits.raise') => Promise<boolean>
  request: (input: { workspaceId: string; kind: 'limits.raise'; summary: string; payload: Record<string, unknown>; requestedBy: { userId: string; ip?: string | undefined; requestId?: string | undefined } }) => Promise<V>
}
export const keyLimitsPayload = z.object({ target: z.literal('key'), exchangeAccountId: z.string().uuid(), limits: keyLimits }).strict()

const describeKeyLimits = (l: KeyLimits) =>
  `max order ${l.maxOrderNotional}, 24 h ${l.max24hNotional}, ${l.maxOrdersPerMinute} orders/min, price band ${l.priceBandPct} %, symbols ${l.symbols.join(', ') || 'none'}`

const isWideningRefusal = (err: unknown) => err instanceof AppError && err.code === 'FORBIDDEN' && err.reason === 'limit_widening_needs_confirmation'

/**
 * Exchange accounts on the api side (DESIGN.md: keys/). The secret never comes here: connecting relays
 * an envelope sealed in the browser (or CLI) to the signer, which verifies the key at the exchange
 * before storing it. This keeps the label, who connected it, the last use, and a mirror of the
 * signer's state and verification badges. Widening a key goes through the signer's confirmations.
 */
export const createExchangeAccounts = ({
  db,
  clock,
  relay,
  audit,
  alerts,
  mayConnect,
}: {
  db: Db
  clock: Clock
  relay: Pick<
    KeyRelay,
    'generateKeyPair' | 'completeKeyPair' | 'connect' | 'list' | 'destroy' | 'reverify' | 'setLimits' | 'proposeWidening' | 'confirmWidening' | 'cancelWidening' | 'listPendingWidenings' | 'publicKey' | 'disable' | 'approvePending' | 'discardPending'
  >
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  /** Key lifecycle alerts (key_connected, key_removed, key_rotated); the api root passes the workspace alerts. */
  alerts?: Pick<Alerts, 'raise'> | undefined
  /** Accounts policy: verified email and (by workspace policy) a second factor before any key (R26). */
  mayConnect: (userId: string, workspaceId: string) => Promise<void>
}) => {
  /** Facts of a key lifecycle alert: which account and key, never anything secret-derived beyond the masked hint. */
  const announce = async (workspaceId: string, rule: 'key_connected' | 'key_removed' | 'key_rotated', row: { id: string; exchange: string; label: string }, details: Record<string, unknown>, actor: AuditActor) =>
    alerts?.raise({ workspaceId, rule, details: { exchangeAccountId: row.id, exchange: row.exchange, label: row.label, by: actor.id ?? actor.type, ...details } })

  const view = (row: Row, key: KeyView | undefined, stale: boolean): ExchangeAccountView => ({
    id: row.id,
    keyId: row.keyId,
    workspaceId: row.workspaceId,
    exchange: row.exchange,
    label: row.label,
    state: key?.state ?? row.state,
    disabledReason: key?.disabledReason ?? null,
    apiKeyHint: key?.apiKeyHint ?? row.apiKeyHint,
    verification: key?.verification ?? (row.verification as Record<string, unknown>),
    limits: key?.limits ?? null,
    testnet: row.testnet,
    createdAt: row.createdAt.toISOString(),
    keyCreatedAt: row.keyCreatedAt.toISOString(),
    keyAgeDays: Math.floor((clock.now().getTime() - row.keyCreatedAt.getTime()) / 86_400_000),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    lastVerifiedAt: row.lastVerifiedAt?.toISOString() ?? null,
    stale,
  })

  const mirror = async (row: Row, key: KeyView, verified = false) => {
    const [updated] = await db
      .update(exchangeAccounts)
      .set({ state: key.state, apiKeyHint: key.apiKeyHint, verification: key.verification, ...(verified ? { lastVerifiedAt: clock.now() } : {}) })
      .where(eq(exchangeAccounts.id, row.id))
      .returning()
    return updated ?? row
  }

  /** Workspace policy (refuseIpUnrestrictedKeys): the signer then refuses a key the exchange does not report as IP-restricted. */
  const requireIpRestricted = (workspaceId: string): Promise<boolean> => refusesIpUnrestrictedKeys(db, workspaceId)

  const rowOf = async (workspaceId: string, id: string): Promise<Row> => {
    const [row] = await db.select().from(exchangeAccounts).where(and(eq(exchangeAccounts.id, id), eq(exchangeAccounts.workspaceId, workspaceId), isNull(exchangeAccounts.removedAt))).limit(1)
    if (!row) throw new AppError('NOT_FOUND', `exchange account "${id}" not found`)
    return row
  }

  /** The signer's sealing key, with the server's clock: the browser seals against it, not its own. */
  const sealingKey = async () => ({ ...(await relay.publicKey()), now: clock.now().toISOString() })

  /**
   * Ed25519 (venues that accept it): the signer makes the key pair and keeps the private key; the user
   * registers the returned public key at the exchange, then gives us the API key it shows.
   */
  const generate = async (actor: AuditActor & { id: string }, workspaceId: string, input: { exchange: string; label: string }) => {
    if (!catalogueEntry(input.exchange)) throw new AppError('BAD_INPUT', `exchange: "${input.exchange}" is not a supported exchange (GET /api/exchanges lists them)`)
    await mayConnect(actor.id, workspaceId)
    const id = newId(clock.now().getTime())
    const { key, publicKeyPem } = await relay.generateKeyPair(workspaceId, input.exchange, id, actor)
    const now = clock.now()
    const [row] = await db
      .insert(exchangeAccounts)
      .values({ id, workspaceId, exchange: input.exchange, label: input.label, keyId: key.keyId, state: key.state, apiKeyHint: key.apiKeyHint, verification: key.verification, createdBy: actor.id, createdAt: now, keyCreatedAt: now })
      .returning()
    await audit.append({ workspaceId, type: 'exchange_account_key_generated', actor, outcome: 'success', details: { exchangeAccountId: id, exchange: input.exchange, keyId: key.keyId } })
    return { account: view(row as Row, key, false), publicKeyPem }
  }

  const completeGenerated = async (actor: AuditActor & { id: string }, workspaceId: string, id: string, apiKey: string) => {
    const row = await rowOf(workspaceId, id)
    await mayConnect(actor.id, workspaceId)
    const key = await relay.completeKeyPair(workspaceId, row.keyId, apiKey, actor, { requireIpRestricted: await requireIpRestricted(workspaceId) })
    const updated = await mirror(row, key, true)
    await announce(workspaceId, 'key_connected', row, { keyId: key.keyId, keyHint: key.apiKeyHint, state: key.state, algorithm: 'ed25519' }, actor)
    return view(updated, key, false)
  }

  const connect = async (actor: AuditActor & { id: string }, workspaceId: string, input: { exchange: string; label: string; envelope: unknown; testnet?: boolean | undefined }): Promise<ExchangeAccountView> => {
    if (!catalogueEntry(input.exchange)) throw new AppError('BAD_INPUT', `exchange: "${input.exchange}" is not a supported exchange (GET /api/exchanges lists them)`)
    await mayConnect(actor.id, workspaceId)
    const id = newId(clock.now().getTime())
    const key = await relay.connect(workspaceId, input.exchange, input.envelope, { exchangeAccountId: id, actor, testnet: input.testnet === true, requireIpRestricted: await requireIpRestricted(workspaceId) })
    const now = clock.now()
    try {
      const [row] = await db
        .insert(exchangeAccounts)
        .values({ id, workspaceId, exchange: input.exchange, label: input.label, testnet: key.isTestnet, keyId: key.keyId, state: key.state, apiKeyHint: key.apiKeyHint, verification: key.verification, createdBy: actor.id, createdAt: now, keyCreatedAt: now, lastVerifiedAt: now })
        .returning()
      await audit.append({ workspaceId, type: 'exchange_account_connected', actor, outcome: 'success', details: { exchangeAccountId: id, exchange: input.exchange, keyId: key.keyId } })
      await announce(workspaceId, 'key_connected', { id, exchange: input.exchange, label: input.label }, { keyId: key.keyId, keyHint: key.apiKeyHint, state: key.state }, actor)
      return view(row as Row, key, false)
    } catch (err) {
      // The signer stored the key but we could not record it: destroy it rather than leave an orphan.
      await relay.destroy(workspaceId, key.keyId, actor).catch(() => {})
      throw err
    }
  }

  /** Masked list with badges; the signer's current state when it answers, the last mirror when not. */
  const list = async (workspaceId: string, opts: { live: boolean } = { live: true }): Promise<ExchangeAccountView[]> => {
    const rows = await db.select().from(exchangeAccounts).where(and(eq(exchangeAccounts.workspaceId, workspaceId), isNull(exchangeAccounts.removedAt))).orderBy(desc(exchangeAccounts.createdAt))
    let keys: KeyView[] | undefined
    try {
      keys = opts.live ? await relay.list(workspaceId) : undefined
    } catch {
      keys = undefined
    }
    const out: ExchangeAccountView[] = []
    for (const row of rows) {
      const key = keys?.find((k) => k.keyId === row.keyId)
      const current = key && (key.state !== row.state || JSON.stringify(key.verification) !== JSON.stringify(row.verification)) ? await mirror(row, key) : row
      out.push(view(current, key, opts.live && keys === undefined))
    }
    return out
  }

  const reverify = async (actor: AuditActor, workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id)
    const key = await relay.reverify(workspaceId, row.keyId, actor)
    return view(await mirror(row, key, true), key, false)
  }

  /** A key waiting for approval is decided through its request, not replaced or re-enabled around it. */
  const assertNotPending = (row: Row) => {
    if (row.state === 'pending_approval') throw new AppError('CONFLICT', `the key of "${row.label}" is waiting for approval: have the request approved, or reject or cancel it first`, { reason: 'PENDING_APPROVAL' })
  }

  /**
   * Guided rotation, one flow with no gap in trading:
   * 1. connect the new key for the same exchange account (a sealed envelope; the signer verifies it at the
   *    exchange, and it inherits the old key's limits and a disabled state — a swap never widens);
   * 2. cut over: the account's `keyId` switches. Bots and the order journal reference the account and
   *    resolve its key on every call, so the next order, cancel, poll or reconciliation — of orders the
   *    old key placed too, found again by client order id on the same exchange account — uses the new key;
   * 3. disable the old key in the signer (it refuses at once), then destroy its shares.
   * A new key that did not verify while the old one trades is not switched to: it is destroyed and the
   * old key keeps serving.
   * @throws AppError CONFLICT when the new key is not active but the current one is
   */
  const rotate = async (actor: AuditActor & { id: string }, workspaceId: string, id: string, envelope: unknown) => {
    const row = await rowOf(workspaceId, id)
    assertNotPending(row)
    await mayConnect(actor.id, workspaceId)
    const key = await relay.connect(workspaceId, row.exchange, envelope, { exchangeAccountId: row.id, actor, testnet: row.testnet, replacesKeyId: row.keyId, requireIpRestricted: await requireIpRestricted(workspaceId) })
    return cutOver(actor, workspaceId, row, key)
  }

  /**
   * Steps 2 and 3 of a rotation, once the new key is in the signer (at once, or approved by a second person).
   * @throws AppError CONFLICT when the new key is not active but the current one is (the new key is destroyed)
   */
  const cutOver = async (actor: AuditActor, workspaceId: string, row: Row, key: KeyView, facts: Record<string, unknown> = {}, ctx: { ip?: string | undefined; requestId?: string | undefined } = {}) => {
    if (key.state !== 'active' && row.state === 'active') {
      await relay.destroy(workspaceId, key.keyId, actor).catch(() => {})
      throw new AppError('CONFLICT', `the new key is ${key.state} (${key.disabledReason ?? 'not verified at the exchange'}): the current key keeps serving this account`)
    }
    const now = clock.now()
    const [updated] = await db
      .update(exchangeAccounts)
      .set({ keyId: key.keyId, state: key.state, apiKeyHint: key.apiKeyHint, verification: key.verification, keyCreatedAt: now, lastVerifiedAt: now, lastUsedAt: null })
      .where(eq(exchangeAccounts.id, row.id))
      .returning()
    // After the cut-over: the old key refuses from now on, whatever still holds its id.
    await relay.disable(workspaceId, row.keyId, 'replaced by a rotated key', actor)
    await relay.destroy(workspaceId, row.keyId, actor)
    await audit.append({ workspaceId, type: 'key_rotated', actor, outcome: 'success', ...ctx, details: { exchangeAccountId: row.id, oldKeyId: row.keyId, keyId: key.keyId, keyHint: key.apiKeyHint, ...facts } })
    await announce(workspaceId, 'key_rotated', row, { oldKeyId: row.keyId, keyId: key.keyId, keyHint: key.apiKeyHint }, actor)
    return view(updated ?? row, key, false)
  }

  /** Destroys every share of the key in the signer, then forgets the account. */
  const remove = async (actor: AuditActor, workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id)
    await relay.destroy(workspaceId, row.keyId, actor)
    await db.update(exchangeAccounts).set({ removedAt: clock.now(), state: 'destroyed' }).where(eq(exchangeAccounts.id, row.id))
    await audit.append({ workspaceId, type: 'exchange_account_removed', actor, outcome: 'success', details: { exchangeAccountId: row.id, keyId: row.keyId } })
    await announce(workspaceId, 'key_removed', row, { keyId: row.keyId, keyHint: row.apiKeyHint }, actor)
  }

  /** Narrowing applies at once; a widening becomes a pending operation the user confirms with a passkey (or that waits the signer's delay). */
  /** Narrowing applies at once; widening waits for a second person where the workspace asks (gate), then for the signer's confirmation. */
  const setLimits = async <V>(actor: AuditActor, workspaceId: string, id: string, limits: KeyLimits, opts: { gate?: KeyLimitsGate<V> | undefined; ip?: string | undefined; requestId?: string | undefined } = {}) => {
    const row = await rowOf(workspaceId, id)
    try {
      return { status: 'applied' as const, account: view(row, await relay.setLimits(workspaceId, row.keyId, limits, actor) as KeyView, false) }
    } catch (err) {
      if (!isWideningRefusal(err)) throw err
      if (opts.gate && actor.type === 'user' && actor.id && (await opts.gate.required(workspaceId, 'limits.raise'))) {
        const approval = await opts.gate.request({
          workspaceId,
          kind: 'limits.raise',
          summary: `Widen the signer's limits of ${row.label} (${row.exchange}) to: ${describeKeyLimits(limits)}`,
          payload: { target: 'key', exchangeAccountId: id, limits },
          requestedBy: { userId: actor.id, ip: opts.ip, requestId: opts.requestId },
        })
        return { status: 'pending_approval' as const, approval }
      }
      return { status: 'pending_confirmation' as const, operation: (await relay.proposeWidening(workspaceId, row.keyId, { kind: 'limits', limits }, actor)) as Record<string, unknown> }
    }
  }

  /** The approved widening of a key's limits: proposed to the signer as the approver (its passkey-or-delay rule still holds). */
  const applyKeyLimits = async (payload: unknown, ctx: { workspaceId: string; decidedBy: string | null }): Promise<Record<string, unknown>> => {
    const p = keyLimitsPayload.parse(payload)
    const row = await rowOf(ctx.workspaceId, p.exchangeAccountId)
    const actor: AuditActor = ctx.decidedBy ? { type: 'user', id: ctx.decidedBy } : { type: 'system' }
    const operation = (await relay.proposeWidening(ctx.workspaceId, row.keyId, { kind: 'limits', limits: p.limits }, actor)) as { operationId?: string; state?: string }
    return { exchangeAccountId: row.id, widening: operation.state ?? 'pending', operationId: operation.operationId ?? null }
  }

  const requestEnable = async (actor: AuditActor, workspaceId: string, id: string) => {
    const row = await rowOf(workspaceId, id)
    assertNotPending(row)
    return { status: 'pending_confirmation' as const, operation: (await relay.proposeWidening(workspaceId, row.keyId, { kind: 'enable' }, actor)) as Record<string, unknown> }
  }

  const disable = async (actor: AuditActor, workspaceId: string, id: string, reason: string) => {
    const row = await rowOf(workspaceId, id)
    const key = await relay.disable(workspaceId, row.keyId, reason, actor)
    return view(await mirror(row, key), key, false)
  }

  /** The daily re-verification (R16): every live key is asked again; dangerous ones are disabled by the signer. */
  const reverifyAll = async (): Promise<{ checked: number; failed: number }> => {
    const rows = await db.select().from(exchangeAccounts).where(and(isNull(exchangeAccounts.removedAt), inArray(exchangeAccounts.state, ['active', 'unverified'])))
    let failed = 0
    for (const row of rows) {
      try {
        const key = await relay.reverify(row.workspaceId, row.keyId, { type: 'system' })
        await mirror(row, key, true)
      } catch {
        failed++
      }
    }
    return { checked: rows.length, failed }
  }

  const pendingWidenings = (workspaceId: string) => relay.listPendingWidenings(workspaceId) as Promise<Array<Record<string, unknown>>>
  const confirmWidening = (actor: AuditActor, workspaceId: string, operationId: string, assertion: unknown) => relay.confirmWidening(workspaceId, operationId, assertion, actor)
  const cancelWidening = (actor: AuditActor, workspaceId: string, operationId: string) => relay.cancelWidening(workspaceId, operationId, actor)

  const pending = createPendingKeyFlows({ db, clock, relay, audit, mayConnect, announce, view, mirror, rowOf, requireIpRestricted, assertNotPending, cutOver, connect, rotate, completeGenerated })

  return {
    applyKeyLimits,
    sealingKey,
    generate,
    completeGenerated,
    connect,
    list,
    reverify,
    rotate,
    remove,
    setLimits,
    requestEnable,
    disable,
    reverifyAll,
    pendingWidenings,
    confirmWidening,
    cancelWidening,
    /** Four-eyes (R42): connect, replace or complete a key, waiting for a second person when the workspace asks for it. */
    connectGated: pending.connectGated,
    rotateGated: pending.rotateGated,
    completeGeneratedGated: pending.completeGeneratedGated,
    /** The approval handlers' two halves for kinds key.connect and key.replace (`keyApprovalHandler` wraps them). */
    approvePendingKey: pending.approvePendingKey,
    discardPendingKey: pending.discardPendingKey,
  }
}
export type ExchangeAccounts = ReturnType<typeof createExchangeAccounts>
