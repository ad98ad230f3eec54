import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'

/**
 * The signer killed (SIGKILL, via a fault point) in the middle of storing a key: after the supervisor
 * restarts it, no usable partial key and no orphan share remain.
 */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-crash-'))
const running: Running[] = []
const emulators: BinanceEmulator[] = []
afterAll(async () => {
  for (const r of running) {
    if (r.child.exitCode !== null) continue
    r.child.kill('SIGTERM')
    await r.exited
  }
  for (const e of emulators) await e.close()
  rmSync(dir, { recursive: true, force: true })
})

const files = (d: string) => (existsSync(d) ? readdirSync(d) : [])

describe.each(['vault.store.after-share-1', 'vault.store.after-share-3'])('a crash at %s', (point) => {
  it('leaves no partial key and no orphan shares after the signer restarts', async () => {
    const account = { apiKey: randomApiKey(), secret: randomHmacSecret(), balances: { USDT: '100' } }
    const local = await startBinanceEmulator({ accounts: [account] })
    emulators.push(local)
    const home = join(dir, point)
    const port = await freePort()
    const env = { BULWARK_HOME: home, PORT: String(port), BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: local.url }), BULWARK_FAULT_POINTS: `${point}:kill` }
    const platform = spawnBulwark(['start'], env)
    running.push(platform)
    await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')).code).toBe(0)

    const add = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${account.apiKey}\n${account.secret}\n`)
    expect(add.code).toBe(1) // the signer died mid-write; the CLI says so in one line
    expect(add.stderr).toMatch(/signer/)

    // The supervisor restarts the signer, whose start sweeps what the crash left.
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (r.status === 200) break
      await new Promise((res) => setTimeout(res, 100))
    }
    const list = await runBulwark(['keys', 'list'], env)
    expect(list.stdout).toBe('no keys connected\n')
    expect(files(join(home, 'vault', 'shares-2'))).toEqual([])
    expect(files(join(home, 'vault', 'shares-3'))).toEqual([])
  })
})
