import type { IntentState } from '../../db/index.js'
import type { SignalBotConfig, SmartTradeConfig } from '../trading-api-types.js'
import type { OrderPurpose, OrderSide, OrderType, SignalAction, SignalInput } from '../trading-types.js'

/**
 * The machines' persisted states. Plain JSON (the runtime stores them after every transition): amounts
 * and prices are decimal strings, times are Unix ms taken from events, never from a clock.
 */

export type TradeDirection = 'long' | 'short'
export type TradePhase = 'waiting' | 'entering' | 'open' | 'closing' | 'finished' | 'cancelled'
/** Why the position was (or is being) exited. 'cancel': the user stopped managing it. */
export type ExitReason = 'take_profit' | 'stop_loss' | 'trailing_take_profit' | 'timeout' | 'close' | 'cancel'
export type StopPlacement = 'exchange' | 'platform'

/** One order the trade asked for, as the journal last reported it. */
export type TradeOrder = {
  key: string
  purpose: OrderPurpose
  side: OrderSide
  type: OrderType
  amount: string
  price: string | null
  stopPrice: string | null
  reduceOnly: boolean
  state: IntentState
  filled: string
  average: string | null
  /** The order's cumulative fee booked so far, in its own currency (the journal reports cumulative fees). */
  fee: string
  /** filled × average as booked, so the next fill's notional is a difference, not a division. */
  bookedNotional: string
  /** The state the order was in when the machine asked to cancel it; null: never asked. */
  cancelAskedIn: IntentState | null
  reason: string | null
  updatedAt: number
}

/** Everything filled, in totals: enough for the position, the average entry and the realized PnL. */
export type TradeBook = {
  entryQty: string
  entryCost: string
  exitQty: string
  exitNotional: string
  /** Base currency the venue kept as fees (spot buys): not held, so never sold. */
  baseFees: string
  /** Every fee valued in the quote currency. */
  feesQuote: string
  /** Fees in a third currency without a known price, per currency (left out of the PnL). */
  feesOther: Record<string, string>
}

/** A take-profit target as fixed when the entry filled. */
export type TradeTarget = {
  index: number
  key: string
  price: string
  amount: string
  sharePercent: string
  /** 'order': a resting limit; 'trailing': the last target followed by the trailing take-profit; 'skipped': its share rounds to nothing. */
  mode: 'order' | 'trailing' | 'skipped'
}

export type SmartTradeState = {
  kind: 'smart_trade'
  config: SmartTradeConfig
  phase: TradePhase
  startedAt: number
  /** Decimals the market quotes in (the most seen in config prices and price events); null: none seen yet. */
  pricePrecision: number | null
  /** True when pricePrecision is the venue's tick (then prices seen do not change it). */
  precisionFromVenue?: boolean
  /** Decimals of the venue's amount step, when known: exits are rounded down to it (less than a step is dust, not a position). */
  amountPrecision?: number | null
  orders: Record<string, TradeOrder>
  book: TradeBook
  /** Fixed when the position opened (entry filled, or cancelled with a fill). */
  averageEntry: string | null
  openedAt: number | null
  targets: TradeTarget[]
  trailingTakeProfit: { armed: boolean; peak: string | null } | null
  stop: {
    price: string | null
    placement: StopPlacement
    placementReason: string
    /** Best price since the position opened (trailing stop). */
    best: string | null
    breakevenDone: boolean
    /** Exchange stops: how many were placed (keys sl, sl.2, …) and the current one. */
    seq: number
    key: string | null
  }
  closeSeq: number
  /** Market closes placed since the user last asked to close: capped, so a venue that keeps cancelling them is not fed forever. */
  closeAttempts: number
  closing: { reason: ExitReason; at: number } | null
  /** A market close the venue or the risk guard refused: no retry until the user asks again. */
  closeBlocked: string | null
  exitReason: ExitReason | null
  lastStopLossAt: number | null
  /** Timeout: when the trade ends (entry cancelled, or position closed at market). */
  deadline: number | null
  endReason: string | null
  finishedAt: number | null
}

export type SignalVerdict = {
  time: number
  action: SignalAction
  symbol: string
  signalId: string | null
  verdict: 'accepted' | 'ignored' | 'refused'
  reason: string
}

/** One symbol's slot: at most one position (an embedded smart trade) and one queued entry. */
export type SignalSlot = {
  seq: number | null
  side: TradeDirection | null
  trade: SmartTradeState | null
  /** An entry waiting for the current position to close (a flip, or a re-entry while closing). */
  pending: { side: TradeDirection; signal: SignalInput; time: number } | null
}

export type SignalBotState = {
  kind: 'signal_bot'
  config: SignalBotConfig
  /** The next position number: order keys are `p<n>.<trade key>`, unique for the bot's lifetime. */
  nextSeq: number
  slots: Record<string, SignalSlot>
  /** Totals of the positions that finished. */
  closed: { trades: number; wins: number; losses: number; realizedPnl: string; fees: string; feesOther: Record<string, string> }
  lastStopLossAt: number | null
  /** The latest verdicts, newest last (the signal log keeps them all). */
  verdicts: SignalVerdict[]
  /** The user (or the kill switch, or onRejection 'stop') is stopping the bot. */
  stopping: { mode: 'close' | 'cancel' | 'drain'; reason: string; at: number } | null
  finished: boolean
}

/** What the risk and PnL code read of a machine's state. Decimal strings, quote currency. */
export type TradeSummary = {
  realizedPnl: string
  fees: string
  feesOther: Record<string, string>
  /** Open positions per symbol (absent when flat). */
  positions: Record<string, { side: TradeDirection; amount: string; averageEntry: string | null }>
  /** When the last stop-loss exit filled (the risk guard's cooldown), or null. */
  lastStopLossAt: number | null
  /** Trades that got a fill. */
  trades: number
}
