/**
 * Points a ccxt exchange instance at a local emulator: rewrites scheme and host of every string in
 * `exchange.urls.api` (nested maps included) and keeps the path prefix, e.g.
 * `https://api.binance.com/api/v3` → `http://127.0.0.1:PORT/api/v3` (exchanges.md §6).
 *
 * Production error mapping. ccxt's binance, binanceusdm and binanceus pick their market-type error
 * tables by URL prefix (`getExceptionsByUrl`: `https://api.binance.com/` → spot, `https://fapi.binance.com/`
 * → linear …). Against a redirected URL those tables are skipped and, e.g., USDⓈ-M's -2019 "Margin is
 * insufficient." becomes a plain ExchangeError instead of InsufficientFunds. No emulator-side fix exists:
 * the URL ccxt hands to `handleErrors` is the one it sent (the proxy options change it too, and a TLS
 * proxy keeping the production host would need a trusted certificate in every client). So the fix is on
 * the client: `pointAt` wraps the instance's `handleErrors` to pass the production URL the request would
 * have had. The other 14 venues' `handleErrors` do not depend on the host (Bybit looks at the path only).
 * The signer's `redirectEndpoints` (src/exchanges/ccxt/ccxt-client.ts) does this for BULWARK_EXCHANGE_ENDPOINTS;
 * `pointAt` is that same function.
 */
import { redirectEndpoints } from '../../src/exchanges/ccxt/index.js'
import type { Exchange } from 'ccxt'

export { productionUrl, restoreProductionErrorMapping, type UrlRewrites } from '../../src/exchanges/ccxt/index.js'

type Pointable = { urls: { api: unknown }; hostname?: string }

/** The signer's own redirect (src/exchanges/ccxt), so tests point ccxt exactly as production does. */
export const pointAt = (exchange: Pointable, baseUrl: string, options: { keepProductionErrors?: boolean } = {}): void => {
  redirectEndpoints(exchange as unknown as Exchange, baseUrl.replace(/\/+$/, ''), options)
}
