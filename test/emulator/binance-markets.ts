import { Decimal } from 'decimal.js'
import { binanceErrors } from './binance-types.js'

/**
 * The emulated spot markets and the bodies of the public market-data endpoints. Filter values are the
 * ones Binance used for these pairs; the fields are those ccxt's `binance.parseMarket` reads.
 */
export type MarketSpec = {
  symbol: string
  baseAsset: string
  quoteAsset: string
  tickSize: string
  minPrice: string
  maxPrice: string
  stepSize: string
  minQty: string
  maxQty: string
  minNotional: string
}

export const markets: readonly MarketSpec[] = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', tickSize: '0.01', minPrice: '0.01', maxPrice: '1000000', stepSize: '0.00001', minQty: '0.00001', maxQty: '9000', minNotional: '5' },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', tickSize: '0.01', minPrice: '0.01', maxPrice: '1000000', stepSize: '0.0001', minQty: '0.0001', maxQty: '9000', minNotional: '5' },
  { symbol: 'ETHBTC', baseAsset: 'ETH', quoteAsset: 'BTC', tickSize: '0.00001', minPrice: '0.00001', maxPrice: '922327', stepSize: '0.0001', minQty: '0.0001', maxQty: '100000', minNotional: '0.0001' },
]

export const defaultPrices: Record<string, string> = { BTCUSDT: '50000', ETHUSDT: '3000', ETHBTC: '0.06' }

/** Binance prints amounts with 8 decimals. */
export const fmt8 = (value: Decimal.Value) => new Decimal(value).toFixed(8)

export const marketBySymbol = (symbol: string | undefined): MarketSpec => {
  if (symbol === undefined || symbol === '') throw binanceErrors.mandatory('symbol')
  const market = markets.find((m) => m.symbol === symbol)
  if (!market) throw binanceErrors.invalidSymbol()
  return market
}

const symbolInfo = (m: MarketSpec) => ({
  symbol: m.symbol,
  status: 'TRADING',
  baseAsset: m.baseAsset,
  baseAssetPrecision: 8,
  quoteAsset: m.quoteAsset,
  quotePrecision: 8,
  quoteAssetPrecision: 8,
  baseCommissionPrecision: 8,
  quoteCommissionPrecision: 8,
  // Only the types the emulator implements, so ccxt refuses the others client-side.
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
  icebergAllowed: false,
  ocoAllowed: false,
  otoAllowed: false,
  quoteOrderQtyMarketAllowed: true,
  allowTrailingStop: false,
  cancelReplaceAllowed: false,
  isSpotTradingAllowed: true,
  isMarginTradingAllowed: false,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: fmt8(m.minPrice), maxPrice: fmt8(m.maxPrice), tickSize: fmt8(m.tickSize) },
    { filterType: 'LOT_SIZE', minQty: fmt8(m.minQty), maxQty: fmt8(m.maxQty), stepSize: fmt8(m.stepSize) },
    { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: fmt8(m.maxQty), stepSize: '0.00000000' },
    { filterType: 'NOTIONAL', minNotional: fmt8(m.minNotional), applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
    { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
  ],
  permissions: [],
  permissionSets: [['SPOT']],
  defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
  allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
})

