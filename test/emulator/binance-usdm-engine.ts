import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import { BinanceApiError, binanceErrors, type AccountState } from './binance-types.js'

/**
 * USDⓈ-M perpetuals for the Binance futures emulator: one-way mode (positionSide BOTH), cross margin,
 * USDT as the only margin asset. Orders trade against the emulator's price, like the spot emulator:
 * market orders and crossing limit orders fill at once, in full, at the price (taker 0.05 %); resting
 * limit orders fill at their own price when `setPrice` crosses them (maker 0.02 %). Invariants:
 * - realized PnL and fees move `walletBalance` when a fill happens, and only then;
 * - an order is accepted only if the initial margin of every position and open order, at each one's
 *   leverage, fits in wallet balance + unrealized PnL (else -2019);
 * - a reduce-only order never opens or increases a position (else -2022), and is capped to the position;
 * - a countdown (POST /fapi/v1/countdownCancelAll) cancels every open order of its symbol once the
 *   emulator clock reaches its end, and is then gone; each call replaces it, 0 removes it. Expiry is
 *   applied before every request and every price move (Binance checks about every 10 ms), and by
 *   `runCountdowns()`, so a test moves the clock instead of waiting.
 */
export const futuresFees = { taker: '0.0005', maker: '0.0002' } as const

export type FuturesMarket = {
  symbol: string
  baseAsset: string
  tickSize: string
  stepSize: string
  minQty: string
  maxQty: string
  minNotional: string
  maxLeverage: number
}

export const futuresMarkets: readonly FuturesMarket[] = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', tickSize: '0.10', stepSize: '0.001', minQty: '0.001', maxQty: '1000', minNotional: '100', maxLeverage: 125 },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', maxQty: '10000', minNotional: '20', maxLeverage: 100 },
]

export const futuresDefaultPrices: Record<string, string> = { BTCUSDT: '50000', ETHUSDT: '3000' }

export type FuturesPosition = { amt: string; entryPrice: string; leverage: number; updateTime: number }
export type FuturesOrderStatus = 'NEW' | 'FILLED' | 'CANCELED' | 'EXPIRED'
export type FuturesOrder = {
  orderId: number
  symbol: string
  clientOrderId: string
  side: 'BUY' | 'SELL'
  type: 'MARKET' | 'LIMIT'
  timeInForce: 'GTC' | 'IOC' | 'FOK' | 'GTX'
  price: string
  origQty: string
  executedQty: string
  avgPrice: string
  cumQuote: string
  reduceOnly: boolean
  status: FuturesOrderStatus
  time: number
  updateTime: number
}
export type FuturesTrade = { id: number; orderId: number; symbol: string; side: 'BUY' | 'SELL'; price: string; qty: string; quoteQty: string; realizedPnl: string; commission: string; time: number; maker: boolean }

export type FuturesState = {
  /** USDT wallet balance (deposits + realized PnL − fees). */
  walletBalance: string
  positions: Map<string, FuturesPosition>
  orders: FuturesOrder[]
  trades: FuturesTrade[]
  /** Symbol → when its countdown ends (emulator clock, ms). */
  countdowns: Map<string, number>
}

/** A Binance USDⓈ-M account: the spot key state (permissions, IP list, spot wallet for sapi routes) plus futures. */
export type FuturesAccountState = AccountState & { futures: FuturesState }

