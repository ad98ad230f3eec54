import { isDecimalString } from '../../lib/decimal.js'
import type { SignalBotConfig, SmartTradeConfig } from '../trading-api-types.js'
import type { BotCommand, BotEvent, BotMachine, MachineContext, SignalInput, Transition } from '../trading-types.js'
import { dec, floorTo, money, smartTradeSummary, str } from './levels.js'
import type { SignalBotState, SignalSlot, SignalVerdict, SmartTradeState, TradeDirection, TradeSummary } from './machines-types.js'
import { smartTradeMachine } from './smart-trade.js'

/**
 * The Signal Bot machine (pure). One position per symbol at a time, each an embedded Smart Trade whose
 * order keys are prefixed `p<n>.` (n counts the bot's positions, so keys stay unique for its lifetime).
 * Prices go to the symbol's position, order reports by key prefix, timers to every position.
 *
 * Signals: enter_long / enter_short open a position when flat; the same side while open is ignored (while
 * it is closing, the entry is queued); the opposite side closes the position first and enters once it is
 * closed (a flip, futures with sides 'both'); exit_long / exit_short close that side (or drop its queued
 * entry); close_all closes everything. Shorts need a futures account and sides 'short' or 'both'. Entries
 * are market, or limit at the signal's price; the amount is the signal's, else the sizing (a quote amount
 * buys quote / price, rounded down to 8 decimals — no price known: refused with an alert). TP/SL come from
 * the signal's prices, else the bot's percentages; a TP or SL on the wrong side of the entry is refused.
 *
 * Commands: 'close' closes every position and then stops the bot; 'cancel' cancels every order, leaves
 * the positions and stops. A rejected entry with onRejection 'stop' drains: no new entries, open positions
 * are still managed until they finish, then the bot stops. Every decision is kept as a verdict.
 */

const maxVerdicts = 20
const quoteSizingDecimals = 8
const keyPattern = /^p(\d+)\.(.+)$/

type Step = { s: SignalBotState; ctx: MachineContext; time: number; out: BotCommand[] }
type Verdict = Pick<SignalVerdict, 'verdict' | 'reason'>

const isPositiveDecimal = (v: string): boolean => isDecimalString(v) && dec(v).gt(0)
const isFuturesAccount = (ctx: MachineContext, symbol: string) => ctx.market === 'linear' && symbol.includes(':')

const record = (st: Step, signal: SignalInput, v: Verdict): void => {
  st.s.verdicts.push({ time: st.time, action: signal.action, symbol: signal.symbol, signalId: signal.signalId ?? null, ...v })
  if (st.s.verdicts.length > maxVerdicts) st.s.verdicts.splice(0, st.s.verdicts.length - maxVerdicts)
}

const alert = (st: Step, rule: string, severity: 'info' | 'warning' | 'critical', message: string, details: Record<string, string | number | boolean | null> = {}): void => {
  st.out.push({ type: 'alert', rule, severity, details: { message, ...details } })
}

const activeSlots = (s: SignalBotState): [string, SignalSlot][] => Object.entries(s.slots).filter(([, slot]) => slot.trade !== null)

const maybeFinishBot = (st: Step): void => {
  const { s } = st
  if (s.stopping === null || s.finished || activeSlots(s).length > 0) return
  s.finished = true
  st.out.push({ type: 'finish', status: 'stopped', reason: s.stopping.reason })
}

