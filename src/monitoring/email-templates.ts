import type { AlertSeverity } from '../db/index.js'

/**
 * Account email: a closed set of plain-text templates (no HTML, so nothing to inject into markup).
 *
 * Invariants:
 * - Every email goes through `frame`, the one place that writes the anti-phishing line (R35): the user's code
 *   when set, otherwise how to set one. Templates return only their subject and body lines, so none can omit it.
 * - Every string variable is folded onto one line before a template sees it: a user agent, display name or
 *   passkey label cannot start a new line (no forged "Bcc:" or fake code line), whatever the template does.
 */

export const securityChanges = [
  'password_changed',
  'email_changed',
  'totp_enabled',
  'totp_disabled',
  'passkey_added',
  'passkey_removed',
  'recovery_codes_regenerated',
  'recovery_code_used',
  'api_token_created',
  'anti_phishing_code_changed',
  'account_locked',
  'signup_attempt_existing',
  'signin_after_failures',
] as const
export type SecurityChange = (typeof securityChanges)[number]

/** A moment as a Date or an ISO string; shown in UTC. */
type Moment = Date | string

/** How a lockdown was started (incident/): shown in the lockdown email so the reader knows whether it was them. */
export const lockdownTriggers = ['web', 'cli', 'emergency_link', 'system'] as const
export type LockdownTrigger = (typeof lockdownTriggers)[number]
/** What the lockdown did with open orders (workspace setting `lockdown.orders`, or chosen at the button). */
export type LockdownOrders = 'cancel' | 'cancel_and_close' | 'leave'

export type EmailTemplateVars = {
  verify_email: { link: string }
  password_reset: { link: string; expiresMinutes: number }
  /** After a lockout (R24): proves control of the address and lifts the lock. */
  account_unlock: { link: string }
  /** R33: a sign-in from an unseen device; `notMeLink` ends all sessions and locks the account. */
  new_device: { time: Moment; ip: string; place?: string | undefined; browser: string; notMeLink: string; emergencyLink?: string | undefined }
  /** R34: sent to the channel in place before the change (the old address for email_changed). */
  security_notice: {
    change: SecurityChange
    time: Moment
    ip?: string | undefined
    detail?: string | undefined
    notMeLink?: string | undefined
    /** R19: a single-use link that locks down every workspace the user trades in (incident/). */
    emergencyLink?: string | undefined
  }
  /** Sent to the new address; the account keeps the old one until the link is opened. */
  email_change_confirm: { link: string; newEmail: string }
  /** R19: to every member of a workspace that was just locked down. */
  lockdown_started: {
    workspaceName: string
    time: Moment
    trigger: LockdownTrigger
    /** Who pressed it, as members know them (display name or email); absent for `system` and emergency links. */
    by?: string | undefined
    reason?: string | undefined
    orders: LockdownOrders
    emergencyLink?: string | undefined
  }
  /** R19: the unlock confirmation; the workspace opens only after this link and the cooling-off period. */
  unlock_requested: { workspaceName: string; time: Moment; ip?: string | undefined; confirmLink: string; coolingOffMinutes: number; emergencyLink?: string | undefined }
  /** R19: the workspace is open again; keys stay disabled until each is re-enabled. */
  unlock_completed: { workspaceName: string; time: Moment; emergencyLink?: string | undefined }
  /** An alert sent by email (the notification dispatcher); one email per alert, de-duplicated upstream. */
  alert_notification: {
    workspaceName: string
    rule: string
    severity: AlertSeverity
    title: string
    summary: string
    occurredAt: Moment
    emergencyLink?: string | undefined
  }
  /**
   * Teams (issue 10): an invitation to a workspace (the address may have no account yet; the link carries its
   * token in the fragment); news about a membership: the reader was removed, or someone joined (to owners);
   * and a four-eyes request (R42) waiting for the reader, an eligible approver.
   */
  team_notice:
    | { change: 'invited'; workspaceName: string; invitedBy: string; role: string; link: string; expiresAt: Moment }
    | { change: 'removed'; workspaceName: string; by: string; time: Moment }
    | { change: 'role_changed'; workspaceName: string; by: string; from: string; to: string; time: Moment }
    | { change: 'joined'; workspaceName: string; member: string; role: string; time: Moment }
    | { change: 'approval_requested'; workspaceName: string; requestedBy: string; summary: string; expiresAt: Moment }
}
export type EmailTemplateName = keyof EmailTemplateVars

/** A template name with its variables, as account flows hand it over. */
export type TemplatedEmail = { [K in EmailTemplateName]: { template: K; vars: EmailTemplateVars[K] } }[EmailTemplateName]

export type RenderedEmail = { subject: string; text: string }
export type RenderOptions = { antiPhishingCode: string | null | undefined }

type Content = { subject: string; lines: readonly string[] }

