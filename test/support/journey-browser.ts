import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'

/**
 * Small browser helpers for the end-to-end journey: numbered full-page screenshots, console problems,
 * and moving around the way a person does (the main navigation, behind "Menu" at phone width).
 */

/**
 * Screenshots under `folder`, numbered in the order they are taken: 01-sign-up.png, 02-…. Whole pages,
 * from the top (a full-page capture draws sticky parts, the sidebar and the chart, where the scroll left
 * them); `viewport` for a modal dialog, whose backdrop covers the window only.
 */
export const screenshots = (folder: string) => {
  let count = 0
  return async (page: Page, name: string, what: 'page' | 'viewport' = 'page'): Promise<string> => {
    mkdirSync(folder, { recursive: true })
    count += 1
    const path = join(folder, `${String(count).padStart(2, '0')}-${name}.png`)
    // A picture of what the person sees once the data is there, not of skeletons (bounded: a page that never settles is still shot).
    for (let waited = 0; waited < 10_000 && !(await isSettled(page)); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
    if (what === 'page') await page.evaluate('window.scrollTo(0, 0)')
    await page.screenshot({ path, fullPage: what === 'page' })
    return path
  }
}

/**
 * Collects console errors and uncaught exceptions of a page into `problems`. Refused requests are
 * logged by Chromium as "status of 4xx" (signed-out /api/me, a step-up asked for, a refused key, a
 * locked workspace) and the event stream closes with the session: those are expected in this journey.
 */
export const watchProblems = (page: Page, problems: string[]): void => {
  const isExpected = (text: string) => /status of 4\d\d|EventSource|text\/event-stream/.test(text)
  page.on('console', (message) => {
    if (message.type() === 'error' && !isExpected(message.text())) problems.push(`${page.url()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`))
}

export const mainNav = (page: Page): Locator => page.getByRole('navigation', { name: 'Main' })

/**
 * Opens a page from the main navigation by its link name. At phone width the navigation hides behind
 * the "Menu" button: open it first (aria-expanded says whether it is open).
 */
export const openFromNav = async (page: Page, name: string | RegExp): Promise<void> => {
  const menu = page.getByRole('button', { name: 'Menu', exact: true })
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) !== 'true') await menu.click()
  await mainNav(page).getByRole('link', typeof name === 'string' ? { name, exact: true } : { name }).click()
}

/** Table rows having an element whose whole text is each of `texts` (a cell, a badge). */
export const rowsWith = (page: Page, within: Locator, ...texts: string[]): Locator =>
  texts.reduce((rows, text) => rows.filter({ has: page.getByText(text, { exact: true }) }), within.getByRole('row'))

/** True when nothing pushes the page sideways (the phone-width check). */
export const hasNoHorizontalOverflow = async (page: Page): Promise<boolean> =>
  // A string: the function runs in the page, which this (Node) file's types do not describe.
  (await page.evaluate('document.scrollingElement.scrollWidth <= window.innerWidth')) === true

/** Once the page has drawn its data: no skeleton left and nothing marked busy (polled, never slept). */
export const isSettled = async (page: Page): Promise<boolean> => (await page.locator('.skeleton, [aria-busy="true"]').count()) === 0
