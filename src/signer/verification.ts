import type { Exchange } from 'ccxt'
import { AppError } from '../lib/errors.js'
import { catalogueEntry } from '../exchanges/index.js'
import { mapCcxtError } from '../exchanges/ccxt/index.js'
import type { Credentials } from '../vault/index.js'
import type { Executor } from './executor.js'

/** What the exchange says about a key's own permissions; stored with the key, shown as badges. */
export type Verification = {
  status: 'verified' | 'unverifiable' | 'unreachable'
  checkedAt: string
  withdrawEnabled?: boolean
  transferEnabled?: boolean
  tradingEnabled?: boolean
  /** false: no IP whitelist (workspace policy may refuse such keys); absent: the venue does not say. */
  ipRestricted?: boolean
  expiresAt?: string | null
  note?: string
}

/** A venue's permission answer in our terms. `null` from a parser means the answer lacked what we need. */
export type KeyPermissions = {
  withdrawEnabled: boolean
  transferEnabled: boolean
  tradingEnabled: boolean
  /** undefined where the venue does not report IP restrictions. */
  ipRestricted: boolean | undefined
  expiresAt: string | null
  notes: string[]
}

export type ParseContext = { market: 'spot' | 'linear'; apiKey: string; now: Date }

type Reader = {
  /** The venue's site name, for the fix. */
  site: string
  /** The permission read(s), signed with the key. Never a probe: nothing here moves or tries to move funds. */
  read: (ex: Exchange, apiKey: string) => Promise<unknown>
  parse: (raw: unknown, ctx: ParseContext) => KeyPermissions | null
  /** Which boxes to untick there. */
  fix: string
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const call = (ex: Exchange, method: string, params: Obj = {}): Promise<unknown> => {
  const fn = (ex as unknown as Record<string, unknown>)[method]
  if (typeof fn !== 'function') throw new AppError('INTERNAL', `the installed ccxt has no ${method}`)
  return (fn as (p: Obj) => Promise<unknown>).call(ex, params)
}
/** `data` of an envelope: the object itself, or its first element when the venue wraps it in a list. */
const dataOf = (raw: unknown, key = 'data'): unknown => {
  const d = isObj(raw) ? raw[key] : undefined
  return Array.isArray(d) && d.length === 1 ? d[0] : d
}
const list = (v: unknown): string[] | null =>
  typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null
const isoOrNull = (v: unknown): string | null => {
  const ms = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? (/^\d+$/.test(v) ? Number(v) : Date.parse(v)) : NaN
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null
}

/** GET /sapi/v1/account/apiRestrictions (Binance spot and USDⓈ-M: one key, one endpoint on the spot host). */
export const parseBinanceRestrictions = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  if (!isObj(raw)) return null
  const trading = ctx.market === 'linear' ? 'enableFutures' : 'enableSpotAndMarginTrading'
  if (!['enableWithdrawals', 'enableInternalTransfer', 'permitsUniversalTransfer', 'ipRestrict', trading].every((f) => typeof raw[f] === 'boolean')) return null
  return {
    withdrawEnabled: raw['enableWithdrawals'] === true,
    transferEnabled: raw['enableInternalTransfer'] === true || raw['permitsUniversalTransfer'] === true,
    tradingEnabled: raw[trading] === true,
    ipRestricted: raw['ipRestrict'] === true,
    expiresAt: isoOrNull(raw['tradingAuthorityExpirationTime']),
    notes: [],
  }
}

/** GET /api/v5/account/config: `perm` "read_only,trade,withdraw", `ip` the bound IPs ("" when none). */
export const parseOkxConfig = (raw: unknown): KeyPermissions | null => {
  const d = dataOf(raw)
  if (!isObj(d) || typeof d['perm'] !== 'string' || typeof d['ip'] !== 'string') return null
  const perm = list(d['perm']) ?? []
  return {
    withdrawEnabled: perm.includes('withdraw'),
    // OKX has no separate transfer right: a trade key moves funds only between its own accounts.
    transferEnabled: false,
    tradingEnabled: perm.includes('trade'),
    ipRestricted: d['ip'].trim() !== '',
    expiresAt: null,
    notes: [],
  }
}

