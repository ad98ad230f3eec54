import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import { fmt8, marketBySymbol, type MarketSpec } from './binance-markets.js'
import { binanceErrors, type AccountState, type OrderRecord, type OrderSide, type OrderType, type TimeInForce } from './binance-types.js'
import { adjust, balanceOf, settleFill, unlock } from './spot-ledger.js'

/**
 * Order placement and matching. There is no order book between accounts: orders trade against the
 * emulator's price for the symbol. Invariants:
 * - an open order's `reserved` amount sits in the account's `locked` balance, and nowhere else;
 * - market orders and limit orders that cross the price fill at once, in full, at the current price (taker);
 * - resting limit orders fill in full at their own price (maker) when `setPrice` crosses them;
 * - commission is 0.1 %, taken from the asset received (Binance's default without BNB).
 */
export const commissionRate = '0.001'

/** The order parameters as they arrive (strings), validated by `place`. */
export type PlaceOrderInput = {
  symbol?: string
  side?: string
  type?: string
  timeInForce?: string
  quantity?: string
  quoteOrderQty?: string
  price?: string
  newClientOrderId?: string
}

const decimalPattern = /^([0-9]{1,20})(\.[0-9]{1,20})?$/
const clientOrderIdPattern = /^[a-zA-Z0-9-_]{1,36}$/

const parseDecimal = (name: string, value: string | undefined): Decimal | undefined => {
  if (value === undefined || value === '') return undefined
  if (!decimalPattern.test(value)) throw binanceErrors.illegalChars(name, decimalPattern.source)
  return new Decimal(value)
}

const required = <T>(name: string, value: T | undefined): T => {
  if (value === undefined) throw binanceErrors.mandatory(name)
  return value
}

const isMultipleOf = (value: Decimal, step: string) => value.mod(step).isZero()

export const freeBalance = (account: AccountState, asset: string) => balanceOf(account, asset).free

/** Moves `amount` of `asset` out of (negative) or into the free spot balance; used by withdraw and transfer. */
export const moveFree = (account: AccountState, asset: string, amount: Decimal.Value) => {
  if (freeBalance(account, asset).plus(amount).isNegative()) throw binanceErrors.insufficientBalance()
  adjust(account, asset, amount)
}

const pickEnum = <T extends string>(name: string, value: string | undefined, allowed: readonly T[], invalid: () => Error): T => {
  const present = required(name, value === '' ? undefined : value)
  if (!(allowed as readonly string[]).includes(present)) throw invalid()
  return present as T
}

const validateFilters = (market: MarketSpec, qty: Decimal, price: Decimal | undefined, notionalPrice: Decimal) => {
  if (price !== undefined && (price.lt(market.minPrice) || price.gt(market.maxPrice) || !isMultipleOf(price, market.tickSize))) {
    throw binanceErrors.filterFailure('PRICE_FILTER')
  }
  if (qty.lt(market.minQty) || qty.gt(market.maxQty) || !isMultipleOf(qty.minus(market.minQty), market.stepSize)) {
    throw binanceErrors.filterFailure('LOT_SIZE')
  }
  if (qty.mul(notionalPrice).lt(market.minNotional)) throw binanceErrors.filterFailure('NOTIONAL')
}

export type OrderBookDeps = { now: () => number; prices: Map<string, string> }

