/**
 * The public shapes of the demo matching engine: market definitions, inputs (price updates and
 * commands), outputs (events) and the snapshot. Every amount and price is a decimal string; times are
 * Unix milliseconds taken from the inputs, never from a clock.
 */

export type Side = 'buy' | 'sell'
export type MarketKind = 'spot' | 'linear'
export type AccountKind = 'spot' | 'futures'
export type DemoOrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'
/** `both` in one-way mode (and on spot); `long`/`short` in hedge mode. */
export type PositionSide = 'both' | 'long' | 'short'
export type MarginMode = 'cross' | 'isolated'
/** ccxt's unified statuses; a rejected order never exists (the command throws and changes nothing). */
export type DemoOrderStatus = 'open' | 'closed' | 'canceled' | 'expired'

/** How the modelled order book is derived from recent traded volume (all optional; defaults in brackets). */
export type DemoBookModel = {
  /** Price levels the modelled book shows per side at one update [10]. */
  levels?: number
  /** Distance between levels, in basis points of the price, at least one tick [1]. */
  levelBps?: number
  /** Half of the spread, in basis points of the price, at least half a tick [0.5]. */
  halfSpreadBps?: number
  /** Share of the recent per-minute traded volume resting at one level [0.1]. */
  depthShare?: number
  /** Floor for one level's size in quote currency, used before any volume is seen ['1000']. */
  minLevelNotional?: string
  /** A market order never fills further than this from its reference price, in percent [5]. */
  protectionPct?: number
  /** Minutes of traded volume behind the depth estimate [15]. */
  volumeWindowMinutes?: number
  /** Seeded random spread of level sizes and initial queue positions, ± percent [25]. */
  jitterPct?: number
}

/** One maintenance-margin bracket; brackets are ascending and contiguous (the first starts at 0). */
export type DemoMarginTier = {
  /** Upper bound of the position notional (quote) this bracket covers. */
  maxNotional: string
  maintenanceMarginRate: string
  maxLeverage: number
}

export type DemoMarketDef = {
  /** Unified symbol: `BTC/USDT` (spot) or `BTC/USDT:USDT` (linear perpetual). */
  symbol: string
  kind: MarketKind
  base: string
  /** Quote currency; for linear perpetuals also the settlement (margin) currency. */
  quote: string
  tickSize: string
  lotSize: string
  /** Smallest amount [lotSize]. */
  minAmount?: string
  minNotional: string
  /** Linear only: highest leverage [the first tier's]. */
  maxLeverage?: number
  /** Linear only [Binance BTCUSDT-like brackets]. */
  tiers?: DemoMarginTier[]
  /** Linear only: share of the notional charged when a position is liquidated ['0.005']. */
  liquidationFeeRate?: string
  /** Linear only: the funding rate until an input sets another ['0.0001']. */
  fundingRate?: string
  /** Linear only: hours between funding times, counted from the Unix epoch [8]. */
  fundingIntervalHours?: number
  book?: DemoBookModel
}

/**
 * A trade (or a last-price tick) of the reference market. `amount` is the traded base amount (drives the
 * depth model and queue positions; absent means "price only"). `markPrice` defaults to `price`.
 */
export type DemoPriceUpdate = {
  symbol: string
  price: string
  amount?: string
  time: number
  markPrice?: string
  fundingRate?: string
}

export type PlaceOrderInput = {
  accountId: string
  symbol: string
  type: DemoOrderType
  side: Side
  amount: string
  /** Limit price (limit, stop_limit). */
  price?: string
  /** Trigger price (stop_market, stop_limit): fires when the last price reaches it from where it was. */
  stopPrice?: string
  timeInForce?: TimeInForce
  postOnly?: boolean
  reduceOnly?: boolean
  /** Hedge mode only: which position the order opens or closes. */
  positionSide?: 'long' | 'short'
  clientOrderId?: string
}

type Timed = { time: number }

