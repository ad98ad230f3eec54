import { AppError } from '../../lib/errors.js'
import { Decimal, toDecimalString } from '../../lib/decimal.js'
import { decimalString, webhookSignalBody, type WebhookSignalBody } from '../trading-api-types.js'
import type { SignalAction, SignalInput } from '../trading-types.js'

/**
 * The webhook body, from raw text to a SignalInput. Pure: no bot state, no clock. TradingView posts the
 * alert message as written (text/plain, or application/json when the message parses as JSON), with its
 * placeholders filled in; a placeholder it could not fill stays as "{{…}}" and is refused by name.
 */

/** TradingView caps alert messages well below this; anything larger is not a signal. */
export const MAX_WEBHOOK_BODY_BYTES = 8 * 1024

export const signalActions: readonly SignalAction[] = ['enter_long', 'exit_long', 'enter_short', 'exit_short', 'close_all']

const badInput = (reason: string, message: string) => new AppError('BAD_INPUT', message, { reason })

/** Quotes a sender's value for a message: short, one line. */
export const quote = (value: unknown): string => {
  const s = String(value).replace(/\s+/g, ' ')
  return `"${s.length > 40 ? `${s.slice(0, 40)}…` : s}"`
}

const mediaTypes = new Set(['application/json', 'text/plain'])

/**
 * Parses and shape-checks the raw body.
 * @throws AppError PAYLOAD_TOO_LARGE (BODY_TOO_LARGE), UNSUPPORTED_MEDIA_TYPE, BAD_INPUT (MALFORMED_BODY)
 */
export const parseWebhookBody = (rawBody: string, contentType?: string): WebhookSignalBody => {
  if (Buffer.byteLength(rawBody, 'utf8') > MAX_WEBHOOK_BODY_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `the signal body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`, { reason: 'BODY_TOO_LARGE' })
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== undefined && mediaType !== '' && !mediaTypes.has(mediaType)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `send the signal as application/json or text/plain, not ${quote(mediaType)}`, { reason: 'UNSUPPORTED_MEDIA_TYPE' })
  }
  let json: unknown
  try {
    json = JSON.parse(rawBody)
  } catch {
    throw badInput('MALFORMED_BODY', 'the signal body is not valid JSON: paste the alert message exactly as the bot page shows it')
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw badInput('MALFORMED_BODY', 'the signal body must be a JSON object')
  const parsed = webhookSignalBody.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || 'body'
    // Zod's messages name fields and limits, never the values sent, so the secret cannot leak through here.
    throw badInput('MALFORMED_BODY', `signal body: ${field}: ${issue?.message ?? 'is invalid'}`)
  }
  return parsed.data
}

const placeholder = /\{\{[^}]*\}\}/

/**
 * Refuses a field TradingView left unfilled ("{{close}}" in an alert that has no such value).
 * @throws AppError BAD_INPUT (UNFILLED_PLACEHOLDER) naming the first such field
 */
export const checkPlaceholders = (body: WebhookSignalBody): void => {
  for (const field of ['action', 'symbol', 'amount', 'price', 'takeProfit', 'stopLoss', 'timestamp', 'signalId'] as const) {
    const value = body[field]
    if (typeof value === 'string' && placeholder.test(value)) {
      throw badInput('UNFILLED_PLACEHOLDER', `${field} is ${quote(value)}: TradingView did not fill this placeholder in; use one that this alert provides, or a fixed value`)
    }
  }
}

/** @throws AppError BAD_INPUT (UNKNOWN_ACTION) for anything but the five actions */
export const parseAction = (action: string): SignalAction => {
  const normalized = action.trim().toLowerCase()
  const found = signalActions.find((a) => a === normalized)
  if (!found) throw badInput('UNKNOWN_ACTION', `action ${quote(action)} is not one of ${signalActions.join(', ')}`)
  return found
}

/** "BTC/USDT:USDT" → "BTCUSDT": what a TradingView ticker of the same market looks like. */
const compactOf = (symbol: string) => (symbol.split(':')[0] ?? '').replace('/', '')

/**
 * Maps the sender's symbol onto one of the bot's unified symbols. TradingView's `{{ticker}}` gives
 * "BTCUSDT", `{{exchange}}:{{ticker}}` gives "BINANCE:BTCUSDT", and perpetuals end in ".P"; unified
 * symbols are accepted as they are. When the bot has both the spot and the perpetual market of a pair,
 * ".P" picks the perpetual and its absence the spot one. Absent: the bot's only symbol.
 * @throws AppError BAD_INPUT (UNKNOWN_SYMBOL, SYMBOL_REQUIRED)
 */
