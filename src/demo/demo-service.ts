import type { Clock } from '../lib/clock.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { AuditChain } from '../monitoring/index.js'
import { settleAsset } from './demo-markets.js'
import type { DemoAccountRow } from './demo-store.js'
import type { DemoRuntime } from './demo-runtime.js'
import type {
  CreateDemoAccountBody,
  DemoAccountView,
  DemoCandleView,
  DemoFillView,
  DemoMarketApiView,
  DemoOrderView,
  DemoPnlView,
  DemoPositionApiView,
  PlaceDemoOrderBody,
  ResetDemoAccountBody,
} from './demo-types.js'
import { createDemoVenue, venueError, type DemoVenue } from './demo-venue.js'
import { defaultTiers, type DemoEngine, type DemoFill, type DemoOrder } from './engine/index.js'

/**
 * The demo exchange as a workspace sees it: accounts that belong to the workspace (another workspace's
 * account does not exist here), their venue, and the views the API shows. The runtime is shared.
 */

export type DemoActor = { userId: string; tokenId?: string | undefined }

/** GET …/accounts/:id/settings; the route's zod schema matches it. */
export type DemoSettingsApiView = { hedged: boolean; symbols: { symbol: string; leverage: number; marginMode: 'isolated' | 'cross' }[] }

export type DemoServiceDeps = {
  runtime: DemoRuntime
  clock: Clock
  audit?: Pick<AuditChain, 'appendIn'>
  /** Accounts per workspace (default 20): every account lives in the one shared engine. */
  maxAccountsPerWorkspace?: number
}

const defaultBalance = '10000'
const str = (d: Decimal) => toDecimalString(d)
const sum = (values: readonly string[]) => values.reduce((x, v) => x.plus(v), new Decimal(0))

const orderApiView = (o: DemoOrder): DemoOrderView => ({
  id: o.id,
  clientOrderId: o.clientOrderId,
  symbol: o.symbol,
  type: o.type,
  side: o.side,
  status: o.status,
  amount: o.amount,
  filled: o.filled,
  price: o.price,
  stopPrice: o.stopPrice,
  average: o.average,
  timestamp: o.createdAt,
})

const fillApiView = (f: DemoFill): DemoFillView => ({
  id: f.id,
  orderId: f.orderId,
  symbol: f.symbol,
  side: f.side,
  price: f.price,
  amount: f.amount,
  fee: { cost: f.fee, currency: f.feeCurrency },
  liquidity: f.liquidity,
  timestamp: f.time,
})

/**
 * Spot PnL by average cost per market since the reset: a sell realizes (price − average cost) × amount;
 * what is still held is marked at the last price (capped at the balance actually held: fees paid in the
 * base asset leave less than was bought). Fees are reported apart, in the quote currency.
 */
const spotPnl = (fills: readonly DemoFill[], held: (symbol: string) => { amount: Decimal; last: Decimal | null }) => {
  const books = new Map<string, { qty: Decimal; cost: Decimal }>()
  let realized = new Decimal(0)
  let fees = new Decimal(0)
  for (const f of fills) {
    const b = books.get(f.symbol) ?? { qty: new Decimal(0), cost: new Decimal(0) }
    const amount = new Decimal(f.amount)
    const quote = f.symbol.split('/')[1] ?? ''
    fees = fees.plus(f.feeCurrency === quote ? new Decimal(f.fee) : new Decimal(f.fee).mul(f.price))
    if (f.side === 'buy') books.set(f.symbol, { qty: b.qty.plus(amount), cost: b.cost.plus(f.cost) })
    else {
      const sold = Decimal.min(amount, b.qty)
      const avg = b.qty.isZero() ? new Decimal(0) : b.cost.div(b.qty)
      realized = realized.plus(new Decimal(f.price).minus(avg).mul(sold))
      books.set(f.symbol, { qty: b.qty.minus(sold), cost: b.cost.minus(avg.mul(sold)) })
    }
  }
  let unrealized = new Decimal(0)
  for (const [symbol, b] of books) {
    const h = held(symbol)
    if (b.qty.isZero() || h.last === null) continue
    const qty = Decimal.min(b.qty, h.amount)
    unrealized = unrealized.plus(h.last.minus(b.cost.div(b.qty)).mul(qty))
  }
  return { realized, unrealized, fees }
}

