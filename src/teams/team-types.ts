import { z } from 'zod'

/**
 * Members, invitations and team workspaces as the API shows them (issue 10). Shared with the web app,
 * so this file imports nothing but zod.
 */

export const teamRoles = ['owner', 'admin', 'trader', 'viewer'] as const
export type TeamRole = (typeof teamRoles)[number]
/** Roles an invitation may give: owners are made from members (a four-eyes change), never invited. */
export const invitableRoles = ['admin', 'trader', 'viewer'] as const
export type InvitableRole = (typeof invitableRoles)[number]
export const invitationStates = ['pending', 'accepted', 'revoked', 'expired'] as const
export type InvitationState = (typeof invitationStates)[number]

/** viewer < trader < admin < owner: a change to a higher rank is an upgrade (four-eyes, R42). */
export const roleRank: Record<TeamRole, number> = { viewer: 0, trader: 1, admin: 2, owner: 3 }

/** An invitation link works this long. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000
/** Pending invitations one workspace may have at once (a stolen admin session cannot spray invitations). */
export const MAX_PENDING_INVITATIONS = 20
/** Invitations one workspace may create per hour, revoked and replaced ones included (the emails are what is limited). */
export const MAX_INVITATIONS_PER_HOUR = 30
/** One invitation per recipient address per workspace within this long (re-inviting replaces, but still emails). */
export const INVITATION_RECIPIENT_INTERVAL_MS = 10 * 60 * 1000
/** Invitations to one address per hour from all workspaces together (many workspaces cannot flood one mailbox). */
export const MAX_INVITATIONS_PER_ADDRESS_PER_HOUR = 5

/** Workspaces one person may own: creating them is cheap, so it is capped. */
export const MAX_OWNED_WORKSPACES = 50

export const memberViewSchema = z.object({
  userId: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(teamRoles),
  /** `granted`: a trader who trades only on `exchangeAccountIds`; `all`: on every account of the workspace. */
  accountScope: z.enum(['all', 'granted']),
  exchangeAccountIds: z.array(z.string().uuid()),
  joinedAt: z.string(),
  /** Whether they have an authenticator app or a passkey: shown to owners and admins (and to the member themselves), null for others. */
  hasSecondFactor: z.boolean().nullable(),
  hasPasskey: z.boolean().nullable(),
  isYou: z.boolean(),
})
export type MemberView = z.infer<typeof memberViewSchema>

const person = z.object({ userId: z.string().uuid(), email: z.string(), displayName: z.string() }).nullable()

export const invitationViewSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: z.enum(invitableRoles),
  /** Who sent it; null once that account is gone. */
  invitedBy: person,
  createdAt: z.string(),
  expiresAt: z.string(),
  state: z.enum(invitationStates),
})
export type InvitationView = z.infer<typeof invitationViewSchema>

/** What the invitation page shows before anyone signs in (the link's holder learns whom it is for). */
export const invitationPreviewSchema = z.object({
  workspaceName: z.string(),
  invitedByName: z.string().nullable(),
  role: z.enum(invitableRoles),
  email: z.string(),
  expiresAt: z.string(),
})
export type InvitationPreview = z.infer<typeof invitationPreviewSchema>

/**
 * Where an accepted invitation left the new member. Where the workspace asks for four-eyes (R42) an invitation
 * above viewer joins as viewer: `pendingRole` is the invited role, now a request waiting for a second owner or
 * admin (the route adds the request as `approval`); without it, `note` says why the member stays a viewer.
 */
export const acceptedInvitationSchema = z.object({
  workspaceId: z.string().uuid(),
  role: z.enum(invitableRoles),
  pendingRole: z.enum(invitableRoles).optional(),
  note: z.string().optional(),
})
export type AcceptedInvitation = z.infer<typeof acceptedInvitationSchema>

/** Workspace names appear in emails: nothing that reads as a link or an address (phishing from our own domain). */
export const workspaceNameProblem = (name: string): string | undefined =>
  name.includes('://') || name.includes('@') ? 'must not contain "://" or "@" (it is shown in emails)' : undefined

export const teamWorkspaceViewSchema = z.object({ id: z.string().uuid(), name: z.string(), role: z.enum(teamRoles) })
export type TeamWorkspaceView = z.infer<typeof teamWorkspaceViewSchema>

/** The change a member update asks for; omitted fields stay as they are. */
export type MemberChange = { role?: TeamRole | undefined; accountScope?: 'all' | 'granted' | undefined; exchangeAccountIds?: readonly string[] | undefined }

/** Who does something, for the audit entry. */
export type TeamActor = { userId: string; ip?: string | undefined; requestId?: string | undefined }
