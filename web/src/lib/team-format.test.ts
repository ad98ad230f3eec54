import { describe, expect, it } from 'vitest'
import {
  accountsText,
  approvalDetailRows,
  approvalKindLabel,
  approvalsOffWarning,
  assignableRoles,
  canRemove,
  invitableRolesFor,
  invitationIsOpen,
  isLimitedByTwoFactor,
  isRoleUpgrade,
  memberName,
  memberPatch,
  sortApprovals,
  timeLeftText,
  waitingSentence,
} from './team-format'
import type { Approval, Member } from './team-parsers'

const trader: Member = {
  userId: 'u1',
  email: 'sam@example.com',
  displayName: 'Sam',
  role: 'trader',
  accountScope: 'all',
  exchangeAccountIds: [],
  joinedAt: '2025-01-01T00:00:00.000Z',
  hasSecondFactor: false,
  hasPasskey: false,
  isYou: false,
}

const approval = (over: Partial<Approval>): Approval => ({
  id: 'a',
  workspaceId: 'w',
  kind: 'role.upgrade',
  summary: 'Make Sam an admin',
  state: 'pending',
  requestedBy: null,
  requestedAt: '2025-01-01T00:00:00.000Z',
  expiresAt: '2025-01-02T00:00:00.000Z',
  decidedBy: null,
  decidedAt: null,
  note: null,
  details: {},
  canDecide: false,
  ...over,
})

describe('roles in the team page', () => {
  it('calls a change to more rights an upgrade', () => {
    expect(isRoleUpgrade('viewer', 'trader')).toBe(true)
    expect(isRoleUpgrade('trader', 'admin')).toBe(true)
    expect(isRoleUpgrade('admin', 'owner')).toBe(true)
    expect(isRoleUpgrade('admin', 'trader')).toBe(false)
    expect(isRoleUpgrade('trader', 'trader')).toBe(false)
  })

  it('offers owners every role, admins never the owner role nor an owner, and nobody their own', () => {
    expect(assignableRoles('owner', trader)).toEqual(['owner', 'admin', 'trader', 'viewer'])
    expect(assignableRoles('admin', trader)).toEqual(['admin', 'trader', 'viewer'])
    expect(assignableRoles('admin', { ...trader, role: 'owner' })).toEqual([])
    expect(assignableRoles('owner', { ...trader, isYou: true })).toEqual([])
    expect(assignableRoles('trader', trader)).toEqual([])
  })

  it('lets owners remove anyone else and admins anyone but owners', () => {
    expect(canRemove('owner', { role: 'owner', isYou: false })).toBe(true)
    expect(canRemove('admin', { role: 'owner', isYou: false })).toBe(false)
    expect(canRemove('admin', { role: 'viewer', isYou: false })).toBe(true)
    expect(canRemove('owner', { role: 'viewer', isYou: true })).toBe(false)
    expect(canRemove('trader', { role: 'viewer', isYou: false })).toBe(false)
  })

  it('lets only owners invite admins', () => {
    expect(invitableRolesFor('owner')).toEqual(['admin', 'trader', 'viewer'])
    expect(invitableRolesFor('admin')).toEqual(['trader', 'viewer'])
    expect(invitableRolesFor('viewer')).toEqual([])
  })

  it('names a member by their display name, else their address', () => {
    expect(memberName(trader)).toBe('Sam')
    expect(memberName({ ...trader, displayName: '  ' })).toBe('sam@example.com')
    expect(memberName({ ...trader, displayName: null })).toBe('sam@example.com')
  })

  it('says where a member may trade', () => {
    const labels = new Map([
      ['x1', 'Binance main'],
      ['x2', 'Kraken'],
    ])
    expect(accountsText(trader, labels)).toBe('All accounts')
    expect(accountsText({ ...trader, accountScope: 'granted', exchangeAccountIds: ['x2', 'x1'] }, labels)).toBe('Kraken, Binance main')
    expect(accountsText({ ...trader, accountScope: 'granted', exchangeAccountIds: ['gone'] }, labels)).toBe('No exchange account yet')
    expect(accountsText({ ...trader, role: 'viewer' }, labels)).toBe('None (reads only)')
    expect(accountsText({ ...trader, role: 'admin', accountScope: 'granted' }, labels)).toBe('All accounts')
  })

  it('marks members the two-factor policy holds to viewer', () => {
    expect(isLimitedByTwoFactor(trader, { requireTwoFactor: true })).toBe(true)
    expect(isLimitedByTwoFactor({ ...trader, hasSecondFactor: true }, { requireTwoFactor: true })).toBe(false)
    expect(isLimitedByTwoFactor(trader, { requireTwoFactor: false })).toBe(false)
    expect(isLimitedByTwoFactor({ ...trader, role: 'viewer' }, { requireTwoFactor: true })).toBe(false)
    expect(isLimitedByTwoFactor(trader, undefined)).toBe(false)
    expect(isLimitedByTwoFactor({ ...trader, hasSecondFactor: null }, { requireTwoFactor: true })).toBe(false) // not shown to this caller
  })
})

