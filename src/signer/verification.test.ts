import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { startBinanceUsdmEmulator, type BinanceUsdmEmulator } from '../../test/emulator/binance-usdm-emulator.js'
import { startBybitEmulator, type BybitEmulator } from '../../test/emulator/bybit-emulator.js'
import { startOkxEmulator, type OkxEmulator } from '../../test/emulator/okx-emulator.js'
import { randomApiKey, randomHmacSecret, randomPassphrase } from '../../test/emulator/emulator-fixtures.js'
import { encodeCredentialFields } from '../crypto/sealing.js'
import { AppError } from '../lib/errors.js'
import { decodeCredentials } from '../vault/index.js'
import { createExecutor, type Refusal } from './executor.js'
import { createRateBudget } from './rate-budget.js'
import {
  parseBinanceRestrictions, parseBitfinexPermissions, parseBitgetAccountInfo, parseBlofinApiKey, parseBybitQueryApi, parseGateMainKeys, parseHtxApiKey,
  parseKucoinApiKey, parseOkxConfig, permissionReaders, verifyKeyAtExchange,
} from './verification.js'

const now = new Date('2026-06-01T00:00:00Z')
const spot = { market: 'spot' as const, apiKey: 'K1', now }
const linear = { ...spot, market: 'linear' as const }

