import type { StatusTone } from '../components/status-badge'
import type { ApiError } from './api'
import { formatDateTime, plural } from './account-format'
import type { KeyHealth, AuditVerification } from './monitoring-parsers'
import type { Incident, IncidentEvent } from './incident-parsers'
import type { LockdownOrdersMode } from './notification-parsers'
import { formatCheckName } from './readiness'

/** Plain words for what the monitoring API sends: key health, activity, audit, incidents, lockdown. */

// ---- Key health --------------------------------------------------------------------------------

export const keyStateText: Readonly<Record<string, string>> = {
  active: 'Active',
  unverified: 'Not verified yet',
  pending_approval: 'Waiting for approval',
  disabled: 'Disabled',
  destroyed: 'Destroyed',
}

export const keyStateTone = (state: string): StatusTone => (state === 'active' ? 'ok' : state === 'disabled' || state === 'destroyed' ? 'bad' : 'pending')

/** "12 days old", "1 day old", "new today". */
export const keyAgeText = (ageDays: number): string => (ageDays < 1 ? 'New today' : `${plural(Math.floor(ageDays), 'day', 'days')} old`)

/** Rotation against the workspace's period: overdue, due soon (within `remindDays`), or fine. */
export const rotationStatus = (key: Pick<KeyHealth, 'rotationDueInDays'>, remindDays = 7): { tone: StatusTone; text: string } => {
  const days = Math.ceil(key.rotationDueInDays)
  if (days < 0) return { tone: 'bad', text: `Rotation overdue by ${plural(-days, 'day', 'days')}` }
  if (days === 0) return { tone: 'warn', text: 'Rotation due today' }
  if (days <= remindDays) return { tone: 'warn', text: `Rotation due in ${plural(days, 'day', 'days')}` }
  return { tone: 'ok', text: `Rotation in ${plural(days, 'day', 'days')}` }
}

/** The security badges of a key, good news first; a missing protection is said plainly. */
export const keyBadges = (key: Pick<KeyHealth, 'badges'>): { tone: StatusTone; text: string }[] => [
  key.badges.withdrawDisabled ? { tone: 'ok', text: 'Withdrawals disabled' } : { tone: 'bad', text: 'Can withdraw' },
  key.badges.ipRestricted ? { tone: 'ok', text: 'IP restricted' } : { tone: 'warn', text: 'No IP restriction' },
  key.badges.tradingEnabled ? { tone: 'pending', text: 'Trading enabled' } : { tone: 'warn', text: 'Trading not enabled' },
]

// ---- Activity and audit ------------------------------------------------------------------------

export const outcomeText: Readonly<Record<string, string>> = { success: 'Success', failure: 'Failed', denied: 'Refused' }
export const outcomeTone = (outcome: string): StatusTone => (outcome === 'success' ? 'ok' : outcome === 'denied' ? 'bad' : 'warn')
export const outcomeLabel = (outcome: string): string => outcomeText[outcome] ?? formatCheckName(outcome)

/** "session_revoked" → "Session revoked"; "key.limits_changed" → "Key limits changed". */
/** Account events in words people use; any other type is spelled out from its name. */
const eventLabels: Readonly<Record<string, string>> = {
  user_registered: 'Signed up',
  email_verified: 'Email verified',
  login_password_accepted: 'Password accepted at sign-in',
  login_succeeded: 'Signed in',
  login_throttled: 'Sign-in slowed after failures',
  step_up_succeeded: 'Identity confirmed',
  totp_enabled: 'Authenticator app turned on',
  totp_disabled: 'Authenticator app turned off',
  passkey_added: 'Passkey added',
  passkey_registered: 'Passkey added',
  passkey_removed: 'Passkey removed',
  passkey_failed: 'Passkey refused',
  recovery_codes_regenerated: 'New recovery codes',
  anti_phishing_code_changed: 'Anti-phishing code changed',
  password_changed: 'Password changed',
  password_reset_requested: 'Password reset asked for',
  password_reset: 'Password reset',
  sessions_revoked: 'Sessions signed out',
  api_token_created: 'API token created',
  api_token_revoked: 'API token revoked',
}

export const eventTypeLabel = (type: string): string => eventLabels[type] ?? formatCheckName(type.replace(/\./g, '_'))

/** Who did it, as the audit record says: a member (by id), an API token, Bulwark, the operator. */
/** Who did it; `selfId` (the signed-in person) reads as "You". */
export const auditActorText = (actor: { type: string; id: string | undefined }, selfId?: string): string => {
  switch (actor.type) {
    case 'user':
      return actor.id === undefined ? 'A member' : actor.id === selfId ? 'You' : `Member ${shortId(actor.id)}`
    case 'api_token':
      return actor.id === undefined ? 'An API token' : `API token ${shortId(actor.id)}`
    case 'system':
      return 'Bulwark'
    case 'operator_cli':
      return 'The operator (CLI)'
    case 'signer':
      return 'The signer'
    default:
      return formatCheckName(actor.type)
  }
}

