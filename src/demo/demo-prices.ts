import type { DemoRuntime } from './demo-runtime.js'

type PriceListener = (p: { symbol: string; price: string; time: number }) => void
type CandleListener = (c: { symbol: string; close: number; time: number }) => void

/** The demo exchanges' venue ids as trading names them. */
export const demoVenueIds = ['demo-spot', 'demo-futures'] as const

/**
 * The demo exchanges' prices and closed candles, per market symbol, for the bot runtime (the shape of
 * trading's PriceSource; demo may not import trading). One listener on the runtime fans out by symbol,
 * so ten thousand bots cost one map lookup per price. Both demo venues share one engine and one feed.
 */
export const createDemoPriceSource = (runtime: Pick<DemoRuntime, 'onPrice' | 'onCandle' | 'candleSource'>) => {
  const last = new Map<string, string>()
  const bySymbol = new Map<string, Set<PriceListener>>()
  /** `${source symbol}\n${timeframe}` → listeners with the market symbol they asked for. */
  const byCandle = new Map<string, Set<{ symbol: string; listener: CandleListener }>>()

  runtime.onPrice((p) => {
    last.set(p.symbol, p.price)
    const listeners = bySymbol.get(p.symbol)
    if (listeners !== undefined) for (const l of listeners) l(p)
  })
  runtime.onCandle((c) => {
    const listeners = byCandle.get(`${c.symbol}\n${c.timeframe}`)
    if (listeners !== undefined) for (const { symbol, listener } of listeners) listener({ symbol, close: Number(c.close), time: c.closeTime })
  })

  const isDemo = (venue: string) => (demoVenueIds as readonly string[]).includes(venue)

  return {
    handles: isDemo,
    subscribe(venue: string, symbol: string, listener: PriceListener): () => void {
      if (!isDemo(venue)) return () => {}
      const set = bySymbol.get(symbol) ?? new Set<PriceListener>()
      bySymbol.set(symbol, set)
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) bySymbol.delete(symbol)
      }
    },
    subscribeCandles(venue: string, symbol: string, timeframe: string, listener: CandleListener): () => void {
      const source = isDemo(venue) ? runtime.candleSource(symbol) : null
      if (source === null) return () => {}
      const key = `${source}\n${timeframe}`
      const set = byCandle.get(key) ?? new Set()
      byCandle.set(key, set)
      const entry = { symbol, listener }
      set.add(entry)
      return () => {
        set.delete(entry)
        if (set.size === 0) byCandle.delete(key)
      }
    },
    last: (venue: string, symbol: string): string | null => (isDemo(venue) ? (last.get(symbol) ?? null) : null),
  }
}
export type DemoPriceSource = ReturnType<typeof createDemoPriceSource>
