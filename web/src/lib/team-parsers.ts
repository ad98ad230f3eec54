import type { Parse } from './api'
import { isRecord, readList, readObject, type JsonRecord } from './json-guards'

/**
 * Types and parsers for the teams API (issue 10): workspaces, members, invitations, workspace policies
 * and four-eyes approvals (R42). Like the other parsers they check the promised shape and throw on
 * anything else (BAD_RESPONSE). Kinds and states of approvals stay open strings where the server may
 * add values (a newer server with one more kind of gated change still shows its requests).
 */

export const roles = ['owner', 'admin', 'trader', 'viewer'] as const
export type Role = (typeof roles)[number]
/** Roles an invitation can give: owners are made from members, never invited. */
export const invitableRoles = ['admin', 'trader', 'viewer'] as const
export type InvitableRole = (typeof invitableRoles)[number]
export type AccountScope = 'all' | 'granted'

export type Member = {
  userId: string
  email: string
  displayName: string | null
  role: Role
  /** `granted`: a trader who trades only on `exchangeAccountIds`. */
  accountScope: AccountScope
  exchangeAccountIds: string[]
  joinedAt: string
  /** Null where the caller may not see it (only owners, admins and the member themselves do). */
  hasSecondFactor: boolean | null
  hasPasskey: boolean | null
  isYou: boolean
}

export type InvitationState = 'pending' | 'accepted' | 'revoked' | 'expired'

export type Invitation = {
  id: string
  email: string
  role: Role
  /** Who sent it, as a name to show; null when that account is gone. */
  invitedBy: string | null
  createdAt: string
  expiresAt: string
  state: InvitationState
}

export type InvitationPreview = { workspaceName: string; invitedByName: string | null; role: Role; email: string; expiresAt: string }
/**
 * Where an accepted invitation left the new member. With four-eyes approvals an invitation above viewer
 * joins as viewer: `pendingRole` is the invited role, waiting as `approval`; or `note` says why they stay a viewer.
 */
export type AcceptedInvitation = { workspaceId: string; role: Role; pendingRole: Role | null; approval: Approval | null; note: string | null }
export type CreatedWorkspace = { id: string; name: string; role: Role }

export type WorkspacePolicies = {
  requireTwoFactor: boolean
  requirePasskeyForAdmins: boolean
  /** Null: the platform's default. */
  sessionIdleMinutes: number | null
  allowedIpRanges: string[]
  keyRotationDays: number
  refuseIpUnrestrictedKeys: boolean
  approvalsRequired: boolean
  ownerCount: number
  memberCount: number
  canTurnOffApprovals: boolean
  /** Members limited to viewer by the two-factor policy (or who would be, were it on): their count, and names when the server lists them. */
  membersWithoutSecondFactor: { count: number; names: string[] }
}

export type Person = { userId: string; email: string; displayName: string }

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'failed'
const approvalStates: readonly ApprovalState[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled', 'failed']

export type Approval = {
  id: string
  workspaceId: string
  /** key.connect, key.replace, limits.raise, bot.promote, role.upgrade, policy.relax, incident.unlock, or a newer one. */
  kind: string
  summary: string
  state: ApprovalState
  requestedBy: Person | null
  requestedAt: string
  expiresAt: string
  decidedBy: Person | null
  decidedAt: string | null
  note: string | null
  /** What the change carries (ids and values, never secrets), for the approver to check beside the summary. */
  details: JsonRecord
  /** Whether the signed-in member may approve or reject it. */
  canDecide: boolean
}

/** A change to a member: only the fields that change are sent. */
export type MemberPatch = { role?: Role; accountScope?: AccountScope; exchangeAccountIds?: string[] }

/** A change to the workspace's policies: only the fields that change are sent. */
export type PolicyPatch = Partial<
  Pick<WorkspacePolicies, 'requireTwoFactor' | 'requirePasskeyForAdmins' | 'sessionIdleMinutes' | 'allowedIpRanges' | 'keyRotationDays' | 'refuseIpUnrestrictedKeys' | 'approvalsRequired'>
>

/** What a change that may need a second person answers: applied at once (200/201), or waiting (202 with the request). */
export type Gated<T> = { status: 'applied'; value: T } | { status: 'pending'; approval: Approval }

const parseRole = (fields: ReturnType<typeof readObject>, key = 'role'): Role => fields.oneOf(key, roles)

const nullableBoolean = (value: unknown, key: string): boolean | null => {
  const field = isRecord(value) ? value[key] : undefined
  if (field === null || field === undefined) return null
  if (typeof field === 'boolean') return field
  throw new Error(`member: expected "${key}" to be true, false or null`)
}

const parseMember = (value: unknown): Member => {
  const fields = readObject(value, 'member')
  return {
    userId: fields.string('userId'),
    email: fields.string('email'),
    displayName: fields.nullableString('displayName'),
    role: parseRole(fields),
    accountScope: fields.oneOf('accountScope', ['all', 'granted'] as const),
    exchangeAccountIds: fields.stringArray('exchangeAccountIds'),
    joinedAt: fields.string('joinedAt'),
    hasSecondFactor: nullableBoolean(value, 'hasSecondFactor'),
    hasPasskey: nullableBoolean(value, 'hasPasskey'),
    isYou: fields.boolean('isYou'),
  }
}

export const parseMemberView: Parse<Member> = (body) => parseMember(body)
export const parseMembers: Parse<Member[]> = (body) => readList(body, 'members', parseMember)

/** A person as the server names them: a string, or { displayName, email }; null when unknown. */
const personName = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (isRecord(value)) {
    const name = value.displayName ?? value.name ?? value.email
    if (typeof name === 'string' && name !== '') return name
    if (typeof value.email === 'string') return value.email
  }
  throw new Error('invitation: expected "invitedBy" to be a name, a person or null')
}