/** GET /v5/user/query-api: readOnly 0/1, permissions {Wallet: [...], Spot: [...], ...}, ips (["*"] = any), expiredAt. */
export const parseBybitQueryApi = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  const r = isObj(raw) ? raw['result'] : undefined
  if (!isObj(r) || typeof r['readOnly'] !== 'number' || !isObj(r['permissions'])) return null
  const ips = list(r['ips'])
  if (ips === null) return null
  const perms = r['permissions']
  const group = (name: string) => list(perms[name]) ?? []
  // Fail closed: a wallet right counts even on a key marked read-only.
  const wallet = group('Wallet')
  const canTrade = ctx.market === 'linear' ? group('ContractTrade').includes('Order') || group('Derivatives').includes('DerivativesTrade') : group('Spot').includes('SpotTrade')
  return {
    withdrawEnabled: wallet.includes('Withdraw'),
    transferEnabled: wallet.includes('AccountTransfer') || wallet.includes('SubMemberTransfer'),
    tradingEnabled: r['readOnly'] === 0 && canTrade,
    ipRestricted: ips.length > 0 && !ips.includes('*'),
    expiresAt: isoOrNull(r['expiredAt']),
    notes: r['readOnly'] === 1 ? ['the key is read-only'] : [],
  }
}

/** GET /api/v1/user/api-key: permission "General,Spot,…" (token spelling unverified), ipWhitelist. */
export const parseKucoinApiKey = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  const d = dataOf(raw)
  if (!isObj(d)) return null
  const perm = list(d['permission'])
  if (perm === null || !(typeof d['ipWhitelist'] === 'string' || d['ipWhitelist'] === undefined || d['ipWhitelist'] === null)) return null
  return {
    withdrawEnabled: perm.some((p) => /withdraw/i.test(p)),
    transferEnabled: perm.some((p) => /transfer/i.test(p)),
    tradingEnabled: perm.some((p) => p.toLowerCase() === (ctx.market === 'linear' ? 'futures' : 'spot')),
    ipRestricted: typeof d['ipWhitelist'] === 'string' && d['ipWhitelist'].trim() !== '',
    expiresAt: null,
    notes: [],
  }
}

/** GET /api/v2/spot/account/info: authorities (wwow withdraw, wtow transfer write, stow/coow trade), ips. */
export const parseBitgetAccountInfo = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  const d = dataOf(raw)
  const authorities = isObj(d) ? list(d['authorities']) : null
  if (!isObj(d) || authorities === null) return null
  const ips = typeof d['ips'] === 'string' ? d['ips'].trim() : ''
  return {
    withdrawEnabled: authorities.includes('wwow'),
    transferEnabled: authorities.includes('wtow'),
    tradingEnabled: authorities.includes(ctx.market === 'linear' ? 'coow' : 'stow'),
    ipRestricted: ips !== '',
    expiresAt: null,
    notes: [],
  }
}

/** GET /api/v4/account/main_keys: perms [{name, read_only}] ("wallet" writable ⇒ funds can leave), ip_whitelist. */
export const parseGateMainKeys = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  const entries = Array.isArray(raw) ? raw.filter(isObj) : isObj(raw) ? [raw] : []
  const mine = entries.length === 1 ? entries[0] : entries.find((e) => e['key'] === ctx.apiKey || (isObj(e['key']) && e['key']['api_key'] === ctx.apiKey))
  if (!mine || !Array.isArray(mine['perms']) || !Array.isArray(mine['ip_whitelist'])) return null
  const writable = (name: string) => (mine['perms'] as unknown[]).some((p) => isObj(p) && p['name'] === name && p['read_only'] === false)
  return {
    withdrawEnabled: writable('wallet'),
    transferEnabled: writable('wallet'),
    tradingEnabled: writable(ctx.market === 'linear' ? 'futures' : 'spot'),
    ipRestricted: (mine['ip_whitelist'] as unknown[]).length > 0,
    expiresAt: null,
    notes: ['Gate reports no separate withdraw right: a writable "wallet" permission is treated as one'],
  }
}

/** POST /v2/auth/r/permissions: rows [scope, read, write]; no IP information. */
export const parseBitfinexPermissions = (raw: unknown): KeyPermissions | null => {
  if (!Array.isArray(raw) || !raw.every((row) => Array.isArray(row) && typeof row[0] === 'string')) return null
  const writes = (pattern: RegExp) => (raw as unknown[][]).some((row) => pattern.test(String(row[0])) && Number(row[2]) === 1)
  return {
    withdrawEnabled: writes(/withdraw/),
    transferEnabled: writes(/^wallets$/),
    tradingEnabled: writes(/^orders$/),
    ipRestricted: undefined,
    expiresAt: null,
    notes: ['Bitfinex does not report whether the key is restricted to IPs: check it there'],
  }
}

