/**
 * The permission boxes to tick and to leave unticked when creating a key, per catalogue id, in each
 * exchange's own words. The same facts are in the catalogue's key guide as sentences
 * (src/exchanges/venues/<id>.ts `keyGuide.steps`, sourced from ../shared/reference/exchanges.md);
 * here they are lists, so the guide can show them as a checklist. Only exchanges whose guide quotes
 * the box names are listed (XT and EXMO do not name theirs); one missing here still gets its catalogue
 * steps: the checklist is an aid, never the only instruction.
 */

export type PermissionChecklist = {
  /** Exactly these, and nothing else. */
  tick: readonly string[]
  /** Named because they are the ones that move funds; Bulwark refuses a key that has them. */
  untick: readonly string[]
}

const binanceUntick = ['Enable Withdrawals', 'Enable Internal Transfer', 'Permits Universal Transfer'] as const
const bybitUntick = ['Assets → Withdrawal', 'Assets → Account Transfer', 'Assets → Subaccount Transfer', 'Exchange / Convert'] as const
const bitgetUntick = ['Wallet (withdraw, transfer)', 'Convert', 'Sub-account'] as const

const checklists: Readonly<Record<string, PermissionChecklist>> = {
  binance: { tick: ['Enable Reading', 'Enable Spot & Margin Trading'], untick: binanceUntick },
  binanceusdm: { tick: ['Enable Reading', 'Enable Futures'], untick: binanceUntick },
  binanceus: { tick: ['Can Read', 'Can Trade'], untick: ['Withdrawals'] },
  okx: { tick: ['Read', 'Trade'], untick: ['Withdraw'] },
  bybit: { tick: ['Read-Write', 'Unified Trading → Spot → Trade'], untick: bybitUntick },
  'bybit-linear': { tick: ['Read-Write', 'Unified Trading → Contract → Orders', 'Unified Trading → Contract → Positions'], untick: bybitUntick },
  kucoin: { tick: ['General', 'Spot Trading'], untick: ['Transfer', 'Withdrawal', 'Margin', 'Futures'] },
  bitget: { tick: ['Read-Write', 'Spot trading'], untick: bitgetUntick },
  'bitget-futures': { tick: ['Read-Write', 'Futures: Orders', 'Futures: Holdings'], untick: bitgetUntick },
  gate: { tick: ['Spot/Margin Trade: Read and Write'], untick: ['Wallet', 'Withdrawal', 'Sub-account', 'Flash swap'] },
  kraken: {
    tick: ['Query Funds', 'Query Open Orders & Trades', 'Query Closed Orders & Trades', 'Create & Modify Orders', 'Cancel & Close Orders'],
    untick: ['Deposit Funds', 'Withdraw Funds', 'Export Data', 'Earn'],
  },
  bitfinex: {
    tick: ['Account History: read', 'Orders: read and write', 'Wallets: read'],
    untick: ['Withdraw', 'Wallets: write (transfers)', 'Margin Funding', 'Margin Trading', 'Settings'],
  },
  htx: { tick: ['Read-only', 'Trade'], untick: ['Withdraw'] },
  blofin: { tick: ['Read', 'Trade'], untick: ['Transfer'] },
  mexc: { tick: ['Account: read', 'Trade: spot trading'], untick: ['Withdrawal', 'Transfer'] },
}

/** The checklist for a catalogue id, or undefined for an exchange this dashboard has no list for. */
export const permissionChecklist = (exchangeId: string): PermissionChecklist | undefined => checklists[exchangeId]

/** The catalogue ids that have a checklist; a test keeps it in step with the catalogue. */
export const exchangesWithChecklist = (): string[] => Object.keys(checklists)
