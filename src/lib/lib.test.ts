import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { redactSecrets, redactUrl, findSecretFields } from './redact.js'
import { createLogger } from './logger.js'
import { armFaultPoints, faultPoint, parseFaultPoints, FaultInjected } from './fault.js'
import { newId, uuidPattern } from './ids.js'
import { toDecimal, toDecimalString, isDecimalString } from './decimal.js'
import { AppError, statusByCode } from './errors.js'

describe('redaction', () => {
  it('replaces secret-named fields at any depth', () => {
    const out = redactSecrets({ user: 'ann', password: 'p', nested: { apiSecret: 's', list: [{ sessionToken: 't' }] }, 'x-api-key': 'k' })
    expect(JSON.stringify(out)).not.toMatch(/"p"|"s"|"t"|"k"/)
    expect(out).toMatchObject({ user: 'ann', password: '[redacted]' })
  })
  it('scrubs our bearer secrets by their shape inside text (API tokens, webhook secrets)', () => {
    const secret = `bwh_${'A'.repeat(43)}`
    const out = redactSecrets({ note: `pasted ${secret} here`, list: [`bwt_${'x'.repeat(43)}`], short: 'bwh_abc' })
    expect(JSON.stringify(out)).not.toContain(secret)
    expect(out).toEqual({ note: 'pasted [redacted] here', list: ['[redacted]'], short: 'bwh_abc' })
  })
  it('removes query values from URLs', () => {
    expect(redactUrl('/verify?token=abc&x=1')).toBe('/verify?token=[redacted]&x=[redacted]')
    expect(redactUrl('/plain')).toBe('/plain')
  })
  it('finds secret fields by path', () => {
    expect(findSecretFields({ a: { passphrase: 1 }, totpSeed: 2, fine: 3 })).toEqual(['a.passphrase', 'totpSeed'])
  })
  it('keeps a canary out of the log whatever the field depth', () => {
    const lines: string[] = []
    const sink = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) })
    const log = createLogger({ level: 'info', destination: sink })
    const canary = 'CANARY-7f3a9c-SECRET'
    log.info({ body: { password: canary, apiKey: canary, deep: { a: { b: { secret: canary } } } } }, 'login')
    log.info({ req: { method: 'GET', url: `/reset?token=${canary}`, id: '1' } }, 'incoming')
    expect(lines.join('')).not.toContain(canary)
    expect(lines.join('')).toContain('/reset?token=[redacted]')
  })
})

describe('fault points', () => {
  it('do nothing unless armed, and throw when armed', () => {
    armFaultPoints(new Map())
    expect(() => faultPoint('x.y')).not.toThrow()
    armFaultPoints(parseFaultPoints('x.y').points)
    expect(() => faultPoint('x.y')).toThrow(FaultInjected)
    armFaultPoints(new Map())
  })
})

describe('ids, decimals, errors', () => {
  it('makes time-ordered UUIDv7 ids', () => {
    const a = newId(1_000)
    const b = newId(2_000)
    expect(a).toMatch(uuidPattern)
    expect(a[14]).toBe('7')
    expect(a < b).toBe(true)
    // Made in one millisecond, they still sort in the order they were made.
    const same = Array.from({ length: 50 }, () => newId(5_000))
    expect([...same].sort()).toEqual(same)
  })
  it('keeps money exact', () => {
    expect(toDecimalString(toDecimal('0.1').plus(toDecimal('0.2')))).toBe('0.3')
    expect(isDecimalString('1e5')).toBe(false)
    expect(() => toDecimal('NaN')).toThrow(RangeError)
  })
  it('derives every status from one table', () => {
    expect(new AppError('STEP_UP_REQUIRED', 'x').status).toBe(401)
    for (const code of Object.keys(statusByCode)) expect(code).toMatch(/^[A-Z][A-Z_]+$/)
  })
})
