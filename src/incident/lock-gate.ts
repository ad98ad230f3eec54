/**
 * What a locked workspace still answers (R19): reads (`*.read`), the incident's own actions (status,
 * timeline, unlock), deciding approvals — an unlock may itself wait for a second person (R42), and the
 * approvals service refuses applying any other kind while the workspace is locked — the audit chain's verdict, and narrowing the team
 * (removing a member, revoking an invitation, leaving), which an owner may most need during an incident.
 * Everything else — trading, keys, settings, tokens, alerts changes, invitations, role changes — waits for
 * the unlock with WORKSPACE_LOCKED (423). The session guard applies it by the route's declared policy action.
 */
const narrowing: ReadonlySet<string> = new Set(['approvals.decide', 'members.remove', 'workspace.leave', 'audit.verify'])

export const passesLock = (action: string): boolean => action.endsWith('.read') || action.startsWith('incident.') || narrowing.has(action)