export const exchangeInfoBody = (serverTime: number, symbol: string | undefined) => ({
  timezone: 'UTC',
  serverTime,
  rateLimits: [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
    { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
  ],
  exchangeFilters: [],
  symbols: (symbol === undefined ? markets : [marketBySymbol(symbol)]).map(symbolInfo),
})

/** `/fapi/v1/exchangeInfo` and `/dapi/v1/exchangeInfo`: valid but empty, so ccxt's default loadMarkets works. */
export const emptyDerivativesInfoBody = (serverTime: number) => ({ timezone: 'UTC', serverTime, rateLimits: [], exchangeFilters: [], assets: [], symbols: [] })

const spreadFor = (m: MarketSpec) => new Decimal(m.tickSize).mul(10)

export const tickerPriceBody = (m: MarketSpec, price: string) => ({ symbol: m.symbol, price: fmt8(price) })

export const ticker24hrBody = (m: MarketSpec, price: string, now: number) => {
  const last = new Decimal(price)
  const open = last.mul('0.98').toDecimalPlaces(8)
  const volume = new Decimal(1234.5)
  return {
    symbol: m.symbol,
    priceChange: fmt8(last.minus(open)),
    priceChangePercent: last.minus(open).div(open).mul(100).toFixed(3),
    weightedAvgPrice: fmt8(last.plus(open).div(2)),
    prevClosePrice: fmt8(open),
    lastPrice: fmt8(last),
    lastQty: fmt8(m.minQty),
    bidPrice: fmt8(last.minus(spreadFor(m))),
    bidQty: '1.00000000',
    askPrice: fmt8(last.plus(spreadFor(m))),
    askQty: '1.00000000',
    openPrice: fmt8(open),
    highPrice: fmt8(last.mul('1.01')),
    lowPrice: fmt8(open.mul('0.99')),
    volume: fmt8(volume),
    quoteVolume: fmt8(volume.mul(last)),
    openTime: now - 86_400_000,
    closeTime: now,
    firstId: 1,
    lastId: 1000,
    count: 1000,
  }
}

/** A synthetic book: `limit` levels one tick-times-ten apart around the current price. */
export const depthBody = (m: MarketSpec, price: string, limit: number) => {
  const mid = new Decimal(price)
  const step = spreadFor(m)
  const levels = Math.min(Math.max(limit, 1), 100)
  const side = (sign: 1 | -1) =>
    Array.from({ length: levels }, (_, i) => [fmt8(mid.plus(step.mul(i + 1).mul(sign))), fmt8(new Decimal(i + 1).div(10))])
  return { lastUpdateId: 1000, bids: side(-1), asks: side(1) }
}

const intervalMs: Record<string, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 }

/** Flat candles at the current price, newest last, aligned to the interval. */
export const klinesBody = (price: string, interval: string | undefined, limit: number, now: number) => {
  if (interval === undefined) throw binanceErrors.mandatory('interval')
  const ms = intervalMs[interval]
  if (ms === undefined) throw binanceErrors.invalidInterval()
  const count = Math.min(Math.max(limit, 1), 1000)
  const lastOpen = Math.floor(now / ms) * ms
  const p = fmt8(price)
  return Array.from({ length: count }, (_, i) => {
    const openTime = lastOpen - (count - 1 - i) * ms
    return [openTime, p, p, p, p, '10.00000000', openTime + ms - 1, fmt8(new Decimal(price).mul(10)), 10, '5.00000000', fmt8(new Decimal(price).mul(5)), '0']
  })
}

const network = (coin: string, name: string) => ({
  network: name, coin, name, isDefault: true, depositEnable: true, withdrawEnable: true, depositDesc: '', withdrawDesc: '',
  specialTips: '', resetAddressStatus: false, addressRegex: '^.+$', memoRegex: '', withdrawFee: '0.0001', withdrawMin: '0.001',
  withdrawMax: '10000000', withdrawIntegerMultiple: '0.00000001', minConfirm: 1, unLockConfirm: 0, sameAddress: false,
  estimatedArrivalTime: 5, busy: false, contractAddressUrl: '', contractAddress: '',
})

/** `/sapi/v1/capital/config/getall`: one network per coin, enough for ccxt's `fetchCurrencies`. */
export const capitalConfigBody = (balances: Map<string, { free: string; locked: string }>) =>
  [...new Set(markets.flatMap((m) => [m.baseAsset, m.quoteAsset]))].map((coin) => ({
    coin, name: coin, depositAllEnable: true, withdrawAllEnable: true, free: balances.get(coin)?.free ?? '0', locked: balances.get(coin)?.locked ?? '0',
    freeze: '0', withdrawing: '0', ipoing: '0', ipoable: '0', storage: '0', isLegalMoney: false, trading: true,
    networkList: [network(coin, coin === 'USDT' ? 'ETH' : coin)],
  }))

/** `/sapi/v1/margin/allPairs` and `/sapi/v1/margin/isolated/allPairs`: margin is not emulated, so no pairs. */
export const marginPairsBody = () => []
