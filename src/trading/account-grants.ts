import type { AuditActor } from '../monitoring/index.js'
import { AppError } from '../lib/errors.js'
import type { AccountRef, TradableAccounts, TradingActor } from './trading-types.js'

/**
 * Per-member grants (issue 10): a trader whose membership is narrowed trades only on the exchange
 * accounts granted to them. Every service entry that places, edits, cancels, closes, starts, pauses,
 * promotes or creates something on an exchange account checks it; reads stay workspace-wide (a trader
 * sees the desk's book).
 *
 * Stopping a bot and the kill switch are NOT narrowed: stopping is always safe, so anyone who may trade
 * can pull the brake on any bot, as the policy table already says for the kill switch. Pausing is
 * narrowed: a paused bot is one its operator means to start again, which is running it.
 */
export const mayTradeOn = (accounts: TradableAccounts, account: AccountRef): boolean => account.kind === 'demo' || accounts === 'all' || accounts.has(account.id)

/** @throws AppError FORBIDDEN (reason ACCOUNT_NOT_GRANTED) when the actor may not trade on that exchange account */
export const assertMayTradeOn = (actor: Pick<TradingActor, 'accounts'>, account: AccountRef): void => {
  if (!mayTradeOn(actor.accounts, account)) throw new AppError('FORBIDDEN', 'you may trade only on the exchange accounts granted to you', { reason: 'ACCOUNT_NOT_GRANTED' })
}

/** The audit actor and request facts of a trading actor. */
export const auditFieldsOf = (a: TradingActor): { actor: AuditActor; ip?: string | undefined; requestId?: string | undefined } => ({
  actor: { type: a.tokenId ? 'api_token' : 'user', id: a.userId },
  ...(a.ip === undefined ? {} : { ip: a.ip }),
  ...(a.requestId === undefined ? {} : { requestId: a.requestId }),
})
