import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'

/**
 * A venue-neutral spot wallet and matching engine for the OKX and Bybit families (the Binance spot
 * emulator keeps its own matching, typed to Binance's errors, on the same wallet helpers). Each family validates its wire format, calls this,
 * and maps a `LedgerError` to its own error code. Invariants, as in the Binance emulator:
 * - an open order's `reserved` amount sits in `locked`, and nowhere else;
 * - market orders and limit orders that cross the price fill at once, in full, at the current price;
 * - resting limit orders fill in full at their own price when `setPrice` crosses them;
 * - the fee is 0.1 % of the asset received;
 * - a post-only order that would take is cancelled at once (OKX and Bybit do that, they do not reject it).
 */
export const spotFeeRate = '0.001'

export type SpotMarket = {
  /** The venue's market id, e.g. BTC-USDT (OKX) or BTCUSDT (Bybit). */
  id: string
  base: string
  quote: string
  tickSize: string
  stepSize: string
  minQty: string
  maxQty: string
  /** Minimum qty × price in the quote asset. */
  minNotional: string
}

export type Balance = { free: string; locked: string }

export type SpotOrderStatus = 'open' | 'filled' | 'canceled' | 'expired'
export type SpotTimeInForce = 'GTC' | 'IOC' | 'FOK' | 'POST_ONLY'

export type SpotOrder = {
  orderId: string
  clientOrderId: string
  marketId: string
  side: 'buy' | 'sell'
  type: 'market' | 'limit'
  timeInForce: SpotTimeInForce
  /** Limit price; '0' for market orders. */
  price: string
  qty: string
  filledQty: string
  /** Quote amount traded so far. */
  cumQuote: string
  avgPrice: string
  fee: string
  feeAsset: string
  status: SpotOrderStatus
  createdAt: number
  updatedAt: number
  reserved: { asset: string; amount: string }
  /** Free-form venue fields kept with the order (e.g. OKX `tag`, `tgtCcy`). */
  extra: Record<string, string>
}

export type SpotTrade = { tradeId: string; orderId: string; marketId: string; side: 'buy' | 'sell'; price: string; qty: string; fee: string; feeAsset: string; isMaker: boolean; time: number }

export type SpotAccount = { balances: Map<string, Balance>; orders: SpotOrder[]; trades: SpotTrade[] }

export type LedgerErrorKind = 'bad_param' | 'unknown_market' | 'price_filter' | 'lot_size' | 'min_notional' | 'insufficient_funds' | 'duplicate_client_id' | 'not_found' | 'not_open'

