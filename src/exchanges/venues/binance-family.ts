import type { EndpointRule } from '../venue-spec.js'

/**
 * What Binance, Binance USDⓈ-M and Binance.US share: ccxt's `binance` class signs all three, and the
 * `sapi` wallet/key-management family sits on the same host for Binance and Binance USDⓈ-M.
 */

/** Loading markets with a key would call sapi capital/config/getall and margin/allPairs (reference finding 2). */
export const binanceQuietLoad = { fetchCurrencies: false, fetchMargins: false }

/** The paths the shared deny pattern does not name (reference TSV, categories convert/transfer/apikey). */
export const binanceDenyPatterns = [
  '^/sapi/v\\d/bswap/', // liquidity pools: liquidityRemove pays out of the pool
  'exchange-small-liability', // margin "small liability exchange" converts dust
  '^/sapi/v\\d/account/apiRestrictions/', // IP-restriction management under the key's own read
  '^/sapi/v\\d/copyTrading/',
  '^/sapi/v\\d/(asset|margin|portfolio|futures|algo|lending|simple-earn|eth-staking|sol-staking)/',
]

export const binanceSignedBy = { headers: ['x-mbx-apikey'], query: ['signature'] }

export const binanceApiRestrictions: EndpointRule = {
  method: 'GET',
  path: '/sapi/v1/account/apiRestrictions',
  use: 'verify',
  why: "the key's own permissions and IP restriction; read once at connect and by the daily re-check",
}

/** Binance's documented client order id rule, `^[\.A-Z\:/a-z0-9_-]{1,36}$`. */
export const binanceClientOrderId = {
  venueField: 'newClientOrderId',
  maxLength: 36,
  pattern: '^[A-Za-z0-9._:/-]{1,36}$',
  addedPrefix: null,
  note: 'Unique among open orders. ccxt adds its broker prefix only when we send no id of our own.',
}
