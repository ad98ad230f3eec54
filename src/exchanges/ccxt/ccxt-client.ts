import ccxt, { type Exchange } from 'ccxt'
import { AppError } from '../../lib/errors.js'

/**
 * Options that stop ccxt from sending signed requests we did not ask for (../shared/reference §3b):
 * with keys set, Binance's loadMarkets would otherwise call sapi capital/margin endpoints.
 */
const presets: Record<string, Record<string, unknown>> = {
  binance: {
    fetchCurrencies: false,
    fetchMargins: false,
    fetchMarkets: { types: ['spot'] },
    defaultType: 'spot',
    fetchOpenOrders: { warnWithoutSymbol: false },
  },
}

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

export type CcxtClientOptions = {
  /** ccxt id → base URL (BULWARK_EXCHANGE_ENDPOINTS). */
  endpoints?: Readonly<Record<string, string>>
  timeoutMs?: number
}

/**
 * A fresh ccxt instance for one venue, with no credentials. Rate limiting is the signer's shared
 * budget, not ccxt's per-instance throttle; ccxt never retries (maxRetriesOnFailure stays 0).
 * @throws AppError BAD_INPUT for a venue we do not support
 */
export const createCcxtClient = (venue: string, opts: CcxtClientOptions = {}): Exchange => {
  const Ctor = (ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>)[venue]
  if (!Ctor || !presets[venue]) throw new AppError('BAD_INPUT', `exchange "${venue}" is not supported`)
  const exchange = new Ctor({ enableRateLimit: false, timeout: opts.timeoutMs ?? 10_000, options: { ...presets[venue] } })
  const base = opts.endpoints?.[venue]
  if (base) redirectEndpoints(exchange, base)
  return exchange
}
