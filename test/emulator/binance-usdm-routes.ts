import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import type { Security } from './binance-auth.js'
import { capitalConfigBody, marginPairsBody } from './binance-markets.js'
import { moveFree } from './binance-orders.js'
import { binanceErrors } from './binance-types.js'
import { futuresErrors, futuresMarket, futuresMarkets, type FuturesAccountState, type FuturesEngine, type FuturesMarket, type FuturesOrder } from './binance-usdm-engine.js'

/**
 * The Binance USDⓈ-M route table: `fapi` (public, USER_DATA, TRADE) and the few `sapi` routes a
 * binanceusdm client reaches on the spot host (`apiRestrictions`, the loadMarkets lookups, and the
 * fund-moving routes tests prove are never reached). Futures trading needs the key's `enableFutures`.
 */
export type Params = Record<string, string>
export type FuturesSecurity = Exclude<Security, 'TRADE'> | 'FUTURES_TRADE'
export type UsdmRoute = {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  security: FuturesSecurity
  weight: number
  fundMovement?: 'withdraw' | 'transfer'
  handle: (params: Params, account: FuturesAccountState | undefined) => unknown
}

const f8 = (v: Decimal.Value) => new Decimal(v).toFixed(8)
const decimalsOf = (step: string) => (step.split('.')[1] ?? '').replace(/0+$/, '').length

const symbolInfo = (m: FuturesMarket) => ({
  symbol: m.symbol, pair: m.symbol, contractType: 'PERPETUAL', deliveryDate: 4133404800000, onboardDate: 1569398400000, status: 'TRADING',
  maintMarginPercent: '2.5000', requiredMarginPercent: '5.0000', baseAsset: m.baseAsset, quoteAsset: 'USDT', marginAsset: 'USDT',
  pricePrecision: decimalsOf(m.tickSize), quantityPrecision: decimalsOf(m.stepSize), baseAssetPrecision: 8, quotePrecision: 8,
  underlyingType: 'COIN', underlyingSubType: ['PoW'], settlePlan: 0, triggerProtect: '0.0500', liquidationFee: '0.012500', marketTakeBound: '0.05',
  maxMoveOrderLimit: 10000,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '4529764', tickSize: m.tickSize },
    { filterType: 'LOT_SIZE', stepSize: m.stepSize, maxQty: m.maxQty, minQty: m.minQty },
    { filterType: 'MARKET_LOT_SIZE', stepSize: m.stepSize, maxQty: m.maxQty, minQty: m.minQty },
    { filterType: 'MAX_NUM_ORDERS', limit: 200 },
    { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
    { filterType: 'MIN_NOTIONAL', notional: m.minNotional },
    { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
  ],
  // Only the types the emulator implements, so ccxt refuses the others client-side.
  orderTypes: ['LIMIT', 'MARKET'],
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  permissionSets: ['GRID', 'COPY'],
})

export const futuresOrderView = (o: FuturesOrder) => ({
  orderId: o.orderId, symbol: o.symbol, status: o.status, clientOrderId: o.clientOrderId, price: o.price, avgPrice: o.avgPrice, origQty: o.origQty,
  executedQty: o.executedQty, cumQty: o.executedQty, cumQuote: o.cumQuote, timeInForce: o.timeInForce, type: o.type, reduceOnly: o.reduceOnly,
  closePosition: false, side: o.side, positionSide: 'BOTH', stopPrice: '0', workingType: 'CONTRACT_PRICE', priceProtect: false, origType: o.type,
  priceMatch: 'NONE', selfTradePreventionMode: 'EXPIRE_MAKER', goodTillDate: 0, time: o.time, updateTime: o.updateTime,
})

const brackets = (m: FuturesMarket) => ({
  symbol: m.symbol,
  notionalCoef: 1,
  brackets: [
    { bracket: 1, initialLeverage: m.maxLeverage, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 },
    { bracket: 2, initialLeverage: Math.min(100, m.maxLeverage), notionalCap: 600000, notionalFloor: 50000, maintMarginRatio: 0.005, cum: 50 },
    { bracket: 3, initialLeverage: 50, notionalCap: 3000000, notionalFloor: 600000, maintMarginRatio: 0.01, cum: 3050 },
  ],
})