export const resolveSymbol = (sent: string | undefined, symbols: readonly string[]): string => {
  if (sent === undefined || sent.trim() === '') {
    if (symbols.length === 1 && symbols[0] !== undefined) return symbols[0]
    throw badInput('SYMBOL_REQUIRED', `this bot trades ${symbols.join(', ')}: say which in "symbol" (TradingView: "{{ticker}}")`)
  }
  let s = sent.trim().toUpperCase()
  if (symbols.includes(s)) return s
  if (!s.includes('/')) s = s.replace(/^[A-Z0-9_.]+:/, '')
  const isPerpetual = /\.P$/.test(s)
  s = s.replace(/\.P$/, '')
  const candidates = s.includes('/') ? symbols.filter((u) => u === s || compactOf(u) === compactOf(s)) : symbols.filter((u) => compactOf(u) === s)
  const exact = candidates.length === 1 ? candidates[0] : candidates.find((u) => u.includes(':') === isPerpetual)
  if (exact === undefined) throw badInput('UNKNOWN_SYMBOL', `symbol ${quote(sent)} is not one of this bot's symbols (${symbols.join(', ')})`)
  return exact
}

/**
 * A sender's number (a JSON number or a numeric string) as a plain decimal string: positive, no
 * exponent, at most 16 significant digits — more precision than that is a float artefact, not a price.
 * @throws AppError BAD_INPUT (INVALID_NUMBER) naming the field
 */
export const toSignalDecimal = (field: string, value: string | number): string => {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'NaN') : value.trim()
  if (/e/i.test(text)) throw badInput('INVALID_NUMBER', `${field} is ${quote(value)}: write it as a plain decimal like "0.0001", without an exponent`)
  if (!/^\d+(\.\d+)?$/.test(text)) throw badInput('INVALID_NUMBER', `${field} is ${quote(value)}: it must be a positive decimal number like "0.5"`)
  const normalized = toDecimalString(new Decimal(text))
  const digits = normalized.replace('.', '').replace(/^0+/, '').length
  if (digits > 16 || !decimalString.safeParse(normalized).success) {
    throw badInput('INVALID_NUMBER', `${field} is ${quote(value)}: at most 16 digits, 12 of them after the point`)
  }
  if (new Decimal(normalized).lte(0)) throw badInput('INVALID_NUMBER', `${field} must be greater than zero`)
  return normalized
}

/** Unix seconds up to this; larger numbers are milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/**
 * The signal's time in Unix ms: ISO 8601 with a zone (TradingView's `{{timenow}}`), or Unix seconds or
 * milliseconds as a number or a numeric string.
 * @throws AppError BAD_INPUT (INVALID_TIMESTAMP)
 */
export const parseSignalTime = (value: string | number): number => {
  const invalid = () => badInput('INVALID_TIMESTAMP', `timestamp ${quote(value)} is not a time: send ISO 8601 with a zone ("2026-01-02T03:04:05Z", TradingView's {{timenow}}) or Unix seconds`)
  const text = typeof value === 'number' ? String(value) : value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text)
    if (!Number.isFinite(n) || n <= 0) throw invalid()
    return Math.round(n < SECONDS_LIMIT ? n * 1000 : n)
  }
  if (!isoTimestamp.test(text)) throw invalid()
  const ms = Date.parse(text)
  if (!Number.isFinite(ms)) throw invalid()
  return ms
}

/**
 * The body's meaning for a bot trading `symbols`: the SignalInput the bot machine gets.
 * @throws AppError BAD_INPUT (UNFILLED_PLACEHOLDER, UNKNOWN_ACTION, UNKNOWN_SYMBOL, SYMBOL_REQUIRED, INVALID_NUMBER)
 */
export const toSignalInput = (body: WebhookSignalBody, symbols: readonly string[]): SignalInput => {
  checkPlaceholders(body)
  const action = parseAction(body.action)
  const symbol = resolveSymbol(body.symbol, symbols)
  const signal: SignalInput = { action, symbol }
  if (body.amount !== undefined) signal.amount = toSignalDecimal('amount', body.amount)
  if (body.price !== undefined) signal.price = toSignalDecimal('price', body.price)
  if (body.takeProfit !== undefined) signal.takeProfit = toSignalDecimal('takeProfit', body.takeProfit)
  if (body.stopLoss !== undefined) signal.stopLoss = toSignalDecimal('stopLoss', body.stopLoss)
  if (body.signalId !== undefined) signal.signalId = body.signalId
  return signal
}
