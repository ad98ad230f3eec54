import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-layout-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const SLOW = { timeout: 20_000 }
const shots = join('test-results', 'layout')
mkdirSync(shots, { recursive: true })
const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

/** Every page of the main navigation (and the pages of Settings), with the heading that says it has drawn. */
const pages: readonly { path: string; name: string; heading: RegExp }[] = [
  { path: '/', name: 'overview', heading: /^(Welcome|Your account|Overview)/ },
  { path: '/trade', name: 'trade', heading: /^Trade$/ },
  { path: '/bots', name: 'bots', heading: /^Signal Bots$/ },
  { path: '/exchanges', name: 'exchanges', heading: /^Exchange/ },
  { path: '/demo', name: 'demo', heading: /^Demo exchange$/ },
  { path: '/activity', name: 'activity', heading: /^Exchange activity$/ },
  { path: '/audit', name: 'audit', heading: /^Audit log$/ },
  { path: '/alerts', name: 'alerts', heading: /^Alerts/ },
  { path: '/security-center', name: 'security-center', heading: /^Security center$/ },
  { path: '/incidents', name: 'incidents', heading: /^Incidents$/ },
  { path: '/settings', name: 'settings', heading: /^Settings$/ },
  { path: '/security', name: 'security', heading: /^(Security|Account security)$/ },
  { path: '/tokens', name: 'tokens', heading: /^API tokens$/ },
  { path: '/notifications', name: 'notifications', heading: /^Notifications/ },
]

