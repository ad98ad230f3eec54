import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { BOT_USERNAME, startFakeTelegram, type FakeTelegram } from '../../../test/support/fake-telegram.js'
import { createManualClock } from '../../lib/clock.js'
import { createLogger } from '../../lib/logger.js'
import { newId } from '../../lib/ids.js'
import { schema } from '../../db/index.js'
import { createAlerts, type Alerts } from '../alerts.js'
import { createAuditChain, type AuditChain } from '../audit-chain.js'
import { createOutbox } from '../outbox.js'
import { createNotificationChannels, LINK_CODE_TTL_MS, type NotificationChannels } from './channels-service.js'
import { createNotifier } from './notifier.js'
import { createTelegram, type Telegram } from './telegram.js'
import { NEUTRAL_ANSWER, TELEGRAM_CODE_PREFIX } from './telegram-messages.js'
import type { ChannelActor } from './notify-types.js'

const TOKEN = `123456:${randomBytes(24).toString('base64url')}`

describe.each(backends)('Telegram notifications through a fake Bot API on %s', (kind) => {
  let database: TestDatabase
  let fake: FakeTelegram
  let telegram: Telegram
  let alerts: Alerts
  let audit: AuditChain
  let channels: NotificationChannels
  const clock = createManualClock('2026-12-04T08:00:00Z')
  const logLines: string[] = []
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } })
  const statusCalls: string[] = []

  const member = async (email: string, code: string | null) => {
    const userId = newId()
    const workspaceId = newId()
    await database.db.insert(schema.users).values({ id: userId, email, displayName: email, antiPhishingCode: code, emailVerifiedAt: clock.now(), createdAt: clock.now() })
    await database.db.insert(schema.workspaces).values({ id: workspaceId, name: `Desk of ${email}`, createdAt: clock.now() })
    await database.db.insert(schema.memberships).values({ workspaceId, userId, role: 'trader', createdAt: clock.now() })
    const actor: ChannelActor = { userId, canManageWebhooks: false }
    return { userId, workspaceId, actor }
  }
  const channelRow = async (id: string) => (await database.db.select().from(schema.notificationChannels).where(eq(schema.notificationChannels.id, id)))[0]
  /** The bot's answer in `chatId` to what the user sends now. */
  const converse = async (chatId: number, text: string, opts: { chatType?: 'private' | 'group' } = {}) => {
    const after = fake.sent.length
    fake.userSends(chatId, text, opts)
    return (await fake.nextSent((m) => m.chatId === chatId, { after })).text
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    fake = await startFakeTelegram({ token: TOKEN })
    alerts = createAlerts({ db: database.db, clock })
    audit = createAuditChain({ db: database.db, clock })
    telegram = createTelegram({
      token: TOKEN,
      apiRoot: fake.apiRoot,
      db: database.db,
      clock,
      logger,
      audit,
      statusOf: async (workspaceId) => {
        statusCalls.push(workspaceId)
        return 'Running bots: 2'
      },
      pollTimeoutSeconds: 5,
    })
    await telegram.start()
    channels = createNotificationChannels({ db: database.db, clock, audit, alerts, webhookKey: randomBytes(32), allowPrivate: false, telegram })
  })
  afterAll(async () => {
    await telegram.stop()
    await fake.close()
    await database.dispose()
  })
  beforeEach(() => {
    fake.failSends(undefined)
  })

  it('starts long polling against the configured API root', () => {
    expect(telegram.botUsername()).toBe(BOT_USERNAME)
    expect(fake.calls).toContain('getMe')
    // A webhook left at Telegram would swallow the updates long polling waits for.
    expect(fake.calls).toContain('deleteWebhook')
  })

  it('links a private chat with the one-time code, answers /status, and delivers alerts with the anti-phishing code', async () => {
    const m = await member('tg@example.com', 'osprey-11')
    const created = await channels.createTelegram(m.workspaceId, m.actor, { minSeverity: 'warning' })
    expect(created.channel).toMatchObject({ kind: 'telegram', state: 'pending', isLinked: false })
    expect(created.linkCode).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(created.deepLink).toBe(`https://t.me/${BOT_USERNAME}?start=${created.linkCode}`)
    expect(created.expiresAt).toBe(new Date(clock.now().getTime() + LINK_CODE_TTL_MS).toISOString())
    // Only the code's hash is stored.
    const stored = await channelRow(created.channel.id)
    expect(JSON.stringify(stored)).not.toContain(created.linkCode)

    // The code in a group chat links nothing.
    expect(await converse(-100_777, `/start ${created.linkCode}`, { chatType: 'group' })).toBe(NEUTRAL_ANSWER)
    expect((await channelRow(created.channel.id))?.state).toBe('pending')

    const confirmation = await converse(4242, `/start ${created.linkCode}`)
    expect(confirmation.split('\n')[0]).toBe(`${TELEGRAM_CODE_PREFIX} osprey-11`)
    expect(confirmation).toContain(`"Desk of tg@example.com"`)
    const linked = await channelRow(created.channel.id)
    expect(linked).toMatchObject({ state: 'active', config: { chatId: 4242 }, linkCodeHash: null })

    // The code works once.
    expect(await converse(5151, created.linkCode)).toBe(NEUTRAL_ANSWER)

    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning', details: { exchangeAccountId: 'acc-7' } })
    const status = await converse(4242, '/status')
    expect(status.split('\n')[0]).toBe(`${TELEGRAM_CODE_PREFIX} osprey-11`)
    expect(status).toContain('Workspace: Desk of tg@example.com')
    expect(status).toContain('State: open')
    expect(status).toContain('Unread alerts: 1')
    expect(status).toContain('Running bots: 2')
    expect(statusCalls).toEqual([m.workspaceId])

    await database.db.update(schema.workspaces).set({ lockedAt: clock.now() }).where(eq(schema.workspaces.id, m.workspaceId))
    expect(await converse(4242, '/status')).toContain('State: LOCKED')

    const notifier = createNotifier({ db: database.db, clock, logger, outbox: createOutbox({ db: database.db, clock }), alerts, telegram, webhookKey: randomBytes(32), allowPrivate: false })
    const after = fake.sent.length
    expect(await notifier.tick()).toMatchObject({ delivered: 1 })
    const message = await fake.nextSent((s) => s.chatId === 4242, { after })
    expect(message.text.split('\n')[0]).toBe(`${TELEGRAM_CODE_PREFIX} osprey-11`)
    expect(message.text).toContain('[WARNING] Exchange key removed')
    expect(message.text).toContain('exchangeAccountId: acc-7')

    // A chat that blocked the bot: the delivery fails with Telegram's reason and is retried later.
    await alerts.raise({ workspaceId: m.workspaceId, rule: 'key_removed', severity: 'warning', details: { exchangeAccountId: 'acc-8' } })
    fake.failSends({ status: 403, description: 'Forbidden: bot was blocked by the user' })
    expect(await notifier.tick()).toMatchObject({ delivered: 0, failed: 1 })
    const failed = (await database.db.select().from(schema.notificationDeliveries).where(eq(schema.notificationDeliveries.channelId, created.channel.id))).find((d) => d.state === 'failed')
    expect(failed).toMatchObject({ lastStatus: 403, lastError: 'Telegram 403: Forbidden: bot was blocked by the user' })

    const log = logLines.join('\n')
    expect(log).not.toContain(TOKEN)
    expect(log).not.toContain(TOKEN.split(':')[1])
    expect(log).not.toContain(created.linkCode)
  })

  it('gives unknown chats, wrong and expired codes the same neutral answer', async () => {
    expect(await converse(9001, '/status')).toBe(NEUTRAL_ANSWER)
    expect(await converse(9001, '/start')).toBe(NEUTRAL_ANSWER)
    expect(await converse(9001, '/start AAAAAAAAAAAAAAAAAAAA')).toBe(NEUTRAL_ANSWER)
    expect(await converse(9001, 'hello')).toBe(NEUTRAL_ANSWER)

    const m = await member('late@example.com', null)
    const created = await channels.createTelegram(m.workspaceId, m.actor, {})
    clock.advance(LINK_CODE_TTL_MS + 1)
    expect(await converse(9002, `/start ${created.linkCode}`)).toBe(NEUTRAL_ANSWER)
    expect((await channelRow(created.channel.id))?.state).toBe('pending')

    // A new code works, and a member without an anti-phishing code is told how to set one.
    const fresh = await channels.newLinkCode(m.workspaceId, m.actor, created.channel.id)
    expect(fresh.linkCode).not.toBe(created.linkCode)
    const confirmation = await converse(9002, `/start ${fresh.linkCode}`)
    expect(confirmation.split('\n')[0]).toMatch(/^No anti-phishing code set yet/)
    expect((await channelRow(created.channel.id))?.state).toBe('active')
  })

  it('refuses Telegram channels when no bot token is configured', async () => {
    const m = await member('nobot@example.com', null)
    const without = createNotificationChannels({ db: database.db, clock, audit, alerts, webhookKey: randomBytes(32), allowPrivate: false })
    await expect(without.createTelegram(m.workspaceId, m.actor, {})).rejects.toMatchObject({ code: 'BAD_INPUT', reason: 'TELEGRAM_NOT_CONFIGURED' })
    expect(await database.db.select().from(schema.notificationChannels).where(eq(schema.notificationChannels.workspaceId, m.workspaceId))).toEqual([])
  })
})
