import { describe, expect, it } from 'vitest'
// eslint-disable-next-line import-x/no-restricted-paths -- checks the parser against the catalogue the server serves
import { catalogue as serverCatalogue } from '../../../src/exchanges/index'
import {
  hmacSecretLabel,
  isConnectable,
  parseCatalogue,
  parseExchangeAccounts,
  parseGeneratedKey,
  parseLimitsResult,
  parseOperationOutcome,
  parseSealingKey,
  parseWideningOperations,
  proposedLimits,
  safeExternalUrl,
} from './exchange-parsers'

const operation = {
  operationId: 'op1',
  workspaceId: 'w1',
  keyId: 'k1',
  kind: 'limits',
  params: { limits: { symbols: ['BTC/USDT'], maxOrderNotional: '500', max24hNotional: '1000', maxOrdersPerMinute: 10, priceBandPct: '5' } },
  state: 'pending',
  challenge: 'abc',
  createdAt: '2025-03-01T12:00:00.000Z',
  notBefore: '2025-03-02T12:00:00.000Z',
  resolvedAt: null,
  resolvedVia: null,
  confirmedBy: null,
  note: null,
}

const generatedAccount = {
  id: 'a2',
  keyId: 'k2',
  workspaceId: 'w1',
  exchange: 'binance',
  label: 'Ed key',
  state: 'unverified',
  disabledReason: null,
  apiKeyHint: 'awai…cafe',
  verification: { status: 'awaiting_api_key', checkedAt: '2025-03-01T12:00:00.000Z', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n', note: 'register this public key at Binance' },
  limits: null,
  createdAt: '2025-03-01T12:00:00.000Z',
  keyCreatedAt: '2025-03-01T12:00:00.000Z',
  keyAgeDays: 0,
  lastUsedAt: null,
  lastVerifiedAt: null,
  stale: false,
}

describe('the exchange catalogue', () => {
  it("reads the server's own catalogue, guide and labels included, with every entry connectable", () => {
    const parsed = parseCatalogue({ egressIps: ['203.0.113.7'], exchanges: serverCatalogue.map((entry) => ({ ...entry })) })
    expect(parsed.egressIps).toEqual(['203.0.113.7'])
    expect(parsed.exchanges.map((entry) => entry.id)).toEqual(serverCatalogue.map((entry) => entry.id))
    for (const entry of parsed.exchanges) {
      expect(isConnectable(entry)).toBe(true)
      expect(entry.keyGuide?.steps.length).toBeGreaterThanOrEqual(3)
      expect(entry.keyGuide?.url).toMatch(/^https:\/\//)
    }
    const okx = parsed.exchanges.find((entry) => entry.id === 'okx')
    expect(okx?.credentials).toEqual(['apiKey', 'secret', 'password'])
    expect(okx?.credentialLabels.password).toBe('Passphrase')
    const unverifiable = parsed.exchanges.filter((entry) => !entry.canVerify)
    for (const entry of unverifiable) expect(entry.unverifiableReason).toMatch(/^cannot be verified on /)
    // The secret field is for HMAC secrets only: a generated Ed25519 private key is never pasted.
    for (const entry of parsed.exchanges) expect(entry.credentialLabels.secret).not.toMatch(/ed25519/i)
    expect(parsed.exchanges.find((entry) => entry.id === 'binance')?.credentialLabels.secret).toBe('Secret Key')
  })

  it('keeps a secret label as the exchange words it, minus any aside about generated Ed25519 keys', () => {
    expect(hmacSecretLabel('Secret Key (or the Ed25519 private key Bulwark generated)')).toBe('Secret Key')
    expect(hmacSecretLabel('API Secret (HMAC)')).toBe('API Secret (HMAC)')
    expect(hmacSecretLabel('(Ed25519 key)')).toBe('Secret key')
  })

  it('keeps a minimal entry, drops a broken one, and does not offer one it cannot fill in', () => {
    const parsed = parseCatalogue({
      egressIps: [],
      exchanges: [
        { id: 'mini', name: 'Mini', ccxtId: 'mini', market: 'spot', credentials: ['apiKey', 'secret'], permissionCheck: 'none', acceptsEd25519: false },
        { name: 'No id', credentials: ['apiKey', 'secret'] },
        { id: 'future', name: 'Future', credentials: ['apiKey', 'privateKeyFile'], keyGuide: { url: 'javascript:alert(1)', steps: ['a'] } },
      ],
    })
    expect(parsed.exchanges.map((entry) => entry.id)).toEqual(['mini', 'future'])
    const [mini, future] = parsed.exchanges
    expect(mini?.credentialLabels).toEqual({ apiKey: 'API key', secret: 'Secret key', password: 'Passphrase' })
    expect(mini?.canVerify).toBe(false)
    expect(mini?.keyGuide).toBeUndefined()
    expect(future !== undefined && isConnectable(future)).toBe(false)
    expect(future?.keyGuide?.url).toBeUndefined()
  })

  it('links only to https pages', () => {
    expect(safeExternalUrl('https://www.okx.com/account/my-api')).toBe('https://www.okx.com/account/my-api')
    expect(safeExternalUrl('http://example.com')).toBeUndefined()
    expect(safeExternalUrl('javascript:alert(1)')).toBeUndefined()
    expect(safeExternalUrl(42)).toBeUndefined()
  })

  it('fails loudly when the answer is not a catalogue at all', () => {
    expect(() => parseCatalogue({ exchanges: [] })).toThrow(/egressIps/)
    expect(() => parseCatalogue([])).toThrow()
  })
})

describe('accounts and pending changes', () => {
  it('reads accounts, with limits or without', () => {
    const [first] = parseExchangeAccounts([
      {
        id: 'a1',
        keyId: 'k1',
        exchange: 'okx',
        label: 'Main',
        state: 'active',
        disabledReason: null,
        apiKeyHint: 'ab…yz',
        verification: { status: 'verified', withdrawEnabled: false, note: 42 },
        limits: operation.params.limits,
        createdAt: 'x',
        keyCreatedAt: 'x',
        keyAgeDays: 1,
        lastUsedAt: null,
        lastVerifiedAt: null,
        stale: false,
      },
    ])
    expect(first?.limits?.maxOrderNotional).toBe('500')
    expect(first?.keyId).toBe('k1')
    expect(first?.verification).toMatchObject({ status: 'verified', withdrawEnabled: false, note: undefined, ipRestricted: undefined })
    expect(() => parseExchangeAccounts([{ id: 'a1' }])).toThrow(/exchange/)
    expect(() => parseExchangeAccounts([{ ...generatedAccount, keyId: undefined }])).toThrow(/keyId/)
  })

  it('reads a generated key pair: the account waiting for its API key, and the public key to register', () => {
    const generated = parseGeneratedKey({ account: generatedAccount, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n' })
    expect(generated.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    expect(generated.account.verification).toMatchObject({ status: 'awaiting_api_key', publicKeyPem: generatedAccount.verification.publicKeyPem })
    expect(() => parseGeneratedKey({ account: generatedAccount })).toThrow(/publicKeyPem/)
  })

  it("reads the sealing key with the server's clock, and refuses one without it", () => {
    const key = { publicKey: 'BPk', algorithm: 'ECDH-P256/HKDF-SHA256/AES-256-GCM', maxEnvelopeAgeSeconds: 300 }
    expect(parseSealingKey({ ...key, now: '2025-03-01T12:00:00.000Z' }).now).toBe('2025-03-01T12:00:00.000Z')
    expect(() => parseSealingKey(key)).toThrow(/now/)
    expect(() => parseSealingKey({ ...key, now: 'soon' })).toThrow(/now/)
  })

  it('reads pending operations and the limits they propose', () => {
    const [op] = parseWideningOperations([operation, { ...operation, operationId: 'op2', kind: 'trust_passkey', keyId: null, params: {} }])
    expect(op && proposedLimits(op)?.maxOrderNotional).toBe('500')
    expect(parseWideningOperations([{ ...operation, kind: 'enable', params: {} }]).map(proposedLimits)).toEqual([undefined])
  })

  it('tells an applied limits change from a pending one', () => {
    expect(parseLimitsResult({ status: 'pending_confirmation', operation }).status).toBe('pending_confirmation')
    // Four-eyes (R42): a raise that waits for a second owner or admin.
    const approval = {
      id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      workspaceId: 'w1',
      kind: 'limits.raise',
      summary: 'Raise the limits of the key of Main',
      state: 'pending',
      requestedBy: null,
      requestedAt: '2026-12-01T09:00:00.000Z',
      expiresAt: '2026-12-02T09:00:00.000Z',
      decidedBy: null,
      decidedAt: null,
      note: null,
      details: { keyId: 'k1' },
      canDecide: false,
    }
    const waiting = parseLimitsResult({ status: 'pending_approval', approval })
    expect(waiting.status === 'pending_approval' ? waiting.approval.summary : undefined).toBe('Raise the limits of the key of Main')
    expect(() => parseLimitsResult({ status: 'pending_approval' })).toThrow(/approval/)
    expect(() => parseLimitsResult({ status: 'maybe' })).toThrow()
    expect(parseOperationOutcome({ ...operation, state: 'superseded', note: "the key's limits changed" })).toEqual({ state: 'superseded', note: "the key's limits changed" })
    expect(parseOperationOutcome(undefined)).toEqual({ state: undefined, note: undefined })
  })
})
