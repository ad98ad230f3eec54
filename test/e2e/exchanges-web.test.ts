import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TOTP, Secret } from 'otpauth'
import { afterAll, describe, expect, it } from 'vitest'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-exchanges-web-'))
let proc: Running | undefined
let emulator: BinanceEmulator | undefined
afterAll(async () => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  await emulator?.close()
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'

/**
 * Connecting an exchange key in Chromium against the real platform: two-factor first (workspace
 * policy), the credentials sealed in the browser to the signer's key (shown by fingerprint), step-up
 * with the authenticator, verification at the (emulated) exchange by the real ccxt client in the signer.
 */
describe.runIf(hasChromium)('exchange accounts in Chromium', () => {
  it('seals a key in the browser, verifies it at the exchange, and lists it with its badges; the api never saw the secret', async () => {
    const account = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    emulator = await startBinanceEmulator({ accounts: [{ ...account, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } }] })
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }) }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(base)
      await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true)

      // Two-factor first: the workspace policy refuses keys without it.
      await page.getByRole('navigation').getByRole('link', { name: 'Security', exact: true }).click()
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => page.locator('.totp__secret code').isVisible()).toBe(true)
      const totp = new TOTP({ secret: Secret.fromBase32(((await page.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, '')), algorithm: 'SHA1', digits: 6, period: 30 })
      await page.getByLabel('Code from the app').fill(totp.generate())
      await page.getByRole('button', { name: 'Turn on two-factor' }).click()
      await page.getByLabel('I have saved these codes somewhere safe').check()
      await page.getByRole('button', { name: 'Done' }).click()

      await page.getByRole('navigation').getByRole('link', { name: 'Exchanges', exact: true }).click()
      await page.getByLabel('Exchange', { exact: true }).selectOption('binance')
      await page.getByRole('radio', { name: 'System-generated key: paste the API key and secret' }).check()
      await page.getByLabel('Account name').fill('Main')
      await page.getByLabel('API Key', { exact: true }).fill(account.apiKey)
      await page.getByLabel('Secret Key', { exact: true }).fill(account.secret)
      await expect.poll(() => page.getByText('First use').isVisible()).toBe(true) // the signer key's fingerprint, trusted on first use
      await page.getByRole('button', { name: 'Seal and connect' }).click()

      // This session signed in with the password alone: connecting a key needs the new second factor.
      const dialog = page.getByRole('dialog', { name: "Confirm it's you" })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('radio', { name: 'Use the authenticator app' }).check()
      await dialog.getByLabel('Authenticator code').fill(totp.generate({ timestamp: Date.now() + 30_000 }))
      await dialog.getByRole('button', { name: 'Confirm' }).click()

      await expect.poll(() => page.getByText(/Connected “Main” on Binance/).isVisible(), { timeout: 30_000 }).toBe(true)
      await expect.poll(() => page.getByRole('list', { name: 'Status of Main' }).isVisible()).toBe(true)
      await page.screenshot({ path: join('test-results', 'exchanges-connected.png'), fullPage: true })
      // The emulator saw a signed permission read from the signer; nothing reached a fund-moving route.
      expect(emulator.requests.some((r) => r.path === '/sapi/v1/account/apiRestrictions' && r.isSigned)).toBe(true)
      expect(emulator.withdrawals).toEqual([])
      expect(problems.filter((p) => !/status of 40[0-3]/.test(p))).toEqual([])
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 150_000)
})
