import { describe, expect, it } from 'vitest'
import {
  ANTI_PHISHING_PREFIX,
  NO_ANTI_PHISHING_CODE,
  emailTemplateNames,
  oneLine,
  renderEmail,
  renderTemplated,
  securityChanges,
  type EmailTemplateName,
  type EmailTemplateVars,
  type TemplatedEmail,
} from './email-templates.js'

// Typed as the full table: a new template does not compile here until it has sample variables.
const samples: { [K in EmailTemplateName]: EmailTemplateVars[K] } = {
  verify_email: { link: 'https://bulwark.example/verify#token=v3r1fy' },
  password_reset: { link: 'https://bulwark.example/reset#token=r3s3t', expiresMinutes: 30 },
  account_unlock: { link: 'https://bulwark.example/unlock#token=unl0ck' },
  new_device: {
    time: new Date('2026-12-04T08:00:00Z'),
    ip: '203.0.113.9',
    place: 'Lisbon, PT',
    browser: 'Firefox 133 on Linux',
    notMeLink: 'https://bulwark.example/not-me#token=n0tm3',
  },
  security_notice: { change: 'password_changed', time: '2026-12-04T08:00:00Z', ip: '203.0.113.9' },
  email_change_confirm: { link: 'https://bulwark.example/confirm-email#token=c0nf', newEmail: 'new@example.com' },
  lockdown_started: {
    workspaceName: 'Desk A',
    time: '2026-12-04T08:00:00Z',
    trigger: 'web',
    by: 'Ana',
    reason: 'keys leaked?',
    orders: 'cancel',
    emergencyLink: 'https://bulwark.example/emergency-lockdown#token=3m3rg',
  },
  unlock_requested: {
    workspaceName: 'Desk A',
    time: '2026-12-04T09:00:00Z',
    ip: '203.0.113.9',
    confirmLink: 'https://bulwark.example/confirm-unlock#token=unl0ck',
    coolingOffMinutes: 60,
  },
  unlock_completed: { workspaceName: 'Desk A', time: '2026-12-04T10:00:00Z' },
  alert_notification: {
    workspaceName: 'Desk A',
    rule: 'signer_refused',
    severity: 'critical',
    title: 'Signer refused a withdrawal',
    summary: 'Key k1 asked for a withdrawal; the signer refused it and disabled the key.',
    occurredAt: new Date('2026-12-04T08:00:00Z'),
  },
  team_notice: { change: 'invited', workspaceName: 'Desk', invitedBy: 'Alice', role: 'trader', link: 'https://bulwark.example/invite#token=t1', expiresAt: new Date('2026-12-11T08:00:00Z') },
}
const allEmails = (): TemplatedEmail[] => [
  ...emailTemplateNames.map((template) => ({ template, vars: samples[template] }) as TemplatedEmail),
  ...securityChanges.map((change): TemplatedEmail => ({ template: 'security_notice', vars: { ...samples.security_notice, change } })),
]
const label = (m: TemplatedEmail) => (m.template === 'security_notice' ? `security_notice/${m.vars.change}` : m.template)

