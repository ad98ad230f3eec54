import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'

/**
 * Demo Spot in Chromium against the real platform: the feed's source is shown, a demo account is made
 * with 10,000 USDT, a limit order is checked, placed and reserved, listed with its price line on the
 * chart, and cancelled. Market data is the bundled replay (offline), as the badge says.
 */
describe.runIf(hasChromium)('the demo exchange in Chromium', () => {
  it('shows the data source, opens a demo account, places and cancels a limit order', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, MARKET_REPLAY_SPEED: '60' }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(base)
      await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Demo accounts', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Demo exchange' }).isVisible()).toBe(true)
      await expect.poll(() => page.getByText(/Replay data/).first().isVisible()).toBe(true) // never hides where prices come from

      await page.getByLabel('Account name').fill('Paper')
      await page.getByRole('radio', { name: 'Demo Spot' }).check()
      await page.getByRole('button', { name: 'Create demo account' }).click()
      // A new account is shown at once (no "Open" needed).
      await expect.poll(() => page.getByText('Shown below').isVisible()).toBe(true)
      await expect.poll(() => page.getByRole('region', { name: 'Balances' }).getByText(/10,?000/).first().isVisible()).toBe(true)

      await page.getByLabel('Order type').selectOption('limit')
      await page.getByRole('radio', { name: 'Buy' }).check()
      await page.getByLabel('Amount').fill('0.01')
      await page.getByLabel('Limit price').fill('20000')
      await page.getByRole('button', { name: 'Place order' }).click()
      await expect.poll(() => page.getByText(/buy 0\.01 BTC\/USDT, limit at 20000, open/).isVisible(), { timeout: 20_000 }).toBe(true)
      const openOrders = page.getByRole('region', { name: 'Open orders' })
      await expect.poll(() => openOrders.getByRole('button', { name: /^Cancel order / }).count()).toBe(1)
      await page.screenshot({ path: join('test-results', 'demo-order.png'), fullPage: true })
      await openOrders.getByRole('button', { name: /^Cancel order / }).click()
      await expect.poll(() => openOrders.getByRole('button', { name: /^Cancel order / }).count()).toBe(0)
      expect(problems.filter((p) => !/status of 40[0-3]/.test(p))).toEqual([])
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 150_000)
})
