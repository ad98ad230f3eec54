import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TOTP, Secret } from 'otpauth'
import type { Page } from 'playwright-core'
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
const EGRESS_IP = '203.0.113.7'
const DAY_MS = 86_400_000
const shots = join('test-results', 'connect')

/** Light and dark, desktop and phone width: the step as it is now, for a person to look at. */
const screenshots = async (page: Page, name: string) => {
  for (const [theme, width] of [['light', 1280], ['dark', 1280], ['light', 390], ['dark', 390]] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await page.setViewportSize({ width, height: 1000 })
    await page.screenshot({ path: join(shots, `${name}-${theme}-${width}.png`), fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize({ width: 1280, height: 1000 })
}

/** The Exchange accounts page: by the main navigation once the new shell is in place, by its address before. */
const openExchangeAccounts = async (page: Page, base: string) => {
  await page.goto(`${base}/exchanges`)
  if (existsSync('/tmp/briefs/ready-shell')) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exchange accounts' }).click()
  }
  await expect.poll(() => page.getByRole('heading', { name: 'Exchange accounts', level: 2 }).isVisible()).toBe(true)
}

/**
 * Connecting an exchange key in Chromium against the real platform, step by step: the exchange card,
 * the guide with the egress address and its Copy button, the key sealed in the browser to the signer's
 * key (shown by fingerprint) after a step-up that can be cancelled and retried, the signer's check at
 * the (emulated) exchange by the real ccxt client, a refusal with its fix, then the verdict's badges.
 */
describe.runIf(hasChromium)('connecting an exchange key in Chromium', () => {
  it('guides, refuses a key that can withdraw with the fix and stores nothing, connects a good key with its four badges, and an Ed25519 key Bulwark generated', async () => {
    mkdirSync(shots, { recursive: true })
    const risky = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    const good = { apiKey: randomApiKey(), secret: randomHmacSecret() }
    emulator = await startBinanceEmulator({
      accounts: [
        { ...risky, ipRestrict: true, ipWhitelist: ['127.0.0.1'], permissions: { enableWithdrawals: true }, balances: { USDT: '1000' } },
        // 30.5 days: the badge reads "Expires in 30 days" for the next half day.
        { ...good, ipRestrict: true, ipWhitelist: ['127.0.0.1'], tradingAuthorityExpirationTime: Date.now() + 30.5 * DAY_MS, balances: { USDT: '1000' } },
      ],
    })
    const port = await freePort()
    const env = {
      BULWARK_HOME: join(dir, 'home'),
      PORT: String(port),
      PUBLIC_ORIGIN: `http://localhost:${port}`,
      BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }),
      BULWARK_EGRESS_IPS: EGRESS_IP,
    }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      page.on('response', (r) => r.status() === 404 && problems.push(`404 ${r.url()}`))
      await page.goto(base)
      await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true)

      // Two-factor first: the workspace policy refuses keys without it.
      await page.goto(`${base}/security`)
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => page.locator('.totp__secret code').isVisible()).toBe(true)
      const totp = new TOTP({ secret: Secret.fromBase32(((await page.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, '')), algorithm: 'SHA1', digits: 6, period: 30 })
      await page.getByLabel('Code from the app').fill(totp.generate())
      await page.getByRole('button', { name: 'Turn on two-factor' }).click()
      await page.getByLabel('I have saved these codes somewhere safe').check()
      await page.getByRole('button', { name: 'Done' }).click()

      await openExchangeAccounts(page, base)
      const accounts = page.getByRole('region', { name: /^Exchange accounts in / })
      await expect.poll(() => accounts.getByText('No exchange accounts yet.').isVisible()).toBe(true)
      const stepper = page.getByRole('list', { name: 'Connecting a key' })
      await expect.poll(() => stepper.locator('[aria-current="step"]').textContent()).toContain('Choose exchange')

      await screenshots(page, 'step-1-choose')
      // Step 1: the exchange as a card; step 2: what to tick at Binance and the address to whitelist, copyable.
      await page.getByRole('list', { name: 'Exchanges' }).getByRole('button', { name: 'Binance, spot', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { name: /Create a restricted key at Binance$/ }).isVisible()).toBe(true)
      expect(await page.getByRole('list', { name: 'Permissions to tick at Binance' }).textContent()).toContain('Enable Spot & Margin Trading')
      expect(await page.getByRole('list', { name: 'Permissions to leave unticked at Binance' }).textContent()).toContain('Enable Withdrawals')
      expect(await page.getByRole('list', { name: 'Egress IP addresses' }).textContent()).toBe(EGRESS_IP)
      await page.getByRole('button', { name: 'Copy IP address' }).click()
      await expect.poll(() => page.getByText('Copied.').isVisible()).toBe(true)
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(EGRESS_IP)
      await screenshots(page, 'step-2-guide')

      // Step 3: a key that can withdraw. Confirming comes first; cancelling it leaves a sentence by the button, and the key in the form.
      await page.getByRole('button', { name: 'Next: generate or paste the key' }).click()
      const form = page.getByRole('form', { name: 'Connect a key for Binance' })
      await form.getByRole('radio', { name: 'System-generated key: paste the API key and secret' }).check()
      await form.getByLabel('Account name').fill('Risky')
      await form.getByLabel('API Key', { exact: true }).fill(risky.apiKey)
      await form.getByLabel('Secret Key', { exact: true }).fill(risky.secret)
      await expect.poll(() => form.getByText('First use').isVisible()).toBe(true) // the signer key's fingerprint, trusted on first use
      await form.getByRole('button', { name: 'Seal and connect' }).click()
      const dialog = page.getByRole('dialog', { name: "Confirm it's you" })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => form.getByRole('alert').textContent()).toContain('Nothing was changed: the confirmation was cancelled.')
      expect(await form.getByText('The key you entered is still in the form').isVisible()).toBe(true)
      expect(await form.getByLabel('API Key', { exact: true }).inputValue()).toBe(risky.apiKey)

      // Retrying opens the dialog again; after the authenticator code the request goes through, and the signer refuses the key.
      await form.getByRole('button', { name: 'Seal and connect' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('radio', { name: 'Use the authenticator app' }).check()
      // A wrong code is said on the code field, and the dialog stays open for the right one.
      const code = dialog.getByLabel('Authenticator code')
      const wrong = totp.generate({ timestamp: Date.now() + 30_000 }) === '000000' ? '111111' : '000000'
      await code.fill(wrong)
      await dialog.getByRole('button', { name: 'Confirm' }).click()
      await expect.poll(() => code.getAttribute('aria-invalid')).toBe('true')
      const codeProblem = await page.locator(`#${(await code.getAttribute('aria-describedby'))?.split(' ').at(-1) ?? 'none'}`).textContent()
      expect(codeProblem).toMatch(/^[A-Z].*\.$/) // a sentence, from the server, on the field
      expect(await dialog.getByRole('alert').textContent()).toContain('Check “Authenticator code”')
      await code.fill(totp.generate({ timestamp: Date.now() + 30_000 }))
      await dialog.getByRole('button', { name: 'Confirm' }).click()
      const refusal = form.getByRole('alert')
      await expect.poll(() => refusal.textContent(), { timeout: 30_000 }).toContain('Refused')
      expect(await refusal.getByRole('list', { name: 'Failed check' }).textContent()).toBe('Withdraw enabled')
      expect(await refusal.textContent()).toMatch(/Fix: Edit it at Binance \(API Management\), untick "Enable Withdrawals".*then try again\./)
      expect(await form.getByLabel('API Key', { exact: true }).inputValue()).toBe('') // dropped once sealed
      await screenshots(page, 'step-3-refused')
      // Nothing was stored: the list is still empty, also after loading it again.
      await page.reload()
      await expect.poll(() => accounts.getByText('No exchange accounts yet.').isVisible()).toBe(true)

      // A good key: the step-up is still fresh, so it goes straight through to the verdict.
      await page.getByRole('list', { name: 'Exchanges' }).getByRole('button', { name: 'Binance, spot', exact: true }).click()
      await page.getByRole('button', { name: 'Next: generate or paste the key' }).click()
      await form.getByRole('radio', { name: 'System-generated key: paste the API key and secret' }).check()
      await form.getByLabel('Account name').fill('Main')
      await form.getByLabel('API Key', { exact: true }).fill(good.apiKey)
      await form.getByLabel('Secret Key', { exact: true }).fill(good.secret)
      await form.getByRole('button', { name: 'Seal and connect' }).click()
      const verdict = page.getByRole('list', { name: 'Verdict for Main' })
      await expect.poll(() => verdict.isVisible(), { timeout: 30_000 }).toBe(true)
      expect(await verdict.getByRole('listitem').allTextContents()).toEqual(['Withdraw disabled', 'IP restricted', 'Trading enabled', 'Expires in 30 days'])
      expect(await page.getByRole('heading', { name: /Connected: “Main” on Binance/ }).isVisible()).toBe(true)
      await expect.poll(() => stepper.locator('[aria-current="step"]').textContent()).toContain('Verdict')
      await expect.poll(() => page.getByRole('list', { name: 'Status of Main' }).isVisible()).toBe(true)
      expect(await page.getByRole('list', { name: 'Status of Risky' }).count()).toBe(0)
      await screenshots(page, 'step-4-verdict')

      // Ed25519: the signer generates the key pair; the page shows only the public key, copyable, then asks for the API key.
      await page.getByRole('button', { name: 'Connect another key' }).click()
      await page.getByRole('list', { name: 'Exchanges' }).getByRole('button', { name: 'Binance, spot', exact: true }).click()
      await page.getByRole('button', { name: 'Next: generate or paste the key' }).click()
      expect(await form.getByRole('radio', { name: /Let Bulwark generate the key/ }).isChecked()).toBe(true)
      await form.getByLabel('Account name').fill('Bot')
      await form.getByRole('button', { name: 'Generate key pair' }).click()
      const finish = page.getByRole('form', { name: 'Bulwark generated the key pair for “Bot”' })
      await expect.poll(() => finish.isVisible(), { timeout: 30_000 }).toBe(true)
      const publicKeyPem = await finish.getByLabel('Public key for Binance').inputValue()
      expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/)
      expect(await page.content()).not.toMatch(/PRIVATE KEY/)
      await finish.getByRole('button', { name: 'Copy public key' }).click()
      await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(publicKeyPem)
      await screenshots(page, 'ed25519-public-key')
      // At "Binance": a self-generated key with that public key, trade-only, restricted to the signer's address.
      const edApiKey = randomApiKey()
      emulator.addAccount({ apiKey: edApiKey, ed25519PublicKeyPem: publicKeyPem, ipRestrict: true, ipWhitelist: ['127.0.0.1'] })
      await finish.getByLabel('API key from Binance').fill(edApiKey)
      await finish.getByRole('button', { name: 'Finish connecting' }).click()
      const botVerdict = page.getByRole('list', { name: 'Verdict for Bot' })
      await expect.poll(() => botVerdict.isVisible(), { timeout: 30_000 }).toBe(true)
      expect(await botVerdict.getByRole('listitem').allTextContents()).toEqual(['Withdraw disabled', 'IP restricted', 'Trading enabled', 'No expiry'])
      await expect.poll(() => page.getByRole('list', { name: 'Status of Bot' }).isVisible()).toBe(true)

      // The emulator saw signed permission reads from the signer; nothing reached a fund-moving route.
      expect(emulator.requests.filter((r) => r.path === '/sapi/v1/account/apiRestrictions' && r.isSigned).length).toBeGreaterThanOrEqual(3)
      expect(emulator.withdrawals).toEqual([])
      expect(problems.filter((p) => !/status of 40[0-3]|status of 422/.test(p))).toEqual([])
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 180_000)
})
