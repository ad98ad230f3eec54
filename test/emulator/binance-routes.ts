import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import type { Security } from './binance-auth.js'
import {
  capitalConfigBody, depthBody, emptyDerivativesInfoBody, exchangeInfoBody, fmt8, klinesBody, marginPairsBody, marketBySymbol, markets,
  ticker24hrBody, tickerPriceBody, type MarketSpec,
} from './binance-markets.js'
import { canceledOrderView, commissionRate, moveFree, newOrderView, orderView, type OrderBook } from './binance-orders.js'
import { binanceErrors, type AccountState } from './binance-types.js'

/** The route table: method, path, security type, request weight and a handler returning the JSON body. */
export type Params = Record<string, string>
export type FundMovementKind = 'withdraw' | 'transfer'

type RouteBase = { method: 'GET' | 'POST' | 'DELETE'; path: string; weight: (params: Params) => number; fundMovement?: FundMovementKind }
export type PublicRoute = RouteBase & { security: 'NONE'; handle: (params: Params) => unknown }
export type SignedRoute = RouteBase & { security: Exclude<Security, 'NONE'>; handle: (params: Params, account: AccountState) => unknown }
export type Route = PublicRoute | SignedRoute

export type RouteDeps = { book: OrderBook; prices: ReadonlyMap<string, string>; now: () => number }

const fixed = (weight: number) => () => weight
const bySymbol = (withSymbol: number, without: number) => (p: Params) => (p['symbol'] || p['symbols'] ? withSymbol : without)

const limitOf = (params: Params, fallback: number, max: number) => {
  const raw = params['limit']
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw binanceErrors.illegalChars('limit', '^[0-9]{1,20}$')
  return Math.min(Number(raw), max)
}

/** `symbol=X`, `symbols=["X","Y"]`, or every market. */
const selectMarkets = (params: Params): MarketSpec[] => {
  if (params['symbol']) return [marketBySymbol(params['symbol'])]
  if (params['symbols']) {
    let ids: unknown
    try {
      ids = JSON.parse(params['symbols'])
    } catch {
      throw binanceErrors.illegalChars('symbols', '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$')
    }
    if (!Array.isArray(ids)) throw binanceErrors.mandatory('symbols')
    return ids.map((id) => marketBySymbol(String(id)))
  }
  return [...markets]
}

/** Single symbol → object, otherwise → array, as Binance's ticker endpoints answer. */
const oneOrMany = <T>(params: Params, items: T[]) => (params['symbol'] ? items[0] : items)

const inTimeRange = (params: Params, time: number) =>
  (params['startTime'] === undefined || time >= Number(params['startTime'])) && (params['endTime'] === undefined || time <= Number(params['endTime']))

