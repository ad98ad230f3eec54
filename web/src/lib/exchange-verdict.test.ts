import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { parseVerification } from './exchange-parsers'
import { refusalOf, verdictChecks, verdictOutcome } from './exchange-verdict'

const now = new Date('2025-03-01T12:00:00.000Z')

/** The verification record as the server sends it (src/signer/verification.ts), through the real parser. */
const verified = (patch: Record<string, unknown> = {}) =>
  parseVerification({
    status: 'verified',
    checkedAt: '2025-03-01T11:59:00.000Z',
    withdrawEnabled: false,
    transferEnabled: false,
    tradingEnabled: true,
    ipRestricted: true,
    expiresAt: null,
    ...patch,
  })

const labels = (patch: Record<string, unknown> = {}) => verdictChecks(verified(patch), 'Binance', now).map((check) => `${check.tone}:${check.label}`)

describe('the verdict after connecting a key', () => {
  it('shows the four checks of a good key as plain badges, in a fixed order', () => {
    expect(labels()).toEqual(['ok:Withdraw disabled', 'ok:IP restricted', 'ok:Trading enabled', 'ok:No expiry'])
    expect(verdictOutcome(verified(), verdictChecks(verified(), 'Binance', now))).toBe('ready')
  })

  it('counts whole days to the expiry, and warns when it is close', () => {
    // 2025-03-31T00:00Z − 2025-03-01T12:00Z = 29.5 days → 29 whole days
    expect(labels({ expiresAt: '2025-03-31T00:00:00.000Z' })[3]).toBe('ok:Expires in 29 days')
    expect(labels({ expiresAt: '2025-03-06T12:00:00.000Z' })[3]).toBe('warn:Expires in 5 days')
    expect(labels({ expiresAt: '2025-03-02T12:00:00.000Z' })[3]).toBe('warn:Expires in 1 day')
    expect(labels({ expiresAt: '2025-03-01T18:00:00.000Z' })[3]).toBe('warn:Expires today')
    expect(labels({ expiresAt: '2025-02-28T12:00:00.000Z' })[3]).toBe('bad:Expired')
  })

  it('never shows what the exchange did not report as safe', () => {
    const v = verified({ ipRestricted: undefined, expiresAt: undefined })
    expect(verdictChecks(v, 'Bitfinex', now).map((check) => check.label)).toEqual([
      'Withdraw disabled',
      'IP restriction not reported by Bitfinex',
      'Trading enabled',
      'Expiry not reported',
    ])
    expect(verdictOutcome(v, verdictChecks(v, 'Bitfinex', now))).toBe('attention')
    const unverifiable = parseVerification({ status: 'unverifiable', note: 'cannot be verified on EXMO: no endpoint' })
    const checks = verdictChecks(unverifiable, 'EXMO', now)
    expect(checks.map((check) => `${check.tone}:${check.label}`)).toEqual([
      'pending:Withdraw not checked',
      'pending:IP restriction not checked',
      'pending:Trading not checked',
      'pending:Expiry not checked',
    ])
    expect(verdictOutcome(unverifiable, checks)).toBe('unverified')
  })

  it('says what to fix for a key without an IP whitelist or without the trading right', () => {
    const checks = verdictChecks(verified({ ipRestricted: false, tradingEnabled: false }), 'Binance', now)
    expect(checks[1]).toMatchObject({ tone: 'warn', label: 'Not IP restricted' })
    expect(checks[1]?.fix).toMatch(/restrict it to the IP addresses shown in step 2/)
    expect(checks[2]).toMatchObject({ tone: 'bad', label: 'Trading disabled' })
    expect(verdictOutcome(verified({ ipRestricted: false }), verdictChecks(verified({ ipRestricted: false }), 'Binance', now))).toBe('attention')
  })
})

describe('a refused key', () => {
  it('names the failed check and keeps the fix the signer wrote for the exchange', () => {
    const error = new ApiError(
      'KEY_HAS_WITHDRAW_PERMISSION',
      'this Binance key can withdraw funds: edit it at Binance (API Management), untick "Enable Withdrawals" and "Permits Universal Transfer"/"Internal Transfer", then connect it again',
    )
    expect(refusalOf(error, 'binance', 'Binance')).toEqual({
      check: { id: 'withdraw', tone: 'bad', label: 'Withdraw enabled' },
      fix: 'Edit it at Binance (API Management), untick "Enable Withdrawals" and "Permits Universal Transfer"/"Internal Transfer", then try again.',
    })
    const transfer = new ApiError('KEY_HAS_WITHDRAW_PERMISSION', 'this OKX key can transfer funds: edit it at OKX (Profile → API → Edit), untick "Withdraw", then connect it again')
    expect(refusalOf(transfer, 'okx', 'OKX')?.check.label).toBe('Transfers enabled')
  })

  it('builds the fix from the checklist when the message has another shape', () => {
    expect(refusalOf(new ApiError('KEY_HAS_WITHDRAW_PERMISSION', 'refused'), 'binance', 'Binance')?.fix).toBe(
      'Edit the key at Binance: untick “Enable Withdrawals”, “Enable Internal Transfer”, “Permits Universal Transfer”, then try again.',
    )
    expect(refusalOf(new ApiError('KEY_HAS_WITHDRAW_PERMISSION', 'refused'), 'exmo', 'EXMO')?.fix).toBe(
      'Edit the key at EXMO: turn off withdrawals and transfers, then try again.',
    )
  })

  it('reads an expired key as a failed expiry check, and leaves other errors to the error notice', () => {
    const expired = new ApiError('EXCHANGE_AUTH', 'this Binance key expired on 2025-02-01: create a new key at Binance and connect it')
    expect(refusalOf(expired, 'binance', 'Binance')).toEqual({ check: { id: 'expiry', tone: 'bad', label: 'Expired' }, fix: 'Create a new key at Binance and connect it.' })
    expect(refusalOf(new ApiError('EXCHANGE_AUTH', 'Binance refused the key: invalid API-key, IP, or permissions'), 'binance', 'Binance')).toBeUndefined()
    expect(refusalOf(new ApiError('STEP_UP_CANCELLED', 'Nothing was changed: the confirmation was cancelled.'), 'binance', 'Binance')).toBeUndefined()
  })
})
