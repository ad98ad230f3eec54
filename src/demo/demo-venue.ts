import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { venueCalls, type BalanceView, type OrderView, type VenueMethod } from '../exchanges/index.js'
import type { DemoRuntime } from './demo-runtime.js'
import { demoSymbol, placeDemoOrderBody } from './demo-types.js'
import { DemoRejection, toOrderView, type DemoFill, type DemoOrder, type DemoPositionView } from './engine/index.js'

/**
 * Demo Spot / Demo Futures as a Venue: the same method names, arguments and result shapes as the signer
 * runs against ccxt venues (src/signer/executor.ts), and the same errors — a refusal is AppError
 * EXCHANGE_REJECTED worded like ccxt's mapping ("createOrder: the exchange rejected it (…)"), bad
 * arguments BAD_INPUT named the same way — so a bot cannot tell it from a real exchange.
 * createOrder also takes what the engine supports beyond the ccxt subset (stop orders, time in force,
 * hedge-mode position sides); setMarginMode and setPositionMode exist for futures accounts.
 */

/** ccxt's unified trade, as the signer returns it for fetchMyTrades. */
export type TradeView = {
  id: string
  orderId: string | null
  symbol: string
  side: string
  price: string | null
  amount: string | null
  fee: { cost: string | null; currency: string | null } | null
  timestamp: number | null
}

/** ccxt's unified position (linear perpetuals), decimals as strings. */
export type PositionView = {
  symbol: string
  timestamp: number
  datetime: string
  side: 'long' | 'short'
  contracts: string
  contractSize: string
  entryPrice: string
  markPrice: string | null
  notional: string
  leverage: number
  collateral: string
  initialMargin: string
  maintenanceMargin: string
  unrealizedPnl: string
  realizedPnl: string
  percentage: string
  liquidationPrice: string | null
  marginMode: 'cross' | 'isolated'
  hedged: boolean
}

export const demoVenueCalls = {
  ...venueCalls,
  createOrder: placeDemoOrderBody,
  fetchOpenOrders: z.object({ symbol: demoSymbol.optional() }).strict(),
  setMarginMode: z.object({ symbol: demoSymbol, marginMode: z.enum(['cross', 'isolated']) }).strict(),
  setPositionMode: z.object({ hedged: z.boolean() }).strict(),
} as const
export type DemoVenueMethod = keyof typeof demoVenueCalls

/** Exchange messages can echo request parameters; keep one line, as the ccxt mapping does. */
const firstLine = (message: string) => (message.split('\n')[0] ?? '').slice(0, 160)

/**
 * DemoRejection → what ccxt's error mapping makes of the same exchange error (exchanges/ccxt/error-map.ts).
 * The rejection's code rides along as `reason` (ORDER_NOT_FOUND, DUPLICATE_CLIENT_ORDER_ID, …): the order
 * journal tells "no such order" from other refusals by it.
 */
export const venueError = (method: string, err: unknown): unknown => {
  if (!(err instanceof DemoRejection)) return err
  const details = { errorType: err.errorType, reason: err.reason }
  if (err.errorType === 'InsufficientFunds') return new AppError('EXCHANGE_REJECTED', `${method}: insufficient funds at the exchange (${firstLine(err.message)})`, { cause: err, details, reason: err.reason })
  return new AppError('EXCHANGE_REJECTED', `${method}: the exchange rejected it (${firstLine(err.message)})`, { cause: err, details, reason: err.reason })
}

export const tradeView = (f: DemoFill): TradeView => ({
  id: f.id,
  orderId: f.orderId,
  symbol: f.symbol,
  side: f.side,
  price: f.price,
  amount: f.amount,
  fee: { cost: f.fee, currency: f.feeCurrency },
  timestamp: f.time,
})

export const positionView = (p: DemoPositionView): PositionView => ({
  symbol: p.symbol,
  timestamp: p.updatedAt,
  datetime: new Date(p.updatedAt).toISOString(),
  side: p.side === 'short' ? 'short' : 'long',
  contracts: p.contracts,
  contractSize: '1',
  entryPrice: p.entryPrice,
  markPrice: p.markPrice,
  notional: p.notional,
  leverage: p.leverage,
  collateral: p.marginMode === 'isolated' ? p.isolatedMargin : p.initialMargin,
  initialMargin: p.initialMargin,
  maintenanceMargin: p.maintenanceMargin,
  unrealizedPnl: p.unrealizedPnl,
  realizedPnl: p.realizedPnl,
  percentage: p.percentage,
  liquidationPrice: p.liquidationPrice,
  marginMode: p.marginMode,
  hedged: p.positionSide !== 'both',
})

export type DemoVenueDeps = { runtime: Pick<DemoRuntime, 'execute' | 'read' | 'barrier' | 'store'>; accountId: string }

