import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { writeHeapSnapshot } from 'node:v8'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { systemClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, decodeCredentials } from '../vault/index.js'
import { createExecutor } from './executor.js'
import { createRateBudget } from './rate-budget.js'

/**
 * SECURITY.md R12(b): 1,000 signed orders with a canary secret, then a heap snapshot of this process
 * (which ran the vault and the executor exactly as the signer does) holds the secret in no form.
 * The secret is never a JS string here: it is made as bytes, handed to the emulator (another process)
 * through a pipe, and to the vault as a length-prefixed buffer.
 */
const HEX = Buffer.from('0123456789abcdef')
/** Hex-encodes into a Buffer without creating a string. */
const hexBytes = (raw: Buffer) => {
  const out = Buffer.alloc(raw.length * 2)
  raw.forEach((b, i) => {
    out[i * 2] = HEX[b >> 4] ?? 0
    out[i * 2 + 1] = HEX[b & 15] ?? 0
  })
  return out
}
const field = (name: string, value: Buffer) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from([value.length >> 8, value.length & 255]), value])

describe('R12(b): no secret in the heap after 1,000 signatures', () => {
  const secret = hexBytes(randomBytes(32)) // the canary, as bytes only
  const apiKey = hexBytes(randomBytes(32))
  let database: TestDatabase
  let dir: string
  let emulatorProc: ReturnType<typeof spawn>
  let url = ''

  beforeAll(async () => {
    database = await openTestDatabase('pglite', 'vault')
    dir = mkdtempSync(join(tmpdir(), 'bulwark-heap-'))
    emulatorProc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'test', 'emulator', 'serve.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
    // `{"accounts":[{"apiKey":"…","secret":"…","balances":{"USDT":"1000000000"}}]}` assembled from bytes
    emulatorProc.stdin?.write(Buffer.concat([Buffer.from('{"accounts":[{"apiKey":"'), apiKey, Buffer.from('","secret":"'), secret, Buffer.from('","balances":{"USDT":"1000000000","BTC":"100"}}]}\n')]))
    url = await new Promise<string>((resolve) => emulatorProc.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString('utf8')) as { url: string }).url)))
  })
  afterAll(async () => {
    emulatorProc.stdin?.end()
    await database.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('finds the secret in no heap string (hex, base64 or raw)', async () => {
    const vault = createVault({
      db: database.db,
      stores: [createDatabaseShareStore('store-1', database.db), createDirectoryShareStore('store-2', join(dir, 's2')), createDirectoryShareStore('store-3', join(dir, 's3'))],
      keys: createKeyHierarchy(join(dir, 'master.key')),
      fingerprintKey: randomBytes(32),
      clock: systemClock,
      threshold: 2,
      onEvent: () => {},
    })
    const key = await vault.storeKey({
      workspaceId: newId(),
      exchangeAccountId: newId(),
      exchange: 'binance',
      credentials: decodeCredentials(Buffer.concat([field('apiKey', apiKey), field('secret', secret)])),
      state: 'active',
      verification: {},
      limits: {},
    })
    const executor = createExecutor({ endpoints: { binance: url }, budget: createRateBudget({ factor: 100 }), onRefusal: () => {} })
    let placed = 0
    for (let i = 0; i < 1_000; i++) {
      await vault.withSecret(key.keyId, key.workspaceId, (c) =>
        executor.run(key.keyId, 'binance', c, 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '40000', clientOrderId: `heap-${i}` }),
      )
      placed++
    }
    expect(placed).toBe(1_000)
    global.gc?.()
    const file = writeHeapSnapshot(join(dir, 'signer.heapsnapshot'))
    const heap = readFileSync(file)
    const forms = [secret, Buffer.from(Buffer.from(secret).toString('base64url').replace(/-/g, '+')), Buffer.from(secret.subarray(0, 24))]
    for (const form of forms) expect(heap.includes(form)).toBe(false)
    expect(heap.includes(Buffer.from('heap-999'))).toBe(true) // positive control: the snapshot has this run's strings
  }, 300_000)
})
