import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TOTP, Secret } from 'otpauth'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-accounts-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'

/**
 * The account journey in Chromium against the real `bulwark start` (api under the permission model):
 * sign in, turn on the authenticator app from the QR page, keep the recovery codes, sign out, and sign
 * in again with password then code; the session list marks this browser.
 */
describe.runIf(hasChromium)('accounts in Chromium', () => {
  it('signs in, turns on two-factor with the QR page, and needs the code at the next sign-in', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}` }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      const signIn = async () => {
        await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      }

      // Account security is a page of Settings.
      const openAccountSecurity = async () => {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click()
        await page.getByRole('link', { name: 'Account security', exact: true }).click()
      }

      await page.goto(base)
      await signIn()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true)

      await openAccountSecurity()
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => page.getByAltText('QR code to scan with your authenticator app').isVisible()).toBe(true)
      const secret = ((await page.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, '')
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
      await page.getByLabel('Code from the app').fill(totp.generate())
      await page.getByRole('button', { name: 'Turn on two-factor' }).click()
      const codes = page.getByRole('list', { name: 'Recovery codes' })
      await expect.poll(() => codes.isVisible()).toBe(true)
      expect(await codes.getByRole('listitem').count()).toBe(10)
      await page.screenshot({ path: join('test-results', 'accounts-recovery-codes.png'), fullPage: true })
      await page.getByLabel('I have saved these codes somewhere safe').check()
      await page.getByRole('button', { name: 'Done' }).click()

      await page.getByRole('button', { name: 'Sign out' }).click()
      await signIn()
      await expect.poll(() => page.getByLabel('Authenticator code').isVisible()).toBe(true)
      // The code of the next time step: the one used to turn two-factor on cannot be used again (R23).
      await page.getByLabel('Authenticator code').fill(totp.generate({ timestamp: Date.now() + 30_000 }))
      await page.getByRole('button', { name: 'Verify' }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true)

      await openAccountSecurity()
      await expect.poll(() => page.getByRole('button', { name: 'End all other sessions' }).isVisible()).toBe(true)
      await page.screenshot({ path: join('test-results', 'accounts-security.png'), fullPage: true })
      // Signed-out page loads ask /api/me (401) and refused steps log 4xx; nothing else may fail.
      expect(problems.filter((p) => !/status of 40[0-3]/.test(p))).toEqual([])
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 120_000)
})
