import { detailLabel, detailValue } from '../../lib/account-format'
import { isRecord, type JsonRecord } from '../../lib/json-guards'

/**
 * A bot's `live` object in words. The state machines own its shape (src/trading/machines: smart-trade.ts
 * and signal-bot.ts `live()`); this reads it field by field and never trusts a type it has not checked,
 * so an older or newer server shows what it can instead of breaking the page. A draft bot (never
 * started) reports `{}`. Plain values under keys this file does not know are listed as they come.
 * Times arrive as Unix ms and leave as ISO strings for <TimeText>.
 */

export type StopPlacement = 'exchange' | 'platform'

/** A take-profit target: a price once the entry filled, or the configured percentage before. */
export type LiveTarget = {
  index: number
  price: string | null
  percent: string | null
  amount: string | null
  sharePercent: string | null
  /** waiting | placing | open | partially_filled | filled | cancelled | rejected | unknown | trailing | skipped */
  status: string | null
}

/** What a Smart Trade (or one Signal Bot position, which is an embedded Smart Trade) says. */
export type LiveTrade = {
  symbol: string | null
  direction: string | null
  /** waiting | entering | open | closing | finished | cancelled */
  phase: string | null
  /** Base amount held now ("0" when flat). */
  position: string | null
  averageEntry: string | null
  realizedPnl: string | null
  fees: string | null
  /** Fees in a third currency the machine could not value: [currency, amount]. */
  feesOther: [string, string][]
  stopPrice: string | null
  stopPlacement: StopPlacement | null
  stopPlacementReason: string | null
  trailingStop: { percent: string; bestPrice: string | null } | null
  breakeven: { enabled: boolean; done: boolean } | null
  targets: LiveTarget[]
  trailingTakeProfit: { percent: string; armed: boolean; peak: string | null } | null
  exitReason: string | null
  /** A market close the venue or the risk guard refused: nothing is retried until the user closes again. */
  closeBlocked: string | null
  openOrders: string[]
  unknownOrders: string[]
  timeoutAt: string | null
  lastStopLossAt: string | null
  startedAt: string | null
  openedAt: string | null
  finishedAt: string | null
  endReason: string | null
}

export type LivePosition = {
  symbol: string
  /** "p3": the bot's third position (its orders' keys start with it). */
  label: string | null
  side: string | null
  phase: string | null
  amount: string | null
  averageEntry: string | null
  realizedPnl: string | null
  stopPrice: string | null
  stopPlacement: StopPlacement | null
  targets: LiveTarget[]
  exitReason: string | null
  unknownOrders: string[]
  /** An entry waiting for this position to close (a flip, or a re-entry while closing). */
  queued: { side: string | null; action: string | null; since: string | null } | null
}

/** What the bot decided about one accepted signal (the signal log holds the webhook's verdicts). */
export type LiveVerdict = { time: string | null; action: string | null; symbol: string | null; signalId: string | null; verdict: string | null; reason: string | null }

export type LiveSignalBot = {
  symbols: string[]
  /** One row per symbol with a position or a queued entry. */
  positions: LivePosition[]
  realizedPnl: string | null
  fees: string | null
  feesOther: [string, string][]
  trades: number | null
  wins: number | null
  losses: number | null
  lastStopLossAt: string | null
  /** Newest first. */
  verdicts: LiveVerdict[]
  stopping: { mode: string | null; reason: string | null; at: string | null } | null
  finished: boolean
}

/** Other plain values, labelled: [["Some new field", "42"]]. */
type Other = [string, string][]

export type LiveView =
  | { kind: 'empty' }
  | { kind: 'smart_trade'; trade: LiveTrade; other: Other }
  | { kind: 'signal_bot'; bot: LiveSignalBot; other: Other }
  | { kind: 'unknown'; other: Other }

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null)
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)
const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null)
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [])
const record = (value: unknown): JsonRecord | null => (isRecord(value) ? value : null)

/** Unix ms (what the machines keep) as ISO; an ISO string passes. */
const time = (value: unknown): string | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString()
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null
}

const amounts = (value: unknown): [string, string][] => {
  const map = record(value)
  if (map === null) return []
  return Object.entries(map).flatMap(([currency, amount]): [string, string][] => {
    const text = str(amount)
    return text === null ? [] : [[currency, text]]
  })
}

