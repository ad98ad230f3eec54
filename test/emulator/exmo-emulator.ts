import { createHmac, timingSafeEqual } from 'node:crypto'
import { Decimal } from 'decimal.js'
import { accountLookup, headerOf, startEmulatorCore, type AuthLogFields, type EmulatorOptions, type EmulatorRequest, type FailureMode, type HttpReply, type LogEntryBase } from './emulator-server.js'

/**
 * A local EXMO (API v1.1) REST emulator for tests that drive our EXMO ccxt class (src/exchanges/exmo).
 * Invariants: every request is logged before it is handled; the `Sign` header is never logged; a
 * fund-moving route records every request that reached it, accepted or not; a key's nonce only
 * advances on a correctly signed request.
 *
 * As EXMO does: every route lives under /v1.1/, errors are HTTP 200 with
 * `{"result":false,"error":"Error NNNNN: text"}`; private routes are POST with a urlencoded body
 * carrying `nonce`, header `Key`, and header `Sign` = hex HMAC-SHA512(secret, raw body).
 * Codes follow ccxt's EXMO table (40005, 40009, 40015, 40017, 40032, 50052, 50173, 50277, 50304,
 * 50319, 50321, 50381). Messages without a code (bad client_id, unknown pair, post-only crossing)
 * are this emulator's wording; EXMO's is not documented.
 */
export type ExmoEmulatorAccount = {
  apiKey: string
  secret: string
  /** Wallet balances as decimal strings, e.g. `{ USDT: '10000', BTC: '0.5' }`. */
  balances?: Record<string, string>
  /** The key may place and cancel orders (default true). */
  canTrade?: boolean
  /** The key may withdraw and create EX-CODE vouchers (default false). */
  canWithdraw?: boolean
  /** When non-empty, other remote addresses are refused with 40032. */
  ipWhitelist?: string[]
}

export type ExmoEmulatorOptions = Omit<EmulatorOptions<ExmoEmulatorAccount>, 'clockOffsetMs'>

export type ExmoOrderType = 'buy' | 'sell' | 'market_buy' | 'market_sell' | 'market_buy_total' | 'market_sell_total'
export type ExmoOrder = {
  orderId: string
  /** '0' when none was sent, as EXMO reports it. */
  clientId: string
  pair: string
  type: ExmoOrderType
  quantity: Decimal
  price: Decimal
  createdSeconds: number
  status: 'open' | 'filled' | 'cancelled'
  /** What an open order holds: `asset` and `amount`. */
  reserved: { asset: string; amount: Decimal }
}
export type ExmoTrade = {
  tradeId: number
  orderId: string
  clientId: string
  pair: string
  side: 'buy' | 'sell'
  quantity: Decimal
  price: Decimal
  execType: 'taker' | 'maker'
  commission: { amount: Decimal; currency: string; percent: string }
  dateSeconds: number
}
export type ExmoAccountState = {
  apiKey: string
  secret: string
  canTrade: boolean
  canWithdraw: boolean
  ipWhitelist: string[]
  /** The highest nonce accepted with this key (0n before the first request). */
  lastNonce: bigint
  uid: number
  balances: Map<string, { free: Decimal; reserved: Decimal }>
  orders: ExmoOrder[]
  trades: ExmoTrade[]
}

export type ExmoRequestLogEntry = LogEntryBase & AuthLogFields & {
  /** Body (POST) or query (GET) parameters, `nonce` included. */
  params: Record<string, string>
  /** The EXMO error text sent, if any ("Error 40005: …"). */
  error?: string
}

export type ExmoFundMovementKind = 'withdraw' | 'voucher' | 'address' | 'margin'
export type ExmoFundMovementRecord = { time: number; path: string; kind: ExmoFundMovementKind; apiKey: string | undefined; params: Record<string, string>; isAccepted: boolean }

export type ExmoFailureMode = FailureMode

type PairSettings = { min_quantity: string; max_quantity: string; min_price: string; max_price: string; min_amount: string; max_amount: string; price_precision: number; commission_taker_percent: string; commission_maker_percent: string }

