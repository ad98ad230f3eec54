import type { DbOrTx } from '../db/index.js'

/**
 * What account flows hand to the mail system: a template name and its variables, written in the caller's
 * transaction so an email exists exactly when the change it reports does. The outbox (monitoring/)
 * implements it: it renders with the recipient's anti-phishing code and queues the message.
 */
export type AccountMail =
  | { template: 'verify_email'; vars: { link: string } }
  | { template: 'password_reset'; vars: { link: string; expiresMinutes: number } }
  | { template: 'account_unlock'; vars: { link: string } }
  | { template: 'new_device'; vars: { time: string; ip: string; place?: string | undefined; browser: string; notMeLink: string } }
  | { template: 'email_change_confirm'; vars: { link: string; newEmail: string } }
  | { template: 'security_notice'; vars: { change: SecurityChange; time: string; ip?: string | undefined; detail?: string | undefined; notMeLink?: string | undefined } }

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

