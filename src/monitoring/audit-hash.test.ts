import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../crypto/canonical-json.js'
import { createAuditHasher, entryHash, hashedJson, hashedPart } from './audit-hash.js'
import { auditOutcomes, GENESIS_HASH } from './audit-types.js'

const entry = fc.record({
  chain: fc.string(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  prevHash: fc.string(),
  workspaceId: fc.option(fc.uuid(), { nil: null }),
  type: fc.string(),
  actor: fc.oneof(fc.record({ type: fc.constantFrom('user', 'system', 'operator_cli', 'api_token') as fc.Arbitrary<'user'> }), fc.record({ type: fc.constant('user' as const), id: fc.string() })),
  occurredAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  ip: fc.option(fc.string(), { nil: null }),
  requestId: fc.option(fc.string(), { nil: null }),
  outcome: fc.constantFrom(...auditOutcomes),
  details: fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>),
})

describe('audit entry hashing', () => {
  it('writes the same bytes as the generic canonical JSON, for any entry', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(hashedJson(e)).toBe(canonicalJson(hashedPart(e)))
      }),
      { numRuns: 2_000 },
    )
  })

  it('pins the hash of a known entry (a change here breaks every stored chain)', () => {
    const e = { chain: 'system', seq: 1, prevHash: GENESIS_HASH, workspaceId: null, type: 'platform_started', actor: { type: 'system' as const }, occurredAt: '2026-01-01T00:00:00.000Z', ip: null, requestId: null, outcome: 'success' as const, details: { version: '0.1.0' } }
    expect(hashedJson(e)).toBe('{"actor":{"type":"system"},"chain":"system","details":{"version":"0.1.0"},"ip":null,"occurredAt":"2026-01-01T00:00:00.000Z","outcome":"success","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","requestId":null,"seq":1,"type":"platform_started","workspaceId":null}')
    expect(entryHash(e)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('auditHash is HMAC-SHA256 under the audit key, so a known value can be checked but not read back (R37)', () => {
    const { auditHash } = createAuditHasher(Buffer.alloc(32, 7))
    expect(auditHash('key-123')).toBe(auditHash('key-123'))
    expect(auditHash('key-123')).not.toBe(createAuditHasher(Buffer.alloc(32, 8)).auditHash('key-123'))
    expect(auditHash('key-123')).toMatch(/^[0-9a-f]{64}$/)
  })
})
