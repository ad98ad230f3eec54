import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { createLogger } from '../lib/logger.js'
import { newId } from '../lib/ids.js'
import { schema } from '../db/index.js'
import { createOutbox, defaultOutboxRetry, LINK_SENT, type Outbox } from './outbox.js'
import { renderEmail, ANTI_PHISHING_PREFIX } from './email-templates.js'
import { createEmailSender } from './email-sender.js'

type Received = { mailFrom: string; rcptTo: string[]; headers: Map<string, string[]>; body: string }

const SMTP_USER = 'mailer@bulwark.test'
const SMTP_PASS = 'Sm7p-pa55-canary'

/** Splits a raw message into unfolded headers and a decoded text body (quoted-printable, base64 or 7bit). */
const parseRaw = (raw: string): Pick<Received, 'headers' | 'body'> => {
  const at = raw.indexOf('\r\n\r\n')
  const headers = new Map<string, string[]>()
  for (const line of raw.slice(0, at).replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()])
  }
  const encoded = raw.slice(at + 4)
  const encoding = headers.get('content-transfer-encoding')?.[0]?.toLowerCase()
  const body =
    encoding === 'quoted-printable'
      ? Buffer.from(encoded.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
      : encoding === 'base64'
        ? Buffer.from(encoded.replace(/\s/g, ''), 'base64').toString('utf8')
        : encoded
  return { headers, body: body.replace(/\r\n/g, '\n').replace(/\n$/, '') }
}

