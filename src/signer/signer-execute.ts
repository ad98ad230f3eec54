import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { addStage } from '../lib/stage-timer.js'
import { venueCalls, type VenueMethod } from '../exchanges/index.js'
import type { Vault, VaultKey } from '../vault/index.js'
import type { CleanupGrants } from './cleanup-grants.js'
import type { Executor } from './executor.js'
import { checkOrderLimits, checkSymbolAllowed, createUsageTracker, type OrderIntent } from './limits.js'
import { keyLimits, type SignerAuditEvent, type SignerParams } from './signer-types.js'
import type { Ctx } from './signer-service.js'

export type ExecuteDeps = {
  vault: Pick<Vault, 'getKey' | 'withSecret'>
  executor: Pick<Executor, 'run' | 'referencePrice'>
  usage: ReturnType<typeof createUsageTracker>
  clock: Clock
  grants: Pick<CleanupGrants, 'allows'>
  record: (ctx: Ctx, event: SignerAuditEvent) => Promise<void>
  /** The key's order lock: limit checks and usage records of one key happen one at a time. */
  serialized: <T>(keyId: string, fn: () => Promise<T>) => Promise<T>
  /** Applies the workspace's due widenings first (confirmations.ts). */
  applyDue: (ctx: Ctx) => Promise<void>
}

/**
 * `execute`: one venue call with a key. The key must be active — or disabled by a lockdown whose cleanup
 * grant covers exactly this call (cleanup-grants.ts). Orders pass the key's limits under its lock, are
 * recorded in the signer's log before they are signed, and never sent after their deadline.
 */
export const createExecute = ({ vault, executor, usage, clock, grants, record, serialized, applyDue }: ExecuteDeps) => {
  return async (ctx: Ctx, p: SignerParams<'execute'>) => {
    const method = p.method as VenueMethod
    // Monotonic, from receipt: the caller's clock and the wire do not matter (signer-types.ts `ttlMs`).
    const deadline = p.ttlMs === undefined ? undefined : performance.now() + p.ttlMs
    const assertInTime = () => {
      if (deadline !== undefined && performance.now() > deadline) throw new AppError('UNAVAILABLE', `${method}: not sent, the request waited past its deadline in the signer`, { reason: 'DEADLINE_PASSED' })
    }
    await applyDue(ctx)
    // Parsed once, here: every check below and the call itself see the same validated values.
    const parsed = venueCalls[method].safeParse(p.args)
    if (!parsed.success) throw new AppError('BAD_INPUT', `${method}: ${parsed.error.issues[0]?.path.join('.') || 'args'} ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    const args = parsed.data as Record<string, unknown>
    /** An active key, or a disabled one whose lockdown cleanup grant covers this very call. */
    const usableKey = async (): Promise<{ key: VaultKey; cleanup: boolean }> => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      if (key.state === 'active') return { key, cleanup: false }
      if (p.cleanupGrant !== undefined && key.state === 'disabled') {
        if (grants.allows(p.cleanupGrant, ctx.workspaceId, key.keyId, method, args)) return { key, cleanup: true }
        await record(ctx, { type: 'cleanup_refused', outcome: 'denied', details: { keyId: key.keyId, method } })
      }
      throw new AppError('KEY_UNAVAILABLE', `the key is ${key.state}${key.disabledReason ? ` (${key.disabledReason})` : ''} and cannot trade`)
    }
    const run = async (key: VaultKey) => {
      const sent: string[] = []
      /**
       * For the api's exchange-activity log, not its audit chain: the last request the call sent. Reported
       * with the answer, success or failure, and only when a request left (a refusal before I/O sends none).
       */
      const reportSent = (outcome: 'success' | 'failure') => {
        const endpoint = sent.at(-1)
        if (endpoint !== undefined) ctx.events.push({ type: 'exchange_request', outcome, details: { keyId: key.keyId, exchange: key.exchange, method, endpoint, requests: sent.length } })
      }
      try {
        const result = await vault.withSecret(p.keyId, ctx.workspaceId, (credentials) => executor.run(p.keyId, key.exchange, credentials, method, args, { testnet: key.isTestnet, deadline, sent }))
        reportSent('success')
        return result
      } catch (err) {
        reportSent('failure')
        // An IP ban stops the venue for every key (the executor paused its budget): the workspace hears it as critical.
        if (err instanceof AppError && err.reason === 'IP_BANNED') await record(ctx, { type: 'venue_ip_banned', outcome: 'failure', details: { keyId: key.keyId, exchange: key.exchange } })
        throw err
      }
    }
    if (method !== 'createOrder') {
      const { key, cleanup } = await usableKey()
      await record(ctx, { type: 'key_used', outcome: 'success', details: { keyId: key.keyId, keyVersion: key.keyVersion, method, ...(cleanup ? { cleanup: true } : {}) } })
      return run(key)
    }
    const order = args as OrderIntent & { clientOrderId?: string }
    return serialized(p.keyId, async () => {
      // Read inside the lock: a key disabled (or locked down) while this order waited does not sign it,
      // and an order whose caller gave up meanwhile is not sent at all.
      assertInTime()
      const { key, cleanup } = await usableKey()
      const limits = keyLimits.parse(key.limits)
      const now = clock.now()
      let notional
      try {
        checkSymbolAllowed(limits, order.symbol)
        notional = checkOrderLimits(limits, order, await executor.referencePrice(key.exchange, order.symbol, key.isTestnet), await usage.usage(key.keyId, now))
      } catch (err) {
        if (err instanceof AppError && err.code === 'KEY_LIMIT_EXCEEDED') await record(ctx, { type: 'signer_refused', outcome: 'denied', details: { keyId: key.keyId, method, reason: err.message } })
        throw err
      }
      await record(ctx, { type: 'key_used', outcome: 'success', details: { keyId: key.keyId, keyVersion: key.keyVersion, method, symbol: order.symbol, clientOrderId: order.clientOrderId ?? null, ...(cleanup ? { cleanup: true } : {}) } })
      const usageStart = performance.now()
      await usage.record(key.keyId, now, notional, ctx.requestId)
      addStage('usageMs', usageStart)
      const result = (await run(key)) as { id?: string }
      ctx.events.push({ type: 'order_signed', outcome: 'success', details: { keyId: key.keyId, keyVersion: key.keyVersion, orderId: result.id ?? null, clientOrderId: order.clientOrderId ?? null } })
      return result
    })
  }
}
