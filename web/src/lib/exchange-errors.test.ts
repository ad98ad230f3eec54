import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { connectErrorHint, finishConnectingHint, generateErrorHint, isNoPasskeyRefusal } from './exchange-errors'

describe('hints after finishing a generated key failed', () => {
  it('says what to fix at the exchange, and that the same button is pressed again', () => {
    expect(finishConnectingHint({ code: 'KEY_HAS_WITHDRAW_PERMISSION', reason: undefined }, 'Binance')?.text).toMatch(/restrictions at Binance.*Finish connecting again/)
    expect(finishConnectingHint({ code: 'EXCHANGE_AUTH', reason: undefined }, 'Binance')?.text).toMatch(/issued for this public key.*IP whitelist/)
    expect(finishConnectingHint({ code: 'CONFLICT', reason: undefined }, 'Binance')?.text).toMatch(/already connected/)
    expect(finishConnectingHint({ code: 'EXCHANGE_UNAVAILABLE', reason: undefined }, 'Binance')?.text).toMatch(/key pair is kept/)
  })

  it('never asks to enter the key again, unlike the hints for a pasted key', () => {
    for (const code of ['KEY_HAS_WITHDRAW_PERMISSION', 'EXCHANGE_AUTH', 'EXCHANGE_UNAVAILABLE', 'CONFLICT']) {
      expect(connectErrorHint({ code, reason: undefined })?.text ?? '').not.toMatch(/Finish connecting/)
      expect(finishConnectingHint({ code, reason: undefined }, 'Binance')?.text).not.toMatch(/Enter the key again/)
    }
    expect(finishConnectingHint({ code: 'SECOND_FACTOR_REQUIRED', reason: undefined }, 'Binance')?.link).toBe('security')
    expect(finishConnectingHint({ code: 'BAD_INPUT', reason: undefined }, 'Binance')).toBeUndefined()
  })
})

describe('hints after generating a key pair failed', () => {
  it('points to Security for the account policy, and says nothing about typing a key again', () => {
    expect(generateErrorHint({ code: 'EMAIL_NOT_VERIFIED', reason: undefined })?.link).toBe('security')
    expect(generateErrorHint({ code: 'FORBIDDEN', reason: 'FACTOR_COOLDOWN' })?.text).toMatch(/24 hours/)
    expect(generateErrorHint({ code: 'BAD_INPUT', reason: undefined })).toBeUndefined()
    expect(generateErrorHint({ code: 'KEY_UNAVAILABLE', reason: undefined })).toBeUndefined()
  })
})

describe('a widening confirmation without a passkey', () => {
  it('is recognised by its reason, not by any bad input', () => {
    expect(isNoPasskeyRefusal(new ApiError('BAD_INPUT', 'you have no passkey: …', { status: 400, reason: 'NO_PASSKEY' }))).toBe(true)
    expect(isNoPasskeyRefusal(new ApiError('BAD_INPUT', 'operationId: must be an operation id', { status: 400 }))).toBe(false)
    expect(isNoPasskeyRefusal(new ApiError('NOT_FOUND', 'operation "x" is not pending', { status: 404 }))).toBe(false)
    expect(isNoPasskeyRefusal(new Error('NO_PASSKEY'))).toBe(false)
  })
})

describe('a cancelled confirmation while connecting', () => {
  it('says the typed key is still there, so trying again needs no retyping', () => {
    expect(connectErrorHint({ code: 'STEP_UP_CANCELLED', reason: undefined })?.text).toMatch(/still in the form/)
  })
})
