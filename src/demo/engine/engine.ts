import { Decimal, isDecimalString } from '../../lib/decimal.js'
import type { BalanceView, OrderView } from '../../exchanges/index.js'
import {
  accountSettings,
  cancelOrder,
  createAccount,
  deposit,
  resetAccount,
  setFees,
  setFundingRate,
  setLeverage,
  setMarginMode,
  setPositionMode,
} from './account-commands.js'
import { addVolume, bookOf } from './book-model.js'
import {
  byNum,
  createMarket,
  keyOfInput,
  markDec,
  orderState,
  positionState,
  priceOfKey,
  str,
  ZERO,
  type EngineCtx,
  type FuturesAccountRt,
  type OrderRec,
  type PosRec,
} from './engine-state.js'
import type {
  DemoAccountSettings,
  DemoCommand,
  DemoEngineDefaults,
  DemoEvent,
  DemoMarketDef,
  DemoMarketView,
  DemoOrder,
  DemoPositionView,
  DemoPriceUpdate,
  DemoSnapshot,
  DemoSymbolSettings,
} from './engine-types.js'
import { availableMargin, crossLiquidationPrice, isolatedLiquidationPrice, maintenanceMargin, settingsOf, unrealizedPnl } from './futures-ledger.js'
import { processUpdate } from './matching.js'
import { amendOrder, placeOrder } from './place-order.js'
import { hash32 } from './prng.js'
import { DemoRejection, reject } from './rejection.js'
import { applyFunding, checkMarket } from './risk.js'
import { projectEvents, restoreCtx, takeSnapshot } from './snapshot.js'

export type DemoEngineInput = {
  /** Seeds the depth and queue jitter: same seed + same inputs → the same events, bit for bit. */
  seed: string
  markets: DemoMarketDef[]
  defaults?: Partial<DemoEngineDefaults>
}

export type DemoCommandResult = { events: DemoEvent[]; order: DemoOrder | null }

export const defaultEngineDefaults: DemoEngineDefaults = {
  makerFeeRate: '0.001',
  takerFeeRate: '0.001',
  balances: { USDT: '10000' },
  leverage: 20,
  marginMode: 'cross',
}

const NONE: readonly DemoEvent[] = Object.freeze([])
const amountPattern = /^(0|[1-9]\d*)(\.\d+)?$/

const freshCtx = (input: DemoEngineInput): EngineCtx => {
  if (typeof input.seed !== 'string') throw new RangeError('the demo engine needs a string seed')
  const ctx: EngineCtx = {
    seed: input.seed,
    seedHash: hash32(input.seed),
    now: 0,
    counters: { event: 0, order: 0, fill: 0, rank: 0 },
    defaults: { ...defaultEngineDefaults, ...input.defaults },
    markets: new Map(),
    accounts: new Map(),
    orders: new Map(),
    clientIds: new Map(),
    out: [],
  }
  for (const def of input.markets) {
    if (ctx.markets.has(def.symbol)) throw new RangeError(`market ${def.symbol} is defined twice`)
    ctx.markets.set(def.symbol, createMarket(def))
  }
  const settle = new Set([...ctx.markets.values()].filter((m) => m.isLinear).map((m) => m.quote))
  if (settle.size > 1) throw new RangeError('all linear markets must settle in one asset')
  return ctx
}

/**
 * The in-memory Demo Spot / Demo Futures engine. Pure state machine: inputs are price updates and
 * commands (each carrying its time), outputs are events; it reads no clock and no global randomness.
 * Commands that fail throw a {@link DemoRejection} and change nothing.
 */
