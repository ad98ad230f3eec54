import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium } from '../support/browser.js'
import { hasNoHorizontalOverflow, mainNav, openFromNav, screenshots, watchProblems } from '../support/journey-browser.js'
import { newestLink, startJourneyPlatform, type JourneyPlatform } from '../support/journey-platform.js'
import { addVirtualAuthenticator } from '../support/virtual-authenticator.js'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-team-web-'))
const OUT = join('test-results', 'team')
const SLOW = { timeout: 30_000, interval: 250 }
const SAM = { email: 'sam@example.com', password: 'amber walrus trombone meadow', name: 'Sam' }

let platform: JourneyPlatform | undefined
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  await platform?.kill()
  rmSync(dir, { recursive: true, force: true })
})

type Json = Record<string, unknown>

/**
 * A team in the dashboard, in headless Chromium against the real platform (`bulwark start` from dist/,
 * the real signer, ccxt against the Binance emulator): the operator (owner) makes a new workspace
 * "Desk" and invites Sam as an admin; Sam opens the emailed link, creates an account, verifies it,
 * signs in and comes back to the invitation to join. The owner connects an exchange key in Desk, which
 * in a team workspace waits for a second person (four-eyes, R42); Sam approves it on the Approvals page
 * with a passkey step-up, and the key becomes active. The owner then makes Sam a trader limited to that
 * one account. Two browsers (the owner wide, Sam on a phone), each with its own passkey (Chromium's
 * virtual authenticator). Screenshots in test-results/team/; the new pages never push a 390 px phone
 * sideways.
 */
