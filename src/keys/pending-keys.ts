import { and, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { AuditActor, AuditChain } from '../monitoring/index.js'
import { catalogueEntry } from '../exchanges/index.js'
import type { KeyView } from '../signer/index.js'
import type { KeyRelay, PendingKeyDiscardReason } from './key-admin.js'
import type { ExchangeAccountRow, ExchangeAccounts, ExchangeAccountView } from './exchange-accounts.js'

const { exchangeAccounts } = schema

/**
 * Keys that wait for a second person (four-eyes, R42) when the workspace's policy asks for it: connecting
 * a key (`key.connect`, the Ed25519 completion included) or replacing one (`key.replace`).
 *
 * Invariants:
 * - The credentials wait in the signer as `pending_approval`, verified at the exchange but unusable; the
 *   approval request names only ids (`pendingKeyPayload`), never anything secret.
 * - A new account is listed at once with state `pending_approval`; a replacement leaves the account and the
 *   key serving it untouched until it is approved, then cuts over exactly as an immediate rotation does.
 * - When the request cannot be made (nobody else could approve it), is rejected, cancelled, expires, or
 *   fails to apply, the waiting key is destroyed in the signer and a new account made for it goes away.
 *   A key that is no longer waiting (it was approved) is never touched by a discard.
 */

export type KeyApprovalKind = 'key.connect' | 'key.replace'

/** What the approval applier and discarder receive: ids only. */
export const pendingKeyPayload = z
  .object({
    exchangeAccountId: z.string().uuid(),
    /** The signer's id of the key waiting for approval. */
    keyId: z.string().uuid(),
    /** key.replace: the key serving the account when the replacement was asked for. */
    replacesKeyId: z.string().uuid().optional(),
  })
  .strict()
export type PendingKeyPayload = z.infer<typeof pendingKeyPayload>

/**
 * The approvals service as keys uses it (teams' `ApprovalGate` satisfies it; keys may not import teams).
 * `V` is the pending request's view, handed back to the caller untouched.
 */
export type KeyApprovalGate<V> = {
  required: (workspaceId: string, kind: KeyApprovalKind) => Promise<boolean>
  request: (input: {
    workspaceId: string
    kind: KeyApprovalKind
    summary: string
    payload: Record<string, unknown>
    requestedBy: { userId: string; ip?: string | undefined; requestId?: string | undefined }
  }) => Promise<V>
}

/** Who asked, for the audit chain. */
export type KeyRequestContext = { ip?: string | undefined; requestId?: string | undefined }
/** What the approvals service gives an applier or discarder (teams' `ApprovalContext`). */
export type KeyApprovalContext = KeyRequestContext & { approvalId: string; requestedBy: string | null; decidedBy: string | null }

export type Gated<T, V> = { status: 'applied'; account: T } | { status: 'pending_approval'; account: ExchangeAccountView; approval: V }

type Row = ExchangeAccountRow
type Actor = AuditActor & { id: string }

export type PendingKeyFlowsDeps = {
  db: Db
  clock: Clock
  relay: Pick<KeyRelay, 'connect' | 'completeKeyPair' | 'approvePending' | 'discardPending'>
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  mayConnect: (userId: string, workspaceId: string) => Promise<void>
  announce: (workspaceId: string, rule: 'key_connected', row: { id: string; exchange: string; label: string }, details: Record<string, unknown>, actor: AuditActor) => Promise<unknown>
  view: (row: Row, key: KeyView | undefined, stale: boolean) => ExchangeAccountView
  mirror: (row: Row, key: KeyView, verified?: boolean) => Promise<Row>
  rowOf: (workspaceId: string, id: string) => Promise<Row>
  requireIpRestricted: (workspaceId: string) => Promise<boolean>
  assertNotPending: (row: Row) => void
  cutOver: (actor: AuditActor, workspaceId: string, row: Row, key: KeyView, facts?: Record<string, unknown>, ctx?: KeyRequestContext) => Promise<ExchangeAccountView>
  /** The immediate flows, used when the workspace does not ask for approval. */
  connect: (actor: Actor, workspaceId: string, input: ConnectInput) => Promise<ExchangeAccountView>
  rotate: (actor: Actor, workspaceId: string, id: string, envelope: unknown) => Promise<ExchangeAccountView>
  completeGenerated: (actor: Actor, workspaceId: string, id: string, apiKey: string) => Promise<ExchangeAccountView>
}

type ConnectInput = { exchange: string; label: string; envelope: unknown; testnet?: boolean | undefined }

const actorOf = (userId: string | null): AuditActor => (userId ? { type: 'user', id: userId } : { type: 'system' })

export const createPendingKeyFlows = (deps: PendingKeyFlowsDeps) => {
  const { db, clock, relay, audit, mayConnect, announce, view, mirror, rowOf, requireIpRestricted, assertNotPending, cutOver } = deps

  const isRequired = async <V>(gate: KeyApprovalGate<V> | undefined, workspaceId: string, kind: KeyApprovalKind): Promise<boolean> => (gate ? gate.required(workspaceId, kind) : false)

  /** Destroys the waiting key; a key already gone is fine, one no longer waiting is left alone (CONFLICT from the signer). */
  const dropKey = async (workspaceId: string, keyId: string, reason: PendingKeyDiscardReason, actor: AuditActor): Promise<'dropped' | 'gone' | 'not_pending'> => {
    try {
      await relay.discardPending(workspaceId, keyId, reason, actor)
      return 'dropped'
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return 'gone'
      if (err instanceof AppError && err.code === 'CONFLICT') return 'not_pending'
      throw err
    }
  }

  /** Asks for the approval; when that fails nothing stays behind (`undo`), and the caller hears why. */
  const requestOrUndo = async <V>(gate: KeyApprovalGate<V>, input: Parameters<KeyApprovalGate<V>['request']>[0], undo: () => Promise<void>): Promise<V> => {
    try {
      return await gate.request(input)
    } catch (err) {
      await undo().catch(() => undefined)
      throw err
    }
  }

  const pendingAudit = (workspaceId: string, actor: AuditActor, ctx: KeyRequestContext, details: Record<string, unknown>) =>
    ({ workspaceId, type: 'exchange_account_key_pending', actor, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details }) as const

  /** Removes a new account whose only key did not become usable (never one whose key changed since). */
  const dropAccount = async (workspaceId: string, p: PendingKeyPayload, reason: string, actor: AuditActor, ctx: KeyRequestContext & { approvalId?: string }) =>
    db.transaction(async (tx) => {
      const removed = p.replacesKeyId
        ? []
        : await tx
            .update(exchangeAccounts)
            .set({ removedAt: clock.now(), state: 'destroyed' })
            .where(and(eq(exchangeAccounts.id, p.exchangeAccountId), eq(exchangeAccounts.workspaceId, workspaceId), eq(exchangeAccounts.keyId, p.keyId), isNull(exchangeAccounts.removedAt)))
            .returning({ id: exchangeAccounts.id })
      await audit.appendIn(tx, {
        workspaceId,
        type: 'exchange_account_key_discarded',
        actor,
        outcome: 'success',
        ip: ctx.ip,
        requestId: ctx.requestId,
        details: { ...p, reason, accountRemoved: removed.length > 0, ...(ctx.approvalId ? { approvalId: ctx.approvalId } : {}) },
      })
    })

  /**
   * Connects a key, or — when the workspace's policy asks for a second person (`key.connect`) — stores it
   * in the signer as `pending_approval`, lists the account as waiting, and asks for the approval.
   * @throws AppError CONFLICT reason NO_APPROVER (from the gate) when nobody else could approve: nothing is kept
   */
  const connectGated = async <V>(actor: Actor, workspaceId: string, input: ConnectInput, gate: KeyApprovalGate<V> | undefined, ctx: KeyRequestContext = {}): Promise<Gated<ExchangeAccountView, V>> => {
    if (!gate || !(await isRequired(gate, workspaceId, 'key.connect'))) return { status: 'applied', account: await deps.connect(actor, workspaceId, input) }
    const entry = catalogueEntry(input.exchange)
    if (!entry) throw new AppError('BAD_INPUT', `exchange: "${input.exchange}" is not a supported exchange (GET /api/exchanges lists them)`)
    await mayConnect(actor.id, workspaceId)
    const id = newId(clock.now().getTime())
    const key = await relay.connect(workspaceId, input.exchange, input.envelope, { exchangeAccountId: id, actor, testnet: input.testnet === true, pendingApproval: true, requireIpRestricted: await requireIpRestricted(workspaceId) })
    const payload: PendingKeyPayload = { exchangeAccountId: id, keyId: key.keyId }
    const now = clock.now()
    let row: Row
    try {
      row = await db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(exchangeAccounts)
          .values({ id, workspaceId, exchange: input.exchange, label: input.label, testnet: key.isTestnet, keyId: key.keyId, state: key.state, apiKeyHint: key.apiKeyHint, verification: key.verification, createdBy: actor.id, createdAt: now, keyCreatedAt: now, lastVerifiedAt: now })
          .returning()
        await audit.appendIn(tx, pendingAudit(workspaceId, actor, ctx, { ...payload, exchange: input.exchange, kind: 'key.connect' }))
        return inserted as Row
      })
    } catch (err) {
      await dropKey(workspaceId, key.keyId, 'failed', actor).catch(() => undefined)
      throw err
    }
    const summary = `Connect the ${entry.name}${key.isTestnet ? ' testnet' : ''} key ${key.apiKeyHint} as "${input.label}"`
    const approval = await requestOrUndo(gate, { workspaceId, kind: 'key.connect', summary, payload, requestedBy: { userId: actor.id, ip: ctx.ip, requestId: ctx.requestId } }, async () => {
      await dropKey(workspaceId, key.keyId, 'failed', actor)
      await db.transaction(async (tx) => {
        // Never shown as an account: the row goes, the chain keeps that it was asked for and why it went.
        await tx.delete(exchangeAccounts).where(and(eq(exchangeAccounts.id, id), eq(exchangeAccounts.keyId, key.keyId)))
        await audit.appendIn(tx, { workspaceId, type: 'exchange_account_key_discarded', actor, outcome: 'failure', ip: ctx.ip, requestId: ctx.requestId, details: { ...payload, reason: 'not_requested', accountRemoved: true } })
      })
    })
    return { status: 'pending_approval', account: view(row, key, false), approval }
  }

  /**
   * Replaces an account's key, or — when the policy asks for a second person (`key.replace`) — keeps the
   * new key waiting in the signer while the current one goes on serving, and asks for the approval.
   */
  const rotateGated = async <V>(actor: Actor, workspaceId: string, id: string, envelope: unknown, gate: KeyApprovalGate<V> | undefined, ctx: KeyRequestContext = {}): Promise<Gated<ExchangeAccountView, V>> => {
    if (!gate || !(await isRequired(gate, workspaceId, 'key.replace'))) return { status: 'applied', account: await deps.rotate(actor, workspaceId, id, envelope) }
    const row = await rowOf(workspaceId, id)
    assertNotPending(row)
    await mayConnect(actor.id, workspaceId)
    const key = await relay.connect(workspaceId, row.exchange, envelope, { exchangeAccountId: row.id, actor, testnet: row.testnet, replacesKeyId: row.keyId, pendingApproval: true, requireIpRestricted: await requireIpRestricted(workspaceId) })
    const payload: PendingKeyPayload = { exchangeAccountId: row.id, keyId: key.keyId, replacesKeyId: row.keyId }
    const summary = `Replace the key of ${catalogueEntry(row.exchange)?.name ?? row.exchange} "${row.label}" (${row.apiKeyHint}) with ${key.apiKeyHint}`
    const undo = async () => {
      await dropKey(workspaceId, key.keyId, 'failed', actor)
      await dropAccount(workspaceId, payload, 'not_requested', actor, ctx)
    }
    try {
      await audit.append(pendingAudit(workspaceId, actor, ctx, { ...payload, exchange: row.exchange, kind: 'key.replace' }))
    } catch (err) {
      await dropKey(workspaceId, key.keyId, 'failed', actor).catch(() => undefined)
      throw err
    }
    const approval = await requestOrUndo(gate, { workspaceId, kind: 'key.replace', summary, payload, requestedBy: { userId: actor.id, ip: ctx.ip, requestId: ctx.requestId } }, undo)
    return { status: 'pending_approval', account: view(row, undefined, false), approval }
  }

  /** The Ed25519 flow's last step (the API key the exchange issued), waiting for approval like a connect when the policy asks. */
  const completeGeneratedGated = async <V>(actor: Actor, workspaceId: string, id: string, apiKey: string, gate: KeyApprovalGate<V> | undefined, ctx: KeyRequestContext = {}): Promise<Gated<ExchangeAccountView, V>> => {
    if (!gate || !(await isRequired(gate, workspaceId, 'key.connect'))) return { status: 'applied', account: await deps.completeGenerated(actor, workspaceId, id, apiKey) }
    const row = await rowOf(workspaceId, id)
    await mayConnect(actor.id, workspaceId)
    const key = await relay.completeKeyPair(workspaceId, row.keyId, apiKey, actor, { pendingApproval: true, requireIpRestricted: await requireIpRestricted(workspaceId) })
    const payload: PendingKeyPayload = { exchangeAccountId: row.id, keyId: key.keyId }
    let updated: Row
    try {
      updated = await mirror(row, key, true)
      await audit.append(pendingAudit(workspaceId, actor, ctx, { ...payload, exchange: row.exchange, kind: 'key.connect', algorithm: 'ed25519' }))
    } catch (err) {
      await dropKey(workspaceId, key.keyId, 'failed', actor).catch(() => undefined)
      throw err
    }
    const summary = `Connect the ${catalogueEntry(row.exchange)?.name ?? row.exchange} Ed25519 key ${key.apiKeyHint} as "${row.label}"`
    const approval = await requestOrUndo(gate, { workspaceId, kind: 'key.connect', summary, payload, requestedBy: { userId: actor.id, ip: ctx.ip, requestId: ctx.requestId } }, async () => {
      await dropKey(workspaceId, key.keyId, 'failed', actor)
      await dropAccount(workspaceId, payload, 'not_requested', actor, ctx)
    })
    return { status: 'pending_approval', account: view(updated, key, false), approval }
  }

  /**
   * The approval's applier (kinds key.connect and key.replace): the signer verifies the key at the exchange
   * again and makes it usable; a new account then shows it, a replacement cuts over (the old key is disabled,
   * then destroyed). When it cannot be applied, the waiting key and a new account made for it are discarded.
   * @returns non-secret facts for the request's page
   * @throws AppError CONFLICT when the account went away or its key changed meanwhile, or the key is gone
   */
  const approvePendingKey = async (workspaceId: string, payload: unknown, ctx: KeyApprovalContext): Promise<Record<string, unknown>> => {
    const p = pendingKeyPayload.parse(payload)
    const actor = actorOf(ctx.decidedBy)
    const facts = { approvalId: ctx.approvalId, requestedBy: ctx.requestedBy, approvedBy: ctx.decidedBy }
    const audited = { ip: ctx.ip, requestId: ctx.requestId }
    try {
      const row = await rowOf(workspaceId, p.exchangeAccountId).catch((err: unknown) => {
        throw new AppError('CONFLICT', 'the exchange account was removed while its key waited for approval', { cause: err })
      })
      if (row.keyId !== (p.replacesKeyId ?? p.keyId)) throw new AppError('CONFLICT', "the account's key was changed while this one waited for approval: ask again with a fresh key")
      let key: KeyView
      try {
        key = await relay.approvePending(workspaceId, p.keyId, { replacesKeyId: p.replacesKeyId, requireIpRestricted: await requireIpRestricted(workspaceId) }, actor)
      } catch (err) {
        if (err instanceof AppError && err.code === 'NOT_FOUND') throw new AppError('CONFLICT', 'the key that waited for approval no longer exists (a lockdown or its expiry destroyed it): connect it again', { cause: err })
        throw err
      }
      if (p.replacesKeyId) {
        const account = await cutOver(actor, workspaceId, row, key, facts, audited)
        return { exchangeAccountId: row.id, keyId: key.keyId, replacedKeyId: p.replacesKeyId, state: account.state }
      }
      const updated = await mirror(row, key, true)
      await audit.append({ workspaceId, type: 'exchange_account_connected', actor, outcome: 'success', ...audited, details: { exchangeAccountId: row.id, exchange: row.exchange, keyId: key.keyId, ...facts } })
      await announce(workspaceId, 'key_connected', row, { keyId: key.keyId, keyHint: key.apiKeyHint, state: key.state }, actor)
      return { exchangeAccountId: row.id, keyId: key.keyId, state: updated.state }
    } catch (err) {
      // The request cannot be approved again: what waited for it goes (a key that became usable stays).
      await discardPendingKey(workspaceId, p, 'failed', ctx).catch(() => undefined)
      throw err
    }
  }

  /**
   * The approval's discarder (rejected, cancelled, expired; `failed` from the applier): destroys the waiting
   * key in the signer and removes a new account made for it. A key no longer waiting is left alone.
   */
  const discardPendingKey = async (workspaceId: string, payload: unknown, reason: PendingKeyDiscardReason, ctx: KeyApprovalContext): Promise<void> => {
    const p = pendingKeyPayload.parse(payload)
    const actor = actorOf(ctx.decidedBy)
    let failure: unknown
    try {
      if ((await dropKey(workspaceId, p.keyId, reason, actor)) === 'not_pending') return
    } catch (err) {
      // The signer could not be asked: the key stays unusable and the signer destroys it on its own clock.
      failure = err
    }
    await dropAccount(workspaceId, p, reason, actor, { ip: ctx.ip, requestId: ctx.requestId, approvalId: ctx.approvalId })
    if (failure) throw failure
  }

  return { connectGated, rotateGated, completeGeneratedGated, approvePendingKey, discardPendingKey }
}

/**
 * The approval handler for kinds `key.connect` and `key.replace`, in the shape teams' `ApprovalHandler`
 * takes: `approvals.register('key.connect', keyApprovalHandler(exchangeAccounts))` (and 'key.replace').
 */
export const keyApprovalHandler = (accounts: Pick<ExchangeAccounts, 'approvePendingKey' | 'discardPendingKey'>) => ({
  apply: (payload: unknown, ctx: KeyApprovalContext & { workspaceId: string }) => accounts.approvePendingKey(ctx.workspaceId, payload, ctx),
  discard: (payload: unknown, ctx: KeyApprovalContext & { workspaceId: string }, reason: PendingKeyDiscardReason) => accounts.discardPendingKey(ctx.workspaceId, payload, reason, ctx),
})
