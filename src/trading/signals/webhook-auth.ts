import { createHmac } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import { safeEqual } from '../../crypto/index.js'
import { AppError } from '../../lib/errors.js'
import { tradingViewSenderIps } from '../trading-api-types.js'
import { quote } from './webhook-payload.js'

/**
 * The webhook's checks, each a pure function that throws an AppError with a code (the status) and a
 * reason (what exactly). signal-ingress.ts runs them in order; the order is part of the security:
 * nothing about a bot is revealed before its secret has been shown.
 */

/** One answer for "no such bot" and "wrong secret", so the endpoint cannot be used to find bots. */
export const WEBHOOK_UNAUTHENTICATED_MESSAGE = 'webhook refused: the secret does not match this bot, or there is no such bot; copy the URL and secret from the bot page again'

export const webhookSignatureHeaders = { timestamp: 'x-bulwark-timestamp', signature: 'x-bulwark-signature' } as const
export const webhookSignatureScheme = 'sha256=hex(HMAC-SHA256(secret, timestamp + "." + body)); timestamp in Unix seconds'

const unauthenticated = (reason: string, message = WEBHOOK_UNAUTHENTICATED_MESSAGE) => new AppError('UNAUTHENTICATED', message, { reason })

/** Compared even when there is no bot, so both answers take about as long. */
const NO_SECRET = 'bwh_no-such-bot-no-such-bot-no-such-bot-no-such'

/** @throws AppError UNAUTHENTICATED (WRONG_SECRET) when `expected` is absent (unknown bot) or differs */
export const checkSecret = (sent: string, expected: string | undefined): void => {
  const matches = safeEqual(sent, expected ?? NO_SECRET)
  if (!matches || expected === undefined) throw unauthenticated('WRONG_SECRET')
}

/** The signature header value a signing sender computes (and what the ingress recomputes). */
export const signWebhook = (secret: string, timestampSeconds: number | string, rawBody: string): string =>
  `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`

type Headers = Record<string, string | string[] | undefined>

/** A header by name, case-insensitively; a repeated header is refused rather than guessed between. */
export const headerValue = (headers: Headers, name: string): string | undefined | 'repeated' => {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    if (Array.isArray(value)) return value.length === 1 ? value[0] : 'repeated'
    return value
  }
  return undefined
}

/**
 * The HMAC header pair: when present it must verify and be fresh; when `required` it must be present.
 * @throws AppError UNAUTHENTICATED (SIGNATURE_REQUIRED, BAD_SIGNATURE), BAD_INPUT (STALE_SIGNAL)
 */
export const checkSignature = (input: { secret: string; rawBody: string; headers: Headers; nowMs: number; maxLagSeconds: number; required: boolean }): { isSigned: boolean } => {
  const timestamp = headerValue(input.headers, webhookSignatureHeaders.timestamp)
  const signature = headerValue(input.headers, webhookSignatureHeaders.signature)
  if (timestamp === undefined && signature === undefined) {
    if (input.required) throw unauthenticated('SIGNATURE_REQUIRED', `this bot accepts only signed signals: send the ${webhookSignatureHeaders.timestamp} and ${webhookSignatureHeaders.signature} headers`)
    return { isSigned: false }
  }
  const bad = (why: string) => unauthenticated('BAD_SIGNATURE', `the signature does not verify: ${why}`)
  if (timestamp === undefined || signature === undefined) throw bad(`send both ${webhookSignatureHeaders.timestamp} and ${webhookSignatureHeaders.signature}`)
  if (timestamp === 'repeated' || signature === 'repeated') throw bad('send each signature header once')
  if (!/^\d{1,12}$/.test(timestamp)) throw bad(`${webhookSignatureHeaders.timestamp} must be Unix seconds`)
  if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) throw bad(`${webhookSignatureHeaders.signature} must be "sha256=" and 64 hex digits`)
  // Verify before judging the time, so an unsigned request learns nothing about the clock window.
  if (!safeEqual(signature.toLowerCase(), signWebhook(input.secret, timestamp, input.rawBody))) throw bad('it was not made with this bot\'s secret over this timestamp and body')
  checkLag('the signature timestamp', Number(timestamp) * 1000, input.nowMs, input.maxLagSeconds)
  return { isSigned: true }
}

