import { and, eq, isNull, or } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import { readWorkspaceSettings } from './workspace-settings.js'

/**
 * The security center's score (issue 9): one number 0–100 for one member in one workspace, made of
 * weighted checks, each with the concrete step that completes it. The facts come from the domains that
 * own them — the member's factors (auth), the keys' health (keys/key-hygiene.ts) — handed in as
 * functions, since monitoring/ imports no domain; the alert channels are monitoring's own table.
 *
 * A workspace without exchange keys gets the three key checks as done, with the detail "No keys yet":
 * the weights always add up to 100, so connecting a first, well-kept key never lowers the score, and
 * connecting a badly kept one does — that drop is the signal. (Leaving them out and re-weighting the
 * rest would move the score when nothing got safer or worse.)
 */

export type SecurityCheckId = 'two_factor' | 'passkey' | 'anti_phishing' | 'recovery_codes' | 'keys_ip_restricted' | 'keys_rotated' | 'keys_no_withdraw' | 'alert_channel'

export type SecurityCheck = {
  id: SecurityCheckId
  /** The goal as a plain sentence ("Two-factor sign-in is on"). */
  label: string
  done: boolean
  /** Points this check is worth; all checks add up to 100. */
  weight: number
  /** The current state in numbers ("2 of 3 keys are IP-restricted"). */
  detail: string
  /** Where the member completes it (a dashboard path). */
  fix: { label: string; path: string }
}

export type SecurityScore = { score: number; checks: SecurityCheck[] }

/** A member's sign-in factors, as auth reports them. */
export type MemberSecurityFacts = { totp: boolean; passkeys: number; recoveryCodesLeft: number; hasAntiPhishingCode: boolean; emailVerified: boolean }

/** One exchange key as keys/key-hygiene.ts reports it (only the fields the score reads). */
export type KeyHealthFacts = {
  label: string
  state: string
  badges: { withdrawDisabled: boolean; ipRestricted: boolean }
  ageDays: number
  /** Negative when the rotation period has passed. */
  rotationDueInDays: number
}

/** Which channels beyond the in-app inbox reach the member. */
export type AlertChannelFacts = { email: boolean; telegram: boolean; webhook: boolean }

export type SecurityFacts = { member: MemberSecurityFacts; keys: readonly KeyHealthFacts[]; rotationDays: number; channels: AlertChannelFacts }

/** Points per check (they add up to 100): sign-in protection first, then the keys, then being told. */
export const securityCheckWeights: Readonly<Record<SecurityCheckId, number>> = {
  two_factor: 25,
  passkey: 15,
  anti_phishing: 10,
  recovery_codes: 5,
  keys_ip_restricted: 15,
  keys_rotated: 10,
  keys_no_withdraw: 10,
  alert_channel: 10,
}

const ACCOUNT_SECURITY = '/security'
const EXCHANGES = '/exchanges'
const NOTIFICATIONS = '/notifications'

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
/** "Main, Spare and 2 more": names the keys to fix without a long list. */
const nameKeys = (keys: readonly KeyHealthFacts[]) => {
  const names = keys.slice(0, 2).map((k) => `"${k.label}"`)
  const rest = keys.length - names.length
  return rest > 0 ? `${names.join(', ')} and ${rest} more` : names.join(' and ')
}

/** A check over a set of keys: done when every one passes; "No keys yet" when there are none. */
const keyCheck = (
  id: SecurityCheckId,
  label: string,
  keys: readonly KeyHealthFacts[],
  /** Said when `keys` is empty: "No keys yet", or "No active keys" when only disabled ones are held. */
  none: string,
  passes: (k: KeyHealthFacts) => boolean,
  describe: (passing: number, total: number, failing: readonly KeyHealthFacts[]) => string,
  fix: SecurityCheck['fix'],
): SecurityCheck => {
  const failing = keys.filter((k) => !passes(k))
  return {
    id,
    label,
    done: failing.length === 0,
    weight: securityCheckWeights[id],
    detail: keys.length === 0 ? none : describe(keys.length - failing.length, keys.length, failing),
    fix,
  }
}

