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
 * The signer's `redirectEndpoints` (src/exchanges/ccxt/ccxt-client.ts) needs the same wrapper for
 * BULWARK_EXCHANGE_ENDPOINTS; `restoreProductionErrorMapping` below is that wrapper.
 */
type UrlTree = { [key: string]: unknown }
type ErrorHandler = (code: number, reason: string, url: string, ...rest: unknown[]) => unknown
type Pointable = { urls: { api: unknown }; hostname?: string }

const isTree = (value: unknown): value is UrlTree => typeof value === 'object' && value !== null
const hostPattern = /^https?:\/\/[^/]+/

/** `[redirected prefix, production prefix]` pairs, longest redirected prefix first. */
export type UrlRewrites = ReadonlyArray<readonly [string, string]>

/** Maps a redirected URL back to the production URL it stands for (unchanged when nothing matches). */
export const productionUrl = (rewrites: UrlRewrites, url: string): string => {
  for (const [redirected, production] of rewrites) {
    const rest = url.slice(redirected.length)
    if (url.startsWith(redirected) && (rest === '' || rest.startsWith('/') || rest.startsWith('?'))) return production + rest
  }
  return url
}

/**
 * Makes the instance's error handling see production URLs again. Call after the URLs were rewritten,
 * with the pairs the rewrite produced.
 */
export const restoreProductionErrorMapping = (exchange: object, rewrites: UrlRewrites): void => {
  const target = exchange as { handleErrors?: ErrorHandler }
  const original = target.handleErrors
  if (typeof original !== 'function' || rewrites.length === 0) return
  target.handleErrors = (code, reason, url, ...rest) => original.call(exchange, code, reason, productionUrl(rewrites, url), ...rest)
}

export const pointAt = (exchange: Pointable, baseUrl: string, options: { keepProductionErrors?: boolean } = {}): void => {
  const base = baseUrl.replace(/\/+$/, '')
  const rewrites: Array<[string, string]> = []
  const walk = (node: UrlTree) => {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string') {
        const redirected = value.replace(hostPattern, base)
        if (redirected !== value) rewrites.push([redirected, value.replace('{hostname}', exchange.hostname ?? '{hostname}')])
        node[key] = redirected
      } else if (isTree(value)) walk(value)
    }
  }
  if (isTree(exchange.urls.api)) walk(exchange.urls.api)
  rewrites.sort((a, b) => b[0].length - a[0].length)
  if (options.keepProductionErrors ?? true) restoreProductionErrorMapping(exchange, rewrites)
}
