import { useEffect, useRef } from 'react'
import { stepUp, stepUpPasskeyOptions } from '../api/auth/mutations'
import type { SecuritySummary } from '../lib/account-parsers'
import { canUsePasskeys, signWithPasskey } from '../lib/passkey'
import { useAppSession } from '../lib/session-context'
import { stepUpMethods } from '../lib/step-up'
import { useAction } from '../lib/use-action'
import { FactorForm, type FactorInput } from './factor-form'

/** A failed step-up proof is FORBIDDEN (not UNAUTHENTICATED, which would read as "signed out"); a reused code is OTP_REPLAY. */
const wrongProofCodes = ['FORBIDDEN', 'OTP_REPLAY'] as const

type Props = {
  security: SecuritySummary
  onConfirmed: () => void
  onCancel: () => void
}

/**
 * "Confirm it's you": a modal dialog opened by the API client when a change needs a fresh step-up.
 * The native <dialog> traps focus, closes on Escape (= cancel) and hands focus back on close.
 * Mounted only while a request waits, so every opening starts empty.
 */
export const StepUpDialog = ({ security, onConfirmed, onCancel }: Props) => {
  const { client, refreshMe } = useAppSession()
  const dialogRef = useRef<HTMLDialogElement>(null)
  const action = useAction()
  const methods = stepUpMethods(security, canUsePasskeys())

  useEffect(() => {
    const dialog = dialogRef.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])

  const confirm = (input: FactorInput) =>
    void action
      .run(async () => {
        if (input.method === 'passkey') await stepUp(client, { passkey: await signWithPasskey(await stepUpPasskeyOptions(client)) })
        else if (input.method === 'totp') await stepUp(client, { totp: input.code })
        else if (input.method === 'recovery_code') {
          await stepUp(client, { recoveryCode: input.code })
          await refreshMe() // one code fewer
        } else await stepUp(client, { password: input.password })
      })
      .then((isConfirmed) => {
        if (isConfirmed) onConfirmed()
      })

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby="step-up-title"
      aria-describedby="step-up-intro"
      onCancel={(event) => {
        event.preventDefault()
        onCancel()
      }}
    >
      <h2 id="step-up-title" className="card__title">
        Confirm it's you
      </h2>
      <p id="step-up-intro" className="card__intro">
        This change needs a fresh confirmation. After it, you will not be asked again for 5 minutes.
      </p>
      <FactorForm
        idPrefix="step-up"
        methods={methods}
        submitLabel={action.isBusy ? 'Confirming…' : 'Confirm'}
        isBusy={action.isBusy}
        onSubmit={confirm}
        action={action}
        wrongProofCodes={wrongProofCodes}
        actions={
          <button type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
        }
      />
    </dialog>
  )
}
