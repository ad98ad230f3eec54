/**
 * Why the engine refused a command. A rejection is thrown before anything changes, so the engine's
 * state after a rejected command equals its state before. `errorType` names the ccxt error class a real
 * exchange would have produced, so the venue layer can raise the same type (and map it to
 * EXCHANGE_REJECTED like any exchange's); messages follow Binance's wording.
 */
export const rejectionTypes = {
  INSUFFICIENT_FUNDS: 'InsufficientFunds',
  MIN_NOTIONAL: 'InvalidOrder',
  MIN_AMOUNT: 'InvalidOrder',
  PRICE_FILTER: 'InvalidOrder',
  LOT_SIZE: 'InvalidOrder',
  LEVERAGE_OVER_LIMIT: 'InvalidOrder',
  REDUCE_ONLY_WOULD_INCREASE: 'InvalidOrder',
  POST_ONLY_WOULD_TAKE: 'InvalidOrder',
  WOULD_TRIGGER_IMMEDIATELY: 'InvalidOrder',
  NO_PRICE: 'InvalidOrder',
  DUPLICATE_CLIENT_ORDER_ID: 'InvalidOrder',
  POSITION_SIDE_MISMATCH: 'InvalidOrder',
  INVALID_ORDER: 'InvalidOrder',
  ORDER_NOT_FOUND: 'OrderNotFound',
  UNKNOWN_SYMBOL: 'BadSymbol',
  MARGIN_MODE_LOCKED: 'BadRequest',
  POSITION_MODE_LOCKED: 'BadRequest',
  NOT_SUPPORTED: 'NotSupported',
  UNKNOWN_ACCOUNT: 'BadRequest',
  ACCOUNT_EXISTS: 'BadRequest',
  BAD_INPUT: 'BadRequest',
} as const

export type DemoRejectReason = keyof typeof rejectionTypes
export type DemoErrorType = (typeof rejectionTypes)[DemoRejectReason]

export class DemoRejection extends Error {
  readonly reason: DemoRejectReason
  readonly errorType: DemoErrorType

  constructor(reason: DemoRejectReason, message: string) {
    super(message)
    this.name = 'DemoRejection'
    this.reason = reason
    this.errorType = rejectionTypes[reason]
  }
}

export const reject = (reason: DemoRejectReason, message: string): never => {
  throw new DemoRejection(reason, message)
}
