import { sha512 } from '@noble/hashes/sha2.js'
import { Exchange, Precise, ArgumentsRequired, BadSymbol, ExchangeError, InvalidOrder, NotSupported, OrderNotFound } from 'ccxt'
import type { Balances, Dict, Int, Market, MarketInterface, Num, OHLCV, Order, OrderBook, OrderSide, OrderType, Str, Strings, Ticker, Tickers, Trade } from 'ccxt'
import { exmoClientOrderIdPattern, exmoDescription } from './exmo-describe.js'

/**
 * EXMO spot (API v1.1) as a ccxt exchange class. ccxt dropped EXMO after 4.5.73; this class gives the
 * signer the same interface it uses for every other venue. Invariants:
 * - private calls are POST with a urlencoded body that carries a strictly increasing `nonce`; the
 *   `Sign` header is hex HMAC-SHA512 of exactly that body, computed through `this.hmac` with
 *   `this.encode(this.secret)` so the signer's Buffer-key override (executor.ts) signs instead;
 * - `loadMarkets` sends one public GET (`pair_settings`) and nothing signed (ccxt's own EXMO also
 *   called `margin/pair/list` with keys set);
 * - no unified method reaches a fund-moving route (`exmoFundMovingPaths`); they are in the API map only
 *   so deny-list tests can name them, and the signer's endpoint policy refuses them.
 */

const pad = (v: unknown): Dict => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : {})
const list = (v: unknown): Dict[] => (Array.isArray(v) ? (v as Dict[]) : [])

const orderTypes: Record<string, { type: string; side: OrderSide }> = {
  buy: { type: 'limit', side: 'buy' },
  sell: { type: 'limit', side: 'sell' },
  market_buy: { type: 'market', side: 'buy' },
  market_sell: { type: 'market', side: 'sell' },
  market_buy_total: { type: 'market', side: 'buy' },
  market_sell_total: { type: 'market', side: 'sell' },
  stop_market_buy: { type: 'market', side: 'buy' },
  stop_market_sell: { type: 'market', side: 'sell' },
}

const recentWindow = 100

export class Exmo extends Exchange {
  #lastNonce = 0

  override describe(): Dict {
    return this.deepExtend(super.describe(), exmoDescription)
  }

  /** EXMO has no test environment; ccxt's base would silently point requests at `undefined/…`. */
  override setSandboxMode(enabled: boolean): void {
    if (enabled) throw new NotSupported(`${this.id} has no sandbox or testnet`)
    super.setSandboxMode(false)
  }

  /** Milliseconds, but never equal to or below the previous nonce of this instance (one instance per key). */
  override nonce(): number {
    this.#lastNonce = Math.max(this.milliseconds(), this.#lastNonce + 1)
    return this.#lastNonce
  }