const placementOf = (value: unknown): StopPlacement | null => (value === 'exchange' || value === 'platform' ? value : null)

const targetsOf = (value: unknown): LiveTarget[] =>
  Array.isArray(value)
    ? value.filter(isRecord).map((target, at) => ({
        index: num(target.index) ?? at + 1,
        price: str(target.price),
        percent: str(target.percent),
        amount: str(target.amount),
        sharePercent: str(target.sharePercent),
        status: str(target.status),
      }))
    : []

const readTrade = (live: JsonRecord): LiveTrade => {
  const trailingStop = record(live.trailingStop)
  const breakeven = record(live.breakeven)
  const trailingTakeProfit = record(live.trailingTakeProfit)
  const trailingStopPercent = trailingStop === null ? null : str(trailingStop.percent)
  const trailingTakeProfitPercent = trailingTakeProfit === null ? null : str(trailingTakeProfit.percent)
  return {
    symbol: str(live.symbol),
    direction: str(live.direction),
    phase: str(live.phase),
    position: str(live.position),
    averageEntry: str(live.averageEntry),
    realizedPnl: str(live.realizedPnl),
    fees: str(live.fees),
    feesOther: amounts(live.feesOther),
    stopPrice: str(live.stopPrice),
    stopPlacement: placementOf(live.stopPlacement),
    stopPlacementReason: str(live.stopPlacementReason),
    trailingStop: trailingStop === null || trailingStopPercent === null ? null : { percent: trailingStopPercent, bestPrice: str(trailingStop.bestPrice) },
    breakeven: breakeven === null ? null : { enabled: bool(breakeven.enabled) ?? false, done: bool(breakeven.done) ?? false },
    targets: targetsOf(live.targets),
    trailingTakeProfit:
      trailingTakeProfit === null || trailingTakeProfitPercent === null
        ? null
        : { percent: trailingTakeProfitPercent, armed: bool(trailingTakeProfit.armed) ?? false, peak: str(trailingTakeProfit.peak) },
    exitReason: str(live.exitReason),
    closeBlocked: str(live.closeBlocked),
    openOrders: strings(live.openOrders),
    unknownOrders: strings(live.unknownOrders),
    timeoutAt: time(live.timeoutAt),
    lastStopLossAt: time(live.lastStopLossAt),
    startedAt: time(live.startedAt),
    openedAt: time(live.openedAt),
    finishedAt: time(live.finishedAt),
    endReason: str(live.endReason),
  }
}

const readPosition = (symbol: string, value: JsonRecord): LivePosition => {
  const queued = record(value.queued)
  return {
    symbol,
    label: str(value.position),
    side: str(value.side),
    phase: str(value.phase),
    amount: str(value.amount),
    averageEntry: str(value.averageEntry),
    realizedPnl: str(value.realizedPnl),
    stopPrice: str(value.stopPrice),
    stopPlacement: placementOf(value.stopPlacement),
    targets: targetsOf(value.targets),
    exitReason: str(value.exitReason),
    unknownOrders: strings(value.unknownOrders),
    queued: queued === null ? null : { side: str(queued.side), action: str(queued.action), since: time(queued.since) },
  }
}

const readVerdict = (value: JsonRecord): LiveVerdict => ({
  time: time(value.time),
  action: str(value.action),
  symbol: str(value.symbol),
  signalId: str(value.signalId),
  verdict: str(value.verdict),
  reason: str(value.reason),
})

const readSignalBot = (live: JsonRecord): LiveSignalBot => {
  const positions = record(live.positions)
  const stopping = record(live.stopping)
  const verdicts = Array.isArray(live.verdicts) ? live.verdicts.filter(isRecord).map(readVerdict) : []
  return {
    symbols: strings(live.symbols),
    positions: positions === null ? [] : Object.entries(positions).flatMap(([symbol, value]) => (isRecord(value) ? [readPosition(symbol, value)] : [])),
    realizedPnl: str(live.realizedPnl),
    fees: str(live.fees),
    feesOther: amounts(live.feesOther),
    trades: num(live.trades),
    wins: num(live.wins),
    losses: num(live.losses),
    lastStopLossAt: time(live.lastStopLossAt),
    verdicts: verdicts.reverse(),
    stopping: stopping === null ? null : { mode: str(stopping.mode), reason: str(stopping.reason), at: time(stopping.at) },
    finished: bool(live.finished) ?? false,
  }
}

