import { Decimal } from '../../lib/decimal.js'
import {
  byNum,
  createMarket,
  keyOf,
  keyOfInput,
  str,
  ZERO,
  type AccountRt,
  type EngineCtx,
  type FuturesAccountRt,
  type OrderRec,
  type PosRec,
} from './engine-state.js'
import type { DemoAccountState, DemoEvent, DemoOrder, DemoPosition, DemoSnapshot } from './engine-types.js'
import { addOrderMargin, afterPositionChange } from './futures-ledger.js'
import { hash32 } from './prng.js'

/**
 * The engine's whole state as plain JSON (decimals as strings), and back. `restore(snapshot(x))`
 * continues exactly as `x` would: indexes are rebuilt in rank/key order, the PRNG is counter-based,
 * and derived sums (order margin, isolated margin, float mirrors) are recomputed.
 */

const sortedRecord = <T>(entries: [string, T][]): Record<string, T> => Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

const positionKey = (p: { symbol: string; positionSide: string }) => `${p.symbol}|${p.positionSide}`
const byPositionKey = (a: DemoPosition, b: DemoPosition) => (positionKey(a) < positionKey(b) ? -1 : positionKey(a) > positionKey(b) ? 1 : 0)

export const takeSnapshot = (ctx: EngineCtx, orderState: (o: OrderRec) => DemoOrder, positionState: (p: PosRec) => DemoPosition): DemoSnapshot => ({
  version: 1,
  seed: ctx.seed,
  time: ctx.now,
  counters: { ...ctx.counters },
  defaults: structuredClone(ctx.defaults),
  markets: [...ctx.markets.values()].map((m) => ({
    def: structuredClone(m.def),
    state: {
      lastPrice: m.lastPrice,
      markPrice: m.markPrice,
      fundingRate: str(m.fundingRate),
      nextFundingTime: m.nextFundingTime,
      volumeBuckets: [...m.volumeBuckets],
      volumeMinute: m.volumeMinute,
      updates: m.updates,
    },
  })),
  accounts: [...ctx.accounts.values()].map((a) => ({
    accountId: a.id,
    kind: a.kind,
    makerFeeRate: str(a.makerFee),
    takerFeeRate: str(a.takerFee),
    hedged: a.kind === 'futures' && a.hedged,
    balances: a.kind === 'spot' ? sortedRecord([...a.balances].map(([k, b]) => [k, { total: str(b.total), used: str(b.used) }])) : {},
    walletBalance: a.kind === 'futures' ? str(a.wallet) : '0',
    asset: a.kind === 'futures' ? a.asset : '',
    symbols: a.kind === 'futures' ? sortedRecord([...a.settings].map(([k, s]) => [k, { ...s }])) : {},
    positions: a.kind === 'futures' ? [...a.positions.values()].filter((p) => p.side !== 0).map(positionState).sort(byPositionKey) : [],
  })),
  orders: [...ctx.orders.values()].sort(byNum).map(orderState),
})

const dec = (s: string) => new Decimal(s)

