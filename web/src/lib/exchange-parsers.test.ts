import { describe, expect, it } from 'vitest'
// eslint-disable-next-line import-x/no-restricted-paths -- checks the parser against the catalogue the server serves
import { catalogue as serverCatalogue } from '../../../src/exchanges/index'
import {
  isConnectable,
  parseCatalogue,
  parseExchangeAccounts,
  parseLimitsResult,
  parseOperationOutcome,
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
    expect(first?.verification).toMatchObject({ status: 'verified', withdrawEnabled: false, note: undefined, ipRestricted: undefined })
    expect(() => parseExchangeAccounts([{ id: 'a1' }])).toThrow(/exchange/)
  })

  it('reads pending operations and the limits they propose', () => {
    const [op] = parseWideningOperations([operation, { ...operation, operationId: 'op2', kind: 'trust_passkey', keyId: null, params: {} }])
    expect(op && proposedLimits(op)?.maxOrderNotional).toBe('500')
    expect(parseWideningOperations([{ ...operation, kind: 'enable', params: {} }]).map(proposedLimits)).toEqual([undefined])
  })

  it('tells an applied limits change from a pending one', () => {
    expect(parseLimitsResult({ status: 'pending_confirmation', operation }).status).toBe('pending_confirmation')
    expect(() => parseLimitsResult({ status: 'maybe' })).toThrow()
    expect(parseOperationOutcome({ ...operation, state: 'superseded', note: "the key's limits changed" })).toEqual({ state: 'superseded', note: "the key's limits changed" })
    expect(parseOperationOutcome(undefined)).toEqual({ state: undefined, note: undefined })
  })
})
