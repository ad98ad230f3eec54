import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Decimal } from 'decimal.js'
import { authenticate, normalizeAddress, type AuthOutcome } from './binance-auth.js'
import { defaultPrices, marketBySymbol } from './binance-markets.js'
import { createOrderBook, orderView, type PlaceOrderInput } from './binance-orders.js'
import { createRateLimiter } from './binance-rate-limit.js'
import { createRoutes, type FundMovementKind, type Params } from './binance-routes.js'
import { BinanceApiError, binanceErrors, defaultPermissions, type AccountState, type EmulatorAccount, type OrderSide, type OrderType, type TimeInForce } from './binance-types.js'

export type { AccountState, ApiPermissions, EmulatorAccount, EmulatorAccountSettings } from './binance-types.js'

/**
 * A local Binance spot REST emulator for tests that drive the real ccxt client (see README.md).
 * Invariants: every request is logged before it is handled; a `signature` value is never logged;
 * a fund-moving route records every request that reached it, accepted or not.
 */
export type BinanceEmulatorOptions = {
  accounts: EmulatorAccount[]
  /** Prices per exchange symbol, e.g. `{ BTCUSDT: '50000' }`; defaults cover every emulated market. */
  prices?: Record<string, string>
  /** Server clock skew: the emulator's clock is `Date.now() + clockOffsetMs`. */
  clockOffsetMs?: number
  /** Delay before each request is handled. */
  latencyMs?: number
  /** Per-IP REQUEST_WEIGHT limit per minute; unlimited when unset. */
  weightLimitPerMinute?: number
  port?: number
}

/** 'timeout': never answered, not executed. 'error500': HTTP 500, not executed. 'afterExecute-timeout': executed, never answered. */
export type FailureMode = 'timeout' | 'error500' | 'afterExecute-timeout'
export type FailNextOptions = { mode: FailureMode; times?: number; method?: string }

