import { PageHeading } from '../../components/page-heading'
import { AntiPhishingSection, EmailSection, PasswordSection } from './account-sections'
import { DevicesSection } from './devices-section'
import { PasskeysSection } from './passkeys-section'
import { RecoveryCodesSection } from './recovery-codes-section'
import { SessionsSection } from './sessions-section'
import { TwoFactorSection } from './two-factor-section'

/**
 * Everything that protects the account, sign-in factors first. Changes that need a fresh
 * confirmation open the step-up dialog on their own (see lib/api-client.ts).
 */
export const SecurityPage = () => (
  <>
    <div className="page-intro">
      <PageHeading id="security-title" title="Security" className="page-title" />
      <p className="card__intro">Sign-in factors, recovery codes, sessions and devices, and your account details.</p>
    </div>
    <PasskeysSection />
    <TwoFactorSection />
    <RecoveryCodesSection />
    <SessionsSection />
    <DevicesSection />
    <AntiPhishingSection />
    <PasswordSection />
    <EmailSection />
  </>
)
