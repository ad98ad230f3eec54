import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-trade-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const PASSWORD = 'a long enough passphrase for the operator'
const SLOW = { timeout: 30_000, interval: 250 }
const SHOTS = join('test-results', 'trade')

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

/** A line's grip on the chart: where the chart drew the line (its box) and at which price (data-price). */
const grip = (page: Page, id: string): Locator => page.locator(`.trade-chart__handle[data-line="${id}"]`)
const priceOf = async (line: Locator): Promise<number> => Number(await line.getAttribute('data-price'))
const middleY = async (line: Locator): Promise<number> => {
  const box = await line.boundingBox()
  if (box === null) throw new Error('the line is not on the chart')
  return box.y + box.height / 2
}

/**
 * The Trade page in Chromium against the real platform (dist/, the real signer, the demo exchange fed
 * by the bundled replay): on a Demo Spot account the chart shows candles with the Smart Trade form's
 * entry, targets and stop as lines; dragging the first target's line with the mouse changes its field,
 * typing a stop price moves the stop's line, and the trade started from the form is listed below.
 * Screenshots (light, dark, phone) go to test-results/trade/.
 */
describe.runIf(hasChromium)('the Trade page in Chromium', () => {
  it('plans a Smart Trade on the chart: lines follow the form, a dragged line changes it', async () => {
    mkdirSync(SHOTS, { recursive: true })
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

      // A Demo Spot account to trade on.
      await page.goto(`${base}/demo`)
      await page.getByLabel('Account name').fill('Paper')
      await page.getByRole('radio', { name: 'Demo Spot' }).check()
      await page.getByRole('button', { name: 'Create demo account' }).click()
      await expect.poll(() => page.getByRole('region', { name: 'Balances' }).getByText(/10,?000/).first().isVisible(), SLOW).toBe(true)

      // The Trade page starts on the account's first market, with its candles and the market entry's line.
      await page.goto(`${base}/trade`)
      await expect.poll(() => page.getByRole('heading', { name: 'Trade', level: 2 }).isVisible(), SLOW).toBe(true)
      await expect.poll(() => page.getByLabel('Symbol', { exact: true }).inputValue(), SLOW).toBe('BTC/USDT')
      const chart = page.getByRole('region', { name: 'BTC/USDT chart' })
      await expect.poll(() => chart.locator('canvas').count(), SLOW).toBeGreaterThan(0)
      // The canvas in words: candles have arrived (a last close), and the data source is on show.
      await expect.poll(async () => (await chart.getByRole('img').getAttribute('aria-label')) ?? '', SLOW).toMatch(/^BTC\/USDT 1m candles, last close \d/)
      await expect.poll(() => chart.getByText('Market data source:', { exact: false }).count()).toBe(1)
      await expect.poll(() => chart.getByText(/Replay/i).first().isVisible(), SLOW).toBe(true)
      await expect.poll(() => grip(page, 'entry').isVisible(), SLOW).toBe(true)
      const entry = await priceOf(grip(page, 'entry'))
      expect(entry).toBeGreaterThan(0)

      // A refusal is said beside the field that caused it, which takes focus: a perpetual on a spot account.
      const symbolField = page.getByLabel('Symbol', { exact: true })
      await symbolField.fill('BTC/USDT:USDT')
      await page.getByRole('button', { name: 'Start the Smart Trade' }).click()
      await expect.poll(() => symbolField.getAttribute('aria-invalid')).toBe('true')
      await expect.poll(() => page.getByText('"BTC/USDT:USDT" is a perpetual and this is a spot account', { exact: false }).isVisible()).toBe(true)
      await expect.poll(() => symbolField.evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true)
      await expect.poll(() => page.getByText('No chart for “BTC/USDT:USDT”', { exact: false }).isVisible()).toBe(true)
      await symbolField.fill('BTC/USDT')
      await expect.poll(() => grip(page, 'entry').isVisible(), SLOW).toBe(true)

      // Two targets and a stop typed in the form: each gets its line, the targets above the entry, the stop below.
      await page.getByLabel('Amount', { exact: true }).fill('0.01')
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByRole('button', { name: 'Add a target' }).click()
      await page.getByLabel('Percent', { exact: true }).nth(0).fill('0.2')
      await page.getByLabel('Share (%)', { exact: true }).nth(0).fill('50')
      await page.getByLabel('Percent', { exact: true }).nth(1).fill('0.4')
      await page.getByLabel('Share (%)', { exact: true }).nth(1).fill('50')
      await expect.poll(() => grip(page, 'tp1').isVisible(), SLOW).toBe(true)
      await expect.poll(() => grip(page, 'tp1').textContent()).toContain('TP1 +0.2 %')
      await page.getByLabel('Stop', { exact: true }).selectOption('price')
      const stop = String(Math.floor(entry * 0.997))
      await page.getByLabel('Stop price', { exact: true }).fill(stop)
      await expect.poll(() => grip(page, 'sl').getAttribute('data-price')).toBe(stop)
      await expect.poll(() => grip(page, 'sl').isVisible(), SLOW).toBe(true)
      const stopY = await middleY(grip(page, 'sl'))
      expect(stopY).toBeGreaterThan(await middleY(grip(page, 'entry'))) // below the entry
      // Typing another stop moves its line further down.
      const lowerStop = String(Math.floor(entry * 0.995))
      await page.getByLabel('Stop price', { exact: true }).fill(lowerStop)
      await expect.poll(() => grip(page, 'sl').getAttribute('data-price')).toBe(lowerStop)
      await expect.poll(() => middleY(grip(page, 'sl'))).toBeGreaterThan(stopY)
      // The chart is sticky beside the long form: a full-page shot from the top shows both where they start.
      await page.evaluate('window.scrollTo(0, 0)')
      await shot(page, 'light-1280')
      await chart.screenshot({ path: join(SHOTS, 'chart-light.png') })

      // Dragging the first target's line up with the mouse: the target stays a percentage, now further from the entry.
      const tp1Before = await priceOf(grip(page, 'tp1'))
      const canvasBox = await chart.getByRole('img').boundingBox()
      if (canvasBox === null) throw new Error('no chart on screen')
      const x = canvasBox.x + canvasBox.width * 0.4
      const y = await middleY(grip(page, 'tp1'))
      await page.mouse.move(x, y)
      await page.mouse.down()
      await page.mouse.move(x, y - 25, { steps: 5 })
      await page.mouse.up()
      const tp1Field = page.getByLabel('Percent', { exact: true }).nth(0)
      await expect.poll(async () => Number(await tp1Field.inputValue())).toBeGreaterThan(0.2)
      const dragged = await tp1Field.inputValue()
      expect(dragged).toMatch(/^\d+(\.\d{1,2})?$/) // to 0.01 %, as the schema takes it
      expect(await priceOf(grip(page, 'tp1'))).toBeGreaterThan(tp1Before)
      await expect.poll(() => grip(page, 'tp1').textContent()).toContain(`TP1 +${dragged} %`)
      // The other target did not move.
      expect(await page.getByLabel('Percent', { exact: true }).nth(1).inputValue()).toBe('0.4')

      // Dark theme, then start the trade: it opens, and it is listed on the Trade page.
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.evaluate('window.scrollTo(0, 0)')
      await shot(page, 'dark-1280')
      await chart.screenshot({ path: join(SHOTS, 'chart-dark.png') })
      await page.emulateMedia({ colorScheme: 'light' })
      await page.getByRole('button', { name: 'Start the Smart Trade' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'BTC/USDT · Long' }).isVisible(), SLOW).toBe(true)
      await page.goto(`${base}/trade`)
      const list = page.getByRole('region', { name: 'Smart Trades', exact: true })
      await expect.poll(() => list.getByRole('row').filter({ has: page.getByRole('link', { name: 'BTC/USDT' }) }).count(), SLOW).toBe(1)
      await expect.poll(() => list.getByText('Paper (demo)').isVisible()).toBe(true)

      // On a phone: chart and form stacked, nothing pushes the page sideways.
      await page.setViewportSize({ width: 390, height: 844 })
      await expect.poll(() => grip(page, 'entry').isVisible(), SLOW).toBe(true)
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390)
      await shot(page, 'phone-390')

      // A finger on a touch phone (the same session): the first target's line dragged up, and the page
      // does not scroll under the finger meanwhile.
      const phone = await browser.newContext({ storageState: await page.context().storageState(), viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true })
      const touchPage = await phone.newPage()
      touchPage.on('pageerror', (e) => problems.push(e.message))
      await touchPage.goto(`${base}/trade`)
      await expect.poll(() => touchPage.getByLabel('Symbol', { exact: true }).inputValue(), SLOW).toBe('BTC/USDT')
      await touchPage.getByRole('button', { name: 'Add a target' }).click()
      const touchTarget = touchPage.getByLabel('Percent', { exact: true })
      await touchTarget.fill('0.2')
      await expect.poll(() => grip(touchPage, 'tp1').isVisible(), SLOW).toBe(true)
      await touchPage.getByRole('region', { name: 'BTC/USDT chart' }).getByRole('img').scrollIntoViewIfNeeded()
      const scrollBefore = Number(await touchPage.evaluate('window.scrollY'))
      const phoneCanvas = await touchPage.getByRole('region', { name: 'BTC/USDT chart' }).getByRole('img').boundingBox()
      if (phoneCanvas === null) throw new Error('no chart on the phone')
      const touchX = Math.round(phoneCanvas.x + phoneCanvas.width * 0.5)
      const touchY = Math.round(await middleY(grip(touchPage, 'tp1')))
      const cdp = await phone.newCDPSession(touchPage)
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: touchX, y: touchY }] })
      for (const step of [6, 12, 18, 24]) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: touchX, y: touchY - step }] })
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
      await expect.poll(async () => Number(await touchTarget.inputValue())).toBeGreaterThan(0.2)
      expect(Number(await touchPage.evaluate('window.scrollY'))).toBe(scrollBefore)
      await phone.close()

      expect(problems.filter((p) => !/status of 40[0-3]/.test(p))).toEqual([])
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
