/** The bot machines (pure): Smart Trades and Signal Bots, driven by the runtime (README.md "Contracts"). */
export { smartTradeMachine } from './smart-trade.js'
export { signalBotMachine, tradeSummary } from './signal-bot.js'
export type {
  SmartTradeState,
  SignalBotState,
  TradeSummary,
  TradePhase,
  ExitReason,
  StopPlacement,
  SignalVerdict,
} from './machines-types.js'