/** GET /v2/user/api-key?uid=…&accessKey=…: permission "readOnly,trade,withdraw", ipAddresses, validDays (-1 = never). */
export const parseHtxApiKey = (raw: unknown, ctx: ParseContext): KeyPermissions | null => {
  const rows = isObj(raw) && Array.isArray(raw['data']) ? raw['data'].filter(isObj) : []
  const mine = rows.find((r) => r['accessKey'] === ctx.apiKey)
  const perm = mine ? list(mine['permission']) : null
  if (!mine || perm === null) return null
  const ips = typeof mine['ipAddresses'] === 'string' ? mine['ipAddresses'].trim() : ''
  const days = Number(mine['validDays'])
  return {
    withdrawEnabled: perm.includes('withdraw'),
    transferEnabled: false,
    tradingEnabled: perm.includes('trade'),
    ipRestricted: ips !== '',
    // validDays counts the days left; -1 means the key does not expire.
    expiresAt: Number.isFinite(days) && days >= 0 ? new Date(ctx.now.getTime() + days * 86_400_000).toISOString() : null,
    notes: [],
  }
}

/** GET /api/v1/user/query-apikey: readOnly 0/1, permissions (READ, TRADE, TRANSFER), ips, expireTime. */
export const parseBlofinApiKey = (raw: unknown): KeyPermissions | null => {
  const d = dataOf(raw)
  if (!isObj(d) || d['readOnly'] === undefined || d['readOnly'] === null || Number.isNaN(Number(d['readOnly']))) return null
  const perms = (list(d['permissions']) ?? []).map((p) => p.toUpperCase())
  const ips = list(d['ips'])
  if (ips === null) return null
  return {
    withdrawEnabled: perms.some((p) => p.includes('WITHDRAW')),
    transferEnabled: perms.includes('TRANSFER'),
    tradingEnabled: Number(d['readOnly']) === 0 && perms.includes('TRADE'),
    ipRestricted: ips.length > 0 && !ips.includes('*'),
    expiresAt: isoOrNull(d['expireTime']),
    notes: [],
  }
}

const one = (method: string) => (ex: Exchange) => call(ex, method)

/** Keyed by the catalogue's `permissionCheck`; a kind missing here leaves the key unverified (fail closed). */
export const permissionReaders: Readonly<Record<string, Reader>> = {
  'binance-api-restrictions': {
    site: 'Binance', read: one('sapiGetAccountApiRestrictions'), parse: parseBinanceRestrictions,
    fix: 'edit it at Binance (API Management), untick "Enable Withdrawals" and "Permits Universal Transfer"/"Internal Transfer"',
  },
  'okx-account-config': { site: 'OKX', read: one('privateGetAccountConfig'), parse: parseOkxConfig, fix: 'edit it at OKX (Profile → API → Edit), untick "Withdraw" and keep only "Read" and "Trade"' },
  'bybit-query-api': {
    site: 'Bybit', read: one('privateGetV5UserQueryApi'), parse: parseBybitQueryApi,
    fix: 'edit it at Bybit (API Management → Edit), under "Assets" untick "Withdrawal", "Account Transfer" and "Subaccount Transfer"',
  },
  'kucoin-user-api-key': { site: 'KuCoin', read: one('privateGetUserApiKey'), parse: parseKucoinApiKey, fix: 'create a new key at KuCoin (API Management) with only "General" and trading permissions, without "Withdrawal" or "Transfer"' },
  'bitget-account-info': { site: 'Bitget', read: one('privateSpotGetV2SpotAccountInfo'), parse: parseBitgetAccountInfo, fix: 'edit it at Bitget (API Management), untick "Withdraw" and the wallet "Transfer" permission' },
  'gate-main-keys': { site: 'Gate', read: one('privateAccountGetMainKeys'), parse: parseGateMainKeys, fix: 'edit it at Gate (API Management), set "Wallet" to read-only or none, and untick "Withdrawal"' },
  'bitfinex-permissions': { site: 'Bitfinex', read: one('privatePostAuthRPermissions'), parse: parseBitfinexPermissions, fix: 'edit it at Bitfinex (API Keys), turn off "Withdraw" and the write permission of "Wallets"' },
  'htx-user-api-key': {
    site: 'HTX',
    read: async (ex, apiKey) => {
      const uid = dataOf(await call(ex, 'v2PrivateGetUserUid'))
      return call(ex, 'v2PrivateGetUserApiKey', { uid, accessKey: apiKey })
    },
    parse: parseHtxApiKey,
    fix: 'edit it at HTX (API Management), untick "Withdraw"',
  },
  'blofin-query-apikey': { site: 'BloFin', read: one('privateGetUserQueryApikey'), parse: parseBlofinApiKey, fix: 'edit it at BloFin (API Management), untick "Transfer"' },
}

