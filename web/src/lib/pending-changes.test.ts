import { describe, expect, it } from 'vitest'
import { parseExchangeAccounts, parseWideningOperations } from './exchange-parsers'
import { accountForOperation, describeOperation } from './pending-changes'

const accountJson = (id: string, keyId: string, label: string) => ({
  id,
  keyId,
  workspaceId: 'w1',
  exchange: 'okx',
  label,
  state: 'active',
  disabledReason: null,
  apiKeyHint: 'ab…yz',
  verification: { status: 'verified' },
  limits: null,
  createdAt: '2025-03-01T12:00:00.000Z',
  keyCreatedAt: '2025-03-01T12:00:00.000Z',
  keyAgeDays: 0,
  lastUsedAt: null,
  lastVerifiedAt: null,
  stale: false,
})

const operationJson = (operationId: string, kind: string, keyId: string | null) => ({
  operationId,
  workspaceId: 'w1',
  keyId,
  kind,
  params: {},
  state: 'pending',
  challenge: 'abc',
  createdAt: '2025-03-01T12:00:00.000Z',
  notBefore: '2025-03-02T12:00:00.000Z',
})

describe('naming pending changes', () => {
  it('finds the account by the signer key id both carry, as after a reload', () => {
    const accounts = parseExchangeAccounts([accountJson('a1', 'k1', 'Main'), accountJson('a2', 'k2', 'Grid bot')])
    const [raise, enable, trust, orphan] = parseWideningOperations([
      operationJson('op1', 'limits', 'k2'),
      operationJson('op2', 'enable', 'k1'),
      operationJson('op3', 'trust_passkey', null),
      operationJson('op4', 'enable', 'k-removed'),
    ])
    const titles = [raise, enable, trust, orphan].map((operation) => (operation === undefined ? '' : describeOperation(operation, accountForOperation(operation, accounts))))
    expect(titles).toEqual(['Raise the limits of “Grid bot”', 'Enable “Main”', 'Trust a new passkey for confirming key changes', 'Enable a key'])
  })

  it('names a kind it does not know without hiding it', () => {
    expect(describeOperation({ kind: 'new_market_kind' }, { label: 'Main' })).toBe('Widen “Main” (new_market_kind)')
  })
})
