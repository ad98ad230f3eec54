import { authenticateOkx } from './okx-auth.js'
import { createOkxRoutes, okxDefaultPrices, okxMarkets, toOkx } from './okx-routes.js'
import { OkxApiError, okxErrors, type OkxAccount, type OkxAccountState } from './okx-types.js'
import { createSpotLedger, LedgerError, newSpotAccount, numericIds } from './spot-ledger.js'
import { startEmulatorServer, type Reply } from './emulator-server.js'

export type { OkxAccount, OkxAccountSettings, OkxAccountState, OkxPermission } from './okx-types.js'

/**
 * A local OKX v5 REST emulator (spot) for tests that drive the real ccxt client (see README.md).
 * Private routes check OKX's signature, passphrase, timestamp, IP binding and the key's `perm`;
 * `GET /api/v5/account/config` reports `perm` and `ip` as OKX does.
 */
export type OkxEmulatorOptions = {
  accounts: OkxAccount[]
  /** Prices per instrument id, e.g. `{ 'BTC-USDT': '50000' }`. */
  prices?: Record<string, string>
  clockOffsetMs?: number
  latencyMs?: number
  port?: number
}

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
  let now = () => Date.now()
  const ledger = createSpotLedger({ now: () => now(), prices, markets: okxMarkets, newOrderId: numericIds() })
  const routes = createOkxRoutes({ ledger, prices, now: () => now() })

  const server = await startEmulatorServer({
    port: options.port,
    latencyMs: options.latencyMs,
    clockOffsetMs: options.clockOffsetMs,
    handle: (req, entry): Reply => {
      const route = routes.find((r) => r.path === req.path && r.method === req.method)
      try {
        if (!route) throw okxErrors.notFound()
        const account = route.permission ? authenticateOkx(accounts, req, entry, route.permission) : undefined
        let params: Record<string, unknown> = req.query
        if (req.method === 'POST') {
          try {
            const body: unknown = req.rawBody ? JSON.parse(req.rawBody) : {}
            params = Array.isArray(body) ? { '[]': body } : (body as Record<string, unknown>)
          } catch {
            throw okxErrors.paramError('body')
          }
        }
        const { data, code = '0', msg = '' } = route.handle(params, account)
        return { status: 200, body: { code, msg, data }, ...(code === '0' ? {} : { errorCode: code }), ...(route.fundMovement ? { fundMovement: route.fundMovement } : {}) }
      } catch (err) {
        const e = err instanceof LedgerError ? toOkx(err, 'query') : err
        if (!(e instanceof OkxApiError)) throw e
        return { status: e.status, body: { code: e.code, msg: e.msg, data: [] }, errorCode: e.code, ...(route?.fundMovement ? { fundMovement: route.fundMovement } : {}) }
      }
    },
  })

  now = server.now
  const account = (apiKey: string): OkxAccountState => {
    const found = accounts.get(apiKey)
    if (!found) throw new Error('the emulator has no account with that API key')
    return found
  }

  return {
    ...server,
    family: 'okx' as const,
    /** The live state of a key: mutate `perm`, `ip`, `balances` at run time. */
    account,
    price: (instId: string) => prices.get(instId),
    /** Moves the price and fills the resting limit orders it crosses. */
    setPrice: (instId: string, price: string) => ledger.setPrice(accounts.values(), instId, price),
  }
}
export type OkxEmulator = Awaited<ReturnType<typeof startOkxEmulator>>
