import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count, eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { ORIGIN, PASSWORD, startAccountsApp, type AccountsApp } from '../../test/support/accounts-app.js'
import { schema } from '../db/index.js'
import type { DemoRuntime } from '../demo/index.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import type { Trading } from '../trading/index.js'

type Session = { cookie: string; csrf: string }
type Bot = { id: string; account: { kind: string; id: string }; status: string; statusReason: string | null; config: Record<string, unknown>; live: Record<string, unknown>; pnl: { realized: string } }
type Order = { intentKey: string; clientOrderId: string; state: string; filled: string; feeCurrency: string | null; side: string; type: string; amount: string; price: string | null; reason: string | null }
type Created = { bot: Bot; webhook: { url: string; secret: string; tradingViewMessage: string } }
const SPOT = 'BTC/USDT'

/**
 * The trading HTTP API end to end on the real app: demo accounts on the demo engine (no feed: the test
 * moves the market with `ingest`), the real bot runtime (its timers never fire: the test moves the clock
 * and ticks it), the real webhook ingress. Every refusal is checked to have written nothing.
 */
describe.each(backends)('trading API on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let demo: DemoRuntime
  let trading: Trading
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let ws = ''
  let owner: Session
  let trader: Session
  let viewer: Session
  let stranger: Session
  let spot = ''
  let foreignDemo = ''

  const url = (path: string) => `/api/workspaces/${ws}${path}`
  const send = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: url(path), ...(payload === undefined ? {} : { payload: payload as object }), headers: { origin: ORIGIN, cookie: s.cookie, 'x-csrf-token': s.csrf, ...headers } })
  const json = async <T>(res: Promise<{ json: <U>() => U }>) => (await res).json<T>()
  const bot = (id: string) => json<Bot>(send(owner, 'GET', `/bots/${id}`))
  const orders = (id: string) => json<Order[]>(send(owner, 'GET', `/bots/${id}/orders`))
  const byKey = async (id: string) => Object.fromEntries((await orders(id)).map((o) => [o.intentKey, o]))
  const counts = async () => ({
    bots: (await database.db.select({ n: count() }).from(schema.bots))[0]?.n,
    intents: (await database.db.select({ n: count() }).from(schema.orderIntents))[0]?.n,
  })
  /** The market trades at `price` two seconds later; the runtime polls open orders and settles. */
  const market = async (price: string) => {
    clock.advance(2_000)
    await demo.ingest({ symbol: SPOT, price, amount: '5', time: clock.now().getTime() })
    await demo.barrier()
    await trading.runtime.tick()
    await trading.runtime.idle()
  }
  const hook = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/hooks/signal/${id}`, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
  const now = () => clock.now().toISOString()
  const stepUp = (s: Session) => t.post('/api/auth/step-up', { password: PASSWORD }, s)
  const trade = (config: Record<string, unknown>, account = spot) => ({ account: { kind: 'demo', id: account }, config: { symbol: SPOT, direction: 'long', amount: '0.1', ...config } })
  const createTrade = (body: unknown, key: string, s = owner) => send(s, 'POST', '/smart-trades', body, { 'idempotency-key': key })
  const webhookBot = { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } }

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, { clock, trading: true })
    demo = t.demo as DemoRuntime
    trading = t.trading as Trading
    ;({ workspaceId: ws } = await t.addUser('owner@example.com'))
    for (const role of ['trader', 'viewer'] as const) {
      const { userId } = await t.addUser(`${role}@example.com`)
      await database.db.insert(schema.memberships).values({ workspaceId: ws, userId, role, createdAt: clock.now() })
    }
    // A team workspace asks owners for a passkey by default (R26); step-up with a password is what is tested here.
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    const { workspaceId: otherWs } = await t.addUser('stranger@example.com')
    const signIn = async (who: string): Promise<Session> => {
      const { cookie, csrf } = await t.signIn(`${who}@example.com`)
      return { cookie, csrf }
    }
    ;[owner, trader, viewer, stranger] = [await signIn('owner'), await signIn('trader'), await signIn('viewer'), await signIn('stranger')]
    spot = (await json<{ id: string }>(send(owner, 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' }))).id
    const foreign = await t.app.inject({ method: 'POST', url: `/api/workspaces/${otherWs}/demo/accounts`, payload: { name: 'Theirs', kind: 'spot' }, headers: { origin: ORIGIN, cookie: stranger.cookie, 'x-csrf-token': stranger.csrf } })
    foreignDemo = foreign.json<{ id: string }>().id
    await market('20000')
  }, 120_000)
  afterAll(async () => {
    await t.close()
    await database.dispose()
  })

  it('lists the demo accounts a bot can trade on, marking whether the caller may', async () => {
    const paper = { kind: 'demo', id: spot, label: 'Paper', venue: 'demo-spot', market: 'spot', stopsOnExchange: false, canTrade: true }
    expect(await json(send(viewer, 'GET', '/trading/accounts'))).toEqual([{ ...paper, tradable: false }])
    expect(await json(send(trader, 'GET', '/trading/accounts'))).toEqual([{ ...paper, tradable: true }])
  })

  it('creates a Smart Trade once per Idempotency-Key; every refusal writes nothing', async () => {
    const body = trade({ entry: { type: 'limit', price: '19000' } }) // rests below the market
    const first = await createTrade(body, 'create-0001')
    expect([first.statusCode, first.headers['idempotent-replayed']]).toEqual([201, 'false'])
    const created = first.json<Bot>()
    expect(created).toMatchObject({ status: 'running', live: { phase: 'entering' } })
    expect(await byKey(created.id)).toMatchObject({ entry: { state: 'acknowledged', side: 'buy', type: 'limit', price: '19000' } })
    const before = await counts()

    const repeat = await createTrade(body, 'create-0001')
    expect([repeat.statusCode, repeat.headers['idempotent-replayed'], repeat.json<Bot>().id]).toEqual([201, 'true', created.id])
    const refusals: [string, Awaited<ReturnType<typeof createTrade>>, number, RegExp][] = [
      ['same key, other body', await createTrade(trade({ entry: { type: 'limit', price: '19000' }, amount: '0.2' }), 'create-0001'), 409, /different request/],
      ['no key', await send(owner, 'POST', '/smart-trades', body), 400, /Idempotency-Key/],
      ['bad key', await createTrade(body, 'no'), 400, /Idempotency-Key header must be/],
      ['spot short', await createTrade(trade({ direction: 'short', entry: { type: 'market' } }), 'create-0002'), 400, /spot trade can only go long/],
      ['perpetual on spot', await createTrade(trade({ symbol: 'BTC/USDT:USDT', direction: 'short', entry: { type: 'market' } }), 'create-0003'), 400, /is a perpetual/],
      ['foreign account', await createTrade(trade({ entry: { type: 'market' } }, foreignDemo), 'create-0004'), 404, /not found in this workspace/],
      ['viewer', await createTrade(trade({ entry: { type: 'market' } }), 'create-0005', viewer), 403, /viewer/],
    ]
    for (const [what, res, status, message] of refusals) expect({ what, status: res.statusCode, message: res.json<{ message: string }>().message }).toEqual({ what, status, message: expect.stringMatching(message) })
    expect(refusals[0]?.[1].json()).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' })
    expect(await counts()).toEqual(before)

    // The same request twice at once: one trade; the other answer is its replay or "still running".
    const racing = await Promise.all([createTrade(body, 'create-race'), createTrade(body, 'create-race')])
    for (const r of racing) expect([201, 409]).toContain(r.statusCode)
    expect(racing.filter((r) => r.statusCode === 409).map((r) => r.json<{ reason: string }>().reason)).toEqual(racing.some((r) => r.statusCode === 409) ? ['IDEMPOTENT_REQUEST_IN_PROGRESS'] : [])
    expect(await counts()).toEqual({ bots: Number(before.bots) + 1, intents: Number(before.intents) + 1 })
    const raced = racing.find((r) => r.statusCode === 201)?.json<Bot>().id as string
    await send(owner, 'POST', `/smart-trades/${raced}/cancel`)

    // Cancel: the resting entry is cancelled and the trade stops.
    const cancelled = await json<Bot>(send(owner, 'POST', `/smart-trades/${created.id}/cancel`))
    expect(cancelled).toMatchObject({ status: 'stopped', live: { phase: 'cancelled' } })
    expect(await byKey(created.id)).toMatchObject({ entry: { state: 'cancelled' } })
  })

  it('drives a Smart Trade with the market: entry fills, first target, then a close at market that happens once', async () => {
    const body = trade({ entry: { type: 'limit', price: '19990' }, takeProfit: { targets: [{ price: '20200', sharePercent: '50' }, { price: '20400', sharePercent: '50' }] }, stopLoss: { percent: '5' } })
    const { id } = (await createTrade(body, 'ladder-0001')).json<Bot>()
    for (let p = 19_985; (await byKey(id)).entry?.state !== 'filled' && p > 19_900; p -= 5) await market(String(p))
    let live = (await bot(id)).live as { phase: string; position: string; stopPrice: string; stopPlacement: string; targets: { key: string; price: string; status: string }[] }
    expect(live).toMatchObject({ phase: 'open', position: '0.0999', stopPlacement: 'platform' }) // 0.1 bought, 0.0001 BTC taker/maker fee taken in BTC
    expect(live.targets.map((x) => [x.key, x.price, x.status])).toEqual([
      ['tp1', '20200', 'open'],
      ['tp2', '20400', 'open'],
    ])
    for (let p = 20_205; (await byKey(id)).tp1?.state !== 'filled' && p < 20_300; p += 5) await market(String(p))
    live = (await bot(id)).live as typeof live
    expect(live.targets.map((x) => x.status)).toEqual(['filled', 'open'])
    expect(await byKey(id)).toMatchObject({ entry: { state: 'filled' }, tp1: { state: 'filled', side: 'sell' }, tp2: { state: 'acknowledged' } })

    const close = () => send(owner, 'POST', `/smart-trades/${id}/close`, undefined, { 'idempotency-key': 'close-ladder-1' })
    const closed = await close()
    expect([closed.statusCode, closed.headers['idempotent-replayed']]).toEqual([200, 'false'])
    expect(closed.json<Bot>()).toMatchObject({ status: 'finished', live: { phase: 'finished', exitReason: 'close', position: '0' } })
    const after = await counts()
    const again = await close()
    expect([again.statusCode, again.headers['idempotent-replayed'], again.json<Bot>().id]).toEqual([200, 'true', id])
    expect(await counts()).toEqual(after)
    const final = await byKey(id)
    expect(Object.keys(final).sort()).toEqual(['close', 'entry', 'tp1', 'tp2'])
    expect(final).toMatchObject({ tp2: { state: 'cancelled' }, close: { state: 'filled', side: 'sell', type: 'market' } })
    expect(Number((await bot(id)).pnl.realized)).toBeGreaterThan(0)
    const late = await send(owner, 'POST', `/smart-trades/${id}/close`, undefined, { 'idempotency-key': 'close-ladder-2' })
    expect([late.statusCode, late.json<{ message: string }>().message]).toEqual([409, 'this smart trade is over: there is nothing to close'])
  })

  it('closes a paused Smart Trade, and cancels one: a paused trade is started to carry it out', async () => {
    const { id } = (await createTrade(trade({ entry: { type: 'market' }, takeProfit: { targets: [{ price: '21000', sharePercent: '100' }] } }), 'paused-0001')).json<Bot>()
    expect((await json<Bot>(send(trader, 'POST', `/bots/${id}/pause`))).status).toBe('paused')
    const closed = await send(trader, 'POST', `/smart-trades/${id}/close`, undefined, { 'idempotency-key': 'paused-close-1' })
    expect(closed.json<Bot>()).toMatchObject({ status: 'finished', live: { phase: 'finished', exitReason: 'close' } })
    expect(await byKey(id)).toMatchObject({ entry: { state: 'filled' }, tp1: { state: 'cancelled' }, close: { state: 'filled' } })

    const resting = (await createTrade(trade({ entry: { type: 'limit', price: '18000' } }), 'paused-0002')).json<Bot>()
    await send(trader, 'POST', `/bots/${resting.id}/pause`)
    expect(await json(send(trader, 'POST', `/smart-trades/${resting.id}/cancel`))).toMatchObject({ status: 'stopped', live: { phase: 'cancelled' } })
    expect((await byKey(resting.id)).entry?.state).toBe('cancelled')
    const restart = await send(trader, 'POST', `/bots/${resting.id}/start`)
    expect([restart.statusCode, restart.json<{ message: string }>().message]).toEqual([409, 'this smart trade is over: create a new one'])
  })

  it('edits the exits of a running Smart Trade: the stop moves; targets change only before the position opens', async () => {
    const { id } = (await createTrade(trade({ entry: { type: 'limit', price: '18500' }, stopLoss: { percent: '5' } }), 'edit-0001')).json<Bot>()
    const newExits = { takeProfit: { targets: [{ price: '22000', sharePercent: '100' }] }, stopLoss: { price: '18000' }, timeoutSeconds: 3600 }
    const edited = await send(trader, 'PATCH', `/smart-trades/${id}`, newExits)
    expect(edited.statusCode).toBe(200)
    expect(edited.json<Bot>()).toMatchObject({ config: { ...newExits, entry: { type: 'limit', price: '18500' } }, live: { phase: 'entering', timeoutAt: expect.any(Number) } })
    const bad = await send(trader, 'PATCH', `/smart-trades/${id}`, { takeProfit: { targets: [{ price: '22000', sharePercent: '60' }] } })
    expect([bad.statusCode, bad.json<{ message: string }>().message]).toEqual([400, 'body.takeProfit.targets: the take-profit shares must add up to 100 %'])
    expect((await send(viewer, 'PATCH', `/smart-trades/${id}`, newExits)).statusCode).toBe(403)
    // Down through the entry: the position opens with the new target and stop.
    for (let p = 18_495; (await byKey(id)).entry?.state !== 'filled' && p > 18_400; p -= 5) await market(String(p))
    expect((await bot(id)).live).toMatchObject({ phase: 'open', stopPrice: '18000', targets: [{ key: 'tp1', price: '22000', status: 'open' }] })
    const moved = await send(trader, 'PATCH', `/smart-trades/${id}`, { ...newExits, stopLoss: { price: '18100' } })
    expect(moved.json<Bot>()).toMatchObject({ config: { stopLoss: { price: '18100' } }, live: { stopPrice: '18100' } })
    const late = await send(trader, 'PATCH', `/smart-trades/${id}`, { ...newExits, takeProfit: { targets: [{ price: '23000', sharePercent: '100' }] } })
    expect(late.json()).toMatchObject({ code: 'CONFLICT', reason: 'TARGETS_PLACED' })
    await send(owner, 'POST', `/smart-trades/${id}/close`, undefined, { 'idempotency-key': 'edit-close-1' })
    await market('20000')
  })

  describe('signal bots', () => {
    let created: Created
    let id = ''
    /** A signal sent a second after the last one (signals, and so their orders, are never in the same millisecond). */
    const signal = (action: string, signalId: string, extra: Record<string, unknown> = {}) => {
      clock.advance(1_000)
      return { secret: created.webhook.secret, action, timestamp: now(), signalId, ...extra }
    }

    it('creates a webhook bot on demo with its URL, secret and TradingView message', async () => {
      const res = await send(trader, 'POST', '/signal-bots', { name: 'TV BTC', demoAccountId: spot, config: webhookBot })
      expect(res.statusCode).toBe(201)
      created = res.json<Created>()
      id = created.bot.id
      expect(created.bot).toMatchObject({ kind: 'signal_bot', status: 'draft', account: { kind: 'demo', id: spot } })
      expect(created.webhook).toMatchObject({ url: `${ORIGIN}/api/hooks/signal/${id}`, secret: expect.stringMatching(/^bwh_/) })
      expect(JSON.parse(created.webhook.tradingViewMessage)).toMatchObject({ secret: created.webhook.secret, action: 'enter_long', symbol: '{{ticker}}', timestamp: '{{timenow}}' })
      const refused = [
        await send(trader, 'POST', '/signal-bots', { name: 'x', demoAccountId: spot, config: { ...webhookBot, source: { kind: 'webhook', allowIps: ['example.com'] } } }),
        await send(trader, 'POST', '/signal-bots', { name: 'x', demoAccountId: foreignDemo, config: webhookBot }),
        await send(trader, 'POST', '/signal-bots', { name: 'x', demoAccountId: spot, config: { ...webhookBot, sides: 'short' } }),
      ]
      expect(refused.map((r) => [r.statusCode, r.json<{ message: string }>().message])).toEqual([
        [400, 'allowIps: "example.com" is not an IP address, a CIDR range like "203.0.113.0/24", or "tradingview"'],
        [404, `demo account "${foreignDemo}" not found in this workspace`],
        [400, 'a bot on a spot account can only go long (sides: "long")'],
      ])
      const patched = await send(trader, 'PATCH', `/signal-bots/${id}`, { config: { ...webhookBot, source: { kind: 'webhook', allowIps: ['10.0.0.0/33'] } } })
      expect([patched.statusCode, patched.json<{ code: string }>().code]).toEqual([400, 'BAD_INPUT'])
    })

    it('acts on a webhook signal only while running, as JSON or text/plain', async () => {
      const draft = await hook(id, signal('enter_long', 'early'))
      expect([draft.statusCode, draft.json<{ reason: string }>().reason]).toEqual([409, 'BOT_NOT_RUNNING'])
      expect((await json<Bot>(send(trader, 'POST', `/bots/${id}/start`))).status).toBe('running')
      const entered = await hook(id, signal('enter_long', 'sig-1'))
      expect([entered.statusCode, entered.json()]).toEqual([202, { accepted: true, signal: expect.any(String), action: 'enter_long', symbol: SPOT }])
      expect(await byKey(id)).toMatchObject({ 'p1.entry': { state: 'filled', side: 'buy', type: 'market', amount: '0.01' } })
      // On the demo exchange: one order with the intent's client order id.
      const entry = (await byKey(id))['p1.entry']
      const demoOrders = await json<{ side: string; status: string; clientOrderId: string }[]>(send(owner, 'GET', `/demo/accounts/${spot}/orders`))
      expect(demoOrders.filter((o) => o.clientOrderId === entry?.clientOrderId)).toEqual([expect.objectContaining({ side: 'buy', status: 'closed' })])
      const exited = await hook(id, JSON.stringify(signal('exit_long', 'sig-2')), { 'content-type': 'text/plain' })
      expect(exited.statusCode).toBe(202)
      expect(await byKey(id)).toMatchObject({ 'p1.entry': { state: 'filled' }, 'p1.close': { state: 'filled', side: 'sell' } })
    })

    it('refuses bad signals with a code, places nothing, and logs each with its verdict', async () => {
      const before = await counts()
      const refusals: [string, Awaited<ReturnType<typeof hook>>, number, string][] = [
        ['wrong secret', await hook(id, { ...signal('enter_long', 'sig-3'), secret: `${created.webhook.secret.slice(0, -1)}x` }), 401, 'WRONG_SECRET'],
        ['replayed id', await hook(id, signal('enter_long', 'sig-1')), 409, 'DUPLICATE_SIGNAL'],
        ['stale', await hook(id, { ...signal('enter_long', 'sig-4'), timestamp: new Date(clock.now().getTime() - 600_000).toISOString() }), 400, 'STALE_SIGNAL'],
        ['unknown action', await hook(id, signal('buy_everything', 'sig-5')), 400, 'UNKNOWN_ACTION'],
        ['malformed', await hook(id, '{"secret": "'), 400, 'MALFORMED_BODY'],
        ['oversize', await hook(id, JSON.stringify({ ...signal('enter_long', 'sig-6'), pad: 'x'.repeat(9_000) })), 413, 'BODY_TOO_LARGE'],
        // Webhooks come from other sites by nature: the origin is not checked, the secret is.
        ['foreign origin, wrong secret', await hook(id, { ...signal('enter_long', 'sig-6b'), secret: 'bwh_wrong-wrong-wrong-wrong-wrong' }, { origin: 'https://elsewhere.example' }), 401, 'WRONG_SECRET'],
        // A session changes nothing: the secret in the body is the only credential.
        ['cookie, wrong secret', await hook(id, { ...signal('enter_long', 'sig-7'), secret: 'bwh_wrong-wrong-wrong-wrong-wrong' }, { cookie: owner.cookie, 'x-csrf-token': owner.csrf, origin: ORIGIN }), 401, 'WRONG_SECRET'],
        ['unknown bot', await hook(newId(), signal('enter_long', 'sig-8')), 401, 'WRONG_SECRET'],
      ]
      for (const [what, res, status, reason] of refusals) expect({ what, status: res.statusCode, reason: res.json<{ reason?: string }>().reason ?? '' }).toEqual({ what, status, reason })
      expect(refusals[5]?.[1].json<{ message: string }>().message).toBe('the signal body is larger than 8192 bytes')
      expect(await counts()).toEqual(before)
      const log = await json<{ verdict: string; code: string | null; signalId: string | null }[]>(send(viewer, 'GET', `/bots/${id}/signals`))
      expect(log.filter((l) => l.verdict === 'rejected').map((l) => l.code)).toEqual(expect.arrayContaining(['UNAUTHENTICATED', 'CONFLICT', 'BAD_INPUT']))
      expect(log.filter((l) => l.verdict === 'accepted').map((l) => l.signalId).sort()).toEqual(['sig-1', 'sig-2'])
      // With the cookie and our own Origin, a good signal is simply a signal.
      const withCookie = await hook(id, signal('enter_long', 'sig-9'), { cookie: owner.cookie, origin: ORIGIN })
      expect(withCookie.statusCode).toBe(202)
      expect(await hook(id, signal('exit_long', 'sig-10'))).toMatchObject({ statusCode: 202 })
    })

    it('shows the webhook secret again only after step-up, and never to a viewer', async () => {
      expect((await send(viewer, 'GET', `/signal-bots/${id}/webhook`)).statusCode).toBe(403)
      clock.advance(6 * 60_000) // past the sign-in's step-up window
      const stale = await send(trader, 'GET', `/signal-bots/${id}/webhook`)
      expect([stale.statusCode, stale.json<{ code: string }>().code]).toEqual([401, 'STEP_UP_REQUIRED'])
      expect((await stepUp(trader)).statusCode).toBe(200)
      expect(await json(send(trader, 'GET', `/signal-bots/${id}/webhook`))).toMatchObject({ url: created.webhook.url, secret: created.webhook.secret })
      await market('20000')
    })

    // A spot buy's fee paid in the coin is taken off the position, so selling what the account holds
    // (0.01 − 0.00001 BTC) brings the ledger back to flat and the round trip counts.
    it('counts both webhook round trips in the demo record (buy fees paid in BTC)', async () => {
      expect(await byKey(id)).toMatchObject({ 'p1.entry': { filled: '0.01', feeCurrency: 'BTC' }, 'p1.close': { filled: '0.00999' } })
      expect(await json(send(viewer, 'GET', `/bots/${id}/demo-record`))).toMatchObject({ trades: 2 })
    })

    it('kill switch: pauses running bots, refuses starts and signals, and lifts only with step-up', async () => {
      const resting = (await createTrade(trade({ entry: { type: 'limit', price: '18000' } }), 'halt-0001')).json<Bot>()
      const halted = await send(trader, 'POST', '/trading/halt', { reason: 'news' })
      expect(halted.json()).toEqual({ halted: true, haltedAt: clock.now().toISOString(), reason: 'news' })
      expect((await bot(id)).status).toBe('paused')
      expect((await bot(resting.id)).status).toBe('paused')
      const start = await send(trader, 'POST', `/bots/${id}/start`)
      expect([start.statusCode, start.json<{ reason: string }>().reason]).toEqual([409, 'TRADING_HALTED'])
      expect((await createTrade(trade({ entry: { type: 'market' } }), 'halt-0002')).json()).toMatchObject({ code: 'CONFLICT', reason: 'TRADING_HALTED' })
      const before = await counts()
      const refused = await hook(id, signal('enter_long', 'sig-halted'))
      expect(refused.statusCode).toBe(409)
      const closing = await send(trader, 'POST', `/smart-trades/${resting.id}/close`, undefined, { 'idempotency-key': 'halt-close-1' })
      expect(closing.json()).toMatchObject({ code: 'CONFLICT', reason: 'TRADING_HALTED' })
      expect(await counts()).toEqual(before)

      expect((await send(trader, 'DELETE', '/trading/halt')).statusCode).toBe(403) // traders stop trading; lifting is for owners and admins
      clock.advance(6 * 60_000)
      expect((await send(owner, 'DELETE', '/trading/halt')).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
      await stepUp(owner)
      expect(await json(send(owner, 'DELETE', '/trading/halt'))).toEqual({ halted: false, haltedAt: null, reason: null })
      expect((await json<Bot>(send(trader, 'POST', `/bots/${id}/start`))).status).toBe('running')
      expect((await hook(id, signal('enter_long', 'sig-after'))).statusCode).toBe(202)
      await send(owner, 'POST', `/smart-trades/${resting.id}/cancel`)
    })

    it('promotion: shows the demo record; needs step-up, a stopped bot and an active account of this workspace', async () => {
      const record = await send(viewer, 'GET', `/bots/${id}/demo-record`)
      expect([record.statusCode, record.json()]).toEqual([200, { trades: expect.any(Number), wins: expect.any(Number), realizedPnl: expect.any(String), fees: expect.any(String), maxDrawdown: expect.any(String), daysRun: 0, currency: 'USDT' }])
      expect(Number(record.json<{ fees: string }>().fees)).toBeGreaterThan(0)
      const at = clock.now()
      const keyRow = (workspaceId: string, state: string) => ({ id: newId(), workspaceId, exchange: 'binance', label: `Binance ${state}`, keyId: newId(), state, apiKeyHint: 'abcd…wxyz', verification: {}, createdAt: at, keyCreatedAt: at })
      const disabled = keyRow(ws, 'disabled')
      const otherWs = (await database.db.select({ id: schema.workspaces.id }).from(schema.workspaces)).find((w) => w.id !== ws)?.id as string
      const theirs = keyRow(otherWs, 'active')
      await database.db.insert(schema.exchangeAccounts).values([disabled, theirs])
      const promote = (exchangeAccountId: string, s = trader) => send(s, 'POST', `/bots/${id}/promote`, { exchangeAccountId })

      clock.advance(6 * 60_000)
      expect((await promote(disabled.id)).json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
      await stepUp(trader)
      expect((await promote(disabled.id)).json()).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/stop or pause the bot/) }) // running
      await send(trader, 'POST', `/bots/${id}/stop`)
      expect((await promote(disabled.id)).json()).toMatchObject({ code: 'CONFLICT', message: '"Binance disabled" cannot trade now: its key is not active' })
      expect((await promote(theirs.id)).json()).toMatchObject({ code: 'NOT_FOUND', message: `exchange account "${theirs.id}" not found in this workspace` })
      expect((await promote(theirs.id, viewer)).statusCode).toBe(403)
      expect((await bot(id)).account).toMatchObject({ kind: 'demo', id: spot })
    })
  })

  it('account risk limits: owners set them, the guard refuses an entry above them with an alert', async () => {
    const risky = (await json<{ id: string }>(send(owner, 'POST', '/demo/accounts', { name: 'Risky', kind: 'spot' }))).id
    const path = `/trading/accounts/demo/${risky}/risk`
    expect((await send(trader, 'PUT', path, { maxOrderNotional: '100' })).statusCode).toBe(403)
    for (const bad of [{ maxOrderNotional: '-1' }, { maxOrderNotional: 100 }, { leverage: 5 }]) expect((await send(owner, 'PUT', path, bad)).statusCode).toBe(400)
    expect(await json(send(owner, 'PUT', path, { maxOrderNotional: '100' }))).toEqual({ maxOrderNotional: '100' })
    expect(await json(send(viewer, 'GET', path))).toEqual({ maxOrderNotional: '100' })

    const res = await createTrade(trade({ entry: { type: 'market' } }, risky), 'risky-0001') // 0.1 × 20,000 = 2,000 USDT > 100
    expect(res.statusCode).toBe(201)
    const refused = res.json<Bot>()
    expect([refused.status, refused.statusReason]).toEqual(['stopped', "the entry order was rejected: order of 2,000.00 USDT is above this account's max order of 100 USDT"])
    expect(refused.live).toMatchObject({ phase: 'cancelled', endReason: "the entry order was rejected: order of 2,000.00 USDT is above this account's max order of 100 USDT" })
    expect(await orders(refused.id)).toEqual([]) // refused before the journal: nothing was written or sent
    const alerts = await json<{ rule: string; details: Record<string, unknown> }[]>(send(owner, 'GET', '/alerts'))
    expect(alerts).toContainEqual(expect.objectContaining({ rule: 'risk_limit_hit', details: expect.objectContaining({ botId: refused.id }) }))

    // A signal bot set to stop on a rejection stops itself; it cannot be started again as a bot that ignores signals.
    const { bot: created, webhook } = await json<Created>(send(owner, 'POST', '/signal-bots', { name: 'Strict', demoAccountId: risky, config: { ...webhookBot, sizing: { kind: 'base', amount: '0.01' }, onRejection: 'stop' } })) // 200 USDT > 100
    await send(owner, 'POST', `/bots/${created.id}/start`)
    clock.advance(1_000)
    expect((await hook(created.id, { secret: webhook.secret, action: 'enter_long', timestamp: now() })).statusCode).toBe(202)
    expect(await bot(created.id)).toMatchObject({ status: 'stopped', live: { finished: true } })
    const restart = await send(owner, 'POST', `/bots/${created.id}/start`)
    expect([restart.statusCode, restart.json<{ reason: string }>().reason]).toEqual([409, 'BOT_FINISHED'])
  })
})
