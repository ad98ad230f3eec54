import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { binanceClient, randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import type { RequestLogEntry } from '../emulator/binance-emulator.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { createForeignOrderScan, createOrderJournal, type OrderJournal } from '../../src/trading/journal/index.js'
import type { AccountRef } from '../../src/trading/trading-types.js'
import { apiSide, connectBinanceKey, seedWorkspace } from './journal-fixtures.js'

/**
 * The order journal on a real exchange account: the real signer (vault, policy, per-key limits, ccxt)
 * against the Binance emulator, keys connected through the key relay. A createOrder whose request or
 * answer is lost is left `unknown` and not sent again; reconciliation finds it by client order id or
 * sends it exactly once more. An order placed with the same key elsewhere is found and the key disabled.
 */
describe.each(backends)('order journal through the signer on %s', (kind) => {
  let database: TestDatabase
  let harness: SignerHarness
  let journal: OrderJournal
  let side: ReturnType<typeof apiSide>
  const clock = createManualClock(Date.now())
  const trading = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const watched = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  let who = { userId: '', workspaceId: '' }
  let main: AccountRef = { kind: 'exchange', id: '' }
  let other: AccountRef = { kind: 'exchange', id: '' }
  let preexistingOrderId = ''

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    harness = await startSignerHarness(kind, {
      clock,
      emulator: {
        accounts: [
          { ...trading, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } },
          { ...watched, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } },
        ],
        prices: { BTCUSDT: '50000', ETHUSDT: '3000' },
      },
    })
    side = apiSide(database.db, clock, harness.client)
    who = await seedWorkspace(database.db, clock)
    // The user's own order from before the key was connected: history, not a foreign order.
    preexistingOrderId = String(harness.emulator.placeForeignOrder(watched.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '45000' }).orderId)
    await new Promise((r) => setTimeout(r, 5))
    clock.set(Date.now())
    main = { kind: 'exchange', id: (await connectBinanceKey(side, harness.seal, who, trading)).id }
    other = { kind: 'exchange', id: (await connectBinanceKey(side, harness.seal, who, watched, 'Watched')).id }
    journal = createOrderJournal({ db: database.db, clock, venues: side.venues, alerts: side.alerts })
  }, 120_000)
  afterAll(async () => {
    await harness.close()
    await database.dispose()
  })

  const posts = () => harness.emulator.requests.filter((r): r is RequestLogEntry => r.method === 'POST' && r.path === '/api/v3/order')
  const ordersWith = (apiKey: string, clientOrderId: string) => harness.emulator.account(apiKey).orders.filter((o) => o.clientOrderId === clientOrderId)
  const place = (key: string, order: { type: 'market' | 'limit'; side?: 'buy' | 'sell'; price?: string }, account = main) =>
    journal.place({ workspaceId: who.workspaceId, botId: null, key, account, purpose: 'manual', order: { symbol: 'BTC/USDT', side: order.side ?? 'buy', type: order.type, amount: '0.001', ...(order.price ? { price: order.price } : {}) } })
  /** Past the venue's receive window (and the journal's default wait of 30 s). */
  const pastWindow = () => clock.advance(31_000)

  it('places through the signer: a market order is filled (with its fee from the trades), a limit order acknowledged', async () => {
    const filled = await place('e1.market', { type: 'market' })
    expect(filled).toMatchObject({ state: 'filled', filled: '0.001', average: '50000', venue: 'binance', exchangeOrderId: expect.any(String) })
    expect(filled.fee).not.toBeNull()
    expect(filled.clientOrderId).toMatch(/^bw[a-z2-7]{30}$/)
    const resting = await place('e1.limit', { type: 'limit', price: '49000' })
    expect(resting).toMatchObject({ state: 'acknowledged', filled: '0', price: '49000' })
    expect(ordersWith(trading.apiKey, resting.clientOrderId)).toEqual([expect.objectContaining({ status: 'NEW', price: '49000' })])
    expect(await journal.cancel(resting.id)).toMatchObject({ state: 'cancelled' })
    expect(harness.emulator.account(trading.apiKey).orders.find((o) => o.clientOrderId === resting.clientOrderId)?.status).toBe('CANCELED')
  })

  it('records what the signer refuses as rejected, with its reason, and sends nothing', async () => {
    const before = posts().length
    // Outside the key's price band (5 % of the signer's own reference price).
    const refused = await place('e2.far', { type: 'limit', price: '30000' })
    expect(refused).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/price/i) })
    expect(posts().length).toBe(before)
  })

  it('leaves a createOrder that timed out before the exchange acted unknown, does not re-send it, then sends it exactly once more', async () => {
    harness.emulator.failNext('/api/v3/order', { mode: 'timeout', method: 'POST' })
    const lost = await place('e3.timeout', { type: 'market' })
    expect(lost).toMatchObject({ state: 'unknown', reason: expect.stringMatching(/did not answer/) })
    expect(posts().at(-1)).toMatchObject({ fault: 'timeout', params: expect.objectContaining({ newClientOrderId: lost.clientOrderId }) })
    const sentSoFar = posts().length
    expect((await place('e3.timeout', { type: 'market' })).state).toBe('unknown') // the bot repeating itself sends nothing
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 }) // still inside the window
    expect(posts().length).toBe(sentSoFar)
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 1, unresolved: 0 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'filled', filled: '0.001' })
    expect(posts().length).toBe(sentSoFar + 1)
    expect(ordersWith(trading.apiKey, lost.clientOrderId)).toHaveLength(1)
  }, 60_000)

  it('finds a createOrder whose answer was lost after the exchange executed it, without sending it again', async () => {
    harness.emulator.failNext('/api/v3/order', { mode: 'afterExecute-timeout', method: 'POST' })
    const lost = await place('e4.lost-answer', { type: 'limit', price: '49500' })
    expect(lost.state).toBe('unknown')
    expect(ordersWith(trading.apiKey, lost.clientOrderId)).toHaveLength(1)
    const sentSoFar = posts().length
    pastWindow()
    expect(await journal.resolveUnknown()).toEqual({ resolved: 1, resent: 0, unresolved: 0 })
    expect(await journal.get(lost.id)).toMatchObject({ state: 'acknowledged', exchangeOrderId: String(ordersWith(trading.apiKey, lost.clientOrderId)[0]?.orderId) })
    expect(posts().length).toBe(sentSoFar)
    // It rests on the book: a fill is picked up by refresh.
    harness.emulator.setPrice('BTCUSDT', '49400')
    expect(await journal.refresh(lost.id)).toMatchObject({ state: 'filled', filled: '0.001', average: '49500' })
    harness.emulator.setPrice('BTCUSDT', '50000')
  }, 60_000)

  it('finds an order placed with the same key outside Bulwark, raises a critical alert and disables the key', async () => {
    const ours = await place('e5.ours', { type: 'market' }, other)
    expect(ours.state).toBe('filled')
    const scan = createForeignOrderScan({
      db: database.db,
      clock,
      venues: side.venues,
      alerts: side.alerts,
      audit: side.audit,
      disableAccount: async (ws, id, reason) => {
        await side.accounts.disable({ type: 'system' }, ws, id, reason)
      },
    })
    expect(await scan.scanAccount(who.workspaceId, other.id, ['BTC/USDT'])).toEqual({ foreign: [] }) // ours, and the user's older order

    // Someone else uses the key: a market order (a trade) and a resting limit order.
    const stranger = binanceClient(harness.emulator, watched.apiKey, watched.secret)
    const market = await stranger.createOrder('BTC/USDT', 'market', 'buy', 0.001)
    const limit = await stranger.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 48000)
    const found = await scan.scanAccount(who.workspaceId, other.id, ['BTC/USDT'])
    expect(found.foreign.map((f) => f.orderId).sort()).toEqual([String(market.id), String(limit.id)].sort())
    expect(found.foreign.map((f) => f.orderId)).not.toContain(preexistingOrderId)

    const [alert] = await side.alerts.list(who.workspaceId).then((all) => all.filter((a) => a.rule === 'foreign_order_detected'))
    expect(alert).toMatchObject({ severity: 'critical', details: expect.objectContaining({ exchangeAccountId: other.id, symbol: 'BTC/USDT' }) })
    expect(JSON.stringify(alert)).not.toContain(watched.secret)
    expect(JSON.stringify(alert)).not.toContain(watched.apiKey)
    const [row] = await database.db.select().from(schema.exchangeAccounts).where(eq(schema.exchangeAccounts.id, other.id))
    expect(row?.state).toBe('disabled')
    const audited = await database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.type, 'foreign_order_detected'))
    expect(audited.length).toBeGreaterThan(0)

    // The key is disabled in the signer: nothing more is signed with it.
    const refused = await place('e5.after', { type: 'market' }, other)
    expect(refused).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/disabled/) })
    // The sweep over accounts with recent intents skips the disabled one and finds nothing foreign on the other.
    expect(await scan.scanAll()).toEqual({ scanned: 1, foreign: 0, failed: 0 })
  }, 60_000)
})
