import type { DbOrTx } from '../db/index.js'
import type { AccountTokens } from './account-tokens.js'
import { securityChanges } from '../monitoring/index.js'

/**
 * What account flows hand to the mail system: a template name and its variables, written in the caller's
 * transaction so an email exists exactly when the change it reports does. The outbox (monitoring/)
 * implements it: it renders with the recipient's anti-phishing code and queues the message.
 */
export type AccountMail =
  | { template: 'verify_email'; vars: { link: string } }
  | { template: 'password_reset'; vars: { link: string; expiresMinutes: number } }
  | { template: 'account_unlock'; vars: { link: string } }
  | { template: 'new_device'; vars: { time: string; ip: string; place?: string | undefined; browser: string; notMeLink: string; emergencyLink?: string | undefined } }
  | { template: 'email_change_confirm'; vars: { link: string; newEmail: string } }
  | {
      template: 'security_notice'
      vars: { change: SecurityChange; time: string; ip?: string | undefined; detail?: string | undefined; notMeLink?: string | undefined; emergencyLink?: string | undefined }
    }

export type SecurityChange =
  | 'password_changed'
  | 'email_changed'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'passkey_added'
  | 'passkey_removed'
  | 'recovery_codes_regenerated'
  | 'recovery_code_used'
  | 'api_token_created'
  | 'anti_phishing_code_changed'
  | 'account_locked'
  | 'signup_attempt_existing'
  | 'signin_after_failures'

export type AccountMailer = {
  sendIn: (tx: DbOrTx, to: { userId: string; address: string }, mail: AccountMail) => Promise<void>
}


/**
 * The security emails that offer the emergency lockdown link (R19): a sign-in from a new device and every
 * notice of a change to credentials, factors or access. Not the sign-up attempt on an existing address
 * (nothing happened to the account) and not the links a user asked for (verify, reset, unlock).
 */
const emergencyChanges: ReadonlySet<SecurityChange> = new Set(securityChanges.filter((c) => c !== 'signup_attempt_existing'))

export const offersEmergencyLink = (mail: AccountMail): boolean =>
  mail.template === 'new_device' || (mail.template === 'security_notice' && emergencyChanges.has(mail.vars.change))

/**
 * A mailer that adds a single-use emergency lockdown link (incident/) to every security email, issued in the
 * same transaction as the email: the link exists exactly when the email does. The token rides in the URL
 * fragment and is stored only as its hash. A newer security email replaces the link of an older one (one live
 * emergency link per user), so the newest email always carries the working one.
 */
export const withEmergencyLinks = (mailer: AccountMailer, tokens: Pick<AccountTokens, 'issueIn'>): AccountMailer => ({
  sendIn: async (tx, to, mail) => {
    if (!offersEmergencyLink(mail) || ('emergencyLink' in mail.vars && mail.vars.emergencyLink)) return mailer.sendIn(tx, to, mail)
    const emergencyLink = await tokens.issueIn(tx, to.userId, 'emergency_lockdown')
    return mailer.sendIn(tx, to, { ...mail, vars: { ...mail.vars, emergencyLink } } as AccountMail)
  },
})