const parseInvitation = (value: unknown): Invitation => {
  const fields = readObject(value, 'invitation')
  return {
    id: fields.string('id'),
    email: fields.string('email'),
    role: parseRole(fields),
    invitedBy: personName((value as JsonRecord).invitedBy),
    createdAt: fields.string('createdAt'),
    expiresAt: fields.string('expiresAt'),
    state: fields.oneOf('state', ['pending', 'accepted', 'revoked', 'expired'] as const),
  }
}

export const parseInvitationView: Parse<Invitation> = (body) => parseInvitation(body)
export const parseInvitations: Parse<Invitation[]> = (body) => readList(body, 'invitations', parseInvitation)

export const parseInvitationPreview: Parse<InvitationPreview> = (body) => {
  const fields = readObject(body, 'invitation preview')
  return {
    workspaceName: fields.string('workspaceName'),
    invitedByName: fields.nullableString('invitedByName'),
    role: parseRole(fields),
    email: fields.string('email'),
    expiresAt: fields.string('expiresAt'),
  }
}

export const parseAcceptedInvitation: Parse<AcceptedInvitation> = (body) => {
  const fields = readObject(body, 'accepted invitation')
  const record = body as JsonRecord
  return {
    workspaceId: fields.string('workspaceId'),
    role: parseRole(fields),
    pendingRole: record.pendingRole === undefined || record.pendingRole === null ? null : parseRole(fields, 'pendingRole'),
    approval: isRecord(record.approval) ? parseApprovalObject(record.approval) : null,
    note: fields.nullableString('note'),
  }
}

export const parseCreatedWorkspace: Parse<CreatedWorkspace> = (body) => {
  const fields = readObject(body, 'new workspace')
  return { id: fields.string('id'), name: fields.string('name'), role: parseRole(fields) }
}

const parseWithoutSecondFactor = (value: unknown): { count: number; names: string[] } => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { count: value, names: [] }
  if (Array.isArray(value)) {
    const names = value.map((entry) => personName(entry) ?? 'Unknown member')
    return { count: names.length, names }
  }
  throw new Error('policies: expected "membersWithoutSecondFactor" to be a count or a list')
}

const nullableNumber = (body: unknown, key: string): number | null => {
  const value = isRecord(body) ? body[key] : undefined
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isFinite(value)) return value
  throw new Error(`policies: expected "${key}" to be a number or null`)
}

export const parsePolicies: Parse<WorkspacePolicies> = (body) => {
  const fields = readObject(body, 'policies')
  return {
    requireTwoFactor: fields.boolean('requireTwoFactor'),
    requirePasskeyForAdmins: fields.boolean('requirePasskeyForAdmins'),
    sessionIdleMinutes: nullableNumber(body, 'sessionIdleMinutes'),
    allowedIpRanges: fields.stringArray('allowedIpRanges'),
    keyRotationDays: fields.number('keyRotationDays'),
    refuseIpUnrestrictedKeys: fields.boolean('refuseIpUnrestrictedKeys'),
    approvalsRequired: fields.boolean('approvalsRequired'),
    ownerCount: fields.number('ownerCount'),
    memberCount: fields.number('memberCount'),
    canTurnOffApprovals: fields.boolean('canTurnOffApprovals'),
    membersWithoutSecondFactor: parseWithoutSecondFactor((body as JsonRecord).membersWithoutSecondFactor),
  }
}

const parsePerson = (value: unknown, what: string): Person | null => {
  if (value === null || value === undefined) return null
  const fields = readObject(value, what)
  return { userId: fields.string('userId'), email: fields.string('email'), displayName: fields.string('displayName') }
}

const parseApprovalObject = (value: unknown): Approval => {
  const fields = readObject(value, 'approval')
  const record = value as JsonRecord
  return {
    id: fields.string('id'),
    workspaceId: fields.string('workspaceId'),
    kind: fields.string('kind'),
    summary: fields.string('summary'),
    state: fields.oneOf('state', approvalStates),
    requestedBy: parsePerson(record.requestedBy, 'approval.requestedBy'),
    requestedAt: fields.string('requestedAt'),
    expiresAt: fields.string('expiresAt'),
    decidedBy: parsePerson(record.decidedBy, 'approval.decidedBy'),
    decidedAt: fields.nullableString('decidedAt'),
    note: fields.nullableString('note'),
    // From a server before the details were shown: none.
    details: isRecord(record.details) ? record.details : {},
    canDecide: fields.boolean('canDecide'),
  }
}

export const parseApproval: Parse<Approval> = (body) => parseApprovalObject(body)
export const parseApprovals: Parse<Approval[]> = (body) => readList(body, 'approvals', parseApprovalObject)

/**
 * For a change that may wait for a second person: a 202 whose body carries `approval` is the request
 * that waits; any other success is the change, read with `parse`. Without a status (a parser called
 * directly) the body's shape decides.
 */
export const parseGated =
  <T>(parse: Parse<T>): Parse<Gated<T>> =>
  (body, status) => {
    const isWaiting = (status === undefined || status === 202) && isRecord(body) && isRecord(body.approval)
    if (isWaiting) return { status: 'pending', approval: parseApprovalObject(body.approval) }
    if (status === 202) throw new Error('a 202 answer without the approval request it waits for')
    return { status: 'applied', value: parse(body, status) }
  }
