/**
 * Points a ccxt exchange instance at a local emulator: rewrites scheme and host of every string in
 * `exchange.urls.api` (nested maps included) and keeps the path prefix, e.g.
 * `https://api.binance.com/api/v3` → `http://127.0.0.1:PORT/api/v3` (exchanges.md §6).
 *
 * Consequence worth knowing: ccxt picks Binance's market-type-specific error tables by URL prefix
 * (`https://api.binance.com/…`), so against the emulator only the common `exact`/`broad` tables apply.
 */
type UrlTree = { [key: string]: unknown }

const isTree = (value: unknown): value is UrlTree => typeof value === 'object' && value !== null

export const pointAt = (exchange: { urls: { api: unknown } }, baseUrl: string): void => {
  const base = baseUrl.replace(/\/+$/, '')
  const walk = (node: UrlTree) => {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string') node[key] = value.replace(/^https?:\/\/[^/]+/, base)
      else if (isTree(value)) walk(value)
    }
  }
  if (isTree(exchange.urls.api)) walk(exchange.urls.api)
}
