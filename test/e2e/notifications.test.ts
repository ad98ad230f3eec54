import { createHmac, randomBytes } from 'node:crypto'
import { createServer, get, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { schema } from '../../src/db/index.js'
import { createAlertStream, createNotificationChannels, type AlertStream, type ChannelView } from '../../src/monitoring/index.js'
import { notificationRoutes } from '../../src/api/routes/notification-routes.js'

type Session = { cookie: string; csrf: string }
type Received = { headers: IncomingHttpHeaders; body: string }

/** Reads a server-sent event stream; `next()` resolves with the next `unread` count. */
const openStream = (url: string, cookie: string) =>
  new Promise<{ res: IncomingMessage; next: () => Promise<number>; close: () => void }>((resolve, reject) => {
    const req = get(url, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      const counts: number[] = []
      const waiting: ((n: number) => void)[] = []
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let at: number
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          if (!block.startsWith('event: unread')) continue
          const data = /\ndata: (.*)$/m.exec(block)?.[1] ?? '{}'
          const count = (JSON.parse(data) as { count: number }).count
          const waiter = waiting.shift()
          if (waiter) waiter(count)
          else counts.push(count)
        }
      })
      resolve({
        res,
        next: () => {
          const ready = counts.shift()
          return ready === undefined ? new Promise((r) => waiting.push(r)) : Promise.resolve(ready)
        },
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
  })

describe.each(backends)('notification channels over HTTP on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let stream: AlertStream
  let base: string
  let receiver: Server
  let receiverUrl: string
  const received: Received[] = []
  let owner: Session
  let ownerWs: string
  let trader: Session
  let traderUserId: string

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
    t = await startAccountsApp(database, {
      routes: (h) => {
        stream = createAlertStream({ alerts: h.alerts, pollMs: 60_000 })
        const channels = createNotificationChannels({ db: h.db, clock: h.clock, audit: h.audit, alerts: h.alerts, webhookKey: randomBytes(32), allowPrivate: true })
        const a = h.accounts
        return [(app) => notificationRoutes(app, { db: h.db, sessions: a.sessions, apiTokens: a.apiTokens, stepUp: a.stepUp, channels, alerts: h.alerts, stream })]
      },
    })
    const o = await t.addUser('owner@example.com')
    ownerWs = o.workspaceId
    const tr = await t.addUser('trader@example.com')
    traderUserId = tr.userId
    await database.db.insert(schema.memberships).values({ workspaceId: ownerWs, userId: tr.userId, role: 'trader', createdAt: t.clock.now() })
    // A team workspace asks owners for a passkey at step-up by default; this suite is about channels.
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ownerWs))
    await database.db.update(schema.users).set({ antiPhishingCode: 'lynx-3' }).where(eq(schema.users.id, o.userId))
    owner = await t.signIn('owner@example.com')
    trader = await t.signIn('trader@example.com')
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await t.close()
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
    await database.dispose()
  })

  const url = (path: string) => `/api/workspaces/${ownerWs}${path}`

  it('creates, lists, tests, edits and removes channels; members see only their own, webhooks are for owners and admins', async () => {
    const email = await t.call('POST', url('/notification-channels/email'), owner, { minSeverity: 'info' })
    expect(email.statusCode).toBe(201)
    expect(email.json<ChannelView>()).toMatchObject({ kind: 'email', state: 'active', minSeverity: 'info', label: 'owner@example.com' })

    const hook = await t.call('POST', url('/notification-webhooks'), owner, { url: receiverUrl, label: 'SIEM' })
    expect(hook.statusCode).toBe(201)
    const { channel, secret } = hook.json<{ channel: ChannelView; secret: string }>()
    expect(channel).toMatchObject({ kind: 'webhook', url: receiverUrl, label: 'SIEM', userId: null })

    const listed = await t.call('GET', url('/notification-channels'), owner)
    expect(listed.json<ChannelView[]>().map((c) => c.kind)).toEqual(['email', 'webhook'])
    expect(listed.body).not.toContain(secret)

    const test = await t.call('POST', url(`/notification-webhooks/${channel.id}/test`), owner)
    expect(test.json()).toEqual({ ok: true, status: 204, error: null })
    const [req] = received
    const expected = `sha256=${createHmac('sha256', secret).update(`${String(req?.headers['x-bulwark-timestamp'])}.${req?.body ?? ''}`).digest('hex')}`
    expect(req?.headers['x-bulwark-signature']).toBe(expected)
    expect(JSON.parse(req?.body ?? '{}')).toMatchObject({ workspaceId: ownerWs, rule: 'notification_test', severity: 'info' })

    // The trader sees neither the webhook nor the owner's email channel, and may not touch them.
    expect((await t.call('GET', url('/notification-channels'), trader)).json()).toEqual([])
    expect((await t.call('POST', url('/notification-webhooks'), trader, { url: receiverUrl })).statusCode).toBe(403)
    const foreign = await t.call('PATCH', url(`/notification-channels/${email.json<ChannelView>().id}`), trader, { isEnabled: false })
    expect(foreign.statusCode).toBe(404)
    const own = await t.call('POST', url('/notification-channels/email'), trader, {})
    expect(own.json<ChannelView>()).toMatchObject({ userId: traderUserId })
    expect((await t.call('GET', url('/notification-channels'), trader)).json<ChannelView[]>().map((c) => c.id)).toEqual([own.json<ChannelView>().id])

    const edited = await t.call('PATCH', url(`/notification-webhooks/${channel.id}`), owner, { minSeverity: 'critical', isEnabled: false })
    expect(edited.json<ChannelView>()).toMatchObject({ minSeverity: 'critical', state: 'disabled' })
    expect((await t.call('PATCH', url(`/notification-webhooks/${channel.id}`), owner, {})).statusCode).toBe(400)
    expect((await t.call('DELETE', url(`/notification-webhooks/${channel.id}`), owner)).statusCode).toBe(204)
    expect((await t.call('GET', url('/notification-channels'), owner)).json<ChannelView[]>().map((c) => c.kind)).toEqual(['email'])

    // Every change is in the workspace's audit chain, with no secret in it.
    const events = await database.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.workspaceId, ownerWs))
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['notification_channel_created', 'notification_webhook_tested', 'notification_channel_updated', 'notification_channel_deleted']),
    )
    expect(JSON.stringify(events)).not.toContain(secret)
  })

  it('refuses bad input with a code and writes nothing', async () => {
    const before = await database.db.select().from(schema.notificationChannels)
    const bad = await t.call('POST', url('/notification-webhooks'), owner, { url: 'http://169.254.169.254/latest' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'BAD_INPUT' })
    const tg = await t.call('POST', url('/notification-channels/telegram'), owner, {})
    expect(tg.statusCode).toBe(400)
    expect(tg.json()).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('TELEGRAM_BOT_TOKEN_FILE') })
    expect((await t.call('POST', url('/notification-channels/email'), owner, { minSeverity: 'loud' })).statusCode).toBe(400)
    expect((await t.call('POST', url('/notification-channels/email'), owner, {})).json()).toMatchObject({ code: 'CONFLICT' })
    expect(await database.db.select().from(schema.notificationChannels)).toEqual(before)
  })

  it('lists deliveries page by page', async () => {
    const { createNotifier } = await import('../../src/monitoring/index.js')
    const { createLogger } = await import('../../src/lib/logger.js')
    const notifier = createNotifier({ db: database.db, clock: t.clock, logger: createLogger({ level: 'silent' }), outbox: t.outbox, alerts: t.alerts, webhookKey: randomBytes(32), allowPrivate: true })
    // The channel changes of the tests above are alerts to the other channels (R34): dispatched first, so the
    // deliveries made below are the newest.
    await notifier.dispatch()
    const hook = (await t.call('POST', url('/notification-webhooks'), owner, { url: receiverUrl, minSeverity: 'info' })).json<{ channel: ChannelView }>().channel
    for (let i = 0; i < 3; i++) await t.alerts.raise({ workspaceId: ownerWs, rule: 'key_connected', severity: 'info', details: { i } })
    await notifier.dispatch()

    type Page = { items: { id: string; channelId: string; alertId: string; rule: string; state: string }[]; nextBefore: string | null }
    const page = async (who: Session, query: string) => (await t.call('GET', url(`/notification-deliveries?${query}`), who)).json<Page>()
    const first = await page(owner, 'limit=4')
    expect(first.items).toHaveLength(4)
    expect(first.nextBefore).toBe(first.items.at(-1)?.id)
    const pages = [first]
    for (let before = first.nextBefore; before !== null; ) {
      const next = await page(owner, `limit=4&before=${before}`)
      expect(next.items.length).toBeGreaterThan(0)
      expect(next.items.length).toBeLessThanOrEqual(4)
      pages.push(next)
      before = next.nextBefore
    }
    const all = pages.flatMap((p) => p.items)
    expect(new Set(all.map((d) => d.id)).size).toBe(all.length)
    expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort().reverse())
    // Newest first: the webhook's arrival went to the owner's email (not to the webhook itself), then three
    // alerts × (email + webhook): seven deliveries, all pending until sent.
    const made = all.slice(0, 7)
    expect(made.every((d) => d.state === 'pending')).toBe(true)
    expect(made.filter((d) => d.channelId === hook.id).map((d) => d.rule)).toEqual(['key_connected', 'key_connected', 'key_connected'])
    const others = made.filter((d) => d.channelId !== hook.id)
    expect(others.map((d) => d.rule).sort()).toEqual(['key_connected', 'key_connected', 'key_connected', 'notification_channel_changed'])
    expect(new Set(others.map((d) => d.channelId)).size).toBe(1)
    // Before them: the three changes of the first test's webhook (added, disabled, removed), to the owner's email.
    expect(all.slice(7).map((d) => d.rule)).toEqual(['notification_channel_changed', 'notification_channel_changed', 'notification_channel_changed'])
    expect(pages.map((p) => p.items.length)).toEqual([4, 4, 2])

    // The trader's own email channel asked for warning and above: it heard of the webhook changes (the first
    // test's added, disabled and removed, then this one added, newest first), and no info alert reached it.
    const traders = await page(trader, 'limit=50')
    const added = others.find((d) => d.rule === 'notification_channel_changed')
    expect(traders.items.map((d) => d.rule)).toEqual(['notification_channel_changed', 'notification_channel_changed', 'notification_channel_changed', 'notification_channel_changed'])
    expect(traders.items[0]?.alertId).toBe(added?.alertId)
    expect(traders.items.every((d) => d.channelId !== others[0]?.channelId)).toBe(true)
  })

  it('pushes the unread count over SSE at once, when an alert is raised and when one is read', async () => {
    const unread = async () => (await t.call('GET', url('/alerts/unread'), owner)).json<{ count: number }>().count
    const start = await unread()
    const s = await openStream(`${base}${url('/alerts/stream')}`, owner.cookie)
    expect(s.res.statusCode).toBe(200)
    expect(s.res.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(s.res.headers['x-content-type-options']).toBe('nosniff')
    expect(await s.next()).toBe(start)

    const alert = await t.alerts.raise({ workspaceId: ownerWs, rule: 'key_removed', severity: 'warning' })
    expect(await s.next()).toBe(start + 1)
    const read = await t.call('POST', url(`/alerts/${alert?.id ?? ''}/read`), owner)
    expect(read.statusCode).toBe(204)
    expect(await s.next()).toBe(start)

    s.close()
    while (stream.listenerCount(ownerWs) > 0) await new Promise((r) => setTimeout(r, 10))
    expect(stream.listenerCount(ownerWs)).toBe(0)
  })

  it('refuses the stream without a session and outside the workspace', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: url('/alerts/stream') })
    expect(anonymous.statusCode).toBe(401)
    const stranger = await t.addUser('stranger@example.com')
    const s = await t.signIn('stranger@example.com')
    expect((await t.call('GET', url('/alerts/stream'), s)).statusCode).toBe(404)
    expect(stranger.workspaceId).not.toBe(ownerWs)
  })
})