export type DemoCommand =
  | (Timed & {
      type: 'createAccount'
      accountId: string
      kind: AccountKind
      /** Spot: any assets; futures: the settlement asset only. Default: the engine's default balances. */
      balances?: Record<string, string>
      makerFeeRate?: string
      takerFeeRate?: string
      /** Futures: hedge mode (default one-way). */
      hedged?: boolean
    })
  | (Timed & { type: 'deposit'; accountId: string; asset: string; amount: string })
  /** Cancels every order, drops every position (no PnL) and sets the balances; history stays with the caller. */
  | (Timed & { type: 'resetAccount'; accountId: string; balances?: Record<string, string> })
  | (Timed & { type: 'setFees'; accountId: string; makerFeeRate: string; takerFeeRate: string })
  | (Timed & { type: 'placeOrder'; order: PlaceOrderInput })
  | (Timed & { type: 'cancelOrder'; accountId: string; symbol?: string; id?: string; clientOrderId?: string })
  /** Limit orders only. A new price, or a larger amount, loses the queue position (as on exchanges). */
  | (Timed & { type: 'amendOrder'; accountId: string; id: string; amount?: string; price?: string })
  | (Timed & { type: 'setLeverage'; accountId: string; symbol: string; leverage: number })
  | (Timed & { type: 'setMarginMode'; accountId: string; symbol: string; marginMode: MarginMode })
  | (Timed & { type: 'setPositionMode'; accountId: string; hedged: boolean })
  | (Timed & { type: 'setFundingRate'; symbol: string; rate: string })

export type DemoCommandType = DemoCommand['type']

/** An order as the engine holds it; the full state, so a snapshot or the event log can rebuild it. */
export type DemoOrder = {
  id: string
  clientOrderId: string | null
  accountId: string
  symbol: string
  type: DemoOrderType
  side: Side
  timeInForce: TimeInForce
  postOnly: boolean
  reduceOnly: boolean
  positionSide: PositionSide
  amount: string
  price: string | null
  stopPrice: string | null
  /** Set for stop orders: `rise` fires when the price goes up to the stop, `fall` when it comes down to it. */
  triggerDirection: 'rise' | 'fall' | null
  triggeredAt: number | null
  status: DemoOrderStatus
  /** Why an order ended other than by filling: canceled, ioc, fok, protection, reduce_only, insufficient_funds, liquidation, reset. */
  statusReason: string | null
  filled: string
  /** Quote amount exchanged. */
  cost: string
  average: string | null
  fee: string
  feeCurrency: string
  /** Spot: quote (buy) or base (sell) still held for this order; futures: order margin still held. */
  reserved: string
  /** Spot buys: quote held per unit; market orders also never fill beyond `protectionPrice`. */
  reservePrice: string | null
  protectionPrice: string | null
  /** Base amount resting ahead of this order at its price. */
  queueAhead: string
  /** Time priority among orders at the same price (higher = later). */
  rank: number
  /** True while the order takes liquidity from the modelled book (market orders, marketable limits). */
  isTaking: boolean
  createdAt: number
  updatedAt: number
}

export type DemoFill = {
  id: string
  orderId: string
  clientOrderId: string | null
  accountId: string
  symbol: string
  side: Side
  positionSide: PositionSide
  amount: string
  price: string
  cost: string
  fee: string
  feeCurrency: string
  liquidity: 'maker' | 'taker'
  /** Futures: PnL realized by the closing part of this fill, fees excluded; spot: null. */
  realizedPnl: string | null
  time: number
}

/** A futures position as stored; mark-dependent figures are in {@link DemoPositionView}. */
export type DemoPosition = {
  accountId: string
  symbol: string
  positionSide: PositionSide
  side: 'long' | 'short' | null
  contracts: string
  entryPrice: string
  isolatedMargin: string
  /** PnL realized since the position was opened, fees excluded. */
  realizedPnl: string
  openedAt: number
  updatedAt: number
}

