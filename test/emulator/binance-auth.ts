import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { binanceErrors, type AccountState } from './binance-types.js'

/**
 * Request authentication as Binance does it for SIGNED endpoints:
 * 1. `X-MBX-APIKEY` selects the key: absent or malformed → -2014, well-formed but unknown → -2015;
 * 2. a key restricted to trusted IPs refuses any other remote address → -2015;
 * 3. the signature covers the "total params": the raw query string followed directly by the raw body,
 *    each without its `signature=` component. HMAC keys sign with hex HMAC-SHA256; Ed25519 keys with
 *    base64 Ed25519 (URL-encoded in the request) → -1022 on mismatch;
 * 4. `timestamp` must be less than 1000 ms ahead of the server clock and at most `recvWindow`
 *    (default 5000, max 60000) behind it → -1021 / -1131;
 * 5. the key's permissions must cover the endpoint's security type → -2015 (trading) or -1002 (wallet).
 * Signatures are compared in constant time.
 */
export type Security = 'NONE' | 'USER_DATA' | 'TRADE' | 'WITHDRAW' | 'UNIVERSAL_TRANSFER'

export type AuthInput = {
  apiKey: string | undefined
  rawQuery: string
  rawBody: string
  params: Record<string, string>
  remoteAddress: string
  nowMs: number
}

/** What the request log records about authentication; filled in as far as the checks got. */
export type AuthOutcome = { isSigned: boolean; isSignatureValid: boolean | undefined }

const apiKeyPattern = /^[A-Za-z0-9]{64}$/
const defaultRecvWindowMs = 5000
const maxRecvWindowMs = 60_000
const maxAheadMs = 1000

/** Removes the `signature=` component from a raw `a=1&b=2` string, keeping everything else byte for byte. */
const withoutSignature = (raw: string) => raw.split('&').filter((part) => !part.startsWith('signature=')).join('&')

/** The exact bytes Binance verifies: query string concatenated with the body (no separator). */
export const signaturePayload = (rawQuery: string, rawBody: string) => withoutSignature(rawQuery) + withoutSignature(rawBody)

const publicKeys = new Map<string, KeyObject>()
const ed25519Key = (pem: string) => {
  let key = publicKeys.get(pem)
  if (!key) {
    key = createPublicKey(pem)
    publicKeys.set(pem, key)
  }
  return key
}

const constantTimeEquals = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b)

export const verifySignature = (account: AccountState, payload: string, signature: string): boolean => {
  const { credential } = account
  if (credential.secret !== undefined) {
    const expected = createHmac('sha256', credential.secret).update(payload).digest()
    const provided = /^[0-9a-fA-F]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0)
    return constantTimeEquals(expected, provided)
  }
  const provided = Buffer.from(signature, 'base64')
  if (provided.length !== 64) return false
  try {
    return verify(null, Buffer.from(payload), ed25519Key(credential.ed25519PublicKeyPem), provided)
  } catch {
    return false
  }
}

const checkTimestamp = (params: Record<string, string>, nowMs: number) => {
  const timestamp = params['timestamp']
  if (timestamp === undefined || !/^\d+$/.test(timestamp)) throw binanceErrors.mandatory('timestamp')
  const recvWindow = params['recvWindow'] === undefined ? defaultRecvWindowMs : Number(params['recvWindow'])
  if (!Number.isFinite(recvWindow) || recvWindow < 0) throw binanceErrors.mandatory('recvWindow')
  if (recvWindow > maxRecvWindowMs) throw binanceErrors.recvWindowTooLarge()
  const ts = Number(timestamp)
  if (ts >= nowMs + maxAheadMs) throw binanceErrors.timestampAhead()
  if (nowMs - ts > recvWindow) throw binanceErrors.timestampOutsideWindow()
}

const checkPermission = (account: AccountState, security: Security, remoteAddress: string, nowMs: number) => {
  const p = account.permissions
  const expiry = account.tradingAuthorityExpirationTime
  switch (security) {
    case 'USER_DATA':
      if (!p.enableReading) throw binanceErrors.rejectedKey(remoteAddress)
      return
    case 'TRADE':
      if (!p.enableSpotAndMarginTrading || (expiry !== undefined && expiry <= nowMs)) throw binanceErrors.rejectedKey(remoteAddress)
      return
    case 'WITHDRAW':
      if (!p.enableWithdrawals) throw binanceErrors.notAuthorized()
      return
    case 'UNIVERSAL_TRANSFER':
      if (!p.permitsUniversalTransfer) throw binanceErrors.notAuthorized()
      return
    case 'NONE':
      return
  }
}

/**
 * Authenticates a SIGNED request and returns the account, or throws the Binance error. `outcome` is
 * updated as the checks proceed so the request log is right even when a check fails.
 */
export const authenticate = (accounts: ReadonlyMap<string, AccountState>, input: AuthInput, security: Security, outcome: AuthOutcome): AccountState => {
  const { apiKey, params, remoteAddress, nowMs } = input
  outcome.isSigned = params['signature'] !== undefined
  const account = apiKey === undefined ? undefined : accounts.get(apiKey)
  if (!account) throw apiKey !== undefined && apiKeyPattern.test(apiKey) ? binanceErrors.rejectedKey(remoteAddress) : binanceErrors.apiKeyFormatInvalid()
  if (account.ipRestrict && !account.ipWhitelist.includes(remoteAddress)) throw binanceErrors.rejectedKey(remoteAddress)
  const signature = params['signature']
  if (signature === undefined || signature === '') throw binanceErrors.mandatory('signature')
  outcome.isSignatureValid = verifySignature(account, signaturePayload(input.rawQuery, input.rawBody), signature)
  if (!outcome.isSignatureValid) throw binanceErrors.badSignature()
  checkTimestamp(params, nowMs)
  checkPermission(account, security, remoteAddress, nowMs)
  return account
}
