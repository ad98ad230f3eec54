import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { createManualClock } from '../../lib/clock.js'
import { createLogger } from '../../lib/logger.js'
import { newId } from '../../lib/ids.js'
import { schema } from '../../db/index.js'
import { createAlerts, type Alerts } from '../alerts.js'
import { createAuditChain } from '../audit-chain.js'
import { createOutbox, type Outbox } from '../outbox.js'
import { createEmailSender } from '../email-sender.js'
import { ANTI_PHISHING_PREFIX } from '../email-templates.js'
import { createNotificationChannels, type NotificationChannels } from './channels-service.js'
import { createNotifier, defaultRetryDelaysMs, DEFAULT_MAX_ATTEMPTS } from './notifier.js'
import { CHANNEL_CHANGED_RULE, CHANNEL_FAILING_RULE, type ChannelActor, type WebhookPayload } from './notify-types.js'

type Received = { headers: IncomingHttpHeaders; body: string }

/** A webhook receiver on loopback that checks signatures the way a user's receiver would. */
const startReceiver = async () => {
  const received: Received[] = []
  const statuses: number[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(statuses.shift() ?? 200).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/bulwark`,
    received,
    /** Answers the next requests with these statuses (then 200). */
    answer: (...s: number[]) => statuses.push(...s),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const verify = (secret: string, r: Received): boolean => {
  const ts = String(r.headers['x-bulwark-timestamp'])
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`
  return r.headers['x-bulwark-signature'] === expected
}

describe.each(backends)('notification dispatch and delivery on %s', (kind) => {
  let database: TestDatabase
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const logLines: string[] = []
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } })
  const webhookKey = randomBytes(32)
  let alerts: Alerts
  let outbox: Outbox
  let channels: NotificationChannels
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  const notifier = (opts: { allowPrivate?: boolean } = {}) => createNotifier({ db: database.db, clock, logger, outbox, alerts, webhookKey, allowPrivate: opts.allowPrivate ?? true })

  /** A member with a verified address, an anti-phishing code and a personal workspace. */
  const member = async (email: string, code: string | null = 'heron-42') => {
    const userId = newId()
    const workspaceId = newId()
    await database.db.insert(schema.users).values({ id: userId, email, displayName: email, antiPhishingCode: code, emailVerifiedAt: clock.now(), createdAt: clock.now() })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: `Desk of ${email}`, createdAt: clock.now() })
    await database.db.insert(schema.memberships).values({ workspaceId, userId, role: 'owner', createdAt: clock.now() })
    const actor: ChannelActor = { userId, canManageWebhooks: true }
    return { userId, workspaceId, actor }
  }
  const deliveriesOf = (channelId: string) => database.db.select().from(schema.notificationDeliveries).where(eq(schema.notificationDeliveries.channelId, channelId))
  /** The rule of each alert sent (or tried) to a channel, oldest first. */
  const rulesSentTo = (channelId: string) =>
    database.db
      .select({ rule: schema.alerts.rule, state: schema.notificationDeliveries.state })
      .from(schema.notificationDeliveries)
      .innerJoin(schema.alerts, eq(schema.alerts.id, schema.notificationDeliveries.alertId))
      .where(eq(schema.notificationDeliveries.channelId, channelId))
      .orderBy(schema.notificationDeliveries.id)

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    alerts = createAlerts({ db: database.db, clock })
    outbox = createOutbox({ db: database.db, clock })
    channels = createNotificationChannels({ db: database.db, clock, audit: createAuditChain({ db: database.db, clock }), alerts, webhookKey, allowPrivate: true })
    receiver = await startReceiver()
  })
  afterAll(async () => {
    await receiver.close()
    await database.dispose()
  })
  beforeEach(() => {
    receiver.received.length = 0
    logLines.length = 0
  })

  it('posts a signed JSON body for an alert at or above the channel minimum, once', async () => {
    const m = await member('wh1@example.com')
    const { channel, secret } = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, minSeverity: 'warning' })
    expect(secret).toMatch(/^bwn_[A-Za-z0-9_-]{43}$/)
    const [row] = await database.db.select().from(schema.notificationChannels).where(eq(schema.notificationChannels.id, channel.id))
    expect(row?.secretSealed).not.toContain(secret.slice(4))

    const loud = await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning', details: { exchangeAccountId: 'acc-1' } })
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_connected', severity: 'info' })
    const n = notifier()
    expect(await n.tick()).toMatchObject({ delivered: 1, failed: 0, dead: 0 })

    expect(receiver.received).toHaveLength(1)
    const [req] = receiver.received
    if (!req || !loud) throw new Error('no request')
    expect(verify(secret, req)).toBe(true)
    expect(verify(`${secret}x`, req)).toBe(false)
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers['x-bulwark-timestamp']).toBe(String(Math.floor(clock.now().getTime() / 1000)))
    const [delivery] = await deliveriesOf(channel.id)
    expect(req.headers['x-bulwark-delivery']).toBe(delivery?.id)
    const body = JSON.parse(req.body) as WebhookPayload
    expect(body).toEqual({ id: loud.id, workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning', details: { exchangeAccountId: 'acc-1' }, occurredAt: loud.createdAt })
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastError: null })

    // Dispatched once: a second round sends nothing, and a repeat of a de-duplicated alert is not re-sent.
    expect(await n.tick()).toMatchObject({ dispatched: 0, delivered: 0 })
    expect(receiver.received).toHaveLength(1)
    expect(logLines.join('')).not.toContain(secret)
  })

  it('retries after a 500 on the back-off schedule, then delivers', async () => {
    const m = await member('wh2@example.com')
    const { channel, secret } = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url })
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning' })
    const n = notifier()
    receiver.answer(500, 503)
    const start = clock.now().getTime()
    expect(await n.tick()).toMatchObject({ delivered: 0, failed: 1 })
    let [d] = await deliveriesOf(channel.id)
    // Attempt 1 failed: the next is due 10 s later.
    expect(d).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 500, lastError: 'HTTP 500' })
    expect(d?.nextAttemptAt.getTime()).toBe(start + defaultRetryDelaysMs[0])

    clock.set(start + defaultRetryDelaysMs[0] - 1)
    expect(await n.tick()).toMatchObject({ delivered: 0, failed: 0 })
    expect(receiver.received).toHaveLength(1)
    clock.set(start + defaultRetryDelaysMs[0])
    expect(await n.tick()).toMatchObject({ delivered: 0, failed: 1 })
    ;[d] = await deliveriesOf(channel.id)
    // Attempt 2 failed: the next is due 30 s after it.
    expect(d?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + defaultRetryDelaysMs[1])
    clock.advance(defaultRetryDelaysMs[1])
    expect(await n.tick()).toMatchObject({ delivered: 1 })
    ;[d] = await deliveriesOf(channel.id)
    expect(d).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200, lastError: null })
    expect(receiver.received).toHaveLength(3)
    // The same delivery id and a fresh signature on every attempt.
    expect(new Set(receiver.received.map((r) => r.headers['x-bulwark-delivery']))).toEqual(new Set([d?.id]))
    for (const r of receiver.received) expect(verify(secret, r)).toBe(true)
  })

  it('gives up after the last attempt and raises notification_channel_failing, which goes to the other channels only', async () => {
    const m = await member('wh3@example.com')
    const failing = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, label: 'Failing' })
    const n = notifier()
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning' })
    receiver.answer(...Array.from({ length: DEFAULT_MAX_ATTEMPTS }, () => 500))
    for (let attempt = 1; attempt <= DEFAULT_MAX_ATTEMPTS; attempt++) {
      expect(await n.tick()).toMatchObject(attempt < DEFAULT_MAX_ATTEMPTS ? { failed: 1, dead: 0 } : { failed: 0, dead: 1 })
      clock.advance(3_600_000)
    }
    const [d] = await deliveriesOf(failing.channel.id)
    expect(d).toMatchObject({ state: 'dead', attempts: DEFAULT_MAX_ATTEMPTS, lastStatus: 500 })
    expect(receiver.received).toHaveLength(DEFAULT_MAX_ATTEMPTS)
    const raised = (await alerts.list(m.workspaceId)).filter((a) => a.rule === CHANNEL_FAILING_RULE)
    expect(raised).toHaveLength(1)
    expect(raised[0]?.details).toMatchObject({ channelId: failing.channel.id, kind: 'webhook', attempts: DEFAULT_MAX_ATTEMPTS })

    // Another channel of the workspace hears about it; the failing one is not asked to report its own failure.
    // Adding that channel is news as well (R34): the failing one hears of it, the new one does not.
    const other = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, label: 'Other' })
    receiver.received.length = 0
    expect(await n.tick()).toMatchObject({ dispatched: 2, delivered: 2, dead: 0 })
    expect(await rulesSentTo(failing.channel.id)).toEqual([
      { rule: 'key_removed', state: 'dead' },
      { rule: CHANNEL_CHANGED_RULE, state: 'delivered' },
    ])
    expect(await rulesSentTo(other.channel.id)).toEqual([{ rule: CHANNEL_FAILING_RULE, state: 'delivered' }])
    const sent = receiver.received.map((r) => JSON.parse(r.body) as WebhookPayload)
    expect(sent.map((b) => [b.rule, b.details.channelId])).toEqual(
      expect.arrayContaining([
        [CHANNEL_FAILING_RULE, failing.channel.id],
        [CHANNEL_CHANGED_RULE, other.channel.id],
      ]),
    )
    expect(sent).toHaveLength(2)
  })

  it('refuses loopback, private and link-local webhook addresses unless allowed, when created and when sent', async () => {
    const m = await member('ssrf@example.com')
    const strict = createNotificationChannels({
      db: database.db,
      clock,
      audit: createAuditChain({ db: database.db, clock }),
      alerts,
      webhookKey,
      allowPrivate: false,
      resolveHost: async (host) => ({ 'internal.example.test': ['10.1.2.3'], 'meta.example.test': ['169.254.169.254'], 'mixed.example.test': ['93.184.215.14', '127.0.0.1'] })[host] ?? [],
    })
    for (const url of [receiver.url, 'https://127.0.0.1/x', 'https://[::1]/x', 'https://internal.example.test/x', 'https://meta.example.test/x', 'https://mixed.example.test/x', 'https://[::ffff:127.0.0.1]/x']) {
      await expect(strict.createWebhook(m.workspaceId, m.actor, { url })).rejects.toMatchObject({ code: 'BAD_INPUT', reason: 'WEBHOOK_ADDRESS_REFUSED' })
    }
    await expect(strict.createWebhook(m.workspaceId, m.actor, { url: 'http://93.184.215.14/x' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(strict.createWebhook(m.workspaceId, m.actor, { url: 'https://user:pw@93.184.215.14/x' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(strict.createWebhook(m.workspaceId, m.actor, { url: 'ftp://93.184.215.14/x' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    // Even with private addresses allowed, link-local (the metadata service) stays out.
    await expect(channels.createWebhook(m.workspaceId, m.actor, { url: 'http://169.254.169.254/latest/meta-data' })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect(await database.db.select().from(schema.notificationChannels).where(eq(schema.notificationChannels.workspaceId, m.workspaceId))).toEqual([])

    // A channel made while private addresses were allowed is refused at send time once they are not.
    const loose = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url.replace('127.0.0.1', 'localhost') })
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning' })
    expect(await notifier({ allowPrivate: false }).tick()).toMatchObject({ delivered: 0, failed: 1 })
    expect(receiver.received).toHaveLength(0)
    const [d] = await deliveriesOf(loose.channel.id)
    expect(d?.lastError).toMatch(/^refused: .*loopback or private/)
  })

  it('skips instance alerts and alerts from before notifications existed, marking them dispatched', async () => {
    const m = await member('skip@example.com')
    const hook = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, minSeverity: 'info' })
    const n = notifier()
    await n.tick()
    await alerts.raise({ workspaceId: null, rule: 'totp_seed_integrity_failed', severity: 'critical' })
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning' })
    clock.advance(25 * 3_600_000)
    expect(await n.tick()).toMatchObject({ dispatched: 2 })
    expect(await deliveriesOf(hook.channel.id)).toEqual([])
    const left = await database.db.select().from(schema.alerts)
    expect(left.every((a) => a.dispatchedAt !== null)).toBe(true)
  })

  it('never dispatches an alert twice when two notifiers run at once', async () => {
    const m = await member('twice@example.com')
    const hook = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, minSeverity: 'info' })
    // The hook's own arrival (notification_channel_changed) is dispatched first, and not to the hook itself.
    expect(await notifier().tick()).toMatchObject({ dispatched: 1 })
    expect(await deliveriesOf(hook.channel.id)).toEqual([])
    receiver.received.length = 0
    for (let i = 0; i < 30; i++) await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_connected', severity: 'info', details: { i } })
    const [a, b] = [notifier(), notifier()]
    const [ra, rb] = await Promise.all([a.dispatch(), b.dispatch()])
    expect(ra.alerts + rb.alerts).toBe(30)
    const rows = await deliveriesOf(hook.channel.id)
    expect(rows).toHaveLength(30)
    expect(new Set(rows.map((r) => r.alertId)).size).toBe(30)
    await Promise.all([a.deliverDue(), b.deliverDue()])
    expect(receiver.received).toHaveLength(30)
  })

  describe('email', () => {
    let smtp: SMTPServer
    let port: number
    const mails: { rcpt: string[]; body: string }[] = []
    beforeAll(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData: (stream, session, callback) => {
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => {
            mails.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString('utf8').replace(/=\r\n/g, '') })
            callback(null)
          })
        },
      })
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
      port = (smtp.server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())))

    it('queues one alert_notification per alert to the member, and it reaches the mail server with the anti-phishing code', async () => {
      const m = await member('mail@example.com', 'kingfisher-7')
      const channel = await channels.createEmail(m.workspaceId, m.actor, { minSeverity: 'warning' })
      await expect(channels.createEmail(m.workspaceId, m.actor, {})).rejects.toMatchObject({ code: 'CONFLICT' })
      await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning', details: { exchangeAccountId: 'acc-9' } })
      expect(await notifier().tick()).toMatchObject({ delivered: 1 })
      expect((await deliveriesOf(channel.id))[0]).toMatchObject({ state: 'delivered' })
      const queued = (await outbox.list({ pendingOnly: true })).filter((e) => e.to === 'mail@example.com')
      expect(queued.map((e) => e.template)).toEqual(['alert_notification'])

      const sender = createEmailSender({ outbox, smtpUrl: `smtp://127.0.0.1:${port}`, from: 'bulwark@bulwark.test', logger, clock })
      expect(await sender.deliverDue()).toMatchObject({ sent: 1, failed: 0 })
      await sender.stop()
      expect(mails).toHaveLength(1)
      expect(mails[0]?.rcpt).toEqual(['mail@example.com'])
      expect(mails[0]?.body).toContain(`${ANTI_PHISHING_PREFIX} kingfisher-7`)
      expect(mails[0]?.body).toContain('Exchange key removed')
      expect(mails[0]?.body).toContain('exchangeAccountId: acc-9')
    })

    it('refuses an email channel to an unverified address', async () => {
      const m = await member('unverified@example.com')
      await database.db.update(schema.users).set({ emailVerifiedAt: null }).where(eq(schema.users.id, m.userId))
      await expect(channels.createEmail(m.workspaceId, m.actor, {})).rejects.toMatchObject({ code: 'EMAIL_NOT_VERIFIED' })
    })

    it('tells the member\'s email and the other webhooks that a webhook was added, and not the new webhook itself', async () => {
      const m = await member('added@example.com')
      const old = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, label: 'Old' })
      const n = notifier()
      // The old webhook's own arrival: there is no other channel yet to tell.
      expect(await n.tick()).toMatchObject({ dispatched: 1, delivered: 0 })
      const email = await channels.createEmail(m.workspaceId, m.actor, { minSeverity: 'warning' })
      receiver.received.length = 0

      // An intruder's webhook would read every alert from now on: the member must hear of it elsewhere.
      const added = await channels.createWebhook(m.workspaceId, m.actor, { url: receiver.url, label: 'Added', minSeverity: 'info' })
      const [raised] = (await alerts.list(m.workspaceId)).filter((a) => a.rule === CHANNEL_CHANGED_RULE && a.details.channelId === added.channel.id)
      expect(raised).toMatchObject({ severity: 'warning', details: { change: 'webhook_added', channelId: added.channel.id, kind: 'webhook', label: 'Added', byUserId: m.userId } })

      expect(await n.tick()).toMatchObject({ dispatched: 1, delivered: 2, failed: 0 })
      expect(await rulesSentTo(email.id)).toEqual([{ rule: CHANNEL_CHANGED_RULE, state: 'delivered' }])
      expect(await rulesSentTo(old.channel.id)).toEqual([{ rule: CHANNEL_CHANGED_RULE, state: 'delivered' }])
      expect(await rulesSentTo(added.channel.id)).toEqual([])

      const [mail, ...more] = (await outbox.list({ pendingOnly: true })).filter((e) => e.to === 'added@example.com')
      expect(more).toEqual([])
      expect(mail?.template).toBe('alert_notification')
      expect(mail?.text).toContain(`Rule: ${CHANNEL_CHANGED_RULE}`)
      expect(mail?.text).toContain(`channelId: ${added.channel.id}`)

      // One request, signed for the old webhook: the new one was not told about itself.
      expect(receiver.received).toHaveLength(1)
      const [req] = receiver.received
      if (!req) throw new Error('no request')
      expect(verify(old.secret, req)).toBe(true)
      expect(verify(added.secret, req)).toBe(false)
      expect(JSON.parse(req.body)).toMatchObject({ id: raised?.id, rule: CHANNEL_CHANGED_RULE, severity: 'warning', details: { change: 'webhook_added', channelId: added.channel.id } })
    })
  })
})
