import { formatCheckName } from './readiness'
import type { AlertSeverity, TokenScope } from './account-parsers'

/** Plain words for what the accounts API sends: dates, secrets, reasons, scopes, alert rules. */

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type into an authenticator app. */
export const groupSecret = (secret: string, size = 4): string => secret.replace(/\s+/g, '').match(new RegExp(`.{1,${size}}`, 'g'))?.join(' ') ?? ''

/** People paste codes as "123 456" or "123-456"; the server wants the digits. */
export const normalizeOtp = (input: string): string => input.replace(/[\s-]+/g, '')

export const isOtpShaped = (code: string): boolean => /^\d{6,8}$/.test(code)

const passwordReasons: Readonly<Record<string, string>> = {
  TOO_SHORT: 'It is too short.',
  TOO_LONG: 'It is too long.',
  BREACHED_OR_COMMON: 'It appears in lists of breached or commonly used passwords.',
  TOO_GUESSABLE: 'It is too easy to guess.',
}

/** A second line for an error, when the server's reason adds something to its message. */
export const errorReasonText = (code: string, reason: string | undefined): string | undefined => {
  if (reason === undefined) return undefined
  if (code === 'PASSWORD_REJECTED') return passwordReasons[reason] ?? `Reason: ${formatCheckName(reason.toLowerCase())}.`
  return undefined
}

/** "hello world" → "Hello world"; server messages are written as clauses. */
export const asSentence = (text: string): string => {
  const trimmed = text.trim()
  return trimmed === '' ? trimmed : trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
}

export const scopeDescriptions: Readonly<Record<TokenScope, string>> = {
  read: 'Read — balances, orders and history; changes nothing',
  trade: 'Trade — read, and place or cancel orders',
  admin: 'Admin — everything the workspace role allows',
}

export const scopeLabel = (scope: TokenScope): string => formatCheckName(scope)

export const severityLabel: Readonly<Record<AlertSeverity, string>> = {
  info: 'Info',
  warning: 'Warning',
  critical: 'Critical',
}

/** "new_device_sign_in" → "New device sign in". */
export const alertTitle = (rule: string): string => formatCheckName(rule)

const acronyms: ReadonlySet<string> = new Set(['ip', 'id', 'url', 'api', 'totp'])

/** An alert detail's key as a label: "ip" → "IP", "last_ip" → "Last IP", "user_agent" → "User agent". */
export const detailLabel = (key: string): string =>
  formatCheckName(key)
    .split(' ')
    .map((word) => (acronyms.has(word.toLowerCase()) ? word.toUpperCase() : word))
    .join(' ')

/** One alert detail as text: strings as they are, everything else as compact JSON. */
export const detailValue = (value: unknown): string => {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null || value === undefined) return '—'
  return JSON.stringify(value)
}

const units: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

/** "5 minutes ago", "in 3 days", "just now". `locale` is the browser's unless a test pins one. */
export const formatRelative = (iso: string, now: Date, locale?: string): string => {
  const then = new Date(iso)
  if (Number.isNaN(then.getTime())) return iso
  const seconds = Math.round((then.getTime() - now.getTime()) / 1000)
  if (Math.abs(seconds) < 60) return 'just now'
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit)
  }
  return format.format(Math.trunc(seconds / 60), 'minute')
}

/** A full local date and time for a tooltip or <time> text. */
export const formatDateTime = (iso: string, locale?: string): string => {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' })
}

export const formatDate = (iso: string, locale?: string): string => {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(locale, { dateStyle: 'medium' })
}

/** "1 other session", "3 other sessions". */
export const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`
