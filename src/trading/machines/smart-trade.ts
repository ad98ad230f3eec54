import type { IntentState } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import type { Decimal } from '../../lib/decimal.js'
import type { SmartTradeConfig } from '../trading-api-types.js'
import { finalIntentStates, type BotCommand, type BotEvent, type BotMachine, type MachineContext, type OrderPurpose, type OrderType, type PlaceOrder, type Transition } from '../trading-types.js'
import { averageEntryOf, betterOf, bookFee, bookFill, currenciesOf, dec, decimalsOf, emptyBook, floorTo, heldOf, isBetter, money, offsetPrice, reachedAgainst, reachedInFavour, realizedOf, roundPrice, splitByShares, str, zero } from './levels.js'
import type { ExitReason, SmartTradeState, StopPlacement, TradeOrder, TradePhase, TradeTarget } from './machines-types.js'

/**
 * The Smart Trade machine (pure; see README.md "Contracts"). Level-triggered: after every event the
 * machine looks at its orders and position and asks for what is missing, so a lost or late answer never
 * leads to a second order — every key is used once (`entry`, `tp1`…`tp5`, `sl`, `sl.2`…, `close`,
 * `close.2`…) and the journal keeps one order per key.
 *
 * Decisions a trader should know (live() shows them):
 * - Stops rest on the venue as reduce-only stop-market orders when it keeps them (futures with
 *   `supportsStopOrders`); a moved stop is cancelled first and its replacement placed only once the
 *   cancel is confirmed. Otherwise (spot, where the take-profit sells already reserve the coins, or no stop
 *   orders) the platform triggers the stop from prices: cancel the targets, wait for the cancels, sell
 *   (or buy back) the rest at market. The platform also watches whenever no stop rests on the venue.
 * - Targets and the exchange stop are placed once the entry is final (filled, or cancelled after a partial
 *   fill); a partly filled entry is protected by the platform meanwhile.
 * - 'close' cancels every open order of the trade and exits the rest at market (nothing filled: it just
 *   cancels). 'cancel' cancels every open order and stops managing: a position is left as it is.
 * - Timeout: before the entry filled it cancels the entry (and exits any partial fill); after, it closes.
 * - `unknown` orders are waited for, never replaced. While closing on spot, coins an unknown exit may still
 *   sell are not sold again; on futures every exit is reduce-only, so the close takes the whole position.
 */

const inFlight: ReadonlySet<IntentState> = new Set(['intent', 'sent', 'acknowledged', 'partially_filled'])
const isFinal = (o: TradeOrder): boolean => finalIntentStates.has(o.state)
const isCloseOrder = (o: TradeOrder): boolean => o.key === 'close' || o.key.startsWith('close.')
const maxCloseAttempts = 5

/** One transition in progress: the draft state, the facts, the event time and the commands so far. */
type Step = { s: SmartTradeState; ctx: MachineContext; time: number; out: BotCommand[] }

const isFutures = (s: SmartTradeState): boolean => s.config.symbol.includes(':')
const entrySide = (s: SmartTradeState) => (s.config.direction === 'long' ? 'buy' : 'sell')
const exitSide = (s: SmartTradeState) => (s.config.direction === 'long' ? 'sell' : 'buy')
const pricePlaces = (s: SmartTradeState): number => s.pricePrecision ?? 8

const notePrecision = (s: SmartTradeState, price: string | null | undefined): void => {
  // The venue's own tick is the rule once known; prices seen only guess it.
  if (price === null || price === undefined || s.precisionFromVenue === true) return
  const d = Math.min(decimalsOf(price), 12)
  if (s.pricePrecision === null || d > s.pricePrecision) s.pricePrecision = d
}

/**
 * What can be sold (bought back) of the position: what is held, rounded down to the venue's amount step.
 * A spot buy's fee taken in the coin leaves a remainder below one step that no exchange would take: dust,
 * which stays in the account and does not keep the trade open.
 */
const tradeable = (s: SmartTradeState): Decimal => {
  const held = heldOf(s.book)
  return s.amountPrecision === undefined || s.amountPrecision === null ? held : floorTo(held, s.amountPrecision)
}

