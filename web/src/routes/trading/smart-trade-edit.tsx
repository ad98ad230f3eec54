import { useId, useState, type FormEvent } from 'react'
import type { SmartTradeConfig } from '../../api/trading/schemas'
import { editSmartTrade } from '../../api/trading/mutations'
import type { BotView } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { ExitsFields } from './exits-fields'
import { useFieldRefs } from './field-refs'
import type { FieldErrors } from './form-errors'
import { editBodyFrom, exitsDraftFrom, exitsFieldOrder, type ExitsDraft } from './smart-trade-draft'

type Props = { workspaceId: string; bot: BotView; config: SmartTradeConfig; onSaved: (bot: BotView) => void; onCancel: () => void }

/**
 * New targets, stop or timeout for a running trade, starting from what it has now. Entry and amount
 * are fixed once sent. The new exits are checked with the rest of the trade (shares add up to 100).
 */
export const SmartTradeEdit = ({ workspaceId, bot, config, onSaved, onCancel }: Props) => {
  const { client } = useAppSession()
  const [draft, setDraft] = useState<ExitsDraft>(() => exitsDraftFrom(config))
  const [errors, setErrors] = useState<FieldErrors>({})
  const action = useAction()
  const { register, focusFirstAfterRender } = useFieldRefs()
  const idPrefix = useId()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    action.clearError()
    const checked = editBodyFrom(config, draft)
    if (!checked.ok) {
      setErrors(checked.errors)
      focusFirstAfterRender(checked.errors, exitsFieldOrder(draft.targets.length))
      return
    }
    setErrors({})
    void action.run(async () => onSaved(await editSmartTrade(client, workspaceId, bot.id, checked.body)))
  }

  return (
    <form className="form trading-form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Edit the exits of ${config.symbol}`}>
      <ExitsFields idPrefix={idPrefix} draft={draft} errors={errors} onChange={(patch) => setDraft((previous) => ({ ...previous, ...patch }))} register={register} />
      {errors.form === undefined ? null : (
        <div className="notice notice--error" role="alert" tabIndex={-1} ref={register('form')}>
          <p className="notice__message">{errors.form}</p>
        </div>
      )}
      <ActionError action={action} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Saving…' : 'Save targets and stop'}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