export const exmoPairs: Readonly<Record<string, PairSettings>> = {
  BTC_USDT: { min_quantity: '0.00001', max_quantity: '1000', min_price: '1', max_price: '500000', min_amount: '1', max_amount: '5000000', price_precision: 2, commission_taker_percent: '0.4', commission_maker_percent: '0.3' },
  ETH_USDT: { min_quantity: '0.0001', max_quantity: '10000', min_price: '0.01', max_price: '100000', min_amount: '1', max_amount: '5000000', price_precision: 2, commission_taker_percent: '0.4', commission_maker_percent: '0.3' },
  ETH_BTC: { min_quantity: '0.001', max_quantity: '10000', min_price: '0.000001', max_price: '10', min_amount: '0.00001', max_amount: '100', price_precision: 6, commission_taker_percent: '0.4', commission_maker_percent: '0.3' },
}
const defaultPrices: Record<string, string> = { BTC_USDT: '50000', ETH_USDT: '3000', ETH_BTC: '0.06' }
const recentDefault = 100
const recentMax = 10_000

class ExmoApiError extends Error {
  constructor(readonly text: string) {
    super(text)
  }
}
const fail = (code: number | undefined, text: string) => new ExmoApiError(code === undefined ? `Error: ${text}` : `Error ${code}: ${text}`)
const denied = () => fail(40032, 'Access is denied for this API key')

type Params = Record<string, string>
type Route =
  | { path: string; isPrivate: false; fundMovement?: never; handle: (p: Params) => unknown }
  | { path: string; isPrivate: true; fundMovement?: ExmoFundMovementKind; handle: (p: Params, account: ExmoAccountState) => unknown }

const decimalPattern = /^[0-9]{1,20}(\.[0-9]{1,20})?$/
const decimalParam = (p: Params, name: string): Decimal => {
  const v = p[name]
  if (v === undefined || !decimalPattern.test(v)) throw fail(undefined, `parameter ${name} must be a decimal number`)
  return new Decimal(v)
}
const seconds = () => Math.floor(Date.now() / 1000)
const str = (d: Decimal) => d.toFixed()
const limitParam = (p: Params) => Math.min(Math.max(Number(p['limit'] ?? recentDefault) || recentDefault, 1), recentMax)
const offsetParam = (p: Params) => Math.max(Number(p['offset'] ?? 0) || 0, 0)

const paramsOf = (req: EmulatorRequest): Params => (req.method === 'POST' ? Object.fromEntries(new URLSearchParams(req.rawBody)) : req.query)
const json = (status: number, body: unknown): HttpReply => ({ status, body, headers: { 'Content-Type': 'application/json; charset=utf-8' } })

