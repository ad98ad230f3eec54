import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium } from '../support/browser.js'
import { hasNoHorizontalOverflow, isSettled, mainNav, openFromNav, rowsWith, screenshots, watchProblems } from '../support/journey-browser.js'
import { EGRESS_IP, newestLink, startJourneyPlatform, totpCodes, type JourneyPlatform } from '../support/journey-platform.js'
import { addVirtualAuthenticator, type VirtualCredential } from '../support/virtual-authenticator.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-journey-'))
const OUT = join('test-results', 'journey')
const SLOW = { timeout: 30_000, interval: 250 }
const USER = { email: 'robin@example.com', password: 'violet ostrich carburetor lighthouse', name: 'Robin' }

let platform: JourneyPlatform | undefined
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  await platform?.kill()
  rmSync(dir, { recursive: true, force: true })
})

type Json = Record<string, unknown>

/**
 * THE journey, as a new person takes it, in headless Chromium against the real platform (dist/, the
 * real signer, ccxt against the Binance emulator, the demo exchange on the bundled replay): sign up,
 * verify the address from the outbox, turn on the authenticator app (codes computed here), add a
 * passkey (Chromium's virtual authenticator over CDP), connect an exchange key sealed in the browser
 * (and see a withdraw-enabled one refused with the fix), trade on a Demo Spot account (a Smart Trade
 * that reaches its first target, a Signal Bot that acts on a webhook), find every step in the verified
 * audit log (the workspace's, and the person's own account events), lock everything down and unlock.
 * Then: a passkey alone signs in; a step-up prompt appears and the change goes through after it; the
 * dark theme; a phone. Every step leaves a numbered screenshot in test-results/journey/ — look at
 * them: a page that works but looks broken is not done.
 */