/** The checks and the score for a set of facts. Pure: the tests and the route share it. */
export const scoreSecurity = ({ member, keys, rotationDays, channels }: SecurityFacts): SecurityScore => {
  const hasSecondFactor = member.totp || member.passkeys > 0
  // Keys that can trade are the ones whose IP restriction and age matter now; a key the signer still
  // holds (disabled, waiting) can be re-enabled, so withdraw permission counts on every one of them.
  const active = keys.filter((k) => k.state === 'active')
  const held = keys.filter((k) => k.state !== 'destroyed')
  const noActive = held.length === 0 ? 'No keys yet' : 'No active keys'
  const channelNames = [channels.email && 'email', channels.telegram && 'Telegram', channels.webhook && 'a webhook'].filter((c): c is string => typeof c === 'string')

  const checks: SecurityCheck[] = [
    {
      id: 'two_factor',
      label: 'Two-factor sign-in is on',
      done: hasSecondFactor,
      weight: securityCheckWeights.two_factor,
      detail: hasSecondFactor ? `Signing in asks for ${[member.totp && 'an authenticator code', member.passkeys > 0 && 'a passkey'].filter(Boolean).join(' or ')}` : 'A password alone signs you in',
      fix: { label: 'Turn on two-factor sign-in', path: ACCOUNT_SECURITY },
    },
    {
      id: 'passkey',
      label: 'A passkey is added',
      done: member.passkeys > 0,
      weight: securityCheckWeights.passkey,
      detail: member.passkeys > 0 ? plural(member.passkeys, 'passkey', 'passkeys') : 'No passkey: widening a key waits out a delay instead of your confirmation',
      fix: { label: 'Add a passkey', path: ACCOUNT_SECURITY },
    },
    {
      id: 'anti_phishing',
      label: 'An anti-phishing code is set',
      done: member.hasAntiPhishingCode,
      weight: securityCheckWeights.anti_phishing,
      detail: member.hasAntiPhishingCode ? 'Our emails show your code' : 'Nothing tells our emails from a forged one',
      fix: { label: 'Set an anti-phishing code', path: ACCOUNT_SECURITY },
    },
    {
      id: 'recovery_codes',
      label: 'Recovery codes are left',
      done: hasSecondFactor && member.recoveryCodesLeft > 0,
      weight: securityCheckWeights.recovery_codes,
      detail: !hasSecondFactor ? 'They come with two-factor sign-in' : member.recoveryCodesLeft > 0 ? `${plural(member.recoveryCodesLeft, 'code', 'codes')} left` : 'Every recovery code is used',
      fix: { label: hasSecondFactor ? 'Make new recovery codes' : 'Turn on two-factor sign-in', path: ACCOUNT_SECURITY },
    },
    keyCheck(
      'keys_ip_restricted',
      'Every active exchange key is IP-restricted',
      active,
      noActive,
      (k) => k.badges.ipRestricted,
      (passing, total, failing) => `${passing} of ${plural(total, 'key is', 'keys are')} IP-restricted${failing.length > 0 ? `; ${nameKeys(failing)} ${failing.length === 1 ? 'is' : 'are'} not` : ''}`,
      { label: "Restrict the key to Bulwark's IP address at the exchange", path: EXCHANGES },
    ),
    keyCheck(
      'keys_rotated',
      `No active key is older than ${rotationDays} days`,
      active,
      noActive,
      (k) => k.rotationDueInDays > 0,
      (passing, total, failing) => (failing.length === 0 ? `${plural(total, 'key is', 'keys are')} within the rotation period` : `${nameKeys(failing)} ${failing.length === 1 ? 'is' : 'are'} due for rotation`),
      { label: 'Replace the old key', path: EXCHANGES },
    ),
    keyCheck(
      'keys_no_withdraw',
      'No key can withdraw funds',
      held,
      'No keys yet',
      (k) => k.badges.withdrawDisabled,
      (passing, total, failing) => (failing.length === 0 ? `${plural(total, 'key', 'keys')}, none with withdraw permission` : `${nameKeys(failing)}: withdraw permission on, or not confirmed off`),
      { label: 'Turn off withdrawals for the key at the exchange', path: EXCHANGES },
    ),
    {
      id: 'alert_channel',
      label: 'Alerts reach you outside the dashboard',
      done: channelNames.length > 0,
      weight: securityCheckWeights.alert_channel,
      detail: channelNames.length > 0 ? `Alerts go to ${channelNames.join(', ')}` : 'Alerts show only in the dashboard',
      fix: { label: member.emailVerified ? 'Add an email, Telegram or webhook channel' : 'Verify your email, or link Telegram', path: NOTIFICATIONS },
    },
  ]
  return { score: checks.reduce((sum, c) => sum + (c.done ? c.weight : 0), 0), checks }
}

/** The workspace's team posture, as the teams policies report it (handed in: monitoring imports no domain). */
export type TeamPostureFacts = {
  memberCount: number
  approvalsRequired: boolean
  requireTwoFactor: boolean
  /** Members without an authenticator app or a passkey. */
  membersWithoutSecondFactor: readonly { userId: string; displayName: string; email: string }[]
}