export const createDemoVenue = ({ runtime, accountId }: DemoVenueDeps) => {
  /** Validates like the signer (same BAD_INPUT wording) and maps engine refusals like ccxt's venues. */
  const method =
    <M extends DemoVenueMethod, R>(name: M, fn: (args: z.infer<(typeof demoVenueCalls)[M]>) => Promise<R>) =>
    async (args: z.input<(typeof demoVenueCalls)[M]> | Record<string, unknown> = {}): Promise<R> => {
      const parsed = (demoVenueCalls[name] as unknown as z.ZodType<z.infer<(typeof demoVenueCalls)[M]>>).safeParse(args)
      if (!parsed.success) throw new AppError('BAD_INPUT', `${name}: ${parsed.error.issues[0]?.path.join('.') || 'args'} ${parsed.error.issues[0]?.message ?? 'invalid'}`)
      try {
        return await fn(parsed.data)
      } catch (err) {
        throw venueError(name, err)
      }
    }

  /** Open orders come from the engine, ended ones from the store once every change so far is written. */
  const findOrder = async (ref: { id?: string | undefined; clientOrderId?: string | undefined }): Promise<DemoOrder | null> => {
    const open = await runtime.read((e) => e.order(accountId, ref))
    if (open !== null) return open
    await runtime.barrier()
    return runtime.store.endedOrder(accountId, ref)
  }

  const notFound = () => new DemoRejection('ORDER_NOT_FOUND', 'Order does not exist.')

  const fetchBalance = method('fetchBalance', (): Promise<BalanceView> => runtime.read((e) => e.balance(accountId)))

  const createOrder = method('createOrder', async (a): Promise<OrderView> => {
    const { order } = await runtime.execute({ type: 'placeOrder', order: { accountId, ...a } })
    if (order === null) throw new Error('demo engine placed no order (bug)')
    return toOrderView(order)
  })

  const cancelOrder = method('cancelOrder', async (a): Promise<OrderView> => {
    const { order } = await runtime.execute({ type: 'cancelOrder', accountId, symbol: a.symbol, id: a.id })
    if (order === null) throw new Error('demo engine canceled no order (bug)')
    return toOrderView(order)
  })

  const fetchOrder = method('fetchOrder', async (a): Promise<OrderView> => {
    if (a.id === undefined && a.clientOrderId === undefined) throw new AppError('BAD_INPUT', 'fetchOrder needs an id or a clientOrderId')
    const o = await findOrder(a.id !== undefined ? { id: a.id } : { clientOrderId: a.clientOrderId })
    if (o === null || o.symbol !== a.symbol) throw notFound()
    return toOrderView(o)
  })

  const fetchOpenOrders = method('fetchOpenOrders', (a): Promise<OrderView[]> => runtime.read((e) => e.openOrders(accountId, a.symbol).map(toOrderView)))

  const fetchMyTrades = method('fetchMyTrades', async (a): Promise<TradeView[]> => {
    await runtime.barrier()
    const fills = await runtime.store.fills(accountId, { symbol: a.symbol, since: a.since, limit: a.limit ?? 500 })
    return fills.map(tradeView)
  })

  const fetchPositions = method('fetchPositions', (a): Promise<PositionView[]> => runtime.read((e) => e.positions(accountId, a.symbols).map(positionView)))

  const setLeverage = method('setLeverage', async (a) => {
    await runtime.execute({ type: 'setLeverage', accountId, symbol: a.symbol, leverage: a.leverage })
    return { symbol: a.symbol, leverage: a.leverage }
  })

  const setMarginMode = method('setMarginMode', async (a) => {
    await runtime.execute({ type: 'setMarginMode', accountId, symbol: a.symbol, marginMode: a.marginMode })
    return { symbol: a.symbol, marginMode: a.marginMode }
  })

  const setPositionMode = method('setPositionMode', async (a) => {
    await runtime.execute({ type: 'setPositionMode', accountId, hedged: a.hedged })
    return { hedged: a.hedged }
  })

  const methods = { fetchBalance, createOrder, cancelOrder, fetchOrder, fetchOpenOrders, fetchMyTrades, fetchPositions, setLeverage, setMarginMode, setPositionMode }

  /** The signer's entry point shape: a method name and its arguments. */
  const call = (name: VenueMethod | 'setMarginMode' | 'setPositionMode', args: Record<string, unknown> = {}): Promise<unknown> => {
    const fn = (methods as Record<string, ((a: Record<string, unknown>) => Promise<unknown>) | undefined>)[name]
    if (fn === undefined) return Promise.reject(new AppError('BAD_INPUT', `the demo venue has no method "${String(name).slice(0, 40)}"`))
    return fn(args)
  }

  return { ...methods, call }
}
export type DemoVenue = ReturnType<typeof createDemoVenue>
