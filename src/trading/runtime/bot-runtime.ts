import { hostname } from 'node:os'
import type { BotKind, BotStatus, Db } from '../../db/index.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts, AuditChain } from '../../monitoring/index.js'
import type { OrderJournal } from '../journal/index.js'
import type { RiskGuard } from '../risk/index.js'
import { createIndicatorSignal, recordSignal } from '../signals/index.js'
import type { SignalBotConfig } from '../trading-api-types.js'
import type { BotEvent, BotMachine, IntentView, PriceSource, VenueResolver } from '../trading-types.js'
import { createBotDriver, journalKeyPrefix, type LiveBot, type Work } from './bot-driver.js'
import { createBotQueue } from './bot-queue.js'
import { createBotStore, type BotRow } from './bot-store.js'
import { createDeadManSwitch, deadManNeedOf, DEAD_MAN_EVERY_MS } from './dead-man.js'
import { createHeartbeat } from './heartbeat.js'
import { createLeaseKeeper } from './lease.js'
import { createPriceHub } from './price-hub.js'
import { freshState, isRuntimeState } from './runtime-state.js'
import { createSchedule, realTimers, type Timers } from './schedule.js'
import type { WakeEntry } from './wake-heap.js'

/**
 * The bot runtime (README.md "runtime/"): runs in the api process on its one event loop, drives the bots
 * whose lease it holds, and gives them up the moment it cannot prove it still holds them. See
 * bot-driver.ts for what one event does, lease.ts for the lease rules, heartbeat.ts for stall reports.
 *
 * Time: schedule.ts (tests pass timers that never fire and call `tick()` after moving the clock).
 */

export type { Timers }

export type BotRuntimeDeps = {
  db: Db
  clock: Clock
  /** This runtime's id (lease owner, heartbeat row): unique per api instance and start. */
  instanceId: string
  host?: string
  machines: Record<BotKind, BotMachine<any, any>> // eslint-disable-line @typescript-eslint/no-explicit-any -- each kind has its own state and config
  journal: Pick<OrderJournal, 'place' | 'cancel' | 'refresh' | 'byKey' | 'resolveUnknown' | 'onChange'>
  risk: Pick<RiskGuard, 'check'>
  venues: VenueResolver
  prices: PriceSource
  alerts: Pick<Alerts, 'raise'>
  audit?: Pick<AuditChain, 'append'>
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  leaseMs?: number
  heartbeatMs?: number
  /** Open intents are read back from their venue this often. */
  pollMs?: number
  /** `unknown` intents are reconciled this often. */
  resolveEveryMs?: number
  /** Bots claimed per statement. */
  claimBatch?: number
  timers?: Timers
}

export type BotRunView = { id: string; status: BotStatus; statusReason: string | null; version: number }

const restartable: BotStatus[] = ['draft', 'paused', 'stopped', 'failed']

