import { useState } from 'react'
import { regenerateRecoveryCodes } from '../../api/account/mutations'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { Notice } from '../../components/notice'
import { RecoveryCodesPanel } from '../../components/recovery-codes-panel'
import { plural } from '../../lib/account-format'
import { RECOVERY_CODES_PER_SET } from '../../lib/recovery-codes'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { SectionCard } from './section-card'

const LOW_CODES = 3

/** How many recovery codes are left, and a new set (which replaces the old one). */
export const RecoveryCodesSection = () => {
  const me = useMe()
  const { client, refreshMe } = useAppSession()
  const [codes, setCodes] = useState<string[] | undefined>(undefined)
  const action = useAction()
  const { totp, passkeys, recoveryCodesLeft } = me.security
  const hasSecondFactor = totp || passkeys > 0

  const regenerate = () =>
    void action.run(async () => {
      setCodes(await regenerateRecoveryCodes(client))
      await refreshMe()
    })

  return (
    <SectionCard id="recovery-codes" title="Recovery codes" intro="One-time codes that sign you in when your authenticator app or passkeys are out of reach.">
      {!hasSecondFactor ? (
        <p>You get recovery codes when you add your first passkey or authenticator app.</p>
      ) : codes !== undefined ? (
        <RecoveryCodesPanel codes={codes} account={me.user.email} onDone={() => setCodes(undefined)} />
      ) : (
        <>
          <p>
            {plural(recoveryCodesLeft, 'unused code', 'unused codes')} of {RECOVERY_CODES_PER_SET} left.
          </p>
          {recoveryCodesLeft <= LOW_CODES ? (
            <Notice tone="warning">Few codes are left. Generate a new set and keep it somewhere safe.</Notice>
          ) : null}
          <ActionError action={action} />
          <div className="form__actions">
            <ConfirmAction
              label="Generate new codes"
              question="Generate a new set? Every code you have now stops working."
              confirmLabel="Yes, generate new codes"
              isBusy={action.isBusy}
              onConfirm={regenerate}
              tone="secondary"
            />
          </div>
        </>
      )}
    </SectionCard>
  )
}