describe('permission payload parsers', () => {
  it('Binance apiRestrictions: withdraw, either transfer flag, the trading flag of the market, ipRestrict, expiry; fails closed without flags', () => {
    const safe = { ipRestrict: true, enableReading: true, enableWithdrawals: false, enableInternalTransfer: false, permitsUniversalTransfer: false, enableSpotAndMarginTrading: true, enableFutures: false }
    expect(parseBinanceRestrictions(safe, spot)).toEqual({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: null, notes: [] })
    expect(parseBinanceRestrictions(safe, linear)?.tradingEnabled).toBe(false) // USDⓈ-M trades with enableFutures
    expect(parseBinanceRestrictions({ ...safe, enableWithdrawals: true }, spot)?.withdrawEnabled).toBe(true)
    expect(parseBinanceRestrictions({ ...safe, permitsUniversalTransfer: true }, spot)?.transferEnabled).toBe(true)
    expect(parseBinanceRestrictions({ ...safe, enableInternalTransfer: true }, spot)?.transferEnabled).toBe(true)
    expect(parseBinanceRestrictions({ ...safe, ipRestrict: false, tradingAuthorityExpirationTime: 1_780_000_000_000 }, spot)).toMatchObject({ ipRestricted: false, expiresAt: '2026-05-28T20:26:40.000Z' })
    const { enableWithdrawals: _w, ...noWithdrawFlag } = safe
    expect(parseBinanceRestrictions(noWithdrawFlag, spot)).toBeNull()
    expect(parseBinanceRestrictions({ ...safe, enableFutures: 'yes' }, linear)).toBeNull()
  })

  it('OKX account/config: "withdraw" in perm, "trade" for trading, a non-empty ip list restricts', () => {
    const config = (perm: string, ip: string) => ({ code: '0', msg: '', data: [{ perm, ip, label: 'bot', uid: '1' }] })
    expect(parseOkxConfig(config('read_only,trade', '203.0.113.7'))).toEqual({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: null, notes: [] })
    expect(parseOkxConfig(config('read_only,withdraw,trade', '203.0.113.7'))?.withdrawEnabled).toBe(true)
    expect(parseOkxConfig(config('read_only', ''))).toMatchObject({ tradingEnabled: false, ipRestricted: false })
    expect(parseOkxConfig({ code: '0', data: [{ perm: 'read_only,trade' }] })).toBeNull() // no ip field
    expect(parseOkxConfig({ code: '0', data: [] })).toBeNull()
  })

  it('Bybit query-api: Wallet Withdraw / AccountTransfer / SubMemberTransfer, ips ["*"] = unrestricted, expiredAt, readOnly', () => {
    const result = (over: Record<string, unknown> = {}, wallet: string[] = []) => ({
      retCode: 0,
      result: { readOnly: 0, ips: ['203.0.113.7'], expiredAt: '', permissions: { Spot: ['SpotTrade'], ContractTrade: ['Order', 'Position'], Wallet: wallet, Derivatives: [] }, ...over },
    })
    expect(parseBybitQueryApi(result(), spot)).toEqual({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: null, notes: [] })
    expect(parseBybitQueryApi(result({}, ['Withdraw']), spot)?.withdrawEnabled).toBe(true)
    expect(parseBybitQueryApi(result({}, ['AccountTransfer']), spot)?.transferEnabled).toBe(true)
    expect(parseBybitQueryApi(result({}, ['SubMemberTransfer']), spot)?.transferEnabled).toBe(true)
    expect(parseBybitQueryApi(result({ readOnly: 1 }, ['Withdraw']), spot)).toMatchObject({ withdrawEnabled: true, tradingEnabled: false, notes: ['the key is read-only'] }) // fail closed
    expect(parseBybitQueryApi(result({ ips: ['*'], expiredAt: '2026-08-30T00:00:00Z' }), spot)).toMatchObject({ ipRestricted: false, expiresAt: '2026-08-30T00:00:00.000Z' })
    expect(parseBybitQueryApi(result({ permissions: { Spot: [], ContractTrade: ['Order'] } }), linear)?.tradingEnabled).toBe(true)
    expect(parseBybitQueryApi(result({ permissions: { Spot: [], ContractTrade: ['Order'] } }), spot)?.tradingEnabled).toBe(false)
    expect(parseBybitQueryApi(result({ ips: undefined }), spot)).toBeNull()
    expect(parseBybitQueryApi({ retCode: 0, result: {} }, spot)).toBeNull()
  })

  it('KuCoin, Bitget, Gate: withdraw and transfer rights in their own words', () => {
    expect(parseKucoinApiKey({ code: '200000', data: { permission: 'General,Spot', ipWhitelist: '203.0.113.7' } }, spot)).toMatchObject({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true })
    expect(parseKucoinApiKey({ data: { permission: 'General,Spot,Withdrawal', ipWhitelist: '' } }, spot)).toMatchObject({ withdrawEnabled: true, ipRestricted: false })
    expect(parseKucoinApiKey({ data: { permission: 'General,InnerTransfer' } }, spot)).toMatchObject({ transferEnabled: true, tradingEnabled: false })
    expect(parseKucoinApiKey({ data: { ipWhitelist: '' } }, spot)).toBeNull()

    const bitget = (authorities: string[], ips = '203.0.113.7') => ({ code: '00000', data: { userId: '1', authorities, ips } })
    expect(parseBitgetAccountInfo(bitget(['stor', 'stow', 'wtor']), spot)).toMatchObject({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true })
    expect(parseBitgetAccountInfo(bitget(['stow', 'wwow']), spot)?.withdrawEnabled).toBe(true)
    expect(parseBitgetAccountInfo(bitget(['coow', 'wtow'], ''), linear)).toMatchObject({ transferEnabled: true, tradingEnabled: true, ipRestricted: false })
    expect(parseBitgetAccountInfo({ data: { ips: '' } }, spot)).toBeNull()

    const gate = (wallet: boolean, ips: string[] = ['203.0.113.7']) => [{ key: 'K1', ip_whitelist: ips, perms: [{ name: 'spot', read_only: false }, { name: 'wallet', read_only: !wallet }] }]
    expect(parseGateMainKeys(gate(false), spot)).toMatchObject({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true })
    expect(parseGateMainKeys(gate(true, []), spot)).toMatchObject({ withdrawEnabled: true, transferEnabled: true, ipRestricted: false })
    expect(parseGateMainKeys([...gate(false), { key: 'K2', ip_whitelist: [], perms: [] }], { ...spot, apiKey: 'K3' })).toBeNull() // several keys, none ours
  })

  it('Bitfinex (no IP information), HTX (matched by access key, validDays), BloFin (TRANSFER, ips, expireTime)', () => {
    const rows = (withdrawWrite: 0 | 1, walletsWrite: 0 | 1) => [['account', 1, 0], ['orders', 1, 1], ['wallets', 1, walletsWrite], ['withdraw', 0, withdrawWrite]]
    expect(parseBitfinexPermissions(rows(0, 0))).toMatchObject({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: undefined })
    expect(parseBitfinexPermissions(rows(1, 0))?.withdrawEnabled).toBe(true)
    expect(parseBitfinexPermissions(rows(0, 1))?.transferEnabled).toBe(true)
    expect(parseBitfinexPermissions({ result: [] })).toBeNull()

    const htx = { code: 200, data: [{ accessKey: 'other', permission: 'readOnly,trade,withdraw', ipAddresses: '' }, { accessKey: 'K1', permission: 'readOnly,trade', ipAddresses: '203.0.113.7', validDays: 30 }] }
    expect(parseHtxApiKey(htx, spot)).toEqual({ withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: '2026-07-01T00:00:00.000Z', notes: [] })
    expect(parseHtxApiKey(htx, { ...spot, apiKey: 'other' })).toMatchObject({ withdrawEnabled: true, ipRestricted: false })
    expect(parseHtxApiKey(htx, { ...spot, apiKey: 'nobody' })).toBeNull()

    const blofin = (permissions: string, ips: string[]) => ({ code: '0', data: { readOnly: 0, permissions, ips, expireTime: '1788000000000' } })
    expect(parseBlofinApiKey(blofin('READ,TRADE', ['203.0.113.7']))).toMatchObject({ transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: '2026-08-29T10:40:00.000Z' })
    expect(parseBlofinApiKey(blofin('READ,TRADE,TRANSFER', []))).toMatchObject({ transferEnabled: true, ipRestricted: false })
    expect(parseBlofinApiKey({ code: '0', data: { permissions: 'READ' } })).toBeNull()
  })

  it('has a reader for every permission check the catalogue names except Kraken (field names unconfirmed: stays unverified)', () => {
    expect(Object.keys(permissionReaders).sort()).toEqual([
      'binance-api-restrictions', 'bitfinex-permissions', 'bitget-account-info', 'blofin-query-apikey', 'bybit-query-api', 'gate-main-keys', 'htx-user-api-key',
      'kucoin-user-api-key', 'okx-account-config',
    ])
  })
})

