import type { BotKind } from '../../db/index.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../../monitoring/index.js'
import type { OrderJournal } from '../journal/index.js'
import type { RiskGuard } from '../risk/index.js'
import type { RiskLimits } from '../trading-api-types.js'
import type { AccountRef, BotCommand, BotEvent, BotMachine, IntentView, MachineContext, SignalAction, TradingVenue, Transition } from '../trading-types.js'
import type { BotQueue } from './bot-queue.js'
import type { BotStore } from './bot-store.js'
import { freshState, isFinalState, isNews, orderEventOf, refusedOrderEvent, nextWakes, type RuntimeState } from './runtime-state.js'

/**
 * One bot's work, applied one item at a time from its queue: step the machine → persist → carry out the
 * commands in order → step again with what came back (order results, refusals), until nothing is left.
 *
 * Persistence rule: a transition is written when it has commands, or when the stored JSON would change
 * (the machine's state, pending wakes, orders seen). A price that changes nothing is not written — the
 * common case — and costs no serialization when the machine returned the same state object. Every write
 * is the compare-and-swap of bot-store; a failed one means the lease is gone, and the bot is dropped
 * before any of the transition's commands is carried out.
 */

export type Work =
  | { kind: 'start' }
  | { kind: 'resume' }
  | { kind: 'event'; event: BotEvent }
  /** An intent of this bot changed (journal listener, poll, a place's answer). */
  | { kind: 'intent'; view: IntentView }
  /** An indicator crossed on a closed candle: logged in the signal log, then handed over as a signal. */
  | { kind: 'indicator'; action: SignalAction; symbol: string; time: number; label: string }

/** A bot this runtime drives right now. */
export type LiveBot = {
  id: string
  workspaceId: string
  kind: BotKind
  name: string
  account: AccountRef
  config: unknown
  /**
   * Put in front of the machine's order keys in the journal. Empty until the bot is promoted; then the
   * promotion time, so the fresh machine on the real account (which names its orders "p1.entry" again)
   * can never be handed the demo era's intents by the journal's one-intent-per-(bot, key) rule.
   */
  keyPrefix: string
  machine: BotMachine<unknown, unknown>
  venue: Pick<TradingVenue, 'venue' | 'market' | 'supportsStopOrders' | 'priceDecimals' | 'amountDecimals'>
  version: number
  saved: RuntimeState
  savedJson: string
  queue: BotQueue<Work>
  /** Symbols subscribed for prices (the machine's interest). */
  symbols: Set<string>
  /** Final keys seen lately: a late duplicate from the journal is not news. Memory only, bounded. */
  recentFinal: Set<string>
  /** The wake time this bot has in the runtime's wake heap, if any. */
  armedWake: number | null
  /** Set when the bot must end after the current work (finish command, a risk pause). */
  ending: { status: 'finished' | 'stopped' | 'paused'; reason: string } | null
  isDetached: boolean
}

type Step = { kind: 'start' } | { kind: 'event'; event: BotEvent; view?: IntentView | undefined }

export type BotDriverDeps = {
  store: Pick<BotStore, 'writeState' | 'haltOf'>
  clock: Clock
  owner: string
  journal: Pick<OrderJournal, 'place' | 'cancel' | 'byKey'>
  risk: Pick<RiskGuard, 'check'>
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'info' | 'warn' | 'error'> | undefined
  lastPrice: (venue: string, symbol: string) => string | null
  /** The runtime's side effects of a transition: wakes to arm, subscriptions to follow the machine's interest. */
  onTransition: (bot: LiveBot, stateChanged: boolean) => void
  /** Stops driving the bot here (no database write). */
  detach: (bot: LiveBot, reason: string) => void
  /** Writes an accepted indicator signal to the signal log. */
  logSignal: (bot: LiveBot, signal: { action: SignalAction; symbol: string; message: string }) => Promise<unknown>
  /** The bot ended (finished, stopped, paused by the guard, failed): alerts and audit. */
  onEnded: (bot: LiveBot, status: 'finished' | 'stopped' | 'paused' | 'failed', reason: string) => Promise<void>
}

/** Steps one event can lead to (its orders' answers, their answers…) before the machine is deemed looping. */
const maxStepsPerWork = 32
const recentFinalCap = 256
/** Errors of journal.place that prove no order exists: fed back to the machine as a rejection. */
const placeRefusals = new Set(['BAD_INPUT', 'NOT_FOUND', 'CONFLICT'])