export const startExmoEmulator = async (options: ExmoEmulatorOptions) => {
  const prices = new Map(Object.entries({ ...defaultPrices, ...options.prices }).map(([pair, price]) => [pair, new Decimal(price)]))
  let nextOrderId = 28_000_000_000
  let nextTradeId = 700_000_000
  const accounts = new Map<string, ExmoAccountState>(
    options.accounts.map((a, i) => [
      a.apiKey,
      {
        apiKey: a.apiKey,
        secret: a.secret,
        canTrade: a.canTrade ?? true,
        canWithdraw: a.canWithdraw ?? false,
        ipWhitelist: [...(a.ipWhitelist ?? [])],
        lastNonce: 0n,
        uid: 100_000 + i,
        balances: new Map(Object.entries(a.balances ?? {}).map(([c, v]) => [c, { free: new Decimal(v), reserved: new Decimal(0) }])),
        orders: [],
        trades: [],
      },
    ]),
  )
  const fundMovements: ExmoFundMovementRecord[] = []
  const currencies = () => [...new Set(Object.keys(exmoPairs).flatMap((p) => p.split('_')))]

  const wallet = (account: ExmoAccountState, currency: string) => {
    let b = account.balances.get(currency)
    if (!b) account.balances.set(currency, (b = { free: new Decimal(0), reserved: new Decimal(0) }))
    return b
  }
  const pairOf = (p: Params, name = 'pair') => {
    const pair = p[name] ?? ''
    const settings = exmoPairs[pair]
    if (!settings) throw fail(undefined, `pair ${pair.slice(0, 20)} is not supported`)
    return { pair, settings, base: pair.split('_')[0] ?? '', quote: pair.split('_')[1] ?? '' }
  }
  const priceOf = (pair: string) => prices.get(pair) ?? new Decimal(0)

  // ------------------------------------------------------------ matching

  /** Fills `order` in full at `price`; the commission is taken from the currency received. */
  const fill = (account: ExmoAccountState, order: ExmoOrder, price: Decimal, execType: 'taker' | 'maker') => {
    const { settings, base, quote } = pairOf({ pair: order.pair })
    const percent = execType === 'taker' ? settings.commission_taker_percent : settings.commission_maker_percent
    const side = order.type.includes('buy') ? 'buy' : 'sell'
    const cost = order.quantity.mul(price)
    const held = wallet(account, order.reserved.asset)
    held.reserved = held.reserved.sub(order.reserved.amount)
    if (side === 'buy') {
      held.free = held.free.add(order.reserved.amount).sub(cost) // a crossing limit buy gets its price improvement back
      const fee = order.quantity.mul(percent).div(100).toDecimalPlaces(8, Decimal.ROUND_UP)
      wallet(account, base).free = wallet(account, base).free.add(order.quantity).sub(fee)
      account.trades.push(trade(order, side, price, execType, { amount: fee, currency: base, percent }))
    } else {
      held.free = held.free.add(order.reserved.amount).sub(order.quantity)
      const fee = cost.mul(percent).div(100).toDecimalPlaces(8, Decimal.ROUND_UP)
      wallet(account, quote).free = wallet(account, quote).free.add(cost).sub(fee)
      account.trades.push(trade(order, side, price, execType, { amount: fee, currency: quote, percent }))
    }
    order.reserved = { asset: order.reserved.asset, amount: new Decimal(0) }
    order.status = 'filled'
  }
  const trade = (order: ExmoOrder, side: 'buy' | 'sell', price: Decimal, execType: 'taker' | 'maker', commission: ExmoTrade['commission']): ExmoTrade => ({
    tradeId: nextTradeId++, orderId: order.orderId, clientId: order.clientId, pair: order.pair, side, quantity: order.quantity, price, execType, commission, dateSeconds: seconds(),
  })

  const createOrder = (p: Params, account: ExmoAccountState) => {
    if (!account.canTrade) throw denied()
    const { pair, settings, base, quote } = pairOf(p)
    const type = p['type'] as ExmoOrderType
    if (!['buy', 'sell', 'market_buy', 'market_sell', 'market_buy_total', 'market_sell_total'].includes(type)) throw fail(undefined, 'parameter type is invalid')
    const clientId = p['client_id'] ?? '0'
    if (!/^[0-9]{1,19}$/.test(clientId) || BigInt(clientId) > 9_223_372_036_854_775_807n) throw fail(undefined, 'client_id must be a positive integer')
    const execType = p['exec_type']
    if (execType !== undefined && execType !== 'post_only') throw fail(undefined, `exec_type ${execType.slice(0, 20)} is not supported`)
    const market = priceOf(pair)
    const isLimit = type === 'buy' || type === 'sell'
    const side = type.includes('buy') ? 'buy' : 'sell'
    if (!isLimit && execType === 'post_only') throw fail(undefined, 'a market order cannot be post only')
    let quantity = decimalParam(p, 'quantity')
    // the *_total types give the quantity in the quote currency
    if (type.endsWith('_total')) quantity = quantity.div(market).toDecimalPlaces(8, Decimal.ROUND_DOWN)
    const price = isLimit ? decimalParam(p, 'price') : market
    if (quantity.decimalPlaces() > 8) throw fail(50381, `More than 8 decimal places are not permitted for quantity of pair ${pair}`)
    if (isLimit) {
      if (price.decimalPlaces() > settings.price_precision) throw fail(50381, `More than ${settings.price_precision} decimal places are not permitted for pair ${pair}`)
      if (price.lt(settings.min_price)) throw fail(50319, 'Price by order is less than permissible minimum for this pair')
      if (price.gt(settings.max_price)) throw fail(50321, 'Price by order is more than permissible maximum for this pair')
    }
    if (quantity.lt(settings.min_quantity)) throw fail(50277, 'Quantity by order is less than permissible minimum for this pair')
    if (quantity.gt(settings.max_quantity)) throw fail(50277, 'Quantity by order is more than permissible maximum for this pair')
    const cost = quantity.mul(price)
    if (cost.lt(settings.min_amount)) throw fail(50277, 'Amount by order is less than permissible minimum for this pair')
    if (cost.gt(settings.max_amount)) throw fail(50277, 'Amount by order is more than permissible maximum for this pair')
    const crosses = side === 'buy' ? price.gte(market) : price.lte(market)
    if (execType === 'post_only' && crosses) throw fail(undefined, 'post only order would be executed immediately')
    const reserved = side === 'buy' ? { asset: quote, amount: cost } : { asset: base, amount: quantity }
    const funds = wallet(account, reserved.asset)
    if (funds.free.lt(reserved.amount)) throw fail(50052, 'Insufficient funds')
    funds.free = funds.free.sub(reserved.amount)
    funds.reserved = funds.reserved.add(reserved.amount)
    const order: ExmoOrder = { orderId: String(nextOrderId++), clientId: String(BigInt(clientId)), pair, type, quantity, price, createdSeconds: seconds(), status: 'open', reserved }
    account.orders.push(order)
    if (crosses) fill(account, order, market, 'taker')
    return { result: true, error: '', order_id: Number(order.orderId), client_id: Number(order.clientId) }
  }

  const setPrice = (pair: string, price: string) => {
    pairOf({ pair })
    const next = new Decimal(price)
    prices.set(pair, next)
    for (const account of accounts.values()) {
      for (const order of account.orders) {
        if (order.pair !== pair || order.status !== 'open') continue
        if (order.type === 'buy' ? order.price.gte(next) : order.price.lte(next)) fill(account, order, order.price, 'maker')
      }
    }
  }

  // ------------------------------------------------------------ views

  const orderEntry = (o: ExmoOrder) => ({
    order_id: o.orderId, client_id: o.clientId, created: String(o.createdSeconds), type: o.type, pair: o.pair, quantity: str(o.quantity), price: str(o.price), amount: str(o.quantity.mul(o.price)),
  })
  const tradeEntry = (t: ExmoTrade) => ({
    trade_id: t.tradeId, client_id: t.clientId, date: t.dateSeconds, type: t.side, pair: t.pair, order_id: Number(t.orderId), parent_order_id: 0, quantity: str(t.quantity), price: str(t.price), amount: str(t.quantity.mul(t.price)),
    exec_type: t.execType, commission_amount: str(t.commission.amount), commission_currency: t.commission.currency, commission_percent: t.commission.percent,
  })
  const grouped = <T extends { pair: string }>(items: T[], view: (item: T) => unknown) => {
    const out: Record<string, unknown[]> = {}
    for (const item of items) (out[item.pair] ??= []).push(view(item))
    return out
  }
  const pairList = (p: Params) => (p['pair'] === undefined ? undefined : new Set(p['pair'].split(',')))
  const rounded = (pair: string, d: Decimal) => d.toDecimalPlaces(exmoPairs[pair]?.price_precision ?? 8)

  const publicTrades = (pair: string) =>
    [...accounts.values()].flatMap((a) => a.trades).filter((t) => t.pair === pair).sort((a, b) => b.tradeId - a.tradeId).slice(0, 100)
      .map((t) => ({ trade_id: t.tradeId, date: t.dateSeconds, type: t.side, quantity: str(t.quantity), price: str(t.price), amount: str(t.quantity.mul(t.price)) }))

  const resolutionSeconds: Record<string, number> = { D: 86_400, W: 604_800, M: 2_592_000 }
  const candles = (p: Params) => {
    const { pair } = pairOf(p, 'symbol')
    const res = p['resolution'] ?? ''
    const step = resolutionSeconds[res] ?? Number(res) * 60
    const from = Number(p['from'])
    const to = Number(p['to'])
    if (!Number.isFinite(step) || step <= 0 || !Number.isInteger(from) || !Number.isInteger(to)) return { s: 'error', errmsg: 'strconv.ParseInt: parsing: invalid syntax' }
    if ((to - from) / step > 3000) return { s: 'error', errmsg: 'range period is too long' }
    const close = priceOf(pair).toNumber()
    const out = []
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push({ t: t * 1000, o: close, c: close, h: close, l: close, v: 0 })
    return { candles: out }
  }
  const orderBook = (p: Params) => {
    const limit = Math.min(Number(p['limit'] ?? 100) || 100, 1000)
    const out: Record<string, unknown> = {}
    for (const pair of p['pair']?.split(',') ?? []) {
      pairOf({ pair })
      const price = priceOf(pair)
      const level = (i: number, sign: number) => {
        const lp = rounded(pair, price.mul(new Decimal(1).add(new Decimal(sign * (i + 1)).mul('0.0005'))))
        return [str(lp), '0.5', str(lp.mul('0.5'))]
      }
      const ask = Array.from({ length: limit }, (_, i) => level(i, 1))
      const bid = Array.from({ length: limit }, (_, i) => level(i, -1))
      out[pair] = { ask_quantity: str(new Decimal('0.5').mul(limit)), ask_amount: '0', ask_top: ask[0]?.[0], bid_quantity: str(new Decimal('0.5').mul(limit)), bid_amount: '0', bid_top: bid[0]?.[0], ask, bid }
    }
    return out
  }

  // ------------------------------------------------------------ routes

  /** Takes `amount` of `currency` out of the free balance, for a key that may withdraw. */
  const withdrawFrom = (account: ExmoAccountState, p: Params) => {
    if (!account.canWithdraw) throw denied()
    const amount = decimalParam(p, 'amount')
    const funds = wallet(account, p['currency'] ?? '')
    if (funds.free.lt(amount)) throw fail(50052, 'Insufficient funds')
    funds.free = funds.free.sub(amount)
    return amount
  }

  const routes: Route[] = [
    { path: 'pair_settings', isPrivate: false, handle: () => exmoPairs },
    { path: 'currency', isPrivate: false, handle: () => currencies() },
    {
      path: 'ticker', isPrivate: false,
      handle: () => Object.fromEntries(Object.keys(exmoPairs).map((pair) => {
        const price = priceOf(pair)
        return [pair, { buy_price: str(rounded(pair, price.mul('0.9995'))), sell_price: str(rounded(pair, price.mul('1.0005'))), last_trade: str(price), high: str(price), low: str(price), avg: str(price), vol: '0', vol_curr: '0', updated: seconds() }]
      })),
    },
    { path: 'order_book', isPrivate: false, handle: orderBook },
    { path: 'trades', isPrivate: false, handle: (p) => Object.fromEntries((p['pair'] ?? '').split(',').map((pair) => (pairOf({ pair }), [pair, publicTrades(pair)]))) },
    { path: 'candles_history', isPrivate: false, handle: candles },
    {
      path: 'user_info', isPrivate: true,
      handle: (_p, a) => {
        const all = new Set([...currencies(), ...a.balances.keys()])
        return { uid: a.uid, server_date: seconds(), balances: Object.fromEntries([...all].map((c) => [c, str(wallet(a, c).free)])), reserved: Object.fromEntries([...all].map((c) => [c, str(wallet(a, c).reserved)])) }
      },
    },
    { path: 'order_create', isPrivate: true, handle: createOrder },
    {
      path: 'order_cancel', isPrivate: true,
      handle: (p, a) => {
        if (!a.canTrade) throw denied()
        const order = a.orders.find((o) => o.orderId === p['order_id'] && o.status === 'open')
        if (!order) throw fail(50173, `Order with id ${(p['order_id'] ?? '').slice(0, 24)} was not found.`)
        const held = wallet(a, order.reserved.asset)
        held.reserved = held.reserved.sub(order.reserved.amount)
        held.free = held.free.add(order.reserved.amount)
        order.reserved = { asset: order.reserved.asset, amount: new Decimal(0) }
        order.status = 'cancelled'
        return { result: true, error: '' }
      },
    },
    {
      path: 'user_open_orders', isPrivate: true,
      handle: (p, a) => {
        const pairs = pairList(p)
        return grouped(a.orders.filter((o) => o.status === 'open' && (!pairs || pairs.has(o.pair))), orderEntry)
      },
    },
    {
      path: 'user_cancelled_orders', isPrivate: true,
      handle: (p, a) => a.orders.filter((o) => o.status === 'cancelled').reverse().slice(offsetParam(p), offsetParam(p) + limitParam(p)).map(orderEntry),
    },
    {
      path: 'user_trades', isPrivate: true,
      handle: (p, a) => {
        const pairs = pairList(p)
        if (!pairs) throw fail(undefined, 'parameter pair is required')
        const newest = a.trades.filter((t) => pairs.has(t.pair)).reverse().slice(offsetParam(p), offsetParam(p) + limitParam(p))
        return grouped(newest, tradeEntry)
      },
    },
    {
      path: 'order_trades', isPrivate: true,
      handle: (p, a) => {
        const id = p['order_id'] ?? ''
        const order = a.orders.find((o) => o.orderId === id)
        const trades = a.trades.filter((t) => t.orderId === id)
        if (!order || trades.length === 0) throw fail(50304, `Order was not found '${id.slice(0, 24)}'`)
        const [base = '', quote = ''] = order.pair.split('_')
        const qty = trades.reduce((s, t) => s.add(t.quantity), new Decimal(0))
        const amount = trades.reduce((s, t) => s.add(t.quantity.mul(t.price)), new Decimal(0))
        const side = trades[0]?.side ?? 'buy'
        return side === 'buy'
          ? { type: side, in_currency: base, in_amount: str(qty), out_currency: quote, out_amount: str(amount), trades: trades.map(tradeEntry) }
          : { type: side, in_currency: quote, in_amount: str(amount), out_currency: base, out_amount: str(qty), trades: trades.map(tradeEntry) }
      },
    },
    // A signed read ccxt's own EXMO class sent from loadMarkets; served so a test can see it is never called.
    { path: 'margin/pair/list', isPrivate: true, handle: () => ({ pairs: [] }) },
    // ---- fund-moving routes (../shared/reference/endpoints/exmo-fund-and-key-endpoints.tsv)
    { path: 'deposit_address', isPrivate: true, fundMovement: 'address', handle: () => Object.fromEntries(currencies().map((c) => [c, `emulated-${c.toLowerCase()}-address`])) },
    {
      path: 'withdraw_crypt', isPrivate: true, fundMovement: 'withdraw',
      handle: (p, a) => {
        withdrawFrom(a, p)
        return { result: true, error: '', task_id: nextTradeId++ }
      },
    },
    { path: 'withdraw_get_txid', isPrivate: true, fundMovement: 'withdraw', handle: () => ({ result: true, error: '', status: false, txid: '' }) },
    {
      path: 'excode_create', isPrivate: true, fundMovement: 'voucher',
      handle: (p, a) => {
        const amount = withdrawFrom(a, p)
        return { result: true, error: '', task_id: nextTradeId++, code: `EX-CODE_EMULATED_${nextTradeId}`, amount: str(amount), currency: p['currency'] }
      },
    },
    {
      path: 'excode_load', isPrivate: true, fundMovement: 'voucher',
      handle: (_p, a) => {
        if (!a.canWithdraw) throw denied()
        throw fail(undefined, 'the EX-CODE is not valid')
      },
    },
    { path: 'margin/user/position/margin_remove', isPrivate: true, fundMovement: 'margin', handle: () => { throw denied() } },
    { path: 'margin/user/position/margin_remove_info', isPrivate: true, fundMovement: 'margin', handle: () => { throw denied() } },
  ]

  /** EXMO's checks, in order: Key → IP → Sign → nonce. The nonce advances only after a valid signature. */
  const authenticate = (req: EmulatorRequest, params: Params, entry: ExmoRequestLogEntry): ExmoAccountState => {
    const account = entry.apiKey === undefined ? undefined : accounts.get(entry.apiKey)
    if (!account) throw fail(40017, 'Wrong api key')
    if (account.ipWhitelist.length > 0 && !account.ipWhitelist.includes(entry.remoteAddress)) throw denied()
    const sign = headerOf(req.headers, 'sign') ?? ''
    const expected = createHmac('sha512', account.secret).update(req.rawBody).digest()
    const provided = /^[0-9a-fA-F]{128}$/.test(sign) ? Buffer.from(sign, 'hex') : Buffer.alloc(0)
    entry.isSignatureValid = provided.length === expected.length && timingSafeEqual(provided, expected)
    if (!entry.isSignatureValid) throw fail(40005, 'Authorization error, incorrect signature')
    const nonce = params['nonce'] ?? ''
    if (!/^[0-9]{1,19}$/.test(nonce) || BigInt(nonce) <= account.lastNonce) {
      throw fail(40009, `The nonce parameter is less or equal than what was used before "${account.lastNonce}"`)
    }
    account.lastNonce = BigInt(nonce)
    return account
  }

  const server = await startEmulatorCore<ExmoRequestLogEntry>({
    port: options.port,
    latencyMs: options.latencyMs,
    logEntry: (req, base) => ({ ...base, params: paramsOf(req), apiKey: headerOf(req.headers, 'key'), isSigned: headerOf(req.headers, 'sign') !== undefined, isSignatureValid: undefined }),
    handle: (req, entry) => {
      if (!req.path.startsWith('/v1.1/')) return json(404, { error: 'not found' })
      const { params } = entry
      const route = routes.find((r) => `/v1.1/${r.path}` === req.path)
      let body: unknown
      let isAccepted = false
      try {
        if (!route || (route.isPrivate && req.method !== 'POST')) throw fail(40015, 'API function do not exist')
        body = route.isPrivate ? route.handle(params, authenticate(req, params, entry)) : route.handle(params)
        isAccepted = true
      } catch (err) {
        if (!(err instanceof ExmoApiError)) throw err
        entry.error = err.text
        body = { result: false, error: err.text }
      }
      if (route?.fundMovement) fundMovements.push({ time: entry.time, path: route.path, kind: route.fundMovement, apiKey: entry.apiKey, params, isAccepted })
      return json(200, body)
    },
  })
  const { url, requests, clearRequests, failNext, setLatency, close } = server

  return {
    url,
    /** Every request, in arrival order. */
    requests,
    clearRequests,
    /** How many requests reached `/v1.1/<path>` (e.g. `hits('withdraw_crypt')`). */
    hits: (path: string) => requests.filter((r) => r.path === `/v1.1/${path}`).length,
    /** Every request that reached a fund-moving route, accepted or refused. */
    fundMovements: fundMovements as readonly ExmoFundMovementRecord[],
    /** The live state of a key: mutate `canTrade`, `canWithdraw`, `ipWhitelist`, `balances` at run time. */
    account: accountLookup(accounts),
    price: (pair: string) => priceOf(pair).toFixed(),
    /** Moves the price and fills the resting limit orders it crosses, at their own price (maker). */
    setPrice,
    /** Makes the next `times` (default 1) requests whose path starts with `pathPrefix` fail as `mode` says. */
    failNext,
    setLatency,
    close,
  }
}
export type ExmoEmulator = Awaited<ReturnType<typeof startExmoEmulator>>