  override sign(path: string, api: string = 'public', _method: string = 'GET', params: Dict = {}): Dict {
    const base = (this.urls['api'] as Record<string, string>)[api]
    if (base === undefined) throw new NotSupported(`${this.id} has no API section "${api}"`)
    let url = `${base}/${path}`
    if (api === 'public') {
      if (Object.keys(params).length > 0) url += `?${this.urlencode(params)}`
      return { url, method: 'GET', body: undefined, headers: undefined }
    }
    this.checkRequiredCredentials()
    // a caller-supplied nonce is dropped: only this instance's strictly increasing one is signed
    const body = this.urlencode(this.extend({ nonce: this.nonce() }, this.omit(params, 'nonce')))
    const signature = this.hmac(this.encode(body), this.encode(this.secret), sha512, 'hex') as string
    return {
      url,
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Key: this.apiKey, Sign: signature },
    }
  }

  override handleErrors(_status: number, _reason: string, _url: string, _method: string, _headers: Dict, _body: string, response: unknown, _requestHeaders?: unknown, _requestBody?: unknown): undefined {
    if (response === null || typeof response !== 'object' || Array.isArray(response)) return undefined
    const r = response as Dict
    let code: string | undefined
    let message: string
    if ('result' in r) {
      const ok = r['result'] === true || r['result'] === 'true' || r['result'] === 1 || r['result'] === '1'
      if (ok) return undefined
      message = this.safeString(r, 'error', '') ?? ''
      code = /^Error (\d+)/.exec(message)?.[1]
    } else if ('errmsg' in r) {
      // candles_history's shape: {"s":"error","errmsg":"range period is too long"}
      message = this.safeString(r, 'errmsg', '') ?? ''
    } else if ('error' in r && r['error'] !== null && typeof r['error'] === 'object') {
      // the margin API's shape: {"error": {"code": "140434", "msg": "…"}}
      code = this.safeString(r['error'], 'code')
      message = this.safeString(r['error'], 'msg', '') ?? ''
    } else {
      return undefined
    }
    const feedback = `${this.id} ${message.slice(0, 200)}`
    const exceptions = this.exceptions as { exact: Dict; broad: Dict }
    if (code !== undefined) this.throwExactlyMatchedException(exceptions.exact, code, feedback)
    this.throwBroadlyMatchedException(exceptions.broad, message, feedback)
    throw new ExchangeError(feedback)
  }

  // ---------------------------------------------------------------- public

  override async fetchMarkets(params: Dict = {}): Promise<Market[]> {
    const response = pad(await this.request('pair_settings', 'public', 'GET', params))
    return Object.entries(response).map(([id, settings]) => this.parseMarket(this.extend(pad(settings), { pair: id })))
  }

  /** One `pair_settings` entry with its key added as `pair`. */
  override parseMarket(entry: Dict): MarketInterface {
    const id = this.safeString(entry, 'pair') ?? ''
    const [baseId = '', quoteId = ''] = id.split('_')
    const { pair: _pair, ...info } = entry
    const market = this.safeMarketStructure({
      id,
      symbol: `${this.safeCurrencyCode(baseId)}/${this.safeCurrencyCode(quoteId)}`,
      base: this.safeCurrencyCode(baseId),
      quote: this.safeCurrencyCode(quoteId),
      baseId,
      quoteId,
      type: 'spot',
      spot: true,
      margin: false,
      swap: false,
      future: false,
      option: false,
      contract: false,
      active: true,
      taker: this.parseNumber(Precise.stringDiv(this.safeString(entry, 'commission_taker_percent', '0.4'), '100')),
      maker: this.parseNumber(Precise.stringDiv(this.safeString(entry, 'commission_maker_percent', '0.4'), '100')),
      precision: {
        amount: this.parseNumber('1e-8'),
        price: this.parseNumber(this.parsePrecision(this.safeString(entry, 'price_precision', '8'))),
      },
      limits: {
        leverage: { min: undefined, max: undefined },
        amount: { min: this.safeNumber(entry, 'min_quantity'), max: this.safeNumber(entry, 'max_quantity') },
        price: { min: this.safeNumber(entry, 'min_price'), max: this.safeNumber(entry, 'max_price') },
        cost: { min: this.safeNumber(entry, 'min_amount'), max: this.safeNumber(entry, 'max_amount') },
      },
      info,
    })
    if (market === undefined) throw new BadSymbol(`${this.id} could not parse pair ${id}`)
    return market
  }

  override async fetchTicker(symbol: string, params: Dict = {}): Promise<Ticker> {
    await this.loadMarkets()
    const market = this.market(symbol)
    const response = pad(await this.request('ticker', 'public', 'GET', params))
    const raw = response[market['id'] as string]
    if (raw === undefined) throw new BadSymbol(`${this.id} has no ticker for ${symbol}`)
    return this.parseTicker(pad(raw), market as MarketInterface)
  }

  override async fetchTickers(symbols: Strings = undefined, params: Dict = {}): Promise<Tickers> {
    await this.loadMarkets()
    const wanted = this.marketSymbols(symbols)
    const response = pad(await this.request('ticker', 'public', 'GET', params))
    const result: Dict = {}
    for (const [marketId, raw] of Object.entries(response)) {
      const market = this.safeMarket(marketId, undefined, '_') as MarketInterface
      result[market.symbol] = this.parseTicker(pad(raw), market)
    }
    return this.filterByArrayTickers(result, 'symbol', wanted)
  }

  override parseTicker(ticker: Dict, market?: Market): Ticker {
    const m = this.safeMarket(undefined, market) as MarketInterface
    const timestamp = this.safeTimestamp(ticker, 'updated')
    const last = this.safeString(ticker, 'last_trade')
    return this.safeTicker(
      {
        symbol: m.symbol,
        timestamp,
        datetime: this.iso8601(timestamp),
        high: this.safeString(ticker, 'high'),
        low: this.safeString(ticker, 'low'),
        bid: this.safeString(ticker, 'buy_price'),
        ask: this.safeString(ticker, 'sell_price'),
        close: last,
        last,
        average: this.safeString(ticker, 'avg'),
        baseVolume: this.safeString(ticker, 'vol'),
        quoteVolume: this.safeString(ticker, 'vol_curr'),
        info: ticker,
      },
      m,
    )
  }

  override async fetchOrderBook(symbol: string, limit: Int = undefined, params: Dict = {}): Promise<OrderBook> {
    await this.loadMarkets()
    const market = this.market(symbol)
    const request: Dict = { pair: market['id'] }
    if (limit !== undefined) request['limit'] = limit
    const response = pad(await this.request('order_book', 'public', 'GET', this.extend(request, params)))
    // levels are [price, quantity, amount]; index 3 does not exist, so no third column is read as a count
    return this.parseOrderBook(pad(response[market['id'] as string]), market['symbol'] as string, undefined, 'bid', 'ask', 0, 1, 3)
  }

  override async fetchTrades(symbol: string, since: Int = undefined, limit: Int = undefined, params: Dict = {}): Promise<Trade[]> {
    await this.loadMarkets()
    const market = this.market(symbol) as MarketInterface
    const response = pad(await this.request('trades', 'public', 'GET', this.extend({ pair: market.id }, params)))
    return this.parseTrades(list(response[market.id ?? '']), market, since, limit)
  }

  override async fetchOHLCV(symbol: string, timeframe = '1m', since: Int = undefined, limit: Int = undefined, params: Dict = {}): Promise<OHLCV[]> {
    await this.loadMarkets()
    const market = this.market(symbol) as MarketInterface
    const maxLimit = 3000
    const durationSeconds = this.parseTimeframe(timeframe)
    const count = Math.min(limit ?? 1000, maxLimit)
    const nowSeconds = Math.floor(this.milliseconds() / 1000)
    const from = since === undefined ? nowSeconds - count * durationSeconds : Math.floor(since / 1000)
    const to = since === undefined ? nowSeconds : Math.min(nowSeconds, from + count * durationSeconds)
    const request = { symbol: market.id, resolution: this.safeString(this.timeframes, timeframe, timeframe), from, to }
    const response = pad(await this.request('candles_history', 'public', 'GET', this.extend(request, params)))
    return this.parseOHLCVs(list(response['candles']), market, timeframe, since, limit)
  }

  override parseOHLCV(candle: Dict): OHLCV {
    return [
      this.safeInteger(candle, 't') as number,
      this.safeNumber(candle, 'o') as number,
      this.safeNumber(candle, 'h') as number,
      this.safeNumber(candle, 'l') as number,
      this.safeNumber(candle, 'c') as number,
      this.safeNumber(candle, 'v') as number,
    ]
  }

  // ---------------------------------------------------------------- private

  override async fetchBalance(params: Dict = {}): Promise<Balances> {
    await this.loadMarkets()
    return this.parseBalance(await this.request('user_info', 'private', 'POST', params))
  }

  /** `user_info`: `balances` is what is free, `reserved` what open orders hold. */
  override parseBalance(response: unknown): Balances {
    const r = pad(response)
    const result: Dict = { info: r }
    const free = pad(r['balances'])
    const used = pad(r['reserved'])
    for (const currencyId of new Set([...Object.keys(free), ...Object.keys(used)])) {
      const account = this.account()
      account['free'] = this.safeString(free, currencyId, '0')
      account['used'] = this.safeString(used, currencyId, '0')
      result[this.safeCurrencyCode(currencyId) as string] = account
    }
    return this.safeBalance(result)
  }

  /**
   * Market and limit orders only. `clientOrderId` (or `client_id`) must match
   * `exmoClientOrderIdPattern`; `postOnly` becomes `exec_type=post_only`.
   * The reply carries only the order id, so the order is returned as `open` with nothing filled:
   * callers learn fills from fetchOrder.
   */
  override async createOrder(symbol: string, type: OrderType, side: OrderSide, amount: number, price: Num = undefined, params: Dict = {}): Promise<Order> {
    await this.loadMarkets()
    const market = this.market(symbol) as MarketInterface
    if (type !== 'market' && type !== 'limit') throw new InvalidOrder(`${this.id} createOrder() supports market and limit orders, not "${type}"`)
    if (side !== 'buy' && side !== 'sell') throw new InvalidOrder(`${this.id} createOrder() side must be buy or sell`)
    if (this.safeValueN(params, ['triggerPrice', 'stopPrice', 'stopLossPrice', 'takeProfitPrice']) !== undefined) {
      throw new NotSupported(`${this.id} createOrder() does not place trigger orders`)
    }
    if (this.safeBool(params, 'reduceOnly', false)) throw new NotSupported(`${this.id} is spot only: reduceOnly does not apply`)
    if (this.safeString(params, 'marginMode') !== undefined) throw new NotSupported(`${this.id} createOrder() places spot orders only`)
    const isMarket = type === 'market'
    if (!isMarket && price === undefined) throw new ArgumentsRequired(`${this.id} createOrder() needs a price for a limit order`)
    const [isPostOnly, rest] = this.handlePostOnly(isMarket, this.safeString(params, 'exec_type') === 'post_only', params) as [boolean, Dict]
    const timeInForce = this.safeStringUpper(rest, 'timeInForce')
    if (timeInForce !== undefined && timeInForce !== 'GTC' && timeInForce !== 'PO') throw new NotSupported(`${this.id} createOrder() does not support timeInForce ${timeInForce}`)
    const clientOrderId = this.safeString2(rest, 'clientOrderId', 'client_id')
    if (clientOrderId !== undefined && !exmoClientOrderIdPattern.test(clientOrderId)) {
      throw new InvalidOrder(`${this.id} createOrder() clientOrderId must be a positive integer of at most 15 digits`)
    }
    const request: Dict = {
      pair: market.id,
      quantity: this.amountToPrecision(symbol, amount),
      price: isMarket ? '0' : this.priceToPrecision(symbol, price),
      type: isMarket ? `market_${side}` : side,
    }
    if (clientOrderId !== undefined) request['client_id'] = clientOrderId
    if (isPostOnly) request['exec_type'] = 'post_only'
    const extra = this.omit(rest, ['clientOrderId', 'client_id', 'timeInForce', 'exec_type', 'postOnly', 'reduceOnly'])
    const response = pad(await this.request('order_create', 'private', 'POST', this.extend(request, extra)))
    return this.safeOrder(
      {
        id: this.safeString(response, 'order_id'),
        clientOrderId,
        symbol: market.symbol,
        type,
        side,
        amount: request['quantity'],
        price: isMarket ? undefined : request['price'],
        status: 'open',
        postOnly: isPostOnly,
        info: response,
      },
      market,
    )
  }

  override async cancelOrder(id: string, symbol: Str = undefined, params: Dict = {}): Promise<Order> {
    await this.loadMarkets()
    const market = symbol === undefined ? undefined : (this.market(symbol) as MarketInterface)
    const response = await this.request('order_cancel', 'private', 'POST', this.extend({ order_id: id }, params))
    return this.safeOrder({ id, symbol: market?.symbol, status: 'canceled', info: response }, market)
  }

  override async fetchOpenOrders(symbol: Str = undefined, since: Int = undefined, limit: Int = undefined, params: Dict = {}): Promise<Order[]> {
    await this.loadMarkets()
    const market = symbol === undefined ? undefined : (this.market(symbol) as MarketInterface)
    const request: Dict = market === undefined ? {} : { pair: market.id }
    const response = pad(await this.request('user_open_orders', 'private', 'POST', this.extend(request, params)))
    const orders: Order[] = []
    for (const [marketId, raw] of Object.entries(response)) {
      if (market !== undefined && marketId !== market.id) continue
      orders.push(...this.parseOrders(list(raw), this.safeMarket(marketId, undefined, '_') as MarketInterface, undefined, undefined, { status: 'open' }))
    }
    return this.filterBySinceLimit(this.sortBy(orders, 'timestamp'), since, limit) as Order[]
  }

  /** The most recent cancelled orders (`user_cancelled_orders` has no pair filter; filtered here). */
  override async fetchCanceledOrders(symbol: Str = undefined, since: Int = undefined, limit: Int = undefined, params: Dict = {}): Promise<Order[]> {
    await this.loadMarkets()
    const market = symbol === undefined ? undefined : (this.market(symbol) as MarketInterface)
    const raw = await this.request('user_cancelled_orders', 'private', 'POST', this.extend({ offset: 0, limit: limit ?? recentWindow }, params))
    const orders = this.parseOrders(list(raw), undefined, undefined, undefined, { status: 'canceled' })
    const mine = market === undefined ? orders : orders.filter((o) => o.symbol === market.symbol)
    return this.filterBySinceLimit(this.sortBy(mine, 'timestamp'), since, limit) as Order[]
  }

  override async fetchMyTrades(symbol: Str = undefined, since: Int = undefined, limit: Int = undefined, params: Dict = {}): Promise<Trade[]> {
    if (symbol === undefined) throw new ArgumentsRequired(`${this.id} fetchMyTrades() needs a symbol`)
    await this.loadMarkets()
    const market = this.market(symbol) as MarketInterface
    const request = { pair: market.id, offset: this.safeInteger(params, 'offset', 0), limit: limit ?? recentWindow }
    const response = pad(await this.request('user_trades', 'private', 'POST', this.extend(request, this.omit(params, 'offset'))))
    const trades = this.parseTrades(list(response[market.id ?? '']), market)
    return this.filterBySinceLimit(this.sortBy(trades, 'timestamp'), since, limit) as Trade[]
  }

  /**
   * By id: open orders, then the last 100 cancelled orders, then the order's own trades (a filled
   * order). By `params.clientOrderId` (symbol required): open orders, the last 100 cancelled orders,
   * then the pair's last 100 trades. EXMO has no lookup by client id, so an order older than those
   * windows is reported as not found.
   */
  override async fetchOrder(id: string, symbol: Str = undefined, params: Dict = {}): Promise<Order> {
    await this.loadMarkets()
    const market = symbol === undefined ? undefined : (this.market(symbol) as MarketInterface)
    const clientOrderId = this.safeString2(params, 'clientOrderId', 'client_id')
    const rest = this.omit(params, ['clientOrderId', 'client_id'])
    const byClientId = clientOrderId !== undefined && (id === undefined || id === '')
    if (byClientId && market === undefined) throw new ArgumentsRequired(`${this.id} fetchOrder() by clientOrderId needs a symbol`)
    const wanted = byClientId ? `clientOrderId ${clientOrderId}` : `order ${id}`
    const matches = (o: Dict) => (byClientId ? this.safeString(o, 'client_id') === clientOrderId : this.safeString(o, 'order_id') === id)

    const open = pad(await this.request('user_open_orders', 'private', 'POST', this.extend(market === undefined ? {} : { pair: market.id }, rest)))
    for (const [marketId, entries] of Object.entries(open)) {
      const hit = list(entries).find(matches)
      if (hit) return this.parseOrderAs(hit, this.safeMarket(marketId, undefined, '_') as MarketInterface, 'open')
    }
    const cancelled = list(await this.request('user_cancelled_orders', 'private', 'POST', this.extend({ offset: 0, limit: recentWindow }, rest))).find(matches)
    if (cancelled) {
      const fills = await this.orderTradesOrNone(this.safeString(cancelled, 'order_id') ?? '', rest)
      return this.parseOrderAs(this.extend(cancelled, { trades: list(fills?.['trades']) }), market, 'canceled')
    }
    if (byClientId && market !== undefined) {
      const recent = pad(await this.request('user_trades', 'private', 'POST', this.extend({ pair: market.id, offset: 0, limit: recentWindow }, rest)))
      const fills = list(recent[market.id ?? '']).filter(matches)
      const orderId = this.safeString(fills[0], 'order_id')
      if (orderId === undefined) throw new OrderNotFound(`${this.id} ${wanted} was not found among recent orders`)
      const trades = fills.filter((t) => this.safeString(t, 'order_id') === orderId)
      return this.parseOrderAs({ order_id: orderId, client_id: clientOrderId, type: this.safeString(trades[0], 'type'), trades }, market, 'closed')
    }
    const fills = await this.orderTradesOrNone(id, rest)
    if (fills === undefined) throw new OrderNotFound(`${this.id} ${wanted} was not found`)
    return this.parseOrderAs(this.extend(fills, { order_id: id }), market, 'closed')
  }

  /** `order_trades`, or undefined for an order without trades (EXMO error 50304). */
  private async orderTradesOrNone(id: string, params: Dict): Promise<Dict | undefined> {
    try {
      return pad(await this.request('order_trades', 'private', 'POST', this.extend({ order_id: id }, params)))
    } catch (err) {
      if (err instanceof OrderNotFound) return undefined
      throw err
    }
  }

  override parseOrder(order: Dict, market?: Market): Order {
    return this.safeOrder(this.orderFields(order, market), this.safeMarket(this.safeString(order, 'pair'), market, '_') as MarketInterface)
  }

  private parseOrderAs(order: Dict, market: MarketInterface | undefined, status: 'open' | 'closed' | 'canceled'): Order {
    return this.safeOrder(this.extend(this.orderFields(order, market), { status }), this.safeMarket(this.safeString(order, 'pair'), market, '_') as MarketInterface)
  }

  /**
   * Two shapes. An order entry (`user_open_orders`, `user_cancelled_orders`): order_id, client_id,
   * created (s), type (buy/sell = limit, market_*), pair, quantity, price, amount (= quantity × price,
   * not a filled cost). An `order_trades` reply: type (the side), in_/out_currency and amounts, trades[].
   * Where a `trades` list is present, safeOrder derives filled, cost, average and fees from it.
   */
  private orderFields(order: Dict, market?: Market): Dict {
    const exmoType = this.safeString(order, 'type') ?? ''
    const isTradesReply = !('pair' in order)
    const kind = isTradesReply ? undefined : orderTypes[exmoType]
    const rawTrades = Array.isArray(order['trades']) ? list(order['trades']) : undefined
    const marketId = this.safeString(order, 'pair') ?? this.safeString(rawTrades?.[0], 'pair')
    const m = this.safeMarket(marketId, market, '_') as MarketInterface
    const clientId = this.safeString(order, 'client_id') ?? this.safeString(rawTrades?.[0], 'client_id')
    const firstFill = rawTrades?.map((t) => this.safeTimestamp(t, 'date') ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity)
    const timestamp = this.safeTimestamp(order, 'created') ?? (firstFill === undefined || firstFill === Infinity ? undefined : firstFill)
    const fields: Dict = {
      id: this.safeString2(order, 'order_id', 'parent_order_id'),
      clientOrderId: clientId === undefined || clientId === '0' ? undefined : clientId,
      timestamp,
      datetime: this.iso8601(timestamp),
      symbol: m.symbol,
      type: kind?.type,
      side: kind?.side ?? (exmoType === 'buy' || exmoType === 'sell' ? exmoType : undefined),
      price: this.safeString(order, 'price'),
      amount: this.safeString(order, 'quantity'),
      info: order,
    }
    if (rawTrades !== undefined) {
      fields['trades'] = rawTrades
      if (rawTrades.length === 0) fields['filled'] = '0'
    }
    return fields
  }

  /**
   * `user_trades` / `order_trades` / public `trades` entries. `date` is in seconds; the commission is
   * charged in the currency received, `commission_percent` is a percentage.
   */
  override parseTrade(trade: Dict, market?: Market): Trade {
    const m = this.safeMarket(this.safeString(trade, 'pair'), market, '_') as MarketInterface
    const timestamp = this.safeTimestamp(trade, 'date')
    const feeCost = this.safeString(trade, 'commission_amount')
    const feeRate = this.safeString(trade, 'commission_percent')
    return this.safeTrade(
      {
        id: this.safeString(trade, 'trade_id'),
        order: this.safeString(trade, 'order_id'),
        timestamp,
        datetime: this.iso8601(timestamp),
        symbol: m.symbol,
        type: undefined,
        side: this.safeString(trade, 'type'),
        takerOrMaker: this.safeString(trade, 'exec_type'),
        price: this.safeString(trade, 'price'),
        amount: this.safeString(trade, 'quantity'),
        cost: this.safeString(trade, 'amount'),
        fee:
          feeCost === undefined
            ? undefined
            : { cost: feeCost, currency: this.safeCurrencyCode(this.safeString(trade, 'commission_currency')), rate: feeRate === undefined ? undefined : Precise.stringDiv(feeRate, '100') },
        info: trade,
      },
      m,
    )
  }
}