export const createDemoService = ({ runtime, clock, audit, maxAccountsPerWorkspace = 20 }: DemoServiceDeps) => {
  const { store } = runtime

  const accountView = (row: DemoAccountRow, e: DemoEngine): DemoAccountView => {
    const settings = e.account(row.id)
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      createdAt: row.createdAt.toISOString(),
      resetCount: row.resetCount,
      fees: { maker: settings.makerFeeRate, taker: settings.takerFeeRate },
    }
  }

  /** @throws AppError NOT_FOUND when the account is not in this workspace */
  const accountOf = async (workspaceId: string, id: string): Promise<DemoAccountRow> => {
    const row = await store.accountIn(workspaceId, id)
    if (row === null) throw new AppError('NOT_FOUND', `demo account "${id}" not found`)
    return row
  }

  /** Engine refusals become EXCHANGE_REJECTED, as from the venue. */
  const engineCall = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw venueError(what, err)
    }
  }

  const auditActor = (actor: DemoActor) => (actor.tokenId === undefined ? { type: 'user' as const, id: actor.userId } : { type: 'api_token' as const, id: actor.tokenId })

  const listAccounts = async (workspaceId: string): Promise<DemoAccountView[]> => {
    const rows = await store.listAccounts(workspaceId)
    return runtime.read((e) => rows.map((r) => accountView(r, e)))
  }

  /** @throws AppError CONFLICT past the per-workspace limit */
  const createAccount = async (actor: DemoActor, workspaceId: string, body: CreateDemoAccountBody): Promise<DemoAccountView> => {
    // A soft limit (two requests at once may both pass): it bounds the shared engine, it guards no secret.
    if ((await store.countAccounts(workspaceId)) >= maxAccountsPerWorkspace) {
      throw new AppError('CONFLICT', `a workspace can have at most ${maxAccountsPerWorkspace} demo accounts: reset one instead of adding more`)
    }
    const createdAt = clock.now()
    const id = newId(createdAt.getTime())
    const balance = body.initialBalance ?? defaultBalance
    await engineCall('createAccount', () =>
      runtime.execute(
        {
          type: 'createAccount',
          accountId: id,
          kind: body.kind,
          balances: { [settleAsset]: balance },
          ...(body.fees === undefined ? {} : { makerFeeRate: body.fees.maker, takerFeeRate: body.fees.taker }),
        },
        async (tx) => {
          await store.insertAccount(tx, { id, workspaceId, name: body.name, kind: body.kind, createdBy: actor.userId, createdAt })
          await audit?.appendIn(tx, { workspaceId, type: 'demo_account_created', actor: auditActor(actor), outcome: 'success', details: { demoAccountId: id, kind: body.kind, balance, asset: settleAsset } })
        },
      ),
    )
    return accountView(await accountOf(workspaceId, id), await runtime.read((e) => e))
  }

  /** Cancels every order, drops every position and sets the balance; orders and fills stay in the history. */
  const resetAccount = async (actor: DemoActor, workspaceId: string, id: string, body: ResetDemoAccountBody): Promise<DemoAccountView> => {
    await accountOf(workspaceId, id)
    const balance = body.balance ?? defaultBalance
    await engineCall('resetAccount', () =>
      runtime.execute({ type: 'resetAccount', accountId: id, balances: { [settleAsset]: balance } }, async (tx, result) => {
        const reset = result.events.find((e) => e.type === 'account_reset')
        await store.markReset(tx, id, reset?.seq ?? 0)
        await audit?.appendIn(tx, { workspaceId, type: 'demo_account_reset', actor: auditActor(actor), outcome: 'success', details: { demoAccountId: id, balance, asset: settleAsset } })
      }),
    )
    return accountView(await accountOf(workspaceId, id), await runtime.read((e) => e))
  }

  /** The account's venue (what a bot uses): the account must be in the workspace. */
  const venue = async (workspaceId: string, id: string): Promise<DemoVenue> => {
    await accountOf(workspaceId, id)
    return createDemoVenue({ runtime, accountId: id })
  }

  const balance = async (workspaceId: string, id: string) => (await venue(workspaceId, id)).fetchBalance({})

  const orders = async (workspaceId: string, id: string, q: { status?: 'open' | 'closed' | undefined; symbol?: string | undefined; limit?: number | undefined }): Promise<DemoOrderView[]> => {
    await accountOf(workspaceId, id)
    const open = q.status === 'closed' ? [] : await engineCall('fetchOpenOrders', () => runtime.read((e) => e.openOrders(id, q.symbol)))
    if (q.status === 'open') return open.map(orderApiView)
    await runtime.barrier()
    const ended = await store.endedOrders(id, { symbol: q.symbol, limit: q.limit ?? 500 })
    return [...open, ...ended].map(orderApiView)
  }

  const placeOrder = async (workspaceId: string, id: string, body: PlaceDemoOrderBody): Promise<DemoOrderView> => {
    await accountOf(workspaceId, id)
    const { order } = await engineCall('createOrder', () => runtime.execute({ type: 'placeOrder', order: { accountId: id, ...body } }))
    if (order === null) throw new Error('demo engine placed no order (bug)')
    return orderApiView(order)
  }

  const cancelOrder = async (workspaceId: string, id: string, orderId: string): Promise<DemoOrderView> => {
    await accountOf(workspaceId, id)
    const { order } = await engineCall('cancelOrder', () => runtime.execute({ type: 'cancelOrder', accountId: id, id: orderId }))
    if (order === null) throw new Error('demo engine canceled no order (bug)')
    return orderApiView(order)
  }

  /** Newest first. */
  const fills = async (workspaceId: string, id: string, q: { symbol?: string | undefined; limit?: number | undefined }): Promise<DemoFillView[]> => {
    await accountOf(workspaceId, id)
    await runtime.barrier()
    return (await store.fills(id, { symbol: q.symbol, limit: q.limit ?? 100 })).reverse().map(fillApiView)
  }

  const positions = async (workspaceId: string, id: string): Promise<DemoPositionApiView[]> => {
    await accountOf(workspaceId, id)
    const list = await engineCall('fetchPositions', () => runtime.read((e) => e.positions(id)))
    return list.map((p) => ({
      symbol: p.symbol,
      side: p.side === 'short' ? 'short' : 'long',
      contracts: p.contracts,
      entryPrice: p.entryPrice,
      markPrice: p.markPrice,
      unrealizedPnl: p.unrealizedPnl,
      realizedPnl: p.realizedPnl,
      leverage: p.leverage,
      marginMode: p.marginMode,
      liquidationPrice: p.liquidationPrice,
      roePct: p.percentage,
    }))
  }

  const symbolSettings = async (id: string, symbol: string) => {
    const s = await runtime.read((e) => e.account(id).symbols[symbol])
    return { symbol, leverage: s?.leverage ?? 1, marginMode: s?.marginMode ?? 'cross' }
  }

  const setLeverage = async (workspaceId: string, id: string, body: { symbol: string; leverage: number }) => {
    await (await venue(workspaceId, id)).setLeverage(body)
    return symbolSettings(id, body.symbol)
  }

  const setMarginMode = async (workspaceId: string, id: string, body: { symbol: string; mode: 'isolated' | 'cross' }) => {
    await (await venue(workspaceId, id)).setMarginMode({ symbol: body.symbol, marginMode: body.mode })
    return symbolSettings(id, body.symbol)
  }

  const setPositionMode = async (workspaceId: string, id: string, body: { hedged: boolean }) => (await venue(workspaceId, id)).setPositionMode(body)

  /**
   * Position mode and every perpetual's leverage and margin mode, set or default. A spot account has
   * neither: one-way and no symbols, as GET …/positions answers it with an empty list.
   */
  const settings = async (workspaceId: string, id: string): Promise<DemoSettingsApiView> => {
    await accountOf(workspaceId, id)
    const a = await engineCall('fetchSettings', () => runtime.read((e) => e.account(id)))
    const symbols = Object.entries(a.symbols)
      .map(([symbol, s]) => ({ symbol, leverage: s.leverage, marginMode: s.marginMode }))
      .sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : 0))
    return { hedged: a.hedged, symbols }
  }

  /** Since the latest reset. Futures: equity = wallet + unrealized PnL; spot: every asset valued at its last price. */
  const pnl = async (workspaceId: string, id: string): Promise<DemoPnlView> => {
    const row = await accountOf(workspaceId, id)
    await runtime.barrier()
    if (row.kind === 'futures') {
      const t = await store.ledgerTotals(id, row.resetSeq)
      const { total, unrealized } = await engineCall('fetchBalance', () =>
        runtime.read((e) => ({ total: e.balance(id)[settleAsset]?.total ?? '0', unrealized: sum(e.positions(id).map((p) => p.unrealizedPnl)) })),
      )
      return {
        equity: total,
        realizedPnl: str(sum([t.fillPnl, t.liquidationPnl])),
        unrealizedPnl: str(unrealized),
        fees: str(sum([t.fillFees, t.liquidationFees])),
        funding: str(new Decimal(t.funding)),
      }
    }
    const fillsSinceReset = await store.fills(id, { afterSeq: row.resetSeq })
    return engineCall('fetchBalance', () =>
      runtime.read((e) => {
        const bal = e.balance(id)
        const lastOf = (symbol: string) => {
          const last = e.market(symbol)?.lastPrice ?? null
          return last === null ? null : new Decimal(last)
        }
        let equity = new Decimal(0)
        for (const [asset, b] of Object.entries(bal)) {
          if (asset === settleAsset) equity = equity.plus(b.total)
          else {
            const last = lastOf(`${asset}/${settleAsset}`)
            if (last !== null) equity = equity.plus(new Decimal(b.total).mul(last))
          }
        }
        const r = spotPnl(fillsSinceReset, (symbol) => ({ amount: new Decimal(bal[symbol.split('/')[0] ?? '']?.total ?? '0'), last: lastOf(symbol) }))
        return { equity: str(equity), realizedPnl: str(r.realized), unrealizedPnl: str(r.unrealized), fees: str(r.fees), funding: '0' }
      }),
    )
  }

  const markets = (): Promise<DemoMarketApiView[]> =>
    runtime.read((e) =>
      e.markets().map((def) => {
        const m = e.market(def.symbol)
        const isLinear = def.kind === 'linear'
        return {
          symbol: def.symbol,
          kind: def.kind,
          last: m?.lastPrice ?? null,
          mark: isLinear ? (m?.markPrice ?? null) : null,
          bid: m?.bid ?? null,
          ask: m?.ask ?? null,
          tickSize: def.tickSize,
          lotSize: def.lotSize,
          minNotional: def.minNotional,
          maxLeverage: isLinear ? Math.min(def.maxLeverage ?? 125, (def.tiers ?? defaultTiers)[0]?.maxLeverage ?? 125) : null,
          fundingRate: m?.fundingRate ?? null,
          nextFundingTime: m?.nextFundingTime ?? null,
        }
      }),
    )

  const candles = (q: { symbol: string; timeframe: string; limit: number }): DemoCandleView[] => runtime.candles(q.symbol, q.timeframe, q.limit)

  return {
    feed: runtime.feedStatus,
    markets,
    candles,
    listAccounts,
    createAccount,
    resetAccount,
    venue,
    balance,
    orders,
    placeOrder,
    cancelOrder,
    fills,
    positions,
    setLeverage,
    setMarginMode,
    setPositionMode,
    settings,
    pnl,
  }
}
export type DemoService = ReturnType<typeof createDemoService>