/** How far the page reaches past the window's right edge (0: nothing pushes it sideways). */
// Strings, not functions: they run in the page, and this file is compiled without the DOM's types.
const overflow = async (page: Page) => Number(await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth'))

/** The page has drawn its heading and nothing in it is still loading. */
const settled = async (page: Page, heading: RegExp) => {
  await expect.poll(() => page.getByRole('main').getByRole('heading', { name: heading }).first().isVisible(), SLOW).toBe(true)
  await expect.poll(() => page.getByRole('main').locator('[aria-busy="true"]').count(), SLOW).toBe(0)
}

const focused = async (page: Page) =>
  (await page.evaluate("({ id: document.activeElement?.id ?? '', text: document.activeElement?.textContent?.trim() ?? '' })")) as { id: string; text: string }

/**
 * The dashboard's frame in Chromium: the sidebar on a wide screen, the Menu on a phone (by keyboard),
 * the skip link, no page wider than a 390 px phone, and the theme kept across a reload.
 */
describe.runIf(hasChromium)('the dashboard layout in Chromium', () => {
  it('fits a phone, works by keyboard, and keeps the theme', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, MARKET_REPLAY_SPEED: '60' }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'light' })
    const page = await context.newPage()
    const problems: string[] = []
    // Signed-out loads ask /api/me (401); nothing else may fail.
    page.on('console', (m) => m.type() === 'error' && !/status of 40[0-3]/.test(m.text()) && problems.push(m.text()))
    page.on('pageerror', (e) => problems.push(e.message))
    try {
      // ---- The public pages: one centered card under the brand, at phone width.
      await page.goto(`${base}/sign-in`)
      await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible(), SLOW).toBe(true)
      expect(await overflow(page)).toBeLessThanOrEqual(0)
      await shot(page, 'phone-sign-in')
      await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)

      // ---- Skip link: the first Tab stop; it moves focus to the main region.
      await page.goto(`${base}/audit`)
      await settled(page, /^Audit log$/)
      await page.keyboard.press('Tab')
      expect((await focused(page)).text).toBe('Skip to content')
      await expect.poll(() => page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true)
      await shot(page, 'phone-skip-link')
      await page.keyboard.press('Enter')
      expect((await focused(page)).id).toBe('main')

      // ---- The Menu by keyboard: opens with focus on the current page's link, closes on Escape.
      const menu = page.getByRole('button', { name: 'Menu' })
      const nav = page.getByRole('navigation', { name: 'Main' })
      expect(await menu.getAttribute('aria-expanded')).toBe('false')
      expect(await nav.isVisible()).toBe(false)
      const panelId = (await menu.getAttribute('aria-controls')) ?? ''
      expect(await page.locator(`#${panelId} nav[aria-label="Main"]`).count()).toBe(1) // hidden, so not by role
      await menu.focus()
      await page.keyboard.press('Enter')
      await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('true')
      await expect.poll(() => nav.isVisible()).toBe(true)
      expect(await nav.getByRole('link', { name: 'Audit', exact: true }).getAttribute('aria-current')).toBe('page')
      expect((await focused(page)).text).toBe('Audit')
      await shot(page, 'phone-menu-open')
      await page.keyboard.press('Escape')
      await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('false')
      expect(await nav.isVisible()).toBe(false)
      expect((await focused(page)).text).toBe('Menu')
      // Open again, Tab to the next link, follow it: the panel closes on navigation.
      await page.keyboard.press(' ')
      await expect.poll(() => nav.isVisible()).toBe(true)
      await page.keyboard.press('Tab')
      expect((await focused(page)).text).toMatch(/^Alerts/)
      await page.keyboard.press('Enter')
      await expect.poll(() => new URL(page.url()).pathname).toBe('/alerts')
      await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('false')
      expect(await nav.isVisible()).toBe(false)

      // ---- No page pushes a phone sideways (light and dark).
      for (const { path, name, heading } of pages) {
        await page.goto(`${base}${path}`)
        await settled(page, heading)
        expect({ path, overflow: await overflow(page) }).toEqual({ path, overflow: 0 })
        await shot(page, `phone-${name}`)
      }
      await page.emulateMedia({ colorScheme: 'dark' })
      for (const { path, name, heading } of pages.filter((p) => ['overview', 'trade', 'audit', 'settings'].includes(p.name))) {
        await page.goto(`${base}${path}`)
        await settled(page, heading)
        expect({ path, overflow: await overflow(page) }).toEqual({ path, overflow: 0 })
        await shot(page, `phone-${name}-dark`)
      }
      await page.emulateMedia({ colorScheme: 'light' })

      // ---- Wide: the sidebar is always there, the Menu is not; the entry a page belongs to is current.
      await page.setViewportSize({ width: 1280, height: 900 })
      await page.goto(`${base}/security`)
      await settled(page, /^(Security|Account security)$/)
      expect(await menu.isVisible()).toBe(false)
      await expect.poll(() => nav.isVisible()).toBe(true)
      expect(await nav.getByRole('link', { name: 'Settings', exact: true }).getAttribute('aria-current')).toBe('page')
      expect(await nav.locator('[aria-current="page"]').count()).toBe(1)
      await nav.getByRole('link', { name: 'Trade', exact: true }).click()
      await settled(page, /^Trade$/)
      expect(await nav.getByRole('link', { name: 'Trade', exact: true }).getAttribute('aria-current')).toBe('page')
      expect(await overflow(page)).toBeLessThanOrEqual(0)
      await shot(page, 'wide-trade')

      // ---- Themes: the toggle's choice survives a reload; Settings offers light, dark and the system's.
      await page.goto(`${base}/settings`)
      await settled(page, /^Settings$/)
      const themeOf = async () =>
        (await page.evaluate("({ forced: document.documentElement.dataset.theme ?? 'none', bg: getComputedStyle(document.body).backgroundColor })")) as { forced: string; bg: string }
      const lightBg = (await themeOf()).bg
      expect(await page.getByRole('radio', { name: 'Match the system' }).isChecked()).toBe(true)
      await page.getByRole('banner').getByRole('button', { name: 'Switch to dark theme' }).click()
      await expect.poll(async () => (await themeOf()).forced).toBe('dark')
      // The Appearance card shows the same choice as the toggle.
      expect(await page.getByRole('radio', { name: 'Dark', exact: true }).isChecked()).toBe(true)
      const darkBg = (await themeOf()).bg
      expect(darkBg).not.toBe(lightBg)
      // No flash of the light theme: the saved one is on <html> before the body is parsed (theme-init.js).
      await page.addInitScript(`new MutationObserver((_, observer) => {
        if (document.body === null) return
        document.documentElement.setAttribute('data-theme-at-body', document.documentElement.dataset.theme ?? 'none')
        observer.disconnect()
      }).observe(document, { childList: true, subtree: true })`)
      await page.reload()
      await settled(page, /^Settings$/)
      expect(await page.evaluate("document.documentElement.getAttribute('data-theme-at-body')")).toBe('dark')
      expect(await themeOf()).toEqual({ forced: 'dark', bg: darkBg })
      await expect.poll(() => page.getByRole('button', { name: 'Switch to light theme' }).isVisible()).toBe(true)
      await shot(page, 'wide-settings-dark')
      // "Match the system" forgets the choice: a dark system gives the dark theme, a light one the light.
      await page.getByRole('radio', { name: 'Match the system' }).check()
      await expect.poll(async () => (await themeOf()).forced).toBe('none')
      expect((await themeOf()).bg).toBe(lightBg)
      await page.emulateMedia({ colorScheme: 'dark' })
      await expect.poll(async () => (await themeOf()).bg).toBe(darkBg)
      await page.reload()
      await settled(page, /^Settings$/)
      expect(await themeOf()).toEqual({ forced: 'none', bg: darkBg })
      await page.getByRole('radio', { name: 'Light', exact: true }).check()
      await expect.poll(async () => (await themeOf()).bg).toBe(lightBg)
      await shot(page, 'wide-settings-light')

      expect(problems).toEqual([])
    } catch (err) {
      await shot(page, 'failed')
      throw err
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 240_000)
})