describe('the member editor’s change', () => {
  it('sends nothing when nothing changed', () => {
    expect(memberPatch(trader, { role: 'trader', accountScope: 'all', exchangeAccountIds: [] })).toBeUndefined()
    const granted = { ...trader, accountScope: 'granted' as const, exchangeAccountIds: ['b', 'a'] }
    expect(memberPatch(granted, { role: 'trader', accountScope: 'granted', exchangeAccountIds: ['a', 'b'] })).toBeUndefined()
  })

  it('sends the role alone when only the role changed', () => {
    expect(memberPatch(trader, { role: 'admin', accountScope: 'all', exchangeAccountIds: [] })).toEqual({ role: 'admin' })
    // Grants left over from trading mean nothing for an admin: not sent.
    expect(memberPatch({ ...trader, accountScope: 'granted', exchangeAccountIds: ['a'] }, { role: 'admin', accountScope: 'granted', exchangeAccountIds: ['a'] })).toEqual({ role: 'admin' })
  })

  it('sends the scope and the whole list when a trader is limited to chosen accounts', () => {
    expect(memberPatch(trader, { role: 'trader', accountScope: 'granted', exchangeAccountIds: ['b', 'a'] })).toEqual({ accountScope: 'granted', exchangeAccountIds: ['a', 'b'] })
    const admin = { ...trader, role: 'admin' as const }
    expect(memberPatch(admin, { role: 'trader', accountScope: 'granted', exchangeAccountIds: ['a'] })).toEqual({ role: 'trader', accountScope: 'granted', exchangeAccountIds: ['a'] })
    const granted = { ...trader, accountScope: 'granted' as const, exchangeAccountIds: ['a'] }
    expect(memberPatch(granted, { role: 'trader', accountScope: 'granted', exchangeAccountIds: ['a', 'c'] })).toEqual({ exchangeAccountIds: ['a', 'c'] })
    expect(memberPatch(granted, { role: 'trader', accountScope: 'all', exchangeAccountIds: ['a'] })).toEqual({ accountScope: 'all' })
  })
})

describe('approvals in words', () => {
  it('names every kind of gated change, and a new kind by its name', () => {
    for (const kind of ['key.connect', 'key.replace', 'limits.raise', 'bot.promote', 'role.upgrade', 'policy.relax', 'incident.unlock']) expect(approvalKindLabel(kind)).not.toBe(kind)
    expect(approvalKindLabel('something.new')).toBe('something.new')
  })

  it('lists what a request carries for the approver, one line per value', () => {
    expect(
      approvalDetailRows({
        userId: 'u1',
        role: 'admin',
        account: { kind: 'exchange', id: 'x1' },
        symbols: ['BTC/USDT', 'ETH/USDT'],
        before: null,
      }),
    ).toEqual([
      { label: 'User ID', value: 'u1' },
      { label: 'Role', value: 'admin' },
      { label: 'Account · kind', value: 'exchange' },
      { label: 'Account · id', value: 'x1' },
      { label: 'Symbols', value: 'BTC/USDT, ETH/USDT' },
      { label: 'Before', value: '—' },
    ])
    expect(approvalDetailRows({})).toEqual([])
  })

  it('says how long a request can still be approved', () => {
    const now = new Date('2025-01-01T12:00:00.000Z')
    expect(timeLeftText('2025-01-02T12:00:00.000Z', now)).toBe('24 h left')
    expect(timeLeftText('2025-01-01T13:30:00.000Z', now)).toBe('1 h 30 min left')
    expect(timeLeftText('2025-01-01T12:04:10.000Z', now)).toBe('5 min left') // 4 min 10 s rounds up
    expect(timeLeftText('2025-01-01T12:00:00.000Z', now)).toBe('Expired')
    expect(timeLeftText('not a date', now)).toBe('Expired')
  })

  it('writes the waiting notice once, whatever the summary ends with', () => {
    const expected = 'Waiting for approval: Make Sam an admin. A second owner or admin must approve it within 24 hours.'
    expect(waitingSentence({ summary: 'Make Sam an admin' })).toBe(expected)
    expect(waitingSentence({ summary: 'Make Sam an admin. ' })).toBe(expected)
  })

  it('lists pending requests first, the soonest to expire first, then the newest decisions', () => {
    const sorted = sortApprovals([
      approval({ id: 'old', state: 'approved', decidedAt: '2025-01-01T01:00:00.000Z' }),
      approval({ id: 'late', expiresAt: '2025-01-02T05:00:00.000Z' }),
      approval({ id: 'new', state: 'rejected', decidedAt: '2025-01-01T09:00:00.000Z' }),
      approval({ id: 'soon', expiresAt: '2025-01-02T01:00:00.000Z' }),
    ])
    expect(sorted.map((a) => a.id)).toEqual(['soon', 'late', 'new', 'old'])
  })

  it('warns when approvals are off in a workspace of several people only', () => {
    expect(approvalsOffWarning({ approvalsRequired: false, memberCount: 2 })).toMatch(/one person can/)
    expect(approvalsOffWarning({ approvalsRequired: false, memberCount: 1 })).toBeUndefined()
    expect(approvalsOffWarning({ approvalsRequired: true, memberCount: 5 })).toBeUndefined()
  })

  it('counts an invitation as open while pending and not expired', () => {
    const now = new Date('2025-01-01T00:00:00.000Z')
    expect(invitationIsOpen({ state: 'pending', expiresAt: '2025-01-02T00:00:00.000Z' }, now)).toBe(true)
    expect(invitationIsOpen({ state: 'pending', expiresAt: '2024-12-31T00:00:00.000Z' }, now)).toBe(false)
    expect(invitationIsOpen({ state: 'revoked', expiresAt: '2025-01-02T00:00:00.000Z' }, now)).toBe(false)
  })
})