export const ANTI_PHISHING_PREFIX = 'Your Bulwark anti-phishing code:'
export const NO_ANTI_PHISHING_CODE = [
  'You have not set an anti-phishing code yet. Set one in Settings → Security:',
  'real Bulwark email will then always show it on this line.',
] as const
const FOOTER = [
  '-- ',
  'Sent by your Bulwark server. Bulwark never asks for your password, codes or keys by email;',
  'an email without your anti-phishing code at the top is not from Bulwark.',
] as const

const VALUE_MAX_CHARS = 1_000
const CODE_MAX_CHARS = 64
// C0/C1 controls (CR, LF, TAB …), line and paragraph separators, zero-width and bidi-override characters.
const unsafeChars = /[\p{Cc}\u2028\u2029\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu

/** One line of at most `max` characters: controls and separators become spaces, runs of spaces one. */
export const oneLine = (value: string, max = VALUE_MAX_CHARS): string => value.replace(unsafeChars, ' ').replace(/ {2,}/g, ' ').trim().slice(0, max)

const sanitizeVars = <T extends object>(vars: T): T =>
  Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? oneLine(v) : v])) as T

const formatMoment = (at: Moment): string => {
  const d = at instanceof Date ? at : new Date(at)
  if (Number.isNaN(d.getTime())) return oneLine(String(at))
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

const changeText: Record<SecurityChange, { subject: string; summary: string; isUserAction: boolean }> = {
  password_changed: { subject: 'Your Bulwark password was changed', summary: 'The password of your Bulwark account was changed.', isUserAction: true },
  email_changed: {
    subject: 'The email address of your Bulwark account was changed',
    summary: 'The email address of your Bulwark account was changed. Bulwark sends no further email to this address.',
    isUserAction: true,
  },
  totp_enabled: { subject: 'Authenticator app added to your Bulwark account', summary: 'An authenticator app (TOTP) was set up for your Bulwark account.', isUserAction: true },
  totp_disabled: { subject: 'Authenticator app removed from your Bulwark account', summary: 'The authenticator app (TOTP) of your Bulwark account was removed.', isUserAction: true },
  passkey_added: { subject: 'Passkey added to your Bulwark account', summary: 'A passkey was added to your Bulwark account.', isUserAction: true },
  passkey_removed: { subject: 'Passkey removed from your Bulwark account', summary: 'A passkey was removed from your Bulwark account.', isUserAction: true },
  recovery_codes_regenerated: {
    subject: 'New recovery codes for your Bulwark account',
    summary: 'New recovery codes were generated for your Bulwark account; the old ones no longer work.',
    isUserAction: true,
  },
  recovery_code_used: {
    subject: 'A recovery code was used on your Bulwark account',
    summary: 'A recovery code was used to sign in to your Bulwark account. Each code works once.',
    isUserAction: true,
  },
  api_token_created: { subject: 'New API token on your Bulwark account', summary: 'An API token was created for your Bulwark account.', isUserAction: true },
  anti_phishing_code_changed: {
    subject: 'Your Bulwark anti-phishing code was changed',
    summary: 'The anti-phishing code of your Bulwark account was changed. The code at the top of this email is the new one.',
    isUserAction: true,
  },
  account_locked: {
    subject: 'Your Bulwark account was locked',
    summary: 'Your Bulwark account was locked and all its sessions were ended. It stays locked until it is unlocked with the emailed link or by your operator.',
    isUserAction: false,
  },
  signin_after_failures: {
    subject: 'Sign-in to Bulwark after several failed attempts',
    summary: 'Someone signed in to your Bulwark account right after several failed attempts. If that was you mistyping, all is well.',
    isUserAction: false,
  },
  signup_attempt_existing: {
    subject: 'Sign-up attempt with your email address',
    summary: 'Someone tried to sign up to Bulwark with this email address. It already has an account, so nothing was created. If that was you, sign in or reset your password instead.',
    isUserAction: false,
  },
}

const notMe = (link: string | undefined): string[] =>
  link
    ? ["If this wasn't you, open this link: it ends all sessions and locks the account.", link]
    : ["If this wasn't you, sign in and end all other sessions in Settings → Security, then change your password, or ask your Bulwark operator to lock the account."]

/** R19: offered in every security email; the link opens a confirmation page, and only its button acts (mail scanners follow links). */
const emergency = (link: string | undefined): string[] =>
  link
    ? ['', 'If you think someone else is using your account or your exchange keys, this link locks down every workspace you trade in:', link, 'It opens a confirmation page first; it works once.']
    : []

const triggerText: Record<LockdownTrigger, string> = {
  web: 'from the web app',
  cli: 'with the bulwark command on the server',
  emergency_link: 'with the emergency link from a security email',
  system: 'automatically by Bulwark',
}

const ordersText: Record<LockdownOrders, string> = {
  cancel: 'Open orders are being cancelled.',
  cancel_and_close: 'Open orders are being cancelled and open futures positions closed at market.',
  leave: 'Open orders were left on the exchanges as they are.',
}

const severityText: Record<AlertSeverity, string> = { info: 'Info', warning: 'Warning', critical: 'CRITICAL' }

/** The closed set of templates: pure functions of already-sanitized variables. */
const templates: { [K in EmailTemplateName]: (v: EmailTemplateVars[K]) => Content } = {
  verify_email: ({ link }) => ({
    subject: 'Confirm your email address for Bulwark',
    lines: ['Confirm this email address for your Bulwark account by opening this link:', link, '', 'If you did not create a Bulwark account, ignore this email.'],
  }),
  password_reset: ({ link, expiresMinutes }) => ({
    subject: 'Reset your Bulwark password',
    lines: [
      'Someone asked to reset the password of your Bulwark account. To choose a new password, open this link:',
      link,
      '',
      `The link works once and expires in ${expiresMinutes} minutes.`,
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ],
  }),
  account_unlock: ({ link }) => ({
    subject: 'Unlock your Bulwark account',
    lines: [
      'Your Bulwark account was locked after too many failed sign-in attempts. To unlock it, open this link:',
      link,
      '',
      'If those attempts were not yours, someone may be guessing your password: unlock the account, then change your password.',
    ],
  }),
  new_device: ({ time, ip, place, browser, notMeLink, emergencyLink }) => ({
    subject: 'New sign-in to your Bulwark account',
    lines: [
      'Your Bulwark account was signed in to from a device or network not seen before.',
      '',
      `Time: ${formatMoment(time)}`,
      `IP address: ${ip}`,
      ...(place ? [`Approximate location: ${place}`] : []),
      `Browser: ${browser}`,
      '',
      'If this was you, there is nothing to do.',
      ...notMe(notMeLink),
      ...emergency(emergencyLink),
    ],
  }),
  security_notice: ({ change, time, ip, detail, notMeLink, emergencyLink }) => {
    const { subject, summary, isUserAction } = changeText[change]
    return {
      subject,
      lines: [
        summary,
        '',
        `Time: ${formatMoment(time)}`,
        ...(ip ? [`IP address: ${ip}`] : []),
        ...(detail ? [`Detail: ${detail}`] : []),
        '',
        ...(isUserAction ? ['If you made this change, there is nothing to do.', ...notMe(notMeLink)] : notMeLink ? notMe(notMeLink) : []),
        ...emergency(emergencyLink),
      ],
    }
  },
  email_change_confirm: ({ link, newEmail }) => ({
    subject: 'Confirm your new email address for Bulwark',
    lines: [
      `To make ${newEmail} the email address of your Bulwark account, open this link:`,
      link,
      '',
      'Until then Bulwark keeps using the current address. If you did not ask for this, ignore this email.',
    ],
  }),
  lockdown_started: ({ workspaceName, time, trigger, by, reason, orders, emergencyLink }) => ({
    subject: `Workspace "${workspaceName}" was locked down`,
    lines: [
      `Your Bulwark workspace "${workspaceName}" was locked down ${triggerText[trigger]}${by ? ` by ${by}` : ''}.`,
      '',
      `Time: ${formatMoment(time)}`,
      ...(reason ? [`Reason given: ${reason}`] : []),
      '',
      'Every exchange key of the workspace was disabled in the signer, every bot was stopped and every session of its members was ended.',
      ordersText[orders],
      '',
      'The workspace stays locked until a member unlocks it with their password, a second factor and an emailed confirmation.',
      'Keys then come back one by one, each after a fresh verification at the exchange.',
      'If you did not expect this, check your exchange accounts directly at the exchange.',
      ...emergency(emergencyLink),
    ],
  }),
  unlock_requested: ({ workspaceName, time, ip, confirmLink, coolingOffMinutes, emergencyLink }) => ({
    subject: `Confirm unlocking workspace "${workspaceName}"`,
    lines: [
      `Someone asked to unlock your locked-down Bulwark workspace "${workspaceName}" with your password and a second factor.`,
      '',
      `Time: ${formatMoment(time)}`,
      ...(ip ? [`IP address: ${ip}`] : []),
      '',
      'To confirm, open this link:',
      confirmLink,
      '',
      coolingOffMinutes > 0
        ? `The workspace opens ${coolingOffMinutes} minutes after you confirm. Exchange keys stay disabled until each is re-enabled.`
        : 'The workspace opens when you confirm. Exchange keys stay disabled until each is re-enabled.',
      'If this was not you, do not open the link: someone knows your password and second factor. Change your password now.',
      ...emergency(emergencyLink),
    ],
  }),
  unlock_completed: ({ workspaceName, time, emergencyLink }) => ({
    subject: `Workspace "${workspaceName}" was unlocked`,
    lines: [
      `Your Bulwark workspace "${workspaceName}" is open again.`,
      '',
      `Time: ${formatMoment(time)}`,
      '',
      'Its exchange keys stay disabled and its bots stay stopped until a member re-enables each key and starts each bot.',
      ...emergency(emergencyLink),
    ],
  }),
  alert_notification: ({ workspaceName, rule, severity, title, summary, occurredAt, emergencyLink }) => ({
    subject: `[${severityText[severity]}] ${title} (${workspaceName})`,
    lines: [
      `Bulwark raised an alert in workspace "${workspaceName}".`,
      '',
      `Alert: ${title}`,
      `Severity: ${severityText[severity]}`,
      `Rule: ${rule}`,
      `Time: ${formatMoment(occurredAt)}`,
      '',
      summary,
      '',
      'See the alerts inbox of the workspace for details. Notification settings are under Settings → Notifications.',
      ...emergency(emergencyLink),
    ],
  }),
  team_notice: (v) => {
    switch (v.change) {
      case 'invited':
        return {
          subject: `${v.invitedBy} invited you to "${v.workspaceName}" on Bulwark`,
          lines: [
            `${v.invitedBy} invited you to join the Bulwark workspace "${v.workspaceName}" as ${v.role}.`,
            '',
            'To accept, open this link and sign in (or create an account) with this email address:',
            v.link,
            '',
            `The link works once and expires ${formatMoment(v.expiresAt)}.`,
            'If you do not know this person or did not expect this, ignore this email: nothing happens without you.',
          ],
        }
      case 'removed':
        return {
          subject: `You were removed from "${v.workspaceName}" on Bulwark`,
          lines: [
            `${v.by} removed you from the Bulwark workspace "${v.workspaceName}".`,
            '',
            `Time: ${formatMoment(v.time)}`,
            '',
            'Your access to it, your API tokens for it and your pending requests in it have ended. Your own account and other workspaces are unchanged.',
            'If you think this is a mistake, ask an owner of the workspace.',
          ],
        }
      case 'role_changed':
        return {
          subject: `Your role in "${v.workspaceName}" on Bulwark is now ${v.to}`,
          lines: [
            `${v.by} changed your role in the Bulwark workspace "${v.workspaceName}" from ${v.from} to ${v.to}.`,
            '',
            `Time: ${formatMoment(v.time)}`,
            '',
            'Your pending requests in it were cancelled. Your own account and other workspaces are unchanged.',
            'If you think this is a mistake, ask an owner of the workspace.',
          ],
        }
      case 'joined':
        return {
          subject: `${v.member} joined "${v.workspaceName}" on Bulwark`,
          lines: [
            `${v.member} accepted an invitation and joined your Bulwark workspace "${v.workspaceName}" as ${v.role}.`,
            '',
            `Time: ${formatMoment(v.time)}`,
            '',
            'Members and their roles are on the Team page of the workspace. If you did not expect this, remove them there.',
          ],
        }
      case 'approval_requested':
        return {
          subject: `A change in "${v.workspaceName}" waits for your approval`,
          lines: [
            `${v.requestedBy} asked for a change in the Bulwark workspace "${v.workspaceName}" that needs a second person to approve it:`,
            '',
            v.summary,
            '',
            `Open Approvals in the workspace to approve or reject it. It expires unapplied ${formatMoment(v.expiresAt)}.`,
            'If you do not expect this change, reject it, and ask the person who asked for it.',
          ],
        }
    }
  },
}

/** The template names, for tests and for callers that validate a name. */
export const emailTemplateNames = Object.keys(templates) as EmailTemplateName[]

/** The only place that turns content into an email: the anti-phishing line first, the footer last (R35). */
const frame = (content: Content, { antiPhishingCode }: RenderOptions): RenderedEmail => {
  const code = antiPhishingCode ? oneLine(antiPhishingCode, CODE_MAX_CHARS) : ''
  const header = code ? [`${ANTI_PHISHING_PREFIX} ${code}`] : [...NO_ANTI_PHISHING_CODE]
  return { subject: oneLine(content.subject), text: [...header, '', ...content.lines, '', ...FOOTER].join('\n') }
}

/** Renders one template with the recipient's anti-phishing code; each template name requires its variables. */
export const renderEmail = <K extends EmailTemplateName>(template: K, vars: EmailTemplateVars[K], opts: RenderOptions): RenderedEmail =>
  renderTemplated({ template, vars } as TemplatedEmail, opts)

/** `renderEmail` for a template name and variables that travel together (what account flows hand over). */
export const renderTemplated = (mail: TemplatedEmail, opts: RenderOptions): RenderedEmail => {
  const render = templates[mail.template] as (v: TemplatedEmail['vars']) => Content
  return frame(render(sanitizeVars(mail.vars)), opts)
}
