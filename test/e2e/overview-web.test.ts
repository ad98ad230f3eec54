import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Secret, TOTP } from 'otpauth'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-overview-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const EMAIL = 'ops@example.com'
const SLOW = { timeout: 30_000, interval: 250 }
const OUT = join('test-results', 'overview')
mkdirSync(OUT, { recursive: true })

/** Elements whose right edge is past the viewport, as "TAG.class right". */
const WIDER_THAN_SCREEN = `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`

const shot = (page: Page, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })

/** A code of the current 30-second step (one enrolment, so no step is used twice). */
const codeFor = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate()

/**
 * The overview and the security score in Chromium against the real platform (dist/, the real signer):
 * a new operator sees a low score with the steps that raise it and empty states that say what to do;
 * turning on the authenticator app raises the score; a demo account and a Smart Trade show on the
 * overview. Screenshots (light, dark, 390 px) go to test-results/overview/.
 */
describe.runIf(hasChromium)('overview and security score in Chromium', () => {
  it('shows a low score with steps, raises it with two-factor, and fills the overview as the operator starts trading', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, MARKET_REPLAY_SPEED: '60' }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', EMAIL, '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } })
    const page = await context.newPage()
    const problems: string[] = []
    const isExpected = (text: string) => /status of 4\d\d|EventSource|text\/event-stream/.test(text)
    page.on('console', (m) => m.type() === 'error' && !isExpected(m.text()) && problems.push(m.text()))
    page.on('pageerror', (e) => problems.push(e.message))
    const gauge = (score: number) => page.getByRole('img', { name: `Security score ${score} out of 100` })
    try {
      await page.goto(base)
      await page.getByLabel('Email', { exact: true }).fill(EMAIL)
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)

      // ---- A new operator: no keys (those checks count as done), everything else to do.
      await expect.poll(() => gauge(35).isVisible(), SLOW).toBe(true)
      const steps = page.getByRole('list', { name: 'Next steps' })
      const twoFactor = steps.getByRole('link', { name: 'Turn on two-factor sign-in +25 points' })
      await expect.poll(() => twoFactor.isVisible(), SLOW).toBe(true)
      expect(await twoFactor.getAttribute('href')).toBe('/security')
      // Empty states say what to do next, as links.
      for (const [name, href] of [
        ['Connect an exchange key', '/exchanges'],
        ['Open a demo account', '/demo'],
        ['Start a Smart Trade', '/trade'],
      ] as const) {
        const link = page.getByRole('link', { name, exact: true })
        await expect.poll(() => link.isVisible(), SLOW).toBe(true)
        expect(await link.getAttribute('href')).toBe(href)
      }
      await expect.poll(() => page.getByText('Nothing traded yet', { exact: false }).isVisible(), SLOW).toBe(true)
      await shot(page, '01-overview-new-light')
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '02-overview-new-dark')
      await page.emulateMedia({ colorScheme: 'light' })

      // ---- The security center lists every check, with the score at the top.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security center', exact: true }).click()
      const checks = page.getByRole('list', { name: 'Security checks' })
      await expect.poll(() => checks.getByRole('listitem').count(), SLOW).toBe(8)
      await expect.poll(() => gauge(35).isVisible(), SLOW).toBe(true)
      await expect.poll(() => checks.getByText('No keys yet').count(), SLOW).toBe(3)
      await shot(page, '03-security-center-light')

      // ---- Two-factor on: the score rises (25 for two-factor, 5 for the recovery codes that come with it).
      await checks.getByRole('link', { name: 'Turn on two-factor sign-in +25 points' }).click()
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => page.locator('.totp__secret code').isVisible(), SLOW).toBe(true)
      const secret = ((await page.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, '')
      await page.getByLabel('Code from the app').fill(codeFor(secret))
      await page.getByRole('button', { name: 'Turn on two-factor' }).click()
      await page.getByLabel('I have saved these codes somewhere safe').check()
      await page.getByRole('button', { name: 'Done' }).click()
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview', exact: true }).click()
      await expect.poll(() => gauge(65).isVisible(), SLOW).toBe(true)
      expect(await steps.getByRole('link', { name: /^Turn on two-factor sign-in/ }).count()).toBe(0)
      await expect.poll(() => page.getByText('Live', { exact: true }).isVisible(), SLOW).toBe(true)

      // ---- A demo account and a Smart Trade on it (through the API, as the pages do): the overview shows both.
      const me = (await (await page.request.get(`${base}/api/me`)).json()) as { csrfToken: string; workspaces: { id: string }[] }
      const workspaceId = me.workspaces[0]?.id ?? ''
      const headers = { 'x-csrf-token': me.csrfToken, origin: base }
      const account = await page.request.post(`${base}/api/workspaces/${workspaceId}/demo/accounts`, { headers, data: { name: 'Practice', kind: 'spot' } })
      expect(account.status(), await account.text()).toBe(201)
      const accountId = ((await account.json()) as { id: string }).id
      const trade = await page.request.post(`${base}/api/workspaces/${workspaceId}/smart-trades`, {
        headers: { ...headers, 'idempotency-key': randomUUID() },
        // A limit entry far below the market: the trade stays open, waiting for its entry.
        data: { name: 'Dip buy', account: { kind: 'demo', id: accountId }, config: { symbol: 'BTC/USDT', direction: 'long', amount: '0.01', entry: { type: 'limit', price: '1000' } } },
      })
      expect(trade.status(), await trade.text()).toBe(201)
      // Not reloaded: the live stream names the accounts and bots that changed, and the tiles load them again.
      await expect.poll(() => page.getByText('Live', { exact: true }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByRole('list', { name: 'Demo accounts' }).getByText('Practice').isVisible(), SLOW).toBe(true)
      const open = page.getByRole('list', { name: 'Open Smart Trades' })
      await expect.poll(() => open.getByRole('link', { name: 'Dip buy' }).isVisible(), SLOW).toBe(true)
      expect(await open.getByRole('link', { name: 'Dip buy' }).getAttribute('href')).toMatch(/^\/smart-trades\/[0-9a-f-]{36}$/)
      await expect.poll(() => page.getByRole('table').getByText('USDT').isVisible(), SLOW).toBe(true)
      await shot(page, '04-overview-trading-light')
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '05-overview-trading-dark')

      // ---- Phone width: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 })
      await page.emulateMedia({ colorScheme: 'light' })
      await expect.poll(() => gauge(65).isVisible(), SLOW).toBe(true)
      await shot(page, '06-overview-390-light')
      // Names what sticks out, if anything does (a string: this file is compiled without the DOM types).
      expect(await page.evaluate(WIDER_THAN_SCREEN)).toEqual([])
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '07-overview-390-dark')
      await page.goto(`${base}/security-center`)
      await expect.poll(() => gauge(65).isVisible(), SLOW).toBe(true)
      expect(await page.evaluate(WIDER_THAN_SCREEN)).toEqual([])
      await shot(page, '08-security-center-390-dark')
      expect(problems).toEqual([])
    } catch (error) {
      await shot(page, 'failed').catch(() => undefined)
      throw error
    } finally {
      await browser.close()
    }
  })
})
