import { Decimal, isDecimalString, toDecimalString } from '../../lib/decimal.js'
import type {
  DemoBookModel,
  DemoEngineDefaults,
  DemoEvent,
  DemoMarginTier,
  DemoMarketDef,
  DemoOrder,
  DemoOrderStatus,
  DemoOrderType,
  DemoPosition,
  MarginMode,
  PositionSide,
  Side,
  TimeInForce,
} from './engine-types.js'
import { hash32 } from './prng.js'
import { PriceIndex } from './price-index.js'

/**
 * The engine's internal, mutable records. Money is Decimal; prices are also held as integer keys
 * (price × 10^(tick decimals + 2)) so the hot path compares numbers, never decimals. Every iteration
 * that emits events runs over a history-independent order (price/rank, ids, position keys), so a
 * restored engine emits exactly what an uninterrupted one would.
 */

export const ZERO = new Decimal(0)
export const ONE = new Decimal(1)
/** Plain decimal text. decimal.js keeps no trailing zeros and our clone prints plain notation for
 *  exponents in [-30, 40), so toString() equals toDecimalString() there, at a fraction of the cost. */
export const str = (d: Decimal): string => (d.isZero() ? '0' : d.e > -30 && d.e < 40 ? d.toString() : toDecimalString(d))

export type Tier = { floor: Decimal; cap: Decimal; mmr: Decimal; cum: Decimal; maxLeverage: number; capF: number; mmrF: number; cumF: number }
export type BookParams = Required<Omit<DemoBookModel, 'minLevelNotional'>> & { minLevelNotional: number }

export type MarketRt = {
  def: DemoMarketDef
  symbol: string
  isLinear: boolean
  base: string
  quote: string
  tick: Decimal
  tickDecimals: number
  lot: Decimal
  lotF: number
  minAmount: Decimal
  minNotional: Decimal
  keyScale: number
  tickKey: number
  stream: number
  tiers: Tier[]
  maxLeverage: number
  liqFeeRate: Decimal
  fundingIntervalMs: number
  book: BookParams
  lastPrice: string | null
  lastKey: number
  lastDec: Decimal | null
  markPrice: string | null
  markKey: number
  markDec: Decimal | null
  fundingRate: Decimal
  nextFundingTime: number | null
  volumeBuckets: number[]
  volumeMinute: number
  updates: number
  bookCache: Book | null
  /** Resting limit orders (buys: fill when trades come down to them; sells: up). */
  buys: PriceIndex<OrderRec>
  sells: PriceIndex<OrderRec>
  /** Untriggered stops by stop key: `rise` fire at price ≥ stop, `fall` at price ≤ stop. */
  riseStops: PriceIndex<OrderRec>
  fallStops: PriceIndex<OrderRec>
  /** Orders taking from the modelled book over several updates, by rank. */
  working: OrderRec[]
  /** Isolated positions by liquidation key: longs liquidate at mark ≤ key, shorts at mark ≥ key. */
  liqLong: PriceIndex<PosRec>
  liqShort: PriceIndex<PosRec>
  /** Cross-margin accounts holding a position here: checked on every mark change. */
  crossHolders: Set<FuturesAccountRt>
  positions: Set<PosRec>
}

export type Book = { bidKey: number; askKey: number; stepKey: number; levels: number; levelQty: Decimal }

export type OrderRec = {
  id: string
  num: number
  clientOrderId: string | null
  account: AccountRt
  market: MarketRt
  type: DemoOrderType
  side: Side
  isBuy: boolean
  timeInForce: TimeInForce
  postOnly: boolean
  reduceOnly: boolean
  positionSide: PositionSide
  amount: Decimal
  price: Decimal | null
  priceKey: number
  stopPrice: Decimal | null
  stopKey: number
  triggerDirection: 'rise' | 'fall' | null
  triggeredAt: number | null
  status: DemoOrderStatus
  statusReason: string | null
  filled: Decimal
  cost: Decimal
  fee: Decimal
  feeCurrency: string
  reserved: Decimal
  reservePrice: Decimal | null
  protectionKey: number
  queueAhead: Decimal
  rank: number
  where: 'none' | 'book' | 'stop' | 'working'
  /** Update counter when it last became active: skipped by that same update's later passes. */
  activeAt: number
  createdAt: number
  updatedAt: number
}

export type SpotAccountRt = {
  kind: 'spot'
  id: string
  makerFee: Decimal
  takerFee: Decimal
  balances: Map<string, { total: Decimal; used: Decimal }>
  orders: Map<string, OrderRec>
}

