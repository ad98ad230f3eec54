import type { IntentState } from '../../db/index.js'
import { Decimal, isDecimalString } from '../../lib/decimal.js'
import type { BotCommand, BotEvent, IntentView } from '../trading-types.js'

/**
 * What the runtime stores in `bots.state`: the machine's state wrapped with what a restart needs to go
 * on exactly where it stopped. Plain JSON.
 */
export type RuntimeState<S = unknown> = {
  runtime: 1
  machine: S
  /** Pending `wake` times (Unix ms, ascending): re-armed after a restart. */
  wakes: number[]
  /** Orders not yet final, as the machine last saw them: restarts feed only real changes, never a repeat. */
  orders: Record<string, SeenOrder>
  /**
   * The last transition's commands not yet known to be carried out (place, cancel, alert, finish).
   * Written with the state, cleared once done: a crash in between carries them out on resume (a place
   * repeats by key, so the journal returns the first intent instead of sending twice).
   */
  outbox: BotCommand[]
  /** When a stop-loss of this bot last filled (the risk guard's cooldown). */
  lastStopLossAt: number | null
}

export type SeenOrder = { id: string; state: IntentState; filled: string }

export const isRuntimeState = (value: unknown): value is RuntimeState =>
  typeof value === 'object' && value !== null && (value as { runtime?: unknown }).runtime === 1 && 'machine' in value

/** The machine's own state inside `bots.state`, or null for a bot that never started. */
export const machineStateOf = (state: unknown): unknown => (isRuntimeState(state) ? state.machine : null)

export const freshState = <S>(machine: S): RuntimeState<S> => ({ runtime: 1, machine, wakes: [], orders: {}, outbox: [], lastStopLossAt: null })

/** Further along means a higher rank, or the same rank with more filled. 'intent' and 'sent' are the journal's own business. */
const rank: Record<IntentState, number> = { intent: 0, sent: 0, unknown: 1, acknowledged: 2, partially_filled: 3, filled: 4, cancelled: 4, rejected: 4 }
export const isFinalState = (state: IntentState) => rank[state] === 4

const filledOf = (v: string) => (isDecimalString(v) ? new Decimal(v) : new Decimal(0))

/** Whether `view` tells the machine something new about its order (the journal's events and answers overlap). */
export const isNews = (view: Pick<IntentView, 'state' | 'filled'>, seen: Pick<SeenOrder, 'state' | 'filled'> | undefined): boolean => {
  const r = rank[view.state]
  if (r === 0) return false
  if (seen === undefined) return true
  const s = rank[seen.state]
  if (s === 4) return false
  return r > s || (r === s && filledOf(view.filled).gt(filledOf(seen.filled)))
}

export const orderEventOf = (view: IntentView, time: number): Extract<BotEvent, { type: 'order' }> => ({
  type: 'order',
  key: view.intentKey,
  state: view.state,
  filled: view.filled,
  average: view.average,
  fee: view.fee,
  feeCurrency: view.feeCurrency,
  reason: view.reason,
  time,
})

/** An order the runtime refused before the journal saw it (risk guard, kill switch, bad order). */
export const refusedOrderEvent = (key: string, reason: string, time: number): Extract<BotEvent, { type: 'order' }> => ({
  type: 'order',
  key,
  state: 'rejected',
  filled: '0',
  average: null,
  fee: null,
  feeCurrency: null,
  reason,
  time,
})

const maxWakes = 64

/** Pending wakes after a step: fired ones gone, new ones merged in, sorted, bounded. */
export const nextWakes = (wakes: readonly number[], firedUpTo: number | null, commands: readonly BotCommand[]): number[] => {
  const out = new Set(firedUpTo === null ? wakes : wakes.filter((w) => w > firedUpTo))
  for (const c of commands) if (c.type === 'wake' && Number.isFinite(c.at)) out.add(Math.trunc(c.at))
  // The soonest matter: a machine asking for more than this many wakes at once is waiting on the nearest.
  return [...out].sort((a, b) => a - b).slice(0, maxWakes)
}
