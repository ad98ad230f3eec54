import { normalizeCidr, parseCidrList, cidrListProblem } from './account-validation'
import type { PolicyPatch, WorkspacePolicies } from './team-parsers'

/**
 * The Workspace policies form: what its fields hold, what they may hold (the server checks the same
 * bounds), and the PATCH of what changed.
 */

export const IDLE_MINUTES_MIN = 5
export const IDLE_MINUTES_MAX = 480
export const ROTATION_DAYS_MIN = 7
export const ROTATION_DAYS_MAX = 730
export const IP_RANGES_MAX = 50

export type PolicyDraft = {
  requireTwoFactor: boolean
  requirePasskeyForAdmins: boolean
  /** Empty: the platform's default. */
  sessionIdleMinutes: string
  /** One range per line. */
  allowedIpRanges: string
  keyRotationDays: string
  refuseIpUnrestrictedKeys: boolean
  approvalsRequired: boolean
}

export type PolicyField = 'sessionIdleMinutes' | 'allowedIpRanges' | 'keyRotationDays'
export type PolicyErrors = Partial<Record<PolicyField, string>>

export const policyDraftFrom = (policies: WorkspacePolicies): PolicyDraft => ({
  requireTwoFactor: policies.requireTwoFactor,
  requirePasskeyForAdmins: policies.requirePasskeyForAdmins,
  sessionIdleMinutes: policies.sessionIdleMinutes === null ? '' : String(policies.sessionIdleMinutes),
  allowedIpRanges: policies.allowedIpRanges.join('\n'),
  keyRotationDays: String(policies.keyRotationDays),
  refuseIpUnrestrictedKeys: policies.refuseIpUnrestrictedKeys,
  approvalsRequired: policies.approvalsRequired,
})

const wholeNumberIn = (text: string, min: number, max: number, what: string): { value: number } | { problem: string } => {
  const trimmed = text.trim()
  if (!/^\d+$/.test(trimmed)) return { problem: `Enter a whole number of ${what} from ${min} to ${max}.` }
  const value = Number(trimmed)
  return value < min || value > max ? { problem: `Use ${min} to ${max} ${what}.` } : { value }
}

const sameRanges = (a: readonly string[], b: readonly string[]): boolean => {
  const canonical = (list: readonly string[]) => list.map((entry) => normalizeCidr(entry) ?? entry).sort().join()
  return canonical(a) === canonical(b)
}

/** The PATCH for what changed (undefined: nothing did), or the problems of the fields. */
export const policyPatchFrom = (current: WorkspacePolicies, draft: PolicyDraft): { ok: true; patch: PolicyPatch | undefined } | { ok: false; errors: PolicyErrors } => {
  const errors: PolicyErrors = {}
  const patch: PolicyPatch = {}

  let idle: number | null = null
  if (draft.sessionIdleMinutes.trim() !== '') {
    const parsed = wholeNumberIn(draft.sessionIdleMinutes, IDLE_MINUTES_MIN, IDLE_MINUTES_MAX, 'minutes')
    if ('problem' in parsed) errors.sessionIdleMinutes = parsed.problem
    else idle = parsed.value
  }
  const rotation = wholeNumberIn(draft.keyRotationDays, ROTATION_DAYS_MIN, ROTATION_DAYS_MAX, 'days')
  if ('problem' in rotation) errors.keyRotationDays = rotation.problem
  const rangesProblem = cidrListProblem(draft.allowedIpRanges)
  const { cidrs } = parseCidrList(draft.allowedIpRanges)
  if (rangesProblem !== undefined) errors.allowedIpRanges = rangesProblem
  else if (cidrs.length > IP_RANGES_MAX) errors.allowedIpRanges = `Use at most ${IP_RANGES_MAX} ranges; this list has ${cidrs.length}.`
  if (Object.keys(errors).length > 0) return { ok: false, errors }

  if (draft.requireTwoFactor !== current.requireTwoFactor) patch.requireTwoFactor = draft.requireTwoFactor
  if (draft.requirePasskeyForAdmins !== current.requirePasskeyForAdmins) patch.requirePasskeyForAdmins = draft.requirePasskeyForAdmins
  if (idle !== current.sessionIdleMinutes) patch.sessionIdleMinutes = idle
  if (!sameRanges(cidrs, current.allowedIpRanges)) patch.allowedIpRanges = cidrs
  if ('value' in rotation && rotation.value !== current.keyRotationDays) patch.keyRotationDays = rotation.value
  if (draft.refuseIpUnrestrictedKeys !== current.refuseIpUnrestrictedKeys) patch.refuseIpUnrestrictedKeys = draft.refuseIpUnrestrictedKeys
  if (draft.approvalsRequired !== current.approvalsRequired) patch.approvalsRequired = draft.approvalsRequired
  return { ok: true, patch: Object.keys(patch).length === 0 ? undefined : patch }
}