describe.runIf(hasChromium)('a team in the dashboard, in Chromium', () => {
  const shot = screenshots(OUT)
  const problems: string[] = []
  let base = ''
  let owner: Page
  let sam: Page
  let ownerContext: BrowserContext
  let samContext: BrowserContext

  /** The API as `page`'s session sees it: the pages are held to what the server says. */
  const api = async <T = Json>(page: Page, path: string): Promise<T> => {
    const res = await page.request.get(`${base}${path}`)
    expect(res.status(), `GET ${path}`).toBe(200)
    return (await res.json()) as T
  }

  /** The step-up dialog, if this change asks for it: the passkey when there is one, else the password. */
  const confirmIfAsked = async (page: Page, password: string, done: () => Promise<boolean>) => {
    const stepUp = page.getByRole('dialog', { name: "Confirm it's you" })
    await expect.poll(async () => (await stepUp.isVisible()) || (await done()), SLOW).toBe(true)
    if (await stepUp.isVisible()) {
      const passkey = stepUp.getByRole('radio', { name: 'Use a passkey' })
      if ((await passkey.count()) > 0) await passkey.check()
      const usePasskey = stepUp.getByRole('button', { name: 'Use passkey' })
      if (await usePasskey.isVisible()) await usePasskey.click()
      else {
        await stepUp.getByLabel('Password', { exact: true }).fill(password)
        await stepUp.getByRole('button', { name: 'Confirm' }).click()
      }
    }
    await expect.poll(done, SLOW).toBe(true)
  }

  const signIn = async (page: Page, email: string, password: string) => {
    await page.getByLabel('Email', { exact: true }).fill(email)
    await page.getByLabel('Password', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  }

  /** Settings → Account security → a passkey named `name`, in `page`'s virtual authenticator. */
  const addPasskey = async (page: Page, password: string, name: string) => {
    await openFromNav(page, 'Settings')
    await page.getByRole('link', { name: 'Account security' }).click()
    await page.getByLabel('Passkey name').fill(name)
    await page.getByRole('button', { name: 'Add passkey' }).click()
    await confirmIfAsked(page, password, () => page.getByText(`Passkey "${name}" added.`).isVisible())
  }

  const settled = async (page: Page, heading: string | RegExp) => {
    await expect.poll(() => page.getByRole('main').getByRole('heading', { name: heading }).first().isVisible(), SLOW).toBe(true)
    await expect.poll(() => page.getByRole('main').locator('.skeleton, [aria-busy="true"]').count(), SLOW).toBe(0)
  }

  /**
   * What reaches past the window's right edge, to name it when a page does not fit: anything outside the
   * sideways-scrolling tables, and inside them what is positioned against the page rather than the table.
   */
  const pastTheEdge = async (page: Page): Promise<string[]> =>
    (await page.evaluate(`[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((e) => !e.closest('.table-scroll') || getComputedStyle(e).position === 'absolute' && e.offsetParent && !e.offsetParent.closest('.table-scroll'))
      .map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))
      .slice(0, 8)`)) as string[]

  /** The members table's row of the member named `name`. */
  const memberRow = (page: Page, name: string): Locator =>
    page.getByRole('region', { name: 'Members' }).getByRole('row').filter({ has: page.getByRole('rowheader').filter({ hasText: name }) })

  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true }) // this run's screenshots only
    platform = await startJourneyPlatform(dir)
    base = platform.base
    browser = await launchChromium()
    ownerContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })
    samContext = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, hasTouch: true })
    owner = await ownerContext.newPage()
    sam = await samContext.newPage()
    watchProblems(owner, problems)
    watchProblems(sam, problems)
  }, 180_000) // a real start with the signer and a first migration, on a loaded 2-core machine

  it('creates a workspace, invites a person who joins, approves a key with four eyes, and narrows the new member to one account', async () => {
    const env = platform?.env ?? {}
    const ops = platform?.operator ?? { email: '', password: '' }
    const key = platform?.keys.good ?? { apiKey: '', secret: '' }
    await addVirtualAuthenticator(ownerContext, owner)
    await addVirtualAuthenticator(samContext, sam)

    // ---- The owner signs in and adds a passkey (owners and admins of a team confirm changes with one).
    await owner.goto(`${base}/sign-in`)
    await signIn(owner, ops.email, ops.password)
    await expect.poll(() => owner.getByRole('button', { name: 'Sign out' }).isVisible(), SLOW).toBe(true)
    await addPasskey(owner, ops.password, 'Owner laptop')

    // ---- "New workspace" is in the header with a single workspace too; the new one is shown at once, on its Team page.
    await owner.getByRole('button', { name: 'New workspace' }).first().click()
    const create = owner.getByRole('dialog', { name: 'New workspace' })
    await expect.poll(() => create.isVisible(), SLOW).toBe(true)
    await create.getByLabel('Workspace name').fill('Desk')
    await shot(owner, 'new-workspace-dialog', 'viewport')
    await create.getByRole('button', { name: 'Create workspace' }).click()
    await expect.poll(() => new URL(owner.url()).pathname, SLOW).toBe('/team')
    await settled(owner, 'Team')
    const picker = owner.getByLabel('Workspace', { exact: true })
    await expect.poll(async () => (await picker.locator('option:checked').textContent())?.trim(), SLOW).toBe('Desk')
    const desk = (await api<{ workspaces: { id: string; name: string; role: string }[] }>(owner, '/api/me')).workspaces.find((w) => w.name === 'Desk')
    expect(desk?.role).toBe('owner')
    const deskId = desk?.id ?? ''
    expect(await mainNav(owner).getByRole('link', { name: 'Team', exact: true }).getAttribute('aria-current')).toBe('page')

    // ---- A new team workspace asks for four eyes, and its only owner could not get an admin's role approved:
    // the invite form says so, and the owner turns approvals off while inviting the first admin.
    const invite = owner.getByRole('form', { name: 'Invite someone' })
    await invite.getByLabel('Role', { exact: true }).selectOption('admin')
    await expect.poll(() => invite.getByText(/You are the only owner or admin, so nobody could/).isVisible(), SLOW).toBe(true)
    const setApprovals = async (isOn: boolean) => {
      await owner.getByRole('main').getByRole('link', { name: 'Workspace policies' }).click()
      await settled(owner, 'Workspace policies')
      const policies = owner.getByRole('form', { name: 'Workspace policies' })
      await policies.getByRole('checkbox', { name: 'Four-eyes approvals for high-risk changes' }).setChecked(isOn)
      await policies.getByRole('button', { name: 'Save policies' }).click()
      await confirmIfAsked(owner, ops.password, () => policies.getByText('Saved. The policies apply from the next request.').isVisible())
      expect((await api<{ approvalsRequired: boolean }>(owner, `/api/workspaces/${deskId}/policies`)).approvalsRequired).toBe(isOn)
    }
    await setApprovals(false)
    await shot(owner, 'owner-approvals-off')
    await openFromNav(owner, 'Team')
    await settled(owner, 'Team')

    // ---- Invite Sam as an admin.
    await invite.getByLabel('Email', { exact: true }).fill(SAM.email)
    await invite.getByLabel('Role', { exact: true }).selectOption('admin')
    await invite.getByRole('button', { name: 'Send invitation' }).click()
    await confirmIfAsked(owner, ops.password, () => owner.getByText(`Invitation sent to ${SAM.email} as admin.`).isVisible())
    const invitations = owner.getByRole('list', { name: 'Invitations' })
    await expect.poll(() => invitations.getByText(SAM.email, { exact: false }).first().isVisible(), SLOW).toBe(true)
    await shot(owner, 'owner-invited')

    // ---- Sam, on a phone, opens the emailed link: the preview, then "Create an account" that comes back to it.
    let inviteLink: string | undefined
    await expect.poll(async () => (inviteLink = await newestLink(env, SAM.email, '/invite')), SLOW).toBeDefined()
    // The token travels only in the bodies of the preview, the sign-up and the accept: never in an address
    // (the fragment is not sent), a header, or any other request.
    const token = new URL(inviteLink ?? 'http://x/').hash.replace('#token=', '')
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const carriers: string[] = []
    const leaks: string[] = []
    sam.on('request', (request) => {
      const url = new URL(request.url())
      if (url.href.includes(token)) leaks.push(`address of ${url.pathname}`)
      if (Object.values(request.headers()).some((value) => value.includes(token))) leaks.push(`a header of ${url.pathname}`)
      if (request.postData()?.includes(token) === true) carriers.push(`${request.method()} ${url.pathname}`)
    })
    await sam.goto(inviteLink ?? '')
    await expect.poll(() => sam.getByText('to Desk as admin', { exact: false }).isVisible(), SLOW).toBe(true)
    expect(sam.url()).not.toContain('token=') // the token leaves the address bar once read
    expect(await hasNoHorizontalOverflow(sam)).toBe(true)
    await shot(sam, 'invite-signed-out')
    await sam.getByRole('link', { name: 'Create an account' }).click()
    await sam.getByLabel('Email', { exact: true }).fill(SAM.email)
    await sam.getByLabel('Password', { exact: true }).fill(SAM.password)
    await sam.getByLabel('Display name').fill(SAM.name)
    await sam.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => sam.getByText('a link to verify it is on its way', { exact: false }).isVisible(), SLOW).toBe(true)
    let verifyLink: string | undefined
    await expect.poll(async () => (verifyLink = await newestLink(env, SAM.email, '/verify-email')), SLOW).toBeDefined()
    await sam.goto(verifyLink ?? '')
    await expect.poll(() => sam.getByText('Email verified', { exact: true }).isVisible(), SLOW).toBe(true)
    await sam.getByRole('link', { name: 'Sign in' }).click()
    await signIn(sam, SAM.email, SAM.password)
    // Signed in, the dashboard goes back to the invitation (kept in this tab), now with the button to join.
    const join = sam.getByRole('button', { name: 'Join Desk' })
    await expect.poll(() => join.isVisible(), SLOW).toBe(true)
    expect(new URL(sam.url()).pathname).toBe('/invite')
    expect(await hasNoHorizontalOverflow(sam)).toBe(true)
    await shot(sam, 'invite-signed-in')
    await join.click()
    await expect.poll(() => sam.getByText('You joined Desk as admin.').isVisible(), SLOW).toBe(true)
    await shot(sam, 'invite-joined')
    expect([...new Set(carriers)].sort()).toEqual(['POST /api/auth/register', 'POST /api/invitations/accept', 'POST /api/invitations/preview'])
    expect(leaks).toEqual([])
    await sam.getByRole('link', { name: 'Open Desk' }).click()
    await settled(sam, 'Team')
    expect((await api<{ workspaces: { id: string }[] }>(sam, '/api/me')).workspaces.map((w) => w.id)).toContain(deskId)

    // ---- The owner sees Sam on the Team page.
    await owner.reload()
    await settled(owner, 'Team')
    await expect.poll(() => memberRow(owner, SAM.name).getByText('Admin', { exact: true }).isVisible(), SLOW).toBe(true)
    await shot(owner, 'owner-team-with-sam')

    // ---- Sam adds a passkey: approving needs one from an admin of a team.
    await addPasskey(sam, SAM.password, 'Sam phone')

    // ---- With a second admin in, the owner turns four-eyes approvals back on (tightening: at once).
    await setApprovals(true)

    // ---- The owner connects a key in Desk: verified by the signer, then waiting for a second person.
    await openFromNav(owner, 'Exchange accounts')
    await owner.getByRole('list', { name: 'Exchanges' }).getByRole('button', { name: 'Binance, spot', exact: true }).click()
    await owner.getByRole('button', { name: 'Next: generate or paste the key' }).click()
    await owner.getByRole('radio', { name: 'System-generated key: paste the API key and secret' }).check()
    await owner.getByLabel('Account name').fill('Main')
    await owner.getByLabel('API Key', { exact: true }).fill(key.apiKey)
    await owner.getByLabel('Secret Key', { exact: true }).fill(key.secret)
    await owner.getByRole('button', { name: 'Seal and connect' }).click()
    const waiting = owner.getByText(/^Waiting for approval: .+ A second owner or admin must approve it within 24 hours\.$/)
    await confirmIfAsked(owner, ops.password, () => waiting.isVisible())
    await shot(owner, 'owner-key-waiting')
    const accountsOf = () => api<{ id: string; label: string; state: string }[]>(owner, `/api/workspaces/${deskId}/exchange-accounts`)
    const [pendingAccount] = await accountsOf()
    expect(pendingAccount?.state).not.toBe('active')
    // The owner's own request: theirs to cancel, never to approve.
    await owner.getByRole('link', { name: 'Follow it under Approvals' }).click()
    await settled(owner, 'Approvals')
    const ownPending = owner.getByRole('list', { name: 'Pending requests' })
    await expect.poll(() => ownPending.getByText('You asked for this', { exact: true }).isVisible(), SLOW).toBe(true)
    expect(await ownPending.getByRole('button', { name: /^Cancel your request: / }).isVisible()).toBe(true)
    expect(await ownPending.getByRole('button', { name: /^Approve: / }).count()).toBe(0)

    // ---- Sam sees the request counted beside Approvals, and approves it (a passkey step-up).
    // At phone width the navigation is behind Menu (hidden), so by its address rather than its role.
    const approvalsLink = sam.locator('nav[aria-label="Main"] a[href="/approvals"]')
    await expect.poll(async () => (await approvalsLink.textContent())?.includes('1 waiting'), SLOW).toBe(true)
    await openFromNav(sam, /^Approvals/)
    await settled(sam, 'Approvals')
    const pending = sam.getByRole('list', { name: 'Pending requests' })
    await expect.poll(() => pending.getByRole('listitem').count(), SLOW).toBe(1)
    expect(await hasNoHorizontalOverflow(sam)).toBe(true)
    await shot(sam, 'approvals-pending')
    await pending.getByRole('button', { name: /^Approve: / }).click()
    await confirmIfAsked(sam, SAM.password, () => sam.getByText(/^Approved and applied: /).isVisible())
    await expect.poll(() => sam.getByRole('region', { name: 'Decided requests' }).getByText('Approved', { exact: true }).isVisible(), SLOW).toBe(true)
    expect(await hasNoHorizontalOverflow(sam)).toBe(true)
    await shot(sam, 'approvals-approved')
    await expect.poll(async () => (await accountsOf()).map((a) => [a.label, a.state]), SLOW).toEqual([['Main', 'active']])
    const mainId = (await accountsOf())[0]?.id ?? ''

    // ---- The owner makes Sam a trader on Main only (fewer rights: at once).
    await openFromNav(owner, 'Team')
    await settled(owner, 'Team')
    await owner.getByRole('button', { name: `Change role and accounts of ${SAM.name}` }).click()
    const editor = owner.getByRole('region', { name: `Role and accounts of ${SAM.name}` })
    await editor.getByLabel('Role', { exact: true }).selectOption('trader')
    await editor.getByRole('radio', { name: 'Only the accounts ticked below' }).check()
    await editor.getByRole('checkbox', { name: /^Main/ }).check()
    await shot(owner, 'owner-edit-sam')
    await editor.getByRole('button', { name: 'Save changes' }).click()
    await confirmIfAsked(owner, ops.password, () => editor.getByText(/^Saved: Sam is trader on the accounts ticked\./).isVisible())
    await expect.poll(() => memberRow(owner, SAM.name).getByText('Trader', { exact: true }).isVisible(), SLOW).toBe(true)
    await expect.poll(() => memberRow(owner, SAM.name).getByText('Main', { exact: true }).isVisible(), SLOW).toBe(true)
    const members = await api<{ email: string; role: string; accountScope: string; exchangeAccountIds: string[] }[]>(owner, `/api/workspaces/${deskId}/members`)
    expect(members.find((m) => m.email === SAM.email)).toMatchObject({ role: 'trader', accountScope: 'granted', exchangeAccountIds: [mainId] })
    await shot(owner, 'owner-sam-trader')

    // ---- The approval's history, both identities on it; the owner's own view of it.
    await openFromNav(owner, 'Approvals')
    await settled(owner, 'Approvals')
    const history = owner.getByRole('region', { name: 'Decided requests' })
    await expect.poll(() => history.getByText(SAM.name, { exact: true }).isVisible(), SLOW).toBe(true)
    await shot(owner, 'owner-approvals-history')

    // ---- The new pages at phone width, light and dark: nothing pushes the page sideways.
    await owner.setViewportSize({ width: 390, height: 844 })
    for (const scheme of ['light', 'dark'] as const) {
      await owner.emulateMedia({ colorScheme: scheme })
      for (const [path, heading] of [
        ['/team', 'Team'],
        ['/approvals', 'Approvals'],
        ['/policies', 'Workspace policies'],
      ] as const) {
        await owner.goto(`${base}${path}`)
        await settled(owner, heading)
        await shot(owner, `phone-${path.slice(1)}-${scheme}`)
        expect({ path, scheme, fits: await hasNoHorizontalOverflow(owner), past: await pastTheEdge(owner) }).toEqual({ path, scheme, fits: true, past: [] })
      }
    }
    await owner.emulateMedia({ colorScheme: 'light' })

    expect(problems).toEqual([])
  }, 600_000)
})
