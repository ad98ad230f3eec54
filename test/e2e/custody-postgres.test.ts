import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { backends, createPostgresDatabase } from '../support/databases.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-pgvault-'))
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
  rmSync(dir, { recursive: true, force: true })
})

describe.runIf(backends.includes('postgres'))('the signer on PostgreSQL share stores', () => {
  it('stores share 1 and 2 in two PostgreSQL databases (VAULT_DATABASE_URL, VAULT2_DATABASE_URL) and trades', async () => {
    const api = await createPostgresDatabase({ fromTemplate: false })
    const vault1 = await createPostgresDatabase({ fromTemplate: false })
    const vault2 = await createPostgresDatabase({ fromTemplate: false })
    cleanups.push(api.drop, vault1.drop, vault2.drop)
    const account = { apiKey: randomApiKey(), secret: randomHmacSecret(), balances: { USDT: '4321' } }
    const emulator = await startBinanceEmulator({ accounts: [account] })
    cleanups.push(() => emulator.close())
    const home = join(dir, 'home')
    const port = await freePort()
    const env = {
      BULWARK_HOME: home,
      PORT: String(port),
      DATABASE_URL: api.url,
      VAULT_DATABASE_URL: vault1.url,
      VAULT2_DATABASE_URL: vault2.url,
      BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }),
    }
    const platform: Running = spawnBulwark(['start'], env)
    cleanups.push(async () => {
      if (platform.child.exitCode === null) {
        platform.child.kill('SIGTERM')
        await platform.exited
      }
    })
    await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')).code).toBe(0)
    const added = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${account.apiKey}\n${account.secret}\n`)
    expect(added.stderr).toBe('')
    const keyId = added.stdout.split(/\s+/)[0] ?? ''
    expect(JSON.parse((await runBulwark(['keys', 'balance', keyId], env)).stdout)).toMatchObject({ USDT: { total: '4321' } })
    // Embedded directories are not used for stores 1 and 2; only store 3 is a directory.
    expect(existsSync(join(home, 'vault', 'db'))).toBe(false)
    expect(existsSync(join(home, 'vault', 'shares-2'))).toBe(false)
    expect(readdirSync(join(home, 'vault', 'shares-3'))).toHaveLength(1)
  })
})
