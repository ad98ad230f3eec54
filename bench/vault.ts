import { spawn } from 'node:child_process'
import { spawnSigner } from '../src/cli/supervisor.js'
import { homePaths } from '../src/config/index.js'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, randomUUID } from 'node:crypto'
import ccxt from 'ccxt'
import { randomApiKey, randomHmacSecret } from '../test/emulator/emulator-fixtures.js'
import { pointAt } from '../test/emulator/point-ccxt.js'
import { encodeCredentialFields, sealTo } from '../src/crypto/sealing.js'
import { createSignerClient, type KeyView } from '../src/signer/index.js'

/**
 * `npm run bench -- vault`: createOrder to the Binance emulator, 8 keys, one client per key
 * (concurrency 8), (a) through the signer process (permission model, real vault, real ccxt) and (b) with
 * ccxt holding the key in memory in this process, in the same run. The signer reports its own stage
 * timings with every response; its overhead per order = client-measured total − exchange round trip.
 */
const repo = join(import.meta.dirname, '..')
const KEYS = 8
const ORDERS = Number(process.env.BENCH_ORDERS ?? 5_000)
const WARMUP = 400

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0
}
const ms = (x: number) => Number(x.toFixed(3))

export const run = async () => {
  const accounts = Array.from({ length: KEYS }, () => ({ apiKey: randomApiKey(), secret: randomHmacSecret(), balances: { USDT: '1000000000', BTC: '1000' } }))
  // The emulator runs in a process of its own, so it does not compete with the clients' event loop.
  const emulatorProc = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test', 'emulator', 'serve.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  emulatorProc.stdin?.write(`${JSON.stringify({ accounts, prices: { BTCUSDT: '50000' } })}\n`)
  const emulator = { url: await new Promise<string>((resolve) => emulatorProc.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString('utf8')) as { url: string }).url))) }
  const home = mkdtempSync(join(tmpdir(), 'bulwark-bench-vault-'))
  for (const d of ['vault', 'run']) mkdirSync(join(home, d), { mode: 0o700 })
  // The signer exactly as `bulwark start` runs it (prlimit, permission model, its own grants).
  const signer = spawnSigner(home, { LOG_LEVEL: 'warn', BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }), SIGNER_RATE_BUDGET_FACTOR: '100' }, ['ignore', 'inherit', 'inherit'])
  const paths = homePaths(home)
  const socket = paths.signerSocket
  const client = createSignerClient({ socketPath: socket, timeoutMs: 30_000 })
  for (let i = 0; i < 600 && !(existsSync(socket) && (await client.ping().then(() => true, () => false))); i++) await new Promise((r) => setTimeout(r, 100))

  try {
    const { publicKey } = (await client.call('publicKey', null, {})).result as { publicKey: string }
    const operator = createSignerClient({ socketPath: paths.signerOperatorSocket, auth: readFileSync(paths.operatorToken, 'utf8').trim() })
    const workspaceId = randomUUID()
    const connectMs: number[] = []
    const keys: KeyView[] = []
    for (const a of accounts) {
      const t0 = performance.now()
      const envelope = await sealTo(publicKey, encodeCredentialFields({ apiKey: a.apiKey, secret: a.secret }), {
        workspaceId,
        exchange: 'binance',
        nonce: randomBytes(18).toString('base64url'),
        expiresAt: new Date(Date.now() + 120_000).toISOString(),
        purpose: 'exchange-credentials',
      })
      const key = (await client.call('connect', workspaceId, { exchange: 'binance', exchangeAccountId: randomUUID(), envelope })).result as KeyView
      connectMs.push(performance.now() - t0)
      await operator.call('setLimits', workspaceId, { keyId: key.keyId, limits: { symbols: ['BTC/USDT'], maxOrderNotional: '1000000', max24hNotional: '1000000000', maxOrdersPerMinute: 1_200, priceBandPct: '50' } })
      keys.push(key)
    }
    operator.close()

    const args = (i: number) => ({ symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000', clientOrderId: `b${i}-${randomBytes(4).toString('hex')}` })
    type Sample = { totalMs: number; t: Record<string, number> }
    const viaSigner = async (count: number) => {
      const samples: Sample[] = []
      let next = 0
      await Promise.all(
        keys.map(async (k) => {
          while (next < count) {
            const i = next++
            const t0 = performance.now()
            const { timings } = await client.call('execute', workspaceId, { keyId: k.keyId, method: 'createOrder', args: args(i) })
            samples.push({ totalMs: performance.now() - t0, t: timings ?? {} })
          }
        }),
      )
      return samples
    }
    await viaSigner(WARMUP)
    const wallStart = performance.now()
    const samples = await viaSigner(ORDERS)
    const signerWallS = (performance.now() - wallStart) / 1000

    const direct = await Promise.all(accounts.map(async (a) => {
      const ex = new ccxt.binance({ apiKey: a.apiKey, secret: a.secret, enableRateLimit: false, options: { fetchCurrencies: false, fetchMargins: false, fetchMarkets: { types: ['spot'] } } })
      pointAt(ex, emulator.url)
      await ex.loadMarkets()
      return ex
    }))
    const viaDirect = async (count: number) => {
      const lat: number[] = []
      let next = 0
      await Promise.all(direct.map(async (ex) => {
        while (next < count) {
          const i = next++
          const t0 = performance.now()
          await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 49000, { clientOrderId: `d${i}-${randomBytes(4).toString('hex')}` })
          lat.push(performance.now() - t0)
        }
      }))
      return lat
    }
    await viaDirect(WARMUP)
    const directStart = performance.now()
    const directLat = await viaDirect(ORDERS)
    const directWallS = (performance.now() - directStart) / 1000

    const overhead = samples.map((s) => s.totalMs - (s.t.exchangeMs ?? 0))
    const inside = samples.map((s) => (s.t.handlerMs ?? 0) - (s.t.exchangeMs ?? 0))
    const stage = (name: string) => samples.map((s) => s.t[name] ?? 0)
    const report = (label: string, xs: number[]) => console.log(`  ${label.padEnd(34)} p50 ${ms(pct(xs, 50))} ms  p99 ${ms(pct(xs, 99))} ms`)
    console.log(`vault benchmark: ${ORDERS} createOrder, ${KEYS} keys, concurrency ${KEYS}, emulator on loopback in its own process`)
    console.log(`through the signer: ${(ORDERS / signerWallS).toFixed(0)} orders/s; direct ccxt: ${(ORDERS / directWallS).toFixed(0)} orders/s`)
    report('signer end to end (client)', samples.map((s) => s.totalMs))
    report('direct ccxt end to end', directLat)
    report('signer overhead (total − exchange)', overhead)
    report('  of which inside the signer', inside)
    report('  queue (per-key serialization)', stage('queueMs'))
    report('  share reads (3 stores, parallel)', stage('readMs'))
    report('  decrypt + combine', stage('combineMs'))
    report('  policy + budget', stage('policyMs'))
    report('  audit log (O_SYNC, group commit)', stage('auditMs'))
    report('  usage record (limits, durable)', stage('usageMs'))
    report('plaintext lifetime (assemble → wipe)', stage('plaintextMs'))
    report('connect (seal, verify, store)', connectMs)
    console.log(
      JSON.stringify({
        name: 'vault',
        orders: ORDERS,
        overheadP50Ms: ms(pct(overhead, 50)),
        overheadP99Ms: ms(pct(overhead, 99)),
        insideP50Ms: ms(pct(inside, 50)),
        queueP50Ms: ms(pct(stage('queueMs'), 50)),
        computeP50Us: Number((pct(stage('combineMs'), 50) * 1000).toFixed(1)),
        readP50Ms: ms(pct(stage('readMs'), 50)),
        auditP50Ms: ms(pct(stage('auditMs'), 50)),
        usageP50Ms: ms(pct(stage('usageMs'), 50)),
        plaintextP99Ms: ms(pct(stage('plaintextMs'), 99)),
        signerOrdersPerSec: Math.round(ORDERS / signerWallS),
        directOrdersPerSec: Math.round(ORDERS / directWallS),
        signerP50Ms: ms(pct(samples.map((s) => s.totalMs), 50)),
        signerP99Ms: ms(pct(samples.map((s) => s.totalMs), 99)),
        directP50Ms: ms(pct(directLat, 50)),
        directP99Ms: ms(pct(directLat, 99)),
        connectP50Ms: ms(pct(connectMs, 50)),
      }),
    )
  } finally {
    client.close()
    signer.kill('SIGTERM')
    await new Promise((r) => signer.once('exit', r))
    emulatorProc.stdin?.end()
    rmSync(home, { recursive: true, force: true })
  }
}
