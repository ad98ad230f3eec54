import { describe, expect, it } from 'vitest'
import { channelView, deliveryView } from '../../../src/monitoring/notify/notify-types'
import { parseAlertRules, parseChannels, parseDeliveryPage, parseLinkCode, parseSettings, parseUnreadCount, parseWebhookCreated, parseWebhookTest, unreadFromEvent } from './notification-parsers'

const telegram = channelView.parse({
  id: 'c1',
  kind: 'telegram',
  label: 'Telegram',
  state: 'pending',
  minSeverity: 'warning',
  userId: 'u1',
  isLinked: false,
  linkCodeExpiresAt: '2026-12-01T10:00:00.000Z',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
})
const webhook = channelView.parse({ ...telegram, id: 'c2', kind: 'webhook', label: 'Ops', state: 'active', userId: null, url: 'https://ops.example.com/hook', isLinked: undefined, linkCodeExpiresAt: undefined })

describe('notification parsers', () => {
  it('read channels of every kind, with the fields only some kinds have', () => {
    const [first, second] = parseChannels([telegram, webhook])
    expect(first).toMatchObject({ kind: 'telegram', isLinked: false, url: undefined, linkCodeExpiresAt: '2026-12-01T10:00:00.000Z' })
    expect(second).toMatchObject({ kind: 'webhook', url: 'https://ops.example.com/hook', isLinked: undefined, linkCodeExpiresAt: null, userId: null })
    expect(() => parseChannels([{ ...telegram, kind: 'pigeon' }])).toThrow(/kind/)
  })

  it('keep only an https deep link to Telegram', () => {
    expect(parseLinkCode({ channel: telegram, linkCode: 'ABCD1234', expiresAt: telegram.createdAt, deepLink: 'https://t.me/bulwark_bot?start=ABCD1234' }).deepLink).toBe('https://t.me/bulwark_bot?start=ABCD1234')
    expect(parseLinkCode({ channel: telegram, linkCode: 'ABCD1234', expiresAt: telegram.createdAt, deepLink: 'javascript:alert(1)' }).deepLink).toBeUndefined()
  })

  it('read the webhook secret once, the test result and the delivery log', () => {
    expect(parseWebhookCreated({ channel: webhook, secret: 'bwn_secret' }).secret).toBe('bwn_secret')
    expect(parseWebhookTest({ ok: false, status: null, error: 'connection refused' })).toEqual({ ok: false, status: null, error: 'connection refused' })
    const delivery = deliveryView.parse({
      id: 'd1',
      channelId: 'c2',
      alertId: 'a1',
      rule: 'new_device',
      severity: 'warning',
      state: 'failed',
      attempts: 2,
      nextAttemptAt: '2026-12-01T09:01:00.000Z',
      lastStatus: 500,
      lastError: 'server error',
      createdAt: '2026-12-01T09:00:00.000Z',
      deliveredAt: null,
    })
    expect(parseDeliveryPage({ items: [delivery], nextBefore: 'd1' })).toMatchObject({ items: [{ state: 'failed', lastStatus: 500 }], nextBefore: 'd1' })
  })

  it('read the unread count, and ignore a malformed stream event instead of failing', () => {
    expect(parseUnreadCount({ count: 3 })).toBe(3)
    expect(() => parseUnreadCount({ count: -1 })).toThrow()
    expect(unreadFromEvent('{"count":7}')).toBe(7)
    expect(unreadFromEvent('not json')).toBeUndefined()
    expect(unreadFromEvent('{"count":"7"}')).toBeUndefined()
  })

  it('read the settings document and the rule catalogue', () => {
    const settings = parseSettings({
      alerts: { rules: { new_device: { severity: 'critical' }, odd: { severity: 'loud' } } },
      keys: { rotationDays: 90, remindDaysBefore: 7, unusedDays: 30 },
      audit: { retentionDays: 0 },
      lockdown: { orders: 'cancel_and_close' },
    })
    expect(settings.alerts.rules).toEqual({ new_device: { severity: 'critical' }, odd: {} })
    expect(settings.lockdown.orders).toBe('cancel_and_close')
    expect(() => parseSettings({ ...settings, lockdown: { orders: 'panic' } })).toThrow(/orders/)
    const [rule] = parseAlertRules([{ id: 'new_device', domain: 'auth', scope: 'workspace', title: 'New device', trigger: 'a sign-in', defaultSeverity: 'warning', severity: 'critical', enabled: true, canDisable: false, dedupWindowMs: 0 }])
    expect(rule).toMatchObject({ id: 'new_device', severity: 'critical', canDisable: false, scope: 'workspace' })
  })
})