/**
 * verifyKeyAtExchange through the real executor (real ccxt, endpoint policy, presets) against the
 * emulator families. No request may reach a withdraw or transfer route: verification only reads.
 */
describe('verifyKeyAtExchange against the emulators', () => {
  const creds = (apiKey: string, secret: string, password?: string) => decodeCredentials(encodeCredentialFields({ apiKey, secret, ...(password ? { password } : {}) }))
  const key = () => ({ apiKey: randomApiKey(), secret: randomHmacSecret() })
  const k = { good: key(), withdraw: key(), transfer: key(), open: key() }
  const pass = randomPassphrase()
  let binance: BinanceEmulator
  let usdm: BinanceUsdmEmulator
  let okx: OkxEmulator
  let bybit: BybitEmulator
  const refusals: Refusal[] = []
  let executor: ReturnType<typeof createExecutor>

  beforeAll(async () => {
    const whitelist = { ipRestrict: true, ipWhitelist: ['127.0.0.1'] }
    binance = await startBinanceEmulator({ accounts: [{ ...k.good, ...whitelist }, { ...k.withdraw, ...whitelist, permissions: { enableWithdrawals: true } }, { ...k.transfer, ...whitelist, permissions: { permitsUniversalTransfer: true } }, { ...k.open }] })
    usdm = await startBinanceUsdmEmulator({ accounts: [{ ...k.good, ...whitelist }, { ...k.withdraw, ...whitelist, permissions: { enableInternalTransfer: true } }] })
    okx = await startOkxEmulator({ accounts: [{ ...k.good, passphrase: pass, ip: ['127.0.0.1'] }, { ...k.withdraw, passphrase: pass, ip: ['127.0.0.1'], perm: ['read_only', 'trade', 'withdraw'] }, { ...k.open, passphrase: pass }] })
    bybit = await startBybitEmulator({ accounts: [{ ...k.good, ips: ['127.0.0.1'] }, { ...k.withdraw, ips: ['127.0.0.1'], permissions: { Wallet: ['Withdraw'] } }, { ...k.transfer, ips: ['127.0.0.1'], permissions: { Wallet: ['AccountTransfer'] } }, { ...k.open }] })
    const endpoints = { binance: binance.url, binanceusdm: usdm.url, okx: okx.url, bybit: bybit.url, 'bybit-linear': bybit.url }
    executor = createExecutor({ endpoints, budget: createRateBudget(), onRefusal: (r) => refusals.push(r) })
  })
  afterAll(async () => {
    await Promise.all([binance, usdm, okx, bybit].map((e) => e?.close()))
  })

  let n = 0
  const verify = (venue: string, c: { apiKey: string; secret: string }, password?: string) => verifyKeyAtExchange(executor, `verify-${n++}`, venue, creds(c.apiKey, c.secret, password), now)
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e)
    if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`)
    return err
  }

  it('Binance spot: verified with the flags; withdraw and transfer keys refused with the boxes to untick; an unrestricted key is flagged', async () => {
    expect(await verify('binance', k.good)).toMatchObject({ status: 'verified', withdrawEnabled: false, transferEnabled: false, tradingEnabled: true, ipRestricted: true, expiresAt: null })
    const withdraw = await refusal(verify('binance', k.withdraw))
    expect(withdraw.code).toBe('KEY_HAS_WITHDRAW_PERMISSION')
    expect(withdraw.message).toMatch(/^this Binance key can withdraw funds: edit it at Binance .* untick "Enable Withdrawals"/)
    expect((await refusal(verify('binance', k.transfer))).message).toMatch(/can transfer funds: .*"Permits Universal Transfer"/)
    expect(await verify('binance', k.open)).toMatchObject({ status: 'verified', ipRestricted: false, note: expect.stringContaining('not restricted to IP addresses') })
    expect(binance.withdrawals).toEqual([])
  })

  it('Binance USDⓈ-M: reads apiRestrictions on the spot host path, trading means enableFutures, transfer keys refused', async () => {
    expect(await verify('binanceusdm', k.good)).toMatchObject({ status: 'verified', tradingEnabled: true, ipRestricted: true })
    expect(usdm.requests.filter((r) => r.isSigned).map((r) => r.path)).toEqual(['/sapi/v1/account/apiRestrictions'])
    expect((await refusal(verify('binanceusdm', k.withdraw))).message).toMatch(/^this Binance USDS-M Futures key can transfer funds: edit it at Binance/)
  })

  it('OKX: verified from account/config, withdraw refused, unbound IP flagged, wrong passphrase is EXCHANGE_AUTH', async () => {
    expect(await verify('okx', k.good, pass)).toMatchObject({ status: 'verified', withdrawEnabled: false, tradingEnabled: true, ipRestricted: true })
    const withdraw = await refusal(verify('okx', k.withdraw, pass))
    expect(withdraw).toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION', message: expect.stringMatching(/^this OKX key can withdraw funds: .*untick "Withdraw"/) })
    expect(await verify('okx', k.open, pass)).toMatchObject({ status: 'verified', ipRestricted: false })
    expect((await refusal(verify('okx', k.good, `${pass}-wrong`))).code).toBe('EXCHANGE_AUTH')
    expect(okx.requests.at(-1)?.errorCode).toBe('50105')
    expect(okx.withdrawals).toEqual([])
  })

  it('Bybit (spot and linear): verified from query-api, Withdraw and AccountTransfer refused, an unbound key is flagged with its expiry', async () => {
    expect(await verify('bybit', k.good)).toMatchObject({ status: 'verified', tradingEnabled: true, ipRestricted: true, expiresAt: null })
    expect(await verify('bybit-linear', k.good)).toMatchObject({ status: 'verified', tradingEnabled: true })
    expect((await refusal(verify('bybit', k.withdraw))).message).toMatch(/^this Bybit key can withdraw funds: .*untick "Withdrawal"/)
    expect((await refusal(verify('bybit', k.transfer))).message).toMatch(/^this Bybit key can transfer funds: /)
    const open = await verify('bybit', k.open)
    expect(open).toMatchObject({ status: 'verified', ipRestricted: false })
    expect(open.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect(open.note).toContain(`expires on ${String(open.expiresAt).slice(0, 10)}`)
    expect(bybit.withdrawals).toEqual([])
  })

  it('an expired key is refused, a venue without a permission endpoint is unverifiable, an unreachable one stays unverified', async () => {
    // Still valid by the emulator's clock, expired by the time the signer checks (e.g. a re-verification).
    const expiry = new Date(Date.now() + 10 * 86_400_000).toISOString()
    bybit.account(k.good.apiKey).expiredAt = expiry
    const later = new Date(Date.now() + 20 * 86_400_000)
    const expired = await refusal(verifyKeyAtExchange(executor, 'verify-later', 'bybit', creds(k.good.apiKey, k.good.secret), later))
    expect(expired).toMatchObject({ code: 'EXCHANGE_AUTH', message: `this Bybit key expired on ${expiry.slice(0, 10)}: create a new key at Bybit and connect it` })
    bybit.account(k.good.apiKey).expiredAt = null
    expect(await verify('exmo', k.good)).toMatchObject({ status: 'unverifiable', note: expect.stringMatching(/^cannot be verified on EXMO/) })
    expect(await verify('binanceus', k.good)).toMatchObject({ status: 'unverifiable', note: expect.stringMatching(/^cannot be verified on Binance\.US/) })
    const closed = await startOkxEmulator({ accounts: [] })
    await closed.close()
    const offline = createExecutor({ endpoints: { okx: closed.url }, budget: createRateBudget(), onRefusal: () => {} })
    expect(await verifyKeyAtExchange(offline, 'verify-offline', 'okx', creds(k.good.apiKey, k.good.secret, pass), now)).toMatchObject({ status: 'unreachable' })
    expect(refusals).toEqual([]) // every permission read was on the allowlist
  })
})
