import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { aeadEncrypt, canonicalJson } from '../../crypto/index.js'
import { checkWebhookUrl, classifyAddress } from './webhook-address.js'
import { generateNotifySecret, openNotifySecret, sealNotifySecret, signWebhook } from './webhook-secret.js'
import { alertSummary, alertTitle } from './describe-alert.js'

describe('outgoing webhook addresses (SSRF)', () => {
  it.each([
    ['93.184.215.14', 'public'],
    ['2606:4700::1111', 'public'],
    ['127.0.0.1', 'private'],
    ['127.8.9.10', 'private'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'forbidden'],
    ['169.254.169.254', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['::', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['64:ff9b::7f00:1', 'forbidden'],
    ['not-an-ip', 'forbidden'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected)
  })

  it('accepts https to a public name and http to loopback only when private addresses are allowed', async () => {
    const resolve = async () => ['93.184.215.14']
    expect((await checkWebhookUrl('https://hooks.example.test/a#frag', { allowPrivate: false }, resolve)).toString()).toBe('https://hooks.example.test/a')
    expect((await checkWebhookUrl('http://127.0.0.1:9000/a', { allowPrivate: true })).toString()).toBe('http://127.0.0.1:9000/a')
    await expect(checkWebhookUrl('http://127.0.0.1:9000/a', { allowPrivate: false })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(checkWebhookUrl('https://nowhere.example.test/', { allowPrivate: false }, async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('does not resolve'),
    })
  })
})

describe('webhook signing secrets', () => {
  it('seals bound to the channel id: another channel, another key or a flipped byte does not open', () => {
    const key = randomBytes(32)
    const secret = generateNotifySecret()
    const sealed = sealNotifySecret(key, 'chan-1', secret)
    expect(sealed.startsWith('v1.')).toBe(true)
    expect(openNotifySecret(key, 'chan-1', sealed)).toBe(secret)
    expect(() => openNotifySecret(key, 'chan-2', sealed)).toThrow(expect.objectContaining({ code: 'INTEGRITY_FAILED' }))
    expect(() => openNotifySecret(randomBytes(32), 'chan-1', sealed)).toThrow(expect.objectContaining({ code: 'INTEGRITY_FAILED' }))
    const raw = Buffer.from(sealed.slice(3), 'base64url')
    raw.writeUInt8((raw.at(-1) ?? 0) ^ 1, raw.length - 1)
    expect(() => openNotifySecret(key, 'chan-1', `v1.${raw.toString('base64url')}`)).toThrow(expect.objectContaining({ code: 'INTEGRITY_FAILED' }))
  })

  it('pins the sealing context, so stored secrets stay readable', () => {
    const key = randomBytes(32)
    const aad = Buffer.from(canonicalJson({ v: 1, purpose: 'notification_webhook_secret', channelId: 'chan-9' }))
    const sealed = `v1.${aeadEncrypt(key, Buffer.from('bwn_pinned'), aad).toString('base64url')}`
    expect(openNotifySecret(key, 'chan-9', sealed)).toBe('bwn_pinned')
  })

  it('signs timestamp + "." + body with HMAC-SHA256', () => {
    // Known answer: HMAC-SHA256(key "bwn_k", message "1700000000.{}") computed with node:crypto independently.
    const expected = createHmac('sha256', 'bwn_k').update('1700000000.{}').digest('hex')
    expect(signWebhook('bwn_k', '1700000000', '{}')).toBe(`sha256=${expected}`)
    expect(signWebhook('bwn_k', '1700000001', '{}')).not.toBe(`sha256=${expected}`)
  })
})

describe('alert wording', () => {
  it('uses the catalogue title and shows details on one bounded line', () => {
    expect(alertTitle('key_removed')).toBe('Exchange key removed')
    expect(alertTitle('some_new_rule')).toBe('Some new rule')
    expect(alertSummary({ details: { ip: '203.0.113.9', note: 'a\nb' }, occurrences: 3 })).toBe('ip: 203.0.113.9; note: a b; occurrences: 3')
    expect(alertSummary({ details: {}, occurrences: 1 })).toBe('No further detail.')
    expect(alertSummary({ details: { x: 'y'.repeat(5_000) }, occurrences: 1 }).length).toBeLessThanOrEqual(600)
  })
})
