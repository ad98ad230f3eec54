import { describe, expect, it } from 'vitest'
import { accountBadges, canDisable, canEditLimits, canEnable, canReplaceKey, canVerifyNow, disabledText, keyAgeLabel } from './exchange-badges'
import { connectErrorHint } from './exchange-errors'
import { parseExchangeAccount, type ExchangeAccount } from './exchange-parsers'

const now = new Date('2025-03-01T12:00:00.000Z')

/** An account as GET …/exchange-accounts sends it, through the real parser. */
const account = (patch: Record<string, unknown> = {}): ExchangeAccount =>
  parseExchangeAccount({
    id: 'a1',
    keyId: 'k1',
    workspaceId: 'w1',
    exchange: 'binance',
    label: 'Main',
    state: 'active',
    disabledReason: null,
    apiKeyHint: 'abcd…wxyz',
    verification: { status: 'verified', checkedAt: '2025-03-01T11:00:00.000Z', withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: null },
    limits: null,
    createdAt: '2025-02-01T00:00:00.000Z',
    keyCreatedAt: '2025-02-01T00:00:00.000Z',
    keyAgeDays: 28,
    lastUsedAt: null,
    lastVerifiedAt: '2025-03-01T11:00:00.000Z',
    stale: false,
    ...patch,
  })

const labels = (a: ExchangeAccount) => accountBadges(a, 'Binance', now).map((badge) => `${badge.tone}:${badge.label}`)

describe('account badges', () => {
  it('shows a verified, withdraw-disabled, IP-restricted key as such', () => {
    expect(labels(account())).toEqual(['ok:Active', 'ok:Verified', 'ok:Withdraw disabled', 'ok:IP restricted', 'pending:Key 28 days old'])
  })

  it('warns about a key without an IP whitelist and one the exchange cannot be asked about', () => {
    expect(labels(account({ verification: { status: 'verified', withdrawEnabled: false, ipRestricted: false } }))).toContain('warn:Not IP restricted')
    const unverifiable = labels(account({ state: 'unverified', verification: { status: 'unverifiable', note: 'cannot be verified on EXMO: no endpoint' } }))
    expect(unverifiable).toEqual(['warn:Unverified: cannot trade', 'warn:Cannot be verified on Binance', 'warn:Withdraw permission not checked', 'pending:Key 28 days old'])
  })

  it('never calls an unreported permission safe', () => {
    const silent = labels(account({ verification: { status: 'verified', withdrawEnabled: false } }))
    expect(silent).toContain('pending:IP restriction not reported by Binance')
    expect(silent.some((label) => label.includes('IP restricted'))).toBe(false)
    expect(labels(account({ verification: {} }))).toContain('pending:Not verified yet')
    expect(labels(account({ verification: { status: 'unreachable' } }))).toContain('warn:Not verified: Binance did not answer')
  })

  it('marks a key that can move funds as bad', () => {
    expect(labels(account({ verification: { status: 'verified', withdrawEnabled: true } }))).toContain('bad:Withdraw enabled')
    expect(labels(account({ verification: { status: 'verified', withdrawEnabled: false, transferEnabled: true } }))).toContain('bad:Transfers enabled')
  })

  it('warns about old keys and near or past expiry', () => {
    expect(labels(account({ keyAgeDays: 120 }))).toContain('warn:Key 120 days old')
    expect(labels(account({ keyAgeDays: 0 }))).toContain('pending:Key added today')
    expect(labels(account({ verification: { status: 'verified', expiresAt: '2025-03-06T12:00:00.000Z' } }))).toContain('warn:Expires in 5 days')
    expect(labels(account({ verification: { status: 'verified', expiresAt: '2025-02-28T12:00:00.000Z' } }))).toContain('bad:Key expired')
    expect(labels(account({ verification: { status: 'verified', expiresAt: '2025-06-01T00:00:00.000Z' } })).some((label) => label.includes('Expire'))).toBe(false)
    expect(keyAgeLabel(1)).toBe('Key 1 day old')
  })

  it('says when the state is only the last known one', () => {
    expect(labels(account({ stale: true }))).toContain('pending:Last known state: the signer is not answering')
  })

  it("gives a disabled key's reason and the actions that fit its state", () => {
    const disabled = account({ state: 'disabled', disabledReason: 'withdraw permission appeared.' })
    expect(labels(disabled)[0]).toBe('bad:Disabled')
    expect(disabledText(disabled)).toBe('Disabled: withdraw permission appeared.')
    expect(disabledText(account({ state: 'disabled' }))).toBe('Disabled.')
    expect(disabledText(account())).toBeUndefined()
    expect([canEnable(disabled), canDisable(disabled)]).toEqual([true, false])
    expect([canEnable(account()), canDisable(account())]).toEqual([false, true])
    expect([canEnable(account({ state: 'unverified' })), canDisable(account({ state: 'unverified' }))]).toEqual([true, true])
    expect([canVerifyNow(account()), canReplaceKey(account())]).toEqual([true, true])
  })

  it('shows a generated key pair as waiting for its API key, with nothing to do but finish or remove it', () => {
    const waiting = account({
      state: 'unverified',
      apiKeyHint: 'awai…cafe',
      keyAgeDays: 0,
      verification: { status: 'awaiting_api_key', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n' },
    })
    expect(labels(waiting)).toEqual(['warn:Unverified: cannot trade', 'warn:Waiting for its API key from Binance', 'pending:Key added today'])
    expect([canEnable(waiting), canDisable(waiting), canVerifyNow(waiting), canReplaceKey(waiting)]).toEqual([false, false, false, false])
  })

  it('shows a key waiting for a second person’s approval (R42), with nothing to do but remove it', () => {
    const waiting = account({ state: 'pending_approval' })
    expect(labels(waiting)[0]).toBe('pending:Waiting for approval')
    expect([canEnable(waiting), canDisable(waiting), canVerifyNow(waiting), canReplaceKey(waiting), canEditLimits(waiting)]).toEqual([false, false, false, false, false])
    expect(canEditLimits(account())).toBe(true)
  })
})

describe('hints after a failed connect', () => {
  it('points to the fix for each refusal the server names', () => {
    expect(connectErrorHint({ code: 'SECOND_FACTOR_REQUIRED', reason: undefined })?.link).toBe('security')
    expect(connectErrorHint({ code: 'FORBIDDEN', reason: 'FACTOR_COOLDOWN' })?.text).toMatch(/24 hours/)
    expect(connectErrorHint({ code: 'FORBIDDEN', reason: undefined })).toBeUndefined()
    expect(connectErrorHint({ code: 'KEY_HAS_WITHDRAW_PERMISSION', reason: undefined })?.text).toMatch(/Enter the key again/)
    expect(connectErrorHint({ code: 'EXCHANGE_AUTH', reason: undefined })?.text).toMatch(/IP whitelist/)
  })
})