const botLimitsOf = (config: unknown): RiskLimits | undefined => (config as { risk?: RiskLimits } | null)?.risk
const botSymbolsOf = (config: unknown): string[] | undefined => {
  const c = config as { symbol?: unknown; symbols?: unknown } | null
  if (Array.isArray(c?.symbols)) return c.symbols.filter((s): s is string => typeof s === 'string')
  return typeof c?.symbol === 'string' ? [c.symbol] : undefined
}

/** The journal key prefix of a bot promoted at `promotedAt` (see LiveBot.keyPrefix). */
export const journalKeyPrefix = (promotedAt: Date | null): string => (promotedAt === null ? '' : `live${promotedAt.getTime().toString(36)}.`)

/** A journal view as this bot's machine names it, or null for an intent of the bot's earlier (demo) era. */
export const localView = (bot: Pick<LiveBot, 'keyPrefix'>, view: IntentView): IntentView | null => {
  if (bot.keyPrefix === '') return view
  return view.intentKey.startsWith(bot.keyPrefix) ? { ...view, intentKey: view.intentKey.slice(bot.keyPrefix.length) } : null
}

export const createBotDriver = (deps: BotDriverDeps) => {
  const { store, clock, owner, journal, risk, alerts, logger } = deps

  const contextOf = (bot: LiveBot): MachineContext => ({
    market: bot.venue.market,
    supportsStopOrders: bot.venue.supportsStopOrders,
    now: clock.now().getTime(),
    lastPrice: (symbol) => deps.lastPrice(bot.venue.venue, symbol),
    priceDecimals: (symbol) => bot.venue.priceDecimals?.(symbol) ?? null,
    amountDecimals: (symbol) => bot.venue.amountDecimals?.(symbol) ?? null,
  })

  const noteFinal = (bot: LiveBot, key: string) => {
    bot.recentFinal.add(key)
    if (bot.recentFinal.size > recentFinalCap) bot.recentFinal.delete(bot.recentFinal.values().next().value as string)
  }

  const isNewsFor = (bot: LiveBot, view: IntentView) => !bot.recentFinal.has(view.intentKey) && isNews(view, bot.saved.orders[view.intentKey])

  /** The wrapper after a step: wakes, the order just seen, the stop-loss time; commands go to the outbox. */
  const nextSaved = (bot: LiveBot, step: Step, t: Transition<unknown>): RuntimeState => {
    const prev = step.kind === 'start' ? freshState(null) : bot.saved
    const event = step.kind === 'event' ? step.event : null
    let orders = prev.orders
    let lastStopLossAt = prev.lastStopLossAt
    if (event?.type === 'order') {
      orders = { ...orders }
      if (isFinalState(event.state)) delete orders[event.key]
      else if (step.kind === 'event' && step.view !== undefined) orders[event.key] = { id: step.view.id, state: event.state, filled: event.filled }
      if (step.kind === 'event' && step.view?.purpose === 'stop_loss' && (event.state === 'filled' || event.state === 'partially_filled')) lastStopLossAt = event.time
    }
    return {
      runtime: 1,
      machine: t.state,
      wakes: nextWakes(prev.wakes, event?.type === 'timer' ? event.time : null, t.commands),
      orders,
      outbox: t.commands.filter((c) => c.type !== 'wake'),
      lastStopLossAt,
    }
  }

  /** Compare-and-swap write; false (and the bot dropped) when the lease or version moved. */
  const write = async (bot: LiveBot, saved: RuntimeState, json: string, status?: { status: 'finished' | 'stopped' | 'paused' | 'failed'; reason: string }): Promise<boolean> => {
    const ok = await store.writeState({ id: bot.id, owner, version: bot.version, now: clock.now(), state: saved, ...(status === undefined ? {} : { status }) })
    if (!ok) {
      logger?.warn({ botId: bot.id }, 'bot state write refused (lease or version moved): dropping the bot here')
      deps.detach(bot, 'its lease moved to another runtime')
      return false
    }
    bot.version += 1
    bot.saved = saved
    bot.savedJson = json
    return true
  }

  const refuse = (key: string, message: string): Step => ({ kind: 'event', event: refusedOrderEvent(key, message, clock.now().getTime()) })

  const place = async (bot: LiveBot, cmd: Extract<BotCommand, { type: 'place' }>): Promise<Step | null> => {
    if (bot.ending !== null) return refuse(cmd.key, `not placed: the bot is ending (${bot.ending.reason})`)
    const halt = await store.haltOf(bot.workspaceId)
    if (halt !== null) {
      bot.ending = { status: 'paused', reason: `trading halted: ${halt.reason}` }
      return refuse(cmd.key, `not placed: trading is halted in this workspace (${halt.reason})`)
    }
    const lastPrice = deps.lastPrice(bot.venue.venue, cmd.order.symbol)
    let verdict: Awaited<ReturnType<RiskGuard['check']>>
    try {
      verdict = await risk.check({
        workspaceId: bot.workspaceId,
        botId: bot.id,
        account: bot.account,
        botLimits: botLimitsOf(bot.config),
        botSymbols: botSymbolsOf(bot.config),
        order: cmd.order,
        purpose: cmd.purpose,
        lastPrice,
        lastPriceOf: (symbol) => deps.lastPrice(bot.venue.venue, symbol),
        lastStopLossAt: bot.saved.lastStopLossAt,
      })
    } catch (err) {
      if (err instanceof AppError && err.code === 'BAD_INPUT') return refuse(cmd.key, err.message)
      throw err
    }
    if (!verdict.ok) {
      await alerts.raise({
        workspaceId: bot.workspaceId,
        rule: 'risk_limit_hit',
        severity: 'warning',
        details: { botId: bot.id, bot: bot.name, limit: verdict.limit, message: verdict.message, orderKey: cmd.key, symbol: cmd.order.symbol, pausesBot: verdict.pauseBot },
      })
      if (verdict.pauseBot) bot.ending = { status: 'paused', reason: verdict.message }
      return refuse(cmd.key, verdict.message)
    }
    let view: IntentView
    try {
      const placed = localView(bot, await journal.place({ workspaceId: bot.workspaceId, botId: bot.id, key: bot.keyPrefix + cmd.key, account: bot.account, purpose: cmd.purpose, order: cmd.order }))
      if (placed === null) throw new Error('the journal answered with an intent of another key (bug)')
      view = placed
    } catch (err) {
      // The journal throws only when nothing was written or sent (a bad order, a removed account).
      if (err instanceof AppError && placeRefusals.has(err.code)) return refuse(cmd.key, err.message)
      throw err
    }
    return isNewsFor(bot, view) ? { kind: 'event', event: orderEventOf(view, clock.now().getTime()), view } : null
  }

  const cancel = async (bot: LiveBot, key: string): Promise<Step | null> => {
    const intent = await journal.byKey(bot.id, bot.keyPrefix + key)
    if (intent === null || isFinalState(intent.state)) return null
    try {
      const view = localView(bot, await journal.cancel(intent.id))
      if (view === null) return null
      return isNewsFor(bot, view) ? { kind: 'event', event: orderEventOf(view, clock.now().getTime()), view } : null
    } catch (err) {
      // Never retried blindly: the poll and reconciliation report what became of the order.
      logger?.warn({ botId: bot.id, key, err }, 'cancel failed')
      await alerts.raise({ workspaceId: bot.workspaceId, rule: 'order_cancel_failed', severity: 'warning', details: { botId: bot.id, orderKey: key, message: err instanceof Error ? err.message.slice(0, 300) : 'unknown error' } })
      return null
    }
  }

  /** Carries out commands in order; returns what the machine must hear next. */
  const carryOut = async (bot: LiveBot, commands: readonly BotCommand[]): Promise<Step[]> => {
    const feedback: Step[] = []
    for (const cmd of commands) {
      if (bot.isDetached) break
      switch (cmd.type) {
        case 'place': {
          const s = await place(bot, cmd)
          if (s !== null) feedback.push(s)
          break
        }
        case 'cancel': {
          const s = await cancel(bot, cmd.key)
          if (s !== null) feedback.push(s)
          break
        }
        case 'alert':
          await alerts.raise({ workspaceId: bot.workspaceId, rule: cmd.rule, severity: cmd.severity, details: { ...cmd.details, botId: bot.id, bot: bot.name } })
          break
        case 'finish':
          bot.ending = { status: cmd.status, reason: cmd.reason }
          break
        case 'wake':
          break // armed with the write that recorded it
      }
    }
    return feedback
  }

  /** Applies steps and their consequences; ends the bot when a command or the guard said so. */
  const advance = async (bot: LiveBot, steps: Step[]): Promise<void> => {
    let count = 0
    while (steps.length > 0 && !bot.isDetached) {
      const step = steps.shift() as Step
      if (step.kind === 'event' && step.view !== undefined && !isNewsFor(bot, step.view)) continue
      if (++count > maxStepsPerWork) throw new AppError('INTERNAL', `the machine kept reacting to its own orders (${maxStepsPerWork} steps for one event)`)
      const before = bot.saved.machine
      const ctx = contextOf(bot)
      const t = step.kind === 'start' ? bot.machine.start(bot.config, ctx) : bot.machine.step(before, step.event, ctx)
      if (step.kind === 'event' && step.event.type === 'order' && isFinalState(step.event.state)) noteFinal(bot, step.event.key)
      const isPlainPrice = step.kind === 'event' && step.event.type === 'price'
      if (isPlainPrice && t.state === before && t.commands.length === 0) continue
      const saved = nextSaved(bot, step, t)
      const json = JSON.stringify(saved)
      if (json !== bot.savedJson || saved.outbox.length > 0) {
        if (!(await write(bot, saved, json))) return
      }
      deps.onTransition(bot, step.kind === 'start' || t.state !== before)
      steps.push(...(await carryOut(bot, saved.outbox)))
    }
    if (bot.isDetached) return
    const end = bot.ending
    if (end !== null || bot.saved.outbox.length > 0) {
      // The outbox is done: clear it, with the end of the run when there is one.
      const saved = { ...bot.saved, outbox: [] }
      const json = JSON.stringify(saved)
      if (!(await write(bot, saved, json, end ?? undefined))) return
      if (end !== null) {
        deps.detach(bot, end.reason)
        await deps.onEnded(bot, end.status, end.reason)
      }
    }
  }

  /** Runs one queue item; a throw anywhere fails this bot only. */
  const run = async (bot: LiveBot, work: Work, isLeaseCurrent: () => boolean): Promise<void> => {
    if (bot.isDetached) return
    if (!isLeaseCurrent()) {
      // The renewal did not come in time (a stalled event loop): another runtime may hold it by now.
      deps.detach(bot, 'its lease ran out before it could be renewed')
      throw new AppError('UNAVAILABLE', 'this api instance no longer holds the bot: try again in a few seconds')
    }
    try {
      switch (work.kind) {
        case 'start':
          return await advance(bot, [{ kind: 'start' }])
        case 'resume': {
          // Whatever the last transition left undone, then what became of the orders while we were away.
          const steps = await carryOut(bot, bot.saved.outbox)
          for (const key of Object.keys(bot.saved.orders)) {
            const found = await journal.byKey(bot.id, bot.keyPrefix + key)
            const view = found === null ? null : localView(bot, found)
            if (view !== null) steps.push({ kind: 'event', event: orderEventOf(view, clock.now().getTime()), view })
          }
          return await advance(bot, steps)
        }
        case 'event':
          return await advance(bot, [{ kind: 'event', event: work.event }])
        case 'intent': {
          const view = localView(bot, work.view)
          if (view === null) return // an order of the bot's demo era: its record, not this machine's business
          return await advance(bot, [{ kind: 'event', event: orderEventOf(view, clock.now().getTime()), view }])
        }
        case 'indicator': {
          // The log is a record, not a gate: written while the bot decides (a burst of crossings must not
          // queue every decision behind its insert), and a failed write is logged, the signal still acted on.
          const logged = deps.logSignal(bot, { action: work.action, symbol: work.symbol, message: work.label }).catch((err: unknown) => logger?.warn({ botId: bot.id, err }, 'could not log an indicator signal'))
          const done = await advance(bot, [{ kind: 'event', event: { type: 'signal', signal: { action: work.action, symbol: work.symbol }, time: work.time } }])
          await logged
          return done
        }
      }
    } catch (err) {
      await fail(bot, err)
    }
  }

  const fail = async (bot: LiveBot, err: unknown) => {
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 300) || 'unknown error'
    logger?.error({ botId: bot.id, err }, 'bot failed')
    if (bot.isDetached) return
    deps.detach(bot, reason)
    try {
      const ok = await store.writeState({ id: bot.id, owner, version: bot.version, now: clock.now(), state: bot.saved, status: { status: 'failed', reason } })
      // Not ours any more: whoever holds the bot now decides about it.
      if (ok) await deps.onEnded(bot, 'failed', reason)
    } catch (writeErr) {
      // The lease runs out and a runtime takes the bot over from its last written state.
      logger?.error({ botId: bot.id, err: writeErr }, 'could not record the failure of a bot')
    }
  }

  return { run }
}
export type BotDriver = ReturnType<typeof createBotDriver>
