import type { IntentState, TradingAccountKind } from '../db/index.js'
import type { SmartTradeConfig } from './trading-api-types.js'

/** What an edit of a running smart trade may change. */
export type SmartTradeEdit = { takeProfit?: SmartTradeConfig['takeProfit'] | null; stopLoss?: SmartTradeConfig['stopLoss'] | null }

/**
 * The contracts the trading modules share (README.md has the picture). Amounts and prices are decimal
 * strings everywhere; indicators alone use numbers.
 */

/** The account a bot trades on: a demo account or a connected exchange account of the workspace. */
export type AccountRef = { kind: TradingAccountKind; id: string }

/**
 * The exchange accounts a caller may trade on: every one, or the named ones (a trader narrowed by
 * per-member grants, issue 10). Demo accounts are never narrowed: they hold no real money. The same shape
 * as auth's `TradableAccounts`, which trading may not import; the API computes it per request.
 */
export type TradableAccounts = 'all' | ReadonlySet<string>

/**
 * Who asks the trading services for a change: a person, or their API token (which inherits its owner's
 * grants). `ip` and `requestId` go into the audit entries.
 */
export type TradingActor = {
  userId: string
  tokenId?: string | undefined
  accounts: TradableAccounts
  ip?: string | undefined
  requestId?: string | undefined
}

/**
 * A change a second person approved (four-eyes, R42), as its applier runs: the same fields as teams'
 * `ApprovalContext`, which trading may not import (main.ts registers the appliers with the approvals).
 */
export type ApprovedChange = {
  workspaceId: string
  approvalId: string
  requestedBy: string | null
  /** The approver. */
  decidedBy: string | null
  ip?: string | undefined
  requestId?: string | undefined
}

export type OrderSide = 'buy' | 'sell'
export type OrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit'

/** How an order lost in flight is found again (the exchange catalogue's `orderRecovery.mode`). */
export type RecoveryMode = 'client-order-id' | 'recent-orders-scan' | 'at-most-once'

/** ccxt's unified order as venues return it (exchanges' OrderView), status included. */
export type VenueOrder = {
  id: string
  clientOrderId: string | null
  symbol: string
  type: string
  side: string
  /** open | closed | canceled | expired | rejected (ccxt's unified statuses). */
  status: string
  amount: string | null
  filled: string | null
  price: string | null
  average: string | null
  timestamp: number | null
  fee?: { cost: string | null; currency: string | null } | null | undefined
}

export type VenueTrade = {
  id: string
  orderId: string | null
  symbol: string
  side: string
  price: string | null
  amount: string | null
  fee: { cost: string | null; currency: string | null } | null
  timestamp: number | null
}

/**
 * What trading needs of a venue, whichever it is: a demo venue in this process, or an exchange account
 * through the signer. Errors are AppError: EXCHANGE_REJECTED (the venue said no: nothing happened),
 * EXCHANGE_UNAVAILABLE / UNAVAILABLE / RATE_LIMITED with a timeout (may or may not have happened),
 * KEY_LIMIT_EXCEEDED (the signer refused: nothing happened).
 */
export type TradingVenue = {
  account: AccountRef
  /** Catalogue venue id, or 'demo-spot' / 'demo-futures'. */
  venue: string
  market: 'spot' | 'linear'
  recovery: RecoveryMode
  /** The venue's client order id rule (catalogue `clientOrderId`). */
  clientOrderId: { maxLength: number; pattern: string }
  /** Whether stop orders can rest on the venue (then a stop survives the platform being down). */
  supportsStopOrders: boolean
  /** Decimals the venue quotes a symbol's price in (its tick), when known: prices a bot computes are rounded to it. */
  priceDecimals?: (symbol: string) => number | null
  /** Decimals of the venue's amount step (lot size) for a symbol, when known: amounts a bot computes are rounded down to it. */
  amountDecimals?: (symbol: string) => number | null
  /**
   * The venue's dead-man switch (cancel-all-after), where it has one (catalogue `deadManSwitch`; demo
   * venues have none): `armCancelAllAfter` starts or replaces a countdown after which the venue cancels
   * every open order of the symbol ('symbol') or of the whole account ('account'); 0 stops it.
   */
  deadManSwitch?: { scope: 'symbol' | 'account'; maxTimeoutMs: number | null; armCancelAllAfter(symbol: string, timeoutMs: number): Promise<void> }
  createOrder(order: PlaceOrder & { clientOrderId: string }): Promise<VenueOrder>
  cancelOrder(args: { symbol: string; id: string }): Promise<VenueOrder>
  fetchOrder(args: { symbol: string; id?: string; clientOrderId?: string }): Promise<VenueOrder>
  fetchOpenOrders(args: { symbol: string }): Promise<VenueOrder[]>
  fetchMyTrades(args: { symbol: string; since?: number; limit?: number }): Promise<VenueTrade[]>
}

/** Finds the venue of an account in a workspace (NOT_FOUND when the account is not the workspace's). */
/** `botId`: the bot the venue acts for, when one does (the exchange-activity log records it). */
export type VenueResolver = (workspaceId: string, account: AccountRef, opts?: { botId?: string | null }) => Promise<TradingVenue>

/** An order a bot wants; the journal adds the client order id. */
export type PlaceOrder = {
  symbol: string
  side: OrderSide
  type: OrderType
  amount: string
  price?: string | undefined
  stopPrice?: string | undefined
  reduceOnly?: boolean | undefined
}

