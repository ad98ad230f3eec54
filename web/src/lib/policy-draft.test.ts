import { describe, expect, it } from 'vitest'
import { policyDraftFrom, policyPatchFrom } from './policy-draft'
import type { WorkspacePolicies } from './team-parsers'

const current: WorkspacePolicies = {
  requireTwoFactor: false,
  requirePasskeyForAdmins: true,
  sessionIdleMinutes: null,
  allowedIpRanges: ['203.0.113.0/24'],
  keyRotationDays: 90,
  refuseIpUnrestrictedKeys: false,
  approvalsRequired: true,
  ownerCount: 1,
  memberCount: 2,
  canTurnOffApprovals: true,
  membersWithoutSecondFactor: { count: 0, names: [] },
}

describe('the workspace policies form', () => {
  it('starts from the current policies and sends nothing while nothing changed', () => {
    const draft = policyDraftFrom(current)
    expect(draft).toMatchObject({ sessionIdleMinutes: '', allowedIpRanges: '203.0.113.0/24', keyRotationDays: '90' })
    expect(policyPatchFrom(current, draft)).toEqual({ ok: true, patch: undefined })
  })

  it('sends only what changed', () => {
    const draft = { ...policyDraftFrom(current), requireTwoFactor: true, sessionIdleMinutes: '30' }
    expect(policyPatchFrom(current, draft)).toEqual({ ok: true, patch: { requireTwoFactor: true, sessionIdleMinutes: 30 } })
    expect(policyPatchFrom({ ...current, sessionIdleMinutes: 30 }, { ...policyDraftFrom(current), sessionIdleMinutes: '' })).toEqual({ ok: true, patch: { sessionIdleMinutes: null } })
    expect(policyPatchFrom(current, { ...policyDraftFrom(current), approvalsRequired: false })).toEqual({ ok: true, patch: { approvalsRequired: false } })
  })

  it('reads the ranges one per line, a bare address as itself, and an empty box as anywhere', () => {
    const draft = { ...policyDraftFrom(current), allowedIpRanges: '203.0.113.0/24\n198.51.100.7\n2001:db8::/32' }
    expect(policyPatchFrom(current, draft)).toEqual({ ok: true, patch: { allowedIpRanges: ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32'] } })
    expect(policyPatchFrom(current, { ...policyDraftFrom(current), allowedIpRanges: '  ' })).toEqual({ ok: true, patch: { allowedIpRanges: [] } })
    // The same set in another order or spelling is no change.
    const reordered = { ...current, allowedIpRanges: ['198.51.100.7/32', '203.0.113.0/24'] }
    expect(policyPatchFrom(reordered, { ...policyDraftFrom(current), allowedIpRanges: '203.0.113.0/24, 198.51.100.7' })).toEqual({ ok: true, patch: undefined })
  })

  it('names every field out of bounds, and sends nothing then', () => {
    const draft = { ...policyDraftFrom(current), sessionIdleMinutes: '4', keyRotationDays: '731', allowedIpRanges: 'not-an-ip' }
    const result = policyPatchFrom(current, draft)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.errors.sessionIdleMinutes).toBe('Use 5 to 480 minutes.')
      expect(result.errors.keyRotationDays).toBe('Use 7 to 730 days.')
      expect(result.errors.allowedIpRanges).toMatch(/"not-an-ip"/)
    }
    const fractional = policyPatchFrom(current, { ...policyDraftFrom(current), keyRotationDays: '30.5' })
    expect(fractional.ok ? undefined : fractional.errors.keyRotationDays).toMatch(/whole number/)
    const many = Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`).join('\n')
    const tooMany = policyPatchFrom(current, { ...policyDraftFrom(current), allowedIpRanges: many })
    expect(tooMany.ok ? undefined : tooMany.errors.allowedIpRanges).toBe('Use at most 50 ranges; this list has 51.')
  })
})