const place = (st: Step, key: string, purpose: OrderPurpose, order: PlaceOrder): void => {
  // A reused key would be swallowed by the journal (one order per key): a bug here, never a second order.
  if (st.s.orders[key] !== undefined) throw new AppError('INTERNAL', `the smart trade tried to use the order key "${key}" twice`)
  st.s.orders[key] = {
    key, purpose, side: order.side, type: order.type, amount: order.amount, price: order.price ?? null, stopPrice: order.stopPrice ?? null,
    reduceOnly: order.reduceOnly === true, state: 'intent', filled: '0', average: null, fee: '0', bookedNotional: '0', cancelAskedIn: null, reason: null, updatedAt: st.time,
  }
  st.out.push({ type: 'place', key, purpose, order })
}

const exitOrder = (s: SmartTradeState, type: OrderType, amount: string, prices: { price?: string; stopPrice?: string } = {}): PlaceOrder => ({
  symbol: s.config.symbol,
  side: exitSide(s),
  type,
  amount,
  ...prices,
  ...(isFutures(s) ? { reduceOnly: true } : {}),
})

/** Asks once per state; asks again when an order that could not be cancelled yet (not sent, unknown) turns up on the venue. */
const cancel = (st: Step, o: TradeOrder): void => {
  if (isFinal(o) || o.cancelAskedIn !== null) return
  o.cancelAskedIn = o.state
  st.out.push({ type: 'cancel', key: o.key })
}

const alert = (st: Step, rule: string, severity: 'info' | 'warning' | 'critical', message: string, details: Record<string, string | number | boolean | null> = {}): void => {
  st.out.push({ type: 'alert', rule, severity, details: { symbol: st.s.config.symbol, message, ...details } })
}

const finish = (st: Step, status: 'finished' | 'stopped', phase: TradePhase, reason: string): void => {
  st.s.phase = phase
  st.s.endReason = reason
  st.s.finishedAt = st.time
  st.out.push({ type: 'finish', status, reason })
}

const placeEntry = (st: Step): void => {
  const { config } = st.s
  const e = config.entry
  const limit = e.type === 'limit' ? e.price : e.type === 'conditional' ? e.limitPrice : undefined
  const order: PlaceOrder = { symbol: config.symbol, side: entrySide(st.s), type: limit === undefined ? 'market' : 'limit', amount: config.amount, ...(limit === undefined ? {} : { price: limit }) }
  place(st, 'entry', 'entry', order)
  st.s.phase = 'entering'
}

const initialStop = (s: SmartTradeState, avg: Decimal): string | null => {
  const sl = s.config.stopLoss
  if (sl === undefined) return null
  if (sl.price !== undefined) return sl.price
  const percent = sl.percent ?? sl.trailingPercent
  return percent === undefined ? null : roundPrice(offsetPrice(avg, percent, s.config.direction, 'loss'), pricePlaces(s))
}

const beginClosing = (st: Step, reason: ExitReason): void => {
  if (st.s.phase !== 'entering' && st.s.phase !== 'open') return
  st.s.phase = 'closing'
  st.s.closing = { reason, at: st.time }
  st.s.exitReason = reason
}

/** The entry is final with something filled: fix the average, the stop and the targets, and place them. */
const openPosition = (st: Step): void => {
  const s = st.s
  const { direction } = s.config
  const avg = averageEntryOf(s.book) ?? zero
  const held = tradeable(s)
  s.phase = 'open'
  s.openedAt = st.time
  s.averageEntry = str(avg.toDecimalPlaces(12))
  s.stop.price = initialStop(s, avg)
  s.stop.best = s.averageEntry
  const tp = s.config.takeProfit
  const targets = tp?.targets ?? []
  const trailing = tp?.trailingPercent !== undefined && targets.length > 0
  // Amounts are rounded down to the finest step known (the entry amount as written, the fill, the coins
  // held), with a decimal more while a share would round to nothing ("1" in halves: 0.5 + 0.5, not 0 + 1).
  const shares = targets.map((t) => t.sharePercent)
  let places = Math.max(decimalsOf(s.config.amount), decimalsOf(s.book.entryQty), decimalsOf(str(held)))
  while (places < 8 && splitByShares(held, shares, places).some((a) => a.lte(0))) places += 1
  // The venue's step is the rule when known: a share smaller than one step is skipped, never sent.
  if (s.amountPrecision !== undefined && s.amountPrecision !== null) places = s.amountPrecision
  const amounts = splitByShares(held, shares, places)
  s.targets = targets.map((t, i) => {
    const amount = amounts[i] ?? zero
    const price = t.price ?? roundPrice(offsetPrice(avg, t.percent ?? '0', direction, 'profit'), pricePlaces(s))
    const mode = trailing && i === targets.length - 1 ? 'trailing' : amount.gt(0) ? 'order' : 'skipped'
    return { index: i + 1, key: `tp${i + 1}`, price, amount: str(amount), sharePercent: t.sharePercent, mode }
  })
  s.trailingTakeProfit = trailing ? { armed: false, peak: null } : null
  if (s.config.timeoutSeconds !== undefined) {
    s.deadline = st.time + s.config.timeoutSeconds * 1000
    st.out.push({ type: 'wake', at: s.deadline })
  }
  maintainExchangeStop(st) // the stop first: protection before profit
  for (const t of s.targets) if (t.mode === 'order') place(st, t.key, 'take_profit', exitOrder(s, 'limit', t.amount, { price: t.price }))
}