describe.runIf(hasChromium)('a new user’s journey in Chromium', () => {
  const shot = screenshots(OUT)
  const problems: string[] = []
  let context: BrowserContext
  let page: Page
  let base = ''
  let workspaceId = ''
  /** The passkey the journey registered, for the passkey-only sign-in on "another device". */
  let passkeys: VirtualCredential[] = []
  let nextCode: () => Promise<string> = () => Promise.reject(new Error('two-factor is not on yet'))

  /** The API as this browser's session sees it: the page is held to what the server says. */
  const api = async <T = Json>(path: string): Promise<T> => {
    const res = await page.request.get(`${base}${path}`)
    expect(res.status(), `GET ${path}`).toBe(200)
    return (await res.json()) as T
  }
  const inWorkspace = <T = Json>(path: string) => api<T>(`/api/workspaces/${workspaceId}${path}`)
  const listAccounts = () => inWorkspace<Json[]>('/exchange-accounts')

  /** Email and password; then, once the account has one, the passkey as the second factor. */
  const signIn = async (target: Page, secondFactor: 'none' | 'passkey') => {
    await target.getByLabel('Email', { exact: true }).fill(USER.email)
    await target.getByLabel('Password', { exact: true }).fill(USER.password)
    await target.getByRole('button', { name: 'Sign in', exact: true }).click()
    if (secondFactor === 'passkey') {
      await expect.poll(() => target.getByRole('radio', { name: 'Use a passkey' }).isVisible(), SLOW).toBe(true)
      await target.getByRole('radio', { name: 'Use a passkey' }).check()
      await target.getByRole('button', { name: 'Use passkey' }).click()
    }
    await expect.poll(() => target.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
  }

  /** The step-up dialog, if this change asks for it, answered with an authenticator code. */
  const confirmIfAsked = async (done: () => Promise<boolean>) => {
    const stepUp = page.getByRole('dialog', { name: "Confirm it's you" })
    await expect.poll(async () => (await stepUp.isVisible()) || (await done()), SLOW).toBe(true)
    if (await stepUp.isVisible()) {
      await stepUp.getByRole('radio', { name: 'Use the authenticator app' }).check()
      await stepUp.getByLabel('Authenticator code').fill(await nextCode())
      await stepUp.getByRole('button', { name: 'Confirm' }).click()
    }
    await expect.poll(done, SLOW).toBe(true)
  }

  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true }) // this run's screenshots only
    platform = await startJourneyPlatform(dir)
    base = platform.base
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
    page = await context.newPage()
    watchProblems(page, problems)
  }, 180_000) // a real start with the signer and a first migration, on a loaded 2-core machine

  it('signs up, secures the account, connects a key, trades on demo, audits it all, locks down and unlocks', async () => {
    const env = platform?.env ?? {}
    const keys = platform?.keys ?? { good: { apiKey: '', secret: '' }, withdraw: { apiKey: '', secret: '' } }
    const authenticator = await addVirtualAuthenticator(context, page)
    try {
      // ---- Sign up: from the sign-in page, as a visitor finds it.
      await page.goto(base)
      await page.getByRole('link', { name: 'Create an account' }).click()
      await page.getByLabel('Email', { exact: true }).fill(USER.email)
      await page.getByLabel('Password', { exact: true }).fill(USER.password)
      await page.getByLabel('Display name').fill(USER.name)
      await shot(page, 'sign-up')
      await page.getByRole('button', { name: 'Create account' }).click()
      await expect.poll(() => page.getByText('a link to verify it is on its way', { exact: false }).isVisible(), SLOW).toBe(true)
      await shot(page, 'check-your-email')

      // ---- Verify the address with the emailed link (the outbox: no mail server here).
      let verifyLink: string | undefined
      await expect.poll(async () => (verifyLink = await newestLink(env, USER.email, '/verify-email')), SLOW).toBeDefined()
      await page.goto(verifyLink ?? '')
      await expect.poll(() => page.getByText('Email verified', { exact: true }).isVisible(), SLOW).toBe(true)
      expect(page.url()).not.toContain('token=') // the token leaves the address bar once read
      await shot(page, 'email-verified')
      await page.getByRole('link', { name: 'Sign in' }).click()
      await signIn(page, 'none')
      const me = await api('/api/me')
      workspaceId = (me.workspaces as { id: string }[])[0]?.id ?? ''
      expect(workspaceId).not.toBe('')
      expect(me.user).toMatchObject({ email: USER.email, emailVerified: true })
      await expect.poll(() => mainNav(page).getByRole('link', { name: 'Overview', exact: true }).getAttribute('aria-current'), SLOW).toBe('page')
      await shot(page, 'first-overview')

      // ---- Two-factor: the authenticator app, from Settings → Account security.
      await openFromNav(page, 'Settings')
      await page.getByRole('link', { name: 'Account security' }).click()
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => page.getByAltText('QR code to scan with your authenticator app').isVisible(), SLOW).toBe(true)
      const secret = ((await page.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, '')
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      nextCode = totpCodes(secret)
      await page.getByLabel('Code from the app').fill(await nextCode())
      await page.getByRole('button', { name: 'Turn on two-factor' }).click()
      await expect.poll(() => page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), SLOW).toBe(10)
      await shot(page, 'totp-recovery-codes')
      await page.getByLabel('I have saved these codes somewhere safe').check()
      await page.getByRole('button', { name: 'Done' }).click()

      // ---- A passkey, on the same page: this session signed in with the password alone, so the new factor confirms it first.
      await page.getByLabel('Passkey name').fill('This laptop')
      await page.getByRole('button', { name: 'Add passkey' }).click()
      await confirmIfAsked(() => page.getByText('Passkey "This laptop" added.').isVisible())
      await expect.poll(() => page.getByRole('list', { name: 'Your passkeys' }).getByText('This laptop', { exact: true }).isVisible(), SLOW).toBe(true)
      passkeys = await authenticator.credentials()
      expect(passkeys).toHaveLength(1)
      expect(passkeys[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' })
      expect((await api<Json[]>('/api/auth/passkeys')).map((p) => p.name)).toEqual(['This laptop'])
      await shot(page, 'passkey-added')

      // ---- Connecting a key, the guided way: choose the exchange, read how to restrict the key there.
      await openFromNav(page, 'Exchange accounts')
      // The signer was told about the new passkey, and trusts a first passkey for key changes only after its delay.
      await expect.poll(() => page.getByText('Trust a new passkey for confirming key changes').isVisible(), SLOW).toBe(true)
      await chooseBinance(page)
      // The guide names the address to whitelist at the exchange (BULWARK_EGRESS_IPS).
      await expect.poll(() => page.getByText(EGRESS_IP, { exact: true }).first().isVisible(), SLOW).toBe(true)
      await shot(page, 'connect-guide')
      await page.getByRole('button', { name: 'Next: generate or paste the key' }).click()

      // ---- A key that can withdraw: refused next to the form, with the fix, and nothing stored.
      await sealKey(page, 'Withdrawer', keys.withdraw)
      const refusal = page.getByRole('alert').filter({ hasText: 'Nothing was stored.' })
      await confirmIfAsked(() => refusal.isVisible())
      await expect.poll(() => refusal.getByRole('list', { name: 'Failed check' }).getByText('Withdraw enabled').isVisible(), SLOW).toBe(true)
      await expect.poll(() => refusal.getByText(/untick/i).first().isVisible(), SLOW).toBe(true)
      expect(await listAccounts()).toEqual([])
      await shot(page, 'key-refused-withdraw')

      // ---- The good key: sealed in this browser, verified at the exchange by the signer, and the verdict as badges.
      await sealKey(page, 'Main', keys.good)
      await confirmIfAsked(() => page.getByRole('heading', { name: /Connected: “Main” on Binance/ }).isVisible())
      const verdict = page.getByRole('list', { name: 'Verdict for Main' })
      for (const badge of ['Withdraw disabled', 'IP restricted', 'Trading enabled', 'No expiry']) await expect.poll(() => verdict.getByText(badge, { exact: true }).isVisible(), SLOW).toBe(true)
      expect((await listAccounts()).map((a) => [a.label, a.state])).toEqual([['Main', 'active']])
      expect(platform?.emulator.withdrawals).toEqual([])
      await shot(page, 'key-connected')

      // ---- A Demo Spot account.
      await openFromNav(page, 'Demo accounts')
      await page.getByLabel('Account name').fill('Paper')
      await page.getByRole('radio', { name: 'Demo Spot' }).check()
      await page.getByRole('button', { name: 'Create demo account' }).click()
      await expect.poll(() => page.getByRole('region', { name: 'Balances' }).getByText(/10,?000/).first().isVisible(), SLOW).toBe(true)
      await shot(page, 'demo-account')

      // ---- A Smart Trade on it: long 0.01 BTC at market, a near first target, a far second, a wide stop.
      await openFromNav(page, 'Trade')
      await expect.poll(() => page.getByRole('button', { name: 'Start the Smart Trade' }).isVisible(), SLOW).toBe(true)
      await page.getByLabel('Symbol', { exact: true }).fill('BTC/USDT')
      await page.getByLabel('Amount', { exact: true }).fill('0.01')
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByLabel('Percent', { exact: true }).nth(0).fill('0.3')
      await page.getByLabel('Share (%)', { exact: true }).nth(0).fill('50')
      await page.getByLabel('Percent', { exact: true }).nth(1).fill('20')
      await page.getByLabel('Share (%)', { exact: true }).nth(1).fill('50')
      await page.getByLabel('Stop', { exact: true }).selectOption('percent')
      await page.getByLabel('Stop distance (%)').fill('15')
      await shot(page, 'smart-trade-form')
      await page.getByRole('button', { name: 'Start the Smart Trade' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'BTC/USDT · Long' }).isVisible(), SLOW).toBe(true)
      const tradeId = new URL(page.url()).pathname.split('/').pop() ?? ''
      // The replay moves the price; the first target fills, the second still waits.
      const targets = page.getByRole('region', { name: 'Take-profit targets', exact: true })
      await expect.poll(() => rowsWith(page, targets, 'Filled').count(), { timeout: 120_000, interval: 500 }).toBe(1)
      await expect.poll(() => rowsWith(page, targets, 'Open').count(), SLOW).toBe(1)
      const trade = await inWorkspace<Json>(`/bots/${tradeId}`)
      expect(trade.status).toBe('running')
      expect(Number((trade.live as Json).position)).toBeLessThan(0.0051) // half sold at the first target
      await shot(page, 'smart-trade-first-target')

      // ---- A Signal Bot: created, started, sent a webhook, and its order is there.
      await openFromNav(page, 'Bots')
      await expect.poll(() => page.getByRole('button', { name: 'Create the bot' }).isVisible(), SLOW).toBe(true)
      await page.getByLabel('Name', { exact: true }).fill('TV breakout')
      await page.getByLabel('Symbols', { exact: true }).fill('BTC/USDT')
      await page.getByRole('radio', { name: 'In the base currency (BTC)' }).check()
      await page.getByLabel('Amount per entry (base)').fill('0.01')
      await page.getByLabel('Take profit (%)', { exact: true }).fill('5')
      await page.getByLabel('Stop loss (%)', { exact: true }).fill('5')
      await page.getByLabel('Other allowed senders').fill('127.0.0.1\n::1') // this test sends from this machine
      await page.getByRole('button', { name: 'Create the bot' }).click()
      const botCard = page.getByRole('region', { name: 'TV breakout', exact: true })
      await expect.poll(() => botCard.isVisible(), SLOW).toBe(true)
      const botId = new URL(page.url()).pathname.split('/').pop() ?? ''
      const webhook = page.getByRole('region', { name: 'Webhook', exact: true })
      await webhook.getByRole('button', { name: 'Reveal' }).click()
      const webhookSecret = ((await webhook.locator('.facts__row').filter({ hasText: 'Secret' }).locator('code').textContent()) ?? '').trim()
      await webhook.getByRole('button', { name: 'Hide' }).click()
      await botCard.getByRole('button', { name: 'Start', exact: true }).click()
      await expect.poll(() => botCard.getByText('Running', { exact: true }).first().isVisible(), SLOW).toBe(true)
      const signal = await fetch(`${base}/api/hooks/signal/${botId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: webhookSecret, action: 'enter_long', symbol: 'BTCUSDT', timestamp: new Date().toISOString(), signalId: 'journey-1' }),
      })
      expect(signal.status).toBe(202)
      await expect.poll(() => rowsWith(page, page.getByRole('region', { name: 'Signal log', exact: true }), 'journey-1', 'Accepted').count(), SLOW).toBe(1)
      const botOrders = page.getByRole('region', { name: 'Orders', exact: true })
      await expect.poll(() => rowsWith(page, botOrders, 'Entry', 'Filled').count(), SLOW).toBe(1)
      await shot(page, 'signal-bot-order')

      // ---- The audit log: verified, and each step of the workspace there (filtered as a person would).
      await openFromNav(page, 'Audit')
      const verification = page.getByRole('status', { name: 'Audit log verification' })
      await expect.poll(() => verification.getByText(/^Verified ✓/).isVisible(), SLOW).toBe(true)
      await shot(page, 'audit-verified')
      const entries = page.getByRole('region', { name: 'Audit entries' })
      // The workspace's chain: the sign-up made the workspace; the refused key and the passkey offered to the signer are there too.
      for (const type of ['workspace_created', 'key_connect_refused', 'exchange_account_connected', 'passkey_trust_pending', 'demo_account_created', 'smart_trade_created', 'signal_bot_created', 'bot_started']) {
        await page.getByLabel('Event type').fill(type)
        await page.getByRole('button', { name: 'Apply filters' }).click()
        await expect.poll(() => entries.getByText(type, { exact: true }).count(), SLOW).toBeGreaterThan(0)
      }
      await shot(page, 'audit-filtered')
      // The person's own steps (sign-up, address, factors) are in the instance's chain, listed for them alone.
      const account = page.getByRole('status', { name: 'Account events verification' })
      await expect.poll(() => account.getByText(/^Verified ✓/).isVisible(), SLOW).toBe(true)
      const own = page.getByRole('region', { name: 'Your account events' })
      for (const type of ['user_registered', 'email_verified', 'login_succeeded', 'totp_enabled', 'passkey_added']) {
        await expect.poll(() => own.getByText(type, { exact: true }).count(), SLOW).toBeGreaterThan(0)
      }
      await own.scrollIntoViewIfNeeded()
      await shot(page, 'audit-account-events')

      // ---- Lockdown from the red button: this browser is signed out with everyone else.
      await page.getByRole('banner').getByRole('button', { name: 'Lock everything down' }).click()
      const dialog = page.getByRole('dialog', { name: 'Lock everything down?' })
      await expect.poll(() => dialog.isVisible(), SLOW).toBe(true)
      await dialog.getByLabel('Reason (optional)').fill('journey test')
      await shot(page, 'lockdown-dialog', 'viewport')
      await dialog.getByRole('button', { name: 'Yes, lock everything down' }).click()
      await confirmIfAsked(() => page.getByRole('heading', { name: 'Everything is locked down' }).isVisible())
      await expect.poll(() => page.getByText('You have been signed out, like everyone else in the workspace.').isVisible(), SLOW).toBe(true)
      expect((await page.request.get(`${base}/api/me`)).status()).toBe(401)
      await shot(page, 'locked-down')

      // ---- Signed in again (the passkey as second factor): the key is disabled and the bots stopped, and the pages say so.
      await page.getByRole('link', { name: 'Sign in again' }).click()
      await signIn(page, 'passkey')
      await expect.poll(() => page.getByText(/is locked down\./).first().isVisible(), SLOW).toBe(true)
      expect((await listAccounts()).map((a) => [a.label, a.state])).toEqual([['Main', 'disabled']])
      const bots = await inWorkspace<Json[]>('/bots')
      expect(bots.filter((b) => b.id === botId || b.id === tradeId).map((b) => b.status)).toEqual(['stopped', 'stopped'])
      await openFromNav(page, 'Exchange accounts')
      await expect.poll(() => page.getByRole('list', { name: 'Status of Main' }).getByText('Disabled', { exact: true }).isVisible(), SLOW).toBe(true)
      await shot(page, 'locked-key-disabled')
      await openFromNav(page, 'Bots')
      await expect.poll(() => rowsWith(page, page.getByRole('main'), 'TV breakout', 'Stopped').count(), SLOW).toBe(1)
      await shot(page, 'locked-bots-stopped')

      // ---- Unlock: password + authenticator code, the emailed confirmation, then the waiting period.
      await page.getByRole('link', { name: 'Open the incident' }).first().click()
      await expect.poll(() => page.getByRole('list', { name: 'Timeline' }).getByText('Lockdown started').isVisible(), SLOW).toBe(true)
      await page.getByLabel('Your password', { exact: true }).fill(USER.password)
      await page.getByLabel('Authenticator code').fill(await nextCode())
      await page.getByRole('button', { name: 'Request the unlock' }).click()
      await expect.poll(() => page.getByText('Check your email.').isVisible(), SLOW).toBe(true)
      await shot(page, 'unlock-requested')
      let confirmLink: string | undefined
      await expect.poll(async () => (confirmLink = await newestLink(env, USER.email, '/confirm-unlock')), SLOW).toBeDefined()
      await page.goto(confirmLink ?? '')
      await page.getByRole('button', { name: 'Confirm the unlock' }).click()
      await expect.poll(() => page.getByText('Unlock confirmed', { exact: true }).or(page.getByText('Workspace unlocked', { exact: true })).first().isVisible(), SLOW).toBe(true)
      await page.goto(`${base}/incidents`)
      await expect.poll(() => page.getByRole('heading', { name: 'Bring keys back' }).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true)
      expect((await inWorkspace('/lockdown')).locked).toBe(false)
      await shot(page, 'unlocked')

      // ---- And the audit log has the lockdown and the unlock, still verified.
      await openFromNav(page, 'Audit')
      await expect.poll(() => page.getByRole('status', { name: 'Audit log verification' }).getByText(/^Verified ✓/).isVisible(), SLOW).toBe(true)
      for (const type of ['lockdown_triggered', 'unlock_confirmed']) {
        await page.getByLabel('Event type').fill(type)
        await page.getByRole('button', { name: 'Apply filters' }).click()
        await expect.poll(() => page.getByRole('region', { name: 'Audit entries' }).getByText(type, { exact: true }).count(), SLOW).toBeGreaterThan(0)
      }
      await shot(page, 'audit-after-unlock')
      passkeys = await authenticator.credentials() // with the signature counter its sign-in moved on
      expect(problems).toEqual([])
    } catch (err) {
      await shot(page, 'failed')
      if (problems.length > 0) console.error(`console problems before the failure:\n${problems.join('\n')}`)
      throw err
    }
  }, 600_000)

  it('signs in with the passkey alone, on another device that holds it', async () => {
    expect(passkeys).toHaveLength(1) // registered by the journey
    const device = await browser?.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
    if (device === undefined) throw new Error('no browser')
    const other = await device.newPage()
    watchProblems(other, problems)
    try {
      await (await addVirtualAuthenticator(device, other)).importCredentials(passkeys)
      await other.goto(base)
      await expect.poll(() => other.getByRole('button', { name: 'Sign in with a passkey' }).isVisible(), SLOW).toBe(true)
      await shot(other, 'passkey-sign-in')
      await other.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await expect.poll(() => other.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => other.getByRole('banner').getByText(USER.email).isVisible(), SLOW).toBe(true)
      const me = (await (await other.request.get(`${base}/api/me`)).json()) as { user: { email: string } }
      expect(me.user.email).toBe(USER.email)
      await shot(other, 'passkey-signed-in')
      expect(problems).toEqual([])
    } catch (err) {
      await shot(other, 'failed-passkey-sign-in')
      throw err
    } finally {
      await device.close()
    }
  }, 120_000)

  it('asks for a fresh confirmation before a sensitive change, says so when cancelled, and retries the change after it', async () => {
    // The operator signed in with the password alone, then turned on the authenticator app: the next sensitive change asks for it.
    const desk = await browser?.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
    if (desk === undefined || platform === undefined) throw new Error('no browser')
    const ops = await desk.newPage()
    watchProblems(ops, problems)
    try {
      await ops.goto(base)
      await ops.getByLabel('Email', { exact: true }).fill(platform.operator.email)
      await ops.getByLabel('Password', { exact: true }).fill(platform.operator.password)
      await ops.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => ops.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
      await openFromNav(ops, 'Settings')
      await ops.getByRole('link', { name: 'Account security' }).click()
      await ops.getByRole('button', { name: 'Set up authenticator app' }).click()
      await expect.poll(() => ops.locator('.totp__secret code').isVisible(), SLOW).toBe(true)
      const opsCode = totpCodes(((await ops.locator('.totp__secret code').textContent()) ?? '').replace(/\s+/g, ''))
      await ops.getByLabel('Code from the app').fill(await opsCode())
      await ops.getByRole('button', { name: 'Turn on two-factor' }).click()
      await ops.getByLabel('I have saved these codes somewhere safe').check()
      await ops.getByRole('button', { name: 'Done' }).click()

      await openFromNav(ops, 'Settings')
      await ops.getByRole('link', { name: 'API tokens' }).click()
      await ops.getByLabel('Token name').fill('CI deploy')
      const create = ops.getByRole('button', { name: 'Create token' })
      const stepUp = ops.getByRole('dialog', { name: "Confirm it's you" })
      await create.click()
      await expect.poll(() => stepUp.isVisible(), SLOW).toBe(true)
      await shot(ops, 'step-up-prompt', 'viewport')
      // Cancelled: a sentence by the button, nothing made.
      await stepUp.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => ops.getByText('Nothing was changed: the confirmation was cancelled.').isVisible(), SLOW).toBe(true)
      await shot(ops, 'step-up-cancelled')
      // Again, and confirmed: the waiting request is sent again by itself after the check.
      await create.click()
      await expect.poll(() => stepUp.isVisible(), SLOW).toBe(true)
      await stepUp.getByRole('radio', { name: 'Use the authenticator app' }).check()
      await stepUp.getByLabel('Authenticator code').fill(await opsCode())
      await stepUp.getByRole('button', { name: 'Confirm' }).click()
      await expect.poll(() => ops.getByRole('heading', { name: 'Copy your new token "CI deploy"' }).isVisible(), SLOW).toBe(true)
      await ops.getByRole('button', { name: 'Done' }).click()
      await expect.poll(() => ops.getByRole('list', { name: 'Your API tokens' }).getByRole('button', { name: 'Revoke token CI deploy' }).isVisible(), SLOW).toBe(true)
      const tokens = (await (await ops.request.get(`${base}/api/tokens`)).json()) as { name: string }[]
      expect(tokens.map((t) => t.name)).toEqual(['CI deploy'])
      await shot(ops, 'step-up-retried')
      expect(problems).toEqual([])
    } catch (err) {
      await shot(ops, 'failed-step-up')
      throw err
    } finally {
      await desk.close()
    }
  }, 180_000)

  it('switches to the dark theme from the header, and keeps it after a reload', async () => {
    await page.goto(base)
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
    const theme = () => page.evaluate('document.documentElement.dataset.theme ?? "system"')
    await page.getByRole('banner').getByRole('button', { name: 'Switch to dark theme' }).click()
    await expect.poll(theme).toBe('dark')
    await shot(page, 'dark-overview')
    for (const [link, name] of [['Trade', 'dark-trade'], ['Exchange accounts', 'dark-exchange-accounts'], ['Bots', 'dark-bots'], ['Audit', 'dark-audit']] as const) {
      await openFromNav(page, link)
      await expect.poll(() => mainNav(page).getByRole('link', { name: link, exact: true }).getAttribute('aria-current'), SLOW).toBe('page')
      await expect.poll(() => isSettled(page), SLOW).toBe(true)
      await shot(page, name)
    }
    await page.reload()
    await expect.poll(() => page.getByRole('banner').getByRole('button', { name: 'Switch to light theme' }).isVisible(), SLOW).toBe(true)
    expect(await theme()).toBe('dark')
    await page.getByRole('banner').getByRole('button', { name: 'Switch to light theme' }).click()
    await expect.poll(theme).toBe('light')
    expect(problems).toEqual([])
  }, 120_000)

  it('fits a phone: the navigation waits behind Menu, and no page is pushed sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(base)
    const menu = page.getByRole('button', { name: 'Menu', exact: true })
    await expect.poll(() => menu.isVisible(), SLOW).toBe(true)
    expect(await menu.getAttribute('aria-expanded')).toBe('false')
    expect(await mainNav(page).isVisible()).toBe(false)
    await shot(page, 'phone-overview')
    await menu.click()
    await expect.poll(() => mainNav(page).isVisible()).toBe(true)
    expect(await menu.getAttribute('aria-expanded')).toBe('true')
    await shot(page, 'phone-menu-open', 'viewport')
    await page.keyboard.press('Escape')
    await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('false')
    for (const [link, name] of [['Trade', 'phone-trade'], ['Bots', 'phone-bots'], ['Exchange accounts', 'phone-exchange-accounts'], ['Demo accounts', 'phone-demo'], ['Audit', 'phone-audit'], ['Settings', 'phone-settings']] as const) {
      await openFromNav(page, link) // through the Menu, which closes on the way
      await expect.poll(() => menu.getAttribute('aria-expanded'), SLOW).toBe('false')
      await expect.poll(() => isSettled(page), SLOW).toBe(true)
      expect(await hasNoHorizontalOverflow(page), `${link} is wider than the phone`).toBe(true)
      await shot(page, name)
    }
    expect(problems).toEqual([])
  }, 120_000)

  it('stops cleanly when asked (SIGTERM), the signer with it', async () => {
    await browser?.close()
    browser = undefined
    expect(await platform?.stop()).toBe(0)
  }, 60_000)
})

/** Step 1 of connecting a key: the Binance card. */
const chooseBinance = async (page: Page) => {
  await page.getByRole('list', { name: 'Exchanges' }).getByRole('button', { name: 'Binance, spot', exact: true }).click()
}

/** Step 3: a key created at Binance (the system-generated kind), pasted and sealed in this browser. */
const sealKey = async (page: Page, label: string, key: { apiKey: string; secret: string }) => {
  await page.getByRole('radio', { name: 'System-generated key: paste the API key and secret' }).check()
  await page.getByLabel('Account name').fill(label)
  await page.getByLabel('API Key', { exact: true }).fill(key.apiKey)
  await page.getByLabel('Secret Key', { exact: true }).fill(key.secret)
  await page.getByRole('button', { name: 'Seal and connect' }).click()
}
