import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../../monitoring/index.js'
import type { AccountRef, VenueResolver } from '../trading-types.js'
import type { LiveBot } from './bot-driver.js'

/**
 * The dead-man switch (cancel-all-after) of exchange accounts whose bots rely on platform-side triggers.
 * Their stops are triggered here from prices, so while the platform is down a resting entry or
 * take-profit order is watched by nobody. Where the venue has a switch (TradingVenue `deadManSwitch`),
 * each round — every 20 s — re-arms a 60 s countdown per account and symbol (per account where the
 * venue's switch is account-wide) while a bot here has a platform-side stop and resting orders or an
 * open position there, and stops it (0) once none has. If the platform stops re-arming it, the venue
 * cancels those orders. It is deliberately left armed when the runtime stops: that is when it is needed.
 *
 * A failed call never touches a bot: it is logged, and alerted once per switch until a call succeeds.
 */

export const DEAD_MAN_EVERY_MS = 20_000
export const DEAD_MAN_TIMEOUT_MS = 60_000

/** What one bot needs: the symbols of its exchange account whose stop the platform triggers while orders rest or a position is open. */
export type DeadManNeed = { botId: string; workspaceId: string; account: AccountRef; symbols: readonly string[] }

type View = Record<string, unknown>
const isRecord = (v: unknown): v is View => typeof v === 'object' && v !== null && !Array.isArray(v)
const exposedPhases = new Set(['entering', 'open', 'closing'])
const restingTargets = new Set(['placing', 'open', 'partially_filled'])
const isNonZero = (v: unknown) => typeof v === 'string' && /[1-9]/.test(v)

/** A smart trade's live view, or each position of a signal bot's (machines' `live()`), with its symbol. */
const tradeViews = (live: View): { symbol: string; view: View }[] => {
  if (live.kind === 'smart_trade' && typeof live.symbol === 'string') return [{ symbol: live.symbol, view: live }]
  if (live.kind !== 'signal_bot' || !isRecord(live.positions)) return []
  return Object.entries(live.positions).flatMap(([symbol, view]) => (isRecord(view) ? [{ symbol, view }] : []))
}

/** The platform triggers the stop, and something is at stake on the venue: a position, or orders that may rest there. */
const needsSwitch = (v: View): boolean =>
  v.stopPlacement === 'platform' &&
  typeof v.phase === 'string' &&
  exposedPhases.has(v.phase) &&
  (v.phase === 'entering' ||
    isNonZero(v.position ?? v.amount) ||
    (Array.isArray(v.openOrders) && v.openOrders.length > 0) ||
    (Array.isArray(v.targets) && v.targets.some((t) => isRecord(t) && restingTargets.has(String(t.status)))))

/** The symbols of a machine's live view that need the switch armed. */
export const guardedSymbols = (live: View): string[] => [...new Set(tradeViews(live).filter((t) => needsSwitch(t.view)).map((t) => t.symbol))]

/** A bot's need, or null (demo accounts have no switch; a view that cannot be built asks for nothing). */
export const deadManNeedOf = (bot: Pick<LiveBot, 'id' | 'workspaceId' | 'account' | 'machine' | 'saved' | 'isDetached'>): DeadManNeed | null => {
  if (bot.isDetached || bot.account.kind !== 'exchange') return null
  let symbols: string[]
  try {
    symbols = guardedSymbols(bot.machine.live(bot.saved.machine))
  } catch {
    return null
  }
  return symbols.length === 0 ? null : { botId: bot.id, workspaceId: bot.workspaceId, account: bot.account, symbols }
}

export type DeadManDeps = {
  clock: Clock
  venues: VenueResolver
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'warn'> | undefined
  /** The countdown sent each round (capped at the venue's longest). */
  timeoutMs?: number
}

type Armed = { workspaceId: string; account: AccountRef; symbol: string; until: number }
type Group = { workspaceId: string; account: AccountRef; symbols: Set<string>; bots: Map<string, readonly string[]> }

