import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { and, eq, inArray } from 'drizzle-orm'
import { randomApiKey, randomHmacSecret } from '../test/emulator/emulator-fixtures.js'
import { systemClock } from '../src/lib/clock.js'
import { newId } from '../src/lib/ids.js'
import { AppError } from '../src/lib/errors.js'
import { schema } from '../src/db/index.js'
import { createAccounts } from '../src/auth/index.js'
import { insertUserWithWorkspace } from '../src/auth/workspace-store.js'
import { createAlerts, createAuditChain, createOutbox, createWorkspaceSettings } from '../src/monitoring/index.js'
import { createExchangeAccounts, createKeyRelay } from '../src/keys/index.js'
import { createIncidents } from '../src/incident/index.js'
import { openDumped, prepareDumps } from './bots-env.js'
import { startBenchSigner } from './bots-signer.js'

export type LockdownBench = {
  /** From the lockdown request until the signer refused every key (each polled with `execute`). */
  lockdownKeysMs: number
  /** From the lockdown request until the emulator showed no open order. */
  lockdownOrdersMs: number
  /** The lockdown call itself (keys disabled, workspace locked, bots stopped: what the answer waits for). */
  lockdownAnswerMs: number
  /** The one signer call of the keys step, as the api saw it (its share of `lockdownKeysMs`). */
  disableAllMs: number
  keys: number
  bots: number
  orders: number
  cancelled: number
  latencyMs: number
  weightLimitPerMinute: number
}

const KEYS = 20
const BOTS = 50
const ORDERS_PER_KEY = 10
const LATENCY_MS = 50
// Binance's spot limit per IP; the signer's shared budget (ccxt's model at 80 %, factor 1) is on as in production.
const WEIGHT_PER_MINUTE = 6_000
/** Between two probes of one key: the resolution of `lockdownKeysMs`, and a bound on the load the probes add. */
const POLL_MS = Number(process.env.BENCH_LOCKDOWN_POLL_MS ?? 20)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Lockdown of a workspace with 20 exchange keys, 50 running bots and 200 open orders (R19; part of
 * `npm run bench -- audit`): the real signer and ccxt against the Binance emulator with 50 ms latency and
 * its rate limits on, the api side on PGlite (or PostgreSQL with BENCH_BOTS_DATABASE_URL). The bots are
 * rows marked running (no runtime drives them: the lockdown's bot step is one kill switch and one UPDATE
 * either way). Every key is polled with a real `execute` until it is refused, and the emulator's books until
 * no order is open.
 */