const hasRestingStop = (s: SmartTradeState): boolean => {
  const o = s.stop.key === null ? undefined : s.orders[s.stop.key]
  return o !== undefined && inFlight.has(o.state)
}

/** A move smaller than a tenth of the trailing distance is not worth a cancel and a new order on the venue. */
const worthMoving = (s: SmartTradeState, placed: Decimal, desired: Decimal): boolean => {
  if (!isBetter(s.config.direction, desired, placed)) return false
  const trail = s.config.stopLoss?.trailingPercent
  if (trail === undefined) return true
  return desired.minus(placed).abs().gte(placed.times(dec(trail)).div(1000))
}

/** Keeps one reduce-only stop-market order on the venue at the stop price (exchange placement only). */
const maintainExchangeStop = (st: Step): void => {
  const s = st.s
  if (s.phase !== 'open' || s.stop.placement !== 'exchange' || s.stop.price === null) return
  const held = tradeable(s)
  if (held.lte(0)) return
  const current = s.stop.key === null ? undefined : s.orders[s.stop.key]
  if (current !== undefined && !isFinal(current)) {
    if (current.state === 'unknown' || current.cancelAskedIn !== null) return
    if (current.stopPrice !== null && worthMoving(s, dec(current.stopPrice), dec(s.stop.price))) cancel(st, current)
    return
  }
  // rejected: the platform took over (placement changed); filled: the stop was hit and the trade is closing
  if (current !== undefined && current.state !== 'cancelled') return
  s.stop.seq += 1
  const key = s.stop.seq === 1 ? 'sl' : `sl.${s.stop.seq}`
  s.stop.key = key
  place(st, key, 'stop_loss', exitOrder(s, 'stop_market', str(held), { stopPrice: s.stop.price }))
}

const onPrice = (st: Step, price: Decimal): void => {
  const s = st.s
  const { direction } = s.config
  if (s.phase === 'waiting') {
    const e = s.config.entry
    // Touching the trigger counts, as a stop order does; a price already past it at start enters at once.
    if (e.type === 'conditional' && (e.direction === 'above' ? price.gte(dec(e.triggerPrice)) : price.lte(dec(e.triggerPrice)))) placeEntry(st)
    return
  }
  if (s.phase === 'entering') {
    const avg = averageEntryOf(s.book)
    const stop = avg === null || tradeable(s).lte(0) ? null : initialStop(s, avg)
    if (stop !== null && reachedAgainst(direction, price, dec(stop))) beginClosing(st, 'stop_loss')
    return
  }
  if (s.phase !== 'open') return
  const trail = s.config.stopLoss?.trailingPercent
  if (trail !== undefined && s.stop.best !== null) {
    const best = betterOf(direction, price, dec(s.stop.best))
    if (!best.eq(dec(s.stop.best))) {
      s.stop.best = str(best)
      const candidate = dec(roundPrice(offsetPrice(best, trail, direction, 'loss'), pricePlaces(s)))
      if (s.stop.price === null || isBetter(direction, candidate, dec(s.stop.price))) s.stop.price = str(candidate)
    }
  }
  if (s.stop.price !== null && (s.stop.placement === 'platform' || !hasRestingStop(s)) && reachedAgainst(direction, price, dec(s.stop.price))) {
    beginClosing(st, 'stop_loss')
    return
  }
  const last = s.targets[s.targets.length - 1]
  const ttp = s.trailingTakeProfit
  const percent = s.config.takeProfit?.trailingPercent
  if (ttp === null || last?.mode !== 'trailing' || percent === undefined) return
  if (!ttp.armed) {
    if (reachedInFavour(direction, price, dec(last.price))) s.trailingTakeProfit = { armed: true, peak: str(price) }
    return
  }
  const peak = betterOf(direction, price, dec(ttp.peak ?? str(price)))
  ttp.peak = str(peak)
  if (reachedAgainst(direction, price, offsetPrice(peak, percent, direction, 'loss'))) beginClosing(st, 'trailing_take_profit')
}