/** The first 8 characters of a UUID: enough to tell rows apart, with the whole id in a title. */
export const shortId = (id: string): string => (id.length > 8 ? id.slice(0, 8) : id)

export type VerificationBanner = { tone: 'ok' | 'bad' | 'warn'; title: string; detail: string }

/** The audit log's verification in one sentence: verified up to seq N (and when last checkpointed), or the first bad entry. */
export const verificationBanner = (verdict: AuditVerification, locale?: string): VerificationBanner => {
  if (!verdict.ok) {
    const where = verdict.firstBadSeq === undefined ? 'The audit log failed verification' : `The audit log fails verification at entry ${verdict.firstBadSeq}`
    return {
      tone: 'bad',
      title: `${where}.`,
      detail: `${verdict.reason === undefined ? 'An entry was changed, removed or reordered.' : `Reason: ${verdict.reason}.`} Entries from there on cannot be trusted; tell your operator.`,
    }
  }
  if (verdict.entries === 0) return { tone: 'ok', title: 'Verified: the audit log is empty so far.', detail: 'Entries appear here as things happen in this workspace.' }
  const checkpoint =
    verdict.lastCheckpoint === null
      ? 'No checkpoint signed by the signer yet.'
      : `Last checkpoint signed by the signer at entry ${verdict.lastCheckpoint.seq}, ${formatDateTime(verdict.lastCheckpoint.time, locale)}.`
  if (verdict.checkpointsUnavailable !== undefined) {
    return {
      tone: 'warn',
      title: `Verified ✓ up to entry ${verdict.entries}: every link checks, but the signer's checkpoints could not be read.`,
      detail: `${verdict.checkpointsUnavailable}. Without them, cutting entries off the end would go unnoticed.`,
    }
  }
  return { tone: 'ok', title: `Verified ✓ up to entry ${verdict.entries}.`, detail: checkpoint }
}

// ---- Lockdown and incidents ----------------------------------------------------------------------

export const ordersModeText: Readonly<Record<LockdownOrdersMode, string>> = {
  cancel: 'Cancel open orders',
  cancel_and_close: 'Cancel open orders and close positions',
  leave: 'Leave open orders on the exchange',
}

/** What the lockdown does with open orders, as a sentence for the confirmation. */
export const ordersConsequence = (mode: string): string => {
  switch (mode) {
    case 'cancel':
      return 'Every open order is cancelled on the exchange.'
    case 'cancel_and_close':
      return 'Every open order is cancelled and open positions are closed at market.'
    case 'leave':
      return 'Open orders stay on the exchange as they are (workspace setting): nobody, Bulwark included, manages them until the unlock.'
    default:
      return `Open orders: ${formatCheckName(mode)}.`
  }
}

export const incidentStateText: Readonly<Record<Incident['state'], string>> = {
  open: 'Locked down',
  unlocking: 'Unlocking',
  resolved: 'Resolved',
}

export const incidentStateTone: Readonly<Record<Incident['state'], StatusTone>> = { open: 'bad', unlocking: 'warn', resolved: 'ok' }

export const triggerText: Readonly<Record<string, string>> = {
  web: 'the lockdown button',
  cli: 'the operator (bulwark lockdown)',
  emergency_link: 'the emergency link from a security email',
  system: 'Bulwark itself',
}

const stepTitles: Readonly<Record<string, string>> = {
  lockdown_triggered: 'Lockdown started',
  lockdown_repeated: 'Lockdown pressed again (joined this incident)',
  keys: 'Exchange keys disabled in the signer',
  lock: 'Workspace locked',
  bots: 'Bots stopped',
  orders: 'Open orders handled',
  sessions: 'Sessions ended',
  notify: 'Members alerted and emailed',
  unlock_requested: 'Unlock requested (password and second factor checked)',
  unlock_confirmed: 'Unlock confirmed from the emailed link',
  unlock_completed: 'Workspace unlocked',
}

