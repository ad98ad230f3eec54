import { describe, expect, it } from 'vitest'
import { alertTitle, asSentence, detailLabel, detailValue, errorReasonText, formatRelative, groupSecret, isOtpShaped, normalizeOtp, plural } from './account-format'

describe('account formatting', () => {
  it('groups a TOTP secret in fours for typing', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP')
    expect(groupSecret('JBSWY3DPEHPK3PXPAB')).toBe('JBSW Y3DP EHPK 3PXP AB')
    expect(groupSecret(' JBSW Y3DP ')).toBe('JBSW Y3DP')
    expect(groupSecret('')).toBe('')
  })

  it('cleans pasted one-time codes and checks their shape', () => {
    expect(normalizeOtp(' 123 456 ')).toBe('123456')
    expect(normalizeOtp('123-456')).toBe('123456')
    expect(isOtpShaped('123456')).toBe(true)
    expect(isOtpShaped('12345')).toBe(false)
    expect(isOtpShaped('12345a')).toBe(false)
  })

  it('explains password rejections by reason, and only those', () => {
    expect(errorReasonText('PASSWORD_REJECTED', 'BREACHED_OR_COMMON')).toBe('It appears in lists of breached or commonly used passwords.')
    expect(errorReasonText('PASSWORD_REJECTED', 'TOO_GUESSABLE')).toBe('It is too easy to guess.')
    expect(errorReasonText('PASSWORD_REJECTED', 'NEW_RULE')).toBe('Reason: New rule.')
    expect(errorReasonText('PASSWORD_REJECTED', undefined)).toBeUndefined()
    expect(errorReasonText('FORBIDDEN', 'TOO_SHORT')).toBeUndefined()
  })

  it('turns server clauses into sentences', () => {
    expect(asSentence('the setup token is wrong')).toBe('The setup token is wrong')
    expect(asSentence('  ')).toBe('')
  })

  it('says how long ago, in words', () => {
    const now = new Date('2025-06-01T12:00:00Z')
    expect(formatRelative('2025-06-01T11:59:30Z', now, 'en')).toBe('just now')
    expect(formatRelative('2025-06-01T11:55:00Z', now, 'en')).toBe('5 minutes ago')
    expect(formatRelative('2025-06-01T09:00:00Z', now, 'en')).toBe('3 hours ago')
    expect(formatRelative('2025-05-31T12:00:00Z', now, 'en')).toBe('yesterday')
    expect(formatRelative('2025-06-04T12:00:00Z', now, 'en')).toBe('in 3 days')
    expect(formatRelative('2025-08-31T12:00:00Z', now, 'en')).toBe('in 3 months')
    expect(formatRelative('not a date', now, 'en')).toBe('not a date')
  })

  it('names alert rules and shows their details as text', () => {
    expect(alertTitle('new_device_sign_in')).toBe('New device sign in')
    expect(detailLabel('ip')).toBe('IP')
    expect(detailLabel('last_ip')).toBe('Last IP')
    expect(detailLabel('user_agent')).toBe('User agent')
    expect(detailValue('203.0.113.7')).toBe('203.0.113.7')
    expect(detailValue(3)).toBe('3')
    expect(detailValue(null)).toBe('—')
    expect(detailValue({ a: 1 })).toBe('{"a":1}')
  })

  it('counts things', () => {
    expect(plural(1, 'other session', 'other sessions')).toBe('1 other session')
    expect(plural(3, 'other session', 'other sessions')).toBe('3 other sessions')
  })
})
