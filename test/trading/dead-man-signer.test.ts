import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startBinanceUsdmEmulator, type BinanceUsdmEmulator } from '../emulator/binance-usdm-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import type { RequestLogEntry } from '../emulator/emulator-server.js'
import { encodeCredentialFields } from '../../src/crypto/sealing.js'
import { schema } from '../../src/db/index.js'
import { catalogueEntry } from '../../src/exchanges/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { newId } from '../../src/lib/ids.js'
import { createAlerts, createAuditChain } from '../../src/monitoring/index.js'
import { createExecutor } from '../../src/signer/executor.js'
import { createRateBudget } from '../../src/signer/rate-budget.js'
import { createExchangeTradingVenue, createOrderJournal } from '../../src/trading/journal/index.js'
import { signalBotMachine, smartTradeMachine } from '../../src/trading/machines/index.js'
import { createRiskGuard } from '../../src/trading/risk/index.js'
import { createBotRuntime, type BotRuntime, type Timers } from '../../src/trading/runtime/index.js'
import type { SmartTradeConfig } from '../../src/trading/trading-api-types.js'
import type { PriceSource, VenueResolver } from '../../src/trading/trading-types.js'
import { decodeCredentials } from '../../src/vault/index.js'

/**
 * The dead-man switch end to end: the bot runtime with the real Smart Trade machine, the order journal,
 * and a Binance USDⓈ-M account whose venue calls run in the signer's executor (policy, real ccxt)
 * against the USDⓈ-M emulator. The signer harness (test/support/signer-harness.ts) starts the spot
 * family only, so the executor stands here without the vault and the signer's socket.
 */

const manualTimers: Timers = { setTimeout: () => 0, clearTimeout: () => {} }
/** No price feed: the trade rests on its limit entry, which is what the switch is about. */
const noPrices: PriceSource = { subscribe: () => () => {}, subscribeCandles: () => () => {}, last: () => null }
const BTC = 'BTC/USDT:USDT'

describe.each(backends)('the dead-man switch of a Binance USDⓈ-M account on %s', (kind) => {
  let database: TestDatabase
  let emulator: BinanceUsdmEmulator
  const clock = createManualClock(Date.now())
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const accountId = newId()
  const workspaceId = newId()
  const runtimes: BotRuntime[] = []
  let venues: VenueResolver

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    emulator = await startBinanceUsdmEmulator({ accounts: [{ ...key, ipRestrict: true, ipWhitelist: ['127.0.0.1'], futuresBalance: '10000' }] })
    const executor = createExecutor({ endpoints: { binanceusdm: emulator.url }, budget: createRateBudget(), onRefusal: () => {} })
    const entry = catalogueEntry('binanceusdm')!
    venues = async (ws, account) =>
      createExchangeTradingVenue({
        account,
        workspaceId: ws,
        keyId: 'key-usdm',
        entry,
        execute: (_ws, keyId, method, args) => executor.run(keyId, 'binanceusdm', decodeCredentials(encodeCredentialFields(key)), method as 'fetchBalance', args),
      })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: 'desk', createdAt: clock.now() })
  }, 120_000)
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop()
    await emulator.close()
    await database.dispose()
  })

  const runtime = () => {
    const { db } = database
    const alerts = createAlerts({ db, clock })
    const rt = createBotRuntime({
      db,
      clock,
      instanceId: `dm-${kind}-${runtimes.length}`,
      machines: { smart_trade: smartTradeMachine, signal_bot: signalBotMachine },
      journal: createOrderJournal({ db, clock, venues, alerts }),
      risk: createRiskGuard({ db, clock }),
      venues,
      prices: noPrices,
      alerts,
      audit: createAuditChain({ db, clock }),
      timers: manualTimers,
    })
    runtimes.push(rt)
    return rt
  }

  const limitLong: SmartTradeConfig = {
    symbol: BTC, direction: 'long', amount: '0.01', entry: { type: 'limit', price: '49000' },
    takeProfit: { targets: [{ price: '52000', sharePercent: '100' }] }, stopLoss: { price: '48000' },
  }
  const smartTrade = async () => {
    const id = newId()
    await database.db.insert(schema.bots).values({ id, workspaceId, kind: 'smart_trade', name: `trade ${id.slice(-4)}`, accountKind: 'exchange', accountId, config: limitLong, state: {}, status: 'draft', createdAt: clock.now(), updatedAt: clock.now() })
    return id
  }
  const row = async (id: string) => (await database.db.select().from(schema.bots).where(eq(schema.bots.id, id)))[0]!
  const countdowns = () => emulator.requests.filter((r): r is RequestLogEntry => r.path === '/fapi/v1/countdownCancelAll').map((r) => `${r.params.symbol} ${r.params.countdownTime} ${r.status}`)
  const openOrders = () => emulator.account(key.apiKey).futures.orders.filter((o) => o.status === 'NEW')
  /** One round of the runtime's periodic work, 20 s on (the switch's period). */
  const round = async (rt: BotRuntime) => {
    clock.advance(20_000)
    await rt.tick()
    await rt.idle()
  }

  it('arms it while the trade rests on the venue with a stop the platform triggers, re-arms it, and stops it when the trade is gone', async () => {
    const rt = runtime()
    await rt.start()
    const id = await smartTrade()
    await rt.startBot(id)
    expect(openOrders().map((o) => [o.symbol, o.side, o.price])).toEqual([['BTCUSDT', 'BUY', '49000']])
    expect(rt.liveOf(await row(id))).toMatchObject({ phase: 'entering', stopPlacement: 'platform' })
    expect(countdowns()).toEqual([])

    await round(rt)
    expect(countdowns()).toEqual(['BTCUSDT 60000 200'])
    expect(rt.liveOf(await row(id))).toMatchObject({ deadManSwitch: { armed: true, until: new Date(clock.now().getTime() + 60_000).toISOString() } })
    await round(rt)
    expect(countdowns()).toEqual(['BTCUSDT 60000 200', 'BTCUSDT 60000 200'])

    await rt.deliver(id, { type: 'command', command: 'cancel', time: clock.now().getTime() })
    expect((await row(id)).status).toBe('stopped') // cancelled by the user
    expect(openOrders()).toEqual([])
    await round(rt)
    expect(countdowns().at(-1)).toBe('BTCUSDT 0 200')
    expect(emulator.account(key.apiKey).futures.countdowns.size).toBe(0)
    await round(rt)
    expect(countdowns()).toHaveLength(3) // nothing more to stop
    await rt.stop()
  })

  it('leaves it armed when the platform goes away, so the venue cancels the unwatched entry once the countdown ends', async () => {
    emulator.clearRequests()
    const rt = runtime()
    await rt.start()
    const id = await smartTrade()
    await rt.startBot(id)
    await round(rt)
    expect(countdowns()).toEqual(['BTCUSDT 60000 200'])
    const entry = openOrders()
    expect(entry).toHaveLength(1)

    await rt.stop() // the api process goes down; nobody re-arms the switch
    expect(countdowns()).toHaveLength(1)
    emulator.setClockOffset(50_000)
    expect(emulator.runCountdowns()).toBe(0)
    emulator.setClockOffset(61_000)
    expect(emulator.runCountdowns()).toBe(1) // 60 s after the last call: the entry is cancelled at the venue
    emulator.setClockOffset(0)
    expect(emulator.account(key.apiKey).futures.orders.find((o) => o.orderId === entry[0]!.orderId)?.status).toBe('CANCELED')
  })
})
