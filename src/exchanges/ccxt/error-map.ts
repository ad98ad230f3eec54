import ccxt from 'ccxt'
import { AppError } from '../../lib/errors.js'

/**
 * ccxt's error tree → our codes, at the boundary; the original stays as `cause` (for logs only).
 * A RequestTimeout may have reached the exchange: for orders the caller records `unknown`, never retries.
 */
export const mapCcxtError = (err: unknown, what: string): AppError => {
  if (err instanceof AppError) return err
  const e = err as Error
  if (e instanceof ccxt.InsufficientFunds) return new AppError('EXCHANGE_REJECTED', `${what}: insufficient funds at the exchange`, { cause: err })
  // The order journal acts on these two: "no such order" lets it send a lost order again; "duplicate" means it exists.
  if (e instanceof ccxt.OrderNotFound) return new AppError('EXCHANGE_REJECTED', `${what}: the exchange rejected it (${firstLine(e)})`, { cause: err, reason: 'ORDER_NOT_FOUND' })
  if (e instanceof ccxt.DuplicateOrderId || (e instanceof ccxt.InvalidOrder && /duplicate/i.test(e.message))) {
    return new AppError('EXCHANGE_REJECTED', `${what}: the exchange rejected it (${firstLine(e)})`, { cause: err, reason: 'DUPLICATE_CLIENT_ORDER_ID' })
  }
  if (e instanceof ccxt.InvalidOrder || e instanceof ccxt.BadSymbol) return new AppError('EXCHANGE_REJECTED', `${what}: the exchange rejected it (${firstLine(e)})`, { cause: err })
  // HTTP 418 is Binance's IP ban (other venues answer 403 with "banned"): every key of the platform is cut off.
  if (e instanceof ccxt.DDoSProtection && /\b418\b|banned/i.test(e.message)) {
    return new AppError('RATE_LIMITED', `${what}: the exchange has banned this platform's IP address for now; the signer stops using it until the ban ends`, { cause: err, reason: 'IP_BANNED' })
  }
  if (e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection) return new AppError('RATE_LIMITED', `${what}: the exchange is rate-limiting this platform; try again shortly`, { cause: err })
  if (e instanceof ccxt.PermissionDenied || e instanceof ccxt.AuthenticationError || e instanceof ccxt.AccountSuspended) return new AppError('EXCHANGE_AUTH', `${what}: the exchange refused the key (revoked, wrong secret, or this IP is not whitelisted)`, { cause: err })
  if (e instanceof ccxt.InvalidNonce) return new AppError('EXCHANGE_AUTH', `${what}: the exchange refused the request time (clock skew)`, { cause: err })
  if (e instanceof ccxt.NetworkError) return new AppError('EXCHANGE_UNAVAILABLE', `${what}: the exchange did not answer`, { cause: err })
  if (e instanceof ccxt.BadRequest || e instanceof ccxt.ExchangeError) return new AppError('EXCHANGE_REJECTED', `${what}: the exchange rejected it (${firstLine(e)})`, { cause: err })
  return new AppError('INTERNAL', `${what} failed`, { cause: err })
}

/** Exchange messages can echo request parameters; keep the first line and no query strings. */
const firstLine = (e: Error) => (e.message.split('\n')[0] ?? '').replace(/\?\S*/g, '').replace(/\s*https?:\/\/\S+/g, '').slice(0, 160)
