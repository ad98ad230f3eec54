import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, repoRoot, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'

/**
 * Separated mode (DESIGN.md): started as root, the signer and the api run as two OS users and only the
 * signer's user can read the vault. Runs where the tests run as root (CI does).
 */
const isRoot = process.getuid?.() === 0
const parent = mkdtempSync(join(tmpdir(), 'bulwark-sep-'))
chmodSync(parent, 0o711) // the service users must be able to pass through to BULWARK_HOME
const home = join(parent, 'home')
let platform: Running | undefined
let emulator: BinanceEmulator | undefined
afterAll(async () => {
  if (platform?.child.exitCode === null) {
    platform.child.kill('SIGTERM')
    await platform.exited
  }
  await emulator?.close()
  rmSync(parent, { recursive: true, force: true })
})

const uidOf = (script: string) => {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes(script) && !cmd.startsWith('prlimit') && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BULWARK_HOME=${home}`)) {
        return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
      }
    } catch {
      // gone meanwhile
    }
  }
  return -1
}
const asUser = (user: string, args: string[]) => {
  try {
    return execFileSync('runuser', ['-u', user, '--', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    return `DENIED: ${String((err as { stderr?: string }).stderr ?? '').trim()}`
  }
}

describe.runIf(isRoot)('separated mode (started as root)', () => {
  it('runs the signer and the api as their own users; the api user cannot read the vault; keys still work', async (ctx) => {
    const account = { apiKey: randomApiKey(), secret: randomHmacSecret(), balances: { USDT: '777' } }
    emulator = await startBinanceEmulator({ accounts: [account] })
    const port = await freePort()
    const env = { BULWARK_HOME: home, PORT: String(port), BULWARK_SEPARATE_USERS: 'on', BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }) }
    platform = spawnBulwark(['start'], env)
    try {
      await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
    } catch (err) {
      // A checkout other users cannot read (e.g. under a 0700 home) cannot run separated: say so, do not fail.
      if (platform.stderr().includes('cannot read')) {
        console.warn(`[separation] SKIPPED: ${platform.stderr().trim()} (checkout at ${repoRoot})`)
        ctx.skip()
      }
      throw err
    }
    const signerUid = uidOf('dist/signer/main.js')
    const apiUid = uidOf('dist/main.js')
    expect(signerUid).toBeGreaterThan(0)
    expect(apiUid).toBeGreaterThan(0)
    expect(signerUid).not.toBe(apiUid)

    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')).code).toBe(0)
    const added = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${account.apiKey}\n${account.secret}\n`)
    expect(added.stderr).toBe('')
    const keyId = added.stdout.split(/\s+/)[0] ?? ''
    expect(JSON.parse((await runBulwark(['keys', 'balance', keyId], env)).stdout)).toMatchObject({ USDT: { total: '777' } })

    // The OS boundary itself, tried as the api's user.
    expect(asUser('bulwark-api', ['cat', join(home, 'vault', 'master.key')])).toMatch(/^DENIED: .*Permission denied/)
    expect(asUser('bulwark-api', ['ls', join(home, 'vault', 'shares-2')])).toMatch(/^DENIED: .*Permission denied/)
    expect(asUser('bulwark-api', ['ls', join(home, 'vault', 'db')])).toMatch(/^DENIED: .*Permission denied/)
    expect(asUser('bulwark-api', ['cat', join(home, 'vault', 'operator.token')])).toMatch(/^DENIED: .*Permission denied/)
    // …while the signer's user cannot read the api's database or secrets either.
    expect(asUser('bulwark-signer', ['ls', join(home, 'db')])).toMatch(/^DENIED: .*Permission denied/)
    expect(asUser('bulwark-signer', ['cat', join(home, 'secrets', 'session.key')])).toMatch(/^DENIED: .*Permission denied/)

    platform.child.kill('SIGTERM')
    expect(await platform.exited).toBe(0)
    // A second start accepts the home as separated mode left it (root:bulwark 0710).
    platform = spawnBulwark(['start'], env)
    await waitForReady(`http://127.0.0.1:${port}/readyz`, platform)
    expect(JSON.parse((await runBulwark(['keys', 'balance', keyId], env)).stdout)).toMatchObject({ USDT: { total: '777' } })
  })
})