export const restoreCtx = (snap: DemoSnapshot): EngineCtx => {
  if (snap.version !== 1) throw new RangeError(`unsupported demo snapshot version ${String(snap.version)}`)
  const ctx: EngineCtx = {
    seed: snap.seed,
    seedHash: hash32(snap.seed),
    now: snap.time,
    counters: { ...snap.counters },
    defaults: structuredClone(snap.defaults),
    markets: new Map(),
    accounts: new Map(),
    orders: new Map(),
    clientIds: new Map(),
    out: [],
  }
  for (const { def, state } of snap.markets) {
    const m = createMarket(def)
    m.lastPrice = state.lastPrice
    m.lastKey = state.lastPrice === null ? 0 : keyOfInput(m, state.lastPrice)
    m.markPrice = state.markPrice
    m.markKey = state.markPrice === null ? 0 : keyOfInput(m, state.markPrice)
    m.fundingRate = dec(state.fundingRate)
    m.nextFundingTime = state.nextFundingTime
    m.volumeBuckets = [...state.volumeBuckets]
    m.volumeMinute = state.volumeMinute
    m.updates = state.updates
    ctx.markets.set(m.symbol, m)
  }
  for (const s of snap.accounts) {
    const makerFee = dec(s.makerFeeRate)
    const takerFee = dec(s.takerFeeRate)
    if (s.kind === 'spot') {
      const balances = new Map(Object.entries(s.balances).map(([k, b]) => [k, { total: dec(b.total), used: dec(b.used) }]))
      ctx.accounts.set(s.accountId, { kind: 'spot', id: s.accountId, makerFee, takerFee, balances, orders: new Map() })
      continue
    }
    const a: FuturesAccountRt = {
      kind: 'futures',
      id: s.accountId,
      makerFee,
      takerFee,
      asset: s.asset,
      wallet: dec(s.walletBalance),
      hedged: s.hedged,
      settings: new Map(Object.entries(s.symbols).map(([k, v]) => [k, { ...v }])),
      positions: new Map(),
      orders: new Map(),
      orderMargin: ZERO,
      orderMarginBy: new Map(),
      orderMarginF: 0,
      isoSum: ZERO,
      defaultLeverage: snap.defaults.leverage,
      crossWalletF: 0,
      crossTerms: new Map(),
    }
    ctx.accounts.set(a.id, a)
    for (const ps of s.positions) {
      const m = ctx.markets.get(ps.symbol)
      if (m === undefined) throw new RangeError(`snapshot position on unknown market ${ps.symbol}`)
      const p: PosRec = {
        account: a,
        market: m,
        positionSide: ps.positionSide,
        key: `${a.id}|${m.symbol}|${ps.positionSide}`,
        side: ps.side === 'long' ? 1 : ps.side === 'short' ? -1 : 0,
        size: dec(ps.contracts),
        entry: dec(ps.entryPrice),
        isoMargin: dec(ps.isolatedMargin),
        isIsolated: a.settings.get(m.symbol)?.marginMode === 'isolated' || (a.settings.get(m.symbol) === undefined && snap.defaults.marginMode === 'isolated'),
        realizedPnl: dec(ps.realizedPnl),
        openedAt: ps.openedAt,
        updatedAt: ps.updatedAt,
        sizeF: 0,
        entryF: 0,
        liqKey: 0,
        liqIndex: null,
      }
      a.positions.set(positionKey(ps), p)
      m.positions.add(p)
      a.isoSum = a.isoSum.plus(p.isoMargin)
    }
    for (const p of a.positions.values()) afterPositionChange(p)
  }
  const orders = [...snap.orders].sort((x, y) => x.rank - y.rank)
  for (const so of orders) restoreOrder(ctx, so)
  return ctx
}

const restoreOrder = (ctx: EngineCtx, so: DemoOrder): void => {
  const a: AccountRt | undefined = ctx.accounts.get(so.accountId)
  const m = ctx.markets.get(so.symbol)
  if (a === undefined || m === undefined) throw new RangeError(`snapshot order ${so.id} refers to an unknown account or market`)
  const price = so.price === null ? null : dec(so.price)
  const stopPrice = so.stopPrice === null ? null : dec(so.stopPrice)
  const o: OrderRec = {
    id: so.id,
    num: Number(so.id),
    clientOrderId: so.clientOrderId,
    account: a,
    market: m,
    type: so.type,
    side: so.side,
    isBuy: so.side === 'buy',
    timeInForce: so.timeInForce,
    postOnly: so.postOnly,
    reduceOnly: so.reduceOnly,
    positionSide: so.positionSide,
    amount: dec(so.amount),
    price,
    priceKey: price === null ? 0 : keyOf(m, price),
    stopPrice,
    stopKey: stopPrice === null ? 0 : keyOf(m, stopPrice),
    triggerDirection: so.triggerDirection,
    triggeredAt: so.triggeredAt,
    status: so.status,
    statusReason: so.statusReason,
    filled: dec(so.filled),
    cost: dec(so.cost),
    fee: dec(so.fee),
    feeCurrency: so.feeCurrency,
    reserved: dec(so.reserved),
    reservePrice: so.reservePrice === null ? null : dec(so.reservePrice),
    protectionKey: so.protectionPrice === null ? 0 : keyOf(m, dec(so.protectionPrice)),
    queueAhead: dec(so.queueAhead),
    rank: so.rank,
    where: so.isTaking ? 'working' : so.triggerDirection !== null && so.triggeredAt === null ? 'stop' : 'book',
    activeAt: -1,
    createdAt: so.createdAt,
    updatedAt: so.updatedAt,
  }
  ctx.orders.set(o.id, o)
  a.orders.set(o.id, o)
  if (o.clientOrderId !== null) ctx.clientIds.set(`${a.id}\n${o.clientOrderId}`, o)
  if (a.kind === 'futures') addOrderMargin(a, o, o.reserved)
  if (o.where === 'working') m.working.push(o)
  else if (o.where === 'stop') (o.triggerDirection === 'rise' ? m.riseStops : m.fallStops).add(o.stopKey, o)
  else (o.isBuy ? m.buys : m.sells).add(o.priceKey, o)
}

