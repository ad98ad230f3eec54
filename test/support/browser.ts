import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { isCi } from './services.js'

/** Debian's Chromium, installed by .ci/run (apt-get); nothing downloads a browser. */
export const chromiumPath = '/usr/bin/chromium'
export const hasChromium = existsSync(chromiumPath)

if (!hasChromium) {
  if (isCi) throw new Error(`CI: ${chromiumPath} is missing, so the browser suites would be skipped; .ci/run must install chromium`)
  console.warn(`[services] ${chromiumPath} not installed: browser suites SKIPPED (apt-get install chromium)`)
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
