import type { StatusTone } from '../components/status-badge'
import { detailLabel, detailValue } from './account-format'
import type { AccountScope, Approval, ApprovalState, Invitation, InvitationState, Member, MemberPatch, Role, WorkspacePolicies } from './team-parsers'

/** Words for the teams pages: roles, approval kinds and states, time left, who is who. */

export const roleLabel: Readonly<Record<Role, string>> = { owner: 'Owner', admin: 'Admin', trader: 'Trader', viewer: 'Viewer' }

/** What each role may do, in one line (src/auth/policy.ts is the table). */
export const roleDescription: Readonly<Record<Role, string>> = {
  owner: 'Everything, including the workspace itself, its policies and deleting it.',
  admin: 'Keys, members (not owners), risk limits, settings, approvals.',
  trader: 'Runs Smart Trades and bots on the accounts they may trade on.',
  viewer: 'Reads everything, changes nothing.',
}

const roleRank: Readonly<Record<Role, number>> = { viewer: 0, trader: 1, admin: 2, owner: 3 }

/** True when `next` gives more rights than `current`: such a change may wait for a second person (R42). */
export const isRoleUpgrade = (current: Role, next: Role): boolean => roleRank[next] > roleRank[current]

export const isOwnerOrAdminRole = (role: string): boolean => role === 'owner' || role === 'admin'

/**
 * The roles `actor` may give `member` in the role select: owners give any role, admins never touch owners
 * and never make anyone owner, and nobody changes their own role (the server enforces the same).
 */
export const assignableRoles = (actor: string, member: Pick<Member, 'role' | 'isYou'>): Role[] => {
  if (member.isYou) return []
  if (actor === 'owner') return ['owner', 'admin', 'trader', 'viewer']
  if (actor === 'admin' && member.role !== 'owner') return ['admin', 'trader', 'viewer']
  return []
}

export type MemberDraft = { role: Role; accountScope: AccountScope; exchangeAccountIds: readonly string[] }

const sameIds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join()

/**
 * The PATCH for a member's editor: only what changed, or undefined when nothing did. Account scope and
 * grants concern traders only (owners and admins trade everywhere, viewers nowhere); a trader limited to
 * chosen accounts is sent the whole list.
 */
export const memberPatch = (member: Pick<Member, 'role' | 'accountScope' | 'exchangeAccountIds'>, draft: MemberDraft): MemberPatch | undefined => {
  const patch: MemberPatch = {}
  if (draft.role !== member.role) patch.role = draft.role
  if (draft.role === 'trader') {
    const wasGranted = member.role === 'trader' && member.accountScope === 'granted'
    if (draft.accountScope === 'granted') {
      if (!wasGranted) patch.accountScope = 'granted'
      if (!wasGranted || !sameIds(draft.exchangeAccountIds, member.exchangeAccountIds)) patch.exchangeAccountIds = [...draft.exchangeAccountIds].sort()
    } else if (wasGranted) patch.accountScope = 'all'
  }
  return Object.keys(patch).length === 0 ? undefined : patch
}

/** Whether `actor` may remove `member` (the server also keeps the last owner). */
export const canRemove = (actor: string, member: Pick<Member, 'role' | 'isYou'>): boolean =>
  !member.isYou && (actor === 'owner' || (actor === 'admin' && member.role !== 'owner'))

/** Roles an actor may invite with: only owners invite admins. */
export const invitableRolesFor = (actor: string): Role[] => (actor === 'owner' ? ['admin', 'trader', 'viewer'] : actor === 'admin' ? ['trader', 'viewer'] : [])

export const memberName = (member: Pick<Member, 'displayName' | 'email'>): string => {
  const name = member.displayName?.trim()
  return name === undefined || name === '' ? member.email : name
}

/** Who may trade where: "All accounts", or the named ones (unknown ids, e.g. a removed account, are left out). */
export const accountsText = (member: Pick<Member, 'role' | 'accountScope' | 'exchangeAccountIds'>, labels: ReadonlyMap<string, string>): string => {
  if (member.role === 'viewer') return 'None (reads only)'
  if (member.accountScope === 'all' || member.role === 'owner' || member.role === 'admin') return 'All accounts'
  const names = member.exchangeAccountIds.map((id) => labels.get(id)).filter((name): name is string => name !== undefined)
  return names.length === 0 ? 'No exchange account yet' : names.join(', ')
}

