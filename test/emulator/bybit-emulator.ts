import { randomBytes } from 'node:crypto'
import { authenticateBybit } from './bybit-auth.js'
import { bybitDefaultPrices, bybitMarkets, createBybitRoutes, toBybit } from './bybit-routes.js'
import { BybitApiError, bybitErrors, defaultBybitPermissions, type BybitAccount, type BybitAccountState } from './bybit-types.js'
import { accountLookup, createEmulatorClock, jsonParams, startEmulatorServer, type EmulatorOptions, type Reply } from './emulator-server.js'
import { createSpotLedger, LedgerError, newSpotAccount, numericIds } from './spot-ledger.js'

export type { BybitAccount, BybitAccountSettings, BybitAccountState, BybitPermissions } from './bybit-types.js'

/**
 * A local Bybit v5 REST emulator (unified account, spot) for tests that drive the real ccxt client (see
 * README.md). Private routes check Bybit's header signature, timestamp window, bound IPs, expiry and the
 * key's permissions; `GET /v5/user/query-api` reports them as Bybit does.
 */
export type BybitEmulatorOptions = EmulatorOptions<BybitAccount>

const ninetyDaysMs = 90 * 86_400_000

const toState = (a: BybitAccount, userId: number, nowMs: number): BybitAccountState => {
  const ips = [...(a.ips ?? ['*'])]
  const createdAt = nowMs - 86_400_000
  const permissions = { ...defaultBybitPermissions, ...a.permissions }
  return {
    ...newSpotAccount(a.balances),
    apiKey: a.apiKey,
    secret: a.secret,
    id: String(userId * 10 + 1),
    userId,
    createdAt,
    permissions: Object.fromEntries(Object.entries(permissions).map(([k, v]) => [k, [...v]])) as BybitAccountState['permissions'],
    readOnly: a.readOnly ?? false,
    ips,
    // Bybit expires keys without bound IPs after three months.
    expiredAt: a.expiredAt !== undefined ? a.expiredAt : ips.includes('*') ? new Date(createdAt + ninetyDaysMs).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
    isMaster: a.isMaster ?? true,
  }
}

export const startBybitEmulator = async (options: BybitEmulatorOptions) => {
  const clock = createEmulatorClock(options.clockOffsetMs)
  const { now } = clock
  let nextUser = 100_000_000 + randomBytes(2).readUInt16BE(0) * 100
  const accounts = new Map(options.accounts.map((a) => [a.apiKey, toState(a, nextUser++, now())]))
  const prices = new Map(Object.entries({ ...bybitDefaultPrices, ...options.prices }))
  const ledger = createSpotLedger({ now, prices, markets: bybitMarkets, newOrderId: numericIds(1_900_000_000_000_000_000n) })
  const routes = createBybitRoutes({ ledger, prices, now })

  const server = await startEmulatorServer({
    port: options.port,
    latencyMs: options.latencyMs,
    clock,
    handle: (req, entry): Reply => {
      const route = routes.find((r) => r.path === req.path && r.method === req.method)
      const envelope = (retCode: number, retMsg: string, result: unknown) => ({ retCode, retMsg, result, retExtInfo: {}, time: now() })
      try {
        if (!route) throw bybitErrors.notFound()
        const account = route.need ? authenticateBybit(accounts, req, entry, route.need) : undefined
        const result = route.handle(jsonParams(req, () => bybitErrors.params('body')), account)
        return { status: 200, body: envelope(0, 'OK', result), fundMovement: route.fundMovement }
      } catch (err) {
        const e = err instanceof LedgerError ? toBybit(err) : err
        if (!(e instanceof BybitApiError)) throw e
        return { status: e.status, body: envelope(e.retCode, e.retMsg, {}), errorCode: String(e.retCode), fundMovement: route?.fundMovement }
      }
    },
  })

  return {
    ...server,
    family: 'bybit' as const,
    /** The live state of a key: mutate `permissions`, `readOnly`, `ips`, `expiredAt`, `balances` at run time. */
    account: accountLookup(accounts),
    price: (symbol: string) => prices.get(symbol),
    setPrice: (symbol: string, price: string) => ledger.setPrice(accounts.values(), symbol, price),
  }
}
export type BybitEmulator = Awaited<ReturnType<typeof startBybitEmulator>>
