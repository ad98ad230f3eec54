import { describe, expect, it } from 'vitest'
import { antiPhishingProblem, cidrListProblem, emailProblem, expiryDaysProblem, normalizeCidr, parseCidrList } from './account-validation'

describe('account form checks', () => {
  it('accepts loose but plausible email addresses', () => {
    expect(emailProblem('ada@example.com')).toBeUndefined()
    expect(emailProblem(' operator@localhost ')).toBeUndefined()
    expect(emailProblem('')).toBe('Enter your email address.')
    expect(emailProblem('ada')).toBe('"ada" does not look like an email address.')
  })

  it('accepts anti-phishing codes of 4–20 letters, digits and dashes', () => {
    expect(antiPhishingProblem('blue-heron-42')).toBeUndefined()
    expect(antiPhishingProblem('abc')).toMatch(/4 to 20/)
    expect(antiPhishingProblem('a'.repeat(21))).toMatch(/this one has 21/)
    expect(antiPhishingProblem('blue heron')).toBe('Use only letters, digits and dashes.')
    expect(antiPhishingProblem('<script>')).toBe('Use only letters, digits and dashes.')
  })

  it('accepts whole days from 1 to 365 for token expiry', () => {
    expect(expiryDaysProblem('1')).toBeUndefined()
    expect(expiryDaysProblem('365')).toBeUndefined()
    for (const bad of ['0', '366', '1.5', '', 'ten', '-3']) expect(expiryDaysProblem(bad)).toBeDefined()
  })

  it('normalizes IP addresses and ranges to CIDRs', () => {
    expect(normalizeCidr('203.0.113.7')).toBe('203.0.113.7/32')
    expect(normalizeCidr('203.0.113.0/24')).toBe('203.0.113.0/24')
    expect(normalizeCidr('2001:db8::/32')).toBe('2001:db8::/32')
    expect(normalizeCidr('::1')).toBe('::1/128')
    expect(normalizeCidr('203.0.113.0/024')).toBe('203.0.113.0/24')
  })

  it('refuses what is not an address or range', () => {
    for (const bad of ['256.1.1.1', '203.0.113.0/33', '2001:db8::/129', 'example.com', '10.0.0.0/8/8', '1.2.3', '2001:db8::g', '10.0.0.1/']) {
      expect(normalizeCidr(bad), bad).toBeUndefined()
    }
  })

  it('reads a list separated by lines, commas or spaces, without duplicates', () => {
    expect(parseCidrList('203.0.113.0/24\n198.51.100.7, 198.51.100.7/32  2001:db8::/48\n')).toEqual({
      cidrs: ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/48'],
      invalid: [],
    })
    expect(parseCidrList('')).toEqual({ cidrs: [], invalid: [] })
    expect(cidrListProblem('10.0.0.0/8, nope, 999.1.1.1')).toBe(
      'These are not an IP address or range: "nope", "999.1.1.1". Use forms like 203.0.113.0/24 or 2001:db8::/32.',
    )
    expect(cidrListProblem('10.0.0.0/8')).toBeUndefined()
  })
})
