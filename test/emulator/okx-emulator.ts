import { authenticateOkx } from './okx-auth.js'
import { createOkxRoutes, okxDefaultPrices, okxMarkets, toOkx } from './okx-routes.js'
import { OkxApiError, okxErrors, type OkxAccount, type OkxAccountState } from './okx-types.js'
import { createSpotLedger, LedgerError, newSpotAccount, numericIds } from './spot-ledger.js'
import { accountLookup, createEmulatorClock, jsonParams, startEmulatorServer, type EmulatorOptions, type Reply } from './emulator-server.js'

export type { OkxAccount, OkxAccountSettings, OkxAccountState, OkxPermission } from './okx-types.js'

/**
 * A local OKX v5 REST emulator (spot) for tests that drive the real ccxt client (see README.md).
 * Private routes check OKX's signature, passphrase, timestamp, IP binding and the key's `perm`;
 * `GET /api/v5/account/config` reports `perm` and `ip` as OKX does.
 */
export type OkxEmulatorOptions = EmulatorOptions<OkxAccount>

const toState = (a: OkxAccount, uid: string): OkxAccountState => ({
  ...newSpotAccount(a.balances),
  apiKey: a.apiKey,
  secret: a.secret,
  passphrase: a.passphrase,
  perm: [...(a.perm ?? ['read_only', 'trade'])],
  ip: [...(a.ip ?? [])],
  label: a.label ?? 'bulwark test',
  uid,
})

export const startOkxEmulator = async (options: OkxEmulatorOptions) => {
  const uids = numericIds(400_000_000_000_000_000n)
  const accounts = new Map(options.accounts.map((a) => [a.apiKey, toState(a, uids())]))
  const prices = new Map(Object.entries({ ...okxDefaultPrices, ...options.prices }))
  const clock = createEmulatorClock(options.clockOffsetMs)
  const ledger = createSpotLedger({ now: clock.now, prices, markets: okxMarkets, newOrderId: numericIds() })
  const routes = createOkxRoutes({ ledger, prices, now: clock.now })

  const server = await startEmulatorServer({
    port: options.port,
    latencyMs: options.latencyMs,
    clock,
    handle: (req, entry): Reply => {
      const route = routes.find((r) => r.path === req.path && r.method === req.method)
      try {
        if (!route) throw okxErrors.notFound()
        const account = route.permission ? authenticateOkx(accounts, req, entry, route.permission) : undefined
        const { data, code = '0', msg = '' } = route.handle(jsonParams(req, () => okxErrors.paramError('body')), account)
        return { status: 200, body: { code, msg, data }, errorCode: code === '0' ? undefined : code, fundMovement: route.fundMovement }
      } catch (err) {
        const e = err instanceof LedgerError ? toOkx(err, 'query') : err
        if (!(e instanceof OkxApiError)) throw e
        return { status: e.status, body: { code: e.code, msg: e.msg, data: [] }, errorCode: e.code, fundMovement: route?.fundMovement }
      }
    },
  })

  return {
    ...server,
    family: 'okx' as const,
    /** The live state of a key: mutate `perm`, `ip`, `balances` at run time. */
    account: accountLookup(accounts),
    price: (instId: string) => prices.get(instId),
    /** Moves the price and fills the resting limit orders it crosses. */
    setPrice: (instId: string, price: string) => ledger.setPrice(accounts.values(), instId, price),
  }
}
export type OkxEmulator = Awaited<ReturnType<typeof startOkxEmulator>>