/**
 * Whether a price can change anything. Most updates cannot, and then the machine returns the very same
 * state object, which the runtime neither copies nor writes. Mirrors onPrice's conditions.
 */
const priceMatters = (s: SmartTradeState, text: string, price: Decimal): boolean => {
  if (s.pricePrecision === null || Math.min(decimalsOf(text), 12) > s.pricePrecision) return true
  const { direction } = s.config
  if (s.phase === 'waiting') {
    const e = s.config.entry
    return e.type === 'conditional' && (e.direction === 'above' ? price.gte(dec(e.triggerPrice)) : price.lte(dec(e.triggerPrice)))
  }
  if (s.phase === 'entering') {
    const avg = averageEntryOf(s.book)
    const stop = avg === null || tradeable(s).lte(0) ? null : initialStop(s, avg)
    return stop !== null && reachedAgainst(direction, price, dec(stop))
  }
  if (s.phase !== 'open') return false
  if (s.config.stopLoss?.trailingPercent !== undefined && s.stop.best !== null && isBetter(direction, price, dec(s.stop.best))) return true
  if (s.stop.price !== null && reachedAgainst(direction, price, dec(s.stop.price))) return true
  const last = s.targets[s.targets.length - 1]
  const ttp = s.trailingTakeProfit
  const percent = s.config.takeProfit?.trailingPercent
  if (ttp === null || last?.mode !== 'trailing' || percent === undefined) return false
  if (!ttp.armed || ttp.peak === null) return reachedInFavour(direction, price, dec(last.price))
  const peak = dec(ttp.peak)
  return isBetter(direction, price, peak) || reachedAgainst(direction, price, offsetPrice(peak, percent, direction, 'loss'))
}

const moveToBreakeven = (st: Step): void => {
  const s = st.s
  if (s.config.stopLoss?.moveToBreakevenAfterFirstTarget !== true || s.stop.breakevenDone || s.averageEntry === null) return
  s.stop.breakevenDone = true
  const breakeven = dec(roundPrice(dec(s.averageEntry), pricePlaces(s)))
  if (s.stop.price === null || isBetter(s.config.direction, breakeven, dec(s.stop.price))) s.stop.price = str(breakeven)
}

const onRejected = (st: Step, o: TradeOrder): void => {
  const s = st.s
  const reason = o.reason ?? 'no reason given'
  if (o.purpose === 'take_profit') {
    alert(st, 'trade_target_rejected', 'warning', `take-profit ${o.key} was refused (${reason}); that part of the position stays open under the stop`, { key: o.key, reason })
  } else if (o.purpose === 'stop_loss' && !isCloseOrder(o)) {
    s.stop.placement = 'platform'
    s.stop.placementReason = `the venue refused the stop order "${o.key}" (${reason}); the platform now triggers the stop from prices`
    alert(st, 'trade_stop_rejected', 'warning', s.stop.placementReason, { key: o.key, reason })
  } else if (isCloseOrder(o)) {
    s.closeBlocked = reason
    alert(st, 'trade_close_rejected', 'critical', `the market close ${o.key} was refused (${reason}); the position stays open until you close the trade again`, { key: o.key, reason })
  }
}

