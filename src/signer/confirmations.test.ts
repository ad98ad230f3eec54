import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { backends } from '../../test/support/databases.js'
import { directCtx, registerPasskey, startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import { createSoftAuthenticator, type AssertionKnobs, type SoftAuthenticator } from '../../test/support/soft-authenticator.js'
import { createManualClock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { operationChallenge } from './confirmations.js'
import type { KeyLimits, KeyView, SignerAuditEvent, TrustedPasskeyView, WideningOperationView } from './signer-types.js'

const ORIGIN = 'http://localhost:8080'
const RP_ID = 'localhost'
const DAY_MS = 86_400_000

/**
 * The signer's confirmations with the real service, the real vault database, real ccxt against the
 * emulator, and a software authenticator making real WebAuthn assertions. "The api" is played through the
 * api's own socket with the api's own client: everything a compromised api could send, it sends there.
 */
describe.each(backends)('signer-verified confirmations of widenings (%s)', (kind) => {
  let signer: SignerHarness
  const clock = createManualClock(Date.now())
  const ws = newId()
  const otherWs = newId()
  const userId = newId()
  const accounts = [0, 1, 2].map(() => ({ apiKey: randomApiKey(), secret: randomHmacSecret() }))
  /** The user's authenticator (what the browser would drive) and one the attacker controls. */
  const user = createSoftAuthenticator({ origin: ORIGIN })
  const attacker = createSoftAuthenticator({ origin: ORIGIN })

  beforeAll(async () => {
    signer = await startSignerHarness(kind, {
      clock,
      origin: ORIGIN,
      wideningDelayMs: DAY_MS,
      emulator: {
        accounts: accounts.map((a) => ({ ...a, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '100000', BTC: '10' } })),
        prices: { BTCUSDT: '50000', ETHUSDT: '3000', SOLUSDT: '150' },
      },
    })
  })
  afterAll(async () => {
    await signer.close()
  })

  /** The operator socket's authority, called on the service directly (its token is not the api's). */
  const operator = (workspaceId = ws) => directCtx(workspaceId)

  const call = async <T>(op: string, params: Record<string, unknown>, workspaceId = ws) => {
    const { result, events } = await signer.client.call(op as 'listKeys', workspaceId, params as never)
    return { result: result as T, events }
  }
  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      return { code: err.code, reason: err.reason, events: (err.details as { events: SignerAuditEvent[] }).events }
    }
    throw new Error('expected the call to be refused')
  }
  const typesOf = (events: SignerAuditEvent[]) => events.map((e) => e.type)

  const connectKey = async (account: { apiKey: string; secret: string }) =>
    (await call<KeyView>('connect', { exchange: 'binance', exchangeAccountId: newId(), envelope: await signer.seal(ws, account) })).result
  const keyOf = async (keyId: string) => {
    const key = (await call<KeyView[]>('listKeys', {})).result.find((k) => k.keyId === keyId)
    if (!key) throw new Error(`key ${keyId} not listed`)
    return key
  }

  const register = (authenticator: SoftAuthenticator) => registerPasskey(authenticator, userId, ORIGIN)
  const assert = (authenticator: SoftAuthenticator, authenticatorId: string, challenge: string, knobs: AssertionKnobs = {}) =>
    authenticator.authenticate({ challenge, rpId: RP_ID, allowCredentials: [{ id: authenticatorId, type: 'public-key' }] }, { credentialId: authenticatorId, ...knobs })

  /** One more symbol and ten times the per-order notional (the limits here are whole numbers). */
  const wider = (limits: KeyLimits): KeyLimits => ({
    ...limits,
    symbols: [...limits.symbols, ['SOL/USDT', 'XRP/USDT', 'ADA/USDT'].find((s) => !limits.symbols.includes(s)) ?? 'DOT/USDT'],
    maxOrderNotional: `${limits.maxOrderNotional}0`,
  })

  let keyA: KeyView
  let keyB: KeyView
  let userPasskey: Awaited<ReturnType<typeof register>>

  it('(1) the api holding the whole database and every application key cannot widen a key at once', async () => {
    keyA = await connectKey(accounts[0] as { apiKey: string; secret: string })
    keyB = await connectKey(accounts[1] as { apiKey: string; secret: string })
    expect(keyA.state).toBe('active')

    // Directly: widening limits is refused, and the api's socket has no enable, approve or refresh at all.
    const direct = await failure(call('setLimits', { keyId: keyA.keyId, limits: wider(keyA.limits) }))
    expect(direct).toMatchObject({ code: 'FORBIDDEN', reason: 'limit_widening_needs_confirmation' })
    expect(typesOf(direct.events)).toEqual(['key_widening_refused'])
    await call('disable', { keyId: keyB.keyId, reason: 'lockdown' })
    for (const op of ['enable', 'approveWidening', 'refresh', 'rotateMaster']) {
      expect(await failure(call(op, { keyId: keyB.keyId, operationId: newId() }))).toMatchObject({ code: 'NOT_FOUND' })
    }

    // It proposes a widening of limits and a re-enable: both pending for the delay, both announced.
    const limitsOp = await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'limits', limits: wider(keyA.limits) } })
    const enableOp = await call<WideningOperationView>('proposeWidening', { keyId: keyB.keyId, change: { kind: 'enable' } })
    for (const { result, events } of [limitsOp, enableOp]) {
      expect(result).toMatchObject({ state: 'pending', notBefore: new Date(clock.now().getTime() + DAY_MS).toISOString() })
      expect(events).toEqual([expect.objectContaining({ type: 'key_widening_pending', details: expect.objectContaining({ operationId: result.operationId, notBefore: result.notBefore }) })])
      expect(result.challenge).toBe(operationChallenge(result))
    }

    // A TOTP code (or anything else that is not an assertion) is meaningless to the signer.
    expect(await failure(call('confirmWidening', { operationId: limitsOp.result.operationId, assertion: '123456' }))).toMatchObject({ code: 'BAD_INPUT' })
    expect(await failure(call('confirmWidening', { operationId: limitsOp.result.operationId, assertion: { totp: '123456' } }))).toMatchObject({ code: 'BAD_INPUT' })

    // Registering its own passkey makes it pending too (announced); it cannot confirm anything meanwhile,
    // not the widenings and not its own trust.
    const evil = await register(attacker)
    const trust = await call<WideningOperationView>('trustPasskey', evil)
    expect(trust.result).toMatchObject({ kind: 'trust_passkey', state: 'pending' })
    expect(typesOf(trust.events)).toEqual(['passkey_trust_pending'])
    for (const op of [limitsOp.result, enableOp.result, trust.result]) {
      const refused = await failure(call('confirmWidening', { operationId: op.operationId, assertion: assert(attacker, evil.authenticatorId, op.challenge) }))
      expect(refused).toMatchObject({ code: 'FORBIDDEN', reason: 'passkey_not_trusted' })
      expect(refused.events).toEqual([expect.objectContaining({ type: 'widening_confirmation_refused', outcome: 'denied' })])
    }

    // One second before the delay ends nothing has changed.
    clock.advance(DAY_MS - 1_000)
    expect((await keyOf(keyA.keyId)).limits).toEqual(keyA.limits)
    expect((await keyOf(keyB.keyId)).state).toBe('disabled')
    expect((await call<TrustedPasskeyView[]>('listPasskeys', {})).result).toEqual([])
    expect((await call<WideningOperationView[]>('listPendingWidenings', {})).result.map((o) => o.operationId).sort()).toEqual(
      [limitsOp.result.operationId, enableOp.result.operationId, trust.result.operationId].sort(),
    )

    // The announced path: once due, the user did not cancel, so all three apply (case 4 tests cancelling).
    clock.advance(1_000)
    const listed = await call<KeyView[]>('listKeys', {})
    expect(listed.result.find((k) => k.keyId === keyA.keyId)?.limits).toEqual(wider(keyA.limits))
    expect(listed.result.find((k) => k.keyId === keyB.keyId)?.state).toBe('active') // re-verified at the exchange first
    expect(typesOf(listed.events)).toEqual(expect.arrayContaining(['key_widening_applied', 'passkey_trusted', 'key_enabled']))
    expect((await call<TrustedPasskeyView[]>('listPasskeys', {})).result).toEqual([expect.objectContaining({ authenticatorId: evil.authenticatorId, trustedVia: 'delay' })])
    // Clean up: the user removes the attacker's passkey (narrowing, immediate).
    await call('untrustPasskey', { authenticatorId: evil.authenticatorId })
  })

  it('(2) a trusted passkey confirms a widening at once with a UV assertion over the operation hash', async () => {
    userPasskey = await register(user)
    const trusted = await signer.service.trustPasskey(operator(), userPasskey, true)
    expect(trusted).toMatchObject({ state: 'applied', resolvedVia: 'operator' })

    const before = await keyOf(keyA.keyId)
    const next = { ...before.limits, max24hNotional: '50000' }
    const { result: op } = await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'limits', limits: next } })
    const confirmed = await call<WideningOperationView>('confirmWidening', { operationId: op.operationId, assertion: assert(user, userPasskey.authenticatorId, op.challenge) })
    expect(confirmed.result).toMatchObject({ state: 'applied', resolvedVia: 'passkey', confirmedBy: userPasskey.authenticatorId })
    expect(typesOf(confirmed.events)).toEqual(['key_widening_confirmed', 'key_limits_changed', 'key_widening_applied'])
    expect((await keyOf(keyA.keyId)).limits).toEqual(next) // no clock movement at all

    // A re-enable, and trusting a second passkey, the same way.
    await call('disable', { keyId: keyB.keyId, reason: 'lockdown' })
    const { result: enable } = await call<WideningOperationView>('proposeWidening', { keyId: keyB.keyId, change: { kind: 'enable' } })
    expect((await call<WideningOperationView>('confirmWidening', { operationId: enable.operationId, assertion: assert(user, userPasskey.authenticatorId, enable.challenge) })).result.state).toBe('applied')
    expect((await keyOf(keyB.keyId)).state).toBe('active')

    const second = createSoftAuthenticator({ origin: ORIGIN })
    const secondPasskey = await register(second)
    const { result: trust } = await call<WideningOperationView>('trustPasskey', secondPasskey)
    await call('confirmWidening', { operationId: trust.operationId, assertion: assert(user, userPasskey.authenticatorId, trust.challenge) })
    expect((await call<TrustedPasskeyView[]>('listPasskeys', {})).result.map((p) => p.authenticatorId).sort()).toEqual([userPasskey.authenticatorId, secondPasskey.authenticatorId].sort())
    await call('untrustPasskey', { authenticatorId: secondPasskey.authenticatorId })
  })

  it('(3) refuses and audits: another operation\'s hash, a replay, UV=0, an untrusted passkey, another workspace\'s passkey', async () => {
    const limits = (await keyOf(keyA.keyId)).limits
    const propose = async (maxOrdersPerMinute: number) =>
      (await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'limits', limits: { ...limits, maxOrdersPerMinute } } })).result
    const op = await propose(20)
    const other = await propose(30)
    const expectRefused = async (assertion: unknown, reason: string, code = 'FORBIDDEN', operationId = op.operationId) => {
      const refused = await failure(call('confirmWidening', { operationId, assertion }))
      expect(refused).toMatchObject({ code, reason })
      expect(refused.events).toContainEqual(expect.objectContaining({ type: 'widening_confirmation_refused', outcome: 'denied', details: expect.objectContaining({ operationId, reason }) }))
    }

    await expectRefused(assert(user, userPasskey.authenticatorId, other.challenge), 'challenge_mismatch')
    await expectRefused(assert(user, userPasskey.authenticatorId, op.challenge, { userVerified: false }), 'user_not_verified')
    await expectRefused(assert(user, userPasskey.authenticatorId, op.challenge, { origin: 'https://bulwark.example.net' }), 'origin_mismatch')

    const pending = await register(attacker)
    await call('trustPasskey', pending)
    await expectRefused(assert(attacker, pending.authenticatorId, op.challenge), 'passkey_not_trusted')

    // The user's own passkey, trusted by the signer — for another workspace.
    const elsewhere = await register(user)
    await signer.service.trustPasskey(operator(otherWs), elsewhere, true)
    await expectRefused(assert(user, elsewhere.authenticatorId, op.challenge), 'passkey_not_trusted')

    // A cloned authenticator: a genuine signature whose counter did not move forward.
    const stored = (await call<TrustedPasskeyView[]>('listPasskeys', {})).result.find((p) => p.authenticatorId === userPasskey.authenticatorId)
    const cloned = await failure(call('confirmWidening', { operationId: op.operationId, assertion: assert(user, userPasskey.authenticatorId, op.challenge, { counter: stored?.counter ?? 0 }) }))
    expect(cloned).toMatchObject({ code: 'FORBIDDEN', reason: 'counter_regression' })
    expect(typesOf(cloned.events)).toEqual(['authenticator_clone_suspected', 'widening_confirmation_refused'])

    // Nothing above moved anything.
    expect((await keyOf(keyA.keyId)).limits).toEqual(limits)
    expect((await call<WideningOperationView[]>('listPendingWidenings', {})).result.map((o) => o.operationId)).toEqual(expect.arrayContaining([op.operationId, other.operationId]))

    // A valid assertion is no key to another pending operation; it applies its own once; again, it is a replay.
    const good = assert(user, userPasskey.authenticatorId, op.challenge)
    await expectRefused(good, 'challenge_mismatch', 'FORBIDDEN', other.operationId)
    expect((await call<WideningOperationView>('confirmWidening', { operationId: op.operationId, assertion: good })).result.state).toBe('applied')
    await expectRefused(good, 'operation_not_pending', 'CONFLICT')
    // `other` was asked against the old limits: it is void now, never applied.
    expect((await call<WideningOperationView[]>('listPendingWidenings', {})).result.map((o) => o.operationId)).not.toContain(other.operationId)
    await expectRefused(assert(user, userPasskey.authenticatorId, other.challenge), 'operation_not_pending', 'CONFLICT', other.operationId)
    expect((await keyOf(keyA.keyId)).limits.maxOrdersPerMinute).toBe(20)

    // Concurrent confirmations of one operation with two valid assertions: exactly one applies.
    const race = await propose(40)
    const outcomes = await Promise.allSettled([
      call('confirmWidening', { operationId: race.operationId, assertion: assert(user, userPasskey.authenticatorId, race.challenge) }),
      call('confirmWidening', { operationId: race.operationId, assertion: assert(user, userPasskey.authenticatorId, race.challenge) }),
    ])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)

    // Every refusal is in the signer's own audit log too.
    const log = readFileSync(signer.auditLogPath, 'utf8')
    for (const reason of ['challenge_mismatch', 'user_not_verified', 'passkey_not_trusted', 'operation_not_pending', 'counter_regression']) expect(log).toContain(`"reason":"${reason}"`)
    await call('untrustPasskey', { authenticatorId: pending.authenticatorId })
  })

  it('(4) without a confirmation the widening applies after the delay; cancelled before, it never does', async () => {
    const keyC = await connectKey(accounts[2] as { apiKey: string; secret: string })
    const applies = (await call<WideningOperationView>('proposeWidening', { keyId: keyC.keyId, change: { kind: 'limits', limits: wider(keyC.limits) } })).result
    clock.advance(DAY_MS / 2)
    await call('disable', { keyId: keyB.keyId, reason: 'test' })
    const cancelled = (await call<WideningOperationView>('proposeWidening', { keyId: keyB.keyId, change: { kind: 'enable' } })).result
    const cancel = await call<WideningOperationView>('cancelWidening', { operationId: cancelled.operationId })
    expect(cancel.result.state).toBe('cancelled')
    expect(typesOf(cancel.events)).toEqual(['key_widening_cancelled'])
    expect(await failure(call('cancelWidening', { operationId: cancelled.operationId }))).toMatchObject({ code: 'CONFLICT' })
    // A cancelled operation cannot be confirmed either.
    expect(await failure(call('confirmWidening', { operationId: cancelled.operationId, assertion: assert(user, userPasskey.authenticatorId, cancelled.challenge) }))).toMatchObject({ reason: 'operation_not_pending' })

    clock.advance(DAY_MS / 2) // the first one is due now; the second would have been due in half a day
    expect((await keyOf(keyC.keyId)).limits).toEqual(wider(keyC.limits))
    clock.advance(DAY_MS)
    expect((await keyOf(keyB.keyId)).state).toBe('disabled')
    const after = (await call<WideningOperationView[]>('listPendingWidenings', {})).result.map((o) => o.operationId)
    expect(after).not.toContain(applies.operationId)
    expect(after).not.toContain(cancelled.operationId)
    // Another workspace cannot see, cancel or confirm this workspace's operations.
    expect(await failure(call('cancelWidening', { operationId: applies.operationId }, otherWs))).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('(5) narrowing is immediate and voids the widenings it contradicts', async () => {
    const current = await keyOf(keyA.keyId)
    const pendingLimits = (await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'limits', limits: wider(current.limits) } })).result
    const narrower = { ...current.limits, maxOrderNotional: '10', symbols: ['BTC/USDT'] }
    const narrowed = await call<KeyView>('setLimits', { keyId: keyA.keyId, limits: narrower })
    expect(narrowed.result.limits).toEqual(narrower)
    expect(typesOf(narrowed.events)).toEqual(['key_limits_changed', 'key_widening_superseded'])
    expect(await failure(call('confirmWidening', { operationId: pendingLimits.operationId, assertion: assert(user, userPasskey.authenticatorId, pendingLimits.challenge) }))).toMatchObject({ reason: 'operation_not_pending' })

    // A pending re-enable proposed before a (second) lockdown does not survive it.
    await call('disable', { keyId: keyA.keyId, reason: 'first' })
    const enable = (await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'enable' } })).result
    const disabled = await call<KeyView>('disable', { keyId: keyA.keyId, reason: 'lockdown' })
    expect(disabled.result).toMatchObject({ state: 'disabled', disabledReason: 'lockdown' })
    expect(disabled.events).toContainEqual(expect.objectContaining({ type: 'key_widening_superseded', details: expect.objectContaining({ operationIds: [enable.operationId] }) }))
    clock.advance(2 * DAY_MS)
    expect((await keyOf(keyA.keyId)).state).toBe('disabled')

    // Removing trust is immediate: the passkey confirms nothing afterwards.
    const removed = await call<{ removed: string[] }>('untrustPasskey', { userId })
    expect(removed.result.removed).toContain(userPasskey.authenticatorId)
    const reenable = (await call<WideningOperationView>('proposeWidening', { keyId: keyA.keyId, change: { kind: 'enable' } })).result
    expect(await failure(call('confirmWidening', { operationId: reenable.operationId, assertion: assert(user, userPasskey.authenticatorId, reenable.challenge) }))).toMatchObject({ reason: 'passkey_not_trusted' })
  })
})
