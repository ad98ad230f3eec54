import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { count, eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { schema } from '../../db/index.js'
import { createManualClock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { armFaultPoints, FaultInjected, parseFaultPoints } from '../../lib/fault.js'
import { newId } from '../../lib/ids.js'
import { createAlerts } from '../../monitoring/index.js'
import type { IntentView, RecoveryMode, TradingVenue, VenueOrder, VenueTrade } from '../trading-types.js'
import { createJournalStore } from './journal-store.js'
import { classifyPlaceError, createOrderJournal, type PlaceInput } from './order-journal.js'

/**
 * A stand-in exchange (a third party, so a fake is allowed): market orders fill at once at 100 with a
 * 0.1 % fee reported only in its trades, limit orders rest until `fill`. `next` makes the next createOrder
 * fail the way a network does: before the exchange acts, or after (the answer is lost).
 */
const fakeExchange = (recovery: RecoveryMode, accountId: string) => {
  const orders: VenueOrder[] = []
  const trades: VenueTrade[] = []
  let time = 1_700_000_000_000
  let next: 'timeout-before' | 'timeout-after' | 'reject' | null = null
  const lost = () => new AppError('EXCHANGE_UNAVAILABLE', 'createOrder: the exchange did not answer')
  const notFound = () => new AppError('EXCHANGE_REJECTED', 'fetchOrder: the exchange rejected it (Order does not exist.)', { reason: 'ORDER_NOT_FOUND' })
  const addTrade = (o: VenueOrder, amount: string) => trades.push({ id: `t${trades.length + 1}`, orderId: o.id, symbol: o.symbol, side: o.side, price: '100', amount, fee: { cost: (Number(amount) / 10).toString(), currency: 'USDT' }, timestamp: time })
  const venue: TradingVenue = {
    account: { kind: 'exchange', id: accountId },
    venue: 'fakex',
    market: 'spot',
    recovery,
    clientOrderId: { maxLength: 18, pattern: '^[A-Za-z0-9_-]{1,18}$' },
    supportsStopOrders: false,
    createOrder: async (o) => {
      const failure = next
      next = null
      if (failure === 'timeout-before') throw lost()
      if (failure === 'reject') throw new AppError('EXCHANGE_REJECTED', 'createOrder: insufficient funds at the exchange')
      if (orders.some((x) => x.clientOrderId === o.clientOrderId && x.status === 'open')) throw new AppError('EXCHANGE_REJECTED', 'createOrder: the exchange rejected it (Duplicate order sent.)')
      time += 1000
      const isMarket = o.type === 'market'
      const order: VenueOrder = { id: String(orders.length + 1001), clientOrderId: o.clientOrderId, symbol: o.symbol, type: o.type, side: o.side, status: isMarket ? 'closed' : 'open', amount: o.amount, filled: isMarket ? o.amount : '0', price: o.price ?? null, average: null, timestamp: time }
      orders.push(order)
      if (isMarket) addTrade(order, o.amount)
      if (failure === 'timeout-after') throw lost()
      return { ...order }
    },
    cancelOrder: async ({ id }) => {
      const o = orders.find((x) => x.id === id && x.status === 'open')
      if (!o) throw new AppError('EXCHANGE_REJECTED', 'cancelOrder: the exchange rejected it (Unknown order sent.)', { reason: 'ORDER_NOT_FOUND' })
      o.status = 'canceled'
      return { ...o }
    },
    fetchOrder: async ({ id, clientOrderId }) => {
      if (recovery !== 'client-order-id' && id === undefined) throw new AppError('BAD_INPUT', 'fetchOrder by client order id is not supported here')
      const o = orders.find((x) => (id !== undefined ? x.id === id : x.clientOrderId === clientOrderId))
      if (!o) throw notFound()
      return { ...o }
    },
    fetchOpenOrders: async ({ symbol }) => orders.filter((o) => o.symbol === symbol && o.status === 'open').map((o) => ({ ...o })),
    fetchMyTrades: async ({ symbol, since }) => trades.filter((t) => t.symbol === symbol && (since === undefined || (t.timestamp ?? 0) >= since)),
  }
  return {
    venue,
    orders,
    failNext: (mode: 'timeout-before' | 'timeout-after' | 'reject') => {
      next = mode
    },
    /** Fills `amount` more of a resting order at 100. */
    fill: (id: string, amount: string) => {
      const o = orders.find((x) => x.id === id)
      if (!o) throw new Error(`no order ${id}`)
      o.filled = String(Number(o.filled) + Number(amount))
      o.status = o.filled === o.amount ? 'closed' : 'open'
      o.average = '100'
      addTrade(o, amount)
    },
    /** How many orders with this client order id exist at the exchange. */
    countOf: (clientOrderId: string) => orders.filter((o) => o.clientOrderId === clientOrderId).length,
  }
}

describe.each(backends)('order journal on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-03-01T10:00:00Z')
  const workspaceId = newId()
  const accounts: Record<RecoveryMode, string> = { 'client-order-id': newId(), 'recent-orders-scan': newId(), 'at-most-once': newId() }
  const exchanges = {
    'client-order-id': fakeExchange('client-order-id', accounts['client-order-id']),
    'recent-orders-scan': fakeExchange('recent-orders-scan', accounts['recent-orders-scan']),
    'at-most-once': fakeExchange('at-most-once', accounts['at-most-once']),
  }
  let botId = ''
  let journal: ReturnType<typeof createOrderJournal>
  const changes: IntentView[] = []

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'Desk', isPersonal: false, createdAt: clock.now() })
    botId = await newBot()
    journal = createOrderJournal({
      db: database.db,
      clock,
      alerts: createAlerts({ db: database.db, clock }),
      venues: async (ws, ref) => {
        const found = Object.values(exchanges).find((e) => e.venue.account.id === ref.id)
        if (ws !== workspaceId || !found) throw new AppError('NOT_FOUND', `account "${ref.id}" not found`)
        return found.venue
      },
    })
    journal.onChange((i) => changes.push(i))
  })
  afterAll(async () => {
    await database.dispose()
  })
  afterEach(() => {
    armFaultPoints(new Map())
  })

  const newBot = async () => {
    const id = newId()
    const now = clock.now()
    await database.db.insert(schema.bots).values({ id, workspaceId, kind: 'smart_trade', name: 'b', accountKind: 'exchange', accountId: accounts['client-order-id'], config: {}, state: {}, status: 'running', createdAt: now, updatedAt: now })
    return id
  }
  const input = (key: string, mode: RecoveryMode = 'client-order-id', order: Partial<PlaceInput['order']> = {}): PlaceInput => ({
    workspaceId,
    botId,
    key,
    account: { kind: 'exchange', id: accounts[mode] },
    purpose: 'entry',
    order: { symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.5', price: '99', ...order },
  })
  const statesOf = (id: string) => changes.filter((c) => c.id === id).map((c) => c.state)
  const alertsOf = async (rule: string) => database.db.select().from(schema.alerts).where(eq(schema.alerts.rule, rule))
  const pastWindow = () => clock.advance(31_000)

  it('journals an intent, sends it once with a client order id in the venue format, and records the acknowledgement', async () => {
    const placed = await journal.place(input('t1.entry'))
    expect(placed).toMatchObject({ state: 'acknowledged', exchangeOrderId: expect.any(String), filled: '0', amount: '0.5', price: '99', venue: 'fakex', botId, intentKey: 't1.entry' })
    expect(placed.clientOrderId).toMatch(/^bw[a-z2-7]{16}$/)
    expect(statesOf(placed.id)).toEqual(['intent', 'sent', 'acknowledged'])
    expect(exchanges['client-order-id'].countOf(placed.clientOrderId)).toBe(1)
  })

  it('returns the first intent for a repeated key and sends nothing more, even when asked concurrently', async () => {
    const ex = exchanges['client-order-id']
    const first = await journal.place(input('t1.entry'))
    const before = ex.orders.length
    const [a, b] = await Promise.all([journal.place(input('t2.entry')), journal.place(input('t2.entry'))])
    expect(a.id).toBe(b.id)
    expect(ex.orders.length).toBe(before + 1)
    expect((await journal.place(input('t1.entry', 'client-order-id', { amount: '7' }))).id).toBe(first.id)
    expect(await journal.byKey(botId, 't2.entry')).toMatchObject({ id: a.id, state: 'acknowledged' })
  })

  it('records a market fill with the fee and average read from the trades when the answer has neither', async () => {
    const filled = await journal.place(input('t3.entry', 'client-order-id', { type: 'market', price: undefined, amount: '2' }))
    expect(filled).toMatchObject({ state: 'filled', filled: '2', average: '100', fee: '0.2', feeCurrency: 'USDT' }) // 2 × 0.1 fee per unit in this fake
  })

  it('marks a refusal rejected with the exchange reason, and a repeat of the key does not send again', async () => {
    const ex = exchanges['client-order-id']
    ex.failNext('reject')
    const r = await journal.place(input('t4.entry'))
    expect(r).toMatchObject({ state: 'rejected', reason: 'createOrder: insufficient funds at the exchange', exchangeOrderId: null })
    const before = ex.orders.length
    expect((await journal.place(input('t4.entry'))).state).toBe('rejected')
    expect(ex.orders.length).toBe(before)
  })

  it('calls rejected only what proves nothing happened', () => {
    const e = (code: ConstructorParameters<typeof AppError>[0], message = 'x', reason?: string) => classifyPlaceError(new AppError(code, message, reason ? { reason } : {}))
    for (const code of ['EXCHANGE_REJECTED', 'BAD_INPUT', 'KEY_LIMIT_EXCEEDED', 'FORBIDDEN', 'EXCHANGE_AUTH', 'KEY_UNAVAILABLE', 'VAULT_SEALED'] as const) expect(e(code), code).toBe('rejected')
    for (const code of ['EXCHANGE_UNAVAILABLE', 'UNAVAILABLE', 'INTERNAL', 'CONFLICT'] as const) expect(e(code), code).toBe('unknown')
    expect(e('RATE_LIMITED', 'createOrder: the exchange is rate-limiting this platform; try again shortly')).toBe('rejected')
    expect(e('RATE_LIMITED', 'createOrder: request timed out while rate-limited')).toBe('unknown')
    expect(e('EXCHANGE_REJECTED', 'createOrder: the exchange rejected it (Duplicate order sent.)')).toBe('unknown') // an order with this id exists
    expect(e('EXCHANGE_REJECTED', 'x', 'DUPLICATE_CLIENT_ORDER_ID')).toBe('unknown')
    expect(classifyPlaceError(new Error('socket hang up'))).toBe('unknown')
  })

  it('leaves a timed-out order unknown and, once the window passed, sends it once more only if the venue has none', async () => {
    const ex = exchanges['client-order-id']
    ex.failNext('timeout-before')
    const lost = await journal.place(input('t5.entry'))
    expect(lost).toMatchObject({ state: 'unknown', reason: 'createOrder: the exchange did not answer' })
    expect(ex.countOf(lost.clientOrderId)).toBe(0)
    // Inside the window an in-flight request could still be accepted: nothing is decided.
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 })
    expect((await journal.place(input('t5.entry'))).state).toBe('unknown') // a repeat does not send either
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 1, unresolved: 0 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'acknowledged', clientOrderId: lost.clientOrderId })
    expect(ex.countOf(lost.clientOrderId)).toBe(1)
  })

  it('finds a timed-out order that did reach the venue by its client order id, without sending it again', async () => {
    const ex = exchanges['client-order-id']
    ex.failNext('timeout-after')
    const lost = await journal.place(input('t6.entry', 'client-order-id', { type: 'market', price: undefined }))
    expect(lost.state).toBe('unknown')
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 1, resent: 0, unresolved: 0 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'filled', filled: '0.5', fee: '0.05' })
    expect(ex.countOf(lost.clientOrderId)).toBe(1)
  })

  it('on a recent-orders venue finds a lost resting order among the open ones, and reports one it cannot find (never re-sent)', async () => {
    const ex = exchanges['recent-orders-scan']
    ex.failNext('timeout-after')
    const resting = await journal.place(input('t7.entry', 'recent-orders-scan'))
    ex.failNext('timeout-after')
    const gone = await journal.place(input('t7.exit', 'recent-orders-scan', { type: 'market', price: undefined }))
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 1, resent: 0, unresolved: 1 })
    expect(await journal.get(resting.id)).toMatchObject({ state: 'acknowledged', unresolved: false })
    expect(await journal.get(gone.id)).toMatchObject({ state: 'unknown', unresolved: true, reason: expect.stringMatching(/never sent again/) })
    expect(await alertsOf('order_unresolved')).toEqual([expect.objectContaining({ severity: 'warning', details: expect.objectContaining({ intentId: gone.id, clientOrderId: gone.clientOrderId }) })])
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 })
    expect(ex.countOf(gone.clientOrderId)).toBe(1)
  })

  it('on an at-most-once venue reports a lost order and never sends it again', async () => {
    const ex = exchanges['at-most-once']
    ex.failNext('timeout-before')
    const lost = await journal.place(input('t8.entry', 'at-most-once'))
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 1 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'unknown', unresolved: true })
    expect(ex.countOf(lost.clientOrderId)).toBe(0)
  })

  it('does not send again an intent lost for longer than the venue remembers orders', async () => {
    const ex = exchanges['client-order-id']
    ex.failNext('timeout-before')
    const lost = await journal.place(input('t9.entry'))
    clock.advance(2 * 3_600_000)
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 1 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'unknown', unresolved: true, reason: expect.stringMatching(/too old to send again/) })
    expect(ex.countOf(lost.clientOrderId)).toBe(0)
  })

  it.each([
    ['trading.after-intent', 'intent', 1, { resolved: 0, resent: 1, unresolved: 0 }],
    ['trading.after-sent', 'sent', 1, { resolved: 0, resent: 1, unresolved: 0 }],
    ['trading.after-create', 'sent', 1, { resolved: 1, resent: 0, unresolved: 0 }],
  ] as const)('after a crash at %s (left %s) reconciliation ends with exactly one order', async (point, left, orders, summary) => {
    const ex = exchanges['client-order-id']
    armFaultPoints(parseFaultPoints(point).points)
    await expect(journal.place(input(`crash.${point}`))).rejects.toBeInstanceOf(FaultInjected)
    armFaultPoints(new Map())
    const row = await journal.byKey(botId, `crash.${point}`)
    expect(row?.state).toBe(left)
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual(summary)
    expect(await journal.get(row?.id ?? '')).toMatchObject({ state: 'acknowledged' })
    expect(ex.countOf(row?.clientOrderId ?? '')).toBe(orders)
  })

  it('follows fills with refresh, cancels what rests, and never moves a final state back', async () => {
    const ex = exchanges['client-order-id']
    const placed = await journal.place(input('t10.entry', 'client-order-id', { amount: '1' }))
    ex.fill(placed.exchangeOrderId ?? '', '0.25')
    expect(await journal.refresh(placed.id)).toMatchObject({ state: 'partially_filled', filled: '0.25' })
    expect((await journal.openIntents({ botId })).map((i) => i.id)).toContain(placed.id)
    expect(await journal.cancel(placed.id)).toMatchObject({ state: 'cancelled', filled: '0.25' })
    expect(await journal.cancel(placed.id)).toMatchObject({ state: 'cancelled' }) // nothing sent for a final intent
    const done = await journal.place(input('t10.tp', 'client-order-id', { amount: '1' }))
    ex.fill(done.exchangeOrderId ?? '', '1')
    // The cancel comes too late: the venue says no, and the order is read back as filled.
    expect(await journal.cancel(done.id)).toMatchObject({ state: 'filled', filled: '1', fee: '0.1', feeCurrency: 'USDT' })
    expect((await journal.openIntents({ botId })).map((i) => i.id)).not.toContain(done.id)
    expect(statesOf(done.id).at(-1)).toBe('filled')
  })

  it('cancels an intent that was never sent, so reconciliation never sends it', async () => {
    armFaultPoints(parseFaultPoints('trading.after-intent').points)
    await expect(journal.place(input('t11.entry'))).rejects.toBeInstanceOf(FaultInjected)
    armFaultPoints(new Map())
    const row = await journal.byKey(botId, 't11.entry')
    expect(await journal.cancel(row?.id ?? '')).toMatchObject({ state: 'cancelled', reason: 'cancelled before it was sent' })
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 })
    expect(exchanges['client-order-id'].countOf(row?.clientOrderId ?? '')).toBe(0)
  })

  it('cancels a lost order the venue never received once its window passed, so it is never sent again', async () => {
    const ex = exchanges['client-order-id']
    ex.failNext('timeout-before')
    const lost = await journal.place(input('t14.entry'))
    await expect(journal.cancel(lost.id)).rejects.toMatchObject({ code: 'CONFLICT' }) // a request in flight could still land
    pastWindow()
    expect(await journal.cancel(lost.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled: fakex never received it' })
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 })
    expect(ex.countOf(lost.clientOrderId)).toBe(0)
  })

  it('refuses an order the venue cannot take before writing anything', async () => {
    const n = async () => (await database.db.select({ n: count() }).from(schema.orderIntents))[0]?.n
    const before = await n()
    await expect(journal.place(input('t12.stop', 'client-order-id', { type: 'stop_market', price: undefined, stopPrice: '90' }))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/cannot hold stop orders/) })
    await expect(journal.place(input('t12.bad', 'client-order-id', { amount: '-1' }))).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(journal.place({ ...input('t12.x'), workspaceId: newId() })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await n()).toBe(before)
  })

  it('keeps one intent per key for orders without a bot too', async () => {
    const manual = { ...input('manual-close-1'), botId: null }
    const a = await journal.place(manual)
    const b = await journal.place(manual)
    expect(b.id).toBe(a.id)
    expect(exchanges['client-order-id'].countOf(a.clientOrderId)).toBe(1)
  })

  it('moves states only by compare-and-swap on the state read', async () => {
    const store = createJournalStore(database.db)
    const placed = await journal.place(input('t13.entry'))
    const now = clock.now()
    expect(await store.transition(placed.id, 'intent', { state: 'sent', updatedAt: now })).toBeNull()
    expect(await store.transition(placed.id, ['sent', 'acknowledged'], { state: 'partially_filled', filled: '0.1', updatedAt: now })).toMatchObject({ state: 'partially_filled' })
    expect(await store.transition(placed.id, 'acknowledged', { state: 'cancelled', updatedAt: now })).toBeNull()
  })
})