/** What went wrong, in venue-neutral terms; each family maps it to its own code and message. */
export class LedgerError extends Error {
  constructor(
    readonly kind: LedgerErrorKind,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`)
    this.name = 'LedgerError'
  }
}

export type PlaceInput = {
  marketId: string
  side: 'buy' | 'sell'
  type: 'market' | 'limit'
  timeInForce: SpotTimeInForce
  /** Base quantity; for a market buy, either this or `quoteQty`. */
  qty?: string
  quoteQty?: string
  price?: string
  clientOrderId?: string
  extra?: Record<string, string>
}

const decimalPattern = /^\d{1,20}(\.\d{1,20})?$/

export const parseAmount = (name: string, value: string | undefined): Decimal | undefined => {
  if (value === undefined || value === '') return undefined
  if (!decimalPattern.test(value)) throw new LedgerError('bad_param', name)
  return new Decimal(value)
}

/** A wallet from decimal strings, e.g. `{ USDT: '10000' }`: all free, nothing locked. */
export const newWallet = (balances: Record<string, string> = {}): Map<string, Balance> =>
  new Map(Object.entries(balances).map(([asset, free]) => [asset, { free: new Decimal(free).toFixed(), locked: '0' }]))

export const newSpotAccount = (balances: Record<string, string> = {}): SpotAccount => ({ balances: newWallet(balances), orders: [], trades: [] })

type Wallet = { balances: Map<string, Balance> }

/** An asset's balance as decimals; a missing asset is zero. */
export const balanceOf = (account: Wallet, asset: string) => {
  const b = account.balances.get(asset)
  return { free: new Decimal(b?.free ?? '0'), locked: new Decimal(b?.locked ?? '0') }
}

/** Adds (possibly negative) deltas to an asset's free and locked amounts. */
export const adjust = (account: Wallet, asset: string, freeDelta: Decimal.Value, lockedDelta: Decimal.Value = 0) => {
  const { free, locked } = balanceOf(account, asset)
  account.balances.set(asset, { free: free.plus(freeDelta).toFixed(), locked: locked.plus(lockedDelta).toFixed() })
}

/** Returns an open order's reservation from `locked` to `free` (cancel, expiry). */
export const unlock = (account: Wallet, reserved: { asset: string; amount: string }) => {
  const amount = new Decimal(reserved.amount)
  adjust(account, reserved.asset, amount, amount.neg())
}

/**
 * Settles an order's full fill in the wallet: its reservation leaves `locked` (a buy gets back what it
 * held beyond the cost) and the fee is `feeRate` of the asset received, rounded up to 8 places.
 */
export const settleFill = (account: Wallet, f: { isBuy: boolean; base: string; quote: string; qty: Decimal; price: Decimal; reserved: string; feeRate: string }) => {
  const quoteQty = f.qty.mul(f.price)
  const reserved = new Decimal(f.reserved)
  const fee = (f.isBuy ? f.qty : quoteQty).mul(f.feeRate).toDecimalPlaces(8, Decimal.ROUND_UP)
  if (f.isBuy) {
    adjust(account, f.quote, reserved.minus(quoteQty), reserved.neg())
    adjust(account, f.base, f.qty.minus(fee))
  } else {
    adjust(account, f.base, 0, reserved.neg())
    adjust(account, f.quote, quoteQty.minus(fee))
  }
  return { quoteQty, fee, feeAsset: f.isBuy ? f.base : f.quote }
}

/** Moves `amount` into (positive) or out of (negative) the free balance; withdraw and transfer routes use it. */
export const moveFree = (account: SpotAccount, asset: string, amount: Decimal.Value) => {
  if (balanceOf(account, asset).free.plus(amount).isNegative()) throw new LedgerError('insufficient_funds', asset)
  adjust(account, asset, amount)
}

export const createSpotLedger = ({ now, prices, markets, newOrderId }: { now: () => number; prices: Map<string, string>; markets: readonly SpotMarket[]; newOrderId: () => string }) => {
  let nextTradeId = 1

  const market = (id: string | undefined): SpotMarket => {
    const m = markets.find((x) => x.id === id)
    if (!m) throw new LedgerError('unknown_market', id ?? '')
    return m
  }
  const priceOf = (m: SpotMarket) => new Decimal(prices.get(m.id) ?? '0')

  const fill = (account: SpotAccount, order: SpotOrder, price: Decimal, isMaker: boolean) => {
    const m = market(order.marketId)
    const qty = new Decimal(order.qty)
    const { quoteQty: quote, fee, feeAsset } = settleFill(account, { isBuy: order.side === 'buy', base: m.base, quote: m.quote, qty, price, reserved: order.reserved.amount, feeRate: spotFeeRate })
    const time = now()
    Object.assign(order, {
      filledQty: qty.toFixed(), cumQuote: quote.toFixed(), avgPrice: price.toFixed(), fee: fee.toFixed(), feeAsset, status: 'filled', updatedAt: time,
      reserved: { asset: order.reserved.asset, amount: '0' },
    })
    account.trades.push({ tradeId: String(nextTradeId++), orderId: order.orderId, marketId: m.id, side: order.side, price: price.toFixed(), qty: qty.toFixed(), fee: fee.toFixed(), feeAsset, isMaker, time })
  }

  const release = (account: SpotAccount, order: SpotOrder, status: 'canceled' | 'expired') => {
    unlock(account, order.reserved)
    Object.assign(order, { status, updatedAt: now(), reserved: { asset: order.reserved.asset, amount: '0' } })
  }

  const place = (account: SpotAccount, input: PlaceInput): SpotOrder => {
    const m = market(input.marketId)
    const clientOrderId = input.clientOrderId ?? ''
    if (clientOrderId && account.orders.some((o) => o.clientOrderId === clientOrderId)) throw new LedgerError('duplicate_client_id', clientOrderId)
    const marketPrice = priceOf(m)
    const limitPrice = input.type === 'limit' ? parseAmount('price', input.price) : undefined
    if (input.type === 'limit' && limitPrice === undefined) throw new LedgerError('bad_param', 'price')
    if (limitPrice !== undefined && (limitPrice.lte(0) || !limitPrice.mod(m.tickSize).isZero())) throw new LedgerError('price_filter', limitPrice.toFixed())
    const quoteQty = input.type === 'market' ? parseAmount('quoteQty', input.quoteQty) : undefined
    const qty = quoteQty !== undefined
      ? quoteQty.div(marketPrice).div(m.stepSize).floor().mul(m.stepSize)
      : parseAmount('qty', input.qty)
    if (qty === undefined) throw new LedgerError('bad_param', 'qty')
    if (qty.lt(m.minQty) || qty.gt(m.maxQty) || !qty.mod(m.stepSize).isZero()) throw new LedgerError('lot_size', qty.toFixed())
    if (qty.mul(limitPrice ?? marketPrice).lt(m.minNotional)) throw new LedgerError('min_notional', qty.mul(limitPrice ?? marketPrice).toFixed())

    const isCrossing = limitPrice === undefined || (input.side === 'buy' ? limitPrice.gte(marketPrice) : limitPrice.lte(marketPrice))
    const reserved = input.side === 'buy' ? { asset: m.quote, amount: qty.mul(limitPrice ?? marketPrice) } : { asset: m.base, amount: qty }
    if (balanceOf(account, reserved.asset).free.lt(reserved.amount)) throw new LedgerError('insufficient_funds', reserved.asset)
    adjust(account, reserved.asset, reserved.amount.neg(), reserved.amount)

    const time = now()
    const order: SpotOrder = {
      orderId: newOrderId(), clientOrderId, marketId: m.id, side: input.side, type: input.type, timeInForce: input.timeInForce,
      price: (limitPrice ?? new Decimal(0)).toFixed(), qty: qty.toFixed(), filledQty: '0', cumQuote: '0', avgPrice: '0', fee: '0',
      feeAsset: input.side === 'buy' ? m.base : m.quote, status: 'open', createdAt: time, updatedAt: time,
      reserved: { asset: reserved.asset, amount: reserved.amount.toFixed() }, extra: { ...input.extra },
    }
    account.orders.push(order)
    // OKX and Bybit both cancel (rather than reject) a post-only order that would take.
    if (isCrossing && input.timeInForce === 'POST_ONLY') release(account, order, 'canceled')
    else if (isCrossing) fill(account, order, marketPrice, false)
    else if (input.timeInForce === 'IOC' || input.timeInForce === 'FOK') release(account, order, 'expired')
    return order
  }

  /** By order id, or by client order id (the latest order with it). */
  const find = (account: SpotAccount, marketId: string | undefined, by: { orderId?: string; clientOrderId?: string }) => {
    const m = market(marketId)
    if (!by.orderId && !by.clientOrderId) throw new LedgerError('bad_param', 'orderId')
    return account.orders.findLast((o) => o.marketId === m.id && (by.orderId ? o.orderId === by.orderId : o.clientOrderId === by.clientOrderId))
  }

  const cancel = (account: SpotAccount, marketId: string | undefined, by: { orderId?: string; clientOrderId?: string }) => {
    const order = find(account, marketId, by)
    if (!order) throw new LedgerError('not_found', by.orderId ?? by.clientOrderId ?? '')
    if (order.status !== 'open') throw new LedgerError('not_open', order.status)
    release(account, order, 'canceled')
    return order
  }

  const setPrice = (accounts: Iterable<SpotAccount>, marketId: string, price: string) => {
    const m = market(marketId)
    const next = parseAmount('price', price)
    if (next === undefined) throw new LedgerError('bad_param', 'price')
    prices.set(m.id, next.toFixed())
    for (const account of accounts) {
      for (const order of account.orders) {
        if (order.marketId !== m.id || order.status !== 'open') continue
        const limit = new Decimal(order.price)
        if (order.side === 'buy' ? limit.gte(next) : limit.lte(next)) fill(account, order, limit, true)
      }
    }
  }

  return { market, place, find, cancel, setPrice }
}
export type SpotLedger = ReturnType<typeof createSpotLedger>

/** Numeric order ids as decimal strings (OKX and Bybit both use long numeric ids). */
export const numericIds = (start = 600_000_000_000_000_000n) => {
  let next = start + BigInt(randomBytes(2).readUInt16BE(0)) * 1_000_000n
  return () => String(next++)
}
