import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser'
import type { Parse } from './api'
import { isRecord, readList, readObject } from './json-guards'

/**
 * Types and parsers for the accounts API (sign-in, factors, sessions, devices, API tokens, alerts).
 * Each parser checks the shape the contract promises and throws on anything else, which the request
 * layer reports as BAD_RESPONSE. Lists of enum values drop entries this page does not know yet, so a
 * newer server with one more sign-in method does not lock people out of the older page.
 */

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey'
const secondFactorMethods: readonly SecondFactorMethod[] = ['totp', 'recovery_code', 'passkey']

export type LoginResult =
  | { status: 'signed_in'; userId: string }
  | { status: 'second_factor'; ticket: string; methods: SecondFactorMethod[] }

export type Workspace = { id: string; name: string; role: string }

export type SecuritySummary = {
  totp: boolean
  passkeys: number
  recoveryCodesLeft: number
}

export type Me = {
  user: { id: string; email: string; displayName: string | null; emailVerified: boolean; antiPhishingCode: string | null }
  security: SecuritySummary
  csrfToken: string
  workspaces: Workspace[]
  stepUpUntil: string | null
}

export type Passkey = {
  id: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  /** "singleDevice" or "multiDevice" (synced); kept as a string for values added later. */
  deviceType: string
  backedUp: boolean
}

export type SessionView = {
  id: string
  createdAt: string
  lastSeenAt: string
  ip: string | null
  userAgent: string | null
  device: string
  place: string | null
  isCurrent: boolean
}

export type KnownDevice = { id: string; device: string; firstSeenAt: string; lastSeenAt: string; lastIp: string | null }

export type TokenScope = 'read' | 'trade' | 'admin'
export const tokenScopes: readonly TokenScope[] = ['read', 'trade', 'admin']

export type ApiToken = {
  id: string
  name: string
  workspaceId: string
  scope: TokenScope
  allowedIps: string[]
  createdAt: string
  expiresAt: string
  lastUsedAt: string | null
  lastUsedIp: string | null
}

export type CreatedToken = { id: string; token: string }

export type AlertSeverity = 'info' | 'warning' | 'critical'
const alertSeverities: readonly AlertSeverity[] = ['info', 'warning', 'critical']

export type Alert = {
  id: string
  rule: string
  severity: AlertSeverity
  details: Readonly<Record<string, unknown>>
  occurrences: number
  createdAt: string
  lastSeenAt: string
  readAt: string | null
}

export type TotpSetup = { secret: string; otpauthUri: string; qrDataUrl: string }

export type PasskeyAdded = { id: string; name: string; recoveryCodes: string[] }

export type PasswordResetResult = { secondFactorStillRequired: boolean }

const status = <T extends string>(body: unknown, what: string, expected: T): T => readObject(body, what).oneOf('status', [expected])

export const parseCheckEmail: Parse<'check_email'> = (body) => status(body, 'check email', 'check_email')

export const parseVerified: Parse<true> = (body) => {
  if (!readObject(body, 'verify email').boolean('verified')) throw new Error('verify email: expected { verified: true }')
  return true
}

export const parseUnlocked: Parse<'unlocked'> = (body) => status(body, 'unlock', 'unlocked')
export const parseLocked: Parse<'locked'> = (body) => status(body, 'not me', 'locked')

export const parsePasswordReset: Parse<PasswordResetResult> = (body) => {
  const fields = readObject(body, 'password reset')
  fields.oneOf('status', ['password_changed'])
  return { secondFactorStillRequired: fields.boolean('secondFactorStillRequired') }
}

export const parseLoginResult: Parse<LoginResult> = (body) => {
  const fields = readObject(body, 'login')
  const outcome = fields.oneOf('status', ['signed_in', 'second_factor'])
  if (outcome === 'signed_in') return { status: 'signed_in', userId: fields.string('userId') }
  const methods = fields.stringArray('methods').filter((method): method is SecondFactorMethod =>
    secondFactorMethods.some((known) => known === method),
  )
  return { status: 'second_factor', ticket: fields.string('ticket'), methods }
}

/** A second-factor or passkey sign-in must end signed in; another round would be a server bug. */
export const parseSignedIn: Parse<{ userId: string }> = (body) => {
  const result = parseLoginResult(body)
  if (result.status !== 'signed_in') throw new Error('login: expected { status: "signed_in" }')
  return { userId: result.userId }
}

const parseWorkspace = (value: unknown): Workspace => {
  const fields = readObject(value, 'workspace')
  return { id: fields.string('id'), name: fields.string('name'), role: fields.string('role') }
}

export const parseMe: Parse<Me> = (body) => {
  const fields = readObject(body, 'me')
  const user = readObject(fields.record('user'), 'me.user')
  const security = readObject(fields.record('security'), 'me.security')
  return {
    user: {
      id: user.string('id'),
      email: user.string('email'),
      displayName: user.nullableString('displayName'),
      emailVerified: user.boolean('emailVerified'),
      antiPhishingCode: user.nullableString('antiPhishingCode'),
    },
    security: {
      totp: security.boolean('totp'),
      passkeys: security.number('passkeys'),
      recoveryCodesLeft: security.number('recoveryCodesLeft'),
    },
    csrfToken: fields.string('csrfToken'),
    workspaces: fields.array('workspaces', parseWorkspace),
    stepUpUntil: fields.nullableString('stepUpUntil'),
  }
}