export const runLockdownBench = async (): Promise<LockdownBench> => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-lockdown-'))
  const clock = systemClock
  const credentials = Array.from({ length: KEYS }, () => ({ apiKey: randomApiKey(), secret: randomHmacSecret() }))
  const dumps = await prepareDumps(dir)
  const signer = await startBenchSigner({
    clock,
    vaultDump: dumps.vault,
    dir,
    budgetFactor: 1,
    emulator: {
      accounts: credentials.map((c) => ({ ...c, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '100000' } })),
      prices: { BTCUSDT: '50000', ETHUSDT: '3000' },
      latencyMs: LATENCY_MS,
      weightLimitPerMinute: WEIGHT_PER_MINUTE,
    },
  })
  const api = await openDumped(dumps.api, dir, 'api')
  try {
    const db = api.db
    const audit = createAuditChain({ db, clock })
    const alerts = createAlerts({ db, clock })
    const outbox = createOutbox({ db, clock })
    const accounts = createAccounts({ db, clock, audit, alerts, mailer: outbox, csrfKey: randomBytes(32), totpSeedKey: randomBytes(32), publicOrigin: 'http://localhost:8080', host: '127.0.0.1', signupMode: 'auto' })
    const relay = createKeyRelay({ db, signer: signer.client, audit, alerts })
    const exchangeAccounts = createExchangeAccounts({ db, clock, relay, audit, mayConnect: async () => {} })
    const { userId, workspaceId: ws } = await db.transaction((tx) =>
      insertUserWithWorkspace(tx, { email: 'bench@example.com', displayName: 'Bench', passwordHash: null, isOperator: false, emailVerifiedAt: clock.now() }, 'Desk', clock.now()),
    )
    const actor = { type: 'user' as const, id: userId }

    const keyIds: string[] = []
    for (const [i, c] of credentials.entries()) keyIds.push((await exchangeAccounts.connect(actor, ws, { exchange: 'binance', label: `Key ${i + 1}`, envelope: await signer.seal(ws, c) })).keyId)
    const accountIds = (await db.select({ id: schema.exchangeAccounts.id }).from(schema.exchangeAccounts)).map((r) => r.id)
    const now = clock.now()
    await db.insert(schema.bots).values(
      Array.from({ length: BOTS }, (_, i) => ({
        id: newId(),
        workspaceId: ws,
        kind: 'signal_bot' as const,
        name: `Bot ${i + 1}`,
        accountKind: 'exchange' as const,
        accountId: accountIds[i % accountIds.length] as string,
        config: {},
        state: {},
        status: 'running' as const,
        createdAt: now,
        updatedAt: now,
      })),
    )
    for (const c of credentials)
      for (let i = 0; i < ORDERS_PER_KEY; i++)
        signer.emulator.placeForeignOrder(c.apiKey, { symbol: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: i % 2 === 0 ? '0.001' : '0.01', price: i % 2 === 0 ? String(40_000 + i) : String(2_000 + i) })
    const openOrders = () => credentials.reduce((n, c) => n + signer.emulator.account(c.apiKey).orders.filter((o) => o.status === 'NEW').length, 0)
    const orders = openOrders()
    signer.emulator.resetRateLimits()
    let started = performance.now()
    let disableAllMs = 0

    const incidents = createIncidents({
      db,
      clock,
      audit,
      alerts,
      outbox,
      accounts,
      settings: createWorkspaceSettings({ db, clock }),
      keys: {
        ...relay,
        disableAll: async (...args: Parameters<typeof relay.disableAll>) => {
          const t0 = performance.now()
          const r = await relay.disableAll(...args)
          disableAllMs = performance.now() - t0
          return r
        },
      },
      exchangeAccounts,
      coolingOffSeconds: 0,
      trading: {
        lockdownBots: async (workspaceId, reason) => {
          // The same two statements trading's controls run (no runtime here to detach bots from).
          const inserted = await db.insert(schema.tradingHalts).values({ workspaceId, haltedAt: clock.now(), haltedBy: null, reason }).onConflictDoNothing().returning()
          const stopped = await db.update(schema.bots).set({ status: 'stopped', statusReason: `lockdown: ${reason}`, updatedAt: clock.now() }).where(eqWs(workspaceId)).returning({ id: schema.bots.id })
          return { stoppedBots: stopped.length, wasHalted: inserted.length === 0 }
        },
        openOrderSymbols: async () => [],
        liftLockdownHalt: async () => false,
      },
    })

    started = performance.now()
    const refusedAt = new Map<string, number>()
    // The probe is an order the key's own limits refuse before any I/O (a symbol outside its allowlist): an
    // active key answers KEY_LIMIT_EXCEEDED at once, a disabled one KEY_UNAVAILABLE. A probe that reached the
    // exchange would wait in the shared rate budget and measure the budget instead of the lockdown.
    const probe = { symbol: 'DOGE/USDT', type: 'market', side: 'buy', amount: '1' }
    const pollKey = async (keyId: string) => {
      for (;;) {
        try {
          await relay.execute(ws, keyId, 'createOrder', probe, actor)
          throw new Error('the probe order was accepted (bug in the bench)')
        } catch (err) {
          if (err instanceof AppError && err.code === 'KEY_UNAVAILABLE') {
            refusedAt.set(keyId, performance.now() - started)
            return
          }
          if (!(err instanceof AppError && err.code === 'KEY_LIMIT_EXCEEDED')) throw err
        }
        await sleep(POLL_MS)
      }
    }
    const lockdown = incidents.lockdown({ type: 'user', userId }, ws, { trigger: 'web', orders: 'cancel' }, { background: true })
    const polls = Promise.all(keyIds.map(pollKey))
    const answer = await lockdown
    const lockdownAnswerMs = performance.now() - started
    await polls
    while (openOrders() > 0) await sleep(2)
    const lockdownOrdersMs = performance.now() - started
    await incidents.idle()
    const detail = await incidents.get(ws, answer.incident.id)
    const cancelled = Number((detail.summary.orders as { cancelled?: number } | undefined)?.cancelled ?? 0)
    return {
      lockdownKeysMs: Math.round(Math.max(...refusedAt.values())),
      lockdownOrdersMs: Math.round(lockdownOrdersMs),
      lockdownAnswerMs: Math.round(lockdownAnswerMs),
      disableAllMs: Math.round(disableAllMs),
      keys: keyIds.length,
      bots: BOTS,
      orders,
      cancelled,
      latencyMs: LATENCY_MS,
      weightLimitPerMinute: WEIGHT_PER_MINUTE,
    }
  } finally {
    await api.close()
    await signer.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const eqWs = (workspaceId: string) => and(eq(schema.bots.workspaceId, workspaceId), inArray(schema.bots.status, ['running', 'paused']))

// `npx tsx bench/audit-lockdown.ts`: this part alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runLockdownBench()
  process.stdout.write(`lockdown: every key refused after ${r.lockdownKeysMs} ms (target ≤ 500 ms); all ${r.orders} orders cancelled after ${r.lockdownOrdersMs} ms\n`)
  process.stdout.write(`${JSON.stringify({ name: 'audit-lockdown', ...r })}\n`)
}