/** Adds a finished position to the totals and frees its slot; a queued entry goes next. */
const onTradeFinished = (st: Step, symbol: string, slot: SignalSlot, fin: Extract<BotCommand, { type: 'finish' }>): void => {
  const { s } = st
  const trade = slot.trade as SmartTradeState
  const sum = smartTradeSummary(trade)
  const c = s.closed
  if (sum.trades > 0) {
    c.trades += 1
    if (dec(sum.realizedPnl).gt(0)) c.wins += 1
    else c.losses += 1
  }
  c.realizedPnl = str(dec(c.realizedPnl).plus(dec(sum.realizedPnl)))
  c.fees = str(dec(c.fees).plus(dec(sum.fees)))
  for (const [cur, amount] of Object.entries(sum.feesOther)) c.feesOther[cur] = str(dec(c.feesOther[cur] ?? '0').plus(dec(amount)))
  if (trade.lastStopLossAt !== null && (s.lastStopLossAt === null || trade.lastStopLossAt > s.lastStopLossAt)) s.lastStopLossAt = trade.lastStopLossAt
  const entry = trade.orders.entry
  if (entry?.state === 'rejected') {
    const reason = entry.reason ?? 'no reason given'
    alert(st, 'signal_bot_entry_rejected', 'warning', `the entry of position p${slot.seq ?? '?'} on ${symbol} was rejected (${reason})`, { symbol, position: slot.seq, reason })
    if (s.config.onRejection === 'stop' && s.stopping === null) s.stopping = { mode: 'drain', reason: `an entry order was rejected (${reason}) and the bot is set to stop on rejections`, at: st.time }
  }
  if (fin.status === 'stopped' && sum.positions[symbol] !== undefined) alert(st, 'signal_bot_position_left', 'warning', `position p${slot.seq ?? '?'} on ${symbol} stopped with ${sum.positions[symbol].amount} left open: ${fin.reason}`, { symbol, position: slot.seq })
  slot.trade = null
  slot.seq = null
  slot.side = null
  const next = slot.pending
  slot.pending = null
  if (next !== null && st.s.stopping === null) {
    const v = openPosition(st, symbol, next.side, next.signal)
    if (v.verdict !== 'accepted') record(st, next.signal, { verdict: v.verdict, reason: `queued entry: ${v.reason}` })
  }
  maybeFinishBot(st)
}

/** Takes an embedded trade's transition: prefixes its keys, tags its alerts, and handles its finish. */
const absorb = (st: Step, symbol: string, slot: SignalSlot, t: Transition<SmartTradeState>): void => {
  slot.trade = t.state
  let fin: Extract<BotCommand, { type: 'finish' }> | null = null
  for (const c of t.commands) {
    if (c.type === 'place' || c.type === 'cancel') st.out.push({ ...c, key: `p${slot.seq ?? 0}.${c.key}` })
    else if (c.type === 'alert') st.out.push({ ...c, details: { ...c.details, position: slot.seq } })
    else if (c.type === 'wake') st.out.push(c)
    else fin = c
  }
  if (fin !== null) onTradeFinished(st, symbol, slot, fin)
}

const stepTrade = (st: Step, symbol: string, slot: SignalSlot, event: BotEvent): void => {
  if (slot.trade === null) return
  absorb(st, symbol, slot, smartTradeMachine.step(slot.trade, event, st.ctx))
}

const refused = (st: Step, reason: string, alertIt = false): Verdict => {
  if (alertIt) alert(st, 'signal_bot_signal_refused', 'warning', reason)
  return { verdict: 'refused', reason }
}

