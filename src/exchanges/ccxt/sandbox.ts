import type { Exchange } from 'ccxt'
import { AppError } from '../../lib/errors.js'
import { venueSpec } from '../venues/registry.js'

/** Every leaf of a ccxt URL map is a real http(s) URL with a host (ccxt leaves `undefined` or '' where it has none). */
const allRealUrls = (node: unknown): boolean => {
  if (typeof node === 'string') {
    try {
      const u = new URL(node)
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== ''
    } catch {
      return false
    }
  }
  if (node === null || typeof node !== 'object') return false
  const values = Object.values(node)
  return values.length > 0 && values.every(allRealUrls)
}

/**
 * ccxt's `setSandboxMode(true)`, refused unless the instance has a real test URL map. ccxt's base
 * class declares `urls.test = undefined`, so `'test' in urls` holds for every venue and the switch
 * "succeeds" on KuCoin, Kraken, Bitfinex, XT, HTX and MEXC, sending requests to `undefined/…`
 * (reference finding 4).
 * @throws AppError BAD_INPUT when there is no test environment to switch to
 */
export const guardedSetSandboxMode = (exchange: Exchange) => {
  if (!allRealUrls((exchange.urls as Record<string, unknown>)['test'])) throw new AppError('BAD_INPUT', `${exchange.id} has no test environment in ccxt: use the emulator instead`)
  exchange.setSandboxMode(true)
  if (!allRealUrls(exchange.urls.api)) throw new AppError('INTERNAL', `${exchange.id}: the test environment left requests without a host`)
}

/**
 * Switches a fresh instance of `venue` to the test environment the catalogue names, the way that is
 * safe for it: demo trading for Binance USDⓈ-M (ccxt refuses to sign for the old futures testnet,
 * reference finding 5) and Bybit; setSandboxMode only where ccxt has a real test URL or a same-host
 * demo flag (OKX, Bitget via enableDemoTrading, Gate, BloFin); nothing for venues without one,
 * including Binance.US, whose inherited test URLs belong to Binance.com.
 * @throws AppError BAD_INPUT when the venue has no test environment Bulwark can use
 */
export const enableTestEnvironment = (exchange: Exchange, venue: string) => {
  const spec = venueSpec(venue)
  if (!spec) throw new AppError('BAD_INPUT', `exchange "${venue}" is not supported`)
  const { sandbox, name } = spec.catalogue
  if (sandbox.switch === null) throw new AppError('BAD_INPUT', `${name} has no testnet or demo environment Bulwark can use: ${sandbox.note}`)
  const urls = exchange.urls as Record<string, unknown>
  if (sandbox.switch === 'setSandboxMode') {
    // OKX's demo shares the production host (a header marks it), and its test map says so.
    guardedSetSandboxMode(exchange)
  } else if (urls['demo'] !== undefined || urls['demotrading'] !== undefined) {
    if (!allRealUrls(urls['demo'] ?? urls['demotrading'])) throw new AppError('INTERNAL', `${name}: ccxt's demo URLs are incomplete`)
    exchange.enableDemoTrading(true)
  } else {
    // Bitget: enableDemoTrading keeps the host and flags every signed request (PAPTRADING: 1).
    exchange.enableDemoTrading(true)
  }
  if (!allRealUrls(exchange.urls.api)) throw new AppError('INTERNAL', `${name}: the test environment left requests without a host`)
}