const emptyAccount = (e: Extract<DemoEvent, { type: 'account' }>): DemoAccountState => ({
  ...e.account,
  balances: {},
  walletBalance: '0',
  asset: '',
  symbols: {},
  positions: [],
})

/**
 * Applies events to a snapshot's account state (accounts, balances, positions, open orders, counters,
 * funding rates): what a store that persists the event log holds. Market-model state (last price,
 * volume window) is not in the events and is left as it was.
 */
export const projectEvents = (snap: DemoSnapshot, events: readonly DemoEvent[]): DemoSnapshot => {
  const out = structuredClone(snap)
  const accounts = new Map(out.accounts.map((a) => [a.accountId, a]))
  const orders = new Map(out.orders.map((o) => [o.id, o]))
  const accountFor = (id: string): DemoAccountState => {
    const a = accounts.get(id)
    if (a === undefined) throw new RangeError(`event for unknown account ${id}`)
    return a
  }
  for (const e of events) {
    out.counters.event = e.seq
    out.time = Math.max(out.time, e.time)
    switch (e.type) {
      case 'account': {
        const a = accounts.get(e.account.accountId)
        if (a === undefined) {
          const fresh = emptyAccount(e)
          accounts.set(fresh.accountId, fresh)
          out.accounts.push(fresh)
        } else Object.assign(a, e.account)
        break
      }
      case 'balance': {
        const a = accountFor(e.accountId)
        a.balances = sortedRecord([...Object.entries(a.balances).filter(([k]) => k !== e.asset), [e.asset, { total: e.total, used: e.used }]])
        break
      }
      case 'wallet': {
        const a = accountFor(e.accountId)
        a.walletBalance = e.walletBalance
        a.asset = e.asset
        break
      }
      case 'symbol_settings': {
        const a = accountFor(e.accountId)
        a.symbols = sortedRecord([...Object.entries(a.symbols).filter(([k]) => k !== e.symbol), [e.symbol, { leverage: e.leverage, marginMode: e.marginMode }]])
        break
      }
      case 'order':
        out.counters.order = Math.max(out.counters.order, Number(e.order.id))
        out.counters.rank = Math.max(out.counters.rank, e.order.rank)
        if (e.order.status === 'open') orders.set(e.order.id, structuredClone(e.order))
        else orders.delete(e.order.id)
        break
      case 'queue': {
        const o = orders.get(e.orderId)
        if (o !== undefined) o.queueAhead = e.queueAhead
        break
      }
      case 'fill':
        out.counters.fill = Math.max(out.counters.fill, Number(e.fill.id))
        break
      case 'liquidation':
        out.counters.fill = Math.max(out.counters.fill, Number(e.id))
        break
      case 'position': {
        const a = accountFor(e.position.accountId)
        const rest = a.positions.filter((p) => positionKey(p) !== positionKey(e.position))
        a.positions = (e.position.contracts === '0' ? rest : [...rest, structuredClone(e.position)]).sort(byPositionKey)
        break
      }
      case 'funding_rate': {
        const mk = out.markets.find((m) => m.def.symbol === e.symbol)
        if (mk !== undefined) mk.state.fundingRate = e.rate
        break
      }
      case 'account_reset':
      case 'deposit':
      case 'funding':
        break
    }
  }
  out.orders = [...orders.values()].sort((a, b) => Number(a.id) - Number(b.id))
  return out
}
