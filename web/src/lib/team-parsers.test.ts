import { describe, expect, it } from 'vitest'
import {
  parseAcceptedInvitation,
  parseApproval,
  parseApprovals,
  parseCreatedWorkspace,
  parseGated,
  parseInvitationPreview,
  parseInvitations,
  parseMembers,
  parseMemberView,
  parsePolicies,
} from './team-parsers'

const member = {
  userId: '0b6c9a3e-1111-4d4d-8e8e-000000000001',
  email: 'sam@example.com',
  displayName: 'Sam',
  role: 'trader',
  accountScope: 'granted',
  exchangeAccountIds: ['6f1c1b36-4c55-4a4d-9a55-3c1d2d3e4f50'],
  joinedAt: '2025-01-02T03:04:05.000Z',
  hasSecondFactor: true,
  hasPasskey: false,
  isYou: false,
}

const person = { userId: '0b6c9a3e-1111-4d4d-8e8e-000000000002', email: 'ana@example.com', displayName: 'Ana' }

const approval = {
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  workspaceId: '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a',
  kind: 'limits.raise',
  summary: 'Raise the risk limits of Binance main: max order notional 100 → 500',
  state: 'pending',
  requestedBy: person,
  requestedAt: '2025-01-02T03:04:05.000Z',
  expiresAt: '2025-01-03T03:04:05.000Z',
  decidedBy: null,
  decidedAt: null,
  note: null,
  result: null,
  canDecide: true,
}

const policies = {
  requireTwoFactor: true,
  requirePasskeyForAdmins: true,
  sessionIdleMinutes: null,
  allowedIpRanges: ['203.0.113.0/24'],
  keyRotationDays: 90,
  refuseIpUnrestrictedKeys: false,
  approvalsRequired: true,
  ownerCount: 1,
  memberCount: 3,
  canTurnOffApprovals: true,
  membersWithoutSecondFactor: 2,
}