export const createDeadManSwitch = ({ clock, venues, alerts, logger, timeoutMs = DEAD_MAN_TIMEOUT_MS }: DeadManDeps) => {
  /** Switches this runtime armed and has not seen end or stopped: key → what and until when. */
  const armed = new Map<string, Armed>()
  /** Switches whose failure was alerted; a success clears it, so the next failure is alerted again. */
  const alerted = new Set<string>()
  /** Bot → the switches it needed in the last round (for its live view). */
  let keysOfBot = new Map<string, string[]>()

  const accountKey = (a: AccountRef) => `${a.kind}:${a.id}`
  const keyOf = (a: AccountRef, scope: 'symbol' | 'account', symbol: string) => (scope === 'account' ? accountKey(a) : `${accountKey(a)}|${symbol}`)
  const now = () => clock.now().getTime()

  const failed = async (key: string, at: { workspaceId: string; account: AccountRef; symbol: string | null }, action: 'arm' | 'disarm', err: unknown) => {
    logger?.warn({ accountId: at.account.id, symbol: at.symbol, action, err }, 'dead-man switch call failed')
    if (alerted.has(key)) return
    alerted.add(key)
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 300)
    await alerts
      .raise({ workspaceId: at.workspaceId, rule: 'dead_man_switch_failed', severity: 'warning', details: { accountId: at.account.id, symbol: at.symbol, action, message }, dedupKey: key })
      .catch((alertErr: unknown) => logger?.warn({ err: alertErr }, 'could not raise the dead-man switch alert'))
  }

  /** Re-arms every switch one account needs; returns the keys it wanted (kept armed even when the call failed). */
  const armAccount = async (g: Group, nextKeys: Map<string, string[]>): Promise<string[]> => {
    let venue
    try {
      venue = await venues(g.workspaceId, g.account)
    } catch (err) {
      // Unknown this round: what is armed for the account stays as it is rather than being stopped.
      await failed(accountKey(g.account), { ...g, symbol: null }, 'arm', err)
      return [...armed].filter(([, a]) => accountKey(a.account) === accountKey(g.account)).map(([key]) => key)
    }
    const dm = venue.deadManSwitch
    if (dm === undefined) return []
    const countdown = dm.maxTimeoutMs === null ? timeoutMs : Math.min(timeoutMs, dm.maxTimeoutMs)
    // An account-wide switch is armed once, with any of the symbols.
    const symbols = dm.scope === 'account' ? [...g.symbols].slice(0, 1) : [...g.symbols]
    const wanted: string[] = []
    for (const symbol of symbols) {
      const key = keyOf(g.account, dm.scope, symbol)
      wanted.push(key)
      try {
        await dm.armCancelAllAfter(symbol, countdown)
        armed.set(key, { workspaceId: g.workspaceId, account: g.account, symbol, until: now() + countdown })
        alerted.delete(key)
      } catch (err) {
        await failed(key, { ...g, symbol }, 'arm', err)
      }
    }
    for (const [botId, botSymbols] of g.bots) nextKeys.set(botId, [...new Set(botSymbols.map((s) => keyOf(g.account, dm.scope, s)))])
    return wanted
  }

  /** Stops a switch no bot needs any more; one that has already ended is simply forgotten. */
  const disarm = async (key: string, a: Armed) => {
    if (a.until <= now()) {
      armed.delete(key)
      return
    }
    try {
      const venue = await venues(a.workspaceId, a.account)
      await venue.deadManSwitch?.armCancelAllAfter(a.symbol, 0)
      armed.delete(key)
      alerted.delete(key)
    } catch (err) {
      await failed(key, a, 'disarm', err)
    }
  }

  /** One round: arm what the bots need now, stop what they no longer need. Never throws. */
  const round = async (needs: readonly DeadManNeed[]): Promise<void> => {
    const groups = new Map<string, Group>()
    for (const n of needs) {
      if (n.account.kind !== 'exchange' || n.symbols.length === 0) continue
      const id = accountKey(n.account)
      const g = groups.get(id) ?? { workspaceId: n.workspaceId, account: n.account, symbols: new Set<string>(), bots: new Map<string, readonly string[]>() }
      for (const s of n.symbols) g.symbols.add(s)
      g.bots.set(n.botId, n.symbols)
      groups.set(id, g)
    }
    const nextKeys = new Map<string, string[]>()
    const wanted = new Set((await Promise.all([...groups.values()].map((g) => armAccount(g, nextKeys)))).flat())
    keysOfBot = nextKeys
    await Promise.all([...armed].filter(([key]) => !wanted.has(key)).map(([key, a]) => disarm(key, a)))
  }

  /** What a bot's live view shows: armed until the earliest end of the switches it needs (every one of them armed), or null. */
  const stateOf = (botId: string): { armed: true; until: string } | null => {
    const ends = (keysOfBot.get(botId) ?? []).map((k) => armed.get(k)?.until ?? 0)
    const until = Math.min(...ends)
    return ends.length === 0 || until <= now() ? null : { armed: true, until: new Date(until).toISOString() }
  }

  return { round, stateOf }
}
export type DeadManSwitch = ReturnType<typeof createDeadManSwitch>
