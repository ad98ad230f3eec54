import { randomBytes } from 'node:crypto'
import { Decimal } from 'decimal.js'
import { LedgerError, moveFree, parseAmount, type SpotLedger, type SpotMarket, type SpotOrder } from './spot-ledger.js'
import { OkxApiError, okxErrors, type OkxAccountState, type OkxPermission } from './okx-types.js'

/**
 * The OKX v5 route table (spot only) and the response bodies, with the fields ccxt's okx class reads.
 * Every answer is `{ code, msg, data: [...] }`; order operations report each order's `sCode`/`sMsg`, and
 * a batch where every order failed is `code: "1"`, as OKX sends it.
 */
export const okxMarkets: readonly SpotMarket[] = [
  { id: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', stepSize: '0.00000001', minQty: '0.00001', maxQty: '9999', minNotional: '0' },
  { id: 'ETH-USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.000001', minQty: '0.0001', maxQty: '99999', minNotional: '0' },
  { id: 'ETH-BTC', base: 'ETH', quote: 'BTC', tickSize: '0.00001', stepSize: '0.000001', minQty: '0.001', maxQty: '99999', minNotional: '0' },
]

export const okxDefaultPrices: Record<string, string> = { 'BTC-USDT': '50000', 'ETH-USDT': '3000', 'ETH-BTC': '0.06' }

export type OkxParams = Record<string, unknown>
type Data = unknown[]
export type OkxRoute = {
  method: 'GET' | 'POST'
  path: string
  /** undefined: public. */
  permission?: OkxPermission
  fundMovement?: 'withdraw' | 'transfer'
  handle: (params: OkxParams, account: OkxAccountState | undefined) => { data: Data; code?: string; msg?: string }
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
const clOrdIdPattern = /^[a-zA-Z0-9]{1,32}$/

const instrumentBody = (m: SpotMarket, listTime: number) => ({
  instType: 'SPOT', instId: m.id, uly: '', instFamily: '', baseCcy: m.base, quoteCcy: m.quote, settleCcy: '', ctVal: '', ctMult: '', ctValCcy: '',
  optType: '', stk: '', listTime: String(listTime), expTime: '', lever: '', tickSz: m.tickSize, lotSz: m.stepSize, minSz: m.minQty, ctType: '',
  alias: '', state: 'live', ruleType: 'normal', maxLmtSz: m.maxQty, maxMktSz: '1000000', maxLmtAmt: '20000000', maxMktAmt: '1000000',
  maxTwapSz: m.maxQty, maxIcebergSz: m.maxQty, maxTriggerSz: m.maxQty, maxStopSz: '1000000',
})

const tickerBody = (m: SpotMarket, price: string, now: number) => {
  const last = new Decimal(price)
  const spread = new Decimal(m.tickSize)
  const open = last.mul('0.98').toDecimalPlaces(8)
  return {
    instType: 'SPOT', instId: m.id, last: last.toFixed(), lastSz: m.minQty, askPx: last.plus(spread).toFixed(), askSz: '1', bidPx: last.minus(spread).toFixed(),
    bidSz: '1', open24h: open.toFixed(), high24h: last.mul('1.01').toFixed(), low24h: open.mul('0.99').toFixed(), volCcy24h: last.mul(1234.5).toFixed(),
    vol24h: '1234.5', ts: String(now), sodUtc0: open.toFixed(), sodUtc8: open.toFixed(),
  }
}

const okxState = (o: SpotOrder) => ({ open: 'live', filled: 'filled', canceled: 'canceled', expired: 'canceled' })[o.status]

export const okxOrderView = (o: SpotOrder) => ({
  instType: 'SPOT', instId: o.marketId, tgtCcy: o.extra['tgtCcy'] ?? '', ccy: '', ordId: o.orderId, clOrdId: o.clientOrderId, tag: o.extra['tag'] ?? '',
  px: o.type === 'market' ? '' : o.price, pxUsd: '', pxVol: '', pxType: '', sz: o.extra['sz'] ?? o.qty, pnl: '0', ordType: o.extra['ordType'] ?? o.type,
  side: o.side, posSide: 'net', tdMode: 'cash', accFillSz: o.filledQty, fillPx: o.status === 'filled' ? o.avgPrice : '', tradeId: '', fillSz: o.filledQty,
  fillTime: o.status === 'filled' ? String(o.updatedAt) : '', avgPx: o.status === 'filled' ? o.avgPrice : '', state: okxState(o), stpId: '', stpMode: 'cancel_maker',
  lever: '', attachAlgoClOrdId: '', tpTriggerPx: '', tpTriggerPxType: '', tpOrdPx: '', slTriggerPx: '', slTriggerPxType: '', slOrdPx: '',
  attachAlgoOrds: [], linkedAlgoOrd: { algoId: '' }, feeCcy: o.feeAsset, fee: new Decimal(o.fee).neg().toFixed(), rebateCcy: o.feeAsset, rebate: '0',
  source: '', category: 'normal', reduceOnly: 'false', isTpLimit: 'false', cancelSource: o.status === 'canceled' ? '1' : '', quickMgnType: '',
  algoClOrdId: '', algoId: '', uTime: String(o.updatedAt), cTime: String(o.createdAt),
})

/** Ledger outcomes → OKX codes. */
export const toOkx = (err: unknown, context: 'place' | 'cancel' | 'query'): OkxApiError => {
  if (err instanceof OkxApiError) return err
  if (!(err instanceof LedgerError)) throw err
  switch (err.kind) {
    case 'unknown_market': return okxErrors.instrumentMissing()
    case 'bad_param': return okxErrors.paramError(err.detail)
    case 'price_filter': return okxErrors.priceTick()
    case 'lot_size': return new Decimal(err.detail).isZero() ? okxErrors.belowMinimum() : okxErrors.lotSize()
    case 'min_notional': return okxErrors.belowMinimum()
    case 'insufficient_funds': return okxErrors.insufficient()
    case 'duplicate_client_id': return okxErrors.duplicateClOrdId()
    case 'not_found': return context === 'cancel' ? okxErrors.cancelMissing() : okxErrors.orderMissing()
    case 'not_open': return okxErrors.cancelNotOpen()
  }
}

/** One order result in OKX's per-order shape. */
const orderResult = (o: { clOrdId: string; ordId: string; tag: string }, err?: OkxApiError) =>
  ({ clOrdId: o.clOrdId, ordId: err ? '' : o.ordId, tag: o.tag, ts: String(Date.now()), sCode: err ? err.code : '0', sMsg: err ? err.msg : 'Order placed' })

export const createOkxRoutes = ({ ledger, prices, now }: { ledger: SpotLedger; prices: ReadonlyMap<string, string>; now: () => number }): OkxRoute[] => {
  const priceOf = (m: SpotMarket) => prices.get(m.id) ?? '0'
  const marketOf = (params: OkxParams) => {
    try {
      return ledger.market(str(params['instId']))
    } catch (err) {
      throw toOkx(err, 'query')
    }
  }

  const placeOne = (account: OkxAccountState, p: OkxParams): SpotOrder => {
    const ordType = str(p['ordType'])
    const side = str(p['side'])
    if (side !== 'buy' && side !== 'sell') throw okxErrors.paramError('side')
    if (ordType !== 'market' && ordType !== 'limit' && ordType !== 'post_only' && ordType !== 'ioc' && ordType !== 'fok') throw okxErrors.paramError('ordType')
    if (str(p['tdMode']) !== 'cash') throw okxErrors.paramError('tdMode') // margin trading is not emulated
    const clOrdId = str(p['clOrdId'])
    if (clOrdId !== undefined && !clOrdIdPattern.test(clOrdId)) throw okxErrors.paramError('clOrdId')
    const tgtCcy = str(p['tgtCcy']) ?? (ordType === 'market' && side === 'buy' ? 'quote_ccy' : 'base_ccy')
    const sz = str(p['sz'])
    const isQuoteSized = ordType === 'market' && side === 'buy' && tgtCcy === 'quote_ccy'
    return ledger.place(account, {
      marketId: str(p['instId']) ?? '',
      side,
      type: ordType === 'market' ? 'market' : 'limit',
      timeInForce: ({ market: 'GTC', limit: 'GTC', post_only: 'POST_ONLY', ioc: 'IOC', fok: 'FOK' } as const)[ordType],
      ...(isQuoteSized ? { quoteQty: sz } : { qty: sz }),
      ...(ordType === 'market' ? {} : { price: str(p['px']) }),
      ...(clOrdId ? { clientOrderId: clOrdId } : {}),
      extra: { ordType, tgtCcy: ordType === 'market' ? tgtCcy : '', sz: sz ?? '', tag: str(p['tag']) ?? '' },
    })
  }

  /** Places each order on its own; the batch is "all failed" (code 1), "partly" (code 2) or fine (code 0). */
  const placeMany = (account: OkxAccountState, orders: OkxParams[]) => {
    if (orders.length === 0 || orders.length > 20) throw okxErrors.paramError('batch size')
    const results = orders.map((p) => {
      const ids = { clOrdId: str(p['clOrdId']) ?? '', ordId: '', tag: str(p['tag']) ?? '' }
      try {
        const o = placeOne(account, p)
        return orderResult({ ...ids, ordId: o.orderId })
      } catch (err) {
        return orderResult(ids, toOkx(err, 'place'))
      }
    })
    const failed = results.filter((r) => r.sCode !== '0').length
    if (failed === 0) return { data: results }
    return failed === results.length ? { data: results, code: '1', msg: 'All operations failed' } : { data: results, code: '2', msg: 'Bulk operation partially succeeded' }
  }

  const by = (p: OkxParams) => {
    const ordId = str(p['ordId'])
    const clOrdId = str(p['clOrdId'])
    if (!ordId && !clOrdId) throw okxErrors.paramError('ordId')
    return ordId ? { orderId: ordId } : { clientOrderId: clOrdId ?? '' }
  }

  const currencies = () => [...new Set(okxMarkets.flatMap((m) => [m.base, m.quote]))]

  return [
    { method: 'GET', path: '/api/v5/public/time', handle: () => ({ data: [{ ts: String(now()) }] }) },
    {
      method: 'GET', path: '/api/v5/public/instruments',
      handle: (p) => {
        const type = str(p['instType'])
        if (!type) throw okxErrors.paramError('instType')
        // Only spot is emulated; derivatives answer with no instruments, so ccxt's default loadMarkets works.
        const list = type === 'SPOT' ? okxMarkets.filter((m) => !p['instId'] || m.id === p['instId']) : []
        return { data: list.map((m) => instrumentBody(m, now() - 86_400_000 * 365)) }
      },
    },
    { method: 'GET', path: '/api/v5/market/ticker', handle: (p) => ({ data: [tickerBody(marketOf(p), priceOf(marketOf(p)), now())] }) },
    {
      method: 'GET', path: '/api/v5/market/tickers',
      handle: (p) => ({ data: str(p['instType']) === 'SPOT' ? okxMarkets.map((m) => tickerBody(m, priceOf(m), now())) : [] }),
    },

    {
      method: 'GET', path: '/api/v5/account/config', permission: 'read_only',
      handle: (_p, a) => ({
        data: [{
          acctLv: '1', acctStpMode: 'cancel_maker', autoLoan: false, ctIsoMode: 'automatic', enableSpotBorrow: false, greeksType: 'PA', feeType: '0',
          ip: a!.ip.join(','), type: '0', kycLv: '2', label: a!.label, level: 'Lv1', levelTmp: '', liquidationGear: '-1', mainUid: a!.uid,
          mgnIsoMode: 'automatic', opAuth: '0', perm: a!.perm.join(','), posMode: 'net_mode', roleType: '0', spotBorrowAutoRepay: false,
          spotOffsetType: '', spotRoleType: '0', spotTraderInsts: [], traderInsts: [], uid: a!.uid,
        }],
      }),
    },
    {
      method: 'GET', path: '/api/v5/account/balance', permission: 'read_only',
      handle: (p, a) => {
        const wanted = str(p['ccy'])?.split(',')
        const details = [...a!.balances]
          .filter(([ccy]) => !wanted || wanted.includes(ccy))
          .map(([ccy, b]) => {
            const eq = new Decimal(b.free).plus(b.locked).toFixed()
            return { ccy, eq, cashBal: eq, availBal: b.free, availEq: b.free, frozenBal: b.locked, ordFrozen: b.locked, uTime: String(now()), eqUsd: '', disEq: '', isoEq: '0', liab: '', upl: '' }
          })
        return { data: [{ uTime: String(now()), totalEq: '', adjEq: '', details }] }
      },
    },
    {
      method: 'GET', path: '/api/v5/asset/currencies', permission: 'read_only',
      handle: () => ({
        data: currencies().map((ccy) => ({
          ccy, name: ccy, chain: `${ccy}-${ccy === 'USDT' ? 'ERC20' : ccy}`, canDep: true, canWd: true, canInternal: true, minDep: '0.0001', minWd: '0.001',
          maxWd: '1000000', wdTickSz: '8', wdQuota: '1000000', usedWdQuota: '0', minFee: '0.0001', maxFee: '0.001', mainNet: true, needTag: false,
          minDepArrivalConfirm: '1', minWdUnlockConfirm: '1', depQuotaFixed: '', usedDepQuotaFixed: '', logoLink: '',
        })),
      }),
    },
    { method: 'POST', path: '/api/v5/trade/order', permission: 'trade', handle: (p, a) => {
      const r = placeMany(a!, [p])
      return r.code === '1' ? { ...r, msg: 'Operation failed.' } : r
    } },
    { method: 'POST', path: '/api/v5/trade/batch-orders', permission: 'trade', handle: (p, a) => placeMany(a!, Array.isArray(p['[]']) ? (p['[]'] as OkxParams[]) : []) },
    {
      method: 'POST', path: '/api/v5/trade/cancel-order', permission: 'trade',
      handle: (p, a) => {
        const ids = { clOrdId: str(p['clOrdId']) ?? '', ordId: str(p['ordId']) ?? '', tag: '' }
        try {
          const o = ledger.cancel(a!, str(p['instId']), by(p))
          return { data: [{ clOrdId: o.clientOrderId, ordId: o.orderId, ts: String(now()), sCode: '0', sMsg: '' }] }
        } catch (err) {
          const e = toOkx(err, 'cancel')
          return { code: '1', msg: 'Operation failed.', data: [{ clOrdId: ids.clOrdId, ordId: ids.ordId, ts: String(now()), sCode: e.code, sMsg: e.msg }] }
        }
      },
    },
    {
      method: 'GET', path: '/api/v5/trade/order', permission: 'read_only',
      handle: (p, a) => {
        let o
        try {
          o = ledger.find(a!, str(p['instId']), by(p))
        } catch (err) {
          throw toOkx(err, 'query')
        }
        if (!o) throw okxErrors.orderMissing()
        return { data: [okxOrderView(o)] }
      },
    },
    {
      method: 'GET', path: '/api/v5/trade/orders-pending', permission: 'read_only',
      handle: (p, a) => {
        const instId = str(p['instId'])
        const type = str(p['instType'])
        if (type !== undefined && type !== 'SPOT') return { data: [] }
        return { data: a!.orders.filter((o) => o.status === 'open' && (!instId || o.marketId === instId)).reverse().map(okxOrderView) }
      },
    },
    {
      method: 'GET', path: '/api/v5/trade/fills-history', permission: 'read_only',
      handle: (p, a) => {
        const instId = str(p['instId'])
        return {
          data: a!.trades.filter((t) => !instId || t.marketId === instId).reverse().map((t) => ({
            instType: 'SPOT', instId: t.marketId, tradeId: t.tradeId, ordId: t.orderId, clOrdId: a!.orders.find((o) => o.orderId === t.orderId)?.clientOrderId ?? '',
            billId: t.tradeId, tag: '', fillPx: t.price, fillSz: t.qty, side: t.side, posSide: 'net', execType: t.isMaker ? 'M' : 'T', feeCcy: t.feeAsset,
            fee: new Decimal(t.fee).neg().toFixed(), ts: String(t.time), fillTime: String(t.time),
          })),
        }
      },
    },
    {
      method: 'POST', path: '/api/v5/asset/withdrawal', permission: 'withdraw', fundMovement: 'withdraw',
      handle: (p, a) => {
        const ccy = str(p['ccy'])
        const amt = parseAmount('amt', str(p['amt']))
        if (!ccy || !amt || !str(p['toAddr'])) throw okxErrors.paramError(!ccy ? 'ccy' : !amt ? 'amt' : 'toAddr')
        try {
          moveFree(a!, ccy, amt.neg())
        } catch {
          throw okxErrors.withdrawalInsufficient()
        }
        return { data: [{ amt: amt.toFixed(), wdId: randomBytes(6).readUIntBE(0, 6).toString(), ccy, clientId: str(p['clientId']) ?? '', chain: str(p['chain']) ?? '' }] }
      },
    },
    {
      // OKX lets a trade-permission key move funds between its own funding and trading accounts.
      method: 'POST', path: '/api/v5/asset/transfer', permission: 'trade', fundMovement: 'transfer',
      handle: (p, a) => {
        const ccy = str(p['ccy'])
        const amt = parseAmount('amt', str(p['amt']))
        if (!ccy || !amt) throw okxErrors.paramError(!ccy ? 'ccy' : 'amt')
        // Only the trading account (18) is emulated: 18 → 6 debits it, 6 → 18 credits it.
        if (str(p['from']) === '18') moveFree(a!, ccy, amt.neg())
        else if (str(p['to']) === '18') moveFree(a!, ccy, amt)
        return { data: [{ transId: randomBytes(4).readUInt32BE(0).toString(), ccy, clientId: '', from: str(p['from']) ?? '', amt: amt.toFixed(), to: str(p['to']) ?? '' }] }
      },
    },
  ]
}
