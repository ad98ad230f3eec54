import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { hasChromium, launchChromium } from '../support/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-web-'))
let proc: Running | undefined
afterAll(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe.runIf(hasChromium)('the web shell in Chromium', () => {
  it('shows name, version and readiness, and claims the instance with the printed setup token', async () => {
    const port = await freePort()
    proc = spawnBulwark(['start'], { BULWARK_HOME: join(dir, 'home'), PORT: String(port), PUBLIC_ORIGIN: `http://localhost:${port}` })
    const base = `http://localhost:${port}`
    await waitForReady(`${base}/readyz`, proc)
    const token = /one-time setup token:\s+(\S+)/.exec(proc.stdout())?.[1]
    expect(token).toBeDefined()

    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(base)
      await expect.poll(() => page.getByText('Bulwark', { exact: true }).first().isVisible()).toBe(true)
      await expect.poll(() => page.getByText(/^v\d+\.\d+\.\d+$/).isVisible()).toBe(true)
      await expect.poll(() => page.getByText('Ready', { exact: true }).isVisible()).toBe(true)

      await page.getByLabel('Setup token').fill('wrong-token-wrong-token-wrong')
      await page.getByLabel('Operator email').fill('ops@example.com')
      await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase for ops')
      await page.getByRole('button', { name: 'Claim instance' }).click()
      await expect.poll(() => page.getByText(/setup token is wrong, used or expired/).isVisible()).toBe(true)

      await page.getByLabel('Setup token').fill(token ?? '')
      await page.getByRole('button', { name: 'Claim instance' }).click()
      await expect.poll(() => page.getByText(/Operator account created/).isVisible()).toBe(true)
      await page.screenshot({ path: join('test-results', 'web-shell-claimed.png'), fullPage: true })
      expect(problems.filter((p) => !p.includes('403'))).toEqual([]) // the refused claim logs its 403; nothing else may fail
    } finally {
      await browser.close()
    }
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  })
})