export type OrderPurpose = 'entry' | 'take_profit' | 'stop_loss' | 'trailing_take_profit' | 'close' | 'manual'

/** The journal's view of one intent (order_intents row). */
export type IntentView = {
  id: string
  workspaceId: string
  botId: string | null
  intentKey: string
  account: AccountRef
  venue: string
  symbol: string
  side: OrderSide
  type: OrderType
  amount: string
  price: string | null
  stopPrice: string | null
  reduceOnly: boolean
  purpose: OrderPurpose
  clientOrderId: string
  state: IntentState
  exchangeOrderId: string | null
  filled: string
  average: string | null
  fee: string | null
  feeCurrency: string | null
  reason: string | null
  unresolved: boolean
  createdAt: string
  sentAt: string | null
  updatedAt: string
}

/** Final states: nothing more will happen to the order. */
export const finalIntentStates: ReadonlySet<IntentState> = new Set(['filled', 'cancelled', 'rejected'])

// ---------------------------------------------------------------------------------------------
// Bots as state machines (DESIGN.md "Bot runtime"): plain data in, plain data out, no I/O — so the
// same machine runs in this process today and on a BullMQ worker later.

/** What a machine reacts to. `time` is Unix ms (market-data time for prices, wall time otherwise). */
export type BotEvent =
  | { type: 'price'; symbol: string; price: string; time: number }
  /** An order of this bot changed (from the journal): its key, state and fill so far. */
  | { type: 'order'; key: string; state: IntentState; filled: string; average: string | null; fee: string | null; feeCurrency: string | null; reason: string | null; time: number }
  | { type: 'timer'; time: number }
  /** The user (or the kill switch) asks: close at market, or cancel what is not yet filled. */
  | { type: 'command'; command: 'close' | 'cancel'; time: number }
  /** The user changes a running smart trade's exits (absent: unchanged; null: removed). */
  | { type: 'edit'; takeProfit?: SmartTradeEdit['takeProfit']; stopLoss?: SmartTradeEdit['stopLoss']; timeoutSeconds?: number | null | undefined; time: number }
  /** A signal bot's signal, already authenticated and accepted. */
  | { type: 'signal'; signal: SignalInput; time: number }

export type SignalAction = 'enter_long' | 'exit_long' | 'enter_short' | 'exit_short' | 'close_all'

/** One accepted signal, from a webhook or an indicator. */
export type SignalInput = {
  action: SignalAction
  symbol: string
  /** Base amount; absent: the bot's sizing. */
  amount?: string | undefined
  /** Limit entry price; absent: market. */
  price?: string | undefined
  /** Take-profit and stop-loss prices for this entry; absent: the bot's defaults. */
  takeProfit?: string | undefined
  stopLoss?: string | undefined
  signalId?: string | undefined
}

/** What a machine asks the runtime to do. `key` names the order within the bot forever ("t3.tp2"). */
export type BotCommand =
  | { type: 'place'; key: string; purpose: OrderPurpose; order: PlaceOrder }
  | { type: 'cancel'; key: string }
  /** Call me back with a timer event at (or after) this time. */
  | { type: 'wake'; at: number }
  | { type: 'alert'; rule: string; severity: 'info' | 'warning' | 'critical'; details: Record<string, string | number | boolean | null> }
  /** The machine is done (a smart trade closed) or must stop (the user's daily loss limit). */
  | { type: 'finish'; status: 'finished' | 'stopped'; reason: string }

export type Transition<S> = { state: S; commands: BotCommand[] }

/** The symbols a bot needs prices for right now (the runtime subscribes to them). */
export type MachineInterest = { symbols: string[] }

/** What a machine may know besides its state and the event: facts of the venue and the time. */
export type MachineContext = {
  market: 'spot' | 'linear'
  /** Stop orders can rest on the venue: the machine places them there instead of triggering itself. */
  supportsStopOrders: boolean
  now: number
  /** The last price the runtime saw for a symbol on this bot's venue, or null. */
  lastPrice: (symbol: string) => string | null
  /** The venue's price decimals for a symbol (its tick), or null when unknown. */
  priceDecimals: (symbol: string) => number | null
  /** The venue's amount-step decimals for a symbol, or null when unknown. */
  amountDecimals: (symbol: string) => number | null
}

/** A bot kind as the runtime drives it. The state is plain JSON (persisted on every transition). */
export type BotMachine<S, C> = {
  start(config: C, ctx: MachineContext): Transition<S>
  step(state: S, event: BotEvent, ctx: MachineContext): Transition<S>
  interest(state: S): MachineInterest
  /** What the API shows as the bot's live state (phase, position, stop and where it lives, targets). */
  live(state: S): Record<string, unknown>
}

/** Prices and candles for the runtime, per venue ('demo-spot', 'binance', …) and symbol. */
export type PriceSource = {
  subscribe(venue: string, symbol: string, listener: (p: { symbol: string; price: string; time: number }) => void): () => void
  /** Closed candles of a timeframe (indicator bots). */
  subscribeCandles(venue: string, symbol: string, timeframe: string, listener: (c: { symbol: string; close: number; time: number }) => void): () => void
  last(venue: string, symbol: string): string | null
}
