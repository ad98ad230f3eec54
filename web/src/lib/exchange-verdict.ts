import type { StatusTone } from '../components/status-badge'
import type { ApiError } from './api'
import type { Verification } from './exchange-parsers'
import { permissionChecklist } from './exchange-permissions'

/**
 * The verdict after connecting a key: the four facts that matter, as the signer's check at the exchange
 * reported them (withdraw, IP whitelist, trading, expiry), each a plain badge with words and a tone. A
 * fact the exchange did not report is said as not reported, never shown as safe. A refused key gets
 * the same badges, with the check that failed and the fix.
 */

export type VerdictCheckId = 'withdraw' | 'ip' | 'trading' | 'expiry'

export type VerdictCheck = {
  id: VerdictCheckId
  tone: StatusTone
  label: string
  /** What to do about a check that is not fine, in the exchange's words where it has them. */
  fix?: string
}

/** An expiry closer than this is a warning on the verdict (the account list uses the same bound). */
export const VERDICT_EXPIRY_WARN_DAYS = 14

const DAY_MS = 86_400_000

const days = (count: number): string => (count === 1 ? '1 day' : `${count} days`)

const withdrawCheck = (v: Verification): VerdictCheck => {
  if (v.withdrawEnabled === true) return { id: 'withdraw', tone: 'bad', label: 'Withdraw enabled' }
  if (v.transferEnabled === true) return { id: 'withdraw', tone: 'bad', label: 'Transfers enabled' }
  if (v.withdrawEnabled === false) return { id: 'withdraw', tone: 'ok', label: 'Withdraw disabled' }
  return { id: 'withdraw', tone: 'pending', label: 'Withdraw not checked' }
}

const ipCheck = (v: Verification, exchangeName: string): VerdictCheck => {
  if (v.ipRestricted === true) return { id: 'ip', tone: 'ok', label: 'IP restricted' }
  if (v.ipRestricted === false) {
    return {
      id: 'ip',
      tone: 'warn',
      label: 'Not IP restricted',
      fix: `Edit the key at ${exchangeName}: restrict it to the IP addresses shown in step 2. A key without an IP whitelist works from anywhere if it leaks.`,
    }
  }
  return { id: 'ip', tone: 'pending', label: v.status === 'verified' ? `IP restriction not reported by ${exchangeName}` : 'IP restriction not checked' }
}

const tradingCheck = (v: Verification, exchangeName: string): VerdictCheck => {
  if (v.tradingEnabled === true) return { id: 'trading', tone: 'ok', label: 'Trading enabled' }
  if (v.tradingEnabled === false) {
    return { id: 'trading', tone: 'bad', label: 'Trading disabled', fix: `Edit the key at ${exchangeName}: tick the trading permission shown in step 2, then select Verify now on its row.` }
  }
  return { id: 'trading', tone: 'pending', label: 'Trading not checked' }
}

const expiryCheck = (v: Verification, exchangeName: string, now: Date): VerdictCheck => {
  if (v.expiresAt === null) return { id: 'expiry', tone: 'ok', label: 'No expiry' }
  if (v.expiresAt === undefined) return { id: 'expiry', tone: 'pending', label: v.status === 'verified' ? 'Expiry not reported' : 'Expiry not checked' }
  const at = Date.parse(v.expiresAt)
  if (Number.isNaN(at)) return { id: 'expiry', tone: 'pending', label: 'Expiry not reported' }
  if (at <= now.getTime()) return { id: 'expiry', tone: 'bad', label: 'Expired', fix: `Create a new key at ${exchangeName} and connect it.` }
  const left = Math.floor((at - now.getTime()) / DAY_MS)
  const label = left < 1 ? 'Expires today' : `Expires in ${days(left)}`
  return left < VERDICT_EXPIRY_WARN_DAYS
    ? { id: 'expiry', tone: 'warn', label, fix: `Create a new key at ${exchangeName} before then and use Replace key on its row.` }
    : { id: 'expiry', tone: 'ok', label }
}

/** The four checks of a key, in a fixed order: withdraw, IP restriction, trading, expiry. */
export const verdictChecks = (v: Verification, exchangeName: string, now: Date): VerdictCheck[] => [
  withdrawCheck(v),
  ipCheck(v, exchangeName),
  tradingCheck(v, exchangeName),
  expiryCheck(v, exchangeName, now),
]

/**
 * 'ready': verified, every check fine. 'attention': verified, but a check warns (no IP whitelist, an
 * expiry close, no trading right). 'unverified': the exchange could not be asked, so the key cannot
 * trade until it is.
 */
export type VerdictOutcome = 'ready' | 'attention' | 'unverified'

export const verdictOutcome = (v: Verification, checks: readonly VerdictCheck[]): VerdictOutcome => {
  if (v.status !== 'verified') return 'unverified'
  return checks.every((check) => check.tone === 'ok') ? 'ready' : 'attention'
}

/** A key the signer refused: the check that failed, and what to change at the exchange. */
export type Refusal = { check: VerdictCheck; fix: string }

const sentence = (text: string): string => {
  const trimmed = text.trim()
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?]$/.test(capital) ? capital : `${capital}.`
}

/**
 * The server's refusal "this Binance key can withdraw funds: edit it at Binance (API Management),
 * untick "Enable Withdrawals" …, then connect it again" (src/signer/verification.ts): which check
 * failed comes from the code and the words "withdraw"/"transfer"; the fix is the part after the colon,
 * which the signer writes per exchange. When the message has another shape, the fix is built from
 * this dashboard's checklist for the exchange.
 */
export const refusalOf = (error: Pick<ApiError, 'code' | 'message'>, exchangeId: string, exchangeName: string): Refusal | undefined => {
  const colon = error.message.indexOf(': ')
  const serverFix = colon < 0 ? undefined : sentence(error.message.slice(colon + 2).replace(/,? then connect it again\.?$/, ', then try again'))
  if (error.code === 'KEY_HAS_WITHDRAW_PERMISSION') {
    const isTransfer = /\bcan transfer\b/.test(error.message)
    const untick = permissionChecklist(exchangeId)?.untick
    const fallback =
      untick === undefined
        ? `Edit the key at ${exchangeName}: turn off withdrawals and transfers, then try again.`
        : `Edit the key at ${exchangeName}: untick ${untick.map((name) => `“${name}”`).join(', ')}, then try again.`
    return { check: { id: 'withdraw', tone: 'bad', label: isTransfer ? 'Transfers enabled' : 'Withdraw enabled' }, fix: serverFix ?? fallback }
  }
  if (error.code === 'EXCHANGE_AUTH' && /\bexpired\b/.test(error.message)) {
    return { check: { id: 'expiry', tone: 'bad', label: 'Expired' }, fix: serverFix ?? `Create a new key at ${exchangeName} and connect it.` }
  }
  return undefined
}
