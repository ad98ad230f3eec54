import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../../test/emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { AppError } from '../lib/errors.js'
import { encodeCredentialFields } from '../crypto/sealing.js'
import { decodeCredentials } from '../vault/index.js'
import { createExecutor, type Refusal } from './executor.js'
import { createRateBudget } from './rate-budget.js'

const creds = (apiKey: string, secret: string) => decodeCredentials(encodeCredentialFields({ apiKey, secret }))

/** Every implicit ccxt method the team's reference lists as fund-moving or key-managing for Binance. */
const denyList = readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'endpoints', 'binance-fund-and-key-endpoints.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [category = '', method = '', http = '', , url = ''] = line.split('\t')
    return { category, method, http, path: new URL(url).pathname }
  })

describe('the signer executor against the Binance emulator (real ccxt)', () => {
  let emulator: BinanceEmulator
  const a = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const b = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const refusals: Refusal[] = []
  let executor: ReturnType<typeof createExecutor>

  beforeAll(async () => {
    emulator = await startBinanceEmulator({
      accounts: [
        { ...a, permissions: { enableWithdrawals: true, enableInternalTransfer: true, permitsUniversalTransfer: true }, balances: { USDT: '100000', BTC: '10' } },
        { ...b, balances: { USDT: '100000', BTC: '10' } },
      ],
    })
    executor = createExecutor({ endpoints: { binance: emulator.url }, budget: createRateBudget(), onRefusal: (r) => refusals.push(r) })
  })
  afterAll(async () => {
    await emulator.close()
  })

  // The reference's regex puts the key's own permission read in its "apikey" group; it is the read-only
  // call verification needs (SECURITY.md R16), so it is the one listed endpoint the signer sends.
  const verificationRead = 'GET /sapi/v1/account/apiRestrictions'

  it(`refuses every deny-listed Binance endpoint (${denyList.length} in the reference) before the emulator sees a request, even for a key allowed to withdraw`, async () => {
    await executor.publicClient('binance') // markets loaded first, so only the calls under test remain
    emulator.clearRequests()
    const outcomes = new Map<string, string>()
    for (const e of denyList) {
      const err = await executor
        .runRaw('key-a', 'binance', creds(a.apiKey, a.secret), async (ex) => {
          const fn = (ex as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>)[e.method]
          if (typeof fn !== 'function') throw new Error(`ccxt has no method ${e.method}`)
          return fn.call(ex, { coin: 'BTC', amount: '1', address: 'x', network: 'BTC', asset: 'BTC', type: 'MAIN_UMFUTURE', email: 'a@b.c', subAccountApiKey: 'k' })
        })
        .then(
          () => 'sent',
          (x: unknown) => (x instanceof AppError && x.code === 'FORBIDDEN' ? 'refused' : `other: ${(x as Error).message.slice(0, 80)}`),
        )
      outcomes.set(`${e.http} ${e.path}`, err)
    }
    expect(emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([verificationRead]) // nothing else left the signer
    expect(emulator.withdrawals).toEqual([])
    const notRefused = [...outcomes].filter(([k, v]) => v !== 'refused' && k !== verificationRead)
    expect(notRefused).toEqual([])
    expect(refusals.filter((r) => r.reason === 'deny_listed').length).toBeGreaterThan(50)
  })

  it('never signs with the wrong key when orders on two keys run concurrently', async () => {
    emulator.clearRequests()
    const orders = Array.from({ length: 40 }, (_, i) => {
      const k = i % 2 === 0 ? a : b
      return executor.run(i % 2 === 0 ? 'key-a' : 'key-b', 'binance', creds(k.apiKey, k.secret), 'createOrder', { symbol: 'BTC/USDT', type: 'market', side: 'buy', amount: '0.001', clientOrderId: `c${i}` })
    })
    const results = (await Promise.all(orders)) as Array<{ clientOrderId: string | null; status: string }>
    expect(results.map((r) => r.clientOrderId)).toEqual(Array.from({ length: 40 }, (_, i) => `c${i}`))
    const signed = emulator.requests.filter((r) => r.isSigned)
    expect(signed).toHaveLength(40)
    expect(signed.every((r) => r.isSignatureValid === true)).toBe(true)
    // Each client order id arrived with the API key of the key that placed it.
    for (const r of signed) expect(r.apiKey).toBe(Number(r.params.newClientOrderId?.slice(1)) % 2 === 0 ? a.apiKey : b.apiKey)
  })

  it('leaves no credential on the ccxt instance after a call, even one that fails', async () => {
    const seen: Array<{ apiKey: string; secret: string }> = []
    await executor.runRaw('key-b', 'binance', creds(b.apiKey, b.secret), async (ex) => {
      seen.push({ apiKey: ex.apiKey, secret: ex.secret })
      return ex
    })
    expect(seen[0]?.apiKey).toBe(b.apiKey)
    // ccxt never holds the real secret: a random placeholder that our hmac recognises
    expect(seen[0]?.secret).not.toBe(b.secret)
    expect(seen[0]?.secret).toMatch(/^[A-Za-z0-9+/]{32}$/)
    const ex = await executor.runRaw('key-b', 'binance', creds(b.apiKey, b.secret), async (e) => e)
    expect(ex.apiKey).toBe('')
    expect(ex.secret).toBe('')
    await expect(executor.run('key-b', 'binance', creds(b.apiKey, 'wrong-secret'), 'fetchBalance', {})).rejects.toMatchObject({ code: 'EXCHANGE_AUTH' })
    expect(ex.apiKey).toBe('')
  })

  it("measures the venue's clock against ours (doctor reports it), and says so when the venue is unreachable", async () => {
    emulator.setClockOffset(3_000)
    const skew = await executor.clockSkew('binance')
    expect(skew.note).toBe('ok')
    expect(skew.skewMs).toBeGreaterThan(2_000)
    expect(skew.skewMs).toBeLessThan(4_000)
    emulator.setClockOffset(0)
    const offline = createExecutor({ endpoints: { binance: 'http://127.0.0.1:9' }, budget: createRateBudget(), onRefusal: () => {} })
    expect(await offline.clockSkew('binance')).toMatchObject({ skewMs: null, note: expect.stringMatching(/^unreachable/) })
  })

  it('validates venue arguments before anything is signed', async () => {
    emulator.clearRequests()
    await expect(executor.run('key-b', 'binance', creds(b.apiKey, b.secret), 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(executor.run('key-b', 'binance', creds(b.apiKey, b.secret), 'createOrder', { symbol: 'BTC/USDT', type: 'market', side: 'buy', amount: '1e3' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect(emulator.requests.filter((r) => r.isSigned)).toEqual([])
  })
})