export const createRoutes = ({ book, prices, now }: RouteDeps): Route[] => {
  const priceOf = (m: MarketSpec) => prices.get(m.symbol) ?? '0'
  const pub = (method: RouteBase['method'], path: string, weight: RouteBase['weight'], handle: PublicRoute['handle']): PublicRoute =>
    ({ method, path, weight, security: 'NONE', handle })
  const signed = (method: RouteBase['method'], path: string, security: SignedRoute['security'], weight: RouteBase['weight'], handle: SignedRoute['handle'], fundMovement?: FundMovementKind): SignedRoute =>
    ({ method, path, weight, security, handle, ...(fundMovement ? { fundMovement } : {}) })

  const derivativesInfo = () => emptyDerivativesInfoBody(now())

  return [
    pub('GET', '/api/v3/ping', fixed(1), () => ({})),
    pub('GET', '/api/v3/time', fixed(1), () => ({ serverTime: now() })),
    pub('GET', '/api/v3/exchangeInfo', fixed(20), (p) => exchangeInfoBody(now(), p['symbol'])),
    pub('GET', '/api/v3/ticker/price', bySymbol(2, 4), (p) => oneOrMany(p, selectMarkets(p).map((m) => tickerPriceBody(m, priceOf(m))))),
    pub('GET', '/api/v3/ticker/24hr', bySymbol(2, 80), (p) => oneOrMany(p, selectMarkets(p).map((m) => ticker24hrBody(m, priceOf(m), now())))),
    pub('GET', '/api/v3/ticker/bookTicker', bySymbol(2, 4), (p) => oneOrMany(p, selectMarkets(p).map((m) => {
      const t = ticker24hrBody(m, priceOf(m), now())
      return { symbol: m.symbol, bidPrice: t.bidPrice, bidQty: t.bidQty, askPrice: t.askPrice, askQty: t.askQty }
    }))),
    pub('GET', '/api/v3/depth', fixed(5), (p) => {
      const m = marketBySymbol(p['symbol'])
      return depthBody(m, priceOf(m), limitOf(p, 100, 5000))
    }),
    pub('GET', '/api/v3/klines', fixed(2), (p) => klinesBody(priceOf(marketBySymbol(p['symbol'])), p['interval'], limitOf(p, 500, 1000), now())),
    pub('GET', '/fapi/v1/exchangeInfo', fixed(1), derivativesInfo),
    pub('GET', '/dapi/v1/exchangeInfo', fixed(1), derivativesInfo),

    signed('GET', '/api/v3/account', 'USER_DATA', fixed(20), (p, account) => {
      const rate = fmt8(commissionRate)
      const balances = [...account.balances].map(([asset, b]) => ({ asset, free: fmt8(b.free), locked: fmt8(b.locked) }))
      return {
        makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: rate, taker: rate, buyer: '0.00000000', seller: '0.00000000' },
        canTrade: account.permissions.enableSpotAndMarginTrading, canWithdraw: true, canDeposit: true, brokered: false,
        requireSelfTradePrevention: false, preventSor: false, updateTime: now(), accountType: 'SPOT',
        balances: p['omitZeroBalances'] === 'true' ? balances.filter((b) => !new Decimal(b.free).plus(b.locked).isZero()) : balances,
        permissions: ['SPOT'], uid: 100_000_000 + account.createTime % 100_000_000,
      }
    }),
    signed('POST', '/api/v3/order', 'TRADE', fixed(1), (p, account) => newOrderView(book.place(account, p), p['newOrderRespType'])),
    signed('DELETE', '/api/v3/order', 'TRADE', fixed(1), (p, account) =>
      canceledOrderView(book.cancel(account, p['symbol'], p['orderId'], p['origClientOrderId']), p['newClientOrderId'])),
    signed('GET', '/api/v3/order', 'USER_DATA', fixed(4), (p, account) => {
      const order = book.find(account, p['symbol'], p['orderId'], p['origClientOrderId'])
      if (!order) throw binanceErrors.orderDoesNotExist()
      return orderView(order)
    }),
    signed('GET', '/api/v3/openOrders', 'USER_DATA', bySymbol(6, 80), (p, account) => {
      const symbol = p['symbol'] ? marketBySymbol(p['symbol']).symbol : undefined
      return account.orders.filter((o) => o.status === 'NEW' && (symbol === undefined || o.symbol === symbol)).map(orderView)
    }),
    signed('GET', '/api/v3/allOrders', 'USER_DATA', fixed(20), (p, account) => {
      const { symbol } = marketBySymbol(p['symbol'])
      const fromId = p['orderId'] === undefined ? 0 : Number(p['orderId'])
      return account.orders.filter((o) => o.symbol === symbol && o.orderId >= fromId && inTimeRange(p, o.time)).slice(0, limitOf(p, 500, 1000)).map(orderView)
    }),
    signed('GET', '/api/v3/myTrades', 'USER_DATA', fixed(20), (p, account) => {
      const { symbol } = marketBySymbol(p['symbol'])
      const fromId = p['fromId'] === undefined ? 0 : Number(p['fromId'])
      return account.trades
        .filter((t) => t.symbol === symbol && t.id >= fromId && (p['orderId'] === undefined || String(t.orderId) === p['orderId']) && inTimeRange(p, t.time))
        .slice(0, limitOf(p, 500, 1000))
        .map((t) => ({ ...t, price: fmt8(t.price), qty: fmt8(t.qty), quoteQty: fmt8(t.quoteQty), commission: fmt8(t.commission) }))
    }),
    signed('GET', '/sapi/v1/account/apiRestrictions', 'USER_DATA', fixed(1), (_p, account) => ({
      ipRestrict: account.ipRestrict,
      createTime: account.createTime,
      ...account.permissions,
      enableFixApiTrade: false,
      enableFixReadOnly: false,
      enablePortfolioMarginTrading: false,
      ...(account.tradingAuthorityExpirationTime === undefined ? {} : { tradingAuthorityExpirationTime: account.tradingAuthorityExpirationTime }),
    })),
    signed('GET', '/sapi/v1/capital/config/getall', 'USER_DATA', fixed(10), (_p, account) => capitalConfigBody(account.balances)),
    signed('GET', '/sapi/v1/margin/allPairs', 'USER_DATA', fixed(1), marginPairsBody),
    signed('GET', '/sapi/v1/margin/isolated/allPairs', 'USER_DATA', fixed(10), marginPairsBody),
    signed('POST', '/sapi/v1/capital/withdraw/apply', 'WITHDRAW', fixed(1), (p, account) => {
      const coin = p['coin'] || undefined
      if (!coin) throw binanceErrors.mandatory('coin')
      if (!p['address']) throw binanceErrors.mandatory('address')
      moveFree(account, coin, new Decimal(positiveAmount(p['amount'])).neg())
      return { id: randomBytes(16).toString('hex') }
    }, 'withdraw'),
    signed('POST', '/sapi/v1/asset/transfer', 'UNIVERSAL_TRANSFER', fixed(1), (p, account) => {
      const type = p['type']
      const asset = p['asset']
      if (!type) throw binanceErrors.mandatory('type')
      if (!asset) throw binanceErrors.mandatory('asset')
      const amount = new Decimal(positiveAmount(p['amount']))
      // Only the spot wallet is emulated: MAIN_X moves funds out of it, X_MAIN into it.
      if (type.startsWith('MAIN_')) moveFree(account, asset, amount.neg())
      else if (type.endsWith('_MAIN')) moveFree(account, asset, amount)
      return { tranId: Number(randomBytes(4).readUInt32BE(0)) }
    }, 'transfer'),
  ]
}

const positiveAmount = (raw: string | undefined) => {
  if (raw === undefined || raw === '') throw binanceErrors.mandatory('amount')
  if (!/^\d+(\.\d+)?$/.test(raw) || new Decimal(raw).isZero()) throw binanceErrors.illegalChars('amount', '^([0-9]{1,20})(\\.[0-9]{1,20})?$')
  return raw
}