export const createOrderBook = ({ now, prices }: OrderBookDeps) => {
  let nextOrderId = 1
  let nextTradeId = 1

  const currentPrice = (symbol: string) => new Decimal(required('price', prices.get(symbol)))

  const fill = (account: AccountState, order: OrderRecord, price: Decimal, isMaker: boolean) => {
    const market = marketBySymbol(order.symbol)
    const qty = new Decimal(order.origQty)
    const isBuyer = order.side === 'BUY'
    const { quoteQty: quote, fee: commission, feeAsset: commissionAsset } = settleFill(account, {
      isBuy: isBuyer, base: market.baseAsset, quote: market.quoteAsset, qty, price, reserved: order.reserved.amount, feeRate: commissionRate,
    })
    const tradeId = nextTradeId++
    const time = now()
    order.fills.push({ price: fmt8(price), qty: fmt8(qty), commission: fmt8(commission), commissionAsset, tradeId })
    order.executedQty = qty.toFixed()
    order.cummulativeQuoteQty = quote.toFixed()
    order.status = 'FILLED'
    order.updateTime = time
    order.reserved = { asset: order.reserved.asset, amount: '0' }
    account.trades.push({
      symbol: order.symbol, id: tradeId, orderId: order.orderId, orderListId: -1, price: price.toFixed(), qty: qty.toFixed(),
      quoteQty: quote.toFixed(), commission: commission.toFixed(), commissionAsset, time, isBuyer, isMaker, isBestMatch: true,
    })
  }

  const release = (account: AccountState, order: OrderRecord, status: 'CANCELED' | 'EXPIRED') => {
    unlock(account, order.reserved)
    order.status = status
    order.updateTime = now()
    order.reserved = { asset: order.reserved.asset, amount: '0' }
  }

  /** Validates and places an order; throws a BinanceApiError exactly where Binance would reject it. */
  const place = (account: AccountState, input: PlaceOrderInput): OrderRecord => {
    const market = marketBySymbol(input.symbol)
    const side = pickEnum<OrderSide>('side', input.side, ['BUY', 'SELL'], binanceErrors.invalidSide)
    const type = pickEnum<OrderType>('type', input.type, ['MARKET', 'LIMIT', 'LIMIT_MAKER'], binanceErrors.invalidOrderType)
    const clientOrderId = input.newClientOrderId || `emu${randomBytes(11).toString('hex')}`
    if (!clientOrderIdPattern.test(clientOrderId)) throw binanceErrors.illegalChars('newClientOrderId', clientOrderIdPattern.source)
    if (account.orders.some((o) => o.status === 'NEW' && o.clientOrderId === clientOrderId)) throw binanceErrors.duplicateOrder()

    const marketPrice = currentPrice(market.symbol)
    const limitPrice = type === 'MARKET' ? undefined : required('price', parseDecimal('price', input.price))
    const timeInForce: TimeInForce = type === 'LIMIT' ? pickEnum<TimeInForce>('timeInForce', input.timeInForce, ['GTC', 'IOC', 'FOK'], binanceErrors.invalidTimeInForce) : 'GTC'
    const quoteOrderQty = type === 'MARKET' ? parseDecimal('quoteOrderQty', input.quoteOrderQty) : undefined
    const qty = quoteOrderQty !== undefined
      ? quoteOrderQty.div(marketPrice).div(market.stepSize).floor().mul(market.stepSize)
      : required('quantity', parseDecimal('quantity', input.quantity))
    validateFilters(market, qty, limitPrice, limitPrice ?? marketPrice)

    const isCrossing = limitPrice === undefined || (side === 'BUY' ? limitPrice.gte(marketPrice) : limitPrice.lte(marketPrice))
    if (type === 'LIMIT_MAKER' && isCrossing) throw binanceErrors.wouldTake()
    const reserved = side === 'BUY'
      ? { asset: market.quoteAsset, amount: qty.mul(limitPrice ?? marketPrice) }
      : { asset: market.baseAsset, amount: qty }
    if (freeBalance(account, reserved.asset).lt(reserved.amount)) throw binanceErrors.insufficientBalance()
    adjust(account, reserved.asset, reserved.amount.neg(), reserved.amount)

    const time = now()
    const order: OrderRecord = {
      symbol: market.symbol, orderId: nextOrderId++, clientOrderId, side, type, timeInForce,
      price: (limitPrice ?? new Decimal(0)).toFixed(), origQty: qty.toFixed(), origQuoteOrderQty: (quoteOrderQty ?? new Decimal(0)).toFixed(),
      executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW', time, updateTime: time,
      reserved: { asset: reserved.asset, amount: reserved.amount.toFixed() }, fills: [],
    }
    account.orders.push(order)
    if (isCrossing) fill(account, order, marketPrice, false)
    else if (timeInForce !== 'GTC') release(account, order, 'EXPIRED')
    return order
  }

  /** Finds an order by `orderId` or client order id (the latest one with that id), as Binance's GET /order does. */
  const find = (account: AccountState, symbol: string | undefined, orderId: string | undefined, clientOrderId: string | undefined) => {
    const market = marketBySymbol(symbol)
    if (!orderId && !clientOrderId) throw binanceErrors.mandatory('orderId')
    return account.orders.findLast((o) =>
      o.symbol === market.symbol && (orderId ? String(o.orderId) === orderId : o.clientOrderId === clientOrderId))
  }

  const cancel = (account: AccountState, symbol: string | undefined, orderId: string | undefined, clientOrderId: string | undefined) => {
    const order = find(account, symbol, orderId, clientOrderId)
    if (!order || order.status !== 'NEW') throw binanceErrors.unknownOrderCancel()
    release(account, order, 'CANCELED')
    return order
  }

  /** Sets the price of `symbol` and fills every resting limit order it crosses, at the order's price. */
  const setPrice = (accounts: Iterable<AccountState>, symbol: string, price: string) => {
    const market = marketBySymbol(symbol)
    const next = required('price', parseDecimal('price', price))
    prices.set(market.symbol, next.toFixed())
    for (const account of accounts) {
      for (const order of account.orders) {
        if (order.symbol !== market.symbol || order.status !== 'NEW') continue
        const limit = new Decimal(order.price)
        if (order.side === 'BUY' ? limit.gte(next) : limit.lte(next)) fill(account, order, limit, true)
      }
    }
  }

  return { place, find, cancel, setPrice }
}
export type OrderBook = ReturnType<typeof createOrderBook>

