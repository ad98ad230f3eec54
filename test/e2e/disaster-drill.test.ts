import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { callAdmin } from '../../src/cli/admin-client.js'

/**
 * The disaster drill: a running platform with an operator, a connected key and a trade is backed up
 * (`bulwark backup`) and given a 2-of-3 recovery kit; then BULWARK_HOME is deleted entirely — master
 * key included — and `bulwark restore` rebuilds it from the archives and two shares. The platform starts
 * again, the operator signs in, the key trades on the emulator, and the audit chains verify.
 */
const dir = mkdtempSync(join(tmpdir(), 'bulwark-drill-'))
const home = join(dir, 'home')
const backupDir = join(dir, 'backup')
const adminSocket = join(home, 'run', 'admin.sock')
const EMAIL = 'ops@example.com'
const PASSWORD = 'a long enough passphrase for the operator'
const CANARY_SECRET = randomHmacSecret()
const apiKey = randomApiKey()
let emulator: BinanceEmulator
let platform: Running | undefined
let env: Record<string, string>
let base: string

const start = async () => {
  platform = spawnBulwark(['start'], env)
  await waitForReady(`${base}/readyz`, platform)
}
const stop = async () => {
  if (platform?.child.exitCode === null) {
    platform.child.kill('SIGTERM')
    await platform.exited
  }
  platform = undefined
}

beforeAll(async () => {
  emulator = await startBinanceEmulator({ accounts: [{ apiKey, secret: CANARY_SECRET, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '10000', BTC: '1' } }] })
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  env = { BULWARK_HOME: home, PORT: String(port), BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }) }
  await start()
  const init = await runBulwark(['init', '--email', EMAIL, '--password-stdin'], env, `${PASSWORD}\n`)
  expect(init.code).toBe(0)
})

afterAll(async () => {
  await stop()
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

const workspaceId = async () => ((await callAdmin(adminSocket, 'operator-workspace')) as { workspaceId: string }).workspaceId

/** One limit order through the signer; the emulator checks the signature and the key. */
const tradeOnce = async (keyId: string, clientOrderId: string) => {
  emulator.clearRequests()
  const placed = (await callAdmin(adminSocket, 'keys-execute', {
    workspaceId: await workspaceId(),
    keyId,
    method: 'createOrder',
    args: { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '49000', clientOrderId },
  })) as { id: string; clientOrderId: string }
  expect(placed.clientOrderId).toBe(clientOrderId)
  const orders = emulator.requests.filter((r) => r.isSigned && r.path === '/api/v3/order')
  expect(orders.length).toBe(1)
  expect(orders.every((r) => r.isSignatureValid === true && r.apiKey === apiKey)).toBe(true)
}

const files = (d: string) => readdirSync(d).map((n) => join(d, n))

describe('disaster drill: backup, lose BULWARK_HOME, restore, trade again', () => {
  let keyId = ''
  let shares: string[] = []

  it('connects a key and trades once', async () => {
    const added = await runBulwark(['keys', 'add', '--exchange', 'binance', '--credentials-stdin'], env, `${apiKey}\n${CANARY_SECRET}\n`)
    expect(added.stderr).toBe('')
    keyId = added.stdout.split(/\s+/)[0] ?? ''
    await tradeOnce(keyId, 'bulwarkDrillBefore')
  })

  it('issues a 2-of-3 recovery kit, printed once', async () => {
    const kit = await runBulwark(['vault', 'recovery-kit', '--threshold', '2', '--shares', '3'], env)
    expect(kit.stderr).toBe('')
    shares = [...kit.stdout.matchAll(/^share \d of 3: (bwrk1-\S+)$/gm)].map((m) => m[1] as string)
    expect(shares).toHaveLength(3)
    // Stored nowhere: no file under the home holds a share.
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? [join(d, e.name)] : []))
    const everything = walk(home).map((f) => readFileSync(f).toString('latin1'))
    for (const s of shares) expect(everything.some((text) => text.includes(s.split('-')[4] as string))).toBe(false)
  })

  it('backs up into one archive per store plus main and vault-meta, each naming its key; no archive holds the secret (R1)', async () => {
    const made = await runBulwark(['backup', '--out', backupDir], env)
    expect(made.stderr).toBe('')
    for (const name of ['main', 'vault-meta', 'store-1', 'store-2', 'store-3']) expect(made.stdout).toMatch(new RegExp(`${name}\\.bwbak\\s+\\d+ entries\\s+key HKDF-SHA256\\(master v1, .*'store:backup:${name}:`))
    expect(readdirSync(backupDir).sort()).toEqual(['main.bwbak', 'store-1.bwbak', 'store-2.bwbak', 'store-3.bwbak', 'vault-meta.bwbak'])
    const forms = [CANARY_SECRET, Buffer.from(CANARY_SECRET).toString('hex'), Buffer.from(CANARY_SECRET).toString('base64')]
    for (const f of files(backupDir)) for (const form of forms) expect(readFileSync(f).toString('latin1').includes(form)).toBe(false)
    // The signer's staging folder is left empty.
    expect(readdirSync(join(home, 'vault', 'backups'))).toEqual([])
  })

  it('refuses a backup while the platform is stopped', async () => {
    await stop()
    const refused = await runBulwark(['backup', '--out', join(dir, 'other')], env)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/not running/)
  })

  it('loses BULWARK_HOME, then refuses one share and a tampered archive without writing anything', async () => {
    rmSync(home, { recursive: true, force: true })
    const one = await runBulwark(['restore', '--from', backupDir, '--recovery-share', shares[0] as string], env)
    expect(one.code).toBe(1)
    expect(one.stderr).toMatch(/1 distinct recovery share\(s\) given, 2 needed/)
    expect(existsSync(home)).toBe(false)

    const tampered = join(dir, 'tampered')
    cpSync(backupDir, tampered, { recursive: true })
    const file = join(tampered, 'store-2.bwbak')
    const bytes = readFileSync(file)
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0x40
    writeFileSync(file, bytes)
    const bad = await runBulwark(['restore', '--from', tampered, '--recovery-share', shares[0] as string, '--recovery-share', shares[2] as string], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/store-2\.bwbak is damaged/)
    expect(existsSync(home)).toBe(false)
  })

  it('restores from the archives and 2 shares; the operator signs in, the key trades again and the audit verifies', async () => {
    const restored = await runBulwark(['restore', '--from', backupDir, '--recovery-share', shares[2] as string, '--recovery-share', shares[1] as string], env)
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    for (const name of ['vault-meta', 'store-1', 'store-2', 'store-3', 'main']) expect(restored.stdout).toMatch(new RegExp(`^  ${name}: \\d+ entries$`, 'm'))

    await start()
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) })
    expect(login.status).toBe(200)
    expect(await login.json()).toMatchObject({ status: 'signed_in' })

    const list = await runBulwark(['keys', 'list'], env)
    expect(list.stdout).toContain(`${keyId}  binance`)
    expect(list.stdout).toMatch(/ active/)
    await tradeOnce(keyId, 'bulwarkDrillAfter')

    const verified = await runBulwark(['audit', 'verify'], env)
    expect(verified.code).toBe(0)
    expect(verified.stdout).not.toContain('✗')
    const vault = await runBulwark(['vault', 'verify'], env)
    expect(vault.code).toBe(0)
    // Two embedded databases created and loaded, then a full start: slow on a loaded 2-core machine.
  }, 240_000)
})