export type RequestLogEntry = {
  time: number
  method: string
  path: string
  /** Keys of the query and body parameters, in order (`signature` included when sent). */
  paramKeys: string[]
  /** Parameter values, with `signature` left out. */
  params: Record<string, string>
  apiKey: string | undefined
  remoteAddress: string
  isSigned: boolean
  /** undefined when the checks stopped before the signature (unknown key, refused IP, public route). */
  isSignatureValid: boolean | undefined
  /** The HTTP status sent (for an afterExecute-timeout fault: the one withheld); undefined while pending or for a timeout fault. */
  status: number | undefined
  /** The Binance error code sent, if any. */
  errorCode?: number
  fault?: FailureMode
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

const toAccountState = (a: EmulatorAccount, createTime: number): AccountState => ({
  apiKey: a.apiKey,
  credential: a.secret !== undefined ? { secret: a.secret } : { ed25519PublicKeyPem: a.ed25519PublicKeyPem },
  permissions: { ...defaultPermissions, ...a.permissions },
  ipRestrict: a.ipRestrict ?? false,
  ipWhitelist: [...(a.ipWhitelist ?? [])],
  tradingAuthorityExpirationTime: a.tradingAuthorityExpirationTime,
  createTime,
  balances: new Map(Object.entries(a.balances ?? {}).map(([asset, free]) => [asset, { free: new Decimal(free).toFixed(), locked: '0' }])),
  orders: [],
  trades: [],
})

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const startBinanceEmulator = async (options: BinanceEmulatorOptions) => {
  let clockOffsetMs = options.clockOffsetMs ?? 0
  let latencyMs = options.latencyMs ?? 0
  const now = () => Date.now() + clockOffsetMs
  const accounts = new Map(options.accounts.map((a) => [a.apiKey, toAccountState(a, now() - 86_400_000)]))
  const prices = new Map(Object.entries({ ...defaultPrices, ...options.prices }))
  const book = createOrderBook({ now, prices })
  const routes = createRoutes({ book, prices, now })
  const limiter = createRateLimiter(options.weightLimitPerMinute, now)
  const requests: RequestLogEntry[] = []
  const withdrawals: FundMovementRecord[] = []
  const faults: { pathPrefix: string; method: string | undefined; mode: FailureMode; remaining: number }[] = []

  const takeFault = (method: string, path: string): FailureMode | undefined => {
    const i = faults.findIndex((f) => path.startsWith(f.pathPrefix) && (f.method === undefined || f.method === method))
    const fault = faults[i]
    if (!fault) return undefined
    if (--fault.remaining <= 0) faults.splice(i, 1)
    return fault.mode
  }

  const send = (res: ServerResponse, entry: RequestLogEntry, status: number, body: unknown, headers: Record<string, string> = {}) => {
    entry.status = status
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers })
    res.end(JSON.stringify(body))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://emulator')
    const rawQuery = url.search.slice(1)
    const rawBody = method === 'GET' ? '' : await readBody(req)
    // Binance reads parameters from both; a parameter in the query string wins over the body.
    const pairs = [...new URLSearchParams(rawQuery), ...new URLSearchParams(rawBody)]
    const params: Params = Object.fromEntries([...new URLSearchParams(rawBody), ...new URLSearchParams(rawQuery)])
    const header = req.headers['x-mbx-apikey']
    const apiKey = Array.isArray(header) ? header[0] : header
    const remoteAddress = normalizeAddress(req.socket.remoteAddress)
    const { signature: _omitted, ...loggedParams } = params
    const entry: RequestLogEntry = {
      time: now(), method, path: url.pathname, paramKeys: pairs.map(([k]) => k), params: loggedParams, apiKey, remoteAddress,
      isSigned: params['signature'] !== undefined, isSignatureValid: undefined, status: undefined,
    }
    requests.push(entry)
    if (latencyMs > 0) await sleep(latencyMs)

    const fault = takeFault(method, url.pathname)
    if (fault) entry.fault = fault
    if (fault === 'timeout') return // never answered; close() drops the connection
    if (fault === 'error500') {
      entry.status = 500
      res.writeHead(500, { 'Content-Type': 'text/html' })
      res.end('<html><body><h1>500 Internal Server Error</h1></body></html>')
      return
    }

    const route = routes.find((r) => r.path === url.pathname && r.method === method)
    const outcome: AuthOutcome = { isSigned: entry.isSigned, isSignatureValid: undefined }
    let status = 200
    let body: unknown
    const headers: Record<string, string> = {}
    try {
      headers['X-MBX-USED-WEIGHT-1M'] = String(limiter.charge(remoteAddress, route ? route.weight(params) : 1))
      if (!route) throw binanceErrors.unknownRoute(method, url.pathname)
      if (route.security === 'NONE') body = route.handle(params)
      else {
        const account = authenticate(accounts, { apiKey, rawQuery, rawBody, params, remoteAddress, nowMs: now() }, route.security, outcome)
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
      withdrawals.push({ time: entry.time, kind: route.fundMovement, apiKey, remoteAddress, params: loggedParams, status, isAccepted: status === 200 })
    }
    if (fault === 'afterExecute-timeout') {
      entry.status = status // what would have been sent
      return
    }
    send(res, entry, status, body, headers)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' })
      res.end(`emulator bug: ${err instanceof Error ? err.message : String(err)}`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  const account = (apiKey: string): AccountState => {
    const found = accounts.get(apiKey)
    if (!found) throw new Error('the emulator has no account with that API key')
    return found
  }

  return {
    url: `http://127.0.0.1:${port}`,
    /** Every request, in arrival order. */
    requests: requests as readonly RequestLogEntry[],
    clearRequests: () => {
      requests.length = 0
    },
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
    /** Makes the next `times` (default 1) requests whose path starts with `pathPrefix` fail as `mode` says. */
    failNext: (pathPrefix: string, { mode, times = 1, method }: FailNextOptions) => {
      faults.push({ pathPrefix, method: method?.toUpperCase(), mode, remaining: times })
    },
    setClockOffset: (ms: number) => {
      clockOffsetMs = ms
    },
    setLatency: (ms: number) => {
      latencyMs = ms
    },
    now,
    resetRateLimits: () => limiter.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
export type BinanceEmulator = Awaited<ReturnType<typeof startBinanceEmulator>>