export const createBotRuntime = (deps: BotRuntimeDeps) => {
  const { db, clock, instanceId: owner, machines, journal, venues, alerts, audit, logger } = deps
  const leaseMs = deps.leaseMs ?? 15_000
  const heartbeatMs = deps.heartbeatMs ?? 5_000
  const pollMs = deps.pollMs ?? 2_000
  const claimBatch = deps.claimBatch ?? 500
  const store = createBotStore(db)
  const lease = createLeaseKeeper({ store, clock, owner, leaseMs })
  const heartbeat = createHeartbeat({ store, clock, alerts, logger, instanceId: owner, host: deps.host ?? hostname(), heartbeatMs })
  const hub = createPriceHub(deps.prices)
  const deadMan = createDeadManSwitch({ clock, venues, alerts, logger })
  const bots = new Map<string, LiveBot>()
  let isRunning = false
  let stopJournal: (() => void) | null = null

  // --- attaching and detaching bots ---

  const syncInterest = (bot: LiveBot) => {
    const wanted = new Set(bot.machine.interest(bot.saved.machine).symbols)
    for (const s of bot.symbols) if (!wanted.has(s)) hub.removePrice(bot.venue.venue, s, bot.id)
    for (const s of wanted)
      if (!bot.symbols.has(s))
        hub.addPrice(bot.venue.venue, s, bot.id, (p) => bot.queue.push({ kind: 'event', event: { type: 'price', symbol: p.symbol, price: p.price, time: p.time } }, `price:${p.symbol}`))
    bot.symbols = wanted
  }

  /** Keeps the bot's soonest wake in the heap (one entry per bot, not one per transition). */
  const armWakes = (bot: LiveBot) => {
    const first = bot.saved.wakes[0]
    if (first === undefined || (bot.armedWake !== null && bot.armedWake <= first)) return
    bot.armedWake = first
    schedule.armWake({ at: first, botId: bot.id })
  }

  /** Indicator bots: one indicator per symbol on closed candles; a crossing is logged and delivered as a signal. */
  const subscribeIndicators = (bot: LiveBot) => {
    const source = (bot.config as Partial<SignalBotConfig>).source
    if (bot.kind !== 'signal_bot' || source?.kind !== 'indicator') return
    for (const symbol of (bot.config as SignalBotConfig).symbols) {
      const indicator = createIndicatorSignal(source.indicator)
      hub.addCandles(bot.venue.venue, symbol, source.timeframe, bot.id, (c) => {
        const action = indicator.update(c.close)
        if (action !== null) bot.queue.push({ kind: 'indicator', action, symbol, time: c.time, label: `${source.indicator.type} crossing on ${source.timeframe} candles` })
      })
    }
  }

  const detach = (bot: LiveBot, reason: string): Promise<void> => {
    if (bot.isDetached) return bot.queue.close(reason)
    bot.isDetached = true
    for (const s of bot.symbols) hub.removePrice(bot.venue.venue, s, bot.id)
    const source = (bot.config as Partial<SignalBotConfig>).source
    if (source?.kind === 'indicator') for (const s of (bot.config as SignalBotConfig).symbols) hub.removeCandles(bot.venue.venue, s, source.timeframe, bot.id)
    bot.symbols = new Set()
    bots.delete(bot.id)
    lease.forget(bot.id)
    return bot.queue.close(reason)
  }

  const onEnded = async (bot: LiveBot, status: 'finished' | 'stopped' | 'paused' | 'failed', reason: string) => {
    if (status === 'failed') {
      await alerts.raise({ workspaceId: bot.workspaceId, rule: 'bot_failed', severity: 'warning', details: { botId: bot.id, bot: bot.name, reason } })
    }
    if (status === 'failed' || status === 'paused') {
      await audit?.append({ workspaceId: bot.workspaceId, type: status === 'failed' ? 'bot_failed' : 'bot_paused', actor: { type: 'system' }, outcome: 'success', details: { botId: bot.id, reason } })
    }
    logger?.info({ botId: bot.id, status, reason }, 'bot run ended')
  }

  const driver = createBotDriver({
    store,
    clock,
    owner,
    journal,
    risk: deps.risk,
    alerts,
    logger,
    lastPrice: hub.last,
    onTransition: (bot, stateChanged) => {
      if (bot.isDetached) return
      if (stateChanged) syncInterest(bot)
      armWakes(bot)
    },
    detach: (bot, reason) => void detach(bot, reason),
    logSignal: (bot, signal) =>
      recordSignal(db, { botId: bot.id, workspaceId: bot.workspaceId, source: 'indicator', action: signal.action, verdict: 'accepted', message: signal.message, details: { action: signal.action, symbol: signal.symbol }, receivedAt: clock.now() }),
    onEnded,
  })

  /** Starts driving a bot whose lease this runtime holds. */
  /** Ends a bot that cannot be driven at all (its account is gone, its config is unusable), with an alert. */
  const failRow = async (row: BotRow, reason: string) => {
    lease.forget(row.id)
    const ok = await store.writeState({ id: row.id, owner, version: row.version, now: clock.now(), state: row.state, status: { status: 'failed', reason } })
    if (ok) await alerts.raise({ workspaceId: row.workspaceId, rule: 'bot_failed', severity: 'warning', details: { botId: row.id, bot: row.name, reason } })
  }

  /** Starts driving a bot whose lease this runtime holds; null when it could not be. Never throws. */
  const attach = async (row: BotRow): Promise<LiveBot | null> => {
    const existing = bots.get(row.id)
    if (existing !== undefined) return existing
    const account = { kind: row.accountKind, id: row.accountId }
    try {
      let venue
      try {
        venue = await venues(row.workspaceId, account)
      } catch (err) {
        if (err instanceof AppError && err.code === 'NOT_FOUND') {
          await failRow(row, `its account cannot be used: ${err.message}`)
          return null
        }
        throw err
      }
      const saved = isRuntimeState(row.state) ? row.state : freshState(null)
      const bot: LiveBot = {
        id: row.id,
        workspaceId: row.workspaceId,
        kind: row.kind,
        name: row.name,
        account,
        config: row.config,
        keyPrefix: journalKeyPrefix(row.promotedAt),
        machine: machines[row.kind],
        venue: { venue: venue.venue, market: venue.market, supportsStopOrders: venue.supportsStopOrders },
        version: row.version,
        saved,
        savedJson: JSON.stringify(saved),
        queue: createBotQueue<Work>((work) => driver.run(bot, work, () => lease.isHeld(bot.id))),
        symbols: new Set(),
        recentFinal: new Set(),
        armedWake: null,
        ending: null,
        isDetached: false,
      }
      bots.set(bot.id, bot)
      const isResume = isRuntimeState(row.state)
      try {
        if (isResume) {
          syncInterest(bot)
          armWakes(bot)
        }
        subscribeIndicators(bot)
      } catch (err) {
        // The bot's own state or config cannot be driven (e.g. an indicator it cannot build): this bot only.
        void detach(bot, 'cannot be set up')
        await failRow(row, (err instanceof Error ? err.message : String(err)).slice(0, 300))
        return null
      }
      bot.queue.push({ kind: isResume ? 'resume' : 'start' })
      return bot
    } catch (err) {
      // Passing trouble (database, signer): give the lease back; the claim loop tries again.
      logger?.warn({ botId: row.id, err }, 'could not take up a bot: retrying later')
      await lease.release([row.id]).catch(() => {})
      return null
    }
  }

  const onIntent = (view: IntentView) => {
    if (view.botId === null) return
    bots.get(view.botId)?.queue.push({ kind: 'intent', view }, `intent:${view.intentKey}`)
  }

  // --- periodic work ---

  const claimFree = async () => {
    for (;;) {
      const rows = await lease.claim(claimBatch)
      for (const row of rows) await attach(row)
      if (rows.length < claimBatch) return
    }
  }

  const renewLeases = async () => {
    for (const id of await lease.renew()) {
      const bot = bots.get(id)
      if (bot !== undefined) {
        logger?.warn({ botId: id }, 'bot lease lost: no longer driving it here')
        void detach(bot, 'lease lost')
      }
    }
  }

  let pollRound = 0
  /** Reads back every open order of the bots here; a bounded number at once, so the venues are not flooded. */
  const pollOpen = async () => {
    pollRound += 1
    const open: { bot: LiveBot; id: string }[] = []
    for (const bot of bots.values()) for (const seen of Object.values(bot.saved.orders)) if (seen.state === 'acknowledged' || seen.state === 'partially_filled') open.push({ bot, id: seen.id })
    // Rotate the start, so a round cut short by a slow venue does not always starve the same bots.
    const start = open.length === 0 ? 0 : pollRound % open.length
    const ordered = [...open.slice(start), ...open.slice(0, start)]
    let next = 0
    const worker = async () => {
      while (next < ordered.length) {
        const item = ordered[next++] as { bot: LiveBot; id: string }
        if (item.bot.isDetached) continue
        try {
          onIntent(await journal.refresh(item.id))
        } catch (err) {
          logger?.warn({ botId: item.bot.id, intentId: item.id, err }, 'could not read an open order back')
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, ordered.length) }, worker))
  }

  /** Due wakes become timer events; a wake taken back or moved leaves the next one armed. */
  const onWakes = (due: WakeEntry[], now: number) => {
    for (const entry of due) {
      const bot = bots.get(entry.botId)
      if (bot === undefined) continue
      if (bot.armedWake === entry.at) bot.armedWake = null
      if ((bot.saved.wakes[0] ?? Infinity) <= now) bot.queue.push({ kind: 'event', event: { type: 'timer', time: now } }, 'timer')
      else armWakes(bot)
    }
  }

  const schedule = createSchedule({
    clock,
    timers: deps.timers ?? realTimers,
    logger,
    onWakes,
    tasks: [
      { name: 'renew', everyMs: Math.floor(leaseMs / 3), run: renewLeases },
      { name: 'heartbeat', everyMs: heartbeatMs, run: () => heartbeat.beat() },
      { name: 'watch', everyMs: heartbeatMs, run: () => heartbeat.checkOthers() },
      { name: 'claim', everyMs: Math.floor(leaseMs / 3), run: claimFree },
      { name: 'poll', everyMs: pollMs, run: pollOpen },
      { name: 'reconcile', everyMs: deps.resolveEveryMs ?? 10_000, run: () => journal.resolveUnknown() },
      { name: 'dead-man', everyMs: DEAD_MAN_EVERY_MS, run: () => deadMan.round([...bots.values()].flatMap((b) => deadManNeedOf(b) ?? [])) },
    ],
  })

  // --- the public surface ---

  const viewOf = async (id: string): Promise<BotRunView> => {
    const row = await store.get(id)
    if (row === null) throw new AppError('NOT_FOUND', `bot "${id}" not found`)
    return { id: row.id, status: row.status, statusReason: row.statusReason, version: row.version }
  }

  const haltedMessage = (reason: string) => `trading is halted in this workspace (${reason}): lift the halt before starting bots`

  /** Starts (or resumes) a bot here; resolves once its first transition and commands are done. */
  const startBot = async (botId: string): Promise<BotRunView> => {
    const row = await store.get(botId)
    if (row === null) throw new AppError('NOT_FOUND', `bot "${botId}" not found`)
    const halt = await store.haltOf(row.workspaceId)
    if (halt !== null) throw new AppError('CONFLICT', haltedMessage(halt.reason), { reason: 'TRADING_HALTED' })
    if (row.status === 'finished') throw new AppError('CONFLICT', `"${row.name}" has finished: create a new one`)
    if (row.status === 'running') {
      // Running but driven nowhere (its runtime died) or here already: make sure it is driven.
      if (!bots.has(botId)) {
        const claimed = isRunning ? await lease.claimOne(botId) : null
        if (claimed !== null) await attach(claimed)
      }
      await bots.get(botId)?.queue.idle()
      return viewOf(botId)
    }
    // The venue first: an account that is gone is the caller's error, before anything changes.
    await venues(row.workspaceId, { kind: row.accountKind, id: row.accountId })
    const updated = await store.markRunning({ id: botId, owner, now: clock.now(), leaseMs, from: restartable })
    if (updated === null) {
      const now = await store.get(botId)
      const haltNow = now === null ? null : await store.haltOf(now.workspaceId)
      if (haltNow !== null) throw new AppError('CONFLICT', haltedMessage(haltNow.reason), { reason: 'TRADING_HALTED' })
      throw new AppError('CONFLICT', `"${row.name}" cannot be started now: it is ${now?.status ?? 'gone'}`)
    }
    if (!isRunning) {
      // No runtime loop here (a CLI, a test): the row says running and a runtime's claim loop takes it.
      await lease.release([botId])
      return viewOf(botId)
    }
    lease.adopt(updated)
    const bot = await attach(updated)
    await bot?.queue.idle()
    return viewOf(botId)
  }

  const endBot = async (botId: string, status: 'paused' | 'stopped', reason: string): Promise<BotRunView> => {
    const local = bots.get(botId)
    if (local !== undefined) await detach(local, reason)
    const from: BotStatus[] = status === 'paused' ? ['running'] : ['running', 'paused', 'failed', 'draft']
    const changed = await store.setStatus({ ids: [botId], from, status, reason, now: clock.now() })
    const view = await viewOf(botId)
    if (changed.length === 0 && view.status !== status) throw new AppError('CONFLICT', `the bot is ${view.status}: only a running bot can be ${status}`)
    return view
  }

  /**
   * Hands a bot a signal or a user's close/cancel; resolves once it was applied and its commands carried
   * out. A bot driven by another api instance cannot be reached from here (UNAVAILABLE: try again).
   */
  const deliver = async (botId: string, event: BotEvent): Promise<BotRunView> => {
    let bot = bots.get(botId)
    if (bot === undefined) {
      const row = await store.get(botId)
      if (row === null) throw new AppError('NOT_FOUND', `bot "${botId}" not found`)
      if (row.status !== 'running') throw new AppError('CONFLICT', `"${row.name}" is ${row.status}: start it before sending it a ${event.type}`)
      const claimed = isRunning ? await lease.claimOne(botId) : null
      if (claimed !== null) bot = (await attach(claimed)) ?? undefined
      if (bot === undefined) throw new AppError('UNAVAILABLE', `"${row.name}" is being driven by another api instance right now: try again in a few seconds`)
    }
    await bot.queue.pushAndWait({ kind: 'event', event })
    return viewOf(botId)
  }

  /** The kill switch: no order leaves for this workspace, and every running bot of it is paused. */
  const haltWorkspace = async (workspaceId: string, userId: string | null, reason: string): Promise<{ pausedBots: number; wasHalted: boolean }> => {
    const inserted = await store.insertHalt({ workspaceId, userId, reason, now: clock.now() })
    // From here every place of this workspace is refused (bot-driver reads the halt before each one).
    await Promise.all([...bots.values()].filter((b) => b.workspaceId === workspaceId).map((b) => detach(b, 'trading halted')))
    const paused = await store.setStatus({ workspaceId, from: ['running'], status: 'paused', reason: `trading halted: ${reason}`, now: clock.now() })
    if (inserted) {
      await audit?.append({ workspaceId, type: 'trading_halted', actor: userId === null ? { type: 'system' } : { type: 'user', id: userId }, outcome: 'success', details: { reason, pausedBots: paused.length } })
    }
    return { pausedBots: paused.length, wasHalted: !inserted }
  }

  /** Lifts the kill switch (the caller audits it, with its actor); the bots stay paused until started one by one. */
  const resumeWorkspace = async (workspaceId: string): Promise<boolean> => store.deleteHalt(workspaceId)

  const isHalted = async (workspaceId: string): Promise<boolean> => (await store.haltOf(workspaceId)) !== null

  const haltOf = async (workspaceId: string) => {
    const row = await store.haltOf(workspaceId)
    return { halted: row !== null, haltedAt: row?.haltedAt.toISOString() ?? null, reason: row?.reason ?? null }
  }

  /** What the API shows as a bot's live state (the machine's own words), from its row; the dead-man switch when this runtime keeps one armed for it. */
  const liveOf = (row: Pick<BotRow, 'kind' | 'state'> & { id?: string }): Record<string, unknown> => {
    if (!isRuntimeState(row.state)) return {}
    try {
      const live = machines[row.kind].live(row.state.machine)
      const deadManSwitch = row.id === undefined ? null : deadMan.stateOf(row.id)
      return deadManSwitch === null ? live : { ...live, deadManSwitch }
    } catch {
      return {}
    }
  }

  const start = async (): Promise<void> => {
    if (isRunning) return
    isRunning = true
    await heartbeat.register()
    stopJournal = journal.onChange(onIntent)
    schedule.start()
    await claimFree()
  }

  const stop = async (): Promise<void> => {
    if (!isRunning) return
    isRunning = false
    stopJournal?.()
    await Promise.all([...bots.values()].map((b) => detach(b, 'runtime stopping')))
    await schedule.stop()
    // Handing the leases back lets another runtime take the bots at once instead of after expiry.
    await lease.release().catch((err: unknown) => logger?.warn({ err }, 'could not release bot leases'))
    await heartbeat.stop().catch((err: unknown) => logger?.warn({ err }, 'could not record the runtime stop'))
  }

  /** Runs whatever is due now and waits for it (tests move the clock and call this). */
  const tick = async (): Promise<void> => {
    await Promise.all(schedule.runDue())
  }

  /** Resolves once every bot here has nothing queued or running. */
  const idle = async (): Promise<void> => {
    for (;;) {
      await Promise.all([...bots.values()].map((b) => b.queue.idle()))
      if ([...bots.values()].every((b) => b.queue.size === 0)) return
    }
  }

  const status = () => ({ instanceId: owner, bots: bots.size, lastHeartbeat: heartbeat.lastHeartbeat()?.toISOString() ?? null, priceTopics: hub.topics().prices })

  return { start, stop, startBot, pauseBot: (botId: string, reason: string) => endBot(botId, 'paused', reason), stopBot: (botId: string, reason: string) => endBot(botId, 'stopped', reason), deliver, haltWorkspace, resumeWorkspace, isHalted, haltOf, liveOf, status, tick, idle, botIds: () => [...bots.keys()] }
}
export type BotRuntime = ReturnType<typeof createBotRuntime>
