import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DemoMarketDef } from '../src/demo/engine/index.js'
import type { Candle } from '../src/market/index.js'
import type { IndicatorConfig } from '../src/trading/trading-api-types.js'

/** The replay of bench/bots-indicators.ts: its markets, its data, the bots' indicators, and when each update was handed over. */

export const SYMBOLS = 100
const dataDir = join(import.meta.dirname, '..', 'data', 'market')

export const loadSeries = (file: string): Candle[] =>
  readFileSync(join(dataDir, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((row) => {
      const [time, open, high, low, close, volume] = row.split(',') as [string, string, string, string, string, string]
      return { time: Number(time), open, high, low, close, volume }
    })

export const marketDefs = (): DemoMarketDef[] =>
  Array.from({ length: SYMBOLS }, (_, k) => {
    const base = `${k % 2 === 0 ? 'B' : 'E'}${k}`
    const linear = k >= SYMBOLS / 2
    return { symbol: linear ? `${base}/USDT:USDT` : `${base}/USDT`, kind: linear ? 'linear' : 'spot', base, quote: 'USDT', tickSize: '0.01', lotSize: k % 2 === 0 ? '0.00001' : '0.0001', minNotional: '5' }
  })

/** Five indicator kinds, four parameter sets each: bots on one symbol do not all cross on the same candle. */
export const indicatorFor = (group: number): IndicatorConfig => {
  const v = Math.floor(group / 5) % 4
  switch (group % 5) {
    case 0:
      return { type: 'rsi', period: [7, 9, 14, 14][v] as number, oversold: 35, overbought: 65 }
    case 1:
      return { type: 'ema_cross', fast: [5, 8, 9, 12][v] as number, slow: [13, 21, 21, 26][v] as number }
    case 2:
      return { type: 'sma_cross', fast: [5, 7, 10, 10][v] as number, slow: [20, 25, 20, 25][v] as number }
    case 3:
      return { type: 'macd_cross', fast: [8, 6, 5, 10][v] as number, slow: [17, 13, 21, 20][v] as number, signal: [9, 4, 5, 7][v] as number }
    default:
      return { type: 'bollinger', period: [20, 20, 14, 25][v] as number, deviation: [2, 1.5, 2, 2][v] as number }
  }
}

/** When each update (symbol, market time) was handed to the runtime, and the latest step it caused. */
export const createAnchors = () => {
  const bySymbol = new Map<string, Map<number, { wall: number; lastDone: number; phase: 'spread' | 'burst' }>>()
  const finished: { latency: number; phase: 'spread' | 'burst' }[] = []
  const set = (symbol: string, time: number, wall: number, phase: 'spread' | 'burst') => {
    let m = bySymbol.get(symbol)
    if (m === undefined) bySymbol.set(symbol, (m = new Map()))
    m.set(time, { wall, lastDone: 0, phase })
    // A step for an update older than the last 8 of its symbol would be 8 s late: kept as "not found".
    if (m.size > 8) {
      const [oldest, a] = m.entries().next().value as [number, { wall: number; lastDone: number; phase: 'spread' | 'burst' }]
      if (a.lastDone > 0) finished.push({ latency: a.lastDone - a.wall, phase: a.phase })
      m.delete(oldest)
    }
  }
  const get = (symbol: string, time: number) => bySymbol.get(symbol)?.get(time)
  /** Per update: from hand-off to the last decision it caused. */
  const drain = () => {
    for (const m of bySymbol.values()) for (const a of m.values()) if (a.lastDone > 0) finished.push({ latency: a.lastDone - a.wall, phase: a.phase })
    bySymbol.clear()
    return finished.splice(0)
  }
  return { set, get, drain }
}
