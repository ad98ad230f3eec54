import type { DemoMarketDef } from './engine/index.js'

/**
 * The demo markets: for each symbol the feed carries, a spot market and (quoted in USDT) its linear
 * perpetual, priced from the same series (the perpetual's mark is its last price). Filters are the
 * reference exchange's (Binance spot and USDⓈ-M, as published); a symbol not in the table gets fine
 * generic filters so any price series can be traded.
 */

type Filters = Pick<DemoMarketDef, 'tickSize' | 'lotSize' | 'minNotional' | 'maxLeverage'>

const reference: Record<string, Filters> = {
  'BTC/USDT': { tickSize: '0.01', lotSize: '0.00001', minNotional: '5' },
  'ETH/USDT': { tickSize: '0.01', lotSize: '0.0001', minNotional: '5' },
  'BTC/USDT:USDT': { tickSize: '0.1', lotSize: '0.001', minNotional: '100', maxLeverage: 125 },
  'ETH/USDT:USDT': { tickSize: '0.01', lotSize: '0.001', minNotional: '20', maxLeverage: 125 },
}

const generic: Filters = { tickSize: '0.000001', lotSize: '0.000001', minNotional: '5' }

/** Linear perpetuals settle in this asset (the engine allows one settlement asset). */
export const settleAsset = 'USDT'

const parse = (symbol: string) => {
  const m = /^([A-Z0-9]+)\/([A-Z0-9]+)(?::([A-Z0-9]+))?$/.exec(symbol)
  return m === null ? null : { base: m[1] as string, quote: m[2] as string, settle: m[3] }
}

const defOf = (symbol: string): DemoMarketDef | null => {
  const p = parse(symbol)
  if (p === null) return null
  const isLinear = p.settle !== undefined
  if (isLinear && (p.settle !== settleAsset || p.quote !== settleAsset)) return null
  return { symbol, kind: isLinear ? 'linear' : 'spot', base: p.base, quote: p.quote, ...(reference[symbol] ?? generic) }
}

/** The markets for a feed's symbols, in a stable order (by symbol, spot before its perpetual). */
export const demoMarketsFor = (feedSymbols: Iterable<string>): DemoMarketDef[] => {
  const symbols = new Set<string>()
  for (const s of feedSymbols) {
    const p = parse(s)
    if (p === null) continue
    symbols.add(s)
    if (p.settle === undefined && p.quote === settleAsset) symbols.add(`${s}:${settleAsset}`)
  }
  return [...symbols]
    .sort()
    .map(defOf)
    .filter((d): d is DemoMarketDef => d !== null)
}

/**
 * Feed symbol → the engine markets it prices, in a fixed order. A perpetual follows its own series when
 * the feed carries one, else its spot series. Without a feed (`feedSymbols` null), every market is
 * reachable by its own symbol and perpetuals also follow their spot symbol.
 */
export const priceRoutes = (markets: readonly DemoMarketDef[], feedSymbols: ReadonlySet<string> | null): Map<string, string[]> => {
  const routes = new Map<string, string[]>()
  const add = (from: string, to: string) => {
    const list = routes.get(from) ?? []
    if (!list.includes(to)) list.push(to)
    routes.set(from, list)
  }
  for (const m of markets) {
    const spot = `${m.base}/${m.quote}`
    if (feedSymbols === null || feedSymbols.has(m.symbol)) add(m.symbol, m.symbol)
    if (m.kind === 'linear' && (feedSymbols === null || (!feedSymbols.has(m.symbol) && feedSymbols.has(spot)))) add(spot, m.symbol)
  }
  for (const list of routes.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return routes
}

/** Where a market's candles come from: its own series, or its spot series. */
export const candleSourceOf = (symbol: string, feedSymbols: ReadonlySet<string>): string | null => {
  if (feedSymbols.has(symbol)) return symbol
  const p = parse(symbol)
  const spot = p === null ? null : `${p.base}/${p.quote}`
  return spot !== null && feedSymbols.has(spot) ? spot : null
}