describe('the teams parsers', () => {
  it('reads members with their role, grants and factors', () => {
    expect(parseMembers([member])).toEqual([member])
    expect(parseMembers([{ ...member, displayName: null }])[0]?.displayName).toBeNull()
    // Only owners, admins and the member themselves see someone's factors.
    expect(parseMembers([{ ...member, hasSecondFactor: null, hasPasskey: null }])[0]).toMatchObject({ hasSecondFactor: null, hasPasskey: null })
    expect(() => parseMembers([{ ...member, hasPasskey: 'yes' }])).toThrow(/hasPasskey/)
    expect(parseMemberView(member).accountScope).toBe('granted')
  })

  it('refuses a member with a role or scope it does not know, or without grants', () => {
    expect(() => parseMembers([{ ...member, role: 'superuser' }])).toThrow(/role/)
    expect(() => parseMembers([{ ...member, accountScope: 'some' }])).toThrow(/accountScope/)
    const { exchangeAccountIds: _dropped, ...withoutGrants } = member
    expect(() => parseMembers([withoutGrants])).toThrow(/exchangeAccountIds/)
    expect(() => parseMembers({ members: [member] })).toThrow(/expected a list/)
  })

  it('reads invitations, naming the inviter whichever way the server gives them', () => {
    const invitation = { id: 'i1', email: 'new@example.com', role: 'viewer', createdAt: 'c', expiresAt: 'e', state: 'pending' }
    expect(parseInvitations([{ ...invitation, invitedBy: 'Ana' }])[0]?.invitedBy).toBe('Ana')
    expect(parseInvitations([{ ...invitation, invitedBy: person }])[0]?.invitedBy).toBe('Ana')
    expect(parseInvitations([{ ...invitation, invitedBy: { ...person, displayName: '' } }])[0]?.invitedBy).toBe('ana@example.com')
    expect(parseInvitations([{ ...invitation, invitedBy: null }])[0]?.invitedBy).toBeNull()
    expect(() => parseInvitations([{ ...invitation, invitedBy: 42 }])).toThrow(/invitedBy/)
    expect(() => parseInvitations([{ ...invitation, state: 'lost' }])).toThrow(/state/)
  })

  it('reads an invitation preview and the accepted invitation, and never expects a token back', () => {
    const preview = { workspaceName: 'Desk', invitedByName: 'Ana', role: 'trader', email: 'sam@example.com', expiresAt: 'e' }
    expect(parseInvitationPreview(preview)).toEqual(preview)
    expect(parseInvitationPreview({ ...preview, invitedByName: null }).invitedByName).toBeNull()
    expect(parseAcceptedInvitation({ workspaceId: 'w', role: 'viewer' })).toEqual({ workspaceId: 'w', role: 'viewer', pendingRole: null, approval: null, note: null })
    expect(() => parseAcceptedInvitation({ workspaceId: 'w' })).toThrow(/role/)
    // Four-eyes: invited as admin, joined as viewer, the role waits for approval (or a note says why not).
    const waiting = parseAcceptedInvitation({ workspaceId: 'w', role: 'viewer', pendingRole: 'admin', approval })
    expect(waiting).toMatchObject({ role: 'viewer', pendingRole: 'admin', approval: { kind: 'limits.raise' }, note: null })
    expect(parseAcceptedInvitation({ workspaceId: 'w', role: 'viewer', note: 'you joined as a viewer: …' }).note).toBe('you joined as a viewer: …')
    expect(() => parseAcceptedInvitation({ workspaceId: 'w', role: 'viewer', pendingRole: 'boss' })).toThrow(/pendingRole/)
    expect(parseCreatedWorkspace({ id: 'w', name: 'Desk', role: 'owner' })).toEqual({ id: 'w', name: 'Desk', role: 'owner' })
  })

  it('reads workspace policies, with the members lacking a second factor as a count or a list', () => {
    expect(parsePolicies(policies)).toEqual({ ...policies, membersWithoutSecondFactor: { count: 2, names: [] } })
    expect(parsePolicies({ ...policies, sessionIdleMinutes: 30 }).sessionIdleMinutes).toBe(30)
    expect(parsePolicies({ ...policies, membersWithoutSecondFactor: [person, { ...person, displayName: 'Bo' }] }).membersWithoutSecondFactor).toEqual({
      count: 2,
      names: ['Ana', 'Bo'],
    })
    expect(() => parsePolicies({ ...policies, sessionIdleMinutes: '30' })).toThrow(/sessionIdleMinutes/)
    expect(() => parsePolicies({ ...policies, membersWithoutSecondFactor: -1 })).toThrow(/membersWithoutSecondFactor/)
    expect(() => parsePolicies({ ...policies, allowedIpRanges: [1] })).toThrow(/allowedIpRanges/)
  })

  it('reads approval requests, keeping kinds it does not know yet', () => {
    const parsed = parseApproval(approval)
    expect(parsed).toMatchObject({ kind: 'limits.raise', state: 'pending', requestedBy: person, decidedBy: null, canDecide: true })
    expect(parseApprovals([{ ...approval, kind: 'something.new' }])[0]?.kind).toBe('something.new')
    expect(parseApproval({ ...approval, requestedBy: null }).requestedBy).toBeNull()
    expect(() => parseApproval({ ...approval, state: 'maybe' })).toThrow(/state/)
    expect(() => parseApproval({ ...approval, requestedBy: { userId: 'u' } })).toThrow(/email/)
    expect(parsed.details).toEqual({})
    expect(parseApproval({ ...approval, details: { userId: 'u1', role: 'admin' } }).details).toEqual({ userId: 'u1', role: 'admin' })
  })
})

describe('answers that may wait for a second person', () => {
  const gated = parseGated(parseMemberView)

  it('reads a 202 with the request as waiting', () => {
    const result = gated({ approval }, 202)
    expect(result.status).toBe('pending')
    if (result.status === 'pending') expect(result.approval.summary).toBe(approval.summary)
  })

  it('keeps extra fields of a 202 out of the way (an account beside the request)', () => {
    expect(gated({ approval, account: { id: 'a' } }, 202).status).toBe('pending')
  })

  it('reads any other success as the change itself', () => {
    expect(gated(member, 200)).toEqual({ status: 'applied', value: member })
    expect(gated(member, 201)).toEqual({ status: 'applied', value: member })
  })

  it('refuses a 202 that does not say what waits', () => {
    expect(() => gated(member, 202)).toThrow(/202/)
  })

  it('decides by the shape when called without a status', () => {
    expect(gated({ approval }).status).toBe('pending')
    expect(gated(member).status).toBe('applied')
  })
})
