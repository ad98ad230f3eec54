import { AsyncLocalStorage } from 'node:async_hooks'
import type { Exchange } from 'ccxt'
import ccxt from 'ccxt'
import { AppError } from '../lib/errors.js'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { addStage } from '../lib/stage-timer.js'
import { catalogueEntry, checkEndpoint, venueCalls, type CatalogueEntry, type VenueMethod, type OrderView, type BalanceView } from '../exchanges/index.js'
import { adoptPublicState, createCcxtClient, mapCcxtError, withVenueCredentials } from '../exchanges/ccxt/index.js'
import { Exmo } from '../exchanges/exmo/index.js'
import type { Credentials } from '../vault/index.js'
import type { RateBudget } from './rate-budget.js'

export type Refusal = { venue: string; keyId: string | null; method: string; path: string; reason: string }

export type ExecutorDeps = {
  endpoints: Readonly<Record<string, string>>
  budget: RateBudget
  /** Called before the refusal is thrown: audit and a critical alert. */
  onRefusal: (r: Refusal) => void
  /** Called for every request that passed policy: the exchange-activity journal. */
  onRequest?: (r: { venue: string; keyId: string | null; method: string; path: string }) => void
}

/**
 * The requests one venue call sent, as `<HTTP method> <path>` (no host, no query: never a signature or
 * key), collected across ccxt's awaits for the call that is running (`run`'s `sent`).
 */
const sentRequests = new AsyncLocalStorage<string[]>()

/** Venues ccxt no longer ships, implemented by us with ccxt's interface. */
const customClasses = { exmo: Exmo } as const

const str = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'number' ? toDecimalString(new Decimal(v)) : String(v))

const orderView = (o: Record<string, unknown>): OrderView => ({
  id: String(o.id),
  clientOrderId: (o.clientOrderId as string | undefined) ?? null,
  symbol: String(o.symbol),
  // Some venues answer a create or cancel with ids only (OKX, EXMO): unknown until fetched again.
  type: o.type === undefined || o.type === null ? 'unknown' : String(o.type),
  side: String(o.side),
  status: o.status === undefined || o.status === null ? 'unknown' : String(o.status),
  amount: str(o.amount),
  filled: str(o.filled),
  price: str(o.price),
  average: str(o.average),
  timestamp: typeof o.timestamp === 'number' ? o.timestamp : null,
  // The fee when the venue reported it in one currency: the journal then needs no trades read per fill.
  ...feeOf(o.fee),
})

const feeOf = (fee: unknown): { fee?: { cost: string; currency: string | null } } => {
  const f = fee as { cost?: unknown; currency?: unknown } | null | undefined
  if (f === null || f === undefined || typeof f.cost !== 'number' || !Number.isFinite(f.cost)) return {}
  return { fee: { cost: str(f.cost) ?? '0', currency: typeof f.currency === 'string' ? f.currency : null } }
}

type DeadManSwitch = NonNullable<CatalogueEntry['deadManSwitch']>

/**
 * Arms (or, with 0, stops) a venue's dead-man switch the way its catalogue entry says: Binance USDⓈ-M's
 * countdown per symbol in milliseconds, or ccxt's unified cancelAllOrdersAfter (OKX: whole seconds, for
 * the account). A countdown outside the venue's published range is refused before anything is signed.
 */
export const sendCancelAllAfter = async (exchange: Exchange, venue: string, d: DeadManSwitch, symbol: string, timeoutMs: number) => {
  const seconds = Math.floor(timeoutMs / 1000)
  if (timeoutMs !== 0 && ((d.minSeconds !== null && seconds < d.minSeconds) || (d.maxSeconds !== null && seconds > d.maxSeconds))) {
    throw new AppError('BAD_INPUT', `cancelAllOrdersAfter: ${venue} takes a countdown of ${d.minSeconds ?? 1}-${d.maxSeconds ?? 600} seconds, or 0 to stop it`)
  }
  switch (d.ccxtMethod) {
    case 'fapiPrivatePostCountdownCancelAll':
      await exchange.fapiPrivatePostCountdownCancelAll({ symbol: exchange.market(symbol).id, countdownTime: timeoutMs })
      break
    case 'cancelAllOrdersAfter':
      await exchange.cancelAllOrdersAfter(timeoutMs)
      break
  }
  return { scope: d.scope, symbol: d.scope === 'symbol' ? symbol : null, timeoutMs }
}