const numberIn = (details: Readonly<Record<string, unknown>>, key: string): number | undefined => {
  const value = details[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** One timeline row: what happened, and the few numbers that say how it went. */
export const timelineText = (event: Pick<IncidentEvent, 'kind' | 'outcome' | 'details'>): { title: string; detail: string | undefined } => {
  const title = stepTitles[event.kind] ?? formatCheckName(event.kind)
  const d = event.details
  const error = typeof d.error === 'string' ? d.error : undefined
  const why = typeof d.why === 'string' ? d.why : undefined
  if (event.outcome === 'failure' && error !== undefined) return { title, detail: `Failed: ${error}` }
  if (event.outcome === 'skipped') return { title, detail: `Skipped${why === undefined ? '' : `: ${why}`}` }
  const parts: string[] = []
  const disabled = numberIn(d, 'disabled')
  if (event.kind === 'keys' && disabled !== undefined) parts.push(disabled === 0 ? 'no active key to disable' : `${plural(disabled, 'key now refuses', 'keys now refuse')} every request`)
  const stopped = numberIn(d, 'stoppedBots')
  if (stopped !== undefined) parts.push(`${plural(stopped, 'bot', 'bots')} stopped`)
  const cancelled = numberIn(d, 'cancelled')
  if (cancelled !== undefined) parts.push(`${plural(cancelled, 'order', 'orders')} cancelled`)
  const closed = numberIn(d, 'closedPositions')
  if (closed !== undefined && closed > 0) parts.push(`${plural(closed, 'position', 'positions')} closed`)
  const failed = numberIn(d, 'failed')
  if (failed !== undefined && failed > 0) parts.push(`${failed} failed`)
  if (event.outcome === 'failure' && Array.isArray(d.errors)) {
    const first = d.errors.find((line): line is string => typeof line === 'string')
    if (first !== undefined) parts.push(`first failure: ${first}`)
  }
  const sessions = numberIn(d, 'sessionsEnded')
  // The red button signs its presser out itself, often before this step runs: then nothing was left to end.
  if (sessions !== undefined) parts.push(sessions === 0 ? 'no session was still open' : `${plural(sessions, 'session', 'sessions')} ended`)
  const tokens = numberIn(d, 'apiAccessRevoked')
  if (tokens !== undefined && tokens > 0) parts.push(`${plural(tokens, 'API token', 'API tokens')} revoked`)
  const emailed = numberIn(d, 'emailed')
  if (emailed !== undefined) parts.push(`${plural(emailed, 'member', 'members')} emailed`)
  if (typeof d.reason === 'string' && (event.kind === 'lockdown_triggered' || event.kind === 'lockdown_repeated')) parts.push(`reason: “${d.reason}”`)
  if (typeof d.by === 'string' && event.kind.startsWith('lockdown')) parts.push(`by ${d.by}`)
  if (d.cancelledUnlock === true) parts.push('the pending unlock was cancelled')
  return { title, detail: parts.length === 0 ? undefined : parts.join(', ') }
}

/** "4 min 05 s", "59 s", "1 h 02 min": the time left of a cooling-off. */
export const formatCountdown = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = total % 60
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`
  if (minutes > 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`
  return `${seconds} s`
}

/**
 * Where the unlock stands, from the incident alone (the page adds "check your email" after its own request).
 * A confirmed unlock whose waiting period is over (`unlockNotBefore` cleared) but that is not resolved waits
 * for a second owner or admin (four-eyes, R42).
 */
export type UnlockStage = 'locked' | 'awaiting_email' | 'cooling_off' | 'awaiting_approval' | 'unlocked'

export const unlockStage = (incident: Pick<Incident, 'state' | 'unlockRequestedAt' | 'unlockConfirmedAt'> & { unlockNotBefore?: string | null }): UnlockStage => {
  if (incident.state === 'resolved') return 'unlocked'
  if (incident.state === 'unlocking' && incident.unlockConfirmedAt !== null) return incident.unlockNotBefore === null ? 'awaiting_approval' : 'cooling_off'
  if (incident.state === 'unlocking' && incident.unlockRequestedAt !== null) return 'awaiting_email'
  return 'locked'
}

// ---- Errors near the actions ---------------------------------------------------------------------

/**
 * What to do next after a monitoring action failed, beyond the server's own sentence; undefined when
 * the message says it all.
 */
export const monitoringErrorHint = (error: Pick<ApiError, 'code'>, action: 'lockdown' | 'unlock' | 'reenable' | 'settings' | 'channel' | 'export' | 'link'): string | undefined => {
  switch (error.code) {
    case 'WORKSPACE_LOCKED':
      return action === 'reenable'
        ? 'Keys come back only after the unlock has finished, one by one.'
        : 'This workspace is locked down: changes wait until it is unlocked. Its incident page shows how to unlock it.'
    case 'STEP_UP_CANCELLED':
      return action === 'lockdown' ? 'Nothing was locked. Press the button again when you are ready to confirm it is you.' : undefined
    case 'FORBIDDEN':
      if (action === 'unlock') return 'Check your password and the current code of your authenticator app. Too many wrong tries block unlocking for a while.'
      if (action === 'export') return 'Only owners and admins of the workspace may export its audit log.'
      return 'Your role in this workspace does not allow this. Ask an owner or admin.'
    case 'SECOND_FACTOR_REQUIRED':
      return 'Unlocking needs an authenticator app or a passkey on your account. Another owner or admin can unlock, or your operator.'
    case 'CONFLICT':
      return action === 'unlock' ? 'Reload the page to see where the unlock stands.' : undefined
    case 'KEY_HAS_WITHDRAW_PERMISSION':
      return 'Fix the key at the exchange (no withdrawals, IP whitelist on) or replace it on the Exchanges page, then try again.'
    case 'BAD_INPUT':
      return action === 'link' ? 'Each link works once and expires. Use the newest email, or sign in and act from the dashboard.' : undefined
    case 'UNAUTHENTICATED':
      return action === 'lockdown' ? 'Your session ended. If you were locking down, sign in again and check the incident page: the lockdown may already have happened.' : undefined
    default:
      return undefined
  }
}
