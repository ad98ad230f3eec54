import { describe, expect, it } from 'vitest'
import { ApiError } from '../../lib/api'
import { keyForAttempt, mayHaveHappened, sendIdempotent, type PendingKey } from './idempotency'

const keys = () => {
  let next = 0
  return () => `key-${++next}`
}

describe('idempotency keys for order-placing requests', () => {
  it('uses the same key when the same request is sent again after its answer was lost', async () => {
    const pending: { current: PendingKey | undefined } = { current: undefined }
    const newKey = keys()
    const sent: string[] = []
    const lost = (key: string) => {
      sent.push(key)
      return Promise.reject(new ApiError('NETWORK', 'Could not reach the Bulwark server.'))
    }
    await expect(sendIdempotent(pending, 'body A', lost, newKey)).rejects.toThrow('Could not reach')
    await expect(sendIdempotent(pending, 'body A', lost, newKey)).rejects.toThrow('Could not reach')
    const result = await sendIdempotent(pending, 'body A', (key) => Promise.resolve(`trade for ${key}`), newKey)
    expect(sent).toEqual(['key-1', 'key-1'])
    expect(result).toBe('trade for key-1')
    expect(pending.current).toBeUndefined()
  })

  it('uses a new key for the next submit after a success', async () => {
    const pending: { current: PendingKey | undefined } = { current: undefined }
    const newKey = keys()
    const used: string[] = []
    const ok = (key: string) => {
      used.push(key)
      return Promise.resolve(key)
    }
    await sendIdempotent(pending, 'same body', ok, newKey)
    await sendIdempotent(pending, 'same body', ok, newKey)
    expect(used).toEqual(['key-1', 'key-2'])
  })

  it('spends the key after a refusal that changed nothing, and when the form changed', async () => {
    const pending: { current: PendingKey | undefined } = { current: undefined }
    const newKey = keys()
    const refused = () => Promise.reject(new ApiError('EXCHANGE_REJECTED', 'Insufficient balance.', { status: 422 }))
    await expect(sendIdempotent(pending, 'body A', refused, newKey)).rejects.toThrow('Insufficient')
    expect(pending.current).toBeUndefined()

    const serverError = () => Promise.reject(new ApiError('INTERNAL', 'The server hit an unexpected error.', { status: 500 }))
    await expect(sendIdempotent(pending, 'body A', serverError, newKey)).rejects.toThrow('unexpected')
    expect(pending.current).toEqual({ key: 'key-2', fingerprint: 'body A' })
    expect(keyForAttempt(pending.current, 'body B', newKey)).toEqual({ key: 'key-3', fingerprint: 'body B' })
  })

  it('treats lost answers and server errors as "may have happened", refusals as not', () => {
    expect(mayHaveHappened(new ApiError('TIMEOUT', 'x'))).toBe(true)
    expect(mayHaveHappened(new ApiError('BAD_RESPONSE', 'x', { status: 201 }))).toBe(true)
    expect(mayHaveHappened(new ApiError('EXCHANGE_UNAVAILABLE', 'x', { status: 503 }))).toBe(true)
    expect(mayHaveHappened(new ApiError('BAD_INPUT', 'x', { status: 400 }))).toBe(false)
    expect(mayHaveHappened(new ApiError('STEP_UP_CANCELLED', 'x'))).toBe(false)
  })
})