const orderCommon = (o: OrderRecord) => ({
  symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId,
})

const orderAmounts = (o: OrderRecord) => ({
  price: fmt8(o.price), origQty: fmt8(o.origQty), executedQty: fmt8(o.executedQty), origQuoteOrderQty: fmt8(o.origQuoteOrderQty),
  cummulativeQuoteQty: fmt8(o.cummulativeQuoteQty), status: o.status, timeInForce: o.timeInForce, type: o.type, side: o.side,
})

/** The shape of GET /api/v3/order, openOrders and allOrders entries. */
export const orderView = (o: OrderRecord) => ({
  ...orderCommon(o), ...orderAmounts(o), stopPrice: '0.00000000', icebergQty: '0.00000000', time: o.time, updateTime: o.updateTime,
  isWorking: true, workingTime: o.time, selfTradePreventionMode: 'EXPIRE_MAKER',
})

/** The POST /api/v3/order response for `newOrderRespType` ACK, RESULT or FULL (the default for MARKET and LIMIT). */
export const newOrderView = (o: OrderRecord, respType: string | undefined) => {
  const ack = { ...orderCommon(o), transactTime: o.time }
  if (respType === 'ACK') return ack
  const result = { ...ack, ...orderAmounts(o), workingTime: o.time, selfTradePreventionMode: 'EXPIRE_MAKER' }
  return respType === 'RESULT' ? result : { ...result, fills: o.fills }
}

export const canceledOrderView = (o: OrderRecord, newClientOrderId: string | undefined) => ({
  symbol: o.symbol, origClientOrderId: o.clientOrderId, orderId: o.orderId, orderListId: -1,
  clientOrderId: newClientOrderId || `emu${randomBytes(11).toString('hex')}`, transactTime: o.updateTime,
  ...orderAmounts(o), selfTradePreventionMode: 'EXPIRE_MAKER',
})
