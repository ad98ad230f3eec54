import ccxt, { type Exchange } from 'ccxt'
import { AppError } from '../../lib/errors.js'
import { venueSpec } from '../venues/registry.js'

/**
 * Rewrites scheme and host of every REST base URL, keeping paths, so a venue can be pointed at a
 * testnet, a proxy or the emulator while ccxt keeps its production error mapping.
 */
export const redirectEndpoints = (exchange: Exchange, base: string) => {
  const origin = new URL(base).origin
  const walk = (node: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') node[k] = v.replace(/^https?:\/\/[^/]+/, origin)
      else if (v && typeof v === 'object') walk(v as Record<string, unknown>)
    }
  }
  walk(exchange.urls.api as Record<string, unknown>)
}

type ExchangeClass = new (config: Record<string, unknown>) => Exchange

export type CcxtClientOptions = {
  /** Venue id (or ccxt id) → base URL (BULWARK_EXCHANGE_ENDPOINTS). The venue id wins. */
  endpoints?: Readonly<Record<string, string>>
  timeoutMs?: number
  /** Classes for venues ccxt no longer ships (EXMO: src/exchanges/exmo/), keyed by venue id. */
  customClasses?: Readonly<Record<string, ExchangeClass>>
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
