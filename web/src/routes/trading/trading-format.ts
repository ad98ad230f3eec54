import type { BotView, OrderView, TradingAccountView } from '../../api/trading/queries'
import type { StatusTone } from '../../components/status-badge'
import { isRecord } from '../../lib/json-guards'
import { phaseWords, words, type StopPlacement } from './live-state'
import { indicatorSpecs, readSignalBotConfig } from './signal-bot-draft'

/** Words and badge tones for bots, orders, signals and accounts. */

export type BotStatus = BotView['status']

export const botStatusLabels: Readonly<Record<BotStatus, string>> = {
  draft: 'Not started',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  finished: 'Finished',
  failed: 'Failed',
}

export const botStatusTones: Readonly<Record<BotStatus, StatusTone>> = {
  draft: 'pending',
  running: 'ok',
  paused: 'warn',
  stopped: 'pending',
  finished: 'ok',
  failed: 'bad',
}

/** A bot that still acts on the market (or may again): running or paused. */
export const isActive = (status: BotStatus): boolean => status === 'running' || status === 'paused'

/** Which of start / pause / stop make sense in a status (the server decides; this hides nonsense). */
export const botCommandsFor = (status: BotStatus): { canStart: boolean; canPause: boolean; canStop: boolean } => ({
  canStart: status === 'draft' || status === 'paused' || status === 'stopped',
  canPause: status === 'running',
  canStop: status === 'running' || status === 'paused',
})

/** "Binance main (exchange)" or "Paper (demo)". */
export const accountText = (account: { kind: 'demo' | 'exchange'; label: string }): string => `${account.label} (${account.kind === 'demo' ? 'demo' : 'real account'})`

/** Whether the signed-in member can place orders on it now: its key can trade, and it is one of theirs (per-member grants). */
export const mayTradeOn = (account: Pick<TradingAccountView, 'canTrade' | 'tradable'>): boolean => account.canTrade && account.tradable !== false

/** Why not, in a picker's words; empty when they can. */
export const notTradableText = (account: Pick<TradingAccountView, 'canTrade' | 'tradable'>): string =>
  account.tradable === false ? ' (not granted to you)' : account.canTrade ? '' : ' (cannot trade: key not active)'

/** An account in a picker: "Paper — Demo Futures, stops on the exchange". */
export const tradingAccountOption = (account: TradingAccountView): string => {
  const market = account.market === 'spot' ? 'spot' : 'futures'
  const venue = account.kind === 'demo' ? `Demo ${market}` : `${account.venue} ${market}`
  return `${account.label} — ${venue}${notTradableText(account)}`
}

/**
 * Where a Smart Trade's stop will live on an account, as the machine decides it (smart-trade.ts
 * stopPlacementOf): on the exchange only for futures on a venue that keeps stop orders. On spot the
 * take-profit sells already reserve the coins, so Bulwark triggers the stop whatever the venue keeps.
 */
export const stopPlacementFor = (account: Pick<TradingAccountView, 'market' | 'stopsOnExchange'>): StopPlacement =>
  account.market === 'linear' && account.stopsOnExchange ? 'exchange' : 'platform'

/** The symbol and direction of a Smart Trade from its config, read defensively for the list. */
export const smartTradeHeadline = (bot: BotView): { symbol: string; direction: string } => {
  const config = isRecord(bot.config) ? bot.config : {}
  return {
    symbol: typeof config.symbol === 'string' ? config.symbol : bot.name,
    direction: config.direction === 'short' ? 'Short' : config.direction === 'long' ? 'Long' : '—',
  }
}

/** The trade's own name, or null when it only repeats the headline (the server names it "Long BTC/USDT"). */
export const smartTradeOwnName = (bot: BotView): string | null => {
  const { symbol, direction } = smartTradeHeadline(bot)
  return bot.name === symbol || bot.name === `${direction} ${symbol}` ? null : bot.name
}

/** "Webhook" or "RSI thresholds on 1h". */
export const signalSourceText = (bot: BotView): string => {
  const config = readSignalBotConfig(bot.config)
  if (config === undefined) return '—'
  return config.source.kind === 'webhook' ? 'TradingView webhook' : `${indicatorSpecs[config.source.indicator.type].label} on ${config.source.timeframe}`
}

export const signalBotSymbols = (bot: BotView): string => readSignalBotConfig(bot.config)?.symbols.join(', ') ?? '—'

/** The phase a machine reports, in words; null when it reports none. */
export const phaseText = (bot: BotView): string | null => {
  const phase = bot.live.phase
  return typeof phase === 'string' && phase !== '' ? phaseWords(phase) : null
}

/** "Running — Position open", "Paused: trading halted: …": the status, the phase when it adds something, and why. */
export const statusLine = (bot: BotView): string => {
  const label = botStatusLabels[bot.status]
  const phase = phaseText(bot)
  return `${label}${phase === null || phase === label ? '' : ` — ${phase}`}${bot.statusReason === null ? '' : `: ${bot.statusReason}`}`
}

/** Journal states: `unknown` is the one that needs attention (the answer was lost; reconciliation runs). */
export const orderStateTone = (order: Pick<OrderView, 'state' | 'unresolved'>): StatusTone => {
  if (order.unresolved || order.state === 'unknown') return 'warn'
  if (order.state === 'rejected') return 'bad'
  return order.state === 'filled' ? 'ok' : 'pending'
}

/** Journal states a trader would name otherwise: `acknowledged` is an order resting on the exchange. */
const orderStateWords: Readonly<Record<string, string>> = { intent: 'Not sent yet', sent: 'Sending', acknowledged: 'Open' }

export const orderStateText = (order: Pick<OrderView, 'state' | 'unresolved'>): string =>
  order.unresolved ? 'Unresolved — check the exchange' : order.state === 'unknown' ? 'Unknown — being resolved' : (orderStateWords[order.state] ?? words(order.state))

export const purposeText = (purpose: string): string =>
  ({ entry: 'Entry', take_profit: 'Take profit', stop_loss: 'Stop loss', trailing_take_profit: 'Trailing take profit', close: 'Close', manual: 'Manual' })[purpose] ??
  words(purpose)

/** The server's roles for trading (src/auth/policy.ts `trading.*`); the server decides, this hides what would be refused. */
export const canTrade = (role: string): boolean => role === 'owner' || role === 'admin' || role === 'trader'
export const canHalt = canTrade
export const canResume = (role: string): boolean => role === 'owner' || role === 'admin'
export const canSetRisk = canResume
