import { newWallet } from './spot-ledger.js'

/**
 * Shared types and the error table of the Binance spot emulator. Error codes, messages and HTTP statuses
 * follow Binance's REST API so that ccxt's production error mapping (`binance.exceptions`) applies.
 */

/** The flags `GET /sapi/v1/account/apiRestrictions` reports for an API key. */
export type ApiPermissions = {
  enableReading: boolean
  enableSpotAndMarginTrading: boolean
  enableWithdrawals: boolean
  enableInternalTransfer: boolean
  permitsUniversalTransfer: boolean
  enableMargin: boolean
  enableFutures: boolean
  enableVanillaOptions: boolean
}

export const defaultPermissions: ApiPermissions = {
  enableReading: true,
  enableSpotAndMarginTrading: true,
  enableWithdrawals: false,
  enableInternalTransfer: false,
  permitsUniversalTransfer: false,
  enableMargin: false,
  enableFutures: false,
  enableVanillaOptions: false,
}

/** How the key signs: an HMAC-SHA256 secret, or an Ed25519 public key (the client holds the private key). */
type AccountCredential = { secret: string; ed25519PublicKeyPem?: never } | { ed25519PublicKeyPem: string; secret?: never }

/** Everything about an account except its key and credential. */
export type EmulatorAccountSettings = {
  permissions?: Partial<ApiPermissions>
  /** When true, only `ipWhitelist` addresses may use the key (Binance's "Restrict access to trusted IPs only"). */
  ipRestrict?: boolean
  ipWhitelist?: string[]
  /** Epoch ms after which spot trading is refused; reported by apiRestrictions when set. */
  tradingAuthorityExpirationTime?: number
  /** Spot wallet balances as decimal strings, e.g. `{ USDT: '10000', BTC: '0.5' }`. */
  balances?: Record<string, string>
}

export type EmulatorAccount = AccountCredential & EmulatorAccountSettings & { apiKey: string }

export const toAccountState = (a: EmulatorAccount, createTime: number): AccountState => ({
  apiKey: a.apiKey,
  credential: a.secret !== undefined ? { secret: a.secret } : { ed25519PublicKeyPem: a.ed25519PublicKeyPem },
  permissions: { ...defaultPermissions, ...a.permissions },
  ipRestrict: a.ipRestrict ?? false,
  ipWhitelist: [...(a.ipWhitelist ?? [])],
  tradingAuthorityExpirationTime: a.tradingAuthorityExpirationTime,
  createTime,
  balances: newWallet(a.balances),
  orders: [],
  trades: [],
})

/** One asset in the spot wallet; decimal strings without exponent. */
export type BalanceEntry = { free: string; locked: string }

export type OrderSide = 'BUY' | 'SELL'
export type OrderType = 'MARKET' | 'LIMIT' | 'LIMIT_MAKER'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'
export type OrderStatus = 'NEW' | 'FILLED' | 'CANCELED' | 'EXPIRED'

export type Fill = { price: string; qty: string; commission: string; commissionAsset: string; tradeId: number }

export type OrderRecord = {
  symbol: string
  orderId: number
  clientOrderId: string
  side: OrderSide
  type: OrderType
  timeInForce: TimeInForce
  /** Limit price; '0' for market orders, as Binance reports it. */
  price: string
  origQty: string
  origQuoteOrderQty: string
  executedQty: string
  cummulativeQuoteQty: string
  status: OrderStatus
  time: number
  updateTime: number
  /** The asset and amount moved from free to locked while the order is open. */
  reserved: { asset: string; amount: string }
  fills: Fill[]
}

export type TradeRecord = {
  symbol: string
  id: number
  orderId: number
  orderListId: -1
  price: string
  qty: string
  quoteQty: string
  commission: string
  commissionAsset: string
  time: number
  isBuyer: boolean
  isMaker: boolean
  isBestMatch: true
}

/** The emulator's live state for one API key; tests may mutate it (e.g. flip `permissions.enableWithdrawals`). */
export type AccountState = {
  readonly apiKey: string
  readonly credential: AccountCredential
  permissions: ApiPermissions
  ipRestrict: boolean
  ipWhitelist: string[]
  tradingAuthorityExpirationTime: number | undefined
  readonly createTime: number
  /** Spot wallet; missing assets are zero. */
  balances: Map<string, BalanceEntry>
  readonly orders: OrderRecord[]
  readonly trades: TradeRecord[]
}

/** A Binance `{code, msg}` error with the HTTP status Binance sends it with. */
export class BinanceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(msg)
    this.name = 'BinanceApiError'
  }
}

/** Every error the emulator returns. The ccxt class each maps to (through pointAt) is in README.md. */
export const binanceErrors = {
  unknownRoute: (method: string, path: string) => new BinanceApiError(404, -5000, `Path ${path}, Method ${method} is invalid`),
  notAuthorized: () => new BinanceApiError(401, -1002, 'You are not authorized to execute this request.'),
  tooManyRequests: (ip: string, limit: number, retryAfterSeconds: number) =>
    new BinanceApiError(429, -1003, `Too many requests; current limit of IP(${ip}) request weight is ${limit} per 1 MINUTE. Please use WebSocket Streams for live updates to avoid bans.`, { 'Retry-After': String(retryAfterSeconds) }),
  ipBanned: (ip: string, until: number, retryAfterSeconds: number) =>
    new BinanceApiError(418, -1003, `Way too many requests; IP(${ip}) banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`, { 'Retry-After': String(retryAfterSeconds) }),
  filterFailure: (filter: 'PRICE_FILTER' | 'LOT_SIZE' | 'NOTIONAL') => new BinanceApiError(400, -1013, `Filter failure: ${filter}`),
  timestampAhead: () => new BinanceApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutsideWindow: () => new BinanceApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  badSignature: () => new BinanceApiError(400, -1022, 'Signature for this request is not valid.'),
  illegalChars: (name: string, legal: string) => new BinanceApiError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '${legal}'.`),
  mandatory: (name: string) => new BinanceApiError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  invalidTimeInForce: () => new BinanceApiError(400, -1115, 'Invalid timeInForce.'),
  invalidOrderType: () => new BinanceApiError(400, -1116, 'Invalid orderType.'),
  invalidSide: () => new BinanceApiError(400, -1117, 'Invalid side.'),
  invalidInterval: () => new BinanceApiError(400, -1120, 'Invalid interval.'),
  invalidSymbol: () => new BinanceApiError(400, -1121, 'Invalid symbol.'),
  recvWindowTooLarge: () => new BinanceApiError(400, -1131, 'recvWindow must be less than 60000'),
  duplicateOrder: () => new BinanceApiError(400, -2010, 'Duplicate order sent.'),
  insufficientBalance: () => new BinanceApiError(400, -2010, 'Account has insufficient balance for requested action.'),
  wouldTake: () => new BinanceApiError(400, -2010, 'Order would immediately match and take.'),
  unknownOrderCancel: () => new BinanceApiError(400, -2011, 'Unknown order sent.'),
  orderDoesNotExist: () => new BinanceApiError(400, -2013, 'Order does not exist.'),
  apiKeyFormatInvalid: () => new BinanceApiError(401, -2014, 'API-key format invalid.'),
  rejectedKey: (ip: string) => new BinanceApiError(401, -2015, `Invalid API-key, IP, or permissions for action, request ip: ${ip}`),
} as const
