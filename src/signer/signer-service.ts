import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { lt } from 'drizzle-orm'
import { AppError, systemErrorCode } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { addStage } from '../lib/stage-timer.js'
import { openSealed, type RecipientKeyPair } from '../crypto/sealing.js'
import type { Db } from '../db/index.js'
import { catalogueEntry } from '../exchanges/index.js'
import { decodeCredentials, sealNonces, vaultKeys, type Vault, type VaultKey } from '../vault/index.js'
import type { Executor } from './executor.js'
import type { SignerAuditLog } from './audit-log.js'
import { createUsageTracker, isWidening } from './limits.js'
import { canonicalJson } from '../crypto/index.js'
import { createConfirmations, enableableStates } from './confirmations.js'
import { verifyKeyAtExchange, type Verification } from './verification.js'
import { defaultKeyLimits, keyLimits, type KeyLimits, type SignerAuditEvent, type SignerParams } from './signer-types.js'
import { keyViewOf } from './key-view.js'
import { createCleanupGrants } from './cleanup-grants.js'
import { createWorkspaceDisable } from './workspace-disable.js'
import { createExecute } from './signer-execute.js'
import { ephemeralAuditSigningKey, type AuditSigningKey } from './audit-signing-key.js'
import { createCheckpoints } from './checkpoints.js'
import { createSeal } from './seal.js'
import { createPendingKeys, PENDING_KEY_TTL_MS } from './pending-keys.js'
import { eq } from 'drizzle-orm'

export type SignerServiceDeps = {
  vault: Vault
  db: Db
  executor: Executor
  audit: SignerAuditLog
  recipient: { keyPair: RecipientKeyPair; publicKey: string }
  clock: Clock
  maxEnvelopeAgeMs?: number
  /**
   * Confirmations of widenings: the delay without a passkey (default 24 h), and the origin and RP ID an
   * assertion must name (PUBLIC_ORIGIN and its hostname; default http://localhost:8080).
   */
  widening?: { delayMs?: number; origin?: string; rpId?: string }
  /**
   * The Ed25519 key that signs audit checkpoints: `main.ts` loads `vault/audit-signing.key`. Without one
   * (a signer composed without a vault directory) a key is made for this process only.
   */
  auditSigningKey?: AuditSigningKey
  /** How long a key may wait for approval before the signer destroys it itself (pending-keys.ts; default 25 h). */
  pendingKeyTtlMs?: number
  /** Told when a timed sweep of expired pending keys fails (the signer's logger). */
  onSweepError?: (err: unknown) => void
}

export const DEFAULT_WIDENING_DELAY_MS = 24 * 3_600_000

export type Ctx = { workspaceId: string; requestId: string; events: SignerAuditEvent[] }


const view = keyViewOf

/**
 * The signer's operations. Each writes its own audit log before it acts (and refuses when it cannot),
 * and reports audit facts back for the api's workspace chain. None returns key material.
 */