/**
 * Reads the key's permissions from the exchange itself, per the catalogue's `permissionCheck` (never by
 * probing a withdrawal). A key that can withdraw or transfer is refused with the fix in the message;
 * one the exchange cannot be asked about now is stored `unverified` and cannot execute; a key without an
 * IP whitelist is reported (`ipRestricted: false`), not refused here (that is workspace policy).
 * @throws AppError KEY_HAS_WITHDRAW_PERMISSION; EXCHANGE_AUTH (the exchange refused the key, or it has expired)
 */
export const verifyKeyAtExchange = async (executor: Executor, tempId: string, exchange: string, credentials: Credentials, now: Date, opts: { testnet?: boolean } = {}): Promise<Verification> => {
  const entry = catalogueEntry(exchange)
  const checkedAt = now.toISOString()
  if (!entry) return { status: 'unverifiable', checkedAt, note: `cannot be verified on ${exchange}: it is not in the catalogue` }
  if (entry.ccxtId === null || entry.verification.kind === 'none') {
    return { status: 'unverifiable', checkedAt, note: entry.verification.kind === 'none' ? entry.verification.reason : `cannot be verified on ${entry.name}` }
  }
  const reader = permissionReaders[entry.permissionCheck]
  if (!reader) return { status: 'unverifiable', checkedAt, note: `cannot be verified on ${entry.name} yet: the signer cannot read its permission answer; the key stays unverified` }
  const apiKey = credentials.apiKey.toString('utf8')
  let raw: unknown
  try {
    // By catalogue id: presets and endpoint policy are per venue (bybit and bybit-linear share a ccxt class).
    raw = await executor.runRaw(tempId, entry.id, credentials, (ex) => reader.read(ex, apiKey), opts)
  } catch (err) {
    // The executor maps errors of the call itself; loading the venue's markets first can still fail raw.
    const e = mapCcxtError(err, `reading the key's permissions at ${entry.name}`)
    if (e.code === 'EXCHANGE_UNAVAILABLE') return { status: 'unreachable', checkedAt, note: `${entry.name} did not answer; the key stays unverified until it does` }
    // Some test environments have no permission endpoint (Binance demo has no sapi): nothing to read there,
    // and nothing to protect (no real funds). A refused key is still refused.
    if (opts.testnet && e.code !== 'EXCHANGE_AUTH') return { status: 'unverifiable', checkedAt, note: `${entry.name}'s test environment cannot report key permissions (${e.message})` }
    throw e
  } finally {
    executor.forget(tempId)
  }
  // Fail closed: an answer without the permission fields verifies nothing.
  const p = reader.parse(raw, { market: entry.market, apiKey, now })
  if (!p) return { status: 'unverifiable', checkedAt, note: `${entry.name} answered without the permission fields; the key stays unverified` }
  if (p.withdrawEnabled || p.transferEnabled) {
    throw new AppError('KEY_HAS_WITHDRAW_PERMISSION', `this ${entry.name} key can ${p.withdrawEnabled ? 'withdraw' : 'transfer'} funds: ${reader.fix}, then connect it again`)
  }
  if (p.expiresAt !== null && Date.parse(p.expiresAt) <= now.getTime()) {
    throw new AppError('EXCHANGE_AUTH', `this ${entry.name} key expired on ${p.expiresAt.slice(0, 10)}: create a new key at ${reader.site} and connect it`)
  }
  const notes = [...p.notes]
  if (p.ipRestricted === false) notes.push(`the key is not restricted to IP addresses: whitelist the platform's egress IPs at ${reader.site}`)
  if (!p.tradingEnabled) notes.push('the key cannot trade')
  if (p.expiresAt !== null) notes.push(`the key expires on ${p.expiresAt.slice(0, 10)}`)
  return {
    status: 'verified',
    checkedAt,
    withdrawEnabled: false,
    transferEnabled: false,
    tradingEnabled: p.tradingEnabled,
    ...(p.ipRestricted === undefined ? {} : { ipRestricted: p.ipRestricted }),
    expiresAt: p.expiresAt,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  }
}