const onOrder = (st: Step, ev: Extract<BotEvent, { type: 'order' }>): void => {
  const s = st.s
  const o = s.orders[ev.key]
  if (o === undefined) return
  const wasFinal = isFinal(o)
  const previous = o.state
  const filled = dec(ev.filled)
  const delta = filled.minus(dec(o.filled))
  const fallback = o.average ?? o.price ?? st.ctx.lastPrice(s.config.symbol) ?? o.stopPrice ?? s.averageEntry ?? '0'
  const price = dec(ev.average ?? fallback)
  if (delta.gt(0)) {
    const notional = filled.times(price)
    bookFill(s.book, o.purpose === 'entry' ? 'entry' : 'exit', delta, notional.minus(dec(o.bookedNotional)))
    o.filled = ev.filled
    o.average = ev.average ?? str(price)
    o.bookedNotional = str(notional)
  }
  if (ev.fee !== null) {
    const feeDelta = dec(ev.fee).minus(dec(o.fee))
    if (feeDelta.gt(0)) {
      const { quote } = currenciesOf(s.config.symbol)
      const rate = ev.feeCurrency === null ? null : st.ctx.lastPrice(`${ev.feeCurrency}/${quote}`)
      bookFee(s.book, s.config.symbol, feeDelta, ev.feeCurrency, price, rate)
      o.fee = ev.fee
    }
  }
  o.updatedAt = ev.time
  if (!wasFinal) {
    o.state = ev.state
    if (ev.reason !== null) o.reason = ev.reason
  }
  const cancelCouldNotWork = o.cancelAskedIn === 'intent' || o.cancelAskedIn === 'sent' || o.cancelAskedIn === 'unknown'
  if (cancelCouldNotWork && (o.state === 'acknowledged' || o.state === 'partially_filled')) {
    o.cancelAskedIn = o.state
    st.out.push({ type: 'cancel', key: o.key })
  }
  if (delta.gt(0) && (o.purpose === 'stop_loss' || (isCloseOrder(o) && s.closing?.reason === 'stop_loss'))) s.lastStopLossAt = ev.time
  if (delta.gt(0) && o.purpose === 'stop_loss' && !isCloseOrder(o)) beginClosing(st, 'stop_loss')
  if (wasFinal || previous === o.state) return
  if (o.purpose === 'take_profit' && o.state === 'filled') moveToBreakeven(st)
  if (o.state === 'rejected') onRejected(st, o)
  if (o.state === 'cancelled' && o.cancelAskedIn === null && o.purpose !== 'entry' && !isCloseOrder(o)) {
    // Someone cancelled it on the venue: a stop is put back (the trade is managed here), a target is not.
    alert(st, 'trade_order_cancelled_outside', 'warning', `order ${o.key} was cancelled outside the trade${o.purpose === 'stop_loss' ? '; the stop is placed again' : ''}`, { key: o.key })
  }
}

const endReasons: Record<ExitReason, string> = {
  take_profit: 'the take-profit targets closed the position',
  stop_loss: 'the stop loss closed the position',
  trailing_take_profit: 'the trailing take-profit closed the position',
  timeout: 'timeout: the position was closed at market',
  close: 'closed at market by the user',
  cancel: 'cancelled by the user',
}

/** Cancel everything else, wait for the answers, then exit what is held at market; finish when flat. */
const driveClosing = (st: Step): void => {
  const s = st.s
  const orders = Object.values(s.orders)
  for (const o of orders) if (!isCloseOrder(o)) cancel(st, o)
  if (orders.some((o) => !isCloseOrder(o) && inFlight.has(o.state))) return
  if (orders.some((o) => isCloseOrder(o) && !isFinal(o))) return
  const held = tradeable(s)
  const unknownExits = isFutures(s) ? zero : orders.filter((o) => o.state === 'unknown' && o.purpose !== 'entry').reduce((sum, o) => sum.plus(dec(o.amount)).minus(dec(o.filled)), zero)
  const exposure = held.minus(unknownExits)
  const reason = s.closing?.reason ?? 'close'
  if (exposure.gt(0)) {
    if (s.closeBlocked !== null) return
    if (s.closeAttempts >= maxCloseAttempts) {
      s.closeBlocked = `${maxCloseAttempts} market closes ended without closing the position`
      alert(st, 'trade_close_rejected', 'critical', `${s.closeBlocked}; close the trade again to retry`, { attempts: s.closeAttempts })
      return
    }
    s.closeSeq += 1
    s.closeAttempts += 1
    const purpose: OrderPurpose = reason === 'stop_loss' ? 'stop_loss' : reason === 'trailing_take_profit' ? 'trailing_take_profit' : 'close'
    place(st, s.closeSeq === 1 ? 'close' : `close.${s.closeSeq}`, purpose, exitOrder(s, 'market', str(exposure)))
    return
  }
  if (held.gt(0) || orders.some((o) => o.state === 'unknown')) return
  if (dec(s.book.entryQty).isZero()) {
    finish(st, 'finished', 'cancelled', reason === 'timeout' ? 'timeout: the entry did not fill in time' : 'closed before the entry filled')
  } else finish(st, 'finished', 'finished', endReasons[reason])
}