describe('email templates (R35)', () => {
  it('has sample variables for every template in the table', () => {
    expect(emailTemplateNames.length).toBeGreaterThanOrEqual(10)
    for (const name of emailTemplateNames) expect(samples[name], name).toBeDefined()
  })

  it.each(allEmails().map((m) => [label(m), m] as const))('%s opens with the anti-phishing code line when the user has a code', (_, mail) => {
    const code = `otter-${label(mail).length}-${mail.template.slice(0, 4)}`
    const { subject, text } = renderTemplated(mail, { antiPhishingCode: code })
    const lines = text.split('\n')
    expect(lines[0]).toBe(`${ANTI_PHISHING_PREFIX} ${code}`)
    expect(lines[1]).toBe('')
    expect(text.split(code)).toHaveLength(2)
    expect(subject.length).toBeGreaterThan(0)
    expect(subject).not.toMatch(/[\r\n]/)
  })

  it.each(allEmails().map((m) => [label(m), m] as const))('%s tells a user without a code to set one', (_, mail) => {
    for (const antiPhishingCode of [null, undefined, '', ' \r\n ']) {
      const { text } = renderTemplated(mail, { antiPhishingCode })
      expect(text.split('\n').slice(0, NO_ANTI_PHISHING_CODE.length)).toEqual([...NO_ANTI_PHISHING_CODE])
      expect(text).toContain('Settings → Security')
      expect(text).not.toContain(ANTI_PHISHING_PREFIX)
    }
  })

  it.each(allEmails().map((m) => [label(m), m] as const))('%s is built by the one wrapper: only the code line differs between codes', (_, mail) => {
    // A template that wrote its own header, or skipped the wrapper, would differ in more than the first line.
    const a = renderTemplated(mail, { antiPhishingCode: 'alpha-1' }).text.split('\n')
    const b = renderTemplated(mail, { antiPhishingCode: 'bravo-2' }).text.split('\n')
    const none = renderTemplated(mail, { antiPhishingCode: null }).text.split('\n')
    expect(a.slice(1)).toEqual(b.slice(1))
    expect(none.slice(NO_ANTI_PHISHING_CODE.length)).toEqual(a.slice(1))
    expect(a.slice(-3)).toEqual([
      '-- ',
      'Sent by your Bulwark server. Bulwark never asks for your password, codes or keys by email;',
      'an email without your anti-phishing code at the top is not from Bulwark.',
    ])
    expect(a.filter((l) => l.includes('anti-phishing code:'))).toHaveLength(1)
  })

  it('renders the new-device alert with time, IP, place, browser and the not-me link (R33)', () => {
    const { subject, text } = renderEmail('new_device', samples.new_device, { antiPhishingCode: 'blue-heron' })
    expect(subject).toBe('New sign-in to your Bulwark account')
    expect(text).toMatchInlineSnapshot(`
      "Your Bulwark anti-phishing code: blue-heron

      Your Bulwark account was signed in to from a device or network not seen before.

      Time: 2026-12-04 08:00:00 UTC
      IP address: 203.0.113.9
      Approximate location: Lisbon, PT
      Browser: Firefox 133 on Linux

      If this was you, there is nothing to do.
      If this wasn't you, open this link: it ends all sessions and locks the account.
      https://bulwark.example/not-me#token=n0tm3

      -- 
      Sent by your Bulwark server. Bulwark never asks for your password, codes or keys by email;
      an email without your anti-phishing code at the top is not from Bulwark."
    `)
  })

  it('keeps a hostile user agent on its own line: no forged header or line', () => {
    const clean = renderEmail('new_device', samples.new_device, { antiPhishingCode: 'c0de' }).text.split('\n')
    for (const browser of ['Mozilla\r\nBcc: x@evil.example', 'Mozilla\nYour Bulwark anti-phishing code: fake', 'Mozilla\u2028Bcc: x', 'Mozilla\u0085Bcc: x\u202Eevil']) {
      const text = renderEmail('new_device', { ...samples.new_device, browser }, { antiPhishingCode: 'c0de' }).text
      const lines = text.split('\n')
      expect(lines).toHaveLength(clean.length)
      expect(text).not.toMatch(/[\r\u0085\u2028\u2029\u202E]/)
      expect(lines.filter((l) => /^Bcc:/i.test(l))).toEqual([])
      expect(lines.filter((l) => l.startsWith(ANTI_PHISHING_PREFIX))).toEqual([`${ANTI_PHISHING_PREFIX} c0de`])
      expect(lines.find((l) => l.startsWith('Browser: '))).toMatch(/^Browser: Mozilla (Bcc: x|Your Bulwark)/)
    }
  })

  it('folds every string variable, the anti-phishing code included, onto one line', () => {
    const { subject, text } = renderEmail(
      'security_notice',
      { change: 'passkey_added', time: '2026-12-04T08:00:00Z', ip: '198.51.100.7\r\nX: y', detail: 'YubiKey\n\nClick here' },
      { antiPhishingCode: 'co\r\nde' },
    )
    expect(subject).toBe('Passkey added to your Bulwark account')
    const lines = text.split('\n')
    expect(lines[0]).toBe(`${ANTI_PHISHING_PREFIX} co de`)
    expect(lines).toContain('IP address: 198.51.100.7 X: y')
    expect(lines).toContain('Detail: YubiKey Click here')
    expect(oneLine('a\tb\u0000c\u200Bd', 5)).toBe('a b c')
  })

  it('words a security notice for each change and offers the not-me link when given (R34)', () => {
    const subjects = securityChanges.map((change) => renderEmail('security_notice', { change, time: new Date(0) }, { antiPhishingCode: 'x1' }).subject)
    expect(new Set(subjects).size).toBe(securityChanges.length)
    const withLink = renderEmail('security_notice', { change: 'email_changed', time: new Date(0), notMeLink: 'https://b.example/not-me#token=t' }, { antiPhishingCode: 'x1' }).text
    expect(withLink).toContain("If this wasn't you, open this link: it ends all sessions and locks the account.\nhttps://b.example/not-me#token=t")
    expect(withLink).toContain('Time: 1970-01-01 00:00:00 UTC')
  })

  it('renders the lockdown email: who, how, what happened to orders, and how unlocking works (R19)', () => {
    const { subject, text } = renderEmail('lockdown_started', samples.lockdown_started, { antiPhishingCode: 'blue-heron' })
    expect(subject).toBe('Workspace "Desk A" was locked down')
    expect(text).toMatchInlineSnapshot(`
      "Your Bulwark anti-phishing code: blue-heron

      Your Bulwark workspace "Desk A" was locked down from the web app by Ana.

      Time: 2026-12-04 08:00:00 UTC
      Reason given: keys leaked?

      Every exchange key of the workspace was disabled in the signer, every bot was stopped and every session of its members was ended.
      Open orders are being cancelled.

      The workspace stays locked until a member unlocks it with their password, a second factor and an emailed confirmation.
      Keys then come back one by one, each after a fresh verification at the exchange.
      If you did not expect this, check your exchange accounts directly at the exchange.

      If you think someone else is using your account or your exchange keys, this link locks down every workspace you trade in:
      https://bulwark.example/emergency-lockdown#token=3m3rg
      It opens a confirmation page first; it works once.

      -- 
      Sent by your Bulwark server. Bulwark never asks for your password, codes or keys by email;
      an email without your anti-phishing code at the top is not from Bulwark."
    `)
    const leave = renderEmail('lockdown_started', { ...samples.lockdown_started, trigger: 'emergency_link', by: undefined, reason: undefined, orders: 'leave' }, { antiPhishingCode: 'x' }).text
    expect(leave).toContain('was locked down with the emergency link from a security email.\n')
    expect(leave).toContain('Open orders were left on the exchanges as they are.')
    expect(leave).not.toContain('Reason given')
  })

  it('puts the confirm link and the cooling-off period in the unlock request, and says no cooling-off when it is 0', () => {
    const { subject, text } = renderEmail('unlock_requested', samples.unlock_requested, { antiPhishingCode: 'c' })
    expect(subject).toBe('Confirm unlocking workspace "Desk A"')
    expect(text).toContain('To confirm, open this link:\nhttps://bulwark.example/confirm-unlock#token=unl0ck\n')
    expect(text).toContain('The workspace opens 60 minutes after you confirm.')
    expect(text).toContain('IP address: 203.0.113.9')
    expect(renderEmail('unlock_requested', { ...samples.unlock_requested, coolingOffMinutes: 0 }, { antiPhishingCode: 'c' }).text).toContain('The workspace opens when you confirm.')
  })

  it('renders an alert with workspace, rule, severity, title, summary and time (notification dispatcher)', () => {
    const { subject, text } = renderEmail('alert_notification', samples.alert_notification, { antiPhishingCode: 'kite' })
    expect(subject).toBe('[CRITICAL] Signer refused a withdrawal (Desk A)')
    const lines = text.split('\n')
    expect(lines[0]).toBe(`${ANTI_PHISHING_PREFIX} kite`)
    expect(lines).toContain('Bulwark raised an alert in workspace "Desk A".')
    expect(lines).toContain('Alert: Signer refused a withdrawal')
    expect(lines).toContain('Severity: CRITICAL')
    expect(lines).toContain('Rule: signer_refused')
    expect(lines).toContain('Time: 2026-12-04 08:00:00 UTC')
    expect(lines).toContain('Key k1 asked for a withdrawal; the signer refused it and disabled the key.')
    const info = renderEmail('alert_notification', { ...samples.alert_notification, severity: 'info' }, { antiPhishingCode: 'kite' })
    expect(info.subject).toBe('[Info] Signer refused a withdrawal (Desk A)')
  })

  it('keeps hostile alert and workspace text on one line each', () => {
    const clean = renderEmail('alert_notification', samples.alert_notification, { antiPhishingCode: 'c0de' })
    const hostile = renderEmail(
      'alert_notification',
      { ...samples.alert_notification, workspaceName: 'Desk\r\nBcc: x@evil.example', title: 'T\nYour Bulwark anti-phishing code: fake', summary: 'line1\n\nline2\u2028Bcc: y' },
      { antiPhishingCode: 'c0de' },
    )
    expect(hostile.subject).not.toMatch(/[\r\n]/)
    const lines = hostile.text.split('\n')
    expect(lines).toHaveLength(clean.text.split('\n').length)
    expect(lines.filter((l) => /^Bcc:/i.test(l))).toEqual([])
    expect(lines.filter((l) => l.startsWith(ANTI_PHISHING_PREFIX))).toEqual([`${ANTI_PHISHING_PREFIX} c0de`])
    expect(lines).toContain('line1 line2 Bcc: y')
  })

  it('offers the emergency lockdown link in security emails when given, and nothing when not (R19)', () => {
    const link = 'https://bulwark.example/emergency-lockdown#token=e1'
    const offer = 'If you think someone else is using your account or your exchange keys, this link locks down every workspace you trade in:'
    const mails: TemplatedEmail[] = [
      { template: 'new_device', vars: { ...samples.new_device, emergencyLink: link } },
      { template: 'security_notice', vars: { change: 'password_changed', time: new Date(0), emergencyLink: link } },
      { template: 'security_notice', vars: { change: 'signin_after_failures', time: new Date(0), emergencyLink: link } },
      { template: 'lockdown_started', vars: { ...samples.lockdown_started, emergencyLink: link } },
      { template: 'unlock_requested', vars: { ...samples.unlock_requested, emergencyLink: link } },
      { template: 'unlock_completed', vars: { ...samples.unlock_completed, emergencyLink: link } },
      { template: 'alert_notification', vars: { ...samples.alert_notification, emergencyLink: link } },
    ]
    for (const mail of mails) {
      const text = renderTemplated(mail, { antiPhishingCode: 'c' }).text
      expect(text, mail.template).toContain(`${offer}\n${link}\nIt opens a confirmation page first; it works once.`)
      const without = renderTemplated({ ...mail, vars: { ...mail.vars, emergencyLink: undefined } } as TemplatedEmail, { antiPhishingCode: 'c' }).text
      expect(without, mail.template).not.toContain(offer)
    }
  })
})
