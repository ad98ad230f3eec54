import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { createManualClock } from '../../lib/clock.js'
import { tradingViewSenderIps } from '../trading-api-types.js'
import { checkLag, checkSecret, checkSignature, checkSourceIp, signWebhook, validateAllowIps, WEBHOOK_UNAUTHENTICATED_MESSAGE } from './webhook-auth.js'
import { createSlidingCounter, createTokenBuckets } from './rate-limit.js'

const refusal = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return `${err.code}:${err.reason ?? ''}`
  }
}

const secret = 'bwh_0123456789abcdef0123456789abcdef0123456'
const rawBody = '{"secret":"…","action":"enter_long"}'
const nowMs = Date.UTC(2026, 2, 2, 10)
const nowSeconds = nowMs / 1000

describe('secret check', () => {
  it('gives one answer for a wrong secret and for no bot at all', () => {
    expect(refusal(() => checkSecret(secret, secret))).toBe('ok')
    let wrong: unknown
    let none: unknown
    try {
      checkSecret(`${secret}x`, secret)
    } catch (err) {
      wrong = err
    }
    try {
      checkSecret(secret, undefined)
    } catch (err) {
      none = err
    }
    expect(wrong).toBeInstanceOf(AppError)
    expect(none).toBeInstanceOf(AppError)
    for (const err of [wrong, none] as AppError[]) expect([err.code, err.reason, err.message]).toEqual(['UNAUTHENTICATED', 'WRONG_SECRET', WEBHOOK_UNAUTHENTICATED_MESSAGE])
  })
})

describe('HMAC signature', () => {
  const signed = (ts: number | string, body = rawBody, key = secret) => ({ 'x-bulwark-timestamp': String(ts), 'x-bulwark-signature': signWebhook(key, ts, body) })
  const check = (headers: Record<string, string | string[] | undefined>, required = false, body = rawBody) => () => checkSignature({ secret, rawBody: body, headers, nowMs, maxLagSeconds: 60, required })

  it('is HMAC-SHA256 of "timestamp.body" under the secret, in hex after "sha256="', () => {
    const expected = createHmac('sha256', secret).update(`${nowSeconds}.${rawBody}`).digest('hex')
    expect(signWebhook(secret, nowSeconds, rawBody)).toBe(`sha256=${expected}`)
  })

  it('verifies a good signature, with header names in any case and hex in any case', () => {
    expect(checkSignature({ secret, rawBody, headers: signed(nowSeconds), nowMs, maxLagSeconds: 60, required: true })).toEqual({ isSigned: true })
    const h = signed(nowSeconds)
    expect(refusal(check({ 'X-Bulwark-Timestamp': h['x-bulwark-timestamp'], 'X-Bulwark-Signature': h['x-bulwark-signature'].toUpperCase().replace('SHA256=', 'sha256=') }))).toBe('ok')
  })

  it('is optional unless required', () => {
    expect(checkSignature({ secret, rawBody, headers: {}, nowMs, maxLagSeconds: 60, required: false })).toEqual({ isSigned: false })
    expect(refusal(check({}, true))).toBe('UNAUTHENTICATED:SIGNATURE_REQUIRED')
  })

  it('refuses a signature by another key, over another body or timestamp, half a pair, or a repeated header', () => {
    expect(refusal(check(signed(nowSeconds, rawBody, `${secret}x`)))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check(signed(nowSeconds), false, `${rawBody} `))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check({ ...signed(nowSeconds), 'x-bulwark-timestamp': String(nowSeconds - 1) }))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check({ 'x-bulwark-signature': signed(nowSeconds)['x-bulwark-signature'] }))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check({ 'x-bulwark-timestamp': String(nowSeconds) }))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check({ ...signed(nowSeconds), 'x-bulwark-signature': ['a', 'b'] }))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    expect(refusal(check({ ...signed(nowSeconds), 'x-bulwark-signature': 'sha1=abc' }))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
    // Milliseconds are not seconds: refused as malformed rather than judged as a far-future time.
    expect(refusal(check(signed(`${nowSeconds}000`)))).toBe('UNAUTHENTICATED:BAD_SIGNATURE')
  })

  it('refuses a valid signature whose timestamp is outside the lag, either way', () => {
    expect(refusal(check(signed(nowSeconds - 60)))).toBe('ok')
    expect(refusal(check(signed(nowSeconds - 61)))).toBe('BAD_INPUT:STALE_SIGNAL')
    expect(refusal(check(signed(nowSeconds + 61)))).toBe('BAD_INPUT:STALE_SIGNAL')
  })
})

