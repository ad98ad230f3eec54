import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-live-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const SHOTS = join('test-results', 'live')
mkdirSync(SHOTS, { recursive: true })
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
// While the stream is live the demo accounts list and the kill-switch banner do not poll at all, and the
// other views at most every 15 s (prices); the 30 s fallback poll runs only while it is not live.
const LIVE_WAIT = { timeout: 12_000, interval: 200 }
const SLOW = { timeout: 45_000, interval: 250 }

type Marked = { liveMarker?: string }

/**
 * Live data in Chromium against the real platform (dist/): a demo account page and a Signal Bot page
 * follow changes made through the API by someone else (here the test, with the same session) without a
 * reload; the header's connection pill says "Live", turns to reconnecting/offline while the server is
 * stopped, and back to "Live" when it runs again, after which changes arrive again.
 */
describe.runIf(hasChromium)('live data in Chromium', () => {
  it('updates pages without a reload and shows the connection state through a server restart', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, MARKET_REPLAY_SPEED: '60' }
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

      const pill = page.getByRole('banner').getByRole('status').filter({ hasText: /^(Connecting…|Live|Reconnecting…|Offline: retrying|Not live)$/ })
      await expect.poll(() => pill.textContent(), SLOW).toBe('Live')
      expect(await pill.getAttribute('aria-live')).toBe('polite')

      const me = (await (await page.request.get(`${base}/api/me`)).json()) as { csrfToken: string; workspaces: { id: string }[] }
      const workspaceId = me.workspaces[0]?.id ?? ''
      const headers = { 'x-csrf-token': me.csrfToken, origin: base }
      const api = async (path: string, data: unknown = {}) => {
        const res = await page.request.post(`${base}/api/workspaces/${workspaceId}${path}`, { headers, data })
        expect(res.status(), await res.text()).toBeLessThan(300)
        return res.json() as Promise<Record<string, unknown>>
      }
      // Set once per page load: still there means the page was not reloaded.
      const mark = () => page.evaluate(() => ((globalThis as Marked).liveMarker = 'not reloaded'))
      const isSamePage = () => page.evaluate(() => (globalThis as Marked).liveMarker)

      // ---- The demo page: an account created elsewhere appears, then its resting order and reserved balance.
      const nav = page.getByRole('navigation', { name: 'Main' })
      await nav.getByRole('link', { name: 'Demo accounts', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Demo exchange' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('No demo accounts yet', { exact: false }).isVisible(), SLOW).toBe(true)
      await mark()
      const accountId = String((await api('/demo/accounts', { name: 'Paper', kind: 'spot' })).id)
      // The list of accounts does not poll while live: the stream brought it.
      await expect.poll(() => page.getByRole('heading', { name: /^Paper/ }).first().isVisible(), LIVE_WAIT).toBe(true)
      await expect.poll(() => page.getByRole('region', { name: 'Balances' }).getByText(/10,?000/).first().isVisible(), LIVE_WAIT).toBe(true)
      // The replay feed gives the demo exchange a price before it takes orders.
      await expect.poll(async () => (await page.request.get(`${base}/api/workspaces/${workspaceId}/demo/markets`)).ok(), SLOW).toBe(true)
      const openOrders = page.getByRole('region', { name: 'Open orders' })
      expect(await openOrders.getByRole('button', { name: /^Cancel order / }).count()).toBe(0)
      await api(`/demo/accounts/${accountId}/orders`, { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '20000' })
      await expect.poll(() => openOrders.getByRole('button', { name: /^Cancel order / }).count(), LIVE_WAIT).toBe(1)
      expect(await isSamePage()).toBe('not reloaded')
      await shot(page, '01-demo-order-arrived-light')

      // ---- A Signal Bot's page: started and paused elsewhere, its status follows.
      const bot = await api('/signal-bots', { name: 'TV breakout', demoAccountId: accountId, config: { symbols: ['BTC/USDT'], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
      const botId = String((bot.bot as { id: string }).id)
      await nav.getByRole('link', { name: 'Bots', exact: true }).click()
      await page.getByRole('link', { name: 'TV breakout' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'TV breakout' }).first().isVisible(), SLOW).toBe(true)
      const status = (label: string) => page.getByRole('main').getByText(label, { exact: true }).first()
      await expect.poll(() => status('Not started').isVisible(), SLOW).toBe(true)
      await mark()
      await api(`/bots/${botId}/start`)
      await expect.poll(() => status('Running').isVisible(), LIVE_WAIT).toBe(true)
      expect(await isSamePage()).toBe('not reloaded')
      await shot(page, '02-bot-started-light')
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '03-bot-started-dark')
      await page.emulateMedia({ colorScheme: 'light' })

      // ---- The server stops: the pill says so (the browser retries by itself, or after a pause of its own).
      proc.child.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
      await expect.poll(() => pill.textContent(), SLOW).toMatch(/^(Reconnecting…|Offline: retrying)$/)
      await page.getByRole('banner').screenshot({ path: join(SHOTS, '04-header-reconnecting-light.png') })
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.getByRole('banner').screenshot({ path: join(SHOTS, '05-header-reconnecting-dark.png') })
      await page.emulateMedia({ colorScheme: 'light' })

      // ---- It runs again: live again, and changes arrive again without a reload.
      proc = spawnBulwark(['start'], env)
      await waitForReady(`${base}/readyz`, proc)
      await expect.poll(() => pill.textContent(), { timeout: 90_000, interval: 250 }).toBe('Live')
      expect(await isSamePage()).toBe('not reloaded')
      await api(`/bots/${botId}/pause`)
      await expect.poll(() => status('Paused').isVisible(), LIVE_WAIT).toBe(true)
      // The kill switch's banner reloads only when told (no poll while live).
      await api('/trading/halt', { reason: 'watching the live stream' })
      await expect.poll(() => page.getByRole('heading', { name: 'Trading is halted' }).isVisible(), LIVE_WAIT).toBe(true)
      expect(await isSamePage()).toBe('not reloaded')
      await page.getByRole('banner').screenshot({ path: join(SHOTS, '06-header-live-light.png') })
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.getByRole('banner').screenshot({ path: join(SHOTS, '07-header-live-dark.png') })

      // ---- Phone width: the pill stays in the header.
      await page.setViewportSize({ width: 390, height: 844 })
      await expect.poll(() => pill.isVisible()).toBe(true)
      await shot(page, '08-bot-390-dark')
      await page.emulateMedia({ colorScheme: 'light' })
      await shot(page, '09-bot-390-light')

      // Refused stream requests while the server was down are expected; nothing else may fail.
      expect(problems.filter((p) => !/status of 40[0-3]|ERR_CONNECTION_REFUSED|net::ERR_|EventSource/.test(p))).toEqual([])
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 300_000)
})