const openPosition = (st: Step, symbol: string, side: TradeDirection, signal: SignalInput): Verdict => {
  const { s, ctx } = st
  const cfg = s.config
  for (const field of ['amount', 'price', 'takeProfit', 'stopLoss'] as const) {
    const v = signal[field]
    if (v !== undefined && !isPositiveDecimal(v)) return refused(st, `the signal's ${field} "${v.slice(0, 40)}" is not a positive decimal number`)
  }
  const ref = signal.price ?? ctx.lastPrice(symbol)
  let amount = signal.amount ?? (cfg.sizing.kind === 'base' ? cfg.sizing.amount : null)
  if (amount === null) {
    if (ref === null) return refused(st, `no price is known for ${symbol} yet, so the quote amount ${cfg.sizing.amount} cannot be turned into an amount`, true)
    const base = floorTo(dec(cfg.sizing.amount).div(dec(ref)), Math.min(quoteSizingDecimals, ctx.amountDecimals(symbol) ?? quoteSizingDecimals))
    if (base.lte(0)) return refused(st, `the quote amount ${cfg.sizing.amount} buys less than 0.00000001 ${symbol.split('/')[0] ?? ''} at ${ref}`)
    amount = str(base)
  }
  if (ref !== null) {
    const above = side === 'long' ? 'above' : 'below'
    const below = side === 'long' ? 'below' : 'above'
    const entryPrice = dec(ref)
    if (signal.takeProfit !== undefined && !(side === 'long' ? dec(signal.takeProfit).gt(entryPrice) : dec(signal.takeProfit).lt(entryPrice))) return refused(st, `the take profit ${signal.takeProfit} is not ${above} the entry price ${ref} of a ${side}`)
    if (signal.stopLoss !== undefined && !(side === 'long' ? dec(signal.stopLoss).lt(entryPrice) : dec(signal.stopLoss).gt(entryPrice))) return refused(st, `the stop loss ${signal.stopLoss} is not ${below} the entry price ${ref} of a ${side}`)
  }
  const trailing = cfg.trailingStopPercent === undefined ? {} : { trailingPercent: cfg.trailingStopPercent }
  const config: SmartTradeConfig = {
    symbol,
    direction: side,
    amount,
    entry: signal.price === undefined ? { type: 'market' } : { type: 'limit', price: signal.price },
    ...(signal.takeProfit !== undefined
      ? { takeProfit: { targets: [{ price: signal.takeProfit, sharePercent: '100' }] } }
      : cfg.takeProfitPercent !== undefined
        ? { takeProfit: { targets: [{ percent: cfg.takeProfitPercent, sharePercent: '100' }] } }
        : {}),
    ...(signal.stopLoss !== undefined
      ? { stopLoss: { price: signal.stopLoss, ...trailing } }
      : cfg.stopLossPercent !== undefined
        ? { stopLoss: { percent: cfg.stopLossPercent, ...trailing } }
        : cfg.trailingStopPercent !== undefined
          ? { stopLoss: { trailingPercent: cfg.trailingStopPercent } }
          : {}),
  }
  const slot = s.slots[symbol] ?? { seq: null, side: null, trade: null, pending: null }
  s.slots[symbol] = slot
  slot.seq = s.nextSeq
  slot.side = side
  s.nextSeq += 1
  absorb(st, symbol, slot, smartTradeMachine.start(config, ctx))
  return { verdict: 'accepted', reason: `position p${s.nextSeq - 1}: ${side} ${amount} ${symbol} at ${signal.price ?? 'market'}` }
}

const closeTrade = (st: Step, symbol: string, slot: SignalSlot): void => stepTrade(st, symbol, slot, { type: 'command', command: 'close', time: st.time })

/** A verdict, and what to do once it is recorded (closing may finish a position and open the queued entry). */
type Decision = Verdict & { then?: () => void }

const enter = (st: Step, slot: SignalSlot, side: TradeDirection, signal: SignalInput): Decision => {
  const { symbol } = signal
  const sides = st.s.config.sides
  if (side === 'short' && !isFuturesAccount(st.ctx, symbol)) return { verdict: 'ignored', reason: `${symbol} on a spot account cannot go short` }
  if (sides !== 'both' && sides !== side) return { verdict: 'ignored', reason: `this bot takes ${sides} entries only` }
  if (slot.trade === null) return openPosition(st, symbol, side, signal)
  if (slot.side === side) {
    if (slot.trade.phase !== 'closing') return { verdict: 'ignored', reason: `already ${side} on ${symbol} (position p${slot.seq ?? '?'})` }
    slot.pending = { side, signal, time: st.time }
    return { verdict: 'accepted', reason: `queued: enters ${side} once position p${slot.seq ?? '?'} has closed` }
  }
  slot.pending = { side, signal, time: st.time }
  return { verdict: 'accepted', reason: `closing the ${slot.side ?? ''} position p${slot.seq ?? '?'} first, then entering ${side}`, then: () => closeTrade(st, symbol, slot) }
}