export const futuresErrors = {
  marginInsufficient: () => new BinanceApiError(400, -2019, 'Margin is insufficient.'),
  reduceOnlyRejected: () => new BinanceApiError(400, -2022, 'ReduceOnly Order is rejected.'),
  invalidLeverage: (leverage: string) => new BinanceApiError(400, -4028, `Leverage ${leverage} is not valid`),
  minNotional: (min: string) => new BinanceApiError(400, -4164, `Order's notional must be no smaller than ${min} (unless you choose reduce only).`),
  postOnlyRejected: () => new BinanceApiError(400, -5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history'),
  precision: () => new BinanceApiError(400, -1111, 'Precision is over the maximum defined for this asset.'),
  unknownOrderCancel: () => new BinanceApiError(400, -2011, 'Unknown order sent.'),
  noNeedToChangeMarginType: () => new BinanceApiError(400, -4046, 'No need to change margin type.'),
} as const

const decimalPattern = /^\d{1,20}(\.\d{1,20})?$/
const clientOrderIdPattern = /^[.A-Z:/a-z0-9_-]{1,36}$/

export const futuresMarket = (symbol: string | undefined): FuturesMarket => {
  if (!symbol) throw binanceErrors.mandatory('symbol')
  const m = futuresMarkets.find((x) => x.symbol === symbol)
  if (!m) throw binanceErrors.invalidSymbol()
  return m
}

const dec = (name: string, v: string | undefined): Decimal | undefined => {
  if (v === undefined || v === '') return undefined
  if (!decimalPattern.test(v)) throw binanceErrors.illegalChars(name, decimalPattern.source)
  return new Decimal(v)
}

export const newFuturesState = (walletBalance = '0'): FuturesState => ({ walletBalance: new Decimal(walletBalance).toFixed(), positions: new Map(), orders: [], trades: [], countdowns: new Map() })

export type FuturesOrderInput = {
  symbol?: string
  side?: string
  type?: string
  timeInForce?: string
  quantity?: string
  price?: string
  newClientOrderId?: string
  reduceOnly?: string
}

export const createFuturesEngine = ({ now, prices }: { now: () => number; prices: Map<string, string> }) => {
  let nextOrderId = 4_000_000_000 + randomBytes(2).readUInt16BE(0) * 1000
  let nextTradeId = 1

  const priceOf = (symbol: string) => new Decimal(prices.get(symbol) ?? '0')
  const positionOf = (f: FuturesState, symbol: string): FuturesPosition => {
    let p = f.positions.get(symbol)
    if (!p) {
      p = { amt: '0', entryPrice: '0', leverage: 20, updateTime: 0 }
      f.positions.set(symbol, p)
    }
    return p
  }

  const unrealized = (f: FuturesState) =>
    [...f.positions].reduce((sum, [symbol, p]) => sum.plus(new Decimal(p.amt).mul(priceOf(symbol).minus(p.entryPrice))), new Decimal(0))

  /** Initial margin of positions and of open orders that would add exposure, each at its symbol's leverage. */
  const initialMargin = (f: FuturesState) => {
    const positions = [...f.positions].reduce((sum, [symbol, p]) => sum.plus(new Decimal(p.amt).abs().mul(priceOf(symbol)).div(p.leverage)), new Decimal(0))
    const orders = f.orders
      .filter((o) => o.status === 'NEW' && !o.reduceOnly)
      .reduce((sum, o) => sum.plus(new Decimal(o.origQty).mul(o.price).div(positionOf(f, o.symbol).leverage)), new Decimal(0))
    return { positions, orders, total: positions.plus(orders) }
  }

  const marginBalance = (f: FuturesState) => new Decimal(f.walletBalance).plus(unrealized(f))
  const available = (f: FuturesState) => Decimal.max(0, marginBalance(f).minus(initialMargin(f).total))

  const fill = (f: FuturesState, order: FuturesOrder, price: Decimal, maker: boolean) => {
    const p = positionOf(f, order.symbol)
    const amt = new Decimal(p.amt)
    const signed = new Decimal(order.origQty).mul(order.side === 'BUY' ? 1 : -1)
    let realized = new Decimal(0)
    let next = amt.plus(signed)
    if (amt.isZero() || amt.isNeg() === signed.isNeg()) {
      p.entryPrice = amt.abs().mul(p.entryPrice).plus(signed.abs().mul(price)).div(next.abs()).toFixed()
    } else {
      const closed = Decimal.min(amt.abs(), signed.abs())
      realized = closed.mul(price.minus(p.entryPrice)).mul(amt.isNeg() ? -1 : 1)
      if (next.isZero()) p.entryPrice = '0'
      else if (next.isNeg() !== amt.isNeg()) p.entryPrice = price.toFixed() // flipped: the rest opens at this price
    }
    if (next.abs().lt('1e-12')) next = new Decimal(0)
    const quote = signed.abs().mul(price)
    const commission = quote.mul(maker ? futuresFees.maker : futuresFees.taker).toDecimalPlaces(8, Decimal.ROUND_UP)
    const time = now()
    p.amt = next.toFixed()
    p.updateTime = time
    f.walletBalance = new Decimal(f.walletBalance).plus(realized).minus(commission).toFixed()
    Object.assign(order, { executedQty: order.origQty, avgPrice: price.toFixed(), cumQuote: quote.toFixed(), status: 'FILLED', updateTime: time })
    f.trades.push({ id: nextTradeId++, orderId: order.orderId, symbol: order.symbol, side: order.side, price: price.toFixed(), qty: order.origQty, quoteQty: quote.toFixed(), realizedPnl: realized.toFixed(), commission: commission.toFixed(), time, maker })
  }

  const place = (account: FuturesAccountState, input: FuturesOrderInput): FuturesOrder => {
    const f = account.futures
    const m = futuresMarket(input.symbol)
    const side = input.side === 'BUY' || input.side === 'SELL' ? input.side : (() => { throw input.side ? binanceErrors.invalidSide() : binanceErrors.mandatory('side') })()
    const type = input.type === 'MARKET' || input.type === 'LIMIT' ? input.type : (() => { throw input.type ? binanceErrors.invalidOrderType() : binanceErrors.mandatory('type') })()
    const timeInForce = type === 'MARKET' ? 'GTC' : (input.timeInForce ?? '')
    if (timeInForce !== 'GTC' && timeInForce !== 'IOC' && timeInForce !== 'FOK' && timeInForce !== 'GTX') throw timeInForce ? binanceErrors.invalidTimeInForce() : binanceErrors.mandatory('timeInForce')
    const clientOrderId = input.newClientOrderId || `emu${randomBytes(11).toString('hex')}`
    if (!clientOrderIdPattern.test(clientOrderId)) throw binanceErrors.illegalChars('newClientOrderId', clientOrderIdPattern.source)
    if (f.orders.some((o) => o.status === 'NEW' && o.clientOrderId === clientOrderId)) throw binanceErrors.duplicateOrder()
    let qty = dec('quantity', input.quantity)
    if (qty === undefined) throw binanceErrors.mandatory('quantity')
    const limitPrice = type === 'LIMIT' ? dec('price', input.price) : undefined
    if (type === 'LIMIT' && limitPrice === undefined) throw binanceErrors.mandatory('price')
    if (!qty.mod(m.stepSize).isZero() || (limitPrice && !limitPrice.mod(m.tickSize).isZero())) throw futuresErrors.precision()
    if (qty.lt(m.minQty) || qty.gt(m.maxQty)) throw binanceErrors.filterFailure('LOT_SIZE')
    const reduceOnly = input.reduceOnly === 'true'
    const market = priceOf(m.symbol)
    const position = new Decimal(positionOf(f, m.symbol).amt)
    if (reduceOnly) {
      if (position.isZero() || position.isNeg() === (side === 'SELL')) throw futuresErrors.reduceOnlyRejected()
      qty = Decimal.min(qty, position.abs())
    } else if (qty.mul(limitPrice ?? market).lt(m.minNotional)) throw futuresErrors.minNotional(m.minNotional)
    const isCrossing = limitPrice === undefined || (side === 'BUY' ? limitPrice.gte(market) : limitPrice.lte(market))
    if (timeInForce === 'GTX' && isCrossing) throw futuresErrors.postOnlyRejected()
    // Exposure this order adds, at the symbol's leverage, must fit in what is available.
    const adds = reduceOnly ? new Decimal(0) : Decimal.max(0, position.plus(qty.mul(side === 'BUY' ? 1 : -1)).abs().minus(position.abs()))
    if (adds.mul(limitPrice ?? market).div(positionOf(f, m.symbol).leverage).gt(available(f))) throw futuresErrors.marginInsufficient()

    const time = now()
    const order: FuturesOrder = {
      orderId: nextOrderId++, symbol: m.symbol, clientOrderId, side, type, timeInForce, price: (limitPrice ?? new Decimal(0)).toFixed(),
      origQty: qty.toFixed(), executedQty: '0', avgPrice: '0', cumQuote: '0', reduceOnly, status: 'NEW', time, updateTime: time,
    }
    f.orders.push(order)
    if (isCrossing) fill(f, order, market, false)
    else if (timeInForce === 'IOC' || timeInForce === 'FOK') Object.assign(order, { status: 'EXPIRED', updateTime: time })
    return order
  }

  const find = (account: FuturesAccountState, symbol: string | undefined, orderId: string | undefined, clientOrderId: string | undefined) => {
    const m = futuresMarket(symbol)
    if (!orderId && !clientOrderId) throw binanceErrors.mandatory('orderId')
    return account.futures.orders.findLast((o) => o.symbol === m.symbol && (orderId ? String(o.orderId) === orderId : o.clientOrderId === clientOrderId))
  }

  const cancel = (account: FuturesAccountState, symbol: string | undefined, orderId: string | undefined, clientOrderId: string | undefined) => {
    const o = find(account, symbol, orderId, clientOrderId)
    if (!o || o.status !== 'NEW') throw futuresErrors.unknownOrderCancel()
    Object.assign(o, { status: 'CANCELED', updateTime: now() })
    return o
  }

  const setLeverage = (account: FuturesAccountState, symbol: string | undefined, leverage: string | undefined) => {
    const m = futuresMarket(symbol)
    if (!leverage || !/^\d+$/.test(leverage) || Number(leverage) < 1 || Number(leverage) > m.maxLeverage) throw futuresErrors.invalidLeverage(leverage ?? '')
    const p = positionOf(account.futures, m.symbol)
    const before = p.leverage
    p.leverage = Number(leverage)
    if (available(account.futures).isZero() && initialMargin(account.futures).total.gt(marginBalance(account.futures))) {
      p.leverage = before
      throw futuresErrors.marginInsufficient()
    }
    return { leverage: p.leverage, maxNotionalValue: String(Math.floor(50_000_000 / p.leverage)), symbol: m.symbol }
  }

  /** Starts, replaces (each call) or, with 0, stops the countdown of one symbol. */
  const setCountdown = (account: FuturesAccountState, symbol: string | undefined, countdownTime: string | undefined) => {
    const m = futuresMarket(symbol)
    if (countdownTime === undefined || countdownTime === '') throw binanceErrors.mandatory('countdownTime')
    if (!/^\d{1,12}$/.test(countdownTime)) throw binanceErrors.illegalChars('countdownTime', '^[0-9]{1,12}$')
    const ms = Number(countdownTime)
    if (ms === 0) account.futures.countdowns.delete(m.symbol)
    else account.futures.countdowns.set(m.symbol, now() + ms)
    return { symbol: m.symbol, countdownTime: String(ms) }
  }

  /** Ends the countdowns that are due: every open order of their symbol is cancelled. Returns how many were. */
  const expireCountdowns = (accounts: Iterable<FuturesAccountState>): number => {
    const t = now()
    let cancelled = 0
    for (const a of accounts) {
      for (const [symbol, endsAt] of a.futures.countdowns) {
        if (endsAt > t) continue
        a.futures.countdowns.delete(symbol)
        for (const o of a.futures.orders) {
          if (o.symbol !== symbol || o.status !== 'NEW') continue
          Object.assign(o, { status: 'CANCELED', updateTime: t })
          cancelled += 1
        }
      }
    }
    return cancelled
  }

  const setPrice = (accounts: Iterable<FuturesAccountState>, symbol: string, price: string) => {
    const m = futuresMarket(symbol)
    const next = dec('price', price)
    if (next === undefined) throw binanceErrors.mandatory('price')
    const all = [...accounts]
    expireCountdowns(all)
    prices.set(m.symbol, next.toFixed())
    for (const a of all) {
      for (const o of a.futures.orders) {
        if (o.symbol !== m.symbol || o.status !== 'NEW') continue
        const limit = new Decimal(o.price)
        if (o.side === 'BUY' ? limit.gte(next) : limit.lte(next)) {
          if (o.reduceOnly) {
            const pos = new Decimal(positionOf(a.futures, o.symbol).amt)
            if (pos.isZero() || pos.isNeg() === (o.side === 'SELL')) {
              Object.assign(o, { status: 'EXPIRED', updateTime: now() })
              continue
            }
            o.origQty = Decimal.min(o.origQty, pos.abs()).toFixed()
          }
          fill(a.futures, o, limit, true)
        }
      }
    }
  }

  return { place, find, cancel, setLeverage, setCountdown, expireCountdowns, setPrice, positionOf, unrealized, initialMargin, marginBalance, available, priceOf }
}
export type FuturesEngine = ReturnType<typeof createFuturesEngine>
