import type { ApprovalGate } from './approval-types.js'
import type { Approvals } from './approvals.js'
import { createInvitations, type InvitationsDeps } from './invitations.js'
import { createMembers, type MembersDeps } from './members.js'
import { createTeamWorkspaces } from './workspaces.js'

/** `gate`: the approvals service (createApprovals), which the teams services use as gate and to cancel requests. */
export type TeamsDeps = Omit<MembersDeps, 'gate'> & InvitationsDeps & { gate: ApprovalGate & Pick<Approvals, 'cancelAllBy' | 'cancelAllIn'> }

/** The teams services the team routes need (members, invitations, team workspaces), wired once. */
export const createTeams = (deps: TeamsDeps) => ({
  members: createMembers(deps),
  invitations: createInvitations(deps),
  workspaces: createTeamWorkspaces(deps),
})
export type Teams = ReturnType<typeof createTeams>
