import { useState, type FormEvent } from 'react'
import { disableExchangeAccount } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { TextField } from '../../components/text-field'
import type { ExchangeAccount } from '../../lib/exchange-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { fieldErrorOf } from '../../lib/api'

const MAX_REASON = 200

/** Disabling only narrows, so it applies at once; enabling again is a widening (passkey or wait). */
export const DisableForm = ({ account, workspaceId, onCancel, onDisabled }: { account: ExchangeAccount; workspaceId: string; onCancel: () => void; onDisabled: () => void }) => {
  const { client } = useAppSession()
  const [reason, setReason] = useState('')
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    void action.run(async () => {
      await disableExchangeAccount(client, workspaceId, account.id, reason.trim())
      onDisabled()
    })
  }

  return (
    <form className="form form--inline" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Disable ${account.label}`}>
      <TextField
        id={`disable-${account.id}-reason`}
        label="Reason for disabling"
        help="Optional; shown on the account and in the audit log. Turning the key back on later needs a passkey confirmation or a 24-hour wait."
        maxLength={MAX_REASON}
        autoComplete="off"
        value={reason}
        error={fieldErrorOf(action.error, 'reason')}
        autoFocus
        onChange={(event) => setReason(event.target.value)}
      />
      <ActionError action={action} fields={{ reason: 'Reason for disabling' }} />
      <div className="form__actions">
        <button type="submit" className="button button--danger" disabled={action.isBusy}>
          {action.isBusy ? 'Disabling…' : 'Disable key'}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
