import { randomBytes } from 'node:crypto'
import { authenticate, type AuthOutcome } from './binance-auth.js'
import { defaultPrices, marketBySymbol } from './binance-markets.js'
import { createOrderBook, orderView, type PlaceOrderInput } from './binance-orders.js'
import { createRateLimiter } from './binance-rate-limit.js'
import { createRoutes, type FundMovementKind, type Params } from './binance-routes.js'
import { BinanceApiError, binanceErrors, toAccountState, type EmulatorAccount, type OrderSide, type OrderType, type TimeInForce } from './binance-types.js'
import { accountLookup, createEmulatorClock, headerOf, startEmulatorCore, type AuthLogFields, type EmulatorOptions, type EmulatorRequest, type HttpReply, type LogEntryBase } from './emulator-server.js'

export type { AccountState, ApiPermissions, EmulatorAccount, EmulatorAccountSettings } from './binance-types.js'

/**
 * A local Binance spot REST emulator for tests that drive the real ccxt client (see README.md).
 * Invariants: every request is logged before it is handled; a `signature` value is never logged;
 * a fund-moving route records every request that reached it, accepted or not.
 */
export type BinanceEmulatorOptions = EmulatorOptions<EmulatorAccount> & {
  /** Per-IP REQUEST_WEIGHT limit per minute; unlimited when unset. */
  weightLimitPerMinute?: number
}

export type { FailNextOptions, FailureMode } from './emulator-server.js'

export type RequestLogEntry = LogEntryBase & AuthLogFields & {
  /** Keys of the query and body parameters, in order (`signature` included when sent). */
  paramKeys: string[]
  /** Parameter values, with `signature` left out. */
  params: Record<string, string>
  /** The Binance error code sent, if any. */
  errorCode?: number
}

export type FundMovementRecord = {
  time: number
  kind: FundMovementKind
  apiKey: string | undefined
  remoteAddress: string
  params: Record<string, string>
  status: number
  isAccepted: boolean
}

export type ForeignOrderInput = {
  symbol: string
  side: OrderSide
  type: OrderType
  quantity?: string
  quoteOrderQty?: string
  price?: string
  timeInForce?: TimeInForce
  /** Defaults to a `web_…` id, as orders placed in Binance's web UI get. */
  clientOrderId?: string
}

// Binance reads parameters from the query string and the body; a parameter in the query string wins.
const paramsOf = (req: EmulatorRequest): Params => Object.fromEntries([...new URLSearchParams(req.rawBody), ...new URLSearchParams(req.rawQuery)])

export const startBinanceEmulator = async (options: BinanceEmulatorOptions) => {
  const clock = createEmulatorClock(options.clockOffsetMs)
  const { now } = clock
  const accounts = new Map(options.accounts.map((a) => [a.apiKey, toAccountState(a, now() - 86_400_000)]))
  const prices = new Map(Object.entries({ ...defaultPrices, ...options.prices }))
  const book = createOrderBook({ now, prices })
  const routes = createRoutes({ book, prices, now })
  const limiter = createRateLimiter(options.weightLimitPerMinute, now)
  const withdrawals: FundMovementRecord[] = []

  const server = await startEmulatorCore<RequestLogEntry>({
    port: options.port,
    latencyMs: options.latencyMs,
    clock,
    logEntry: (req, base) => {
      const { signature, ...params } = paramsOf(req)
      return {
        ...base, paramKeys: [...new URLSearchParams(req.rawQuery), ...new URLSearchParams(req.rawBody)].map(([k]) => k), params,
        apiKey: headerOf(req.headers, 'x-mbx-apikey'), isSigned: signature !== undefined, isSignatureValid: undefined,
      }
    },
    handle: (req, entry): HttpReply => {
      const params = paramsOf(req)
      const { apiKey, remoteAddress } = entry
      const route = routes.find((r) => r.path === req.path && r.method === req.method)
      const outcome: AuthOutcome = { isSigned: entry.isSigned, isSignatureValid: undefined }
      let status = 200
      let body: unknown
      const headers: Record<string, string> = {}
      try {
        headers['X-MBX-USED-WEIGHT-1M'] = String(limiter.charge(remoteAddress, route ? route.weight(params) : 1))
        if (!route) throw binanceErrors.unknownRoute(req.method, req.path)
        if (route.security === 'NONE') body = route.handle(params)
        else {
          const account = authenticate(accounts, { apiKey, rawQuery: req.rawQuery, rawBody: req.rawBody, params, remoteAddress, nowMs: req.nowMs }, route.security, outcome)
          body = route.handle(params, account)
        }
      } catch (err) {
        if (!(err instanceof BinanceApiError)) throw err
        status = err.status
        body = { code: err.code, msg: err.msg }
        entry.errorCode = err.code
        Object.assign(headers, err.headers, { 'X-MBX-USED-WEIGHT-1M': String(limiter.usedWeight(remoteAddress)) })
      }
      entry.isSignatureValid = outcome.isSignatureValid
      if (route?.fundMovement) {
        withdrawals.push({ time: entry.time, kind: route.fundMovement, apiKey, remoteAddress, params: entry.params, status, isAccepted: status === 200 })
      }
      return { status, body, headers }
    },
  })
  const account = accountLookup(accounts)

  return {
    ...server,
    /** Every request that reached a fund-moving route (withdraw, universal transfer), accepted or refused. */
    withdrawals: withdrawals as readonly FundMovementRecord[],
    /** The live state of a key: mutate `permissions`, `ipRestrict`, `ipWhitelist`, `balances` at run time. */
    account,
    /** Registers a key at run time, as a user does at Binance (e.g. an Ed25519 public key Bulwark generated). */
    addAccount: (a: EmulatorAccount) => {
      accounts.set(a.apiKey, toAccountState(a, now()))
    },
    price: (symbol: string) => prices.get(marketBySymbol(symbol).symbol),
    /** Moves the price and fills the resting limit orders it crosses. */
    setPrice: (symbol: string, price: string) => book.setPrice(accounts.values(), symbol, price),
    /** Places an order "directly on the exchange" (not through HTTP, not logged in `requests`). */
    placeForeignOrder: (apiKey: string, order: ForeignOrderInput) => {
      const input: PlaceOrderInput = {
        ...order,
        timeInForce: order.timeInForce ?? (order.type === 'LIMIT' ? 'GTC' : undefined),
        newClientOrderId: order.clientOrderId ?? `web_${randomBytes(12).toString('hex')}`,
      }
      return orderView(book.place(account(apiKey), input))
    },
    resetRateLimits: () => limiter.reset(),
  }
}
export type BinanceEmulator = Awaited<ReturnType<typeof startBinanceEmulator>>