/**
 * Runs venue calls with a key. One ccxt instance per key (markets shared from one public instance per
 * venue), calls serialized per key, credentials present only for the call. Every final request passes
 * the endpoint policy and the venue's shared rate budget before any I/O.
 */
export const createExecutor = ({ endpoints, budget, onRefusal, onRequest }: ExecutorDeps) => {
  const publics = new Map<string, Promise<Exchange>>()
  const perKey = new Map<string, { exchange: Exchange; tail: Promise<unknown> }>()
  const prices = new Map<string, { at: number; price: Decimal }>()

  /** Policy and budget on the final URL ccxt built, before the request leaves. */
  const guard = (exchange: Exchange, venue: string, keyId: string | null) => {
    const send = exchange.fetch.bind(exchange)
    exchange.fetch = async (url: string, method = 'GET', headers?: unknown, body?: unknown) => {
      const policyStart = performance.now()
      const verdict = checkEndpoint(venue, method, url)
      const path = new URL(url).pathname
      if (!verdict.allowed) {
        onRefusal({ venue, keyId, method, path: verdict.path, reason: verdict.reason })
        throw new AppError('FORBIDDEN', `the signer refused ${method} ${verdict.path} on ${venue}: ${verdict.reason === 'deny_listed' ? 'it can move funds or manage keys' : 'it is not on the allowlist'}`)
      }
      await budget.take(venue, method, path)
      onRequest?.({ venue, keyId, method, path })
      sentRequests.getStore()?.push(`${method.toUpperCase()} ${path}`)
      addStage('policyMs', policyStart)
      const sendStart = performance.now()
      try {
        return await send(url, method, headers as Record<string, string> | undefined, body as string | undefined)
      } catch (err) {
        if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded) budget.pause(venue, /\b418\b|banned/i.test(String((err as Error).message)) ? 3_600_000 : 60_000)
        throw err
      } finally {
        addStage('exchangeMs', sendStart)
      }
    }
    return exchange
  }

  /** One public instance per venue and environment (production, or the testnet for testnet accounts). */
  const publicClient = (venue: string, testnet = false): Promise<Exchange> => {
    const cacheKey = testnet ? `${venue}#testnet` : venue
    let p = publics.get(cacheKey)
    if (!p) {
      p = (async () => {
        const ex = guard(createCcxtClient(venue, { endpoints, customClasses, testnet }), venue, null)
        await ex.loadMarkets()
        return ex
      })()
      p.catch(() => publics.delete(cacheKey)) // a failed load is retried next time
      publics.set(cacheKey, p)
    }
    return p
  }

  /** The last price, fetched by the signer itself from the venue's public API, cached for seconds. */
  const referencePrice = async (venue: string, symbol: string, testnet = false): Promise<Decimal> => {
    const cached = prices.get(`${venue}${testnet ? '#testnet' : ''}:${symbol}`)
    if (cached && Date.now() - cached.at < 5_000) return cached.price
    try {
      const ticker = await (await publicClient(venue, testnet)).fetchTicker(symbol)
      const last = ticker.last ?? ticker.close
      if (last === undefined || last === null) throw new AppError('EXCHANGE_UNAVAILABLE', `no reference price for ${symbol} on ${venue}`)
      const price = new Decimal(last)
      prices.set(`${venue}${testnet ? '#testnet' : ''}:${symbol}`, { at: Date.now(), price })
      return price
    } catch (err) {
      throw mapCcxtError(err, `reference price for ${symbol}`)
    }
  }

  const keyClient = async (keyId: string, venue: string, testnet = false) => {
    let entry = perKey.get(keyId)
    if (!entry) {
      const pub = await publicClient(venue, testnet)
      const exchange = guard(createCcxtClient(venue, { endpoints, customClasses, testnet }), venue, keyId)
      adoptPublicState(exchange, pub)
      entry = { exchange, tail: Promise.resolve() }
      perKey.set(keyId, entry)
    }
    return entry
  }

  const call = async (exchange: Exchange, venue: string, method: VenueMethod, raw: Record<string, unknown>): Promise<unknown> => {
    const parsed = venueCalls[method].safeParse(raw)
    if (!parsed.success) throw new AppError('BAD_INPUT', `${method}: ${parsed.error.issues[0]?.path.join('.') || 'args'} ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    const a = parsed.data as Record<string, unknown>
    switch (method) {
      case 'fetchBalance': {
        const b = (await exchange.fetchBalance()) as unknown as Record<'free' | 'used' | 'total', Record<string, number | undefined> | undefined>
        const out: BalanceView = {}
        for (const [asset, v] of Object.entries(b.total ?? {})) {
          if (v === undefined) continue
          out[asset] = { free: str(b.free?.[asset] ?? 0) ?? '0', used: str(b.used?.[asset] ?? 0) ?? '0', total: str(v) ?? '0' }
        }
        return out
      }
      case 'createOrder': {
        const params: Record<string, unknown> = {}
        if (a.clientOrderId) params.clientOrderId = a.clientOrderId
        if (a.postOnly) params.postOnly = true
        if (a.reduceOnly) params.reduceOnly = true
        const o = await exchange.createOrder(String(a.symbol), a.type as 'market' | 'limit', a.side as 'buy' | 'sell', Number(a.amount), a.price === undefined ? undefined : Number(a.price), params)
        return orderView(o as unknown as Record<string, unknown>)
      }
      case 'cancelOrder':
        return orderView((await exchange.cancelOrder(String(a.id), String(a.symbol))) as unknown as Record<string, unknown>)
      case 'fetchOrder': {
        if (!a.id && !a.clientOrderId) throw new AppError('BAD_INPUT', 'fetchOrder needs an id or a clientOrderId')
        // ccxt 4.5.84's Bybit fetchOrder does not rename clientOrderId to orderLinkId, and Bybit then answers
        // with other orders: name it the venue's way, and never return an order that is not the one asked for.
        const params: Record<string, unknown> = a.clientOrderId ? { clientOrderId: a.clientOrderId, ...(venue.startsWith('bybit') ? { orderLinkId: a.clientOrderId } : {}) } : {}
        const view = orderView((await exchange.fetchOrder(String(a.id ?? ''), String(a.symbol), params)) as unknown as Record<string, unknown>)
        if (a.clientOrderId && view.clientOrderId !== null && view.clientOrderId !== a.clientOrderId) {
          throw new AppError('EXCHANGE_REJECTED', `${venue} answered with a different order than client order id ${String(a.clientOrderId)}`)
        }
        return view
      }
      case 'fetchOpenOrders':
        return (await exchange.fetchOpenOrders(a.symbol as string | undefined)).map((o) => orderView(o as unknown as Record<string, unknown>))
      case 'fetchMyTrades':
        return (await exchange.fetchMyTrades(String(a.symbol), a.since as number | undefined, a.limit as number | undefined)).map((t) => ({
          id: String(t.id),
          orderId: t.order ?? null,
          symbol: t.symbol,
          side: t.side,
          price: str(t.price),
          amount: str(t.amount),
          fee: t.fee ? { cost: str(t.fee.cost), currency: t.fee.currency ?? null } : null,
          timestamp: t.timestamp ?? null,
        }))
      case 'fetchPositions':
        return await exchange.fetchPositions(a.symbols as string[] | undefined)
      case 'setLeverage':
        return await exchange.setLeverage(Number(a.leverage), String(a.symbol))
      case 'cancelAllOrdersAfter': {
        const d = catalogueEntry(venue)?.deadManSwitch
        if (!d) throw new AppError('BAD_INPUT', `cancelAllOrdersAfter: ${venue} has no dead-man switch (cancel-all-after)`)
        return await sendCancelAllAfter(exchange, venue, d, String(a.symbol), Number(a.timeoutMs))
      }
    }
  }

  /**
   * One venue call with a key; calls on the same key run one at a time. Never retried here. `sent`, when
   * given, receives `<HTTP method> <path>` of every request the call sent (success or not).
   */
  const run = async (
    keyId: string,
    venue: string,
    credentials: Credentials,
    method: VenueMethod,
    args: Record<string, unknown>,
    opts: { testnet?: boolean; deadline?: number | undefined; sent?: string[] } = {},
  ): Promise<unknown> => {
    // The venue's public state (markets) may need loading first: its failures are the exchange's, mapped too.
    const entry = await keyClient(keyId, venue, opts.testnet).catch((err: unknown) => {
      throw mapCcxtError(err, 'loading the markets')
    })
    const queued = performance.now()
    const result = entry.tail.then(() => {
      addStage('queueMs', queued)
      // A call that waited past its deadline (performance.now() time) is not sent: its caller has given up on it.
      if (opts.deadline !== undefined && performance.now() > opts.deadline) {
        throw new AppError('UNAVAILABLE', `${method}: not sent, the request waited past its deadline in the signer`, { reason: 'DEADLINE_PASSED' })
      }
      return sentRequests
        .run(opts.sent ?? [], () => withVenueCredentials(entry.exchange, venue, credentials, () => call(entry.exchange, venue, method, args)))
        .catch((err: unknown) => {
          throw mapCcxtError(err, method)
        })
    })
    entry.tail = result.catch(() => undefined)
    return result
  }

  /** A raw signed request through the same guard (verification endpoints, and tests of the deny-list). */
  const runRaw = async <T>(keyId: string, venue: string, credentials: Credentials, fn: (exchange: Exchange) => Promise<T>, opts: { testnet?: boolean } = {}): Promise<T> => {
    const entry = await keyClient(keyId, venue, opts.testnet).catch((err: unknown) => {
      throw mapCcxtError(err, 'loading the markets')
    })
    const result = entry.tail.then(() =>
      withVenueCredentials(entry.exchange, venue, credentials, () => fn(entry.exchange)).catch((err: unknown) => {
        throw mapCcxtError(err, 'the exchange request')
      }),
    )
    entry.tail = result.catch(() => undefined)
    return result
  }

  const forget = (keyId: string) => perKey.delete(keyId)

  /**
   * The venue's clock minus ours, from its public time endpoint (midpoint of the round trip). Venues
   * that sign timestamps refuse requests outside their window, so `doctor` reports this; ccxt corrects
   * it per venue (adjustForTimeDifference) where the catalogue says so.
   */
  const clockSkew = async (venue: string): Promise<{ venue: string; skewMs: number | null; roundTripMs: number | null; note: string }> => {
    try {
      const ex = await publicClient(venue)
      if (!ex.has.fetchTime) return { venue, skewMs: null, roundTripMs: null, note: 'this venue has no public time endpoint in ccxt' }
      const t0 = Date.now()
      const server = await ex.fetchTime()
      const t1 = Date.now()
      if (typeof server !== 'number') return { venue, skewMs: null, roundTripMs: t1 - t0, note: 'the venue answered without a time' }
      return { venue, skewMs: Math.round(server - (t0 + t1) / 2), roundTripMs: t1 - t0, note: 'ok' }
    } catch (err) {
      return { venue, skewMs: null, roundTripMs: null, note: `unreachable: ${mapCcxtError(err, 'the time request').message}` }
    }
  }

  return { run, runRaw, referencePrice, forget, publicClient, clockSkew }
}
export type Executor = ReturnType<typeof createExecutor>