/** Floats at the current mark for one market's cross positions: t = Σ (uPnL − MM), u = Σ (uPnL − IM), n = Σ notional. */
export type CrossTerm = { t: number; u: number; n: number; positions: PosRec[] }

export type FuturesAccountRt = {
  kind: 'futures'
  id: string
  makerFee: Decimal
  takerFee: Decimal
  asset: string
  wallet: Decimal
  hedged: boolean
  settings: Map<string, { leverage: number; marginMode: MarginMode }>
  positions: Map<string, PosRec>
  orders: Map<string, OrderRec>
  /** Derived: margin held by open orders (in total, per symbol|positionSide|side, and as a float), and the sum of isolated margins. */
  orderMargin: Decimal
  orderMarginBy: Map<string, Decimal>
  orderMarginF: number
  isoSum: Decimal
  /** The engine's default leverage (settings hold the chosen ones). */
  defaultLeverage: number
  /** Float mirrors for the cross-margin pre-check: wallet − isolated margins, and per market (uPnL − MM). */
  crossWalletF: number
  crossTerms: Map<MarketRt, CrossTerm>
}

export type AccountRt = SpotAccountRt | FuturesAccountRt

export type PosRec = {
  account: FuturesAccountRt
  market: MarketRt
  positionSide: PositionSide
  /** accountId|symbol|positionSide: the fixed order among positions. */
  key: string
  side: 1 | -1 | 0
  size: Decimal
  entry: Decimal
  isoMargin: Decimal
  isIsolated: boolean
  realizedPnl: Decimal
  openedAt: number
  updatedAt: number
  sizeF: number
  entryF: number
  liqKey: number
  liqIndex: 'long' | 'short' | null
}

export type EngineCtx = {
  seed: string
  seedHash: number
  now: number
  counters: { event: number; order: number; fill: number; rank: number }
  defaults: DemoEngineDefaults
  markets: Map<string, MarketRt>
  accounts: Map<string, AccountRt>
  orders: Map<string, OrderRec>
  /** accountId + '\n' + clientOrderId of open orders. */
  clientIds: Map<string, OrderRec>
  out: DemoEvent[]
}

type EventBody = DemoEvent extends infer E ? (E extends DemoEvent ? Omit<E, 'seq' | 'time'> : never) : never

export const emit = (ctx: EngineCtx, body: EventBody): void => {
  ctx.out.push({ seq: ++ctx.counters.event, time: ctx.now, ...body } as DemoEvent)
}

