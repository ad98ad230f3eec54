import { createHmac } from 'node:crypto'
import { constantTimeEquals, headerOf, type EmulatorRequest, type RequestLogEntry } from './emulator-server.js'
import { okxErrors, type OkxAccountState, type OkxPermission } from './okx-types.js'

/**
 * Request authentication as OKX v5 does it for private endpoints:
 * 1. `OK-ACCESS-KEY`, `-SIGN`, `-TIMESTAMP` and `-PASSPHRASE` must all be present (501xx "can't be empty");
 * 2. the key must exist (50111) and the passphrase match the one set when the key was created (50105);
 * 3. the timestamp is ISO 8601 with milliseconds (50112) and within 30 s of the server clock (50102);
 * 4. the signature is base64 HMAC-SHA256 of `timestamp + METHOD + /api/v5/path[?query] + body` (50113);
 * 5. a key bound to IPs refuses any other address (50110);
 * 6. the endpoint's permission (read, trade, withdraw) must be in the key's `perm` (50030).
 * Signatures and passphrases are compared in constant time.
 */
const maxSkewMs = 30_000
const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

export const okxSignature = (secret: string, timestamp: string, method: string, requestPath: string, body: string) =>
  createHmac('sha256', secret).update(timestamp + method + requestPath + body).digest('base64')

export const authenticateOkx = (
  accounts: ReadonlyMap<string, OkxAccountState>,
  req: EmulatorRequest,
  entry: RequestLogEntry,
  permission: OkxPermission,
): OkxAccountState => {
  const key = headerOf(req.headers, 'OK-ACCESS-KEY')
  const sign = headerOf(req.headers, 'OK-ACCESS-SIGN')
  const timestamp = headerOf(req.headers, 'OK-ACCESS-TIMESTAMP')
  const passphrase = headerOf(req.headers, 'OK-ACCESS-PASSPHRASE')
  entry.apiKey = key
  entry.isSigned = sign !== undefined && sign !== ''
  if (!key) throw okxErrors.emptyHeader('OK-ACCESS-KEY')
  if (!sign) throw okxErrors.emptyHeader('OK-ACCESS-SIGN')
  if (!timestamp) throw okxErrors.emptyHeader('OK-ACCESS-TIMESTAMP')
  if (!passphrase) throw okxErrors.emptyHeader('OK-ACCESS-PASSPHRASE')
  const account = accounts.get(key)
  if (!account) throw okxErrors.invalidKey()
  if (!constantTimeEquals(passphrase, account.passphrase)) throw okxErrors.wrongPassphrase()
  if (!isoMillis.test(timestamp) || Number.isNaN(Date.parse(timestamp))) throw okxErrors.invalidTimestamp()
  if (Math.abs(req.nowMs - Date.parse(timestamp)) > maxSkewMs) throw okxErrors.timestampExpired()
  const requestPath = req.path + (req.rawQuery ? `?${req.rawQuery}` : '')
  entry.isSignatureValid = constantTimeEquals(sign, okxSignature(account.secret, timestamp, req.method, requestPath, req.rawBody))
  if (!entry.isSignatureValid) throw okxErrors.invalidSign()
  if (account.ip.length > 0 && !account.ip.includes(req.remoteAddress)) throw okxErrors.invalidIp(req.remoteAddress)
  if (!account.perm.includes(permission)) throw okxErrors.noPermission()
  return account
}
