import { AppError } from '../lib/errors.js'
import { catalogueEntry } from '../exchanges/index.js'
import type { Credentials } from '../vault/index.js'
import type { Executor } from './executor.js'

/** What the exchange says about a key's own permissions; stored with the key, shown as badges. */
export type Verification = {
  status: 'verified' | 'unverifiable' | 'unreachable'
  checkedAt: string
  withdrawEnabled?: boolean
  transferEnabled?: boolean
  tradingEnabled?: boolean
  ipRestricted?: boolean
  expiresAt?: string | null
  note?: string
}

/**
 * Reads the key's permissions from the exchange itself (never by probing a withdrawal). A key that can
 * withdraw or transfer is refused with the fix in the message; one the exchange cannot be asked about
 * now is stored `unverified` and cannot execute.
 * @throws AppError KEY_HAS_WITHDRAW_PERMISSION, EXCHANGE_AUTH (the exchange refused the key)
 */
export const verifyKeyAtExchange = async (executor: Executor, tempId: string, exchange: string, credentials: Credentials, now: Date): Promise<Verification> => {
  const entry = catalogueEntry(exchange)
  const checkedAt = now.toISOString()
  if (!entry || entry.permissionCheck === 'none') return { status: 'unverifiable', checkedAt, note: `permissions cannot be verified on ${exchange}` }
  let r: Record<string, unknown>
  try {
    r = await executor.runRaw(tempId, entry.ccxtId, credentials, (ex) => (ex as unknown as { sapiGetAccountApiRestrictions: () => Promise<Record<string, unknown>> }).sapiGetAccountApiRestrictions())
  } catch (err) {
    if (err instanceof AppError && err.code === 'EXCHANGE_UNAVAILABLE') return { status: 'unreachable', checkedAt, note: `${entry.name} did not answer; the key stays unverified until it does` }
    throw err
  } finally {
    executor.forget(tempId)
  }
  // Fail closed: an answer without the permission flags verifies nothing.
  const flags = ['enableWithdrawals', 'enableInternalTransfer', 'permitsUniversalTransfer', 'ipRestrict', 'enableSpotAndMarginTrading'] as const
  if (!flags.every((f) => typeof r[f] === 'boolean')) return { status: 'unverifiable', checkedAt, note: `${entry.name} answered without the permission flags; the key stays unverified` }
  const verification: Verification = {
    status: 'verified',
    checkedAt,
    withdrawEnabled: r.enableWithdrawals === true,
    transferEnabled: r.enableInternalTransfer === true || r.permitsUniversalTransfer === true,
    tradingEnabled: r.enableSpotAndMarginTrading === true,
    ipRestricted: r.ipRestrict === true,
    expiresAt: typeof r.tradingAuthorityExpirationTime === 'number' ? new Date(r.tradingAuthorityExpirationTime).toISOString() : null,
  }
  if (verification.withdrawEnabled || verification.transferEnabled) {
    throw new AppError(
      'KEY_HAS_WITHDRAW_PERMISSION',
      `this ${entry.name} key can ${verification.withdrawEnabled ? 'withdraw' : 'transfer'} funds: edit it at ${entry.name} (API Management), untick "Enable Withdrawals" and "Permits Universal Transfer"/"Internal Transfer", then connect it again`,
    )
  }
  return verification
}
