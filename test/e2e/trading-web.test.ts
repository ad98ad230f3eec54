import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-trading-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const SLOW = { timeout: 30_000, interval: 250 }

const shot = (page: Page, name: string) => page.screenshot({ path: join('test-results', `trading-${name}.png`), fullPage: true })

type BotJson = { id: string; status: string; live: Record<string, unknown> }

/**
 * Trading in Chromium against the real platform (dist/, the real signer, the demo exchange fed by the
 * bundled replay): a Smart Trade on a Demo Spot account is started with two targets and a stop, followed
 * to its open position (stop triggered by Bulwark, the entry filled) and closed at market; a webhook
 * Signal Bot is created, started and sent a signal by HTTP with the secret its page shows, which it logs
 * and acts on; the kill switch halts trading and pauses the bot. The page is checked against what the
 * API returns for the same bot, and screenshots of each step (light and dark) go to test-results/.
 */
describe.runIf(hasChromium)('trading in Chromium', () => {
  it('runs a Smart Trade and a webhook Signal Bot on a demo account, then stops all trading', async () => {
    const port = await freePort()
    const env = { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}`, MARKET_REPLAY_SPEED: '60' }
    proc = spawnBulwark(['start'], env)
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    expect((await runBulwark(['init', '--email', 'ops@example.com', '--password-stdin'], env, `${PASSWORD}\n`)).code).toBe(0)

    const browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    try {
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(base)
      await page.getByLabel('Email', { exact: true }).fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true)
      // The API as this browser session sees it, to hold the page to what the server says.
      const me = (await (await page.request.get(`${base}/api/me`)).json()) as { workspaces: { id: string }[] }
      const workspaceId = me.workspaces[0]?.id ?? ''
      const botJson = async (id: string): Promise<BotJson> => (await (await page.request.get(`${base}/api/workspaces/${workspaceId}/bots/${id}`)).json()) as BotJson
      // Table rows having an element whose whole text is each of `texts` (a cell, a badge).
      const rowsWith = (within: Locator, ...texts: string[]) => texts.reduce((rows, text) => rows.filter({ has: page.getByText(text, { exact: true }) }), within.getByRole('row'))
      const idFromUrl = () => new URL(page.url()).pathname.split('/').pop() ?? ''

      // A Demo Spot account to trade on.
      const nav = page.getByRole('navigation', { name: 'Main' })
      await nav.getByRole('link', { name: 'Demo accounts', exact: true }).click()
      await page.getByLabel('Account name').fill('Paper')
      await page.getByRole('radio', { name: 'Demo Spot' }).check()
      await page.getByRole('button', { name: 'Create demo account' }).click()
      await expect.poll(() => page.getByRole('region', { name: 'Balances' }).getByText(/10,?000/).first().isVisible(), SLOW).toBe(true)

      // ---- Smart Trade: long 0.01 BTC at market, two targets, a 3 % stop.
      await nav.getByRole('link', { name: 'Trade', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Start the Smart Trade' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('No Smart Trades yet.').isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText(/Stops: triggered by Bulwark/).isVisible()).toBe(true) // spot: the take-profit sells hold the coins
      await page.getByLabel('Symbol', { exact: true }).fill('BTC/USDT')
      await page.getByLabel('Amount', { exact: true }).fill('0.01')
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByLabel('Percent', { exact: true }).nth(0).fill('2')
      await page.getByLabel('Share (%)', { exact: true }).nth(0).fill('50')
      await page.getByLabel('Percent', { exact: true }).nth(1).fill('4')
      await page.getByLabel('Share (%)', { exact: true }).nth(1).fill('50')
      await page.getByLabel('Stop', { exact: true }).selectOption('percent')
      await page.getByLabel('Stop distance (%)').fill('3')
      await shot(page, '01-smart-trade-form')
      await page.getByRole('button', { name: 'Start the Smart Trade' }).click()

      // Its page: the market entry fills on the demo exchange, the targets and the Bulwark-triggered stop follow.
      await expect.poll(() => page.getByRole('heading', { name: 'BTC/USDT · Long' }).isVisible(), SLOW).toBe(true)
      const tradeId = idFromUrl()
      const live = page.locator('dl[aria-label="Live state"]')
      await expect.poll(() => live.getByText('Position open').isVisible(), SLOW).toBe(true)
      await expect.poll(() => live.getByText('triggered by Bulwark').isVisible()).toBe(true)
      const tradeOrders = page.getByRole('region', { name: 'Orders', exact: true })
      await expect.poll(() => rowsWith(tradeOrders, 'Entry', 'Filled').count(), SLOW).toBe(1)
      await expect.poll(() => rowsWith(tradeOrders, 'Take profit').count(), SLOW).toBe(2)
      const targets = page.getByRole('region', { name: 'Take-profit targets', exact: true })
      await expect.poll(() => rowsWith(targets, 'Open').count(), SLOW).toBe(2)
      // The page says what the API says.
      const opened = await botJson(tradeId)
      expect(opened.live).toMatchObject({ kind: 'smart_trade', phase: 'open', stopPlacement: 'platform' })
      // 0.01 bought; a spot venue may keep its fee in BTC, which is then not held.
      expect(Number(opened.live.position)).toBeGreaterThan(0.0099)
      expect(Number(opened.live.position)).toBeLessThanOrEqual(0.01)
      await expect.poll(() => live.getByText(`${String(opened.live.position)} BTC`).isVisible()).toBe(true)
      expect(typeof opened.live.averageEntry).toBe('string')
      expect(typeof opened.live.stopPrice).toBe('string')
      await expect.poll(() => live.getByText(`${String(opened.live.averageEntry)} USDT`).isVisible()).toBe(true)
      await expect.poll(() => live.getByText(`${String(opened.live.stopPrice)} USDT`).isVisible()).toBe(true)
      await shot(page, '02-smart-trade-open')

      // In the list, and back.
      await page.getByRole('link', { name: '← All Smart Trades' }).click()
      const list = page.getByRole('region', { name: 'Smart Trades', exact: true })
      await expect.poll(() => rowsWith(list, 'Position open', 'Paper (demo)').count(), SLOW).toBe(1)
      await shot(page, '03-smart-trades-list')
      await list.getByRole('link', { name: 'BTC/USDT' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'BTC/USDT · Long' }).isVisible(), SLOW).toBe(true)

      // Close at market, confirmed: the targets are cancelled, the rest is sold, the trade finishes.
      await page.getByRole('button', { name: 'Close at market' }).click()
      await page.getByRole('button', { name: 'Yes, close it' }).click()
      const tradeCard = page.getByRole('region', { name: 'BTC/USDT · Long', exact: true })
      await expect.poll(() => tradeCard.getByText('Finished', { exact: true }).first().isVisible(), SLOW).toBe(true)
      await expect.poll(() => live.getByText(/closed at market by the user/).isVisible(), SLOW).toBe(true)
      await expect.poll(() => rowsWith(tradeOrders, 'Close', 'Filled').count(), SLOW).toBe(1)
      await expect.poll(() => rowsWith(tradeOrders, 'Take profit', 'Cancelled').count(), SLOW).toBe(2)
      expect(await rowsWith(tradeOrders, 'Rejected').count()).toBe(0)
      const closed = await botJson(tradeId)
      expect(closed.status).toBe('finished')
      expect(closed.live).toMatchObject({ phase: 'finished', position: '0', exitReason: 'close' })
      await shot(page, '04-smart-trade-closed')

      // ---- Signal Bot: a webhook bot on the demo account.
      await nav.getByRole('link', { name: 'Bots', exact: true }).click()
      await expect.poll(() => page.getByRole('button', { name: 'Create the bot' }).isVisible(), SLOW).toBe(true)
      await page.getByLabel('Name', { exact: true }).fill('TV breakout')
      await page.getByLabel('Symbols', { exact: true }).fill('BTC/USDT')
      await page.getByRole('radio', { name: 'In the base currency (BTC)' }).check()
      await page.getByLabel('Amount per entry (base)').fill('0.01')
      await page.getByLabel('Take profit (%)', { exact: true }).fill('5')
      await page.getByLabel('Stop loss (%)', { exact: true }).fill('5')
      // TradingView's senders stay allowed; this test sends from this machine.
      await page.getByLabel('Other allowed senders').fill('127.0.0.1\n::1')
      await shot(page, '05-signal-bot-form')
      await page.getByRole('button', { name: 'Create the bot' }).click()

      const botCard = page.getByRole('region', { name: 'TV breakout', exact: true })
      await expect.poll(() => botCard.isVisible(), SLOW).toBe(true)
      const botId = idFromUrl()
      const webhook = page.getByRole('region', { name: 'Webhook', exact: true })
      await expect.poll(() => webhook.getByText(`${base}/api/hooks/signal/${botId}`).isVisible()).toBe(true)
      await expect.poll(() => webhook.getByText('hidden').count()).toBe(1) // the secret is masked until revealed
      const message = webhook.getByLabel('TradingView alert message')
      expect(await message.inputValue()).toContain('"action": "enter_long"')
      expect(await message.inputValue()).toContain('"secret": "••••')
      await expect.poll(() => botCard.getByText('Nothing to report yet', { exact: false }).isVisible()).toBe(true)
      await shot(page, '06-signal-bot-created')
      await webhook.getByRole('button', { name: 'Reveal' }).click()
      const secret = ((await webhook.locator('.facts__row').filter({ hasText: 'Secret' }).locator('code').textContent()) ?? '').trim()
      expect(secret.length).toBeGreaterThanOrEqual(16)
      expect(await message.inputValue()).toContain(secret)
      await webhook.getByRole('button', { name: 'Hide' }).click()

      await botCard.getByRole('button', { name: 'Start', exact: true }).click()
      await expect.poll(() => botCard.getByText('Running', { exact: true }).first().isVisible(), SLOW).toBe(true)

      // A signal, as TradingView would send it ({{ticker}} is "BTCUSDT").
      const signal = await fetch(`${base}/api/hooks/signal/${botId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret, action: 'enter_long', symbol: 'BTCUSDT', timestamp: new Date().toISOString(), signalId: 'e2e-enter-1' }),
      })
      expect(signal.status).toBe(202)
      const signalLog = page.getByRole('region', { name: 'Signal log', exact: true })
      await expect.poll(() => rowsWith(signalLog, 'e2e-enter-1', 'Accepted').count(), SLOW).toBe(1)
      const botOrders = page.getByRole('region', { name: 'Orders', exact: true })
      await expect.poll(() => rowsWith(botOrders, 'Entry', 'Filled').count(), SLOW).toBe(1)
      await expect.poll(() => rowsWith(botOrders, 'Take profit', 'Open').count(), SLOW).toBe(1)
      expect(await rowsWith(botOrders, 'Rejected').count()).toBe(0)
      const positions = page.getByRole('region', { name: 'Positions', exact: true })
      await expect.poll(() => rowsWith(positions, 'p1', 'Position open').count(), SLOW).toBe(1)
      const decisions = page.getByRole('region', { name: 'Decisions on signals', exact: true })
      await expect.poll(() => rowsWith(decisions, 'Accepted').count(), SLOW).toBe(1)
      const running = await botJson(botId)
      const btc = (running.live.positions as Record<string, Record<string, unknown>> | undefined)?.['BTC/USDT']
      expect(btc).toMatchObject({ position: 'p1', side: 'long', phase: 'open', stopPlacement: 'platform' })
      expect(Number(btc?.amount)).toBeGreaterThan(0.0099) // 0.01 bought, less a fee kept in BTC
      await expect.poll(() => positions.getByText(String(btc?.averageEntry)).isVisible()).toBe(true)
      await shot(page, '07-signal-bot-signal')

      // ---- Kill switch: everything stops, the bot is paused.
      await page.getByRole('button', { name: 'Stop all trading' }).click()
      await page.getByLabel('Reason', { exact: true }).fill('end-to-end test')
      await page.getByRole('button', { name: 'Yes, stop all trading' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Trading is halted' }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByText('Reason: “end-to-end test”.', { exact: false }).isVisible()).toBe(true)
      await expect.poll(() => botCard.getByText('Paused', { exact: true }).first().isVisible(), SLOW).toBe(true)
      expect((await botJson(botId)).status).toBe('paused')
      // Its spot stop is Bulwark's to trigger, and a paused bot watches nothing: the page says so.
      await expect.poll(() => botCard.getByText(/Bulwark is not watching the stop of BTC\/USDT at /).isVisible(), SLOW).toBe(true)
      await shot(page, '08-halted')

      // The same pages in the dark theme.
      await page.emulateMedia({ colorScheme: 'dark' })
      await shot(page, '09-halted-dark')
      await page.goto(`${base}/smart-trades/${tradeId}`)
      await expect.poll(() => live.getByText(/closed at market by the user/).isVisible(), SLOW).toBe(true)
      await shot(page, '10-smart-trade-closed-dark')
      // And on a phone: tables scroll inside their cards, nothing pushes the page sideways.
      await page.setViewportSize({ width: 390, height: 844 })
      await page.emulateMedia({ colorScheme: 'light' })
      await page.goto(`${base}/bots/${botId}`)
      await expect.poll(() => botCard.getByText('Paused', { exact: true }).first().isVisible(), SLOW).toBe(true)
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390)
      await shot(page, '11-signal-bot-phone')

      expect(problems.filter((p) => !/status of 40[0-3]/.test(p))).toEqual([])
    } catch (err) {
      await shot(page, 'failed') // what the page showed when a step did not come
      throw err
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }, 240_000)
})