describe.each(backends)('SMTP delivery of the outbox on %s', (kind) => {
  let database: TestDatabase
  let server: SMTPServer
  let port: number
  const received: Received[] = []
  let isRejecting = false
  const logLines: string[] = []
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } })
  const clock = createManualClock('2026-12-04T08:00:00Z')
  let outbox: Outbox

  const smtpUrl = (pass = SMTP_PASS) => `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`
  const sender = (opts: { pass?: string; outbox?: Outbox } = {}) => createEmailSender({ outbox: opts.outbox ?? outbox, smtpUrl: smtpUrl(opts.pass), from: 'Bulwark <bulwark@bulwark.test>', logger, clock })
  const rowOf = async (id: string) => {
    const [row] = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.id, id))
    if (!row) throw new Error(`no outbox row ${id}`)
    return row
  }
  const enqueueReset = (to: string, token: string, code: string | null = 'heron-42') =>
    database.db.transaction((tx) =>
      outbox.enqueueIn(tx, { to, template: 'password_reset', ...renderEmail('password_reset', { link: `https://bulwark.test/reset#token=${token}`, expiresMinutes: 30 }, { antiPhishingCode: code }) }),
    )

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    outbox = createOutbox({ db: database.db, clock })
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) => {
        // Echoes the user name on failure, as some servers do: the sender must scrub it.
        if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username })
        else callback(new Error(`Authentication failed for ${auth.username ?? ''}`))
      },
      onRcptTo: (_address, _session, callback) => callback(isRejecting ? new Error('Mailbox unavailable') : null),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
          received.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), ...parseRaw(Buffer.concat(chunks).toString('utf8')) })
          callback(null)
        })
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await database.dispose()
  })
  beforeEach(() => {
    received.length = 0
    logLines.length = 0
    isRejecting = false
  })

  it('sends a due message as plain text with the anti-phishing code, then keeps only a link-free copy', async () => {
    const id = await enqueueReset('bob@example.com', 'LIVE-r3s3t-t0ken')
    const queued = (await outbox.list({ pendingOnly: true })).find((m) => m.id === id)
    // Waiting in the outbox, the body keeps its link: in embedded mode the operator delivers it by hand.
    expect(queued?.text).toContain('https://bulwark.test/reset#token=LIVE-r3s3t-t0ken')

    const s = sender()
    expect(await s.deliverDue()).toEqual({ sent: 1, failed: 0 })
    await s.stop()

    expect(received).toHaveLength(1)
    const [mail] = received
    expect(mail?.mailFrom).toBe('bulwark@bulwark.test')
    expect(mail?.rcptTo).toEqual(['bob@example.com'])
    expect(mail?.headers.get('to')).toEqual(['bob@example.com'])
    expect(mail?.headers.get('subject')).toEqual(['Reset your Bulwark password'])
    expect(mail?.headers.get('date')).toEqual(['Fri, 04 Dec 2026 08:00:00 +0000'])
    expect(mail?.headers.get('content-type')?.[0]).toMatch(/^text\/plain; charset=utf-8/i)
    expect(mail?.body).toBe(queued?.text)
    expect(mail?.body.split('\n')[0]).toBe(`${ANTI_PHISHING_PREFIX} heron-42`)
    expect(mail?.body).toContain('https://bulwark.test/reset#token=LIVE-r3s3t-t0ken')

    const row = await rowOf(id)
    expect(row.sentAt?.toISOString()).toBe('2026-12-04T08:00:00.000Z')
    expect(row.attempts).toBe(1)
    expect(row.lastError).toBeNull()
    expect(row.textBody).not.toContain('LIVE-r3s3t-t0ken')
    expect(row.textBody).toContain(LINK_SENT)
    expect(row.textBody.split('\n')[0]).toBe(`${ANTI_PHISHING_PREFIX} heron-42`)
    expect(logLines.join('')).not.toContain('LIVE-r3s3t-t0ken')
    expect(logLines.join('')).not.toContain(SMTP_PASS)

    const again = sender()
    expect(await again.deliverDue()).toEqual({ sent: 0, failed: 0 })
    await again.stop()
  })

  it('renders through sendIn with the code read from the user row, and a hostile user agent adds no header', async () => {
    const userId = newId()
    await database.db.insert(schema.users).values({ id: userId, email: 'carol@example.com', displayName: 'Carol', antiPhishingCode: 'kingfisher-7', createdAt: clock.now() })
    await database.db.transaction((tx) =>
      outbox.sendIn(
        tx,
        { userId, address: 'carol@example.com' },
        {
          template: 'new_device',
          vars: { time: clock.now().toISOString(), ip: '203.0.113.9', browser: 'Mozilla\r\nBcc: spy@evil.example\r\n\r\nfake body', notMeLink: 'https://bulwark.test/not-me#token=n0t-me' },
        },
      ),
    )
    const s = sender()
    expect(await s.deliverDue()).toEqual({ sent: 1, failed: 0 })
    await s.stop()
    const [mail] = received
    expect(mail?.rcptTo).toEqual(['carol@example.com'])
    expect(mail?.headers.has('bcc')).toBe(false)
    expect(mail?.headers.get('subject')).toEqual(['New sign-in to your Bulwark account'])
    expect(mail?.body.split('\n')[0]).toBe(`${ANTI_PHISHING_PREFIX} kingfisher-7`)
    expect(mail?.body.split('\n')).toContain('Browser: Mozilla Bcc: spy@evil.example fake body')
    const [row] = await database.db.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.userId, userId))
    expect(row?.template).toBe('new_device')
    expect(row?.textBody).not.toContain('n0t-me')
  })

  it('marks a rejected message failed and retries it on the back-off schedule', async () => {
    const id = await enqueueReset('dave@example.com', 'r3try-t0ken')
    const createdAt = clock.now().getTime()
    isRejecting = true
    const s = sender()
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 1 })
    let row = await rowOf(id)
    expect(row.attempts).toBe(1)
    expect(row.sentAt).toBeNull()
    expect(row.lastError).toMatch(/Mailbox unavailable/)
    // Still pending, so still the delivery channel: the link stays.
    expect(row.textBody).toContain('#token=r3try-t0ken')
    expect(logLines.join('')).toMatch(/will retry/)

    isRejecting = false
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 0 })
    // Attempt 1 is due at createdAt + 30 s × (2¹ − 1) = createdAt + 30 s.
    clock.set(createdAt + defaultOutboxRetry.baseDelayMs - 1)
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 0 })

    isRejecting = true
    clock.set(createdAt + defaultOutboxRetry.baseDelayMs)
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 1 })
    expect((await rowOf(id)).attempts).toBe(2)
    // Attempt 2 is due at createdAt + 30 s × (2² − 1) = createdAt + 90 s.
    clock.set(createdAt + 3 * defaultOutboxRetry.baseDelayMs - 1)
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 0 })

    isRejecting = false
    clock.set(createdAt + 3 * defaultOutboxRetry.baseDelayMs)
    expect(await s.deliverDue()).toEqual({ sent: 1, failed: 0 })
    await s.stop()
    row = await rowOf(id)
    expect(row.attempts).toBe(3)
    expect(row.sentAt).not.toBeNull()
    expect(row.lastError).toBeNull()
    expect(row.textBody).not.toContain('r3try-t0ken')
    expect(received.map((m) => m.rcptTo)).toEqual([['dave@example.com']])
  })

  it('never logs or stores SMTP_URL credentials, even when the server echoes them', async () => {
    const wrongPass = 'Wr0ng-pa55-canary'
    const id = await enqueueReset('erin@example.com', 'cr3d-t0ken')
    const s = sender({ pass: wrongPass })
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 1 })
    await s.stop()
    const row = await rowOf(id)
    expect(row.lastError).toMatch(/EAUTH/)
    const logged = logLines.join('\n')
    expect(logged).toMatch(/Authentication failed for \[redacted\]/)
    const forms = [wrongPass, SMTP_USER, encodeURIComponent(SMTP_USER), Buffer.from(wrongPass).toString('base64'), Buffer.from(`\0${SMTP_USER}\0${wrongPass}`).toString('base64')]
    for (const form of forms) {
      expect(logged).not.toContain(form)
      expect(row.lastError).not.toContain(form)
    }
    expect(logged).not.toContain('cr3d-t0ken')
    expect(logged).not.toContain('Reset your Bulwark password')

    // The same message then goes out with the right credentials once it is due again.
    clock.advance(defaultOutboxRetry.baseDelayMs)
    const ok = sender()
    expect(await ok.deliverDue()).toEqual({ sent: 1, failed: 0 })
    await ok.stop()
    expect(logLines.join('\n')).not.toContain(SMTP_PASS)
  })

  it('gives up at once on an address that would fan out to more recipients', async () => {
    const id = await enqueueReset('frank@example.com, spy@evil.example', 'f4n-0ut')
    const s = sender()
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 1 })
    clock.advance(24 * 3600_000)
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 0 })
    await s.stop()
    expect(received).toEqual([])
    const row = await rowOf(id)
    expect(row.attempts).toBe(defaultOutboxRetry.maxAttempts)
    expect(row.sentAt).toBeNull()
  })

  it('polls on start() and stop() waits for the round in flight', async () => {
    const id = await enqueueReset('grace@example.com', 'p0ll-t0ken')
    const s = createEmailSender({ outbox, smtpUrl: smtpUrl(), from: 'bulwark@bulwark.test', logger, clock, pollMs: 20 })
    s.start()
    for (let i = 0; i < 250 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    await s.stop()
    expect(received.map((m) => m.rcptTo)).toEqual([['grace@example.com']])
    expect((await rowOf(id)).sentAt).not.toBeNull()
  })

  it('stops retrying after the maximum number of attempts and leaves the message readable in the outbox', async () => {
    const retry = { baseDelayMs: 1_000, maxAttempts: 3 }
    const short = createOutbox({ db: database.db, clock, retry })
    const id = await enqueueReset('heidi@example.com', 'm4x-t0ken', null)
    const createdAt = clock.now().getTime()
    isRejecting = true
    const s = sender({ outbox: short })
    // Attempts are due at createdAt + 0 s, + 1 s × (2¹ − 1) = 1 s, + 1 s × (2² − 1) = 3 s; none after the third.
    for (const offsetMs of [0, 1_000, 3_000]) {
      clock.set(createdAt + offsetMs)
      expect(await s.deliverDue()).toEqual({ sent: 0, failed: 1 })
    }
    isRejecting = false
    clock.set(createdAt + 3_600_000)
    expect(await s.deliverDue()).toEqual({ sent: 0, failed: 0 })
    await s.stop()
    expect(logLines.join('')).toMatch(/giving up/)
    const pending = (await short.list({ pendingOnly: true })).find((m) => m.id === id)
    expect(pending?.attempts).toBe(3)
    expect(pending?.lastError).toMatch(/Mailbox unavailable/)
    expect(pending?.text).toContain('#token=m4x-t0ken')
    expect(pending?.text).toContain('Settings → Security')
  })
})
