import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { createManualClock } from '../../lib/clock.js'
import { newId } from '../../lib/ids.js'
import { schema, type IntentState } from '../../db/index.js'
import type { RiskLimits } from '../trading-api-types.js'
import type { AccountRef, OrderPurpose, PlaceOrder } from '../trading-types.js'
import { createRiskGuard, ORDER_RATE_BASELINE_MULTIPLE, ORDER_RATE_FLOOR_PER_MINUTE, type RiskCheckInput } from './risk-guard.js'
import { createRiskStore, effectiveLimits } from './risk-store.js'

type IntentRow = {
  botId: string | null
  symbol?: string
  side: 'buy' | 'sell'
  amount: string
  filled?: string
  average?: string | null
  fee?: string | null
  state?: IntentState
  purpose?: OrderPurpose
  /** When it was sent and last updated. */
  at: string
}

describe.each(backends)('risk guard on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-03-10T12:00:00Z')

  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  /** A workspace with one demo account and two bots on it; every test gets its own. */
  const setup = async () => {
    const { db } = database
    const workspaceId = newId()
    const account: AccountRef = { kind: 'demo', id: newId() }
    const now = clock.now()
    await db.insert(schema.workspaces).values({ id: workspaceId, name: 'w', createdAt: now })
    await db.insert(schema.demoAccounts).values({ id: account.id, workspaceId, name: 'Demo', kind: 'futures', createdAt: now })
    const bot = async () => {
      const id = newId()
      await db.insert(schema.bots).values({ id, workspaceId, kind: 'signal_bot', name: 'b', accountKind: account.kind, accountId: account.id, config: {}, state: {}, status: 'running', createdAt: now, updatedAt: now })
      return id
    }
    const botA = await bot()
    const botB = await bot()
    let n = 0
    const intent = async (r: IntentRow) => {
      n += 1
      const at = new Date(r.at)
      await db.insert(schema.orderIntents).values({
        id: newId(),
        workspaceId,
        botId: r.botId,
        intentKey: `k${n}`,
        accountKind: account.kind,
        accountId: account.id,
        venue: 'demo-futures',
        symbol: r.symbol ?? 'BTC/USDT',
        side: r.side,
        type: 'market',
        amount: r.amount,
        purpose: r.purpose ?? 'entry',
        clientOrderId: `c${n}-${workspaceId.slice(0, 8)}`,
        state: r.state ?? 'filled',
        filled: r.filled ?? (r.state === undefined || r.state === 'filled' ? r.amount : '0'),
        average: r.average ?? null,
        fee: r.fee ?? null,
        feeCurrency: r.fee == null ? null : 'USDT',
        createdAt: at,
        sentAt: at,
        updatedAt: at,
      })
    }
    const store = createRiskStore({ db, clock })
    const guard = createRiskGuard({ db, clock })
    const setAccountLimits = (limits: RiskLimits) => store.setAccountLimits({ workspaceId, account, limits, updatedBy: null })
    /** An entry of bot A, market, at a last price of 50,000, unless told otherwise. */
    const check = (order: Partial<PlaceOrder>, more: Partial<RiskCheckInput> = {}) =>
      guard.check({
        workspaceId,
        botId: botA,
        account,
        order: { symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.01', ...order },
        purpose: 'entry',
        lastPrice: '50000',
        ...more,
      })
    return { workspaceId, account, botA, botB, intent, store, guard, setAccountLimits, check }
  }

  const refused = (limit: string, pauseBot = false) => ({ ok: false, limit, pauseBot })

  describe('account limits', () => {
    it('stores, validates and scopes an account’s limits', async () => {
      const { workspaceId, account, store, setAccountLimits } = await setup()
      expect(await store.getAccountLimits(workspaceId, account)).toEqual({})
      await setAccountLimits({ maxOrderNotional: '1000', maxOpenOrders: 5 })
      expect(await store.getAccountLimits(workspaceId, account)).toEqual({ maxOrderNotional: '1000', maxOpenOrders: 5 })
      await expect(setAccountLimits({ maxOrderNotional: '-1' } as RiskLimits)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('maxOrderNotional') })
      await expect(setAccountLimits({ maxLeverage: 10 } as RiskLimits)).rejects.toMatchObject({ code: 'BAD_INPUT' })
      const other = await setup()
      await expect(other.store.setAccountLimits({ workspaceId: other.workspaceId, account, limits: {}, updatedBy: null })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect(await other.store.getAccountLimits(other.workspaceId, account)).toEqual({})
    })

    it('takes the stricter of the account’s and the bot’s limit, field by field', () => {
      expect(
        effectiveLimits(
          { maxOrderNotional: '500', maxPositionNotional: '9000', maxOpenOrders: 4, cooldownAfterStopLossSeconds: 60, priceBandPercent: '5' },
          { maxOrderNotional: '1000', maxPositionNotional: '2000', maxOpenOrders: 10, maxDailyLoss: '100', cooldownAfterStopLossSeconds: 600, priceBandPercent: '2.5' },
        ),
      ).toEqual({ maxOrderNotional: '500', maxPositionNotional: '2000', maxOpenOrders: 4, maxDailyLoss: '100', cooldownAfterStopLossSeconds: 600, priceBandPercent: '2.5' })
      expect(effectiveLimits({ maxOrderNotional: '99.5' }, undefined)).toEqual({ maxOrderNotional: '99.5' })
    })
  })

  describe('max order notional', () => {
    it('allows an order at the limit and refuses one above it, pausing the bot', async () => {
      const { check } = await setup()
      const botLimits = { maxOrderNotional: '1000' }
      // 0.02 × 50,000 = 1,000: at the limit
      expect(await check({ amount: '0.02' }, { botLimits })).toEqual({ ok: true })
      // 0.025 × 50,000 = 1,250
      expect(await check({ amount: '0.025' }, { botLimits })).toEqual({ ...refused('maxOrderNotional', true), message: "order of 1,250.00 USDT is above this bot's max order of 1,000 USDT" })
      // a limit order counts at its own price: 0.025 × 40,000 = 1,000
      expect(await check({ amount: '0.025', type: 'limit', price: '40000' }, { botLimits })).toEqual({ ok: true })
    })

    it('applies the account’s limit when it is the stricter one', async () => {
      const { check, setAccountLimits } = await setup()
      await setAccountLimits({ maxOrderNotional: '500' })
      // 0.012 × 50,000 = 600: within the bot's 1,000 but above the account's 500
      expect(await check({ amount: '0.012' }, { botLimits: { maxOrderNotional: '1000' } })).toMatchObject({ ...refused('maxOrderNotional', true), message: expect.stringContaining("this account's max order of 500 USDT") })
      // 0.009 × 50,000 = 450: within the account's 500, above the bot's 400
      expect(await check({ amount: '0.009' }, { botLimits: { maxOrderNotional: '400' } })).toMatchObject({ message: expect.stringContaining("this bot's max order of 400 USDT") })
      expect(await check({ amount: '0.008' }, { botLimits: { maxOrderNotional: '400' } })).toEqual({ ok: true })
    })
  })

  describe('max position', () => {
    it('counts the position after the order, open entries included, for the bot', async () => {
      const { check, intent, botA } = await setup()
      await intent({ botId: botA, side: 'buy', amount: '0.03', average: '50000', at: '2026-03-10T09:00:00Z' })
      const botLimits = { maxPositionNotional: '2000' }
      // (0.03 + 0.01) × 50,000 = 2,000: at the limit
      expect(await check({ amount: '0.01' }, { botLimits })).toEqual({ ok: true })
      // (0.03 + 0.011) × 50,000 = 2,050
      expect(await check({ amount: '0.011' }, { botLimits })).toMatchObject({
        ...refused('maxPositionNotional'),
        message: "position of 2,050.00 USDT in BTC/USDT after this order (open orders included) would be above this bot's max position of 2,000 USDT",
      })
      // an open entry of 0.005 would fill too: (0.03 + 0.005 + 0.01) × 50,000 = 2,250
      await intent({ botId: botA, side: 'buy', amount: '0.005', state: 'acknowledged', at: '2026-03-10T10:00:00Z' })
      expect(await check({ amount: '0.01' }, { botLimits })).toMatchObject(refused('maxPositionNotional'))
      // an entry on the other side makes the position smaller: allowed however large the position is
      expect(await check({ amount: '0.02', side: 'sell' }, { botLimits })).toEqual({ ok: true })
    })

    it('counts every bot on the account against the account’s limit', async () => {
      const { check, intent, botB, setAccountLimits } = await setup()
      await setAccountLimits({ maxPositionNotional: '3000' })
      await intent({ botId: botB, side: 'buy', amount: '0.05', average: '48000', at: '2026-03-10T09:00:00Z' })
      // account: (0.05 + 0.01) × 50,000 = 3,000
      expect(await check({ amount: '0.01' })).toEqual({ ok: true })
      expect(await check({ amount: '0.011' })).toMatchObject({ ...refused('maxPositionNotional'), message: expect.stringContaining("this account's max position of 3,000 USDT") })
    })
  })

  describe('max open orders', () => {
    it('counts the bot’s open orders, unknown ones included', async () => {
      const { check, intent, botA, botB } = await setup()
      const botLimits = { maxOpenOrders: 2 }
      await intent({ botId: botA, side: 'buy', amount: '0.01', state: 'acknowledged', at: '2026-03-10T09:00:00Z' })
      await intent({ botId: botA, side: 'buy', amount: '0.01', state: 'cancelled', at: '2026-03-10T09:00:00Z' })
      await intent({ botId: botB, side: 'buy', amount: '0.01', state: 'sent', at: '2026-03-10T09:00:00Z' })
      // one open of its own: a second is within 2
      expect(await check({}, { botLimits })).toEqual({ ok: true })
      await intent({ botId: botA, side: 'buy', amount: '0.01', state: 'unknown', at: '2026-03-10T09:00:00Z' })
      expect(await check({}, { botLimits })).toEqual({ ...refused('maxOpenOrders'), message: "this bot has 2 open orders; this bot's max of 2 open orders leaves no room for another" })
    })

    it('counts all the account’s open orders against the account’s limit', async () => {
      const { check, intent, botB, setAccountLimits } = await setup()
      await setAccountLimits({ maxOpenOrders: 3 })
      for (const state of ['intent', 'partially_filled'] as const) await intent({ botId: botB, side: 'buy', amount: '0.01', filled: '0', state, at: '2026-03-10T09:00:00Z' })
      expect(await check({})).toEqual({ ok: true })
      await intent({ botId: null, side: 'sell', amount: '1', state: 'acknowledged', at: '2026-03-10T09:00:00Z' })
      expect(await check({})).toMatchObject({ ...refused('maxOpenOrders'), message: expect.stringContaining("this account's max of 3") })
    })
  })

  describe('max daily loss', () => {
    it('adds today’s realized and the open position’s unrealized, and stops the bot above the limit', async () => {
      const { check, intent, botA, guard, workspaceId, account } = await setup()
      // yesterday's loss does not count today: 1 × (500 − 1,000) = −500
      await intent({ botId: botA, side: 'buy', amount: '1', average: '1000', at: '2026-03-09T09:00:00Z' })
      await intent({ botId: botA, side: 'sell', amount: '1', average: '500', purpose: 'stop_loss', at: '2026-03-09T10:00:00Z' })
      // today: 0.5 × (900 − 1,000) = −50 realized, fees 0.5 + 0.45 → −50.95; 0.5 left at 1,000
      await intent({ botId: botA, symbol: 'ETH/USDT', side: 'buy', amount: '1', average: '1000', fee: '0.5', at: '2026-03-10T09:00:00Z' })
      await intent({ botId: botA, symbol: 'ETH/USDT', side: 'sell', amount: '0.5', average: '900', fee: '0.45', purpose: 'take_profit', at: '2026-03-10T10:00:00Z' })
      const botLimits = { maxDailyLoss: '100' }
      const eth = (price: string) => ({ botLimits, lastPriceOf: (s: string) => (s === 'ETH/USDT' ? price : null) })
      // at 901.90: 0.5 × (901.9 − 1,000) = −49.05 → −50.95 − 49.05 = −100: at the limit
      expect(await check({}, eth('901.9'))).toEqual({ ok: true })
      // at 901.88: −49.06 → −100.01
      expect(await check({}, eth('901.88'))).toEqual({
        ...refused('maxDailyLoss', true),
        message: "today's loss of 100.01 USDT on this bot (realized -50.95, unrealized -49.06) is above this bot's max daily loss of 100 USDT: no new entries today",
      })
      const breached = (price: string) => guard.dailyLossBreached({ workspaceId, botId: botA, account, botLimits, lastPrice: (s) => (s === 'ETH/USDT' ? price : null) })
      expect(await breached('901.9')).toBe(false)
      expect(await breached('901.88')).toBe(true)
      // the next day only the open position's loss counts: 0.5 × (901.88 − 1,000) = −49.06
      clock.set('2026-03-11T00:00:00Z')
      try {
        expect(await check({}, eth('901.88'))).toEqual({ ok: true })
      } finally {
        clock.set('2026-03-10T12:00:00Z')
      }
    })

    it('stops a bot when the account as a whole lost more than the account allows', async () => {
      const { check, intent, botB, setAccountLimits, guard, workspaceId, account, botA } = await setup()
      await setAccountLimits({ maxDailyLoss: '150' })
      // bot B: 1 × (800 − 1,000) = −200 today; bot A lost nothing
      await intent({ botId: botB, side: 'buy', amount: '1', average: '1000', at: '2026-03-10T09:00:00Z' })
      await intent({ botId: botB, side: 'sell', amount: '1', average: '800', at: '2026-03-10T10:00:00Z' })
      expect(await check({})).toMatchObject({ ...refused('maxDailyLoss', true), message: expect.stringContaining("loss of 200.00 USDT on this account") })
      expect(await guard.dailyLossBreached({ workspaceId, botId: botA, account, lastPrice: () => null })).toBe(true)
    })
  })

  describe('cooldown after a stop-loss', () => {
    it('refuses entries until the cooldown has passed since the last stop-loss fill', async () => {
      const { check, intent, botA } = await setup()
      const botLimits = { cooldownAfterStopLossSeconds: 600 }
      await intent({ botId: botA, side: 'buy', amount: '0.01', average: '50000', at: '2026-03-10T11:00:00Z' })
      await intent({ botId: botA, side: 'sell', amount: '0.01', average: '49000', purpose: 'stop_loss', at: '2026-03-10T11:55:00Z' })
      // 11:55 + 600 s = 12:05
      expect(await check({}, { botLimits })).toEqual({ ...refused('cooldownAfterStopLossSeconds'), message: "no new entry until 2026-03-10T12:05:00.000Z: this bot's cooldown of 600 s after a stop-loss" })
      // the caller may say when the last stop-loss was
      expect(await check({}, { botLimits, lastStopLossAt: null })).toEqual({ ok: true })
      expect(await check({}, { botLimits, lastStopLossAt: Date.parse('2026-03-10T11:59:00Z') })).toMatchObject(refused('cooldownAfterStopLossSeconds'))
      clock.set('2026-03-10T12:05:00Z')
      try {
        expect(await check({}, { botLimits })).toEqual({ ok: true })
      } finally {
        clock.set('2026-03-10T12:00:00Z')
      }
    })
  })

  describe('fat-finger price band', () => {
    it('refuses an entry price further than the band from the last price, on either side', async () => {
      const { check } = await setup()
      const botLimits = { priceBandPercent: '5' }
      const limit = (price: string) => check({ type: 'limit', price }, { botLimits })
      // 50,000 ± 5 % = 47,500 … 52,500
      expect(await limit('52500')).toEqual({ ok: true })
      expect(await limit('47500')).toEqual({ ok: true })
      expect(await limit('52501')).toMatchObject(refused('priceBandPercent'))
      expect(await limit('47499')).toEqual({
        ...refused('priceBandPercent'),
        message: "limit price 47,499 is 5.00 % from the last price 50,000 of BTC/USDT, outside this bot's price band of 5 %",
      })
      // a typo'd stop price is caught the same way: 55,000 is 10 % away
      expect(await check({ type: 'stop_market', stopPrice: '55000' }, { botLimits })).toMatchObject({ ...refused('priceBandPercent'), message: expect.stringContaining('stop price 55,000 is 10.00 %') })
      // a market order has no price to get wrong
      expect(await check({}, { botLimits })).toEqual({ ok: true })
    })

    it('checks a limit exit only on the side that would give the position away', async () => {
      const { check } = await setup()
      const botLimits = { priceBandPercent: '5' }
      const exit = (order: Partial<PlaceOrder>, purpose: OrderPurpose) => check({ side: 'sell', ...order }, { botLimits, purpose })
      // selling 10 % below the market
      expect(await exit({ type: 'limit', price: '45000' }, 'take_profit')).toMatchObject(refused('priceBandPercent'))
      // a take-profit resting 20 % above it, a protective stop 20 % below it, a market close
      expect(await exit({ type: 'limit', price: '60000' }, 'take_profit')).toEqual({ ok: true })
      expect(await exit({ type: 'stop_market', stopPrice: '40000' }, 'stop_loss')).toEqual({ ok: true })
      expect(await exit({}, 'close')).toEqual({ ok: true })
    })
  })

  describe('no last price', () => {
    it('refuses an entry a limit cannot value, and lets exits through', async () => {
      const { check } = await setup()
      const noPrice = { lastPrice: null }
      expect(await check({}, { ...noPrice, botLimits: { maxOrderNotional: '1000' } })).toMatchObject(refused('noPrice'))
      // a limit order is valued at its own price
      expect(await check({ type: 'limit', price: '50000' }, { ...noPrice, botLimits: { maxOrderNotional: '1000' } })).toEqual({ ok: true })
      expect(await check({ type: 'limit', price: '50000' }, { ...noPrice, botLimits: { priceBandPercent: '5' } })).toMatchObject(refused('noPrice'))
      // no limit that needs a price: nothing to refuse
      expect(await check({}, noPrice)).toEqual({ ok: true })
      expect(await check({ side: 'sell', type: 'limit', price: '1' }, { ...noPrice, purpose: 'close', botLimits: { maxOrderNotional: '1', priceBandPercent: '1' } })).toEqual({ ok: true })
    })
  })

  describe('symbols outside the bot’s list (SECURITY.md R18)', () => {
    it('refuses the order and pauses the bot', async () => {
      const { check } = await setup()
      expect(await check({ symbol: 'SHIB/USDT' }, { botSymbols: ['BTC/USDT', 'ETH/USDT'] })).toEqual({
        ...refused('symbol', true),
        message: "an order on SHIB/USDT is outside this bot's symbols (BTC/USDT, ETH/USDT): refused, and the bot is paused",
      })
      expect(await check({}, { botSymbols: ['BTC/USDT', 'ETH/USDT'] })).toEqual({ ok: true })
      // an "exit" with no position of the bot to reduce is no exit
      expect(await check({ symbol: 'SHIB/USDT', side: 'sell' }, { botSymbols: ['BTC/USDT'], purpose: 'close' })).toMatchObject(refused('symbol', true))
    })

    it('lets the bot close a position on a symbol removed from its list', async () => {
      const { check, intent, botA } = await setup()
      await intent({ botId: botA, symbol: 'SOL/USDT', side: 'buy', amount: '3', average: '150', at: '2026-03-10T09:00:00Z' })
      expect(await check({ symbol: 'SOL/USDT', side: 'sell', amount: '3' }, { botSymbols: ['BTC/USDT'], purpose: 'close', lastPrice: '150' })).toEqual({ ok: true })
      // buying more of it is an entry, and refused
      expect(await check({ symbol: 'SOL/USDT', side: 'buy', amount: '1' }, { botSymbols: ['BTC/USDT'], purpose: 'close', lastPrice: '150' })).toMatchObject(refused('symbol', true))
    })
  })

  describe('order rate against the bot’s baseline (SECURITY.md R18)', () => {
    it('pauses a bot that bursts above the floor; exits still pass', async () => {
      const { check, intent, botA } = await setup()
      // 19 orders in the last minute (cancelled ones count: attempts are what a runaway bot makes)
      for (let i = 0; i < ORDER_RATE_FLOOR_PER_MINUTE - 1; i++) await intent({ botId: botA, side: 'buy', amount: '0.001', state: 'cancelled', filled: '0', at: '2026-03-10T11:59:30Z' })
      expect(await check({})).toEqual({ ok: true })
      await intent({ botId: botA, side: 'buy', amount: '0.001', state: 'cancelled', filled: '0', at: '2026-03-10T11:59:40Z' })
      expect(await check({})).toMatchObject(refused('orderRate', true))
      expect(await check({ side: 'sell', amount: '0.001' }, { purpose: 'close' })).toEqual({ ok: true })
      // another bot on the account has its own rate
      expect(await check({}, { botId: (await setup()).botB })).toEqual({ ok: true })
    })

    it('lets a bot that always trades fast keep its pace: the allowance is a multiple of its baseline', async () => {
      const { check, intent, botA, workspaceId, account } = await setup()
      // 1,440 × 10 orders over the day before the last minute (one every 6 s): a baseline of 10 a minute → 50 allowed
      const perMinute = 10
      await database.db.execute(sql`
        insert into order_intents (id, workspace_id, bot_id, intent_key, account_kind, account_id, venue, symbol, side, type, amount, purpose, client_order_id, state, filled, created_at, sent_at, updated_at)
        select gen_random_uuid(), ${workspaceId}, ${botA}, 'base' || g, ${account.kind}, ${account.id}, 'demo-futures', 'BTC/USDT', 'buy', 'market', '0.001', 'entry', 'b' || g || ${workspaceId.slice(0, 8)}, 'cancelled', '0', ts, ts, ts
          from generate_series(0, ${1_440 * perMinute - 1}) g, lateral (select '2026-03-10T11:59:00Z'::timestamptz - (g + 1) * interval '6 seconds' as ts) t`)
      for (let i = 0; i < 30; i++) await intent({ botId: botA, side: 'buy', amount: '0.001', state: 'cancelled', filled: '0', at: '2026-03-10T11:59:30Z' })
      expect(await check({})).toEqual({ ok: true }) // 30 < 5 × 10
      for (let i = 0; i < perMinute * ORDER_RATE_BASELINE_MULTIPLE - 30; i++) await intent({ botId: botA, side: 'buy', amount: '0.001', state: 'cancelled', filled: '0', at: '2026-03-10T11:59:31Z' })
      expect(await check({})).toMatchObject(refused('orderRate', true)) // 50 ≥ 50
    })
  })

  describe('exits', () => {
    it('are never blocked by size, count, daily loss or cooldown', async () => {
      const { check, intent, botA, setAccountLimits } = await setup()
      await setAccountLimits({ maxOrderNotional: '1', maxPositionNotional: '1', maxOpenOrders: 1, maxDailyLoss: '1', cooldownAfterStopLossSeconds: 86_400 })
      // a large long, losing today, with a stop-loss just filled and an order open
      await intent({ botId: botA, side: 'buy', amount: '2', average: '60000', at: '2026-03-10T09:00:00Z' })
      await intent({ botId: botA, side: 'sell', amount: '1', average: '55000', purpose: 'stop_loss', at: '2026-03-10T11:59:00Z' })
      await intent({ botId: botA, side: 'sell', amount: '1', state: 'acknowledged', purpose: 'take_profit', at: '2026-03-10T11:59:30Z' })
      expect(await check({})).toMatchObject({ ok: false })
      for (const purpose of ['take_profit', 'stop_loss', 'trailing_take_profit', 'close'] as const) {
        expect(await check({ side: 'sell', amount: '1' }, { purpose })).toEqual({ ok: true })
      }
      expect(await check({ side: 'sell', amount: '1', reduceOnly: true }, { purpose: 'manual' })).toEqual({ ok: true })
      // a manual order without reduce-only is an entry
      expect(await check({ side: 'sell', amount: '1' }, { purpose: 'manual' })).toMatchObject({ ok: false })
    })
  })
})