const driveOnce = (st: Step): void => {
  const s = st.s
  if (s.phase === 'entering') {
    const entry = s.orders.entry
    if (entry === undefined || !isFinal(entry)) return
    if (dec(s.book.entryQty).gt(0)) return openPosition(st)
    const why = entry.state === 'rejected' ? `the entry order was rejected: ${entry.reason ?? 'no reason given'}` : 'the entry order was cancelled outside the trade'
    return finish(st, 'stopped', 'cancelled', why)
  }
  if (s.phase === 'open') {
    if (tradeable(s).lte(0)) return beginClosing(st, 'take_profit')
    return maintainExchangeStop(st)
  }
  if (s.phase === 'closing') return driveClosing(st)
  if (s.phase === 'cancelled' && !Object.values(s.orders).some((o) => inFlight.has(o.state))) {
    const held = tradeable(s)
    const unknown = Object.values(s.orders).filter((o) => o.state === 'unknown').map((o) => o.key)
    if (unknown.length > 0) alert(st, 'trade_unknown_orders_left', 'warning', `the trade stopped with orders whose outcome is not known yet: ${unknown.join(', ')}`, { keys: unknown.join(',') })
    finish(st, 'stopped', 'cancelled', held.gt(0) ? `cancelled by the user; a position of ${str(held)} ${currenciesOf(s.config.symbol).base} is left open and no longer managed` : 'cancelled by the user')
  }
}

const drive = (st: Step): void => {
  // One event can move several phases (entry filled → open → stop already hit → closing).
  for (let i = 0; i < 4 && st.s.finishedAt === null; i++) {
    const before = st.s.phase
    driveOnce(st)
    if (st.s.phase === before) break
  }
}

const onCommand = (st: Step, command: 'close' | 'cancel'): void => {
  const s = st.s
  if (s.phase === 'waiting') return finish(st, command === 'close' ? 'finished' : 'stopped', 'cancelled', `${command === 'close' ? 'closed' : 'cancelled'} by the user before the entry was placed`)
  if (command === 'close') {
    if (s.phase === 'closing' && s.closeBlocked !== null) {
      s.closeBlocked = null
      s.closeAttempts = 0
    }
    return beginClosing(st, 'close')
  }
  if (s.phase === 'finished' || s.phase === 'cancelled') return
  s.phase = 'cancelled'
  if (tradeable(s).gt(0)) s.exitReason = 'cancel'
  for (const o of Object.values(s.orders)) cancel(st, o)
}

/**
 * A user's change to a running trade's exits. Before the position opens, the new targets, stop and
 * timeout simply replace the old (they are computed when the entry fills). Once open, the stop and the
 * timeout move at once (a stop resting on the venue is cancelled and placed again at the new price);
 * targets already resting stay as they are — the API refuses target changes then (edit them by closing).
 */