const exit = (st: Step, slot: SignalSlot, side: TradeDirection, symbol: string): Decision => {
  if (slot.trade !== null && slot.side === side) {
    if (slot.pending?.side === side) slot.pending = null
    if (slot.trade.phase === 'closing' && slot.trade.closeBlocked === null) return { verdict: 'ignored', reason: `the ${side} position p${slot.seq ?? '?'} on ${symbol} is already closing` }
    return { verdict: 'accepted', reason: `closing the ${side} position p${slot.seq ?? '?'} on ${symbol}`, then: () => closeTrade(st, symbol, slot) }
  }
  if (slot.pending?.side === side) {
    slot.pending = null
    return { verdict: 'accepted', reason: `dropped the queued ${side} entry on ${symbol}` }
  }
  return { verdict: 'ignored', reason: `no ${side} position on ${symbol}` }
}

const decide = (st: Step, signal: SignalInput): Decision => {
  const { s } = st
  if (s.stopping !== null || s.finished) return { verdict: 'refused', reason: `the bot is stopping: ${s.stopping?.reason ?? 'finished'}` }
  if (signal.action === 'close_all') {
    const open = Object.entries(s.slots).filter(([, slot]) => slot.trade !== null || slot.pending !== null)
    if (open.length === 0) return { verdict: 'ignored', reason: 'no open position' }
    for (const [, slot] of open) slot.pending = null
    const n = open.filter(([, slot]) => slot.trade !== null).length
    return { verdict: 'accepted', reason: `closing ${n} position${n === 1 ? '' : 's'}`, then: () => open.forEach(([symbol, slot]) => closeTrade(st, symbol, slot)) }
  }
  const slot = s.slots[signal.symbol]
  if (slot === undefined) return { verdict: 'ignored', reason: `"${signal.symbol}" is not one of this bot's symbols` }
  const side: TradeDirection = signal.action === 'enter_long' || signal.action === 'exit_long' ? 'long' : 'short'
  return signal.action === 'enter_long' || signal.action === 'enter_short' ? enter(st, slot, side, signal) : exit(st, slot, side, signal.symbol)
}

const onSignal = (st: Step, signal: SignalInput): void => {
  const d = decide(st, signal)
  record(st, signal, { verdict: d.verdict, reason: d.reason })
  d.then?.()
}

const onCommand = (st: Step, command: 'close' | 'cancel'): void => {
  const { s } = st
  if (s.finished) return
  s.stopping = { mode: command, reason: command === 'close' ? 'closed by the user: every position was closed at market' : 'cancelled by the user: orders cancelled, positions left as they are', at: st.time }
  for (const [symbol, slot] of Object.entries(s.slots)) {
    slot.pending = null
    stepTrade(st, symbol, slot, { type: 'command', command, time: st.time })
  }
  maybeFinishBot(st)
}

const start = (config: SignalBotConfig, ctx: MachineContext): Transition<SignalBotState> => {
  const s: SignalBotState = {
    kind: 'signal_bot', config, nextSeq: 1, slots: {}, closed: { trades: 0, wins: 0, losses: 0, realizedPnl: '0', fees: '0', feesOther: {} }, lastStopLossAt: null, verdicts: [], stopping: null, finished: false,
  }
  for (const symbol of config.symbols) s.slots[symbol] = { seq: null, side: null, trade: null, pending: null }
  const wrong = config.symbols.find((symbol) => symbol.includes(':') !== (ctx.market === 'linear'))
  const why = wrong !== undefined ? `"${wrong}" is not a ${ctx.market === 'linear' ? 'futures' : 'spot'} symbol, but the account trades ${ctx.market === 'linear' ? 'futures' : 'spot'}` : ctx.market === 'spot' && config.sides === 'short' ? 'a spot account cannot go short, and this bot takes short entries only' : null
  if (why === null) return { state: s, commands: [] }
  s.finished = true
  return { state: s, commands: [{ type: 'finish', status: 'stopped', reason: why }] }
}

