import { describe, expect, it } from 'vitest'
import { parseActivityPage, parseActivitySummaries, parseAuditMembers, parseAuditPage, parseAuditVerification, parseKeyHealthList } from './monitoring-parsers'

const keyHealth = {
  exchangeAccountId: 'a1',
  keyId: 'k1',
  exchange: 'binance',
  label: 'Main',
  state: 'active',
  disabledReason: null,
  testnet: false,
  badges: { withdrawDisabled: true, ipRestricted: false, tradingEnabled: true },
  ageDays: 12.5,
  rotationDueInDays: 77.5,
  lastUsedAt: null,
  lastVerifiedAt: '2026-12-01T09:00:00.000Z',
  expiresAt: null,
  stale: false,
}

describe('monitoring parsers', () => {
  it('read key health with its badges, and name the field that is wrong', () => {
    expect(parseKeyHealthList([keyHealth])[0]?.badges).toEqual({ withdrawDisabled: true, ipRestricted: false, tradingEnabled: true })
    expect(() => parseKeyHealthList([{ ...keyHealth, badges: { withdrawDisabled: 'yes' } }])).toThrow(/withdrawDisabled/)
  })

  it('read an activity page and per-key summaries, with optional latency', () => {
    const entry = {
      id: 'x1',
      occurredAt: '2026-12-01T09:00:00.000Z',
      keyId: 'k1',
      exchangeAccountId: null,
      exchange: 'binance',
      method: 'createOrder',
      endpoint: 'POST /api/v3/order',
      botId: null,
      outcome: 'denied',
      errorCode: 'ENDPOINT_DENIED',
      durationMs: 3,
      actorType: 'bot',
      actorId: null,
      requestId: 'r1',
      details: {},
    }
    expect(parseActivityPage({ entries: [entry], next: 'cursor' })).toMatchObject({ entries: [{ outcome: 'denied', errorCode: 'ENDPOINT_DENIED' }], next: 'cursor' })
    const [summary] = parseActivitySummaries([
      { keyId: 'k1', exchangeAccountId: null, exchange: null, requests: 4, errors: 1, denied: 0, lastUsedAt: null, latencyP50Ms: null, latencyP95Ms: 9, perDay: [{ day: '2026-12-01', requests: 4, errors: 1, denied: 0 }] },
    ])
    expect(summary).toMatchObject({ latencyP50Ms: null, latencyP95Ms: 9, perDay: [{ day: '2026-12-01', requests: 4 }] })
  })

  it('read audit entries and both verdicts of the verification', () => {
    const page = parseAuditPage({
      entries: [{ seq: 7, occurredAt: '2026-12-01T09:00:00.000Z', type: 'session_revoked', actor: { type: 'user', id: 'u1' }, outcome: 'success', ip: null, requestId: null, details: { sessionId: 's' }, prevHash: 'a', hash: 'b' }],
      nextCursor: null,
    })
    expect(page.entries[0]).toMatchObject({ seq: 7, actor: { type: 'user', id: 'u1' }, details: { sessionId: 's' }, hash: 'b' })
    expect(parseAuditVerification({ chain: 'ws:1', ok: true, entries: 9, lastCheckpoint: { seq: 8, time: '2026-12-01T09:00:00.000Z' } })).toMatchObject({ ok: true, lastCheckpoint: { seq: 8 }, firstBadSeq: undefined })
    expect(parseAuditVerification({ chain: 'ws:1', ok: false, entries: 9, firstBadSeq: 4, reason: 'hash mismatch', lastCheckpoint: null })).toMatchObject({ ok: false, firstBadSeq: 4, lastCheckpoint: null })
  })

  it('read who has entries in the audit log, a removed account without a name', () => {
    const members = parseAuditMembers({
      members: [
        { userId: 'u1', email: 'sam@example.com', displayName: 'Sam', entries: 12, lastAt: '2026-12-01T09:00:00.000Z' },
        { userId: 'u2', email: null, displayName: null, entries: 1, lastAt: '2026-11-30T09:00:00.000Z' },
      ],
    })
    expect(members.map((m) => [m.userId, m.displayName, m.entries])).toEqual([
      ['u1', 'Sam', 12],
      ['u2', null, 1],
    ])
    expect(() => parseAuditMembers([])).toThrow(/audit members/)
    expect(() => parseAuditMembers({ members: [{ userId: 'u1', entries: 'many', lastAt: 'x' }] })).toThrow(/entries/)
  })
})
