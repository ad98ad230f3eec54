import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { createSignerClient } from '../../src/signer/index.js'
import { callAdmin } from '../../src/cli/admin-client.js'

/**
 * Key custody end to end: `bulwark start` (supervisor, signer and api under the permission model),
 * `bulwark keys add` sealing in the CLI, the real ccxt client in the signer, the Binance emulator.
 */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-custody-'))
const home = join(dir, 'home')
let emulator: BinanceEmulator
let platform: Running
let env: Record<string, string>
let base: string

const CANARY_SECRET = randomHmacSecret()
const goodKey = randomApiKey()
const withdrawKey = randomApiKey()
const withdrawSecret = randomHmacSecret()

beforeAll(async () => {
  emulator = await startBinanceEmulator({
    accounts: [
      { apiKey: goodKey, secret: CANARY_SECRET, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } },
      { apiKey: withdrawKey, secret: withdrawSecret, permissions: { enableWithdrawals: true }, balances: { USDT: '10' } },
    ],
  })
  const port = await freePort()
  env = { BULWARK_HOME: home, PORT: String(port), BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }) }
  base = `http://127.0.0.1:${port}`
  platform = spawnBulwark(['start'], env)
  await waitForReady(`${base}/readyz`, platform)
  const init = await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')
  expect(init.code).toBe(0)
})