const step = (state: SignalBotState, event: BotEvent, ctx: MachineContext): Transition<SignalBotState> => {
  // Most price updates change nothing (no position, or one they do not move): answer without copying the state.
  if (state.finished) return { state, commands: [] }
  if (event.type === 'price') {
    const trade = state.slots[event.symbol]?.trade ?? null
    if (trade === null || smartTradeMachine.step(trade, event, ctx).state === trade) return { state, commands: [] }
  }
  const st: Step = { s: structuredClone(state), ctx, time: event.time, out: [] }
  const { s } = st
  // A signal bot's exits come from its config (edited while it is stopped), not from edit events.
  if (event.type === 'edit') return { state, commands: [] }
  if (event.type === 'signal') onSignal(st, event.signal)
  else if (event.type === 'command') onCommand(st, event.command)
  else if (event.type === 'price') {
    const slot = s.slots[event.symbol]
    if (slot !== undefined) stepTrade(st, event.symbol, slot, event)
  } else if (event.type === 'timer') {
    for (const [symbol, slot] of activeSlots(s)) stepTrade(st, symbol, slot, event)
  } else {
    const m = keyPattern.exec(event.key)
    const found = m === null ? undefined : activeSlots(s).find(([, slot]) => String(slot.seq) === m[1])
    if (m === null || found === undefined) return { state, commands: [] }
    stepTrade(st, found[0], found[1], { ...event, key: m[2] ?? '' })
  }
  return { state: s, commands: st.out }
}

/** A smart trade's or a signal bot's figures for the risk and PnL code: realized PnL, fees, open positions. */
export const tradeSummary = (state: SmartTradeState | SignalBotState): TradeSummary => {
  if (state.kind === 'smart_trade') return smartTradeSummary(state)
  let realized = dec(state.closed.realizedPnl)
  let fees = dec(state.closed.fees)
  const feesOther = { ...state.closed.feesOther }
  const positions: TradeSummary['positions'] = {}
  let lastStopLossAt = state.lastStopLossAt
  let trades = state.closed.trades
  for (const [, slot] of activeSlots(state)) {
    const sum = smartTradeSummary(slot.trade as SmartTradeState)
    realized = realized.plus(dec(sum.realizedPnl))
    fees = fees.plus(dec(sum.fees))
    for (const [cur, amount] of Object.entries(sum.feesOther)) feesOther[cur] = str(dec(feesOther[cur] ?? '0').plus(dec(amount)))
    Object.assign(positions, sum.positions)
    if (sum.lastStopLossAt !== null && (lastStopLossAt === null || sum.lastStopLossAt > lastStopLossAt)) lastStopLossAt = sum.lastStopLossAt
    trades += sum.trades
  }
  return { realizedPnl: money(realized), fees: money(fees), feesOther, positions, lastStopLossAt, trades }
}

const live = (s: SignalBotState): Record<string, unknown> => {
  const sum = tradeSummary(s)
  const positions: Record<string, unknown> = {}
  for (const [symbol, slot] of Object.entries(s.slots)) {
    if (slot.trade === null && slot.pending === null) continue
    const t = slot.trade === null ? null : smartTradeMachine.live(slot.trade)
    positions[symbol] = {
      position: slot.seq === null ? null : `p${slot.seq}`,
      side: slot.side,
      ...(t === null ? {} : { phase: t.phase, amount: t.position, averageEntry: t.averageEntry, realizedPnl: t.realizedPnl, stopPrice: t.stopPrice, stopPlacement: t.stopPlacement, targets: t.targets, exitReason: t.exitReason, unknownOrders: t.unknownOrders }),
      queued: slot.pending === null ? null : { side: slot.pending.side, action: slot.pending.signal.action, since: slot.pending.time },
    }
  }
  return {
    kind: 'signal_bot',
    symbols: s.config.symbols,
    positions,
    realizedPnl: sum.realizedPnl,
    fees: sum.fees,
    feesOther: sum.feesOther,
    trades: sum.trades,
    wins: s.closed.wins,
    losses: s.closed.losses,
    lastStopLossAt: sum.lastStopLossAt,
    lastVerdict: s.verdicts[s.verdicts.length - 1] ?? null,
    verdicts: s.verdicts,
    stopping: s.stopping,
    finished: s.finished,
  }
}

export const signalBotMachine: BotMachine<SignalBotState, SignalBotConfig> = {
  start,
  step,
  interest: (state) => ({ symbols: state.finished ? [] : [...state.config.symbols] }),
  live,
}