export const createUsdmRoutes = ({ engine, now }: { engine: FuturesEngine; now: () => number }): UsdmRoute[] => {
  const pub = (method: UsdmRoute['method'], path: string, weight: number, handle: (p: Params) => unknown): UsdmRoute => ({ method, path, security: 'NONE', weight, handle })
  const signed = (method: UsdmRoute['method'], path: string, security: Exclude<FuturesSecurity, 'NONE'>, weight: number, handle: (p: Params, a: FuturesAccountState) => unknown, fundMovement?: 'withdraw' | 'transfer'): UsdmRoute =>
    ({ method, path, security, weight, handle: (p, a) => handle(p, a!), ...(fundMovement ? { fundMovement } : {}) })
  const select = (p: Params) => (p['symbol'] ? [futuresMarket(p['symbol'])] : [...futuresMarkets])
  const oneOrMany = <T>(p: Params, items: T[]) => (p['symbol'] ? items[0] : items)

  const ticker24 = (m: FuturesMarket) => {
    const last = engine.priceOf(m.symbol)
    const open = last.mul('0.98').toDecimalPlaces(decimalsOf(m.tickSize))
    return {
      symbol: m.symbol, priceChange: last.minus(open).toFixed(), priceChangePercent: last.minus(open).div(open).mul(100).toFixed(3), weightedAvgPrice: last.toFixed(),
      lastPrice: last.toFixed(), lastQty: m.minQty, openPrice: open.toFixed(), highPrice: last.mul('1.01').toFixed(), lowPrice: open.mul('0.99').toFixed(),
      volume: '1234.5', quoteVolume: last.mul('1234.5').toFixed(), openTime: now() - 86_400_000, closeTime: now(), firstId: 1, lastId: 1000, count: 1000,
    }
  }

  const positionView = (a: FuturesAccountState, m: FuturesMarket) => {
    const p = engine.positionOf(a.futures, m.symbol)
    const amt = new Decimal(p.amt)
    const mark = engine.priceOf(m.symbol)
    const notional = amt.mul(mark)
    const im = notional.abs().div(p.leverage)
    return {
      symbol: m.symbol, positionSide: 'BOTH', positionAmt: amt.toFixed(3), entryPrice: new Decimal(p.entryPrice).toFixed(), breakEvenPrice: new Decimal(p.entryPrice).toFixed(),
      markPrice: f8(mark), unRealizedProfit: f8(amt.mul(mark.minus(p.entryPrice))), liquidationPrice: '0', isolatedMargin: '0', notional: f8(notional), marginAsset: 'USDT',
      isolatedWallet: '0', initialMargin: f8(im), maintMargin: f8(notional.abs().mul('0.004')), positionInitialMargin: f8(im), openOrderInitialMargin: '0',
      adl: 0, bidNotional: '0', askNotional: '0', updateTime: p.updateTime,
    }
  }

  const account = (a: FuturesAccountState) => {
    const f = a.futures
    const im = engine.initialMargin(f)
    const upnl = engine.unrealized(f)
    const asset = {
      asset: 'USDT', walletBalance: f8(f.walletBalance), unrealizedProfit: f8(upnl), marginBalance: f8(engine.marginBalance(f)), maintMargin: '0.00000000',
      initialMargin: f8(im.total), positionInitialMargin: f8(im.positions), openOrderInitialMargin: f8(im.orders), crossWalletBalance: f8(f.walletBalance),
      crossUnPnl: f8(upnl), availableBalance: f8(engine.available(f)), maxWithdrawAmount: f8(engine.available(f)), updateTime: now(),
    }
    const open = [...f.positions].filter(([, p]) => !new Decimal(p.amt).isZero()).map(([symbol]) => positionView(a, futuresMarket(symbol)))
    return {
      totalInitialMargin: asset.initialMargin, totalMaintMargin: '0.00000000', totalWalletBalance: asset.walletBalance, totalUnrealizedProfit: asset.unrealizedProfit,
      totalMarginBalance: asset.marginBalance, totalPositionInitialMargin: asset.positionInitialMargin, totalOpenOrderInitialMargin: asset.openOrderInitialMargin,
      totalCrossWalletBalance: asset.walletBalance, totalCrossUnPnl: asset.unrealizedProfit, availableBalance: asset.availableBalance, maxWithdrawAmount: asset.maxWithdrawAmount,
      assets: [asset],
      positions: open.map((p) => ({ symbol: p.symbol, positionSide: 'BOTH', positionAmt: p.positionAmt, unrealizedProfit: p.unRealizedProfit, isolatedMargin: '0', notional: p.notional, isolatedWallet: '0', initialMargin: p.initialMargin, maintMargin: p.maintMargin, updateTime: p.updateTime })),
    }
  }

  const withdraw = (p: Params, a: FuturesAccountState) => {
    if (!p['coin']) throw binanceErrors.mandatory('coin')
    if (!p['address']) throw binanceErrors.mandatory('address')
    moveFree(a, p['coin'], new Decimal(p['amount'] ?? '0').neg())
    return { id: randomBytes(16).toString('hex') }
  }

  return [
    pub('GET', '/fapi/v1/ping', 1, () => ({})),
    pub('GET', '/fapi/v1/time', 1, () => ({ serverTime: now() })),
    pub('GET', '/fapi/v1/exchangeInfo', 1, () => ({
      timezone: 'UTC', serverTime: now(), futuresType: 'U_MARGINED',
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 }, { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 }],
      exchangeFilters: [], assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }], symbols: futuresMarkets.map(symbolInfo),
    })),
    pub('GET', '/fapi/v1/ticker/24hr', 1, (p) => oneOrMany(p, select(p).map(ticker24))),
    pub('GET', '/fapi/v1/ticker/price', 1, (p) => oneOrMany(p, select(p).map((m) => ({ symbol: m.symbol, price: engine.priceOf(m.symbol).toFixed(), time: now() })))),
    pub('GET', '/fapi/v2/ticker/price', 1, (p) => oneOrMany(p, select(p).map((m) => ({ symbol: m.symbol, price: engine.priceOf(m.symbol).toFixed(), time: now() })))),
    pub('GET', '/fapi/v1/premiumIndex', 1, (p) => oneOrMany(p, select(p).map((m) => ({
      symbol: m.symbol, markPrice: f8(engine.priceOf(m.symbol)), indexPrice: f8(engine.priceOf(m.symbol)), estimatedSettlePrice: f8(engine.priceOf(m.symbol)),
      lastFundingRate: '0.00010000', interestRate: '0.00010000', nextFundingTime: Math.ceil(now() / 28_800_000) * 28_800_000, time: now(),
    })))),
    // loadMarkets of a default binanceusdm never asks for these, but a misconfigured one would; empty is valid.
    pub('GET', '/api/v3/exchangeInfo', 20, () => ({ timezone: 'UTC', serverTime: now(), rateLimits: [], exchangeFilters: [], symbols: [] })),
    pub('GET', '/dapi/v1/exchangeInfo', 1, () => ({ timezone: 'UTC', serverTime: now(), rateLimits: [], exchangeFilters: [], assets: [], symbols: [] })),

    signed('GET', '/fapi/v3/account', 'USER_DATA', 5, (_p, a) => account(a)),
    signed('GET', '/fapi/v2/account', 'USER_DATA', 5, (_p, a) => ({ ...account(a), canTrade: a.permissions.enableFutures, canDeposit: true, canWithdraw: true, feeTier: 0, updateTime: 0 })),
    signed('GET', '/fapi/v3/balance', 'USER_DATA', 5, (_p, a) => account(a).assets.map((x) => ({ accountAlias: 'SgsR', asset: x.asset, balance: x.walletBalance, crossWalletBalance: x.crossWalletBalance, crossUnPnl: x.crossUnPnl, availableBalance: x.availableBalance, maxWithdrawAmount: x.maxWithdrawAmount, marginAvailable: true, updateTime: x.updateTime }))),
    signed('GET', '/fapi/v2/balance', 'USER_DATA', 5, (_p, a) => account(a).assets.map((x) => ({ accountAlias: 'SgsR', asset: x.asset, balance: x.walletBalance, crossWalletBalance: x.crossWalletBalance, crossUnPnl: x.crossUnPnl, availableBalance: x.availableBalance, maxWithdrawAmount: x.maxWithdrawAmount, marginAvailable: true, updateTime: x.updateTime }))),
    signed('GET', '/fapi/v3/positionRisk', 'USER_DATA', 5, (p, a) => select(p).map((m) => positionView(a, m)).filter((v) => p['symbol'] || v.positionAmt !== '0.000')),
    signed('GET', '/fapi/v2/positionRisk', 'USER_DATA', 5, (p, a) => select(p).map((m) => ({ ...positionView(a, m), leverage: String(engine.positionOf(a.futures, m.symbol).leverage), marginType: 'cross', isAutoAddMargin: 'false', maxNotionalValue: '50000000' }))),
    signed('GET', '/fapi/v1/leverageBracket', 'USER_DATA', 1, (p) => (p['symbol'] ? [brackets(futuresMarket(p['symbol']))] : futuresMarkets.map(brackets))),
    signed('GET', '/fapi/v1/positionSide/dual', 'USER_DATA', 30, () => ({ dualSidePosition: false })),
    signed('GET', '/fapi/v1/multiAssetsMargin', 'USER_DATA', 30, () => ({ multiAssetsMargin: false })),
    signed('POST', '/fapi/v1/leverage', 'FUTURES_TRADE', 1, (p, a) => engine.setLeverage(a, p['symbol'], p['leverage'])),
    signed('POST', '/fapi/v1/countdownCancelAll', 'FUTURES_TRADE', 10, (p, a) => engine.setCountdown(a, p['symbol'], p['countdownTime'])),
    signed('POST', '/fapi/v1/marginType', 'FUTURES_TRADE', 1, (p) => {
      futuresMarket(p['symbol'])
      // Only cross margin is emulated; switching to it again is Binance's "no need" answer.
      if (p['marginType'] === 'CROSSED') throw futuresErrors.noNeedToChangeMarginType()
      throw binanceErrors.illegalChars('marginType', 'CROSSED')
    }),
    signed('POST', '/fapi/v1/order', 'FUTURES_TRADE', 0, (p, a) => futuresOrderView(engine.place(a, p))),
    signed('DELETE', '/fapi/v1/order', 'FUTURES_TRADE', 1, (p, a) => futuresOrderView(engine.cancel(a, p['symbol'], p['orderId'], p['origClientOrderId']))),
    signed('GET', '/fapi/v1/order', 'USER_DATA', 1, (p, a) => {
      const o = engine.find(a, p['symbol'], p['orderId'], p['origClientOrderId'])
      if (!o) throw binanceErrors.orderDoesNotExist()
      return futuresOrderView(o)
    }),
    signed('GET', '/fapi/v1/openOrders', 'USER_DATA', 1, (p, a) => {
      const symbol = p['symbol'] ? futuresMarket(p['symbol']).symbol : undefined
      return a.futures.orders.filter((o) => o.status === 'NEW' && (!symbol || o.symbol === symbol)).map(futuresOrderView)
    }),
    signed('GET', '/fapi/v1/userTrades', 'USER_DATA', 5, (p, a) => {
      const { symbol } = futuresMarket(p['symbol'])
      return a.futures.trades.filter((t) => t.symbol === symbol && (!p['orderId'] || String(t.orderId) === p['orderId'])).map((t) => ({
        buyer: t.side === 'BUY', commission: t.commission, commissionAsset: 'USDT', id: t.id, maker: t.maker, orderId: t.orderId, price: t.price, qty: t.qty,
        quoteQty: t.quoteQty, realizedPnl: t.realizedPnl, side: t.side, positionSide: 'BOTH', symbol: t.symbol, time: t.time,
      }))
    }),

    signed('GET', '/sapi/v1/account/apiRestrictions', 'USER_DATA', 1, (_p, a) => ({
      ipRestrict: a.ipRestrict, createTime: a.createTime, ...a.permissions, enableFixApiTrade: false, enableFixReadOnly: false, enablePortfolioMarginTrading: false,
      ...(a.tradingAuthorityExpirationTime === undefined ? {} : { tradingAuthorityExpirationTime: a.tradingAuthorityExpirationTime }),
    })),
    signed('GET', '/sapi/v1/capital/config/getall', 'USER_DATA', 10, (_p, a) => capitalConfigBody(a.balances)),
    signed('GET', '/sapi/v1/margin/allPairs', 'USER_DATA', 1, marginPairsBody),
    signed('GET', '/sapi/v1/margin/isolated/allPairs', 'USER_DATA', 10, marginPairsBody),
    signed('POST', '/sapi/v1/capital/withdraw/apply', 'WITHDRAW', 1, withdraw, 'withdraw'),
    signed('POST', '/sapi/v1/futures/transfer', 'UNIVERSAL_TRANSFER', 1, (p, a) => {
      // type 1: spot → USDⓈ-M, 2: USDⓈ-M → spot
      const amount = new Decimal(p['amount'] ?? '0')
      if (p['type'] === '2') {
        if (engine.available(a.futures).lt(amount)) throw futuresErrors.marginInsufficient()
        a.futures.walletBalance = new Decimal(a.futures.walletBalance).minus(amount).toFixed()
        moveFree(a, p['asset'] ?? 'USDT', amount)
      } else {
        moveFree(a, p['asset'] ?? 'USDT', amount.neg())
        a.futures.walletBalance = new Decimal(a.futures.walletBalance).plus(amount).toFixed()
      }
      return { tranId: Number(randomBytes(4).readUInt32BE(0)) }
    }, 'transfer'),
    signed('POST', '/sapi/v1/asset/transfer', 'UNIVERSAL_TRANSFER', 1, () => ({ tranId: Number(randomBytes(4).readUInt32BE(0)) }), 'transfer'),
  ]
}