export type DemoPositionView = DemoPosition & {
  leverage: number
  marginMode: MarginMode
  markPrice: string | null
  notional: string
  unrealizedPnl: string
  initialMargin: string
  maintenanceMargin: string
  liquidationPrice: string | null
  /** ROE in percent: unrealized PnL over the initial margin at entry. */
  percentage: string
}

export type DemoAccountSettings = {
  accountId: string
  kind: AccountKind
  makerFeeRate: string
  takerFeeRate: string
  /** Futures: hedge mode. */
  hedged: boolean
}

export type DemoSymbolSettings = { leverage: number; marginMode: MarginMode }

type EventBase = { seq: number; time: number }

/**
 * Every change of account state is one of these, in order. Applying them to a snapshot (see
 * `projectEvents`) yields the engine's account state; price updates themselves emit nothing unless
 * they change an account.
 */
export type DemoEvent = EventBase &
  (
    | { type: 'account'; account: DemoAccountSettings }
    | { type: 'account_reset'; accountId: string }
    | { type: 'deposit'; accountId: string; asset: string; amount: string }
    /** Spot balance of one asset after a change. */
    | { type: 'balance'; accountId: string; asset: string; total: string; used: string }
    /** Futures wallet balance after a change (realized PnL, fees, funding, deposits). */
    | { type: 'wallet'; accountId: string; asset: string; walletBalance: string }
    | { type: 'symbol_settings'; accountId: string; symbol: string; leverage: number; marginMode: MarginMode }
    | { type: 'order'; order: DemoOrder }
    | { type: 'queue'; accountId: string; orderId: string; queueAhead: string }
    | { type: 'fill'; fill: DemoFill }
    /** After a change; `contracts: '0'` means closed. */
    | { type: 'position'; position: DemoPosition }
    | {
        type: 'funding'
        accountId: string
        symbol: string
        positionSide: PositionSide
        rate: string
        markPrice: string
        contracts: string
        /** Signed: negative is paid, positive received. */
        amount: string
        fundingTime: number
      }
    | {
        type: 'liquidation'
        id: string
        accountId: string
        symbol: string
        positionSide: PositionSide
        marginMode: MarginMode
        side: 'long' | 'short'
        contracts: string
        markPrice: string
        realizedPnl: string
        fee: string
        /** Loss beyond the margin, absorbed (the wallet never goes below zero through a liquidation). */
        lossCovered: string
      }
    | { type: 'funding_rate'; symbol: string; rate: string }
  )

export type DemoEventType = DemoEvent['type']

export type DemoMarketState = {
  lastPrice: string | null
  markPrice: string | null
  fundingRate: string
  nextFundingTime: number | null
  /** Traded base volume per minute bucket (a ring), and the minute of the newest bucket. */
  volumeBuckets: number[]
  volumeMinute: number
  /** Updates seen; keys the seeded depth jitter. */
  updates: number
}

export type DemoAccountState = DemoAccountSettings & {
  /** Spot: asset → total and used (held for open orders). */
  balances: Record<string, { total: string; used: string }>
  /** Futures. */
  walletBalance: string
  asset: string
  symbols: Record<string, DemoSymbolSettings>
  positions: DemoPosition[]
}

export type DemoEngineDefaults = {
  makerFeeRate: string
  takerFeeRate: string
  /** Balances of a new account when the command names none. */
  balances: Record<string, string>
  leverage: number
  marginMode: MarginMode
}

export type DemoSnapshot = {
  version: 1
  seed: string
  time: number
  counters: { event: number; order: number; fill: number; rank: number }
  defaults: DemoEngineDefaults
  markets: { def: DemoMarketDef; state: DemoMarketState }[]
  accounts: DemoAccountState[]
  /** Open orders, by id. */
  orders: DemoOrder[]
}

export type DemoMarketView = {
  symbol: string
  lastPrice: string | null
  markPrice: string | null
  bid: string | null
  ask: string | null
  fundingRate: string | null
  nextFundingTime: number | null
}
