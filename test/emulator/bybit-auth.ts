import { createHmac } from 'node:crypto'
import { constantTimeEquals, headerOf, type EmulatorRequest, type RequestLogEntry } from './emulator-server.js'
import { bybitErrors, type BybitAccountState } from './bybit-types.js'

/**
 * Request authentication as Bybit v5 does it for private endpoints (HMAC keys):
 * 1. `X-BAPI-API-KEY` selects the key (10003 unknown); an expired key is refused (33004);
 * 2. `X-BAPI-TIMESTAMP` (ms) must satisfy `server − recvWindow ≤ timestamp < server + 1000`, with
 *    `X-BAPI-RECV-WINDOW` defaulting to 5000 (10002);
 * 3. `X-BAPI-SIGN` is hex HMAC-SHA256 of `timestamp + apiKey + recvWindow + (raw query | raw JSON body)` (10004);
 * 4. a key bound to IPs (anything but `*`) refuses other addresses (10010);
 * 5. the route's permission must be granted, and read-only keys only read (10005).
 */
export type BybitPermissionNeed = 'read' | 'spot-trade' | 'withdraw' | 'transfer'

export const bybitSignature = (secret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string) =>
  createHmac('sha256', secret).update(timestamp + apiKey + recvWindow + payload).digest('hex')

const isGranted = (account: BybitAccountState, need: BybitPermissionNeed) => {
  if (need === 'read') return true
  if (account.readOnly) return false
  if (need === 'spot-trade') return account.permissions.Spot.includes('SpotTrade')
  if (need === 'withdraw') return account.permissions.Wallet.includes('Withdraw')
  return account.permissions.Wallet.includes('AccountTransfer')
}

export const authenticateBybit = (accounts: ReadonlyMap<string, BybitAccountState>, req: EmulatorRequest, entry: RequestLogEntry, need: BybitPermissionNeed): BybitAccountState => {
  const apiKey = headerOf(req.headers, 'X-BAPI-API-KEY')
  const timestamp = headerOf(req.headers, 'X-BAPI-TIMESTAMP') ?? ''
  const sign = headerOf(req.headers, 'X-BAPI-SIGN') ?? ''
  const recvWindow = headerOf(req.headers, 'X-BAPI-RECV-WINDOW') ?? '5000'
  entry.apiKey = apiKey
  entry.isSigned = sign !== ''
  if (!apiKey) throw bybitErrors.missingKey()
  const account = accounts.get(apiKey)
  if (!account) throw bybitErrors.invalidKey()
  if (account.expiredAt !== null && Date.parse(account.expiredAt) <= req.nowMs) throw bybitErrors.expired()
  const ts = Number(timestamp)
  const window = Number(recvWindow)
  if (!/^\d+$/.test(timestamp) || !/^\d+$/.test(recvWindow) || !(req.nowMs - window <= ts && ts < req.nowMs + 1000)) throw bybitErrors.timestamp(ts, req.nowMs, window)
  const payload = req.method === 'GET' ? req.rawQuery : req.rawBody
  entry.isSignatureValid = constantTimeEquals(sign, bybitSignature(account.secret, timestamp, apiKey, recvWindow, payload))
  if (!entry.isSignatureValid) throw bybitErrors.badSign()
  if (!account.ips.includes('*') && !account.ips.includes(req.remoteAddress)) throw bybitErrors.ipMismatch()
  if (!isGranted(account, need)) throw bybitErrors.permission()
  return account
}
