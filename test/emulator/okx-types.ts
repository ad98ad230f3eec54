import type { SpotAccount } from './spot-ledger.js'

/**
 * Types and the error table of the OKX v5 emulator. Codes, messages and HTTP statuses follow OKX's REST
 * API so that ccxt's production mapping (`okx.exceptions.exact`) applies; see README.md for the ccxt class
 * each one raises.
 */

/** The key's permissions as `GET /api/v5/account/config` reports them in `perm`. */
export type OkxPermission = 'read_only' | 'trade' | 'withdraw'

export type OkxAccountSettings = {
  /** Default `['read_only', 'trade']`. */
  perm?: OkxPermission[]
  /** IPs bound to the key; empty (the default) means any IP may use it. */
  ip?: string[]
  label?: string
  /** Trading-account balances as decimal strings. */
  balances?: Record<string, string>
}

export type OkxAccount = OkxAccountSettings & { apiKey: string; secret: string; passphrase: string }

/** Live state of one key; tests may mutate `perm`, `ip` and `balances`. */
export type OkxAccountState = SpotAccount & {
  readonly apiKey: string
  readonly secret: string
  readonly passphrase: string
  perm: OkxPermission[]
  ip: string[]
  label: string
  readonly uid: string
}

/** An OKX error: HTTP status, `code`, `msg`, and for order operations the per-order `sCode`/`sMsg`. */
export class OkxApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly msg: string,
  ) {
    super(msg)
    this.name = 'OkxApiError'
  }
}

export const okxErrors = {
  notFound: () => new OkxApiError(404, '50000', 'Not Found'), // OKX answers unknown paths with an HTML/404; ccxt maps this code to BadRequest
  emptyHeader: (name: 'OK-ACCESS-KEY' | 'OK-ACCESS-PASSPHRASE' | 'OK-ACCESS-SIGN' | 'OK-ACCESS-TIMESTAMP') => {
    const codes = { 'OK-ACCESS-KEY': '50103', 'OK-ACCESS-PASSPHRASE': '50104', 'OK-ACCESS-SIGN': '50106', 'OK-ACCESS-TIMESTAMP': '50107' } as const
    return new OkxApiError(401, codes[name], `Request header ${name} can't be empty.`)
  },
  timestampExpired: () => new OkxApiError(401, '50102', 'Timestamp request expired'),
  wrongPassphrase: () => new OkxApiError(401, '50105', 'Request header OK-ACCESS-PASSPHRASE incorrect.'),
  invalidIp: (ip: string) => new OkxApiError(401, '50110', `Your IP ${ip} is not included in your API key's IP whitelist.`),
  invalidKey: () => new OkxApiError(401, '50111', 'Invalid OK-ACCESS-KEY.'),
  invalidTimestamp: () => new OkxApiError(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP.'),
  invalidSign: () => new OkxApiError(401, '50113', 'Invalid Sign'),
  noPermission: () => new OkxApiError(200, '50030', 'No permission to use this API'),
  paramError: (name: string) => new OkxApiError(200, '51000', `Parameter ${name} error`),
  instrumentMissing: () => new OkxApiError(200, '51001', "Instrument ID doesn't exist."),
  insufficient: () => new OkxApiError(200, '51008', 'Order failed. Insufficient USDT balance in account.'),
  duplicateClOrdId: () => new OkxApiError(200, '51016', 'Duplicated clOrdId'),
  belowMinimum: () => new OkxApiError(200, '51020', 'Your order should meet or exceed the minimum order amount.'),
  lotSize: () => new OkxApiError(200, '51121', 'Order quantity must be a multiple of the lot size.'),
  priceTick: () => new OkxApiError(200, '51006', 'Order price is not within the price limit'),
  cancelMissing: () => new OkxApiError(200, '51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.'),
  cancelNotOpen: () => new OkxApiError(200, '51401', 'Order cancellation failed as the order has already been canceled or filled.'),
  orderMissing: () => new OkxApiError(200, '51603', "Order doesn't exist."),
  withdrawalInsufficient: () => new OkxApiError(200, '58350', 'Insufficient balance.'),
} as const