const onEdit = (st: Step, ev: Extract<BotEvent, { type: 'edit' }>): void => {
  const s = st.s
  if (s.phase === 'closing' || s.phase === 'finished' || s.phase === 'cancelled') return
  const before = s.phase
  if (ev.takeProfit !== undefined && (before === 'waiting' || before === 'entering')) {
    if (ev.takeProfit === null) delete s.config.takeProfit
    else s.config.takeProfit = ev.takeProfit
  }
  if (ev.stopLoss !== undefined) {
    if (ev.stopLoss === null) delete s.config.stopLoss
    else s.config.stopLoss = ev.stopLoss
    if (before === 'open' && s.averageEntry !== null) {
      s.stop.price = initialStop(s, dec(s.averageEntry))
      const resting = s.stop.key === null ? undefined : s.orders[s.stop.key]
      if (resting !== undefined && !isFinal(resting) && resting.state !== 'unknown' && resting.stopPrice !== s.stop.price) cancel(st, resting)
    }
  }
  if (ev.timeoutSeconds !== undefined) {
    if (ev.timeoutSeconds === null) delete s.config.timeoutSeconds
    else s.config.timeoutSeconds = ev.timeoutSeconds
    const from = before === 'open' ? s.openedAt : s.startedAt
    s.deadline = ev.timeoutSeconds === null || from === null ? null : from + ev.timeoutSeconds * 1000
    if (s.deadline !== null) st.out.push({ type: 'wake', at: s.deadline })
  }
}

const onTimer = (st: Step): void => {
  const s = st.s
  if (s.deadline === null || st.time < s.deadline) return
  s.deadline = null
  if (s.phase === 'waiting') return finish(st, 'finished', 'cancelled', 'timeout: the trigger price was not reached in time')
  beginClosing(st, 'timeout')
}

const stopPlacementOf = (ctx: MachineContext): { placement: StopPlacement; reason: string } => {
  if (ctx.market === 'linear' && ctx.supportsStopOrders) return { placement: 'exchange', reason: 'the venue keeps stop orders: the stop rests on the exchange as a reduce-only stop-market order and survives the platform being down' }
  if (ctx.market === 'spot') return { placement: 'platform', reason: 'spot: the take-profit sell orders already reserve the coins, so the platform triggers the stop from prices (cancel the targets, then exit at market)' }
  return { placement: 'platform', reason: 'the venue keeps no stop orders: the platform triggers the stop from prices and exits at market' }
}

const start = (config: SmartTradeConfig, ctx: MachineContext): Transition<SmartTradeState> => {
  const { placement, reason } = stopPlacementOf(ctx)
  const s: SmartTradeState = {
    kind: 'smart_trade', config, phase: 'waiting', startedAt: ctx.now, pricePrecision: null, orders: {}, book: emptyBook(), averageEntry: null, openedAt: null, targets: [], trailingTakeProfit: null,
    stop: { price: config.stopLoss?.price ?? null, placement, placementReason: reason, best: null, breakevenDone: false, seq: 0, key: null },
    closeSeq: 0, closeAttempts: 0, closing: null, closeBlocked: null, exitReason: null, lastStopLossAt: null, deadline: null, endReason: null, finishedAt: null,
  }
  const st: Step = { s, ctx, time: ctx.now, out: [] }
  const e = config.entry
  s.amountPrecision = ctx.amountDecimals(config.symbol)
  const venueDecimals = ctx.priceDecimals(config.symbol)
  if (venueDecimals !== null) {
    s.pricePrecision = venueDecimals
    s.precisionFromVenue = true
  }
  for (const p of [e.type === 'limit' ? e.price : undefined, e.type === 'conditional' ? e.triggerPrice : undefined, e.type === 'conditional' ? e.limitPrice : undefined, config.stopLoss?.price, ...(config.takeProfit?.targets ?? []).map((t) => t.price), ctx.lastPrice(config.symbol)]) notePrecision(s, p)
  const futures = config.symbol.includes(':')
  if (futures !== (ctx.market === 'linear')) {
    finish(st, 'stopped', 'cancelled', `"${config.symbol}" is ${futures ? 'a futures' : 'a spot'} symbol but the account trades ${ctx.market === 'linear' ? 'futures' : 'spot'}`)
    return { state: s, commands: st.out }
  }
  if (config.timeoutSeconds !== undefined) {
    s.deadline = ctx.now + config.timeoutSeconds * 1000
    st.out.push({ type: 'wake', at: s.deadline })
  }
  if (e.type !== 'conditional') placeEntry(st)
  else {
    const last = ctx.lastPrice(config.symbol)
    if (last !== null) onPrice(st, dec(last))
  }
  return { state: s, commands: st.out }
}

