import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { directCtx, startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import { systemClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { armFaultPoints, parseFaultPoints } from '../lib/fault.js'
import type { KeyView } from './signer-types.js'

describe('signer operations (real vault on PGlite, real ccxt, emulator)', () => {
  let signer: SignerHarness
  let service: SignerHarness['service']
  let emulator: SignerHarness['emulator']
  const responses: string[] = []
  const good = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const risky = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const ws = newId()

  beforeAll(async () => {
    signer = await startSignerHarness('pglite', {
      clock: systemClock,
      emulator: {
        accounts: [
          { ...good, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '100000', BTC: '10' } },
          { ...risky, permissions: { permitsUniversalTransfer: true }, balances: { USDT: '10' } },
        ],
        prices: { BTCUSDT: '50000', ETHUSDT: '3000' },
      },
    })
    ;({ service, emulator } = signer)
  })
  afterAll(async () => {
    await signer.close()
  })

  const ctx = (workspaceId = ws) => directCtx(workspaceId)
  const seal = (k: { apiKey: string; secret: string }, { workspaceId = ws, ...over }: { workspaceId?: string; expiresAt?: string; nonce?: string } = {}) => signer.seal(workspaceId, k, 'binance', over)
  const keep = <T>(v: T) => (responses.push(JSON.stringify(v)), v)

  let key: KeyView

  it('connects a sealed key: verified at the exchange, active, with conservative default limits', async () => {
    key = keep(await service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: await seal(good) }))
    expect(key).toMatchObject({ state: 'active', verification: { status: 'verified', withdrawEnabled: false, ipRestricted: true, tradingEnabled: true }, limits: { symbols: ['BTC/USDT', 'ETH/USDT'], maxOrderNotional: '100' } })
  })

  it('refuses envelopes for another workspace, expired, replayed or tampered', async () => {
    await expect(service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: await seal(good, { workspaceId: newId() }) })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: await seal(good, { expiresAt: new Date(Date.now() - 1000).toISOString() }) })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    const once = await seal(risky, { nonce: 'fixed-nonce-0000000001' })
    await service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: once }).catch(() => undefined)
    await expect(service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: once })).rejects.toMatchObject({ code: 'CONFLICT' })
    const tampered = await seal(good)
    await expect(service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: { ...tampered, ct: `${tampered.ct.slice(0, -4)}AAAA` } })).rejects.toMatchObject({ code: 'BAD_INPUT' })
  })

  it('R16: refuses a transfer-capable key and stores nothing', async () => {
    await expect(service.connect(ctx(), { exchange: 'binance', exchangeAccountId: newId(), envelope: await seal(risky) })).rejects.toMatchObject({ code: 'KEY_HAS_WITHDRAW_PERMISSION' })
    expect((await service.listKeys(ctx())).map((k) => k.keyId)).toEqual([key.keyId])
  })

  it('enforces the per-key limits before signing: symbol, notional, price band, rate', async () => {
    emulator.clearRequests()
    const order = (args: Record<string, unknown>) => service.execute(ctx(), { keyId: key.keyId, method: 'createOrder', args: { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '50000', ...args } })
    await expect(order({ symbol: 'DOGE/USDT' })).rejects.toThrow(/not on this key's symbol list/)
    await expect(order({ amount: '0.01' })).rejects.toThrow(/notional 500 is over 100 per order/) // 0.01 BTC × 50,000 = 500 USDT
    await expect(order({ price: '60000' })).rejects.toThrow(/is 20% from the reference 50000/) // |60,000 − 50,000| / 50,000 = 20 % > 5 %
    await expect(order({ amount: '-1000000' })).rejects.toMatchObject({ code: 'BAD_INPUT' }) // a negative size could offset the 24 h cap
    await expect(order({ amount: '0' })).rejects.toThrow(/has no size/)
    expect(emulator.requests.filter((r) => r.isSigned)).toEqual([]) // refused before signing
    const placed = keep(await order({ clientOrderId: 'ok-1', price: '49900' }))
    expect(placed).toMatchObject({ clientOrderId: 'ok-1', status: 'open', amount: '0.001', price: '49900' }) // rests below the market
  })

  it('R39: when its audit log cannot be written, the signer does not act', async () => {
    emulator.clearRequests()
    armFaultPoints(parseFaultPoints('signer.audit.write').points)
    await expect(service.execute(ctx(), { keyId: key.keyId, method: 'createOrder', args: { symbol: 'BTC/USDT', type: 'market', side: 'buy', amount: '0.0001' } })).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    armFaultPoints(new Map())
    expect(emulator.requests.filter((r) => r.path === '/api/v3/order')).toEqual([])
  })

  it('narrows limits from the api, but widening needs the operator', async () => {
    const narrower = { ...key.limits, maxOrderNotional: '50' }
    expect((await service.setLimits(ctx(), { keyId: key.keyId, limits: narrower }, false)).limits.maxOrderNotional).toBe('50')
    await expect(service.setLimits(ctx(), { keyId: key.keyId, limits: { ...narrower, symbols: [...narrower.symbols, 'DOGE/USDT'] } }, false)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect((await service.setLimits(ctx(), { keyId: key.keyId, limits: { ...narrower, maxOrderNotional: '1000' } }, true)).limits.maxOrderNotional).toBe('1000')
  })

  it('a disabled key cannot trade; another workspace cannot see the key at all', async () => {
    await service.disable(ctx(), { keyId: key.keyId, reason: 'test' })
    await expect(service.execute(ctx(), { keyId: key.keyId, method: 'fetchBalance', args: {} })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    await service.enable(ctx(), { keyId: key.keyId })
    await expect(service.execute(ctx(newId()), { keyId: key.keyId, method: 'fetchBalance', args: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('refuses orders beyond the per-minute rate', async () => {
    await service.setLimits(ctx(), { keyId: key.keyId, limits: { ...key.limits, maxOrderNotional: '100', maxOrdersPerMinute: 2 } }, true)
    const order = () => service.execute(ctx(), { keyId: key.keyId, method: 'createOrder', args: { symbol: 'ETH/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '2990' } })
    await order() // the second order this minute (the first was placed above)
    await expect(order()).rejects.toThrow(/more than 2 orders in a minute/)
  })

  it('R11(a): no response and no audit record carries the secret in any form', () => {
    const forms = [good.secret, Buffer.from(good.secret).toString('base64'), Buffer.from(good.secret).toString('hex')]
    const audit = readFileSync(signer.auditLogPath, 'utf8')
    for (const text of [...responses, audit]) for (const f of forms) expect(text.includes(f)).toBe(false)
    expect(audit).toContain('key_connected')
  })
})