export const parseStepUp: Parse<{ stepUpUntil: string }> = (body) => ({ stepUpUntil: readObject(body, 'step-up').string('stepUpUntil') })

const parsePasskey = (value: unknown): Passkey => {
  const fields = readObject(value, 'passkey')
  return {
    id: fields.string('id'),
    name: fields.string('name'),
    createdAt: fields.string('createdAt'),
    lastUsedAt: fields.nullableString('lastUsedAt'),
    deviceType: fields.string('deviceType'),
    backedUp: fields.boolean('backedUp'),
  }
}

export const parsePasskeys: Parse<Passkey[]> = (body) => readList(body, 'passkeys', parsePasskey)

const parseSession = (value: unknown): SessionView => {
  const fields = readObject(value, 'session')
  const userAgent = fields.nullableString('userAgent')
  return {
    id: fields.string('id'),
    createdAt: fields.string('createdAt'),
    lastSeenAt: fields.string('lastSeenAt'),
    ip: fields.nullableString('ip'),
    userAgent,
    device: fields.nullableString('device') ?? userAgent ?? 'Unknown device',
    place: fields.nullableString('place'),
    isCurrent: fields.boolean('current'),
  }
}

export const parseSessions: Parse<SessionView[]> = (body) => readList(body, 'sessions', parseSession)

export const parseRevokedCount: Parse<number> = (body) => readObject(body, 'revoke others').number('revoked')

const parseDevice = (value: unknown): KnownDevice => {
  const fields = readObject(value, 'device')
  return {
    id: fields.string('id'),
    device: fields.string('device'),
    firstSeenAt: fields.string('firstSeenAt'),
    lastSeenAt: fields.string('lastSeenAt'),
    lastIp: fields.nullableString('lastIp'),
  }
}

export const parseDevices: Parse<KnownDevice[]> = (body) => readList(body, 'devices', parseDevice)

const parseToken = (value: unknown): ApiToken => {
  const fields = readObject(value, 'API token')
  return {
    id: fields.string('id'),
    name: fields.string('name'),
    workspaceId: fields.string('workspaceId'),
    scope: fields.oneOf('scope', tokenScopes),
    allowedIps: fields.stringArray('allowedIps'),
    createdAt: fields.string('createdAt'),
    expiresAt: fields.string('expiresAt'),
    lastUsedAt: fields.nullableString('lastUsedAt'),
    lastUsedIp: fields.nullableString('lastUsedIp'),
  }
}

export const parseTokens: Parse<ApiToken[]> = (body) => readList(body, 'API tokens', parseToken)

export const parseCreatedToken: Parse<CreatedToken> = (body) => {
  const fields = readObject(body, 'new API token')
  return { id: fields.string('id'), token: fields.string('token') }
}

const parseAlert = (value: unknown): Alert => {
  const fields = readObject(value, 'alert')
  return {
    id: fields.string('id'),
    rule: fields.string('rule'),
    severity: fields.oneOf('severity', alertSeverities),
    details: fields.record('details'),
    occurrences: fields.number('occurrences'),
    createdAt: fields.string('createdAt'),
    lastSeenAt: fields.string('lastSeenAt'),
    readAt: fields.nullableString('readAt'),
  }
}

export const parseAlerts: Parse<Alert[]> = (body) => readList(body, 'alerts', parseAlert)

/**
 * The QR code must be an inline image: the CSP allows images only from 'self' and data:, and an
 * http(s) URL here would also leak the TOTP secret to whoever serves it.
 */
export const parseTotpSetup: Parse<TotpSetup> = (body) => {
  const fields = readObject(body, 'TOTP setup')
  const qrDataUrl = fields.string('qrDataUrl')
  if (!qrDataUrl.startsWith('data:image/')) throw new Error('TOTP setup: expected qrDataUrl to be a data:image/ URL')
  return { secret: fields.string('secret'), otpauthUri: fields.string('otpauthUri'), qrDataUrl }
}

export const parseRecoveryCodes: Parse<string[]> = (body) => readObject(body, 'recovery codes').stringArray('recoveryCodes')

export const parsePasskeyAdded: Parse<PasskeyAdded> = (body) => {
  const fields = readObject(body, 'new passkey')
  return { id: fields.string('id'), name: fields.string('name'), recoveryCodes: fields.stringArray('recoveryCodes') }
}

/**
 * WebAuthn options go to the browser's authenticator as they are; checking the challenge (and for
 * registration the relying party and user) catches an error body or a wrong route early.
 */
export const parseRequestOptions: Parse<PublicKeyCredentialRequestOptionsJSON> = (body) => {
  const fields = readObject(body, 'passkey options')
  if (fields.string('challenge') === '') throw new Error('passkey options: empty challenge')
  return body as PublicKeyCredentialRequestOptionsJSON
}

export const parseCreationOptions: Parse<PublicKeyCredentialCreationOptionsJSON> = (body) => {
  const fields = readObject(body, 'passkey registration options')
  if (fields.string('challenge') === '') throw new Error('passkey registration options: empty challenge')
  readObject(fields.record('rp'), 'passkey registration options.rp')
  readObject(fields.record('user'), 'passkey registration options.user').string('id')
  if (!isRecord(body) || !Array.isArray(body.pubKeyCredParams)) throw new Error('passkey registration options: expected pubKeyCredParams')
  return body as unknown as PublicKeyCredentialCreationOptionsJSON
}
