import { AuthenticationError, BadRequest, ExchangeError, InsufficientFunds, InvalidNonce, InvalidOrder, OnMaintenance, OrderNotFound, PermissionDenied, RateLimitExceeded } from 'ccxt'

/** The static half of the EXMO class: routes, capabilities and EXMO's error codes. */

/** Read-only and trading routes the unified methods use (paths under /v1.1/). */
export const exmoPublicPaths = ['pair_settings', 'ticker', 'order_book', 'trades', 'currency', 'candles_history'] as const
export const exmoPrivatePaths = ['user_info', 'order_create', 'order_cancel', 'user_open_orders', 'user_trades', 'order_trades', 'user_cancelled_orders'] as const
/** Funds out, vouchers, deposit addresses, margin withdrawals (../shared/reference/endpoints/exmo-*.tsv). */
export const exmoFundMovingPaths = [
  'deposit_address',
  'withdraw_crypt',
  'withdraw_get_txid',
  'excode_create',
  'excode_load',
  'margin/user/position/margin_remove',
  'margin/user/position/margin_remove_info',
] as const

/**
 * EXMO's `client_id` is a positive integer. We keep it below 10^15 so it survives any JSON number
 * parser (2^53 ≈ 9.007·10^15) on either side.
 */
export const exmoClientOrderIdPattern = /^[1-9][0-9]{0,14}$/

/** Merged over ccxt's base `describe()` by `Exmo.describe()`. */
export const exmoDescription = {
  id: 'exmo',
  name: 'EXMO',
  countries: ['LT'],
  version: 'v1.1',
  // EXMO allows 180 requests per minute per IP; the signer's shared budget enforces it, not ccxt.
  rateLimit: 350,
  certified: false,
  pro: false,
  has: {
    CORS: undefined,
    spot: true,
    margin: false,
    swap: false,
    future: false,
    option: false,
    sandbox: false,
    cancelOrder: true,
    createOrder: true,
    createMarketOrder: true,
    createLimitOrder: true,
    createPostOnlyOrder: true,
    createReduceOnlyOrder: false,
    createStopOrder: false,
    editOrder: false,
    fetchBalance: true,
    fetchCanceledOrders: true,
    fetchCurrencies: false,
    fetchDepositAddress: false,
    fetchMarkets: true,
    fetchMyTrades: true,
    fetchOHLCV: true,
    fetchOpenOrders: true,
    fetchOrder: true,
    fetchOrderBook: true,
    fetchOrderTrades: false,
    fetchPositions: false,
    fetchTicker: true,
    fetchTickers: true,
    fetchTrades: true,
    fetchTradingFees: false,
    setLeverage: false,
    setMarginMode: false,
    transfer: false,
    withdraw: false,
  },
  timeframes: { '1m': '1', '5m': '5', '15m': '15', '30m': '30', '45m': '45', '1h': '60', '2h': '120', '3h': '180', '4h': '240', '1d': 'D', '1w': 'W', '1M': 'M' },
  urls: {
    api: { public: 'https://api.exmo.com/v1.1', private: 'https://api.exmo.com/v1.1' },
    www: 'https://exmo.com',
    doc: ['https://documenter.getpostman.com/view/10287440/SzYXWKPi'],
    fees: 'https://exmo.com/en/docs/fees',
  },
  api: {
    public: { get: [...exmoPublicPaths] },
    private: { post: [...exmoPrivatePaths, ...exmoFundMovingPaths] },
  },
  requiredCredentials: { apiKey: true, secret: true },
  fees: { trading: { feeSide: 'get', tierBased: true, percentage: true, maker: 0.004, taker: 0.004 } },
  options: { fetchOHLCV: { maxLimit: 3000 } },
  exceptions: {
    // EXMO answers HTTP 200 with {"result":false,"error":"Error NNNNN: message"}.
    exact: {
      '40005': AuthenticationError, // Authorization error, incorrect signature
      '40009': InvalidNonce, // nonce not greater than the last one used with this key
      '40015': ExchangeError, // API function do not exist
      '40016': OnMaintenance,
      '40017': AuthenticationError, // Wrong API Key
      '40032': PermissionDenied, // Access is denied for this API key
      '40033': PermissionDenied, // resources temporarily blocked for the user
      '40034': RateLimitExceeded,
      '50052': InsufficientFunds,
      '50054': InsufficientFunds,
      '50173': OrderNotFound, // Order with id X was not found (cancel of a closed or unknown order)
      '50277': InvalidOrder, // quantity or amount outside the pair's limits
      '50304': OrderNotFound, // order_trades for an order without trades
      '50319': InvalidOrder, // price below the pair's minimum
      '50321': InvalidOrder, // price above the pair's maximum
      '50381': InvalidOrder, // too many decimal places for the pair
      '140434': BadRequest,
    },
    broad: {
      'API rate limit exceeded': RateLimitExceeded,
      'range period is too long': BadRequest,
      'invalid syntax': BadRequest,
    },
  },
}