/** A member the two-factor policy holds to viewer: the workspace requires it and they have none. */
export const isLimitedByTwoFactor = (member: Pick<Member, 'role' | 'hasSecondFactor'>, policies: Pick<WorkspacePolicies, 'requireTwoFactor'> | undefined): boolean =>
  policies?.requireTwoFactor === true && member.hasSecondFactor === false && member.role !== 'viewer'

export const invitationStateText: Readonly<Record<InvitationState, string>> = { pending: 'Pending', accepted: 'Accepted', revoked: 'Revoked', expired: 'Expired' }

export const invitationIsOpen = (invitation: Pick<Invitation, 'state' | 'expiresAt'>, now: Date): boolean =>
  invitation.state === 'pending' && new Date(invitation.expiresAt).getTime() > now.getTime()

const kindLabels: Readonly<Record<string, string>> = {
  'key.connect': 'Connect an exchange key',
  'key.replace': 'Replace an exchange key',
  'limits.raise': 'Raise risk limits',
  'bot.promote': 'Promote a bot to a real account',
  'role.upgrade': 'Give a member more rights',
  'policy.relax': 'Relax a workspace policy',
  'incident.unlock': 'Unlock after a lockdown',
  'owner.change': 'Take owner rights from an owner',
}

/** "Raise risk limits"; a kind this page does not know yet is shown by its name. */
export const approvalKindLabel = (kind: string): string => kindLabels[kind] ?? kind

export const approvalStateText: Readonly<Record<ApprovalState, string>> = {
  pending: 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
  failed: 'Approved, but applying it failed',
}

export const approvalStateTone: Readonly<Record<ApprovalState, StatusTone>> = {
  pending: 'pending',
  approved: 'ok',
  rejected: 'bad',
  expired: 'warn',
  cancelled: 'warn',
  failed: 'bad',
}

/** "23 h 5 min left", "4 min left", "Expired": how long a pending request can still be approved. */
export const timeLeftText = (expiresAt: string, now: Date): string => {
  const ms = new Date(expiresAt).getTime() - now.getTime()
  if (!Number.isFinite(ms) || ms <= 0) return 'Expired'
  const minutes = Math.ceil(ms / 60_000)
  if (minutes < 60) return `${minutes} min left`
  const hours = Math.floor(minutes / 60)
  const rest = minutes % 60
  return rest === 0 ? `${hours} h left` : `${hours} h ${rest} min left`
}

export const personText = (person: Approval['requestedBy']): string => (person === null ? 'a former member' : person.displayName.trim() === '' ? person.email : person.displayName)

const withoutFinalStop = (text: string): string => text.trim().replace(/[.!]+$/, '')

/**
 * A request's details as label and value, for the approver to check: nested values (a set of limits)
 * become one line each ("Limits · max order notional"), long lists and objects compact JSON.
 */
export const approvalDetailRows = (details: Readonly<Record<string, unknown>>): { label: string; value: string }[] =>
  Object.entries(details).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as Record<string, unknown>).map(([inner, innerValue]) => ({ label: `${keyLabel(key)} · ${keyLabel(inner).toLowerCase()}`, value: detailValue(innerValue) }))
      : [{ label: keyLabel(key), value: Array.isArray(value) && value.every((item) => typeof item === 'string') ? value.join(', ') : detailValue(value) }],
  )

/** "exchangeAccountId" → "Exchange account ID" (payload keys are camelCase). */
const keyLabel = (key: string): string => detailLabel(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())

/** The line every gated form shows instead of "saved": nothing changed yet. */
export const waitingSentence = (approval: Pick<Approval, 'summary'>): string =>
  `Waiting for approval: ${withoutFinalStop(approval.summary)}. A second owner or admin must approve it within 24 hours.`

/** Pending requests first (soonest to expire first), then the rest, newest first. */
export const sortApprovals = (list: readonly Approval[]): Approval[] =>
  [...list].sort((a, b) => {
    if (a.state === 'pending' && b.state !== 'pending') return -1
    if (b.state === 'pending' && a.state !== 'pending') return 1
    if (a.state === 'pending') return a.expiresAt.localeCompare(b.expiresAt)
    return (b.decidedAt ?? b.requestedAt).localeCompare(a.decidedAt ?? a.requestedAt)
  })

/** The warning the policies page and the security center show when one person could do everything. */
export const approvalsOffWarning = (policies: Pick<WorkspacePolicies, 'approvalsRequired' | 'memberCount'>): string | undefined =>
  !policies.approvalsRequired && policies.memberCount > 1
    ? 'Four-eyes approvals are off although this workspace has several members: one person can connect keys, raise limits and promote bots alone.'
    : undefined
