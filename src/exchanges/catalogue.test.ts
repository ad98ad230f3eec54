import ccxt from 'ccxt'
import { describe, expect, it } from 'vitest'
import { catalogue, catalogueEntry, isValidClientOrderId } from './catalogue.js'
import { venueSpecSchema } from './venue-spec.js'
import { venueSpec } from './venues/registry.js'
import { requestWeight, venueRateLimit } from './rate-weights.js'

const ccxtClasses = ccxt as unknown as Record<string, (new (config?: object) => InstanceType<typeof ccxt.Exchange>) | undefined>

describe('the exchange catalogue', () => {
  it('lists the seventeen venues, keeping "binance" as stored keys name it', () => {
    expect(catalogue.map((e) => e.id)).toEqual(['binance', 'okx', 'bybit', 'kucoin', 'bitget', 'mexc', 'gate', 'kraken', 'binanceus', 'bitfinex', 'xt', 'exmo', 'htx', 'binanceusdm', 'bybit-linear', 'bitget-futures', 'blofin'])
    expect(catalogue.filter((e) => e.market === 'linear').map((e) => [e.id, e.ccxtId])).toEqual([
      ['binanceusdm', 'binanceusdm'],
      ['bybit-linear', 'bybit'],
      ['bitget-futures', 'bitget'],
      ['blofin', 'blofin'],
    ])
  })

  it('names ccxt classes that exist in the installed ccxt, and EXMO, which does not, as our own', () => {
    for (const e of catalogue) {
      if (e.implementation === 'ccxt') expect(typeof ccxtClasses[e.ccxtId], e.id).toBe('function')
    }
    expect(catalogueEntry('exmo')).toMatchObject({ ccxtId: null, implementation: 'bulwark', permissionCheck: 'none' })
    expect(ccxtClasses['exmo']).toBeUndefined()
  })

  it("asks for exactly the credentials ccxt requires (a passphrase for OKX, KuCoin, Bitget, BloFin)", () => {
    const withPassphrase = catalogue.filter((e) => e.credentials.includes('password')).map((e) => e.id)
    expect(withPassphrase).toEqual(['okx', 'kucoin', 'bitget', 'bitget-futures', 'blofin'])
    for (const e of catalogue) {
      if (e.implementation !== 'ccxt') continue
      const required = new ccxtClasses[e.ccxtId]!().requiredCredentials as Record<string, boolean>
      expect(e.credentials.slice().sort(), e.id).toEqual(Object.keys(required).filter((k) => required[k] === true).sort())
    }
  })

  it('is plain data the api can serve: no ccxt options or policy, survives JSON', () => {
    for (const e of catalogue) {
      expect(Object.keys(e)).not.toContain('policy')
      expect(Object.keys(e)).not.toContain('ccxt')
      expect(JSON.parse(JSON.stringify(e))).toEqual(e)
      expect(Object.isFrozen(e)).toBe(true)
    }
  })

  it('says "cannot be verified on <exchange>" where there is no permission endpoint', () => {
    const none = catalogue.filter((e) => e.verification.kind === 'none')
    expect(none.map((e) => e.id)).toEqual(['mexc', 'binanceus', 'xt', 'exmo'])
    for (const e of none) expect(e.verification.kind === 'none' && e.verification.reason).toMatch(new RegExp(`^cannot be verified on ${e.name.replace('.', '\\.')}`))
    for (const e of catalogue.filter((x) => x.verification.kind === 'endpoint')) expect(e.permissionCheck).not.toBe('none')
  })

  it('accepts Ed25519 keys where ccxt signs with them (Binance spot and USDⓈ-M)', () => {
    expect(catalogue.filter((e) => e.acceptsEd25519).map((e) => e.id)).toEqual(['binance', 'binanceusdm'])
  })

  it("agrees with ccxt on sandboxes: setSandboxMode is only the switch where ccxt has a real test URL map", () => {
    for (const e of catalogue) {
      if (e.implementation !== 'ccxt') continue
      const Ctor = ccxtClasses[e.ccxtId]!
      const test = (new Ctor().urls as Record<string, unknown>)['test']
      const hasRealTest = test !== undefined && test !== null && JSON.stringify(test).includes('https://')
      // Bitget overrides setSandboxMode with a flag (a header on the same host); everyone else swaps URL maps.
      const ownSwitch = Ctor.prototype.setSandboxMode !== ccxt.Exchange.prototype.setSandboxMode && !hasRealTest
      if (e.sandbox.switch === 'setSandboxMode') expect(hasRealTest, e.id).toBe(true)
      if (!hasRealTest && !ownSwitch) expect(e.sandbox.setSandboxModeSafe, e.id).toBe(false)
    }
    expect(catalogueEntry('binanceus')?.sandbox).toMatchObject({ kind: 'none', switch: null, setSandboxModeSafe: false })
    expect(catalogueEntry('binanceusdm')?.sandbox).toMatchObject({ kind: 'demo', switch: 'enableDemoTrading', setSandboxModeSafe: false })
  })

  it("adjusts for clock drift only where the venue signs a time and ccxt can read the venue's clock", () => {
    for (const e of catalogue) {
      if (!e.clock.signsTimestamps) expect(e.clock.adjustForTimeDifference, e.id).toBe(false)
      if (e.clock.adjustForTimeDifference && e.implementation === 'ccxt') expect(new ccxtClasses[e.ccxtId]!().has['fetchTime'], e.id).toBe(true)
    }
    expect(catalogue.filter((e) => e.clock.signsTimestamps && !e.clock.adjustForTimeDifference).map((e) => e.id)).toEqual(['blofin'])
  })

  it("takes its rate limits from ccxt's own model, one budget per ccxt class", () => {
    for (const e of catalogue) {
      if (e.implementation !== 'ccxt') continue
      expect(e.rateLimit.ccxtRateLimitMs, e.id).toBeCloseTo(new ccxtClasses[e.ccxtId]!().rateLimit as number, 6)
      expect(e.rateLimit.costPerMinute * e.rateLimit.ccxtRateLimitMs, e.id).toBeCloseTo(60_000, 3)
    }
    expect(venueRateLimit('bybit-linear')?.budgetKey).toBe(venueRateLimit('bybit')?.budgetKey)
    expect(venueRateLimit('exmo')?.budgetKey).toBe('exmo')
    expect(requestWeight('binance', 'GET', '/api/v3/account')).toBe(4) // 20 request weight ÷ 5
    expect(requestWeight('kucoin', 'GET', '/api/v1/hf/orders/5bd6e9286d99522a52e458de')).toBe(2)
    expect(requestWeight('binance', 'GET', '/api/v3/somethingElse')).toBe(1)
  })

  it('checks client order ids against each venue\'s format', () => {
    expect(isValidClientOrderId('okx', 'abc123')).toBe(true)
    expect(isValidClientOrderId('okx', 'abc-123')).toBe(false) // OKX: letters and digits only
    expect(isValidClientOrderId('gate', 'a'.repeat(28))).toBe(true)
    expect(isValidClientOrderId('gate', 'a'.repeat(29))).toBe(false) // 28 after ccxt's "t-"
    expect(isValidClientOrderId('bitfinex', '1234567')).toBe(true)
    expect(isValidClientOrderId('bitfinex', 'bw1')).toBe(false) // an integer cid
    expect(isValidClientOrderId('kraken', 'a'.repeat(19))).toBe(false)
    expect(isValidClientOrderId('binance', 'bw.1:2/3_4-5')).toBe(true)
    expect(isValidClientOrderId('nowhere', 'abc')).toBe(false)
    expect(catalogue.filter((e) => e.orderRecovery.mode === 'at-most-once')).toEqual([])
  })

  it('gives every venue a key guide that asks for the egress IPs', () => {
    for (const e of catalogue) expect(e.keyGuide.steps.join(' '), e.id).toMatch(/egress IP addresses shown on this page/)
  })

  it('names a dead-man switch only where it can be re-armed over REST: Binance USDⓈ-M per symbol, OKX per account', () => {
    expect(catalogue.filter((e) => e.deadManSwitch !== null).map((e) => [e.id, e.deadManSwitch?.scope, e.deadManSwitch?.ccxtMethod])).toEqual([
      ['okx', 'account', 'cancelAllOrdersAfter'],
      ['binanceusdm', 'symbol', 'fapiPrivatePostCountdownCancelAll'],
    ])
    // Bybit's is tied to a private websocket connection; its REST call only sets that window.
    expect(catalogueEntry('bybit-linear')?.deadManSwitch).toBeNull()
    for (const e of catalogue) {
      const d = e.deadManSwitch
      if (d !== null) expect(venueSpec(e.id)!.policy.allow.filter((r) => r.path === d.path).map((r) => [r.method, r.use]), e.id).toEqual([[d.method, 'trade']])
    }
  })

  it('refuses a malformed venue file at load', () => {
    const good = venueSpec('okx')!
    expect(venueSpecSchema.safeParse(good).success).toBe(true)
    const broken = [
      { ...good, catalogue: { ...good.catalogue, permissionCheck: 'none' } }, // says none, has an endpoint
      { ...good, catalogue: { ...good.catalogue, clientOrderId: { ...good.catalogue.clientOrderId, pattern: '[a-z]+' } } }, // unanchored
      { ...good, catalogue: { ...good.catalogue, sandbox: { ...good.catalogue.sandbox, setSandboxModeSafe: false } } }, // unsafe switch
      { ...good, catalogue: { ...good.catalogue, rateLimit: { ...good.catalogue.rateLimit, weights: { 'GET /api/v5/asset/currencies': 1 } } } }, // weight for an endpoint we do not allow
      { ...good, policy: { ...good.policy, allow: good.policy.allow.filter((r) => r.use !== 'verify') } }, // permission read not allowlisted
      { ...good, policy: { ...good.policy, allow: [...good.policy.allow, { method: 'GET', path: '/api/v5/x', use: 'lookup' }] } }, // lookup without a reason
      { ...good, catalogue: { ...good.catalogue, deadManSwitch: { ...good.catalogue.deadManSwitch!, path: '/api/v5/trade/cancel-all' } } }, // dead-man switch endpoint not allowlisted
      { ...good, catalogue: { ...good.catalogue, deadManSwitch: { ...good.catalogue.deadManSwitch!, minSeconds: 200 } } }, // min above max
    ]
    for (const b of broken) expect(venueSpecSchema.safeParse(b).success).toBe(false)
  })
})
