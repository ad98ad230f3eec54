import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startSignerHarness, type SignerHarness } from '../support/signer-harness.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import type { RequestLogEntry } from '../emulator/binance-emulator.js'
import { openDatabase, schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/logger.js'
import { startRpcServer } from '../../src/signer/rpc-server.js'
import { signerOps } from '../../src/signer/signer-types.js'
import { createOrderJournal } from '../../src/trading/journal/index.js'
import { apiSide, connectBinanceKey, seedWorkspace } from './journal-fixtures.js'

/**
 * Crash safety of the order journal against the Binance emulator through the real signer: an api
 * process (crash-child.ts, its own OS process on a file-backed embedded database) is killed with SIGKILL
 * at each fault point between writing the intent and recording the acknowledgement. After the restart,
 * reconciliation leaves exactly one order at the exchange for the intent, and the intent records it.
 */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-trading-crash-'))
const clock = createManualClock(Date.now())
const points = [
  // point, the state the crash leaves, what reconciliation does about it
  ['trading.after-intent', 'intent', { resolved: 0, resent: 1, unresolved: 0 }],
  ['trading.after-sent', 'sent', { resolved: 0, resent: 1, unresolved: 0 }],
  ['trading.after-create', 'sent', { resolved: 1, resent: 0, unresolved: 0 }],
] as const
const keys = Object.fromEntries(points.map(([p]) => [p, { apiKey: randomApiKey(), secret: randomHmacSecret() }]))

let harness: SignerHarness
let relay: { close: () => Promise<void> }
const socketPath = join(dir, 'signer.sock')

beforeAll(async () => {
  harness = await startSignerHarness('pglite', {
    clock,
    emulator: { accounts: Object.values(keys).map((k) => ({ ...k, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000' } })), prices: { BTCUSDT: '50000' } },
  })
  // The signer's api socket as the child reaches it: the harness's real signer service behind it.
  relay = await startRpcServer(
    socketPath,
    {
      execute: ({ workspaceId, requestId, params, events }) => harness.service.execute({ workspaceId: workspaceId ?? '', requestId, events }, signerOps.execute.parse(params)),
    },
    createLogger({ level: 'silent' }),
  )
}, 120_000)
afterAll(async () => {
  await relay.close()
  await harness.close()
  rmSync(dir, { recursive: true, force: true })
})

const runChild = (env: Record<string, string>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

describe.each(points)('a crash at %s', (point, left, summary) => {
  it('leaves exactly one order at the exchange for the intent after restart and reconciliation', async () => {
    const key = keys[point] ?? { apiKey: '', secret: '' }
    const dataDir = join(dir, point)
    const lockPath = join(dir, `${point}.lock`)
    // The platform before the crash: a migrated embedded database with a connected key.
    const seeded = await openDatabase({ kind: 'pglite', dataDir, lockPath, loadDataDir: new Blob([readFileSync(inject('pgliteDumpPath'))]) })
    const who = await seedWorkspace(seeded.db, clock)
    const account = await connectBinanceKey(apiSide(seeded.db, clock, harness.client), harness.seal, who, key)
    await seeded.close()

    const crashed = await runChild({
      BULWARK_FAULT_POINTS: `${point}:kill`,
      CRASH_DATA_DIR: dataDir,
      CRASH_LOCK_PATH: lockPath,
      CRASH_SIGNER_SOCKET: socketPath,
      CRASH_WORKSPACE_ID: who.workspaceId,
      CRASH_ACCOUNT_ID: account.id,
      CRASH_INTENT_KEY: 'crash.entry',
    })
    expect({ signal: crashed.signal, stdout: crashed.stdout, stderr: crashed.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ signal: 'SIGKILL', stdout: '', stderr: [] })

    // The restart: the same database, after the venue's receive window.
    const database = await openDatabase({ kind: 'pglite', dataDir, lockPath })
    try {
      const [intent] = await database.db.select().from(schema.orderIntents)
      expect(intent?.state).toBe(left)
      const cid = intent?.clientOrderId ?? ''
      const sentBefore = harness.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && (r as RequestLogEntry).params.newClientOrderId === cid).length
      expect(sentBefore).toBe(point === 'trading.after-create' ? 1 : 0)

      clock.set(Date.now() + 31_000)
      const side = apiSide(database.db, clock, harness.client)
      const journal = createOrderJournal({ db: database.db, clock, venues: side.venues, alerts: side.alerts })
      expect(await journal.resolveUnknown()).toEqual(summary)
      expect(await journal.get(intent?.id ?? '')).toMatchObject({ state: 'filled', filled: '0.001', exchangeOrderId: expect.any(String) })
      // None lost, none doubled: one order with the intent's client order id, sent once.
      expect(harness.emulator.account(key.apiKey).orders.filter((o) => o.clientOrderId === cid)).toHaveLength(1)
      expect(harness.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && (r as RequestLogEntry).params.newClientOrderId === cid)).toHaveLength(1)
      // A second pass has nothing left to do.
      expect(await journal.resolveUnknown()).toEqual({ resolved: 0, resent: 0, unresolved: 0 })
    } finally {
      await database.close()
    }
  }, 90_000)
})
