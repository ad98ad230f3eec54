import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import type { BybitPermissionNeed } from './bybit-auth.js'
import { BybitApiError, bybitErrors, type BybitAccountState } from './bybit-types.js'
import { LedgerError, moveFree, parseAmount, type SpotLedger, type SpotMarket, type SpotOrder } from './spot-ledger.js'

/**
 * The Bybit v5 route table (spot category; linear/inverse/option instruments answer empty lists) and the
 * response bodies, with the fields ccxt's bybit class reads. Every answer is
 * `{ retCode, retMsg, result, retExtInfo, time }`.
 */
export const bybitMarkets: readonly SpotMarket[] = [
  { id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', stepSize: '0.000001', minQty: '0.000048', maxQty: '71.73956243', minNotional: '1' },
  { id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00062', maxQty: '1229.2336343', minNotional: '1' },
  { id: 'ETHBTC', base: 'ETH', quote: 'BTC', tickSize: '0.000001', stepSize: '0.00001', minQty: '0.0001', maxQty: '1000', minNotional: '0.00001' },
]

export const bybitDefaultPrices: Record<string, string> = { BTCUSDT: '50000', ETHUSDT: '3000', ETHBTC: '0.06' }

export type BybitParams = Record<string, unknown>
export type BybitRoute = {
  method: 'GET' | 'POST'
  path: string
  /** undefined: public. */
  need?: BybitPermissionNeed
  fundMovement?: 'withdraw' | 'transfer'
  handle: (params: BybitParams, account: BybitAccountState | undefined) => unknown
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
const orderLinkIdPattern = /^[a-zA-Z0-9_-]{1,36}$/

const decimals = (step: string) => (step.split('.')[1] ?? '').length

const instrumentBody = (m: SpotMarket) => ({
  symbol: m.id, baseCoin: m.base, quoteCoin: m.quote, innovation: '0', status: 'Trading', marginTrading: 'none', stTag: '0',
  lotSizeFilter: { basePrecision: m.stepSize, quotePrecision: '0.00000001', minOrderQty: m.minQty, maxOrderQty: m.maxQty, minOrderAmt: m.minNotional, maxOrderAmt: '2000000' },
  priceFilter: { tickSize: m.tickSize },
  riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
})

const tickerBody = (m: SpotMarket, price: string) => {
  const last = new Decimal(price)
  const open = last.mul('0.98').toDecimalPlaces(decimals(m.tickSize))
  return {
    symbol: m.id, bid1Price: last.minus(m.tickSize).toFixed(), bid1Size: '1', ask1Price: last.plus(m.tickSize).toFixed(), ask1Size: '1', lastPrice: last.toFixed(),
    prevPrice24h: open.toFixed(), price24hPcnt: last.minus(open).div(open).toFixed(4), highPrice24h: last.mul('1.01').toFixed(), lowPrice24h: open.mul('0.99').toFixed(),
    turnover24h: last.mul('1234.5').toFixed(), volume24h: '1234.5', usdIndexPrice: last.toFixed(),
  }
}

const bybitStatus = (o: SpotOrder) => ({ open: 'New', filled: 'Filled', canceled: 'Cancelled', expired: 'Cancelled' })[o.status]
const bybitTif = (o: SpotOrder) => ({ GTC: 'GTC', IOC: 'IOC', FOK: 'FOK', POST_ONLY: 'PostOnly' })[o.timeInForce]

export const bybitOrderView = (o: SpotOrder) => {
  const leaves = o.status === 'open' ? new Decimal(o.qty).minus(o.filledQty) : new Decimal(0)
  return {
    orderId: o.orderId, orderLinkId: o.clientOrderId, blockTradeId: '', symbol: o.marketId, price: o.type === 'market' ? '0' : o.price,
    qty: o.extra['qty'] ?? o.qty, side: o.side === 'buy' ? 'Buy' : 'Sell', isLeverage: '0', positionIdx: 0, orderStatus: bybitStatus(o),
    cancelType: o.status === 'canceled' ? 'CancelByUser' : 'UNKNOWN', rejectReason: 'EC_NoError', avgPrice: o.status === 'filled' ? o.avgPrice : '',
    leavesQty: leaves.toFixed(), leavesValue: leaves.mul(o.price).toFixed(), cumExecQty: o.filledQty, cumExecValue: o.cumQuote, cumExecFee: o.fee,
    timeInForce: bybitTif(o), orderType: o.type === 'market' ? 'Market' : 'Limit', stopOrderType: '', orderIv: '', marketUnit: o.extra['marketUnit'] ?? '',
    triggerPrice: '0.00', takeProfit: '0.00', stopLoss: '0.00', tpTriggerBy: '', slTriggerBy: '', triggerDirection: 0, triggerBy: '',
    lastPriceOnCreated: '', basePrice: '', reduceOnly: false, closeOnTrigger: false, placeType: '', smpType: 'None', smpGroup: 0, smpOrderId: '',
    createdTime: String(o.createdAt), updatedTime: String(o.updatedAt), cumFeeDetail: new Decimal(o.fee).isZero() ? {} : { [o.feeAsset]: o.fee },
  }
}

/** Ledger outcomes → Bybit codes. */
export const toBybit = (err: unknown): BybitApiError => {
  if (err instanceof BybitApiError) return err
  if (!(err instanceof LedgerError)) throw err
  switch (err.kind) {
    case 'unknown_market': return bybitErrors.invalidSymbol()
    case 'bad_param': return bybitErrors.params(err.detail)
    case 'price_filter': return bybitErrors.priceDecimals()
    case 'lot_size': return bybitErrors.qtyTooSmall()
    case 'min_notional': return bybitErrors.valueTooSmall()
    case 'insufficient_funds': return bybitErrors.insufficient()
    case 'duplicate_client_id': return bybitErrors.duplicateLinkId()
    case 'not_found':
    case 'not_open': return bybitErrors.orderMissing()
  }
}

export const createBybitRoutes = ({ ledger, prices, now }: { ledger: SpotLedger; prices: ReadonlyMap<string, string>; now: () => number }): BybitRoute[] => {
  const spotOnly = (p: BybitParams) => {
    const category = str(p['category'])
    if (!category) throw bybitErrors.params('category')
    if (category !== 'spot') throw bybitErrors.params(`category ${category} is not emulated`)
  }
  const by = (p: BybitParams) => {
    const orderId = str(p['orderId'])
    const orderLinkId = str(p['orderLinkId'])
    if (!orderId && !orderLinkId) throw bybitErrors.params('orderId or orderLinkId')
    return orderId ? { orderId } : { clientOrderId: orderLinkId ?? '' }
  }
  const coins = () => [...new Set(bybitMarkets.flatMap((m) => [m.base, m.quote]))]

  return [
    { method: 'GET', path: '/v5/market/time', handle: () => ({ timeSecond: String(Math.floor(now() / 1000)), timeNano: `${now()}000000` }) },
    {
      method: 'GET', path: '/v5/market/instruments-info',
      handle: (p) => {
        const category = str(p['category'])
        if (!category) throw bybitErrors.params('category')
        const list = category === 'spot' ? bybitMarkets.filter((m) => !p['symbol'] || m.id === p['symbol']).map(instrumentBody) : []
        return { category, list, nextPageCursor: '' }
      },
    },
    {
      method: 'GET', path: '/v5/market/tickers',
      handle: (p) => {
        spotOnly(p)
        const symbol = str(p['symbol'])
        const list = symbol ? [ledger.market(symbol)] : bybitMarkets
        return { category: 'spot', list: list.map((m) => tickerBody(m, prices.get(m.id) ?? '0')) }
      },
    },

    {
      method: 'GET', path: '/v5/user/query-api', need: 'read',
      handle: (_p, a) => {
        const expiresMs = a!.expiredAt === null ? null : Date.parse(a!.expiredAt)
        return {
          id: a!.id, note: 'bulwark test', apiKey: a!.apiKey, readOnly: a!.readOnly ? 1 : 0, secret: '', permissions: a!.permissions, ips: a!.ips,
          type: 1, deadlineDay: expiresMs === null ? -1 : Math.max(0, Math.ceil((expiresMs - now()) / 86_400_000)), expiredAt: a!.expiredAt ?? '',
          createdAt: new Date(a!.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), unified: 0, uta: 1, userID: a!.userId, inviterID: 0,
          vipLevel: 'No VIP', mktMakerLevel: '0', affiliateID: 0, rsaPublicKey: '', isMaster: a!.isMaster, parentUid: '0', kycLevel: 'LEVEL_1', kycRegion: '',
        }
      },
    },
    {
      method: 'GET', path: '/v5/account/info', need: 'read',
      handle: () => ({ unifiedMarginStatus: 6, marginMode: 'REGULAR_MARGIN', isMasterTrader: false, spotHedgingStatus: 'OFF', updatedTime: String(now()), dcpStatus: 'OFF', timeWindow: 10, smpGroup: 0 }),
    },
    {
      method: 'GET', path: '/v5/account/wallet-balance', need: 'read',
      handle: (p, a) => {
        if (str(p['accountType']) !== 'UNIFIED') throw bybitErrors.params('accountType only support UNIFIED')
        const wanted = str(p['coin'])?.split(',')
        const coin = [...a!.balances]
          .filter(([c]) => !wanted || wanted.includes(c))
          .map(([c, b]) => {
            const total = new Decimal(b.free).plus(b.locked).toFixed()
            // Bybit no longer fills availableToWithdraw for unified accounts; ccxt derives `used` from locked + IM.
            return { coin: c, equity: total, walletBalance: total, locked: b.locked, totalOrderIM: '0', totalPositionIM: '0', totalPositionMM: '0', borrowAmount: '0', accruedInterest: '0', availableToWithdraw: '', availableToBorrow: '', bonus: '0', usdValue: '', unrealisedPnl: '0', cumRealisedPnl: '0', collateralSwitch: true, marginCollateral: true, spotHedgingQty: '0' }
          })
        return { list: [{ accountType: 'UNIFIED', accountIMRate: '0', accountMMRate: '0', totalEquity: '', totalWalletBalance: '', totalMarginBalance: '', totalAvailableBalance: '', totalPerpUPL: '0', totalInitialMargin: '0', totalMaintenanceMargin: '0', accountLTV: '0', coin }] }
      },
    },
    {
      method: 'GET', path: '/v5/asset/coin/query-info', need: 'read',
      handle: () => ({
        rows: coins().map((c) => ({
          name: c, coin: c, remainAmount: '1000000',
          chains: [{ chainType: c, confirmation: '1', withdrawFee: '0.0001', depositMin: '0', withdrawMin: '0.001', chain: c, chainDeposit: '1', chainWithdraw: '1', minAccuracy: '8', withdrawPercentageFee: '0' }],
        })),
      }),
    },
    {
      method: 'POST', path: '/v5/order/create', need: 'spot-trade',
      handle: (p, a) => {
        spotOnly(p)
        const side = str(p['side'])
        const orderType = str(p['orderType'])
        if (side !== 'Buy' && side !== 'Sell') throw bybitErrors.params('side')
        if (orderType !== 'Market' && orderType !== 'Limit') throw bybitErrors.params('orderType')
        const linkId = str(p['orderLinkId'])
        if (linkId !== undefined && !orderLinkIdPattern.test(linkId)) throw bybitErrors.params('orderLinkId')
        const tif = str(p['timeInForce']) ?? (orderType === 'Market' ? 'IOC' : 'GTC')
        if (!['GTC', 'IOC', 'FOK', 'PostOnly'].includes(tif)) throw bybitErrors.params('timeInForce')
        // Spot market orders: `qty` is in the quote coin for buys unless marketUnit says otherwise.
        const marketUnit = orderType === 'Market' ? (str(p['marketUnit']) ?? (side === 'Buy' ? 'quoteCoin' : 'baseCoin')) : ''
        const qty = str(p['qty'])
        const m = ledger.market(str(p['symbol']))
        if (qty !== undefined && (qty.split('.')[1] ?? '').length > decimals(marketUnit === 'quoteCoin' ? '0.00000001' : m.stepSize)) throw bybitErrors.qtyDecimals()
        const o = ledger.place(a!, {
          marketId: m.id,
          side: side === 'Buy' ? 'buy' : 'sell',
          type: orderType === 'Market' ? 'market' : 'limit',
          timeInForce: orderType === 'Market' ? 'GTC' : ({ GTC: 'GTC', IOC: 'IOC', FOK: 'FOK', PostOnly: 'POST_ONLY' } as const)[tif as 'GTC'],
          ...(marketUnit === 'quoteCoin' ? { quoteQty: qty } : { qty }),
          ...(orderType === 'Limit' ? { price: str(p['price']) } : {}),
          ...(linkId ? { clientOrderId: linkId } : {}),
          extra: { marketUnit, qty: qty ?? '' },
        })
        return { orderId: o.orderId, orderLinkId: o.clientOrderId }
      },
    },
    {
      method: 'POST', path: '/v5/order/cancel', need: 'spot-trade',
      handle: (p, a) => {
        spotOnly(p)
        const o = ledger.cancel(a!, str(p['symbol']), by(p))
        return { orderId: o.orderId, orderLinkId: o.clientOrderId }
      },
    },
    {
      method: 'GET', path: '/v5/order/realtime', need: 'read',
      handle: (p, a) => {
        spotOnly(p)
        const symbol = str(p['symbol'])
        const marketId = symbol ? ledger.market(symbol).id : undefined
        const orderId = str(p['orderId'])
        const linkId = str(p['orderLinkId'])
        // With an id, recent closed orders are found too; without one, only open orders (openOnly=0).
        const list = a!.orders
          .filter((o) => (!marketId || o.marketId === marketId) && (orderId ? o.orderId === orderId : linkId ? o.clientOrderId === linkId : o.status === 'open'))
          .reverse()
          .slice(0, Number(str(p['limit']) ?? '20'))
        return { category: 'spot', list: list.map(bybitOrderView), nextPageCursor: '' }
      },
    },
    {
      method: 'GET', path: '/v5/execution/list', need: 'read',
      handle: (p, a) => {
        spotOnly(p)
        const symbol = str(p['symbol'])
        return {
          category: 'spot', nextPageCursor: '',
          list: a!.trades.filter((t) => !symbol || t.marketId === symbol).reverse().map((t) => ({
            symbol: t.marketId, orderId: t.orderId, orderLinkId: a!.orders.find((o) => o.orderId === t.orderId)?.clientOrderId ?? '', side: t.side === 'buy' ? 'Buy' : 'Sell',
            orderPrice: t.price, orderQty: t.qty, leavesQty: '0', orderType: 'Limit', stopOrderType: '', execFee: t.fee, feeCurrency: t.feeAsset, execId: t.tradeId,
            execPrice: t.price, execQty: t.qty, execType: 'Trade', execValue: new Decimal(t.price).mul(t.qty).toFixed(), execTime: String(t.time), isMaker: t.isMaker,
            feeRate: '0.001', markPrice: '', closedSize: '', seq: Number(t.tradeId),
          })),
        }
      },
    },
    {
      method: 'POST', path: '/v5/asset/withdraw/create', need: 'withdraw', fundMovement: 'withdraw',
      handle: (p, a) => {
        const coin = str(p['coin'])
        const amount = parseAmount('amount', str(p['amount']))
        if (!coin || !amount || !str(p['address'])) throw bybitErrors.params(!coin ? 'coin' : !amount ? 'amount' : 'address')
        try {
          moveFree(a!, coin, amount.neg())
        } catch {
          throw bybitErrors.withdrawInsufficient()
        }
        return { id: randomBytes(4).readUInt32BE(0).toString() }
      },
    },
    {
      method: 'POST', path: '/v5/asset/transfer/inter-transfer', need: 'transfer', fundMovement: 'transfer',
      handle: (p, a) => {
        const coin = str(p['coin'])
        const amount = parseAmount('amount', str(p['amount']))
        if (!coin || !amount) throw bybitErrors.params(!coin ? 'coin' : 'amount')
        // Only the unified account is emulated: out of it debits, into it credits.
        if (str(p['fromAccountType']) === 'UNIFIED') moveFree(a!, coin, amount.neg())
        else if (str(p['toAccountType']) === 'UNIFIED') moveFree(a!, coin, amount)
        return { transferId: randomBytes(16).toString('hex'), status: 'SUCCESS' }
      },
    },
  ]
}
