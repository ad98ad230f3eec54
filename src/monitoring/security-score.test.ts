import { describe, expect, it } from 'vitest'
import { scoreSecurity, securityCheckWeights, teamWarnings, type KeyHealthFacts, type SecurityFacts, type TeamPostureFacts } from './security-score.js'

const nothing: SecurityFacts = {
  member: { totp: false, passkeys: 0, recoveryCodesLeft: 0, hasAntiPhishingCode: false, emailVerified: true },
  keys: [],
  rotationDays: 90,
  channels: { email: false, telegram: false, webhook: false },
}
const goodKey = (label: string, over: Partial<KeyHealthFacts> = {}): KeyHealthFacts => ({ label, state: 'active', badges: { withdrawDisabled: true, ipRestricted: true }, ageDays: 10, rotationDueInDays: 80, ...over })
const check = (facts: SecurityFacts, id: string) => scoreSecurity(facts).checks.find((c) => c.id === id)

describe('security score', () => {
  it('weighs its checks to exactly 100', () => {
    expect(Object.values(securityCheckWeights).reduce((a, b) => a + b, 0)).toBe(100)
    expect(scoreSecurity(nothing).checks.map((c) => c.weight).reduce((a, b) => a + b, 0)).toBe(100)
  })

  it('gives a new member without keys only the key checks, each saying "No keys yet", and a step for every other', () => {
    const { score, checks } = scoreSecurity(nothing)
    expect(score).toBe(35) // keys 15 + 10 + 10
    expect(checks.filter((c) => c.done).map((c) => [c.id, c.detail])).toEqual([
      ['keys_ip_restricted', 'No keys yet'],
      ['keys_rotated', 'No keys yet'],
      ['keys_no_withdraw', 'No keys yet'],
    ])
    for (const c of checks.filter((x) => !x.done)) expect(c.fix.path).toMatch(/^\/[a-z-]+$/)
  })

  it('counts TOTP or a passkey as two-factor, and recovery codes only beside one', () => {
    expect(check({ ...nothing, member: { ...nothing.member, recoveryCodesLeft: 10 } }, 'recovery_codes')).toMatchObject({ done: false, detail: 'They come with two-factor sign-in' })
    const totp = { ...nothing, member: { ...nothing.member, totp: true, recoveryCodesLeft: 10 } }
    expect(scoreSecurity(totp).score).toBe(35 + 25 + 5)
    expect(check(totp, 'recovery_codes')).toMatchObject({ done: true, detail: '10 codes left' })
    expect(check({ ...totp, member: { ...totp.member, recoveryCodesLeft: 0 } }, 'recovery_codes')).toMatchObject({ done: false, detail: 'Every recovery code is used', fix: { label: 'Make new recovery codes' } })
    const passkey = { ...nothing, member: { ...nothing.member, passkeys: 2 } }
    expect(check(passkey, 'two_factor')).toMatchObject({ done: true, detail: 'Signing in asks for a passkey' })
    expect(check(passkey, 'passkey')).toMatchObject({ done: true, detail: '2 passkeys' })
  })

  it('counts every active key for IP restriction and age, and every held key for withdrawals', () => {
    const facts = { ...nothing, keys: [goodKey('Main'), goodKey('Spare', { badges: { withdrawDisabled: true, ipRestricted: false } }), goodKey('Old', { ageDays: 95, rotationDueInDays: -5 })] }
    expect(check(facts, 'keys_ip_restricted')).toMatchObject({ done: false, detail: '2 of 3 keys are IP-restricted; "Spare" is not' })
    expect(check(facts, 'keys_rotated')).toMatchObject({ done: false, label: 'No active key is older than 90 days', detail: '"Old" is due for rotation' })
    expect(check(facts, 'keys_no_withdraw')).toMatchObject({ done: true, detail: '3 keys, none with withdraw permission' })
    // A disabled key with withdraw permission could be re-enabled: it still fails; it no longer counts for IP or age.
    const disabled = { ...nothing, keys: [goodKey('Leaky', { state: 'disabled', badges: { withdrawDisabled: false, ipRestricted: false }, rotationDueInDays: -1 })] }
    expect(check(disabled, 'keys_no_withdraw')).toMatchObject({ done: false, detail: '"Leaky": withdraw permission on, or not confirmed off' })
    expect(check(disabled, 'keys_ip_restricted')).toMatchObject({ done: true, detail: 'No active keys' })
    expect(check(disabled, 'keys_rotated')).toMatchObject({ done: true, detail: 'No active keys' })
    // A key at exactly the rotation age is due.
    expect(check({ ...nothing, keys: [goodKey('Edge', { ageDays: 90, rotationDueInDays: 0 })] }, 'keys_rotated')?.done).toBe(false)
  })

  it('names two keys and counts the rest', () => {
    const open = ['A', 'B', 'C', 'D'].map((l) => goodKey(l, { badges: { withdrawDisabled: true, ipRestricted: false } }))
    expect(check({ ...nothing, keys: open }, 'keys_ip_restricted')?.detail).toBe('0 of 4 keys are IP-restricted; "A", "B" and 2 more are not')
  })

  it('wants one alert channel beyond the dashboard, and says which reach the member', () => {
    expect(check(nothing, 'alert_channel')).toMatchObject({ done: false, detail: 'Alerts show only in the dashboard', fix: { path: '/notifications' } })
    expect(check({ ...nothing, channels: { email: true, telegram: false, webhook: true } }, 'alert_channel')).toMatchObject({ done: true, detail: 'Alerts go to email, a webhook' })
  })

  it('adds up to 100 when everything is done', () => {
    const all: SecurityFacts = { member: { totp: true, passkeys: 1, recoveryCodesLeft: 3, hasAntiPhishingCode: true, emailVerified: true }, keys: [goodKey('Main')], rotationDays: 90, channels: { email: false, telegram: true, webhook: false } }
    expect(scoreSecurity(all)).toMatchObject({ score: 100 })
    expect(scoreSecurity(all).checks.every((c) => c.done)).toBe(true)
  })

  it('warns about a team without approvals and about members the two-factor policy limits, never about a lone member', () => {
    const person = (n: number) => ({ userId: `u${n}`, displayName: `Member ${n}`, email: `m${n}@example.com` })
    const team: TeamPostureFacts = { memberCount: 1, approvalsRequired: false, requireTwoFactor: false, membersWithoutSecondFactor: [person(1)] }
    expect(teamWarnings(team)).toEqual([])
    expect(teamWarnings({ ...team, memberCount: 3 }).map((w) => w.id)).toEqual(['approvals_off'])
    expect(teamWarnings({ ...team, memberCount: 3, approvalsRequired: true })).toEqual([])
    // Without the policy a member lacking a second factor is not limited: the score's own check speaks to them.
    const limited = teamWarnings({ memberCount: 6, approvalsRequired: true, requireTwoFactor: true, membersWithoutSecondFactor: [1, 2, 3, 4, 5].map(person) })
    expect(limited).toHaveLength(1)
    expect(limited[0]).toMatchObject({ id: 'members_limited_by_two_factor', message: '5 members act as a viewer until they set up two-factor sign-in, as this workspace requires: Member 1, Member 2, Member 3 and 2 more' })
    expect(limited[0]?.members).toHaveLength(5)
  })
})
