import { describe, expect, it } from 'vitest'
import {
  parseAlerts,
  parseCreatedToken,
  parseCreationOptions,
  parseDevices,
  parseLoginResult,
  parseMe,
  parsePasskeyAdded,
  parsePasskeys,
  parsePasswordReset,
  parseRecoveryCodes,
  parseRequestOptions,
  parseSessions,
  parseSignedIn,
  parseTokens,
  parseTotpSetup,
} from './account-parsers'

// Bodies as the contract (and the server's zod schemas) describe them.
const me = {
  user: { id: 'u1', email: 'ada@example.com', displayName: 'Ada', emailVerified: true, antiPhishingCode: 'blue-heron' },
  security: { totp: true, passkeys: 2, recoveryCodesLeft: 7 },
  csrfToken: 'csrf',
  workspaces: [{ id: 'w1', name: 'Personal', role: 'owner' }],
  stepUpUntil: null,
}

describe('account response parsers', () => {
  it('reads both sign-in outcomes', () => {
    expect(parseLoginResult({ status: 'signed_in', userId: 'u1' })).toEqual({ status: 'signed_in', userId: 'u1' })
    expect(parseLoginResult({ status: 'second_factor', ticket: 't1', methods: ['totp', 'passkey', 'recovery_code'] })).toEqual({
      status: 'second_factor',
      ticket: 't1',
      methods: ['totp', 'passkey', 'recovery_code'],
    })
  })

  it('drops second-factor methods this page does not know, instead of failing the sign-in', () => {
    const result = parseLoginResult({ status: 'second_factor', ticket: 't1', methods: ['totp', 'smoke_signal'] })
    expect(result).toEqual({ status: 'second_factor', ticket: 't1', methods: ['totp'] })
  })

  it('refuses a sign-in answer without a known status or ticket', () => {
    expect(() => parseLoginResult({ status: 'maybe' })).toThrow(/status/)
    expect(() => parseLoginResult({ status: 'second_factor', methods: [] })).toThrow(/ticket/)
    expect(() => parseSignedIn({ status: 'second_factor', ticket: 't', methods: [] })).toThrow(/signed_in/)
  })

  it('reads /api/me, with null display name and anti-phishing code', () => {
    expect(parseMe(me)).toEqual(me)
    const bare = parseMe({ ...me, user: { ...me.user, displayName: null, antiPhishingCode: null }, stepUpUntil: '2030-01-01T00:00:00Z' })
    expect(bare.user.displayName).toBeNull()
    expect(bare.stepUpUntil).toBe('2030-01-01T00:00:00Z')
  })

  it('names the field when /api/me is not what the contract says', () => {
    expect(() => parseMe({ ...me, csrfToken: undefined })).toThrow(/"csrfToken"/)
    expect(() => parseMe({ ...me, security: { ...me.security, passkeys: '2' } })).toThrow(/"passkeys"/)
    expect(() => parseMe({ ...me, workspaces: [{ id: 'w1' }] })).toThrow(/"name"/)
    expect(() => parseMe(null)).toThrow(/expected an object/)
  })

  it('reads passkeys, sessions and devices', () => {
    const passkey = { id: 'p1', name: 'Laptop', createdAt: '2025-01-01T00:00:00Z', lastUsedAt: null, deviceType: 'multiDevice', backedUp: true }
    expect(parsePasskeys([passkey])).toEqual([passkey])
    const session = {
      id: 's1',
      createdAt: '2025-01-01T00:00:00Z',
      lastSeenAt: '2025-01-02T00:00:00Z',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
      device: 'Chrome 131 on Linux',
      place: null,
      current: true,
    }
    const { current: _current, ...rest } = session
    expect(parseSessions([session])).toEqual([{ ...rest, isCurrent: true }])
    const device = { id: 'd1', device: 'Firefox on macOS', firstSeenAt: '2025-01-01T00:00:00Z', lastSeenAt: '2025-01-03T00:00:00Z', lastIp: '198.51.100.2' }
    expect(parseDevices([device])).toEqual([device])
    expect(() => parsePasskeys({ passkeys: [] })).toThrow(/expected a list/)
  })

  it('names a session after its browser when the server sends no device label', () => {
    const [session] = parseSessions([{ id: 's1', createdAt: 'a', lastSeenAt: 'b', ip: null, userAgent: 'curl/8', current: false }])
    expect(session?.device).toBe('curl/8')
  })

  it('reads API tokens and refuses an unknown scope', () => {
    const token = {
      id: 't1',
      name: 'tax export',
      workspaceId: 'w1',
      scope: 'read',
      allowedIps: ['203.0.113.0/24'],
      createdAt: '2025-01-01T00:00:00Z',
      expiresAt: '2025-04-01T00:00:00Z',
      lastUsedAt: null,
      lastUsedIp: null,
    }
    expect(parseTokens([token])).toEqual([token])
    expect(() => parseTokens([{ ...token, scope: 'root' }])).toThrow(/"scope"/)
    expect(parseCreatedToken({ token: 'bwt_secret', id: 't2', name: 'x' })).toEqual({ id: 't2', token: 'bwt_secret' })
  })

  it('reads alerts, and refuses an unknown severity', () => {
    const alert = { id: 'a1', rule: 'new_device', severity: 'warning', details: { ip: '203.0.113.7' }, occurrences: 2, createdAt: 'c', lastSeenAt: 'l', readAt: null }
    expect(parseAlerts([alert])).toEqual([alert])
    expect(() => parseAlerts([{ ...alert, severity: 'meh' }])).toThrow(/"severity"/)
  })

  it('accepts the TOTP QR code only as an inline image', () => {
    const setup = { secret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Bulwark:ada?secret=JBSWY3DPEHPK3PXP', qrDataUrl: 'data:image/png;base64,iVBORw0KGgo=' }
    expect(parseTotpSetup(setup)).toEqual(setup)
    expect(() => parseTotpSetup({ ...setup, qrDataUrl: 'https://qr.example.com/?data=secret' })).toThrow(/data:image/)
  })

  it('reads recovery codes, new passkeys and password resets', () => {
    expect(parseRecoveryCodes({ recoveryCodes: [] })).toEqual([])
    expect(() => parseRecoveryCodes({ recoveryCodes: [1, 2] })).toThrow(/list of strings/)
    expect(parsePasskeyAdded({ id: 'p', name: 'Key', recoveryCodes: ['a.b'] })).toEqual({ id: 'p', name: 'Key', recoveryCodes: ['a.b'] })
    expect(parsePasswordReset({ status: 'password_changed', secondFactorStillRequired: true })).toEqual({ secondFactorStillRequired: true })
  })

  it('checks WebAuthn options before they reach the authenticator', () => {
    const request = { challenge: 'abc', rpId: 'localhost', allowCredentials: [], userVerification: 'required' }
    expect(parseRequestOptions(request)).toBe(request)
    expect(() => parseRequestOptions({ code: 'FORBIDDEN' })).toThrow(/"challenge"/)
    const creation = { challenge: 'abc', rp: { name: 'Bulwark', id: 'localhost' }, user: { id: 'dXNlcg', name: 'ada', displayName: 'Ada' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] }
    expect(parseCreationOptions(creation)).toBe(creation)
    expect(() => parseCreationOptions({ ...creation, user: {} })).toThrow(/"id"/)
    expect(() => parseCreationOptions({ ...creation, pubKeyCredParams: undefined })).toThrow(/pubKeyCredParams/)
  })
})
