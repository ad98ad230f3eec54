import type { SpotAccount } from './spot-ledger.js'

/**
 * Types and the error table of the Bybit v5 emulator. `retCode`/`retMsg` and HTTP statuses follow Bybit
 * so that ccxt's production mapping (`bybit.exceptions.exact`) applies; see README.md.
 */

/** `permissions` as `GET /v5/user/query-api` reports them: group → granted actions. */
export type BybitPermissions = {
  ContractTrade: string[]
  Spot: string[]
  /** 'AccountTransfer', 'SubMemberTransfer', 'Withdraw' (the last for master keys only). */
  Wallet: string[]
  Options: string[]
  Derivatives: string[]
  CopyTrading: string[]
  BlockTrade: string[]
  Exchange: string[]
  NFT: string[]
  Affiliate: string[]
  Earn: string[]
}

export const defaultBybitPermissions: BybitPermissions = {
  ContractTrade: ['Order', 'Position'],
  Spot: ['SpotTrade'],
  Wallet: [],
  Options: [],
  Derivatives: [],
  CopyTrading: [],
  BlockTrade: [],
  Exchange: [],
  NFT: [],
  Affiliate: [],
  Earn: [],
}

export type BybitAccountSettings = {
  /** Merged over `defaultBybitPermissions` group by group. */
  permissions?: Partial<BybitPermissions>
  /** A read-only key (Bybit's "Read-Only" radio button). */
  readOnly?: boolean
  /** IPs bound to the key; `['*']` (the default) means any IP. */
  ips?: string[]
  /** ISO 8601; undefined → 90 days after creation for keys without bound IPs (as Bybit does), none otherwise. */
  expiredAt?: string | null
  isMaster?: boolean
  /** Unified-account wallet balances as decimal strings. */
  balances?: Record<string, string>
}

export type BybitAccount = BybitAccountSettings & { apiKey: string; secret: string }

export type BybitAccountState = SpotAccount & {
  readonly apiKey: string
  readonly secret: string
  readonly id: string
  readonly userId: number
  readonly createdAt: number
  permissions: BybitPermissions
  readOnly: boolean
  ips: string[]
  expiredAt: string | null
  isMaster: boolean
}

export class BybitApiError extends Error {
  constructor(
    readonly status: number,
    readonly retCode: number,
    readonly retMsg: string,
  ) {
    super(retMsg)
    this.name = 'BybitApiError'
  }
}

export const bybitErrors = {
  notFound: () => new BybitApiError(404, 10001, 'Not Found'),
  params: (detail: string) => new BybitApiError(200, 10001, `params error: ${detail}`),
  timestamp: (req: number, server: number, recv: number) =>
    new BybitApiError(200, 10002, `invalid request, please check your server timestamp or recv_window param. req_timestamp[${req}],server_timestamp[${server}],recv_window[${recv}]`),
  invalidKey: () => new BybitApiError(401, 10003, 'API key is invalid.'),
  badSign: () => new BybitApiError(401, 10004, 'error sign! origin_string[]'),
  permission: () => new BybitApiError(200, 10005, 'Permission denied, please check your API key permissions.'),
  missingKey: () => new BybitApiError(401, 10007, 'User authentication failed.'),
  ipMismatch: () => new BybitApiError(401, 10010, "Unmatched IP, please check your API key's bound IP addresses."),
  expired: () => new BybitApiError(401, 33004, 'Your api key has expired.'),
  duplicateLinkId: () => new BybitApiError(200, 110072, 'OrderLinkedID is duplicate'),
  invalidSymbol: () => new BybitApiError(200, 170121, 'Invalid symbol.'),
  insufficient: () => new BybitApiError(200, 170131, 'Insufficient balance.'),
  priceDecimals: () => new BybitApiError(200, 170134, 'Order price has too many decimals.'),
  qtyTooSmall: () => new BybitApiError(200, 170136, 'Order quantity lower than the minimum.'),
  qtyDecimals: () => new BybitApiError(200, 170137, 'Order quantity has too many decimals.'),
  valueTooSmall: () => new BybitApiError(200, 170140, 'Order value exceeded lower limit.'),
  orderMissing: () => new BybitApiError(200, 170213, 'Order does not exist.'),
  withdrawInsufficient: () => new BybitApiError(200, 131212, 'Insufficient balance'),
} as const