/**
 * A time within `maxLagSeconds` of now, either way: a stale signal is a replay or a queue that stalled,
 * one from the future is a wrong clock. BAD_INPUT (400) rather than 401/409: the sender is authentic and
 * nothing conflicts; the request itself is unusable and must not be retried as it is.
 * @throws AppError BAD_INPUT (STALE_SIGNAL)
 */
export const checkLag = (what: string, timeMs: number, nowMs: number, maxLagSeconds: number): number => {
  const lagMs = nowMs - timeMs
  if (Math.abs(lagMs) > maxLagSeconds * 1000) {
    const seconds = Math.round(Math.abs(lagMs) / 1000)
    const message =
      lagMs > 0
        ? `${what} is ${seconds} s old; this bot accepts signals up to ${maxLagSeconds} s old`
        : `${what} is ${seconds} s in the future; check the sender's clock (this bot allows ${maxLagSeconds} s either way)`
    throw new AppError('BAD_INPUT', message, { reason: 'STALE_SIGNAL', details: { lagMs } })
  }
  return lagMs
}

/** "::ffff:1.2.3.4" (an IPv4 client on a dual-stack socket) → "1.2.3.4". */
const normalizeIp = (ip: string): string => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return mapped?.[1] ?? ip
}

type AllowEntry = { address: string; prefix?: number; family: 'ipv4' | 'ipv6' }

/** One allowlist entry, expanded ('tradingview' → its senders); undefined when it is not an address or CIDR. */
const parseEntry = (entry: string): AllowEntry[] | undefined => {
  if (entry.trim().toLowerCase() === 'tradingview') return tradingViewSenderIps.map((address) => ({ address, family: 'ipv4' as const }))
  const [address = '', prefix, extra] = entry.trim().split('/')
  const version = isIP(address)
  if (version === 0 || extra !== undefined) return undefined
  const family = version === 6 ? 'ipv6' : 'ipv4'
  if (prefix === undefined) return [{ address, family }]
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (version === 6 ? 128 : 32)) return undefined
  return [{ address, prefix: Number(prefix), family }]
}

/**
 * Refuses allowlist entries that are neither an address, a CIDR nor 'tradingview' (for the API, at
 * create and edit time). At ingress an unparseable entry matches nothing: the list fails closed.
 * @throws AppError BAD_INPUT naming the entry
 */
export const validateAllowIps = (entries: readonly string[]): void => {
  for (const entry of entries) {
    if (parseEntry(entry) === undefined) throw new AppError('BAD_INPUT', `allowIps: ${quote(entry)} is not an IP address, a CIDR range like "203.0.113.0/24", or "tradingview"`)
  }
}

const lists = new Map<string, BlockList>()

const blockListFor = (entries: readonly string[]): BlockList => {
  const cacheKey = entries.join('\n')
  const cached = lists.get(cacheKey)
  if (cached) return cached
  const list = new BlockList()
  for (const e of entries.flatMap((entry) => parseEntry(entry) ?? [])) {
    if (e.prefix === undefined) list.addAddress(e.address, e.family)
    else list.addSubnet(e.address, e.prefix, e.family)
  }
  if (lists.size >= 1000) lists.clear()
  lists.set(cacheKey, list)
  return list
}

/**
 * The source address against the bot's allowlist (empty: any address).
 * @throws AppError FORBIDDEN (IP_NOT_ALLOWED)
 */
export const checkSourceIp = (sourceIp: string, allowIps: readonly string[]): void => {
  if (allowIps.length === 0) return
  const ip = normalizeIp(sourceIp.trim())
  const version = isIP(ip)
  if (version === 0 || !blockListFor(allowIps).check(ip, version === 6 ? 'ipv6' : 'ipv4')) {
    throw new AppError('FORBIDDEN', `signals from ${quote(ip)} are not allowed for this bot: add the address to its allowlist`, { reason: 'IP_NOT_ALLOWED' })
  }
}