/** Binance USDⓈ-M BTCUSDT-like brackets (maintenance amounts follow from continuity). */
export const defaultTiers: DemoMarginTier[] = [
  { maxNotional: '50000', maintenanceMarginRate: '0.004', maxLeverage: 125 },
  { maxNotional: '250000', maintenanceMarginRate: '0.005', maxLeverage: 100 },
  { maxNotional: '3000000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { maxNotional: '15000000', maintenanceMarginRate: '0.025', maxLeverage: 20 },
  { maxNotional: '30000000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
  { maxNotional: '80000000', maintenanceMarginRate: '0.1', maxLeverage: 5 },
  { maxNotional: '100000000', maintenanceMarginRate: '0.125', maxLeverage: 4 },
  { maxNotional: '200000000', maintenanceMarginRate: '0.15', maxLeverage: 3 },
  { maxNotional: '300000000', maintenanceMarginRate: '0.25', maxLeverage: 2 },
  { maxNotional: '500000000', maintenanceMarginRate: '0.5', maxLeverage: 1 },
]

const positive = (value: string | undefined, what: string, symbol: string): Decimal => {
  if (value === undefined || !isDecimalString(value) || !new Decimal(value).gt(0)) throw new RangeError(`market ${symbol}: ${what} must be a positive decimal string`)
  return new Decimal(value)
}

const decimalsOf = (d: Decimal): number => d.decimalPlaces()

export const createMarket = (def: DemoMarketDef): MarketRt => {
  const { symbol } = def
  const tick = positive(def.tickSize, 'tickSize', symbol)
  const lot = positive(def.lotSize, 'lotSize', symbol)
  const minNotional = def.minNotional === '0' ? ZERO : positive(def.minNotional, 'minNotional', symbol)
  const minAmount = def.minAmount === undefined ? lot : positive(def.minAmount, 'minAmount', symbol)
  const tickDecimals = decimalsOf(tick)
  const keyScale = 10 ** (tickDecimals + 2)
  const isLinear = def.kind === 'linear'
  const tiers: Tier[] = []
  let floor = ZERO
  let cum = ZERO
  let prevMmr = ZERO
  for (const t of isLinear ? (def.tiers ?? defaultTiers) : []) {
    const cap = positive(t.maxNotional, 'tier maxNotional', symbol)
    const mmr = positive(t.maintenanceMarginRate, 'tier maintenanceMarginRate', symbol)
    if (!cap.gt(floor) || !Number.isInteger(t.maxLeverage) || t.maxLeverage < 1 || t.maxLeverage > 125) throw new RangeError(`market ${symbol}: tiers must ascend, with leverage 1-125`)
    // Continuity: at a bracket's floor both brackets demand the same maintenance margin.
    cum = cum.plus(floor.mul(mmr.minus(prevMmr)))
    tiers.push({ floor, cap, mmr, cum, maxLeverage: t.maxLeverage, capF: cap.toNumber(), mmrF: mmr.toNumber(), cumF: cum.toNumber() })
    floor = cap
    prevMmr = mmr
  }
  const b = def.book ?? {}
  const book: BookParams = {
    levels: b.levels ?? 10,
    levelBps: b.levelBps ?? 1,
    halfSpreadBps: b.halfSpreadBps ?? 0.5,
    depthShare: b.depthShare ?? 0.1,
    minLevelNotional: Number(b.minLevelNotional ?? '1000'),
    protectionPct: b.protectionPct ?? 5,
    volumeWindowMinutes: b.volumeWindowMinutes ?? 15,
    jitterPct: b.jitterPct ?? 25,
  }
  if (!Number.isInteger(book.levels) || book.levels < 1 || !Number.isInteger(book.volumeWindowMinutes) || book.volumeWindowMinutes < 1) throw new RangeError(`market ${symbol}: book levels and window must be positive integers`)
  if (!(book.protectionPct > 0 && book.protectionPct < 100) || !(book.minLevelNotional > 0) || !(book.depthShare >= 0) || !(book.levelBps >= 0) || !(book.halfSpreadBps >= 0) || !(book.jitterPct >= 0 && book.jitterPct < 100)) throw new RangeError(`market ${symbol}: book parameters out of range`)
  const maxLeverage = isLinear ? Math.min(def.maxLeverage ?? 125, tiers[0]?.maxLeverage ?? 125) : 1
  const fundingHours = def.fundingIntervalHours ?? 8
  if (!Number.isInteger(fundingHours) || fundingHours < 1) throw new RangeError(`market ${symbol}: fundingIntervalHours must be a positive integer`)
  const fundingRate = def.fundingRate ?? '0.0001'
  if (!isDecimalString(fundingRate)) throw new RangeError(`market ${symbol}: fundingRate must be a decimal string`)
  const byRank = (a: OrderRec, c: OrderRec) => a.rank < c.rank
  const byKey = (a: PosRec, c: PosRec) => a.key < c.key
  return {
    def: structuredClone(def),
    symbol,
    isLinear,
    base: def.base,
    quote: def.quote,
    tick,
    tickDecimals,
    lot,
    lotF: lot.toNumber(),
    minAmount,
    minNotional,
    keyScale,
    tickKey: tick.mul(keyScale).toNumber(),
    stream: hash32(symbol),
    tiers,
    maxLeverage,
    liqFeeRate: def.liquidationFeeRate === undefined ? new Decimal('0.005') : new Decimal(def.liquidationFeeRate),
    fundingIntervalMs: fundingHours * 3_600_000,
    book,
    lastPrice: null,
    lastKey: 0,
    lastDec: null,
    markPrice: null,
    markKey: 0,
    markDec: null,
    fundingRate: new Decimal(fundingRate),
    nextFundingTime: null,
    volumeBuckets: new Array<number>(book.volumeWindowMinutes).fill(0),
    volumeMinute: -1,
    updates: 0,
    bookCache: null,
    buys: new PriceIndex(byRank),
    sells: new PriceIndex(byRank),
    riseStops: new PriceIndex(byRank),
    fallStops: new PriceIndex(byRank),
    working: [],
    liqLong: new PriceIndex(byKey),
    liqShort: new PriceIndex(byKey),
    crossHolders: new Set(),
    positions: new Set(),
  }
}

const updatePrice = /^(0|[1-9]\d*)(\.\d+)?$/

/** A feed price as a key. Prices finer than 1/100 tick are rounded; comparisons stay exact on the grid. */
export const keyOfInput = (m: MarketRt, price: string): number => {
  const key = updatePrice.test(price) ? Math.round(Number(price) * m.keyScale) : NaN
  if (!(key > 0 && key <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`price update for ${m.symbol}: "${price.slice(0, 40)}" is not a positive decimal price in range`)
  return key
}

/** Key of a price on the tick grid (exact). */
export const keyOf = (m: MarketRt, price: Decimal): number => price.mul(m.keyScale).toNumber()
export const keyFloor = (m: MarketRt, price: Decimal): number => price.mul(m.keyScale).floor().toNumber()
export const keyCeil = (m: MarketRt, price: Decimal): number => price.mul(m.keyScale).ceil().toNumber()
export const priceOfKey = (m: MarketRt, key: number): Decimal => new Decimal(key).div(m.keyScale)
export const floorTickKey = (m: MarketRt, x: number): number => Math.floor(x / m.tickKey) * m.tickKey
export const ceilTickKey = (m: MarketRt, x: number): number => Math.ceil(x / m.tickKey) * m.tickKey

export const lastDec = (m: MarketRt): Decimal => (m.lastDec ??= new Decimal(m.lastPrice ?? 0))
export const markDec = (m: MarketRt): Decimal => (m.markDec ??= new Decimal(m.markPrice ?? m.lastPrice ?? 0))

/** Margins that come from a division keep 8 decimals, like the settlement asset's precision on exchanges. */
export const money = (d: Decimal, rounding: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 = Decimal.ROUND_HALF_EVEN): Decimal => d.toDecimalPlaces(8, rounding)

/** Averages and derived prices keep 8 decimals beyond the tick. */
export const quantizePrice = (m: MarketRt, d: Decimal): Decimal => d.toDecimalPlaces(m.tickDecimals + 8, Decimal.ROUND_HALF_EVEN)

export const remaining = (o: OrderRec): Decimal => o.amount.minus(o.filled)

export const orderState = (o: OrderRec): DemoOrder => ({
  id: o.id,
  clientOrderId: o.clientOrderId,
  accountId: o.account.id,
  symbol: o.market.symbol,
  type: o.type,
  side: o.side,
  timeInForce: o.timeInForce,
  postOnly: o.postOnly,
  reduceOnly: o.reduceOnly,
  positionSide: o.positionSide,
  amount: str(o.amount),
  price: o.price === null ? null : str(o.price),
  stopPrice: o.stopPrice === null ? null : str(o.stopPrice),
  triggerDirection: o.triggerDirection,
  triggeredAt: o.triggeredAt,
  status: o.status,
  statusReason: o.statusReason,
  filled: str(o.filled),
  cost: str(o.cost),
  average: o.filled.isZero() ? null : str(quantizePrice(o.market, o.cost.div(o.filled))),
  fee: str(o.fee),
  feeCurrency: o.feeCurrency,
  reserved: str(o.reserved),
  reservePrice: o.reservePrice === null ? null : str(o.reservePrice),
  protectionPrice: o.protectionKey > 0 ? str(priceOfKey(o.market, o.protectionKey)) : null,
  queueAhead: str(o.queueAhead),
  rank: o.rank,
  isTaking: o.where === 'working',
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
})

export const positionState = (p: PosRec): DemoPosition => ({
  accountId: p.account.id,
  symbol: p.market.symbol,
  positionSide: p.positionSide,
  side: p.side === 1 ? 'long' : p.side === -1 ? 'short' : null,
  contracts: str(p.size),
  entryPrice: str(p.entry),
  isolatedMargin: str(p.isoMargin),
  realizedPnl: str(p.realizedPnl),
  openedAt: p.openedAt,
  updatedAt: p.updatedAt,
})

export const emitOrder = (ctx: EngineCtx, o: OrderRec): void => emit(ctx, { type: 'order', order: orderState(o) })
export const emitPosition = (ctx: EngineCtx, p: PosRec): void => emit(ctx, { type: 'position', position: positionState(p) })
/** Also refreshes the float cross wallet: every wallet change is followed by this event. */
export const emitWallet = (ctx: EngineCtx, a: FuturesAccountRt): void => {
  a.crossWalletF = a.wallet.minus(a.isoSum).toNumber()
  emit(ctx, { type: 'wallet', accountId: a.id, asset: a.asset, walletBalance: str(a.wallet) })
}
export const emitBalance = (ctx: EngineCtx, a: SpotAccountRt, asset: string): void => {
  const b = spotBalance(a, asset)
  emit(ctx, { type: 'balance', accountId: a.id, asset, total: str(b.total), used: str(b.used) })
}

export const spotBalance = (a: SpotAccountRt, asset: string): { total: Decimal; used: Decimal } => {
  let b = a.balances.get(asset)
  if (b === undefined) {
    b = { total: ZERO, used: ZERO }
    a.balances.set(asset, b)
  }
  return b
}

export const byNum = (a: OrderRec, b: OrderRec): number => a.num - b.num
