import type { Db } from '../db/index.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import { createBotService } from './bot-service.js'
import { createIdempotency } from './idempotency.js'
import { createForeignOrderScan, createOrderJournal } from './journal/index.js'
import { signalBotMachine, smartTradeMachine } from './machines/index.js'
import { createPromotion } from './promotion.js'
import { createRiskGuard, createRiskStore } from './risk/index.js'
import { createBotRuntime, type Timers } from './runtime/index.js'
import { createSignalIngress } from './signals/index.js'
import { createTradingAccounts } from './trading-accounts.js'
import { createTradingControls } from './trading-controls.js'
import type { PriceSource, VenueResolver } from './trading-types.js'

export type TradingDeps = {
  db: Db
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  audit: Pick<AuditChain, 'append'>
  alerts: Pick<Alerts, 'raise'>
  venues: VenueResolver
  prices: PriceSource
  /** Disables an exchange account's key through the signer (foreign orders found). */
  disableAccount: (workspaceId: string, exchangeAccountId: string, reason: string) => Promise<void>
  webhookKey: Uint8Array
  publicOrigin: string
  /** This api instance's runtime id (bot leases, heartbeat). */
  instanceId: string
  runtime?: { leaseMs?: number; heartbeatMs?: number; pollMs?: number; resolveEveryMs?: number; timers?: Timers }
  journal?: { resolveAfterMs?: number }
  /** How often foreign-order detection compares each traded exchange account with the journal (default 60 s; 0: never). */
  foreignScanEveryMs?: number
}

/**
 * The trading module, composed: the order journal, the risk guard, the bot runtime (with both machines),
 * the signal ingress and the services the API calls. `start` claims and resumes bots; `stop` hands their
 * leases back.
 */
export const createTrading = (deps: TradingDeps) => {
  const { db, clock, logger, audit, alerts, venues, prices } = deps
  const journal = createOrderJournal({ db, clock, venues, alerts, logger, ...(deps.journal ?? {}) })
  const riskGuard = createRiskGuard({ db, clock })
  const riskStore = createRiskStore({ db, clock })
  const runtime = createBotRuntime({
    db,
    clock,
    instanceId: deps.instanceId,
    machines: { smart_trade: smartTradeMachine, signal_bot: signalBotMachine },
    journal,
    risk: riskGuard,
    venues,
    prices,
    alerts,
    audit,
    logger,
    ...(deps.runtime ?? {}),
  })
  const accounts = createTradingAccounts({ db })
  const idempotency = createIdempotency({ db, clock })
  const bots = createBotService({ db, clock, audit, accounts, runtime, journal, prices, idempotency, webhookKey: deps.webhookKey, publicOrigin: deps.publicOrigin })
  const promotion = createPromotion({ db, clock, audit, accounts, bots, journal })
  const controls = createTradingControls({ db, clock, audit, accounts, risk: riskStore, runtime })
  const ingress = createSignalIngress({
    db,
    clock,
    webhookKey: deps.webhookKey,
    alerts,
    logger,
    deliver: async (bot, signal) => {
      await runtime.deliver(bot.id, { type: 'signal', signal, time: clock.now().getTime() })
    },
    pause: async (bot, reason) => {
      await runtime.pauseBot(bot.id, reason)
    },
  })
  const foreignOrders = createForeignOrderScan({ db, clock, venues, disableAccount: deps.disableAccount, alerts, audit, logger })

  let scanTimer: NodeJS.Timeout | undefined
  let purgeTimer: NodeJS.Timeout | undefined
  let scanning: Promise<unknown> | undefined
  const start = async () => {
    await runtime.start()
    purgeTimer = setInterval(() => void idempotency.purge().catch((err: unknown) => logger.warn({ err }, 'idempotency key purge failed')), 3_600_000)
    purgeTimer.unref()
    const every = deps.foreignScanEveryMs ?? 60_000
    if (every > 0) {
      scanTimer = setInterval(() => {
        scanning ??= foreignOrders
          .scanAll()
          .catch((err: unknown) => logger.warn({ err }, 'foreign-order scan failed'))
          .finally(() => (scanning = undefined))
      }, every)
      scanTimer.unref()
    }
  }
  const stop = async () => {
    clearInterval(scanTimer)
    clearInterval(purgeTimer)
    await scanning
    await runtime.stop()
  }

  return { accounts, bots, promotion, controls, ingress, journal, runtime, foreignOrders, riskStore, idempotency, start, stop }
}
export type Trading = ReturnType<typeof createTrading>
/** What the HTTP routes use. */
export type TradingService = Pick<Trading, 'accounts' | 'bots' | 'promotion' | 'controls'>