describe('time lag', () => {
  it('allows up to maxLag either way and says which way it failed', () => {
    expect(checkLag('the signal', nowMs - 30_000, nowMs, 30)).toBe(30_000)
    expect(checkLag('the signal', nowMs + 30_000, nowMs, 30)).toBe(-30_000)
    expect(() => checkLag('the signal', nowMs - 31_000, nowMs, 30)).toThrow('the signal is 31 s old')
    expect(() => checkLag('the signal', nowMs + 31_000, nowMs, 30)).toThrow('31 s in the future')
  })
})

describe('source-IP allowlist', () => {
  it('allows anyone when empty', () => {
    expect(refusal(() => checkSourceIp('198.51.100.7', []))).toBe('ok')
  })

  it('matches single addresses and CIDR ranges, IPv4 and IPv6', () => {
    const list = ['198.51.100.7', '203.0.113.0/24', '2001:db8:1::/48', '2001:db8:ffff::5']
    for (const ip of ['198.51.100.7', '203.0.113.200', '2001:db8:1:2::9', '2001:db8:ffff::5', '::ffff:203.0.113.9']) expect(refusal(() => checkSourceIp(ip, list))).toBe('ok')
    for (const ip of ['198.51.100.8', '203.0.114.1', '2001:db8:2::1', 'not-an-ip', '']) expect(refusal(() => checkSourceIp(ip, list))).toBe('FORBIDDEN:IP_NOT_ALLOWED')
  })

  it('expands the TradingView preset to its published senders only', () => {
    for (const ip of tradingViewSenderIps) expect(refusal(() => checkSourceIp(ip, ['tradingview']))).toBe('ok')
    expect(refusal(() => checkSourceIp('52.89.214.239', ['TradingView']))).toBe('FORBIDDEN:IP_NOT_ALLOWED')
    expect(refusal(() => checkSourceIp('10.0.0.1', ['tradingview', '10.0.0.0/8']))).toBe('ok')
  })

  it('fails closed on entries that are not addresses, and refuses them when a bot is saved', () => {
    expect(refusal(() => checkSourceIp('10.0.0.1', ['10.0.0.0/33', 'example.com']))).toBe('FORBIDDEN:IP_NOT_ALLOWED')
    expect(() => validateAllowIps(['10.0.0.0/8', 'tradingview', '2001:db8::/32'])).not.toThrow()
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/8', '2001:db8::/129', '10.0.0.1/x']) expect(refusal(() => validateAllowIps([bad]))).toBe('BAD_INPUT:')
  })
})

describe('per-bot token bucket', () => {
  it('lets a minute\'s budget through at once, then one every 60/rate seconds', () => {
    const clock = createManualClock('2026-03-02T10:00:00Z')
    const buckets = createTokenBuckets(clock)
    expect([1, 2, 3].map(() => buckets.take('bot-a', 3))).toEqual([true, true, true])
    expect(buckets.take('bot-a', 3)).toBe(false)
    expect(buckets.retryAfterSeconds('bot-a')).toBe(20)
    expect(buckets.take('bot-b', 3)).toBe(true)
    clock.advance(19_000)
    expect(buckets.take('bot-a', 3)).toBe(false)
    clock.advance(1_000)
    expect(buckets.take('bot-a', 3)).toBe(true)
    expect(buckets.take('bot-a', 3)).toBe(false)
    clock.advance(-30_000)
    expect(buckets.take('bot-a', 3)).toBe(false)
  })

  it('starts over with a full bucket when the bot\'s rate changes', () => {
    const clock = createManualClock('2026-03-02T10:00:00Z')
    const buckets = createTokenBuckets(clock)
    expect(buckets.take('bot', 1)).toBe(true)
    expect(buckets.take('bot', 1)).toBe(false)
    expect(buckets.take('bot', 2)).toBe(true)
  })
})

describe('sliding counter', () => {
  it('counts events within the window, up to its cap', () => {
    const clock = createManualClock('2026-03-02T10:00:00Z')
    const counter = createSlidingCounter(clock, { windowMs: 60_000, cap: 5 })
    expect([1, 2, 3].map(() => counter.add('a'))).toEqual([1, 2, 3])
    clock.advance(59_999)
    expect(counter.add('a')).toBe(4)
    clock.advance(1)
    expect(counter.add('a')).toBe(2)
    expect([1, 2, 3, 4, 5].map(() => counter.add('a')).at(-1)).toBe(5)
    expect(counter.add('b')).toBe(1)
  })
})
