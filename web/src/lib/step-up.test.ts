import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { singleFlight, stepUpMethods, withStepUp } from './step-up'

const security = (totp: boolean, passkeys: number, recoveryCodesLeft: number) => ({ totp, passkeys, recoveryCodesLeft })

describe('step-up', () => {
  it('offers the password only to people without a second factor', () => {
    expect(stepUpMethods(security(false, 0, 0), true)).toEqual(['password'])
    expect(stepUpMethods(security(false, 0, 5), true)).toEqual(['password'])
  })

  it('offers second factors best first, and never the password alongside them', () => {
    expect(stepUpMethods(security(true, 2, 10), true)).toEqual(['passkey', 'totp', 'recovery_code'])
    expect(stepUpMethods(security(true, 0, 0), true)).toEqual(['totp'])
    expect(stepUpMethods(security(false, 1, 3), true)).toEqual(['passkey', 'recovery_code'])
  })

  it('leaves passkeys out where the browser cannot use them', () => {
    expect(stepUpMethods(security(false, 1, 3), false)).toEqual(['recovery_code'])
    expect(stepUpMethods(security(false, 1, 0), false)).toEqual([])
  })

  it('passes errors other than STEP_UP_REQUIRED straight through, without asking', async () => {
    let asked = 0
    const send = () => Promise.reject(new ApiError('FORBIDDEN', 'no'))
    await expect(withStepUp(send, async () => void (asked += 1))).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(asked).toBe(0)
  })

  it('shares one pending run between callers and starts a new one after it settles', async () => {
    let runs = 0
    let release: () => void = () => {}
    const shared = singleFlight(() => {
      runs += 1
      return new Promise<void>((resolve) => {
        release = resolve
      })
    })
    const first = shared()
    const second = shared()
    expect(first).toBe(second)
    release()
    await first
    void shared()
    expect(runs).toBe(2)
  })

  it('lets the next caller try again after a failed run', async () => {
    let runs = 0
    const shared = singleFlight(async () => {
      runs += 1
      if (runs === 1) throw new Error('cancelled')
    })
    await expect(shared()).rejects.toThrow('cancelled')
    await expect(shared()).resolves.toBeUndefined()
  })
})