export const createSignerService = ({
  vault,
  db,
  executor,
  audit,
  recipient,
  clock,
  maxEnvelopeAgeMs = 15 * 60_000,
  widening = {},
  auditSigningKey = ephemeralAuditSigningKey(),
  pendingKeyTtlMs = PENDING_KEY_TTL_MS,
  onSweepError,
}: SignerServiceDeps) => {
  const usage = createUsageTracker(db)
  const grants = createCleanupGrants({ clock })
  const keyLocks = new Map<string, Promise<unknown>>()
  /** Limit checks and usage records of one key happen one at a time, so concurrent orders cannot both fit. */
  const serialized = async <T>(keyId: string, fn: () => Promise<T>): Promise<T> => {
    const prev = keyLocks.get(keyId) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    keyLocks.set(keyId, next.catch(() => undefined))
    return next
  }

  /**
   * Changes to one key's state and limits (and to one workspace's trusted passkeys) happen one at a time,
   * apart from the order lock: a disable never interleaves with a widening being applied.
   */
  const adminLocks = new Map<string, Promise<unknown>>()
  const exclusive = async <T>(lockKey: string, fn: () => Promise<T>): Promise<T> => {
    const next = (adminLocks.get(lockKey) ?? Promise.resolve()).then(fn, fn)
    const settled = next.catch(() => undefined)
    adminLocks.set(lockKey, settled)
    void settled.then(() => {
      if (adminLocks.get(lockKey) === settled) adminLocks.delete(lockKey)
    })
    return next
  }

  /** Durably in the signer's own log first (the caller awaits it before acting), then reported to the api. */
  const record = async (ctx: Ctx, event: SignerAuditEvent) => {
    const t0 = performance.now()
    await audit.write({ workspaceId: ctx.workspaceId, requestId: ctx.requestId, ...event })
    addStage('auditMs', t0)
    ctx.events.push(event)
  }

  /**
   * Workspace policy (refuseIpUnrestrictedKeys): only a key the exchange reports as restricted to IP
   * addresses. Checked after verification and before anything is stored; audited like the withdraw refusal.
   */
  const assertIpRestricted = async (ctx: Ctx, exchange: string, verification: Verification, details: Record<string, unknown>) => {
    if (verification.ipRestricted === true) return
    await record(ctx, { type: 'key_connect_refused', outcome: 'denied', details: { ...details, exchange, reason: 'KEY_NOT_IP_RESTRICTED' } })
    const name = catalogueEntry(exchange)?.name ?? exchange
    const said = verification.ipRestricted === false ? `${name} reports this key as usable from any address` : `${name} did not report whether this key is restricted to IP addresses`
    throw new AppError('KEY_NOT_IP_RESTRICTED', `this workspace accepts only keys restricted to IP addresses, and ${said}. Fix: restrict the key to the platform's egress addresses at ${name}, then connect it again`)
  }

  const publicKey = () => ({ publicKey: recipient.publicKey, algorithm: 'ECDH-P256/HKDF-SHA256/AES-256-GCM', maxEnvelopeAgeSeconds: maxEnvelopeAgeMs / 1000 })

  /**
   * An Ed25519 key pair made here (venues that accept them: Binance spot and USDⓈ-M): the private key
   * never exists outside the signer, not even in the browser. It is stored at once like any secret,
   * awaiting the API key the exchange issues for the public key, which is the only thing returned.
   * Residual risk (src/vault/README.md): ccxt signs with a PEM string, so the PEM exists as a string
   * here at generation and during each call.
   */
  const generateKeyPair = async (ctx: Ctx, p: SignerParams<'generateKeyPair'>) => {
    const entry = catalogueEntry(p.exchange)
    if (!entry) throw new AppError('BAD_INPUT', `exchange "${p.exchange}" is not supported`)
    if (!entry.acceptsEd25519) throw new AppError('BAD_INPUT', `${entry.name} does not accept Ed25519 API keys: create a key there and paste it instead`)
    const pair = generateKeyPairSync('ed25519')
    const publicKeyPem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()
    const secret = Buffer.from(pair.privateKey.export({ format: 'pem', type: 'pkcs8' }))
    // A placeholder API key until the exchange issues one; unique, so the reuse lock holds.
    const apiKey = Buffer.from(`awaiting-${randomUUID()}`)
    try {
      const key = await vault.storeKey({
        workspaceId: ctx.workspaceId,
        exchangeAccountId: p.exchangeAccountId,
        exchange: p.exchange,
        credentials: { apiKey, secret, wipe: () => {} },
        state: 'unverified',
        verification: { status: 'awaiting_api_key', checkedAt: clock.now().toISOString(), publicKeyPem, note: `register this public key at ${entry.name}, then paste the API key it shows` },
        limits: defaultKeyLimits,
      })
      await record(ctx, { type: 'key_pair_generated', outcome: 'success', details: { keyId: key.keyId, exchange: p.exchange, algorithm: 'ed25519' } })
      return { key: view(key), publicKeyPem }
    } finally {
      secret.fill(0)
      apiKey.fill(0)
    }
  }

  /** The API key the exchange issued for a generated key pair: stored, then the key is verified there like a pasted one. */
  const completeKeyPair = (ctx: Ctx, p: SignerParams<'completeKeyPair'>) =>
    exclusive(`key:${p.keyId}`, async () => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      // Only a key still waiting for its API key: one disabled meanwhile (lockdown, a member) stays disabled.
      if (key.state !== 'unverified' || (key.verification as { status?: string }).status !== 'awaiting_api_key') throw new AppError('CONFLICT', 'this key is not waiting for an API key')
      const apiKey = Buffer.from(p.apiKey.trim())
      try {
        // Verified with the API key given before it is stored: a refused key leaves the pair waiting as it was.
        const verification = await vault
          .withSecret(p.keyId, ctx.workspaceId, (credentials) =>
            verifyKeyAtExchange(executor, `verify-${randomUUID()}`, key.exchange, { apiKey, secret: credentials.secret, password: credentials.password, wipe: () => {} }, clock.now(), { testnet: key.isTestnet }),
          )
          .catch(async (err: unknown) => {
            await record(ctx, { type: 'key_connect_refused', outcome: 'denied', details: { keyId: p.keyId, exchange: key.exchange, reason: err instanceof AppError ? err.code : 'INTERNAL' } })
            throw err
          })
        if (p.requireIpRestricted) await assertIpRestricted(ctx, key.exchange, verification, { keyId: p.keyId })
        await vault.setApiKey(p.keyId, ctx.workspaceId, apiKey)
        await vault.setVerification(p.keyId, ctx.workspaceId, verification)
        const state = p.pendingApproval ? 'pending_approval' : verification.status === 'verified' ? 'active' : undefined
        const done = state ? await vault.setState(p.keyId, ctx.workspaceId, state, undefined, { from: 'unverified' }) : await vault.getKey(p.keyId, ctx.workspaceId)
        await record(ctx, { type: 'key_connected', outcome: 'success', details: { keyId: p.keyId, exchange: key.exchange, algorithm: 'ed25519', state: done.state } })
        return view(done)
      } finally {
        apiKey.fill(0)
      }
    })

  const connect = async (ctx: Ctx, p: SignerParams<'connect'>) => {
    const entry = catalogueEntry(p.exchange)
    if (!entry) throw new AppError('BAD_INPUT', `exchange "${p.exchange}" is not supported`)
    if (p.testnet && entry.sandbox.switch === null) throw new AppError('BAD_INPUT', `${entry.name} has no testnet or demo environment Bulwark can use: ${entry.sandbox.note}`)
    // A replacement inherits the key it replaces: its limits and a disabled state. Swapping the key must
    // never widen what the account may do (that goes through confirmations).
    const replaced = p.replacesKeyId ? await vault.getKey(p.replacesKeyId, ctx.workspaceId) : undefined
    if (replaced && (replaced.exchangeAccountId !== p.exchangeAccountId || replaced.exchange !== p.exchange || replaced.state === 'destroyed')) {
      throw new AppError('BAD_INPUT', 'the key to replace belongs to another exchange account')
    }
    if (replaced?.state === 'pending_approval') throw new AppError('CONFLICT', 'the key to replace is itself waiting for approval: have it approved or rejected first')
    const c = p.envelope.context
    const now = clock.now()
    if (c.workspaceId !== ctx.workspaceId || c.exchange !== p.exchange) throw new AppError('BAD_INPUT', 'the sealed credentials were made for another workspace or exchange: seal them again')
    const expires = new Date(c.expiresAt).getTime()
    if (expires <= now.getTime() || expires > now.getTime() + maxEnvelopeAgeMs) throw new AppError('BAD_INPUT', 'the sealed credentials have expired: seal them again')
    await record(ctx, { type: 'key_connect_requested', outcome: 'success', details: { exchange: p.exchange, exchangeAccountId: p.exchangeAccountId } })
    let plaintext: Uint8Array
    try {
      plaintext = await openSealed(recipient.keyPair, p.envelope)
    } catch {
      throw new AppError('BAD_INPUT', "the sealed credentials could not be opened: seal them again to the signer's current public key")
    }
    let credentials
    try {
      credentials = decodeCredentials(plaintext)
    } finally {
      plaintext.fill(0)
    }
    // Only an envelope that authenticated spends its nonce (garbage cannot fill the table).
    try {
      await db.delete(sealNonces).where(lt(sealNonces.expiresAt, now))
      await db.insert(sealNonces).values({ nonce: c.nonce, expiresAt: new Date(expires) })
    } catch (err) {
      credentials.wipe()
      if (systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown }).cause) === '23505') throw new AppError('CONFLICT', 'these sealed credentials were already used: seal them again')
      throw err
    }
    try {
      let verification
      try {
        verification = await verifyKeyAtExchange(executor, `verify-${randomUUID()}`, p.exchange, credentials, now, { testnet: p.testnet === true })
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'INTERNAL'
        await record(ctx, { type: 'key_connect_refused', outcome: 'denied', details: { exchange: p.exchange, reason: code } })
        throw err
      }
      if (p.requireIpRestricted) await assertIpRestricted(ctx, p.exchange, verification, { exchangeAccountId: p.exchangeAccountId })
      const usable = verification.status === 'verified' || (p.testnet === true && verification.status === 'unverifiable')
      const key = await vault.storeKey({
        workspaceId: ctx.workspaceId,
        exchangeAccountId: p.exchangeAccountId,
        exchange: p.exchange,
        credentials,
        // A testnet key reaches only the venue's test environment (no real funds), so one the venue cannot
        // describe (Binance demo has no permission endpoint) may still trade there.
        // Waiting for a second person (R42) whatever the verdict: approvePending verifies it again and decides.
        state: p.pendingApproval ? 'pending_approval' : usable ? 'active' : 'unverified',
        verification,
        limits: replaced ? keyLimits.parse(replaced.limits) : defaultKeyLimits,
        isTestnet: p.testnet === true,
      })
      if (replaced?.state === 'disabled' && key.state === 'active') {
        const stillDisabled = await vault.setState(key.keyId, ctx.workspaceId, 'disabled', `replaced a disabled key: ${replaced.disabledReason ?? 'disabled'}`)
        await record(ctx, { type: 'key_connected', outcome: 'success', details: { keyId: key.keyId, keyVersion: key.keyVersion, exchange: p.exchange, fingerprint: key.fingerprint.slice(0, 16), state: stillDisabled.state, replaces: replaced.keyId } })
        return view(stillDisabled)
      }
      await record(ctx, { type: 'key_connected', outcome: 'success', details: { keyId: key.keyId, keyVersion: key.keyVersion, exchange: p.exchange, fingerprint: key.fingerprint.slice(0, 16), state: key.state, ...(replaced ? { replaces: replaced.keyId } : {}) } })
      return view(key)
    } finally {
      credentials.wipe()
    }
  }

  const execute = createExecute({ vault, executor, usage, clock, grants, record, serialized, applyDue: (ctx) => confirmations.applyDue(ctx) })

  /**
   * Re-verifies at the exchange first: a key comes back only if it is still withdraw-free. Reached from
   * the operator socket directly, or through a confirmed or due widening; call under the key's lock.
   */
  const enableKey = async (ctx: Ctx, key: VaultKey) => {
    await record(ctx, { type: 'key_enable_requested', outcome: 'success', details: { keyId: key.keyId } })
    const verification = await vault.withSecret(key.keyId, ctx.workspaceId, (credentials) => verifyKeyAtExchange(executor, `verify-${randomUUID()}`, key.exchange, credentials, clock.now(), { testnet: key.isTestnet }))
    if (verification.status !== 'verified') throw new AppError('EXCHANGE_UNAVAILABLE', `the key could not be re-verified (${verification.note ?? verification.status}); it stays ${key.state}`)
    await vault.setVerification(key.keyId, ctx.workspaceId, verification)
    await record(ctx, { type: 'key_enabled', outcome: 'success', details: { keyId: key.keyId } })
    return view(await vault.setState(key.keyId, ctx.workspaceId, 'active'))
  }

  const confirmations = createConfirmations({
    db,
    vault,
    clock,
    delayMs: widening.delayMs ?? DEFAULT_WIDENING_DELAY_MS,
    webauthn: { origin: widening.origin ?? 'http://localhost:8080', rpId: widening.rpId ?? new URL(widening.origin ?? 'http://localhost:8080').hostname },
    record,
    exclusive,
    enableKey,
  })

  const checkpoints = createCheckpoints({ db, key: auditSigningKey, clock, record, exclusive })
  const seal = createSeal({ db, clock, record })

  const pendingKeys = createPendingKeys({
    db,
    vault,
    executor,
    clock,
    record,
    exclusive,
    supersedeForKey: confirmations.supersedeForKey,
    assertIpRestricted,
    ttlMs: pendingKeyTtlMs,
    onSweepError,
  })

  const disableAll = createWorkspaceDisable({ db, vault, clock, grants, record, exclusive, supersedeForKey: confirmations.supersedeForKey })
  /**
   * Lockdown. Keys waiting for approval are destroyed first (what an intruder leaves behind to be approved
   * later, like a pending passkey trust): a disabled key could be re-enabled one person at a time, a
   * destroyed one cannot. A failure there does not hold the lockdown up: every key is disabled all the same.
   */
  const disableWorkspaceKeys = async (ctx: Ctx, p: SignerParams<'disableWorkspaceKeys'>) => {
    await pendingKeys.discardAllIn(ctx, 'locked_down')
    return disableAll(ctx, p)
  }

  /** Operator socket only: the operator token is the signer's own trust domain, which the api never holds. */
  const enable = (ctx: Ctx, p: SignerParams<'enable'>) =>
    exclusive(`key:${p.keyId}`, async () => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      if (!enableableStates.includes(key.state)) throw new AppError('CONFLICT', `the key is ${key.state}: only a disabled, unverified or pending key can be enabled`)
      const enabled = await enableKey(ctx, key)
      await confirmations.supersedeForKey(ctx, key.keyId, 'the operator enabled the key', ['enable'])
      return enabled
    })

  /**
   * Re-reads the key's permissions at the exchange (the daily check, or on request). Narrowing only: a
   * key that gained withdraw/transfer permission, or lost the IP restriction it had, is disabled at once
   * (event key_permission_changed, which the api raises as a critical alert); nothing here enables a key.
   */
  const reverify = (ctx: Ctx, p: SignerParams<'reverify'>) =>
    exclusive(`key:${p.keyId}`, async () => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      if (key.state === 'destroyed' || key.state === 'writing') throw new AppError('CONFLICT', `the key is ${key.state}: there is nothing to verify`)
      // Its approval verifies it again; a verdict here must not turn it into a disabled key (which a widening could enable).
      if (key.state === 'pending_approval') throw new AppError('CONFLICT', 'the key is waiting for approval: it is verified at the exchange again when it is approved', { reason: 'PENDING_APPROVAL' })
      const before = key.verification as { ipRestricted?: boolean }
      const dangerous = async (reason: string) => {
        await record(ctx, { type: 'key_permission_changed', outcome: 'denied', details: { keyId: key.keyId, exchange: key.exchange, reason } })
        const disabled = key.state === 'disabled' ? view(key) : view(await vault.setState(key.keyId, ctx.workspaceId, 'disabled', reason))
        await confirmations.supersedeForKey(ctx, key.keyId, 'the key was disabled at re-verification')
        return disabled
      }
      let verification: Awaited<ReturnType<typeof verifyKeyAtExchange>>
      try {
        verification = await vault.withSecret(key.keyId, ctx.workspaceId, (credentials) => verifyKeyAtExchange(executor, `verify-${randomUUID()}`, key.exchange, credentials, clock.now(), { testnet: key.isTestnet }))
      } catch (err) {
        if (err instanceof AppError && err.code === 'KEY_HAS_WITHDRAW_PERMISSION') {
          await dangerous('the key can now withdraw or transfer funds: remove that permission at the exchange, then ask to enable it')
          // Disabled first (fail closed); then the stored verdict says so too, for the "withdraw disabled"
          // badge and the security score, and the caller gets the key as it is now.
          await vault.setVerification(key.keyId, ctx.workspaceId, { ...(key.verification as Record<string, unknown>), withdrawEnabled: true })
          return view(await vault.getKey(key.keyId, ctx.workspaceId))
        }
        if (err instanceof AppError && err.code === 'EXCHANGE_AUTH') return dangerous('the exchange no longer accepts this key (revoked or expired there)')
        throw err
      }
      await vault.setVerification(key.keyId, ctx.workspaceId, verification)
      await record(ctx, { type: 'key_verified', outcome: 'success', details: { keyId: key.keyId, status: verification.status, ipRestricted: verification.ipRestricted ?? null } })
      if (before.ipRestricted === true && verification.ipRestricted === false) return dangerous('the key lost its IP whitelist at the exchange: restore it, then ask to enable the key')
      return view(await vault.getKey(key.keyId, ctx.workspaceId))
    })

  /** Narrowing: immediate, and it voids every pending widening of the key (re-ask once the cause is understood). */
  const disable = (ctx: Ctx, p: SignerParams<'disable'>) =>
    exclusive(`key:${p.keyId}`, async () => {
      // A pending key cannot trade already; disabled, it could be enabled by one person (a widening) instead of two.
      if ((await vault.getKey(p.keyId, ctx.workspaceId)).state === 'pending_approval') {
        throw new AppError('CONFLICT', 'the key is waiting for approval and cannot trade: reject or cancel the request instead, which destroys it', { reason: 'PENDING_APPROVAL' })
      }
      await record(ctx, { type: 'key_disabled', outcome: 'success', details: { keyId: p.keyId, reason: p.reason } })
      const disabled = view(await vault.setState(p.keyId, ctx.workspaceId, 'disabled', p.reason))
      await confirmations.supersedeForKey(ctx, p.keyId, 'the key was disabled')
      return disabled
    })

  /**
   * Narrowing applies at once from anywhere; widening from the api is refused here (it goes through
   * `proposeWidening`), from the operator socket it applies. Any change voids pending limit widenings:
   * they were asked against the old limits.
   */
  const setLimits = async (ctx: Ctx, p: SignerParams<'setLimits'>, isOperator: boolean) => {
    if (!isOperator) await confirmations.applyDue(ctx)
    return exclusive(`key:${p.keyId}`, async () => {
      const key = await vault.getKey(p.keyId, ctx.workspaceId)
      const current = keyLimits.parse(key.limits)
      const widened = isWidening(current, p.limits)
      if (widened && !isOperator) {
        await record(ctx, { type: 'key_widening_refused', outcome: 'denied', details: { keyId: p.keyId, reason: 'limit_widening_needs_confirmation' } })
        throw new AppError('FORBIDDEN', "widening a key's limits needs a passkey confirmation or the signer's waiting period: propose it instead", { reason: 'limit_widening_needs_confirmation' })
      }
      if (canonicalJson(current) === canonicalJson(p.limits)) return view(key)
      await record(ctx, { type: 'key_limits_changed', outcome: 'success', details: { keyId: p.keyId, widened } })
      const updated = view(await vault.updateLimits(p.keyId, ctx.workspaceId, p.limits satisfies KeyLimits))
      await confirmations.supersedeForKey(ctx, p.keyId, "the key's limits were changed", ['limits'])
      return updated
    })
  }

  return {
    publicKey,
    connect,
    execute,
    disable,
    disableWorkspaceKeys,
    enable,
    destroy: (ctx: Ctx, p: SignerParams<'destroy'>) =>
      exclusive(`key:${p.keyId}`, async () => {
        await record(ctx, { type: 'key_destroyed', outcome: 'success', details: { keyId: p.keyId } })
        await vault.destroy(p.keyId, ctx.workspaceId)
        executor.forget(p.keyId)
        await confirmations.supersedeForKey(ctx, p.keyId, 'the key was destroyed')
        return { keyId: p.keyId, state: 'destroyed' }
      }),
    setLimits,
    reverify,
    generateKeyPair,
    completeKeyPair,
    refresh: async (ctx: Ctx, p: SignerParams<'refresh'>) => {
      await record(ctx, { type: 'key_refreshed', outcome: 'success', details: { keyId: p.keyId } })
      return view(await vault.refresh(p.keyId, ctx.workspaceId))
    },
    approvePending: pendingKeys.approve,
    discardPending: (ctx: Ctx, p: SignerParams<'discardPending'>) => pendingKeys.discard(ctx, p.keyId, p.reason),
    /** Destroys expired pending keys every `everyMs` until stopped (signer/main.ts starts it). */
    startPendingKeySweep: pendingKeys.start,
    sweepPendingKeys: () => pendingKeys.sweep(),
    listKeys: async (ctx: Ctx) => {
      await pendingKeys.sweep(ctx)
      await confirmations.applyDue(ctx)
      return (await db.select().from(vaultKeys).where(eq(vaultKeys.workspaceId, ctx.workspaceId))).filter((k) => k.state !== 'writing' && k.state !== 'destroyed').map(view)
    },
    trustPasskey: confirmations.trustPasskey,
    untrustPasskey: confirmations.untrustPasskey,
    listPasskeys: confirmations.listPasskeys,
    proposeWidening: confirmations.proposeWidening,
    confirmWidening: confirmations.confirmWidening,
    cancelWidening: confirmations.cancelWidening,
    listPendingWidenings: confirmations.listPendingWidenings,
    approveWidening: confirmations.approveWidening,
    signCheckpoint: checkpoints.signCheckpoint,
    listCheckpoints: checkpoints.listCheckpoints,
    auditPublicKey: checkpoints.auditPublicKey,
    status: async () => {
      // The signer's own clock decides when a pending key has waited too long, whatever the api says; a
      // failed sweep must not make the signer look down (the key stays unusable and the next sweep retries).
      await pendingKeys.sweep().catch((err: unknown) => onSweepError?.(err))
      const { sealed, reason, changedAt } = await seal.status()
      return { stores: await vault.storeHealth(), sealed, sealReason: reason, sealChangedAt: changedAt }
    },
    /** Operator socket: the global seal (seal.ts). */
    seal: seal.seal,
    unseal: seal.unseal,
    sealStatus: seal.status,
    /** Refuses `op` while sealed unless the seal lets it through; the handlers call it before every operation. */
    assertAllowed: seal.assertAllowed,
    /** Clock skew against every venue that has a live key on this signer. */
    clockSkew: async () => {
      const venues = [...new Set((await db.select({ exchange: vaultKeys.exchange, state: vaultKeys.state }).from(vaultKeys)).filter((k) => k.state !== 'destroyed' && k.state !== 'writing').map((k) => k.exchange))]
      return Promise.all(venues.map((v) => executor.clockSkew(v)))
    },
  }
}
export type SignerService = ReturnType<typeof createSignerService>