const buildEngine = (ctx: EngineCtx) => {
  const flush = (): DemoEvent[] => {
    const out = ctx.out
    ctx.out = []
    return out
  }

  /** One trade or price tick of the reference market; returns the events it caused (usually none). */
  const update = (u: DemoPriceUpdate): readonly DemoEvent[] => {
    const m = ctx.markets.get(u.symbol)
    if (m === undefined) return NONE
    const key = keyOfInput(m, u.price)
    const markKey = u.markPrice === undefined ? key : keyOfInput(m, u.markPrice)
    let amountF = 0
    if (u.amount !== undefined) {
      amountF = amountPattern.test(u.amount) ? Number(u.amount) : NaN
      if (!(amountF >= 0)) throw new RangeError(`price update for ${m.symbol}: amount must be a non-negative decimal string`)
    }
    if (!Number.isFinite(u.time)) throw new RangeError(`price update for ${m.symbol}: time must be Unix milliseconds`)
    if (u.fundingRate !== undefined && !(isDecimalString(u.fundingRate) && new Decimal(u.fundingRate).abs().lt(1))) throw new RangeError(`price update for ${m.symbol}: bad funding rate`)
    if (u.time > ctx.now) ctx.now = u.time
    if (m.isLinear) {
      // Funding is settled at the mark in force at the funding time, before this update moves it.
      if (m.nextFundingTime === null) m.nextFundingTime = (Math.floor(ctx.now / m.fundingIntervalMs) + 1) * m.fundingIntervalMs
      else if (ctx.now >= m.nextFundingTime) applyFunding(ctx, m)
      if (u.fundingRate !== undefined) setFundingRate(ctx, { symbol: m.symbol, rate: u.fundingRate })
    }
    m.lastPrice = u.price
    m.lastKey = key
    m.lastDec = null
    m.markPrice = u.markPrice ?? u.price
    m.markKey = markKey
    m.markDec = null
    m.updates++
    m.bookCache = null
    addVolume(m, ctx.now, amountF)
    if (m.riseStops.min() <= key || m.fallStops.max() >= key || m.buys.max() >= key || m.sells.min() <= key || m.working.length > 0) processUpdate(ctx, m, u.amount)
    if (m.isLinear && (m.liqLong.max() >= markKey || m.liqShort.min() <= markKey || m.crossHolders.size > 0)) checkMarket(ctx, m)
    return ctx.out.length === 0 ? NONE : flush()
  }

  /** Runs one command; a rejection leaves the engine exactly as it was (time included). */
  const execute = (cmd: DemoCommand): DemoCommandResult => {
    if (typeof cmd.time !== 'number' || !Number.isFinite(cmd.time)) reject('BAD_INPUT', 'time must be Unix milliseconds')
    const before = ctx.now
    ctx.now = Math.max(ctx.now, cmd.time)
    ctx.out = []
    try {
      let order: OrderRec | null = null
      switch (cmd.type) {
        case 'createAccount':
          createAccount(ctx, cmd)
          break
        case 'deposit':
          deposit(ctx, cmd)
          break
        case 'resetAccount':
          resetAccount(ctx, cmd)
          break
        case 'setFees':
          setFees(ctx, cmd)
          break
        case 'placeOrder':
          order = placeOrder(ctx, cmd.order)
          break
        case 'cancelOrder':
          order = cancelOrder(ctx, cmd)
          break
        case 'amendOrder':
          order = amendOrder(ctx, cmd)
          break
        case 'setLeverage':
          setLeverage(ctx, cmd)
          break
        case 'setMarginMode':
          setMarginMode(ctx, cmd)
          break
        case 'setPositionMode':
          setPositionMode(ctx, cmd)
          break
        case 'setFundingRate':
          setFundingRate(ctx, cmd)
          break
        default:
          reject('BAD_INPUT', `unknown command "${String((cmd as { type?: unknown }).type).slice(0, 40)}"`)
      }
      return { events: flush(), order: order === null ? null : orderState(order) }
    } catch (err) {
      if (err instanceof DemoRejection && ctx.out.length > 0) throw new Error('demo engine: a rejection after a change (bug)', { cause: err })
      ctx.now = before
      ctx.out = []
      throw err
    }
  }

  const accountOf = (accountId: string) => ctx.accounts.get(accountId) ?? reject('UNKNOWN_ACCOUNT', `Unknown demo account "${String(accountId).slice(0, 64)}".`)

  /** ccxt's balance shape. Futures: total = wallet + unrealized PnL, free = what a new order may use. */
  const balance = (accountId: string): BalanceView => {
    const a = accountOf(accountId)
    if (a.kind === 'spot') {
      const out: BalanceView = {}
      for (const asset of [...a.balances.keys()].sort()) {
        const b = a.balances.get(asset) as { total: Decimal; used: Decimal }
        out[asset] = { free: str(b.total.minus(b.used)), used: str(b.used), total: str(b.total) }
      }
      return out
    }
    const total = [...a.positions.values()].reduce((x, p) => x.plus(unrealizedPnl(p, markDec(p.market))), a.wallet)
    const free = Decimal.max(ZERO, availableMargin(ctx, a))
    return { [a.asset]: { free: str(free), used: str(total.minus(free)), total: str(total) } }
  }

  const positionView = (a: FuturesAccountRt, p: PosRec): DemoPositionView => {
    const m = p.market
    const s = settingsOf(ctx, a, m)
    const mark = m.markPrice === null ? null : markDec(m)
    const notional = mark === null ? ZERO : p.size.mul(mark)
    const upnl = mark === null ? ZERO : unrealizedPnl(p, mark)
    const entryMargin = p.size.mul(p.entry).div(s.leverage)
    const lp = p.isIsolated ? isolatedLiquidationPrice(p) : crossLiquidationPrice(a, m)
    return {
      ...positionState(p),
      leverage: s.leverage,
      marginMode: p.isIsolated ? 'isolated' : 'cross',
      markPrice: mark === null ? null : str(mark),
      notional: str(notional),
      unrealizedPnl: str(upnl),
      initialMargin: str(notional.div(s.leverage)),
      maintenanceMargin: str(maintenanceMargin(m, notional)),
      liquidationPrice: lp === null ? null : str(lp),
      percentage: str(entryMargin.isZero() ? ZERO : upnl.div(entryMargin).mul(100).toDecimalPlaces(4, Decimal.ROUND_HALF_EVEN)),
    }
  }

  const positions = (accountId: string, symbols?: string[]): DemoPositionView[] => {
    const a = accountOf(accountId)
    if (a.kind !== 'futures') return []
    return [...a.positions.values()]
      .filter((p) => p.side !== 0 && (symbols === undefined || symbols.includes(p.market.symbol)))
      .sort((x, y) => (x.key < y.key ? -1 : 1))
      .map((p) => positionView(a, p))
  }

  const openOrders = (accountId: string, symbol?: string): DemoOrder[] =>
    [...accountOf(accountId).orders.values()]
      .filter((o) => symbol === undefined || o.market.symbol === symbol)
      .sort(byNum)
      .map(orderState)

  /** An open order by id or client order id; closed orders live in the caller's store. */
  const order = (accountId: string, ref: { id?: string; clientOrderId?: string }): DemoOrder | null => {
    const a = accountOf(accountId)
    const o = ref.id !== undefined ? a.orders.get(ref.id) : ref.clientOrderId !== undefined ? ctx.clientIds.get(`${a.id}\n${ref.clientOrderId}`) : undefined
    return o === undefined ? null : orderState(o)
  }

  const account = (accountId: string): DemoAccountSettings & { symbols: Record<string, DemoSymbolSettings> } => {
    const a = accountOf(accountId)
    const symbols: Record<string, DemoSymbolSettings> = {}
    if (a.kind === 'futures') for (const m of ctx.markets.values()) if (m.isLinear) symbols[m.symbol] = { ...settingsOf(ctx, a, m) }
    return { ...accountSettings(a), symbols }
  }

  const market = (symbol: string): DemoMarketView | null => {
    const m = ctx.markets.get(symbol)
    if (m === undefined) return null
    const book = bookOf(ctx, m)
    return {
      symbol,
      lastPrice: m.lastPrice === null ? null : str(new Decimal(m.lastPrice)),
      markPrice: m.markPrice === null ? null : str(new Decimal(m.markPrice)),
      bid: book === null ? null : str(priceOfKey(m, book.bidKey)),
      ask: book === null ? null : str(priceOfKey(m, book.askKey)),
      fundingRate: m.isLinear ? str(m.fundingRate) : null,
      nextFundingTime: m.isLinear ? m.nextFundingTime : null,
    }
  }

  const markets = (): DemoMarketDef[] => [...ctx.markets.values()].map((m) => structuredClone(m.def))

  const snapshot = (): DemoSnapshot => takeSnapshot(ctx, orderState, positionState)

  return { update, execute, balance, positions, openOrders, order, account, market, markets, snapshot, now: () => ctx.now }
}

export const createDemoEngine = (input: DemoEngineInput) => buildEngine(freshCtx(input))
export type DemoEngine = ReturnType<typeof createDemoEngine>

/** Continues from a snapshot exactly as the engine that took it would have. */
export const restoreDemoEngine = (snapshot: DemoSnapshot): DemoEngine => buildEngine(restoreCtx(structuredClone(snapshot)))

export { projectEvents }

/** The venue layer's unified order shape (ccxt's, decimals as strings). */
export const toOrderView = (o: DemoOrder): OrderView => ({
  id: o.id,
  clientOrderId: o.clientOrderId,
  symbol: o.symbol,
  type: o.type,
  side: o.side,
  status: o.status,
  amount: o.amount,
  filled: o.filled,
  price: o.price,
  average: o.average,
  timestamp: o.createdAt,
})
