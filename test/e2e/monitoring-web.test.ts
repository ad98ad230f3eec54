import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Secret, TOTP } from 'otpauth'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-monitoring-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const EMAIL = 'ops@example.com'
const SLOW = { timeout: 30_000, interval: 250 }
const OUT = join('test-results', 'monitoring')
mkdirSync(OUT, { recursive: true })

const shot = (page: Page, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })

/**
 * TOTP codes for one account, each at a later time step than the last (the server refuses a step at or
 * before the last one used, R23). It accepts one step ahead, so a code is ready at once or after waiting
 * for the clock to reach the step before it.
 */
const createCodes = (secret: string) => {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
  let lastStep = Math.floor(Date.now() / 30_000) - 1
  return async (): Promise<string> => {
    const step = Math.max(lastStep + 1, Math.floor(Date.now() / 30_000))
    while (Math.floor(Date.now() / 30_000) + 1 < step) await new Promise((resolve) => setTimeout(resolve, 500))
    lastStep = step
    return totp.generate({ timestamp: step * 30_000 + 1_000 })
  }
}

/** The newest link of a kind in the outbox (`bulwark outbox` through the running instance's admin socket). */
const newestLink = async (env: Record<string, string>, path: string): Promise<string> => {
  const outbox = await runBulwark(['outbox'], env)
  expect(outbox.code).toBe(0)
  // Newest email first; a newer link of the same kind replaces the older ones.
  const links = outbox.stdout.match(new RegExp(`https?://[^\\s]+${path}#token=[A-Za-z0-9_-]{43}`, 'g')) ?? []
  const link = links[0]
  if (link === undefined) throw new Error(`no ${path} link in the outbox:\n${outbox.stdout}`)
  return link
}

/**
 * The security center in Chromium against the real platform (dist/, the real signer): the alerts inbox
 * counts a new alert live over server-sent events, the audit log verifies, each page opens; the red
 * button locks the workspace down and signs this browser out; after signing in again the incident page
 * shows the timeline and unlocks with password + authenticator code + the emailed link + the waiting
 * period; then the emergency link from a security email locks down without signing in (only its button
 * acts). Screenshots go to test-results/monitoring/.
 */