const tradeKeys = [
  'kind', 'symbol', 'direction', 'phase', 'position', 'averageEntry', 'realizedPnl', 'fees', 'feesOther', 'stopPrice', 'stopPlacement', 'stopPlacementReason', 'stopOrderKey',
  'trailingStop', 'breakeven', 'targets', 'trailingTakeProfit', 'exitReason', 'lastStopLossAt', 'timeoutAt', 'closeBlocked', 'openOrders', 'unknownOrders', 'startedAt',
  'openedAt', 'finishedAt', 'endReason',
]
const botKeys = ['kind', 'symbols', 'positions', 'realizedPnl', 'fees', 'feesOther', 'trades', 'wins', 'losses', 'lastStopLossAt', 'lastVerdict', 'verdicts', 'stopping', 'finished']

const othersOf = (live: JsonRecord, known: readonly string[]): Other => {
  const shown = new Set(known)
  return Object.entries(live)
    .filter(([key, value]) => !shown.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
    .map(([key, value]): [string, string] => [detailLabel(key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()), typeof value === 'boolean' ? (value ? 'Yes' : 'No') : detailValue(value)])
}

/** Reads a bot's `live` as its kind reports it (`kind` from the bot view wins over the object's own). */
export const readLive = (live: Record<string, unknown>, kind?: 'smart_trade' | 'signal_bot'): LiveView => {
  const which = kind ?? (live.kind === 'smart_trade' || live.kind === 'signal_bot' ? live.kind : undefined)
  if (Object.keys(live).length === 0) return { kind: 'empty' }
  if (which === 'smart_trade') return { kind: 'smart_trade', trade: readTrade(live), other: othersOf(live, tradeKeys) }
  if (which === 'signal_bot') return { kind: 'signal_bot', bot: readSignalBot(live), other: othersOf(live, botKeys) }
  return { kind: 'unknown', other: othersOf(live, []) }
}

/** "waiting_entry" → "Waiting entry". */
export const words = (value: string): string => {
  const spaced = value.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim().toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

/** The Smart Trade phases (machines-types.ts TradePhase) as a trader says them. */
const phaseLabels: Readonly<Record<string, string>> = {
  waiting: 'Waiting for the entry trigger',
  entering: 'Entering',
  open: 'Position open',
  closing: 'Closing',
  finished: 'Finished',
  cancelled: 'Cancelled',
}
export const phaseWords = (phase: string): string => phaseLabels[phase] ?? words(phase)

/** Why a position was (or is being) exited (machines-types.ts ExitReason). */
const exitLabels: Readonly<Record<string, string>> = {
  take_profit: 'Take profit',
  stop_loss: 'Stop loss',
  trailing_take_profit: 'Trailing take profit',
  timeout: 'Timeout',
  close: 'Closed at market by hand',
  cancel: 'Cancelled: the position is no longer managed',
}
export const exitReasonWords = (reason: string): string => exitLabels[reason] ?? words(reason)

/** A trade's order keys (smart-trade.ts: entry, tp1…tp5, sl, sl.2…, close, close.2…) in words. */
export const orderKeyWords = (key: string): string => {
  const target = /^tp(\d+)$/.exec(key)
  if (target !== null) return `target ${target[1] ?? ''}`
  if (key === 'sl' || key.startsWith('sl.')) return 'stop'
  if (key === 'close' || key.startsWith('close.')) return 'market close'
  return key
}

export const stopPlacementText: Readonly<Record<StopPlacement, string>> = {
  exchange: 'on the exchange',
  platform: 'triggered by Bulwark',
}

/** Why it matters where the stop lives, said beside it. */
export const stopPlacementHelp: Readonly<Record<StopPlacement, string>> = {
  exchange: 'The stop order rests on the exchange: it fires even if Bulwark is down.',
  platform: 'Bulwark watches the price and exits at market when the stop is reached. It does not fire while Bulwark is down.',
}
