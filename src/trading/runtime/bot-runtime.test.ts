import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { schema } from '../../db/index.js'
import { createManualClock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import { createAlerts, createAuditChain } from '../../monitoring/index.js'
import { createOrderJournal } from '../journal/index.js'
import { createRiskGuard } from '../risk/index.js'
import type { AccountRef, BotMachine, PriceSource, TradingVenue, VenueOrder, VenueResolver } from '../trading-types.js'
import { createBotRuntime, type BotRuntime, type Timers } from './bot-runtime.js'
import { createBotStore } from './bot-store.js'
import { isRuntimeState, type RuntimeState } from './runtime-state.js'

// A tiny machine of the test's own (the real ones are exercised in test/trading/runtime-demo.test.ts):
// it counts what it sees, fails on a chosen price, asks for a wake, and places an order per signal.
type CounterConfig = {
  symbol: string
  failOn?: string
  wakeInMs?: number
  risk?: { maxOrderNotional?: string }
  /** As a signal bot's config has them: indicator signals on these symbols. */
  symbols?: string[]
  source?: { kind: 'indicator'; indicator: { type: 'sma_cross'; fast: number; slow: number }; timeframe: '1m' }
}
type CounterState = { config: CounterConfig; prices: number; last: string | null; timers: number; signals: number; orders: Record<string, string> }

const counter: BotMachine<CounterState, CounterConfig> = {
  start: (config, ctx) => ({
    state: { config, prices: 0, last: null, timers: 0, signals: 0, orders: {} },
    commands: config.wakeInMs === undefined ? [] : [{ type: 'wake', at: ctx.now + config.wakeInMs }],
  }),
  step: (s, e) => {
    switch (e.type) {
      case 'price':
        if (e.price === s.config.failOn) throw new Error(`cannot handle the price ${e.price}`)
        // Nothing new: the same object back, which the runtime does not write.
        if (e.price === s.last) return { state: s, commands: [] }
        return { state: { ...s, prices: s.prices + 1, last: e.price }, commands: [] }
      case 'timer':
        return { state: { ...s, timers: s.timers + 1 }, commands: [] }
      case 'signal': {
        const key = `s${s.signals + 1}`
        return { state: { ...s, signals: s.signals + 1 }, commands: [{ type: 'place', key, purpose: 'entry', order: { symbol: e.signal.symbol, side: 'buy', type: 'market', amount: e.signal.amount ?? '1' } }] }
      }
      case 'order':
        return { state: { ...s, orders: { ...s.orders, [e.key]: `${e.state}: ${e.reason ?? ''}` } }, commands: [] }
      case 'command':
        return { state: s, commands: [{ type: 'finish', status: 'finished', reason: 'closed by the user' }] }
      case 'edit':
        return { state: s, commands: [] }
    }
  },
  interest: (s) => ({ symbols: [s.config.symbol] }),
  live: (s) => ({ prices: s.prices }),
}

/** A price feed of the test's own: it emits what the test says. */
const createTestPrices = () => {
  const listeners = new Map<string, Set<(p: { symbol: string; price: string; time: number }) => void>>()
  const lastPrice = new Map<string, string>()
  const candleListeners = new Map<string, Set<(c: { symbol: string; close: number; time: number }) => void>>()
  const source: PriceSource = {
    subscribe: (venue, symbol, listener) => {
      const key = `${venue}/${symbol}`
      const set = listeners.get(key) ?? new Set()
      listeners.set(key, set)
      set.add(listener)
      return () => set.delete(listener)
    },
    subscribeCandles: (venue, symbol, timeframe, listener) => {
      const key = `${venue}/${symbol}/${timeframe}`
      const set = candleListeners.get(key) ?? new Set()
      candleListeners.set(key, set)
      set.add(listener)
      return () => set.delete(listener)
    },
    last: (venue, symbol) => lastPrice.get(`${venue}/${symbol}`) ?? null,
  }
  const emit = (symbol: string, price: string, time = 0) => {
    lastPrice.set(`test-venue/${symbol}`, price)
    for (const l of listeners.get(`test-venue/${symbol}`) ?? []) l({ symbol, price, time })
  }
  const emitCandle = (symbol: string, timeframe: string, close: number, time: number) => {
    for (const l of candleListeners.get(`test-venue/${symbol}/${timeframe}`) ?? []) l({ symbol, close, time })
  }
  return { source, emit, emitCandle, subscribers: (symbol: string) => listeners.get(`test-venue/${symbol}`)?.size ?? 0 }
}

/** An exchange stand-in that acknowledges every order (the journal's venue side). */
const testVenue = (account: AccountRef): TradingVenue => {
  const order = (o: { clientOrderId: string; symbol: string; type: string; side: string; amount: string }): VenueOrder => ({
    id: `x-${o.clientOrderId}`,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    type: o.type,
    side: o.side,
    status: 'open',
    amount: o.amount,
    filled: '0',
    price: null,
    average: null,
    timestamp: null,
  })
  return {
    account,
    venue: 'test-venue',
    market: 'spot',
    recovery: 'client-order-id',
    clientOrderId: { maxLength: 32, pattern: '^[A-Za-z0-9]{1,32}$' },
    supportsStopOrders: false,
    createOrder: async (o) => order(o),
    cancelOrder: async () => {
      throw new Error('not used')
    },
    fetchOrder: async () => {
      throw new Error('not used')
    },
    fetchOpenOrders: async () => [],
    fetchMyTrades: async () => [],
  }
}

/** Timers that never fire: the tests move the clock and call tick(). */
const manualTimers: Timers = { setTimeout: () => 0, clearTimeout: () => {} }

describe.each(backends)('bot runtime on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T10:00:00Z')
  const prices = createTestPrices()
  const runtimes: BotRuntime[] = []

  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop()
    await database.dispose()
  })

  const deps = (venues: VenueResolver = async (_workspaceId, account) => testVenue(account)) => {
    const { db } = database
    const alerts = createAlerts({ db, clock })
    return { db, alerts, audit: createAuditChain({ db, clock }), venues, journal: createOrderJournal({ db, clock, venues, alerts }), risk: createRiskGuard({ db, clock }) }
  }

  const runtime = (instanceId: string, venues?: VenueResolver) => {
    const d = deps(venues)
    const rt = createBotRuntime({ ...d, clock, instanceId, machines: { smart_trade: counter, signal_bot: counter }, prices: prices.source, timers: manualTimers, leaseMs: 15_000, heartbeatMs: 5_000 })
    runtimes.push(rt)
    return rt
  }

  const workspace = async () => {
    const id = newId()
    await database.db.insert(schema.workspaces).values({ id, name: 'desk', createdAt: clock.now() })
    return id
  }

  const bot = async (workspaceId: string, config: CounterConfig, status: 'running' | 'draft' = 'running') => {
    const id = newId()
    await database.db.insert(schema.bots).values({ id, workspaceId, kind: 'signal_bot', name: `bot ${id.slice(-4)}`, accountKind: 'demo', accountId: newId(), config, state: {}, status, createdAt: clock.now(), updatedAt: clock.now() })
    return id
  }

  const row = async (id: string) => {
    const [r] = await database.db.select().from(schema.bots).where(eq(schema.bots.id, id))
    if (!r) throw new Error('no such bot')
    return r
  }
  const stateOf = async (id: string) => {
    const s = (await row(id)).state
    if (!isRuntimeState(s)) throw new Error('not a runtime state')
    return s as RuntimeState<CounterState>
  }
  const alertsOf = async (rule: string, workspaceId: string | null) =>
    (await createAlerts({ db: database.db, clock }).list(workspaceId)).filter((a) => a.rule === rule)

  const emitAndSettle = async (symbol: string, price: string, ...rts: BotRuntime[]) => {
    prices.emit(symbol, price, clock.now().getTime())
    for (const rt of rts) await rt.idle()
  }

  it('never lets two runtimes on one database drive the same bot', async () => {
    const ws = await workspace()
    const ids = await Promise.all(Array.from({ length: 8 }, () => bot(ws, { symbol: 'AAA/USDT' })))
    const a = runtime(`a-${kind}`)
    const b = runtime(`b-${kind}`)
    await Promise.all([a.start(), b.start()])
    await Promise.all([a.idle(), b.idle()])
    const mine = (rt: BotRuntime) => rt.botIds().filter((id) => ids.includes(id))
    const onA = mine(a)
    const onB = mine(b)
    expect(onA.filter((id) => onB.includes(id))).toEqual([])
    expect([...onA, ...onB].sort()).toEqual([...ids].sort())
    for (const id of ids) expect((await row(id)).leaseOwner).toBe(onA.includes(id) ? `a-${kind}` : `b-${kind}`)

    // Each price reaches each bot once: one runtime steps it.
    await emitAndSettle('AAA/USDT', '101', a, b)
    for (const id of ids) expect((await stateOf(id)).machine.prices).toBe(1)

    // Claiming again changes nothing; a bot held by the other runtime cannot be reached from here.
    await Promise.all([a.tick(), b.tick()])
    expect(mine(a).sort()).toEqual([...onA].sort())
    const held = onB[0] ?? (onA[0] as string)
    const other = onB.includes(held) ? a : b
    await expect(other.deliver(held, { type: 'command', command: 'close', time: 0 })).rejects.toMatchObject({ code: 'UNAVAILABLE' })

    // And the database refuses a write from a runtime that does not hold the lease, whatever it believes.
    const r = await row(held)
    const stranger = onB.includes(held) ? `a-${kind}` : `b-${kind}`
    expect(await createBotStore(database.db).writeState({ id: held, owner: stranger, version: r.version, now: clock.now(), state: {} })).toBe(false)
    await a.stop()
    await b.stop()
  })

  it('takes over the bots of a runtime that stopped beating, and reports the stall once', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'BBB/USDT' })
    const a = runtime(`stall-a-${kind}`)
    await a.start()
    await a.idle()
    expect(a.botIds()).toContain(id)
    await emitAndSettle('BBB/USDT', '10', a)
    const b = runtime(`stall-b-${kind}`)
    await b.start()
    expect(b.botIds()).not.toContain(id) // a holds it

    // a's event loop hangs: no beat, no renewal. Past three beats and the lease, b reports and takes over.
    clock.advance(16_000)
    await b.tick()
    await b.idle()
    expect(b.botIds()).toContain(id)
    expect((await row(id)).leaseOwner).toBe(`stall-b-${kind}`)
    const stalled = (await alertsOf('bot_runtime_stalled', null)).filter((x) => x.details.runtimeId === `stall-a-${kind}`)
    expect(stalled).toHaveLength(1)
    expect(stalled[0]?.severity).toBe('critical')
    clock.advance(5_000)
    await b.tick()
    expect((await alertsOf('bot_runtime_stalled', null)).filter((x) => x.details.runtimeId === `stall-a-${kind}`)).toHaveLength(1)

    // b goes on from what a wrote.
    await emitAndSettle('BBB/USDT', '11', b)
    expect((await stateOf(id)).machine).toMatchObject({ prices: 2, last: '11' })

    // a wakes up: its lease ran out, so it drops the bot instead of acting on it, and its renewal confirms the loss.
    await expect(a.deliver(id, { type: 'command', command: 'close', time: 0 })).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    await a.tick()
    expect(a.botIds()).not.toContain(id)
    expect((await row(id)).status).toBe('running')
    await a.stop()
    await b.stop()
  })

  it('fails only the bot that throws, with an alert, while the others run on', async () => {
    const ws = await workspace()
    const bad = await bot(ws, { symbol: 'CCC/USDT', failOn: '13' })
    const good = await bot(ws, { symbol: 'CCC/USDT' })
    const rt = runtime(`iso-${kind}`)
    await rt.start()
    await rt.idle()
    await emitAndSettle('CCC/USDT', '12', rt)
    await emitAndSettle('CCC/USDT', '13', rt)
    expect(await row(bad)).toMatchObject({ status: 'failed', statusReason: 'cannot handle the price 13', leaseOwner: null })
    const failed = await alertsOf('bot_failed', ws)
    expect(failed.map((x) => x.details.botId)).toEqual([bad])
    expect(failed[0]?.severity).toBe('warning')
    expect(rt.botIds()).not.toContain(bad)
    await emitAndSettle('CCC/USDT', '14', rt)
    expect((await stateOf(good)).machine).toMatchObject({ prices: 3, last: '14' })
    expect((await stateOf(bad)).machine).toMatchObject({ prices: 1, last: '12' })
    await rt.stop()
  })

  it('writes every transition, skips prices that change nothing, and resumes where it was after a restart', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'DDD/USDT' }, 'draft')
    const first = runtime(`persist-1-${kind}`)
    await first.start()
    expect(await first.startBot(id)).toMatchObject({ status: 'running' })
    const started = (await row(id)).version
    await emitAndSettle('DDD/USDT', '1', first)
    await emitAndSettle('DDD/USDT', '2', first)
    expect((await row(id)).version).toBe(started + 2)
    await emitAndSettle('DDD/USDT', '2', first) // the same price: no transition, no write
    expect((await row(id)).version).toBe(started + 2)
    await first.stop()
    expect((await row(id)).leaseOwner).toBeNull() // handed back at shutdown
    expect(prices.subscribers('DDD/USDT')).toBe(0)

    const second = runtime(`persist-2-${kind}`)
    await second.start()
    await second.idle()
    expect(second.botIds()).toContain(id)
    await emitAndSettle('DDD/USDT', '3', second)
    expect((await stateOf(id)).machine).toMatchObject({ prices: 3, last: '3' })
    expect(second.liveOf(await row(id))).toEqual({ prices: 3 })
    await second.stop()
  })

  it('fires a wake asked for before a restart', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'EEE/USDT', wakeInMs: 60_000 }, 'draft')
    const first = runtime(`wake-1-${kind}`)
    await first.start()
    await first.startBot(id)
    const wakeAt = clock.now().getTime() + 60_000
    expect((await stateOf(id)).wakes).toEqual([wakeAt])
    await first.stop()

    clock.advance(61_000)
    const second = runtime(`wake-2-${kind}`)
    await second.start()
    await second.tick()
    await second.idle()
    const after = await stateOf(id)
    expect(after.machine.timers).toBe(1)
    expect(after.wakes).toEqual([])
    await second.stop()
  })

  it('turns a risk refusal into a rejected order for the machine, an alert, and a paused bot', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'FFF/USDT', risk: { maxOrderNotional: '50' } })
    const rt = runtime(`risk-${kind}`)
    await rt.start()
    await rt.idle()
    prices.emit('FFF/USDT', '100')
    await rt.idle()
    // 1 FFF × 100 USDT = 100 USDT, above the bot's 50 USDT per order.
    const view = await rt.deliver(id, { type: 'signal', signal: { action: 'enter_long', symbol: 'FFF/USDT', amount: '1' }, time: 0 })
    expect(view.status).toBe('paused')
    const s = await stateOf(id)
    expect(s.machine.orders.s1).toMatch(/^rejected: .*50/)
    expect(s.outbox).toEqual([])
    expect(await database.db.select().from(schema.orderIntents).where(eq(schema.orderIntents.botId, id))).toEqual([]) // nothing journaled, nothing sent
    const hit = await alertsOf('risk_limit_hit', ws)
    expect(hit.map((x) => x.details)).toEqual([expect.objectContaining({ botId: id, limit: 'maxOrderNotional', orderKey: 's1' })])
    expect(rt.botIds()).not.toContain(id)
    await rt.stop()
  })

  it('carries out, once, what a failed transition left undone when the bot is started again', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'JJJ/USDT' })
    let isVenueDown = false
    const rt = runtime(`outbox-${kind}`, async (_workspaceId, account) => {
      if (isVenueDown) throw new AppError('UNAVAILABLE', 'the venue cannot be reached right now')
      return testVenue(account)
    })
    await rt.start()
    await rt.idle()
    prices.emit('JJJ/USDT', '5')
    await rt.idle()
    // The transition (signal seen, order to place) is written; placing it fails before anything was journaled.
    isVenueDown = true
    expect(await rt.deliver(id, { type: 'signal', signal: { action: 'enter_long', symbol: 'JJJ/USDT', amount: '1' }, time: 0 })).toMatchObject({ status: 'failed', statusReason: 'the venue cannot be reached right now' })
    const failed = await stateOf(id)
    expect(failed.machine.signals).toBe(1)
    expect(failed.outbox).toEqual([expect.objectContaining({ type: 'place', key: 's1' })])
    expect((await alertsOf('bot_failed', ws)).map((a) => a.details.botId)).toEqual([id])

    isVenueDown = false
    expect(await rt.startBot(id)).toMatchObject({ status: 'running' })
    const resumed = await stateOf(id)
    expect(resumed.machine).toMatchObject({ signals: 1, orders: { s1: 'acknowledged: ' } })
    expect(resumed.outbox).toEqual([])
    expect(await database.db.select().from(schema.orderIntents).where(eq(schema.orderIntents.botId, id))).toHaveLength(1)
    await rt.stop()
  })

  it('halts a workspace: every running bot paused, starting refused, lifting leaves them paused', async () => {
    const ws = await workspace()
    const other = await workspace()
    const ids = [await bot(ws, { symbol: 'GGG/USDT' }), await bot(ws, { symbol: 'GGG/USDT' })]
    const elsewhere = await bot(other, { symbol: 'GGG/USDT' })
    const rt = runtime(`halt-${kind}`)
    await rt.start()
    await rt.idle()
    const userId = newId()
    await database.db.insert(schema.users).values({ id: userId, email: `h-${userId.slice(-6)}@example.com`, displayName: 'h', createdAt: clock.now() })
    expect(await rt.haltWorkspace(ws, userId, 'suspicious fills')).toEqual({ pausedBots: 2, wasHalted: false })
    for (const id of ids) expect(await row(id)).toMatchObject({ status: 'paused', statusReason: 'trading halted: suspicious fills', leaseOwner: null })
    expect(rt.botIds()).toContain(elsewhere)
    expect(rt.botIds().filter((id) => ids.includes(id))).toEqual([])
    expect(await rt.isHalted(ws)).toBe(true)
    const [entry] = await database.db.select().from(schema.auditEvents).where(and(eq(schema.auditEvents.workspaceId, ws), eq(schema.auditEvents.type, 'trading_halted')))
    expect(entry).toMatchObject({ actorType: 'user', actorId: userId, details: { reason: 'suspicious fills', pausedBots: 2 } })

    await expect(rt.startBot(ids[0] as string)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/halted/) })
    expect(await rt.resumeWorkspace(ws)).toBe(true)
    expect(await rt.isHalted(ws)).toBe(false)
    for (const id of ids) expect((await row(id)).status).toBe('paused')
    expect(await rt.startBot(ids[0] as string)).toMatchObject({ status: 'running' })
    expect(rt.botIds()).toContain(ids[0])
    expect((await row(ids[1] as string)).status).toBe('paused')
    await rt.stop()
  })

  it('turns indicator crossings on closed candles into logged signals the bot acts on', async () => {
    const ws = await workspace()
    const source = { kind: 'indicator' as const, indicator: { type: 'sma_cross' as const, fast: 2, slow: 3 }, timeframe: '1m' as const }
    const id = await bot(ws, { symbol: 'III/USDT', symbols: ['III/USDT'], source })
    const rt = runtime(`indicator-${kind}`)
    await rt.start()
    await rt.idle()
    prices.emit('III/USDT', '10')
    // Falling closes settle the fast average below the slow one; the jump to 14 crosses it above.
    for (const [i, close] of [10, 9, 8, 7, 14].entries()) prices.emitCandle('III/USDT', '1m', close, 60_000 * (i + 1))
    await rt.idle()
    const s = await stateOf(id)
    expect(s.machine.signals).toBe(1)
    expect(s.machine.orders.s1).toMatch(/^acknowledged/) // placed through the journal on the test venue
    const [intent] = await database.db.select().from(schema.orderIntents).where(eq(schema.orderIntents.botId, id))
    expect(intent).toMatchObject({ intentKey: 's1', state: 'acknowledged', side: 'buy' })
    const logged = await database.db.select().from(schema.botSignals).where(eq(schema.botSignals.botId, id))
    expect(logged).toEqual([expect.objectContaining({ source: 'indicator', action: 'enter_long', verdict: 'accepted' })])
    await rt.stop()
  })

  it('pauses and stops a bot on request, and refuses events for a bot that is not running', async () => {
    const ws = await workspace()
    const id = await bot(ws, { symbol: 'HHH/USDT' })
    const rt = runtime(`pause-${kind}`)
    await rt.start()
    await rt.idle()
    expect(await rt.pauseBot(id, 'paused by a user')).toMatchObject({ status: 'paused', statusReason: 'paused by a user' })
    expect(rt.botIds()).not.toContain(id)
    await expect(rt.deliver(id, { type: 'command', command: 'close', time: 0 })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await rt.startBot(id)).toMatchObject({ status: 'running' })
    expect(await rt.deliver(id, { type: 'command', command: 'close', time: 0 })).toMatchObject({ status: 'finished', statusReason: 'closed by the user' })
    await expect(rt.startBot(id)).rejects.toMatchObject({ code: 'CONFLICT' })
    const stopped = await bot(ws, { symbol: 'HHH/USDT' })
    clock.advance(5_000)
    await rt.tick() // the claim loop picks it up
    expect(await rt.stopBot(stopped, 'stopped by a user')).toMatchObject({ status: 'stopped' })
    expect(rt.status()).toMatchObject({ instanceId: `pause-${kind}`, lastHeartbeat: clock.now().toISOString() })
    await rt.stop()
  })
})