describe.runIf(hasChromium)('security center in Chromium', () => {
  it('shows alerts live, verifies the audit log, locks down, unlocks, and locks down from an emailed link', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, UNLOCK_COOLING_OFF_SECONDS: '5' }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', EMAIL, '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } })
    const page = await context.newPage()
    const problems: string[] = []
    // Refused requests (401 after the lockdown, 423 while locked) and the event stream closing with the session are expected.
    const isExpected = (text: string) => /status of 4\d\d|EventSource|text\/event-stream/.test(text)
    page.on('console', (m) => m.type() === 'error' && !isExpected(m.text()) && problems.push(m.text()))
    page.on('pageerror', (e) => problems.push(e.message))
    try {
      const main = () => page.getByRole('navigation', { name: 'Main' })
      const signIn = async (code?: () => Promise<string>) => {
        await page.getByLabel('Email', { exact: true }).fill(EMAIL)
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        if (code !== undefined) {
          await expect.poll(() => page.getByLabel('Authenticator code').isVisible(), SLOW).toBe(true)
          await page.getByLabel('Authenticator code').fill(await code())
          await page.getByRole('button', { name: 'Verify' }).click()
        }
        await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
      }
      await page.goto(base)
      await signIn()
      const me = (await (await page.request.get(`${base}/api/me`)).json()) as { workspaces: { id: string }[] }
      const workspaceId = me.workspaces[0]?.id ?? ''

      // ---- Alerts inbox: the count changes live when an alert is raised elsewhere.
      await main().getByRole('link', { name: /^Alerts/ }).click()
      await expect.poll(() => page.getByRole('main').getByText('Live', { exact: true }).isVisible(), SLOW).toBe(true) // the inbox's stream, not the header's
      const unreadBefore = ((await (await page.request.get(`${base}/api/workspaces/${workspaceId}/alerts/unread`)).json()) as { count: number }).count
      await shot(page, '01-alerts-before')
      // Another tab of the same person turns on two-factor: the `second_factor_changed` alert.
      const other = await context.newPage()
      await other.goto(`${base}/security`)
      await other.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => other.locator('.totp__secret code').isVisible(), SLOW).toBe(true)
      const nextCode = createCodes(((await other.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, ''))
      await other.getByLabel('Code from the app').fill(await nextCode())
      await other.getByRole('button', { name: 'Turn on two-factor' }).click()
      await other.getByLabel('I have saved these codes somewhere safe').check()
      await other.getByRole('button', { name: 'Done' }).click()
      await other.close()
      // This page was not reloaded: the new count and the alert arrive over the stream.
      await expect.poll(() => page.getByText(`${unreadBefore + 1} unread`, { exact: true }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('Second factor changed').first().isVisible(), SLOW).toBe(true)
      await shot(page, '02-alerts-live')
      // Marking it read brings the count down, here and in the header.
      await page.getByRole('button', { name: 'Mark as read: Second factor changed' }).click()
      await expect.poll(() => page.getByText(`${unreadBefore} unread`, { exact: true }).or(page.getByText('No unread alerts', { exact: true })).first().isVisible(), SLOW).toBe(true)

      // ---- The security center's pages.
      await main().getByRole('link', { name: 'Security center', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Security center' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('No exchange keys yet.').isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByRole('list', { name: 'Account protection' }).getByText('Authenticator app on').isVisible(), SLOW).toBe(true)
      await shot(page, '03-security-center')
      const tabs = page.getByRole('navigation', { name: 'Security center sections' })
      await main().getByRole('link', { name: 'Activity', exact: true }).click()
      await expect.poll(() => page.getByText('No key has been used yet.').isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('No calls match.').isVisible(), SLOW).toBe(true)
      await shot(page, '04-activity')
      await main().getByRole('link', { name: 'Audit', exact: true }).click()
      const verified = page.getByRole('status', { name: 'Audit log verification' })
      await expect.poll(() => verified.getByText(/^Verified ✓ up to entry \d+\.$/).isVisible(), SLOW).toBe(true)
      const entries = page.getByRole('region', { name: 'Audit entries' })
      await expect.poll(() => entries.getByRole('row').count(), SLOW).toBeGreaterThan(1)
      // Filtered by type: reading the log is itself audited (R40), so there is at least this page's read.
      await page.getByLabel('Event type').fill('audit_log_read')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await expect.poll(async () => (await entries.getByRole('row').count()) - 1 === (await entries.getByText('audit_log_read', { exact: true }).count()), SLOW).toBe(true)
      expect(await entries.getByText('audit_log_read', { exact: true }).count()).toBeGreaterThan(0)
      await shot(page, '05-audit')
      // Alert rules are part of Settings.
      await main().getByRole('link', { name: 'Settings', exact: true }).click()
      await page.getByRole('link', { name: 'Notifications and alert rules', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Alert rules' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByLabel('Open orders at a lockdown').isVisible(), SLOW).toBe(true)
      await shot(page, '06-notifications')
      await main().getByRole('link', { name: 'Security center', exact: true }).click()
      await tabs.getByRole('link', { name: 'Incidents', exact: true }).click()
      await expect.poll(() => page.getByText('No lockdown so far.').isVisible(), SLOW).toBe(true)

      // ---- Lockdown from the red button: the dialog says what happens; afterwards this browser is signed out.
      await page.getByRole('banner').getByRole('button', { name: 'Lock everything down' }).click()
      const dialog = page.getByRole('dialog', { name: 'Lock everything down?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await expect.poll(() => dialog.getByText('Everyone in the workspace is signed out, you included', { exact: false }).isVisible()).toBe(true)
      await expect.poll(() => dialog.getByText('Every open order is cancelled on the exchange.').isVisible(), SLOW).toBe(true)
      await dialog.getByLabel('Reason (optional)').fill('end-to-end test')
      await shot(page, '07-lockdown-dialog')
      await dialog.getByRole('button', { name: 'Yes, lock everything down' }).click()
      // A fresh confirmation first, unless this session has one.
      const stepUp = page.getByRole('dialog', { name: "Confirm it's you" })
      const done = page.getByRole('heading', { name: 'Everything is locked down' })
      await expect.poll(async () => (await stepUp.isVisible()) || (await done.isVisible()), SLOW).toBe(true)
      if (await stepUp.isVisible()) {
        await stepUp.getByLabel('Authenticator code').fill(await nextCode())
        await stepUp.getByRole('button', { name: 'Confirm' }).click()
      }
      await expect.poll(() => done.isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('You have been signed out, like everyone else in the workspace.').isVisible(), SLOW).toBe(true)
      expect((await page.request.get(`${base}/api/me`)).status()).toBe(401)
      await shot(page, '08-locked-down')

      // ---- Signed in again: the lock shows everywhere, the incident has its timeline; unlock.
      await page.getByRole('link', { name: 'Sign in again' }).click()
      await signIn(nextCode)
      await expect.poll(() => page.getByText(/is locked down\./).first().isVisible(), SLOW).toBe(true)
      await page.getByRole('link', { name: 'Open the incident' }).first().click()
      const timeline = page.getByRole('list', { name: 'Timeline' })
      await expect.poll(() => timeline.getByText('Lockdown started').isVisible(), SLOW).toBe(true)
      await expect.poll(() => timeline.getByText('Sessions ended').isVisible(), SLOW).toBe(true)
      await expect.poll(() => timeline.getByText('Members alerted and emailed').isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('end-to-end test', { exact: true }).first().isVisible(), SLOW).toBe(true)
      await shot(page, '09-incident')
      await page.getByLabel('Your password', { exact: true }).fill(PASSWORD)
      await page.getByLabel('Authenticator code').fill(await nextCode())
      await page.getByRole('button', { name: 'Request the unlock' }).click()
      await expect.poll(() => page.getByText('Check your email.').isVisible(), SLOW).toBe(true)
      await shot(page, '10-unlock-check-email')

      // The emailed confirmation, opened in this tab: it acts only on its button.
      await page.goto(await newestLink(env, '/confirm-unlock'))
      await expect.poll(() => page.getByRole('button', { name: 'Confirm the unlock' }).isVisible(), SLOW).toBe(true)
      await page.getByRole('button', { name: 'Confirm the unlock' }).click()
      await expect.poll(() => page.getByText('Unlock confirmed', { exact: true }).or(page.getByText('Workspace unlocked', { exact: true })).first().isVisible(), SLOW).toBe(true)
      await shot(page, '11-unlock-confirmed')
      await page.goto(`${base}/incidents`)
      await expect.poll(() => page.getByText(/Opens in|Bring keys back/).first().isVisible(), SLOW).toBe(true)
      await shot(page, '12-cooling-off')
      // After the waiting period the workspace opens (the page asks again on its own).
      await expect.poll(() => page.getByRole('heading', { name: 'Bring keys back' }).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true)
      await expect.poll(async () => ((await (await page.request.get(`${base}/api/workspaces/${workspaceId}/lockdown`)).json()) as { locked: boolean }).locked, SLOW).toBe(false)
      await shot(page, '13-unlocked')

      // ---- The emergency link from a security email, in a browser that is not signed in.
      const stranger = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      const linkPage = await stranger.newPage()
      linkPage.on('pageerror', (e) => problems.push(e.message))
      await linkPage.goto(await newestLink(env, '/emergency-lockdown'))
      const lockable = linkPage.getByRole('list', { name: 'Workspaces to lock down' })
      await expect.poll(() => lockable.getByRole('listitem').count(), SLOW).toBe(1)
      // Opening the page changed nothing (mail scanners open links): still unlocked.
      expect(((await (await page.request.get(`${base}/api/workspaces/${workspaceId}/lockdown`)).json()) as { locked: boolean }).locked).toBe(false)
      await shot(linkPage, '14-emergency-preview')
      await linkPage.getByRole('button', { name: 'Lock everything down now' }).click()
      await expect.poll(() => linkPage.getByText('Locked down', { exact: true }).isVisible(), SLOW).toBe(true)
      await shot(linkPage, '15-emergency-done')
      await stranger.close()
      // The workspace is locked again, and this tab's session ends with it.
      await expect.poll(async () => (await page.request.get(`${base}/api/me`)).status(), SLOW).toBe(401)

      // A phone-sized screen: the audit page does not push the page sideways.
      await page.goto(base)
      await signIn(nextCode)
      await page.setViewportSize({ width: 390, height: 844 })
      await page.goto(`${base}/audit`)
      await expect.poll(() => page.getByRole('status', { name: 'Audit log verification' }).isVisible(), SLOW).toBe(true)
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390)
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '16-audit-phone-dark')

      expect(problems).toEqual([])
    } catch (err) {
      await shot(page, 'failed')
      throw err
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 300_000)
})
