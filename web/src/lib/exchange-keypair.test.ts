import { describe, expect, it } from 'vitest'
// eslint-disable-next-line import-x/no-restricted-paths -- checks the default against the catalogue the server serves
import { catalogue as serverCatalogue } from '../../../src/exchanges/index'
import { awaitingPublicKey, defaultConnectMethod, isAwaitingApiKey, MAX_API_KEY_LENGTH, prepareApiKey, publicKeyToRegister } from './exchange-keypair'
import { parseCatalogue, parseExchangeAccount, type ExchangeAccount } from './exchange-parsers'

/** As the signer exports it: SPKI PEM of an Ed25519 public key, with its trailing newline. */
const publicKeyPem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEATp8iGVvPsOrC5ewhOt0Roq2vp715iHQkZxkA/vLwgwA=\n-----END PUBLIC KEY-----\n'

const account = (verification: Record<string, unknown>): ExchangeAccount =>
  parseExchangeAccount({
    id: 'a1',
    keyId: 'k1',
    exchange: 'binance',
    label: 'Main',
    state: 'unverified',
    disabledReason: null,
    apiKeyHint: 'awai…1234',
    verification,
    limits: null,
    createdAt: '2025-03-01T12:00:00.000Z',
    keyCreatedAt: '2025-03-01T12:00:00.000Z',
    keyAgeDays: 0,
    lastUsedAt: null,
    lastVerifiedAt: null,
    stale: false,
  })

describe('choosing how to get the key', () => {
  it("offers the generated Ed25519 key first exactly where the server's catalogue accepts one", () => {
    const parsed = parseCatalogue({ egressIps: [], exchanges: serverCatalogue.map((entry) => ({ ...entry })) })
    const generating = parsed.exchanges.filter((entry) => defaultConnectMethod(entry) === 'generate').map((entry) => entry.id)
    expect(generating).toEqual(serverCatalogue.filter((entry) => entry.acceptsEd25519).map((entry) => entry.id))
    expect(generating).toContain('binance')
    expect(defaultConnectMethod(parsed.exchanges.find((entry) => entry.id === 'okx'))).toBe('paste')
    expect(defaultConnectMethod(undefined)).toBe('paste')
  })
})

describe('an account waiting for its API key', () => {
  it('is recognised by its verification status, and gives back the public key the signer recorded', () => {
    const waiting = account({ status: 'awaiting_api_key', publicKeyPem, note: 'register this public key at Binance' })
    expect(isAwaitingApiKey(waiting)).toBe(true)
    expect(awaitingPublicKey(waiting)).toBe(publicKeyPem.trim())
    const active = account({ status: 'verified', publicKeyPem })
    expect(isAwaitingApiKey(active)).toBe(false)
    expect(awaitingPublicKey(active)).toBeUndefined()
  })

  it('never offers anything but a public key for copying', () => {
    expect(publicKeyToRegister(publicKeyPem)).toBe(publicKeyPem.trim())
    expect(publicKeyToRegister(publicKeyPem.replace(/\n/g, '\r\n'))).toBeDefined()
    expect(publicKeyToRegister('-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIP2d\n-----END PRIVATE KEY-----\n')).toBeUndefined()
    expect(publicKeyToRegister(`${publicKeyPem}-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n`)).toBeUndefined()
    expect(publicKeyToRegister('<script>')).toBeUndefined()
    expect(publicKeyToRegister(undefined)).toBeUndefined()
    expect(awaitingPublicKey(account({ status: 'awaiting_api_key' }))).toBeUndefined()
  })
})

describe('the API key pasted to finish', () => {
  it('is trimmed of what copying adds at its ends', () => {
    expect(prepareApiKey('  vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\n', 'Binance')).toEqual({
      ok: true,
      apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A',
    })
  })

  it('is refused when empty, mangled, a PEM, or outside the lengths the server takes', () => {
    const problem = (raw: string) => {
      const result = prepareApiKey(raw, 'Binance')
      return result.ok ? undefined : result.problem
    }
    expect(problem('')).toMatch(/Paste the API key Binance shows/)
    expect(problem('abcd efgh ijkl')).toMatch(/spaces or line breaks/)
    expect(problem(publicKeyPem)).toMatch(/PEM/)
    expect(problem('short')).toMatch(/too short/)
    expect(problem('k'.repeat(MAX_API_KEY_LENGTH + 1))).toMatch(/longer than any API key/)
    expect(problem('k'.repeat(MAX_API_KEY_LENGTH))).toBeUndefined()
    expect(problem('k'.repeat(8))).toBeUndefined()
  })
})