afterAll(async () => {
  if (platform?.child.exitCode === null) {
    platform.child.kill('SIGTERM')
    await platform.exited
  }
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The pid of the supervisor's child running `script` (the signer runs under prlimit, which execs node). */
const childPidOrZero = (script: string): number => {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes(script) && cmd.includes('--experimental-permission') && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BULWARK_HOME=${home}`)) return Number(pid)
    } catch {
      // gone meanwhile
    }
  }
  return 0
}
const childPid = (script: string) => {
  const pid = childPidOrZero(script)
  if (!pid) throw new Error(`no process runs ${script}`)
  return pid
}

describe('key custody through the signer process', () => {
  it('reports the signer in /readyz and runs it under the permission model', async () => {
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: 'ok', signer: 'ok' } })
    expect(statSync(join(home, 'vault', 'sock', 'signer.sock')).mode & 0o777).toBe(0o600)
  })

  it('`bulwark keys add` seals, verifies at the exchange and stores; fetchBalance reaches the emulator signed', async () => {
    const added = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${goodKey}\n${CANARY_SECRET}\n`)
    expect(added.stderr).toBe('')
    expect(added.stdout).toMatch(/ binance .* active/)
    expect(added.stdout).toContain('withdraw disabled ✓; IP restricted ✓; trading enabled ✓')
    const keyId = added.stdout.split(/\s+/)[0] ?? ''

    emulator.clearRequests()
    const balance = await runBulwark(['keys', 'balance', keyId], env)
    expect(balance.stderr).toBe('')
    expect(JSON.parse(balance.stdout)).toMatchObject({ USDT: { total: '10000' }, BTC: { total: '1' } })
    const signed = emulator.requests.filter((r) => r.isSigned)
    expect(signed.length).toBeGreaterThan(0)
    expect(signed.every((r) => r.isSignatureValid === true && r.apiKey === goodKey)).toBe(true)
    expect(signed.map((r) => r.path)).toContain("/api/v3/account")
  })

  it('keeps operator operations off the api: no token, no widening; no enable or refresh on the api socket', async () => {
    const list = await runBulwark(['keys', 'list'], env)
    const keyId = list.stdout.split(/\s+/)[0] ?? ''
    const workspaceId = ((await callAdmin(join(home, 'run', 'admin.sock'), 'operator-workspace')) as { workspaceId: string }).workspaceId
    const noToken = createSignerClient({ socketPath: join(home, 'vault', 'sock', 'operator.sock') })
    const limits = { symbols: ['BTC/USDT', 'PEPE/USDT'], maxOrderNotional: '1000000', max24hNotional: '1000000000', maxOrdersPerMinute: 100, priceBandPct: '50' }
    await expect(noToken.call('setLimits', workspaceId, { keyId, limits })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    noToken.close()
    const api = createSignerClient({ socketPath: join(home, 'vault', 'sock', 'signer.sock') })
    await expect(api.call('setLimits', workspaceId, { keyId, limits })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(api.call('enable', workspaceId, { keyId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(api.call('refresh', workspaceId, { keyId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    api.close()
  })

  it('refuses a withdraw-enabled key with the fix, storing nothing', async () => {
    const refused = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${withdrawKey}\n${withdrawSecret}\n`)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/can withdraw funds: edit it at Binance .* untick "Enable Withdrawals"/)
    const list = await runBulwark(['keys', 'list'], env)
    expect(list.stdout).not.toContain(withdrawKey.slice(0, 4) + '…')
  })

  it('refuses the same API key a second time (reuse lock)', async () => {
    const again = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${goodKey}\n${CANARY_SECRET}\n`)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already connected on this instance')
  })

  it('R1/R15: the canary secret is in no store, share file, log or audit record', async () => {
    const forms = [CANARY_SECRET, Buffer.from(CANARY_SECRET).toString('base64'), Buffer.from(CANARY_SECRET).toString('hex')]
    const files: string[] = []
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        const st = statSync(p)
        if (st.isDirectory()) walk(p)
        else if (st.isFile()) files.push(p)
      }
    }
    walk(home)
    expect(files.some((f) => f.includes('shares-2'))).toBe(true)
    const dumps = files.map((f) => readFileSync(f).toString('latin1'))
    dumps.push(platform.stdout(), platform.stderr())
    for (const d of dumps) for (const form of forms) expect(d.includes(form)).toBe(false)
  })

  it("the canary secret is nowhere in the api process's memory (read through /proc as root)", async () => {
    if (process.getuid?.() !== 0) return // reading another process's memory needs root (CI runs as root)
    const pid = childPid('dist/main.js')
    const needles = [CANARY_SECRET, Buffer.from(CANARY_SECRET).toString('base64'), Buffer.from(CANARY_SECRET).toString('hex')].map((n) => Buffer.from(n))
    const utf16 = Buffer.from(CANARY_SECRET, 'utf16le') // V8 two-byte strings
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n')
    const fd = openSync(`/proc/${pid}/mem`, 'r')
    let scannedMB = 0
    let controlFound = false
    const control = Buffer.from('the signer is not reachable') // a string literal of the api's own code: proves the scan reads the heap
    try {
      for (const line of maps) {
        const [range = '', perms = ''] = line.split(' ')
        if (!perms.startsWith('r') || /\[(vvar|vsyscall)\]/.test(line)) continue
        const [from, to] = range.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint]
        for (let at = from; at < to; at += 16n << 20n) {
          const len = Number(to - at < 16n << 20n ? to - at : 16n << 20n)
          const buf = Buffer.alloc(len)
          let n = 0
          try {
            n = readSync(fd, buf, 0, len, at)
          } catch {
            continue // an unreadable guard page
          }
          scannedMB += n / 1048576
          const chunk = buf.subarray(0, n)
          for (const needle of [...needles, utf16]) expect(chunk.includes(needle)).toBe(false)
          controlFound ||= chunk.includes(control)
        }
      }
    } finally {
      closeSync(fd)
    }
    expect(scannedMB).toBeGreaterThan(50)
    expect(controlFound).toBe(true)
  })

  it('records the key lifecycle in the workspace audit chain, which verifies', async () => {
    const verify = await runBulwark(['audit', 'verify', '--json'], env)
    expect(verify.code).toBe(0)
    const chains = JSON.parse(verify.stdout) as Array<{ chain: string; entries: number }>
    expect(chains.some((c) => c.chain.startsWith('ws:') && c.entries >= 3)).toBe(true) // workspace_created, key_connect_requested, key_connected …
    const list = await runBulwark(['keys', 'list'], env)
    expect(list.stdout).toContain(`${goodKey.slice(0, 4)}…${goodKey.slice(-4)}`)
  })

  it("R11(c): a process with exactly the api's grants cannot read the vault or the master key", async () => {
    const apiPid = childPid('dist/main.js')
    const args = readFileSync(`/proc/${apiPid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    expect(args).toContain('--experimental-permission')
    expect(args.some((a) => /--allow-(child-process|worker|addons)/.test(a))).toBe(false)
    const grants = args.filter((a) => a.startsWith('--allow-fs-'))
    expect(grants.some((g) => g.includes('/vault'))).toBe(false)
    // Run a probe under the same grants (plus reading the probe itself) and let it try.
    const probe = join(dir, 'probe.mjs')
    writeFileSync(
      probe,
      `import { readFileSync, readdirSync } from 'node:fs'
const tries = { master: () => readFileSync(${JSON.stringify(join(home, 'vault', 'master.key'))}), shares: () => readdirSync(${JSON.stringify(join(home, 'vault', 'shares-2'))}) }
for (const [name, f] of Object.entries(tries)) { try { f(); console.log(name, 'READ') } catch (e) { console.log(name, e.code) } }`,
    )
    const out = execFileSync(process.execPath, ['--experimental-permission', '--no-warnings', ...grants, `--allow-fs-read=${probe}`, probe], { encoding: 'utf8' })
    expect(out).toBe('master ERR_ACCESS_DENIED\nshares ERR_ACCESS_DENIED\n')
  })

  it('R14: the signer runs with core dumps off, under the permission model, and SIGUSR1 opens no inspector', async () => {
    const signerPid = childPid('dist/signer/main.js')
    expect(readFileSync(`/proc/${signerPid}/limits`, 'utf8')).toMatch(/Max core file size\s+0\s+0/)
    const args = readFileSync(`/proc/${signerPid}/cmdline`, 'utf8').split('\0')
    expect(args).toContain('--experimental-permission')
    expect(args.some((a) => /--inspect|--allow-(child-process|worker|addons)|heapsnapshot/.test(a))).toBe(false)
    process.kill(signerPid, 'SIGUSR1')
    await new Promise((r) => setTimeout(r, 500))
    const inspector = await new Promise<boolean>((resolve) => {
      const s = connect(9229, '127.0.0.1')
      s.once('connect', () => (s.destroy(), resolve(true)))
      s.once('error', () => resolve(false))
    })
    expect(inspector).toBe(false)
    expect(() => process.kill(signerPid, 0)).not.toThrow() // still running
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ checks: { signer: 'ok' } })
  })

  it('a killed signer is restarted, and the stored key still works', async () => {
    const before = childPid('dist/signer/main.js')
    process.kill(before, 'SIGKILL')
    let after = before
    for (let i = 0; i < 200 && (after === before || (await fetch(`${base}/readyz`)).status !== 200); i++) {
      await new Promise((r) => setTimeout(r, 100))
      after = childPidOrZero('dist/signer/main.js') || before
    }
    expect(after).not.toBe(before)
    const list = await runBulwark(['keys', 'list'], env)
    const keyId = list.stdout.split(/\s+/)[0] ?? ''
    const balance = await runBulwark(['keys', 'balance', keyId], env)
    expect(JSON.parse(balance.stdout)).toMatchObject({ USDT: { total: '10000' } })
  })
})