const step = (state: SmartTradeState, event: BotEvent, ctx: MachineContext): Transition<SmartTradeState> => {
  if (event.type === 'signal' || (event.type === 'price' && event.symbol !== state.config.symbol)) return { state, commands: [] }
  if (state.finishedAt !== null && event.type !== 'order') return { state, commands: [] }
  if (event.type === 'price' && !priceMatters(state, event.price, dec(event.price))) return { state, commands: [] }
  const st: Step = { s: structuredClone(state), ctx, time: event.time, out: [] }
  if (event.type === 'price') {
    notePrecision(st.s, event.price)
    onPrice(st, dec(event.price))
  } else if (event.type === 'order') onOrder(st, event)
  else if (event.type === 'timer') onTimer(st)
  else if (event.type === 'edit') onEdit(st, event)
  else onCommand(st, event.command)
  // A finished trade still books late reports (so its PnL stays true) but asks for nothing more.
  if (state.finishedAt !== null) return { state: st.s, commands: [] }
  drive(st)
  return { state: st.s, commands: st.out }
}

const targetStatus = (s: SmartTradeState, t: TradeTarget): string => {
  if (t.mode === 'skipped') return 'skipped'
  if (t.mode === 'trailing') {
    if (s.exitReason === 'trailing_take_profit' && s.phase === 'finished') return 'filled'
    return s.trailingTakeProfit?.armed === true ? 'trailing' : 'waiting'
  }
  const o = s.orders[t.key]
  return o === undefined ? 'waiting' : o.state === 'intent' || o.state === 'sent' ? 'placing' : o.state === 'acknowledged' ? 'open' : o.state
}

const avgOrNull = (s: SmartTradeState): string | null => {
  const avg = averageEntryOf(s.book)
  return avg === null ? null : str(avg.toDecimalPlaces(12))
}

/** What the API shows: phase, position, PnL, the stop and where it lives, the targets, why it ended. */
const live = (s: SmartTradeState): Record<string, unknown> => {
  const held = heldOf(s.book)
  const avg = s.averageEntry ?? avgOrNull(s)
  const orders = Object.values(s.orders)
  const sl = s.config.stopLoss
  const tp = s.config.takeProfit
  return {
    kind: 'smart_trade',
    symbol: s.config.symbol,
    direction: s.config.direction,
    phase: s.phase,
    position: str(held.gt(0) ? held : zero),
    averageEntry: avg,
    realizedPnl: money(realizedOf(s.book, s.config.direction)),
    fees: money(dec(s.book.feesQuote)),
    feesOther: s.book.feesOther,
    stopPrice: s.stop.price,
    stopPlacement: s.stop.placement,
    stopPlacementReason: s.stop.placementReason,
    stopOrderKey: s.stop.placement === 'exchange' ? s.stop.key : null,
    trailingStop: sl?.trailingPercent === undefined ? null : { percent: sl.trailingPercent, bestPrice: s.stop.best },
    breakeven: { enabled: sl?.moveToBreakevenAfterFirstTarget === true, done: s.stop.breakevenDone },
    targets:
      s.targets.length > 0
        ? s.targets.map((t) => ({ index: t.index, key: t.key, price: t.price, amount: t.amount, sharePercent: t.sharePercent, status: targetStatus(s, t) }))
        : (tp?.targets ?? []).map((t, i) => ({ index: i + 1, key: `tp${i + 1}`, price: t.price ?? null, percent: t.percent ?? null, amount: null, sharePercent: t.sharePercent, status: 'waiting' })),
    trailingTakeProfit: tp?.trailingPercent === undefined ? null : { percent: tp.trailingPercent, armed: s.trailingTakeProfit?.armed ?? false, peak: s.trailingTakeProfit?.peak ?? null },
    exitReason: s.exitReason,
    lastStopLossAt: s.lastStopLossAt,
    timeoutAt: s.deadline,
    closeBlocked: s.closeBlocked,
    openOrders: orders.filter((o) => inFlight.has(o.state)).map((o) => o.key),
    unknownOrders: orders.filter((o) => o.state === 'unknown').map((o) => o.key),
    startedAt: s.startedAt,
    openedAt: s.openedAt,
    finishedAt: s.finishedAt,
    endReason: s.endReason,
  }
}

export const smartTradeMachine: BotMachine<SmartTradeState, SmartTradeConfig> = {
  start,
  step,
  interest: (state) => ({ symbols: state.finishedAt === null ? [state.config.symbol] : [] }),
  live,
}
