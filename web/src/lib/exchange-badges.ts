import type { StatusTone } from '../components/status-badge'
import { formatCheckName } from './readiness'
import type { CatalogueEntry, ExchangeAccount } from './exchange-parsers'
import { isAwaitingApiKey } from './exchange-keypair'

/**
 * The badges of an exchange account: what state the key is in, what the exchange said about it when
 * the signer last asked, and the hygiene hints (age, expiry), in the words of the connect verdict
 * (exchange-verdict.ts). Each badge is words with a tone, never
 * colour alone. Unknown is said as unknown: a permission the exchange does not report is not shown as
 * safe.
 */

export type AccountBadge = { id: string; tone: StatusTone; label: string }

/** Keys older than this get a "replace me" badge (exchanges and auditors commonly ask for 90-day rotation). */
export const KEY_AGE_WARN_DAYS = 90
/** An expiry closer than this gets a warning badge. */
export const EXPIRY_WARN_DAYS = 14

const DAY_MS = 86_400_000

const stateBadge = (state: string): AccountBadge | undefined => {
  switch (state) {
    case 'active':
      return { id: 'state', tone: 'ok', label: 'Active' }
    case 'disabled':
      return { id: 'state', tone: 'bad', label: 'Disabled' }
    case 'unverified':
      return { id: 'state', tone: 'warn', label: 'Unverified: cannot trade' }
    case 'pending_approval':
      // Four-eyes (R42): verified and stored by the signer, unusable until a second owner or admin approves.
      return { id: 'state', tone: 'pending', label: 'Waiting for approval' }
    case 'writing':
      return { id: 'state', tone: 'pending', label: 'Being stored' }
    case 'destroyed':
      return { id: 'state', tone: 'bad', label: 'Removed' }
    default:
      return state === '' ? undefined : { id: 'state', tone: 'pending', label: formatCheckName(state) }
  }
}

const daysLabel = (days: number): string => (days === 1 ? '1 day' : `${days} days`)

/** "Key 12 days old"; "Key added today" on its first day. */
export const keyAgeLabel = (keyAgeDays: number): string => (keyAgeDays < 1 ? 'Key added today' : `Key ${daysLabel(Math.floor(keyAgeDays))} old`)

export const accountBadges = (account: ExchangeAccount, exchangeName: string, now: Date): AccountBadge[] => {
  const badges: AccountBadge[] = []
  const push = (badge: AccountBadge | undefined) => {
    if (badge !== undefined) badges.push(badge)
  }
  const v = account.verification

  push(stateBadge(account.state))
  if (account.stale) push({ id: 'stale', tone: 'pending', label: 'Last known state: the signer is not answering' })

  switch (v.status) {
    case 'verified':
      push({ id: 'verification', tone: 'ok', label: 'Verified' })
      break
    case 'unverifiable':
      push({ id: 'verification', tone: 'warn', label: `Cannot be verified on ${exchangeName}` })
      break
    case 'unreachable':
      push({ id: 'verification', tone: 'warn', label: `Not verified: ${exchangeName} did not answer` })
      break
    case 'awaiting_api_key':
      push({ id: 'verification', tone: 'warn', label: `Waiting for its API key from ${exchangeName}` })
      break
    default:
      push({ id: 'verification', tone: 'pending', label: 'Not verified yet' })
  }

  if (v.withdrawEnabled === true) push({ id: 'withdraw', tone: 'bad', label: 'Withdraw enabled' })
  else if (v.transferEnabled === true) push({ id: 'withdraw', tone: 'bad', label: 'Transfers enabled' })
  else if (v.withdrawEnabled === false) push({ id: 'withdraw', tone: 'ok', label: 'Withdraw disabled' })
  // A generated key pair has no key at the exchange yet: there are no permissions to check, and it cannot be used.
  else if (v.status !== 'verified' && v.status !== 'awaiting_api_key') push({ id: 'withdraw', tone: 'warn', label: 'Withdraw permission not checked' })

  if (v.ipRestricted === true) push({ id: 'ip', tone: 'ok', label: 'IP restricted' })
  else if (v.ipRestricted === false) push({ id: 'ip', tone: 'warn', label: 'Not IP restricted' })
  else if (v.status === 'verified') push({ id: 'ip', tone: 'pending', label: `IP restriction not reported by ${exchangeName}` })

  if (v.tradingEnabled === false) push({ id: 'trading', tone: 'warn', label: 'Trading disabled' })

  if (typeof v.expiresAt === 'string') {
    const at = Date.parse(v.expiresAt)
    if (!Number.isNaN(at)) {
      const days = Math.floor((at - now.getTime()) / DAY_MS)
      if (at <= now.getTime()) push({ id: 'expiry', tone: 'bad', label: 'Key expired' })
      else if (days < EXPIRY_WARN_DAYS) push({ id: 'expiry', tone: 'warn', label: days < 1 ? 'Expires today' : `Expires in ${daysLabel(days)}` })
    }
  }

  push({ id: 'age', tone: account.keyAgeDays >= KEY_AGE_WARN_DAYS ? 'warn' : 'pending', label: keyAgeLabel(account.keyAgeDays) })
  return badges
}

/** The sentence under a disabled key: why, in the signer's words. */
export const disabledText = (account: ExchangeAccount): string | undefined => {
  if (account.state !== 'disabled') return undefined
  const reason = account.disabledReason?.trim()
  return reason === undefined || reason === '' ? 'Disabled.' : `Disabled: ${reason}.`.replace(/\.\.$/, '.')
}

/**
 * A key that is not active can be asked to come back (a widening); an active or unverified one can be
 * disabled. A generated key pair still waiting for its API key can only be finished or removed: there
 * is nothing at the exchange yet to verify, replace, enable or disable.
 */
export const canEnable = (account: ExchangeAccount): boolean => !isAwaitingApiKey(account) && (account.state === 'disabled' || account.state === 'unverified')
export const canDisable = (account: ExchangeAccount): boolean => !isAwaitingApiKey(account) && (account.state === 'active' || account.state === 'unverified')
/** A key waiting for a second person's approval (R42) can only be removed until it is approved or discarded. */
export const isAwaitingApproval = (account: ExchangeAccount): boolean => account.state === 'pending_approval'
export const canVerifyNow = (account: ExchangeAccount): boolean => !isAwaitingApiKey(account) && !isAwaitingApproval(account)
export const canReplaceKey = (account: ExchangeAccount): boolean => !isAwaitingApiKey(account) && !isAwaitingApproval(account)
export const canEditLimits = (account: ExchangeAccount): boolean => !isAwaitingApproval(account)

/** "Binance (spot)", "Bybit USDT perpetuals (linear)": the exchange as the catalogue names it, or its id. */
export const exchangeDisplayName = (exchangeId: string, catalogue: readonly CatalogueEntry[]): string =>
  catalogue.find((entry) => entry.id === exchangeId)?.name ?? exchangeId

export const marketLabel = (market: string): string => (market === 'linear' ? 'linear futures' : market === 'spot' ? 'spot' : formatCheckName(market))