export type SecurityWarningId = 'approvals_off' | 'members_limited_by_two_factor'

/**
 * Something about the workspace (not the member) worth seeing beside the score. Warnings never move the
 * score: it stays one member's own posture.
 */
export type SecurityWarning = {
  id: SecurityWarningId
  severity: 'warning' | 'info'
  message: string
  /** Members the warning is about (names and emails: every member may see the member list). */
  members: { userId: string; displayName: string; email: string }[]
  fix: { label: string; path: string }
}

/** The score with the workspace's warnings: what the security center shows. */
export type SecurityCenterScore = SecurityScore & { warnings: SecurityWarning[] }

const POLICIES = '/policies'
const TEAM = '/team'

/** The workspace's warnings for a set of team facts. Pure. */
export const teamWarnings = (team: TeamPostureFacts): SecurityWarning[] => {
  const warnings: SecurityWarning[] = []
  if (!team.approvalsRequired && team.memberCount > 1) {
    warnings.push({
      id: 'approvals_off',
      severity: 'warning',
      message: `Four-eyes approvals are off in a workspace of ${team.memberCount} members: any one owner or admin alone can connect or replace exchange keys, raise risk limits, promote bots, give roles and relax these policies`,
      members: [],
      fix: { label: 'Turn approvals on', path: POLICIES },
    })
  }
  const limited = team.requireTwoFactor ? team.membersWithoutSecondFactor : []
  if (limited.length > 0) {
    const names = limited.slice(0, 3).map((m) => m.displayName)
    const rest = limited.length - names.length
    warnings.push({
      id: 'members_limited_by_two_factor',
      severity: 'info',
      message: `${plural(limited.length, 'member acts', 'members act')} as a viewer until they set up two-factor sign-in, as this workspace requires: ${names.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`,
      members: limited.map((m) => ({ userId: m.userId, displayName: m.displayName, email: m.email })),
      fix: { label: 'Ask them to turn on two-factor sign-in', path: TEAM },
    })
  }
  return warnings
}

export type SecurityScoreDeps = {
  db: Db
  /** The member's factors (auth's MeView); undefined for an unknown user. */
  memberFacts: (userId: string) => Promise<MemberSecurityFacts | undefined>
  /** The workspace's keys (keys/key-hygiene.ts `keyHealth`). */
  keyHealth: (workspaceId: string) => Promise<readonly KeyHealthFacts[]>
  /** The workspace's team posture (teams/ policies); no warnings when absent. */
  teamPosture?: ((workspaceId: string) => Promise<TeamPostureFacts>) | undefined
}

export const createSecurityScore = ({ db, memberFacts, keyHealth, teamPosture }: SecurityScoreDeps) => {
  const c = schema.notificationChannels
  /** Active channels that reach the member: their own email and Telegram, and the workspace's webhooks. */
  const channelsFor = async (workspaceId: string, userId: string, emailVerified: boolean): Promise<AlertChannelFacts> => {
    const rows = await db
      .select({ kind: c.kind, config: c.config })
      .from(c)
      .where(and(eq(c.workspaceId, workspaceId), eq(c.state, 'active'), or(eq(c.userId, userId), and(eq(c.kind, 'webhook'), isNull(c.userId)))))
    return {
      // An email channel sends only to a verified address (the notifier reads it at send time).
      email: emailVerified && rows.some((r) => r.kind === 'email'),
      telegram: rows.some((r) => r.kind === 'telegram' && typeof (r.config as { chatId?: unknown }).chatId === 'number'),
      webhook: rows.some((r) => r.kind === 'webhook'),
    }
  }

  /** The score of `userId` in `workspaceId` (the caller has checked membership), with the workspace's warnings. */
  const forMember = async (workspaceId: string, userId: string): Promise<SecurityCenterScore> => {
    const [member, keys, settings, team] = await Promise.all([memberFacts(userId), keyHealth(workspaceId), readWorkspaceSettings(db, workspaceId), teamPosture?.(workspaceId)])
    const facts = member ?? { totp: false, passkeys: 0, recoveryCodesLeft: 0, hasAntiPhishingCode: false, emailVerified: false }
    const score = scoreSecurity({ member: facts, keys, rotationDays: settings.keys.rotationDays, channels: await channelsFor(workspaceId, userId, facts.emailVerified) })
    return { ...score, warnings: team ? teamWarnings(team) : [] }
  }

  return { forMember }
}
export type SecurityScoreService = ReturnType<typeof createSecurityScore>
