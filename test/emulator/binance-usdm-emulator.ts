import { authenticate, type AuthOutcome } from './binance-auth.js'
import { createRateLimiter } from './binance-rate-limit.js'
import { BinanceApiError, binanceErrors, toAccountState, type EmulatorAccount } from './binance-types.js'
import { createFuturesEngine, futuresDefaultPrices, futuresMarket, newFuturesState, type FuturesAccountState } from './binance-usdm-engine.js'
import { createUsdmRoutes } from './binance-usdm-routes.js'
import { accountLookup, createEmulatorClock, headerOf, startEmulatorServer, type EmulatorOptions, type Reply } from './emulator-server.js'

export type { FuturesAccountState } from './binance-usdm-engine.js'

/**
 * A local Binance USDⓈ-M futures emulator (fapi, plus the sapi routes a binanceusdm client reaches on the
 * spot host) for tests that drive the real ccxt client; see README.md. Authentication is the spot
 * emulator's (`binance-auth.ts`: X-MBX-APIKEY, HMAC-SHA256 or Ed25519 over query+body, timestamp window,
 * IP restriction); futures trading also needs the key's `enableFutures` (else -2015, as Binance answers).
 */
export type UsdmEmulatorAccount = EmulatorAccount & {
  /** USDⓈ-M wallet (USDT) as a decimal string. `balances` stays the spot wallet (sapi routes). */
  futuresBalance?: string
}

export type UsdmEmulatorOptions = EmulatorOptions<UsdmEmulatorAccount> & { weightLimitPerMinute?: number }

const toState = (a: UsdmEmulatorAccount, createTime: number): FuturesAccountState => ({
  // A futures key has "Enable Futures" ticked unless the test says otherwise.
  ...toAccountState({ ...a, permissions: { enableFutures: true, ...a.permissions } }, createTime),
  futures: newFuturesState(a.futuresBalance ?? '0'),
})

export const startBinanceUsdmEmulator = async (options: UsdmEmulatorOptions) => {
  const clock = createEmulatorClock(options.clockOffsetMs)
  const { now } = clock
  const accounts = new Map(options.accounts.map((a) => [a.apiKey, toState(a, now() - 86_400_000)]))
  const prices = new Map(Object.entries({ ...futuresDefaultPrices, ...options.prices }))
  const engine = createFuturesEngine({ now, prices })
  const routes = createUsdmRoutes({ engine, now })
  const limiter = createRateLimiter(options.weightLimitPerMinute, now)

  const server = await startEmulatorServer({
    port: options.port,
    latencyMs: options.latencyMs,
    clock,
    redact: ['signature'],
    handle: (req, entry): Reply => {
      // Countdowns that ended while nobody asked have cancelled their orders by the time anyone looks.
      engine.expireCountdowns(accounts.values())
      const route = routes.find((r) => r.path === req.path && r.method === req.method)
      // Binance reads parameters from the query and the form body; the query wins.
      const params: Record<string, string> = { ...Object.fromEntries(new URLSearchParams(req.rawBody)), ...req.query }
      entry.apiKey = headerOf(req.headers, 'X-MBX-APIKEY')
      entry.isSigned = params['signature'] !== undefined
      const outcome: AuthOutcome = { isSigned: entry.isSigned, isSignatureValid: undefined }
      const headers: Record<string, string> = {}
      try {
        headers['X-MBX-USED-WEIGHT-1M'] = String(limiter.charge(req.remoteAddress, route?.weight ?? 1))
        if (!route) throw binanceErrors.unknownRoute(req.method, req.path)
        let account: FuturesAccountState | undefined
        if (route.security !== 'NONE') {
          const security = route.security === 'FUTURES_TRADE' ? 'USER_DATA' : route.security
          account = authenticate(accounts, { apiKey: entry.apiKey, rawQuery: req.rawQuery, rawBody: req.rawBody, params, remoteAddress: req.remoteAddress, nowMs: req.nowMs }, security, outcome) as FuturesAccountState
          const expiry = account.tradingAuthorityExpirationTime
          if (route.security === 'FUTURES_TRADE' && (!account.permissions.enableFutures || (expiry !== undefined && expiry <= req.nowMs))) throw binanceErrors.rejectedKey(req.remoteAddress)
        }
        entry.isSignatureValid = outcome.isSignatureValid
        const body = route.handle(params, account)
        return { status: 200, body, headers, fundMovement: route.fundMovement }
      } catch (err) {
        entry.isSignatureValid = outcome.isSignatureValid
        if (!(err instanceof BinanceApiError)) throw err
        return {
          status: err.status, body: { code: err.code, msg: err.msg }, errorCode: String(err.code),
          headers: { ...err.headers, 'X-MBX-USED-WEIGHT-1M': String(limiter.usedWeight(req.remoteAddress)) },
          fundMovement: route?.fundMovement,
        }
      }
    },
  })

  return {
    ...server,
    family: 'binanceusdm' as const,
    /** The live state of a key: `permissions`, `ipRestrict`, `ipWhitelist`, spot `balances`, and `futures`. */
    account: accountLookup(accounts),
    price: (symbol: string) => prices.get(futuresMarket(symbol).symbol),
    /** Moves the price and fills the resting limit orders it crosses. */
    setPrice: (symbol: string, price: string) => engine.setPrice(accounts.values(), symbol, price),
    /** Applies the countdowns (countdownCancelAll) that have ended by the emulator clock; returns how many orders they cancelled. */
    runCountdowns: () => engine.expireCountdowns(accounts.values()),
    resetRateLimits: () => limiter.reset(),
  }
}
export type BinanceUsdmEmulator = Awaited<ReturnType<typeof startBinanceUsdmEmulator>>
