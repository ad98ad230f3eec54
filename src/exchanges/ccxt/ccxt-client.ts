import ccxt, { type Exchange } from 'ccxt'
import { AppError } from '../../lib/errors.js'
import { venueSpec } from '../venues/registry.js'
import { enableTestEnvironment } from './sandbox.js'

type ErrorHandler = (code: number, reason: string, url: string, ...rest: unknown[]) => unknown

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
 * ccxt's Binance classes pick their market-type error tables by URL prefix, so on a redirected URL
 * (testnet proxy, emulator) e.g. USDⓈ-M's "margin is insufficient" would become a plain ExchangeError.
 * This makes the instance's error handling see the production URL again.
 */
export const restoreProductionErrorMapping = (exchange: object, rewrites: UrlRewrites): void => {
  const target = exchange as { handleErrors?: ErrorHandler }
  const original = target.handleErrors
  if (typeof original !== 'function' || rewrites.length === 0) return
  target.handleErrors = (code, reason, url, ...rest) => original.call(exchange, code, reason, productionUrl(rewrites, url), ...rest)
}

/**
 * Rewrites scheme and host of every REST base URL, keeping paths, so a venue can be pointed at a
 * testnet, a proxy or the emulator while ccxt keeps its production error mapping.
 */
export const redirectEndpoints = (exchange: Exchange, base: string, options: { keepProductionErrors?: boolean } = {}): UrlRewrites => {
  const origin = new URL(base).origin
  const rewrites: Array<[string, string]> = []
  const hostname = (exchange as unknown as { hostname?: string }).hostname
  const walk = (node: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') {
        const redirected = v.replace(/^https?:\/\/[^/]+/, origin)
        if (redirected !== v) rewrites.push([redirected, v.replace('{hostname}', hostname ?? '{hostname}')])
        node[k] = redirected
      } else if (v && typeof v === 'object') walk(v as Record<string, unknown>)
    }
  }
  walk(exchange.urls.api as Record<string, unknown>)
  rewrites.sort((a, b) => b[0].length - a[0].length)
  if (options.keepProductionErrors ?? true) restoreProductionErrorMapping(exchange, rewrites)
  return rewrites
}

type ExchangeClass = new (config: Record<string, unknown>) => Exchange

export type CcxtClientOptions = {
  /** Venue id (or ccxt id) → base URL (BULWARK_EXCHANGE_ENDPOINTS). The venue id wins. */
  endpoints?: Readonly<Record<string, string>>
  timeoutMs?: number
  /** Classes for venues ccxt no longer ships (EXMO: src/exchanges/exmo/), keyed by venue id. */
  customClasses?: Readonly<Record<string, ExchangeClass>>
  /** The venue's testnet/demo environment (enableTestEnvironment), for accounts marked testnet. */
  testnet?: boolean
}

/**
 * A fresh ccxt instance for one venue (a catalogue id such as `binance` or `bybit-linear`), with no
 * credentials and the venue's presets (./venues/<id>.ts), so unified methods and loadMarkets send no
 * signed request we did not ask for. Rate limiting is the signer's shared budget, not ccxt's
 * per-instance throttle; ccxt never retries (maxRetriesOnFailure stays 0).
 * @throws AppError BAD_INPUT for a venue we do not support, or EXMO without its class
 */
export const createCcxtClient = (venue: string, opts: CcxtClientOptions = {}): Exchange => {
  const spec = venueSpec(venue)
  if (!spec) throw new AppError('BAD_INPUT', `exchange "${venue}" is not supported`)
  const { ccxtId } = spec.catalogue
  const Ctor = ccxtId === null ? opts.customClasses?.[venue] : (ccxt as unknown as Record<string, ExchangeClass | undefined>)[ccxtId]
  if (!Ctor) throw new AppError('BAD_INPUT', `exchange "${venue}" is not available in this build (${ccxtId === null ? 'its own venue class was not supplied' : `ccxt has no "${ccxtId}"`})`)
  const exchange = new Ctor({
    enableRateLimit: false,
    timeout: opts.timeoutMs ?? 10_000,
    // Venues that sign a timestamp measure the offset from the venue's public time endpoint in loadMarkets.
    options: { ...structuredClone(spec.ccxt.options), adjustForTimeDifference: spec.catalogue.clock.adjustForTimeDifference },
    ...(spec.ccxt.has ? { has: { ...spec.ccxt.has } } : {}),
  })
  // The test environment first: a redirect (emulator, proxy) then applies to the test URLs.
  if (opts.testnet) enableTestEnvironment(exchange, venue)
  const base = opts.endpoints?.[venue] ?? (ccxtId === null ? undefined : opts.endpoints?.[ccxtId])
  if (base) redirectEndpoints(exchange, base)
  return exchange
}

/**
 * Gives a per-key instance what the venue's public instance already learned: markets and currencies
 * (so it never loads them with a key set) and the measured clock offset (ccxt keeps it in
 * `options.timeDifference`, which only the instance that loaded markets has).
 */
export const adoptPublicState = (target: Exchange, source: Exchange) => {
  target.setMarkets(source.markets, source.currencies as unknown as undefined)
  const offset = (source.options as Record<string, unknown>)['timeDifference']
  if (typeof offset === 'number') (target.options as Record<string, unknown>)['timeDifference'] = offset
}
