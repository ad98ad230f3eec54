import { useRef, useState, type FormEvent } from 'react'
import { setExchangeLimits } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import type { ExchangeAccount, KeyLimits, WideningOperation } from '../../lib/exchange-parsers'
import {
  MAX_ORDERS_PER_MINUTE,
  MAX_SYMBOLS,
  MIN_ORDERS_PER_MINUTE,
  limitChanges,
  limitsFieldOrder,
  limitsToFields,
  validateLimits,
  type LimitsErrors,
  type LimitsFieldName,
  type LimitsFields,
} from '../../lib/key-limits'
import { fieldErrorOf } from '../../lib/api'
import { useAppSession } from '../../lib/session-context'
import type { Approval } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'

type Props = {
  account: ExchangeAccount
  current: KeyLimits
  workspaceId: string
  onCancel: () => void
  onApplied: () => void
  onPending: (operation: WideningOperation) => void
  /** Four-eyes (R42): the raise waits for a second owner or admin. */
  onWaiting: (approval: Approval) => void
}

/**
 * The signer's limits for one key. Lowering applies at once; raising is proposed and waits for a
 * passkey confirmation or the signer's delay, because a stolen session (or a TOTP code, which the
 * signer cannot check itself) must not be able to widen what a key may do quietly.
 */
/** The request's names for the fields → their labels here, for a server refusal about one of them. */
const limitsFieldLabels = {
  'limits.symbols': 'Markets',
  'limits.maxOrderNotional': 'Largest order',
  'limits.max24hNotional': 'Largest total per 24 hours',
  'limits.maxOrdersPerMinute': 'Orders per minute',
  'limits.priceBandPct': 'Price band (%)',
} as const

export const LimitsEditor = ({ account, current, workspaceId, onCancel, onApplied, onPending, onWaiting }: Props) => {
  const { client } = useAppSession()
  const [fields, setFields] = useState<LimitsFields>(() => limitsToFields(current))
  const [errors, setErrors] = useState<LimitsErrors>({})
  const refs = useRef<Partial<Record<LimitsFieldName, HTMLInputElement | HTMLTextAreaElement | null>>>({})
  const action = useAction()
  const idPrefix = `limits-${account.id}`

  const preview = validateLimits(fields).limits
  const changes = preview === undefined ? undefined : limitChanges(current, preview)

  const bind = (name: LimitsFieldName) => ({
    id: `${idPrefix}-${name}`,
    name,
    value: fields[name],
    // The server names them under "limits." (PUT …/limits { limits }); its refusal of one lands on it.
    error: errors[name] ?? fieldErrorOf(action.error, `limits.${name}`),
    ref: (element: HTMLInputElement | HTMLTextAreaElement | null) => {
      refs.current[name] = element
    },
    onChange: (event: { target: { value: string } }) => {
      const { value } = event.target
      setFields((previous) => ({ ...previous, [name]: value }))
      setErrors((previous) => ({ ...previous, [name]: undefined }))
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const { limits, errors: found } = validateLimits(fields)
    setErrors(found)
    if (limits === undefined) {
      const first = limitsFieldOrder.find((name) => found[name] !== undefined)
      if (first !== undefined) refs.current[first]?.focus()
      return
    }
    void action.run(async () => {
      const result = await setExchangeLimits(client, workspaceId, account.id, limits)
      if (result.status === 'applied') onApplied()
      else if (result.status === 'pending_approval') onWaiting(result.approval)
      else onPending(result.operation)
    })
  }

  const isUnchanged = changes !== undefined && changes.widening.length === 0 && changes.narrowing.length === 0

  return (
    <form className="form form--inline" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Limits of ${account.label}`}>
      <Notice tone="info">
        <p>
          <strong>Lowering a limit applies at once. Raising one does not:</strong> a higher amount, more orders per minute, a wider price band or a new market
          waits until you confirm it with a passkey, or for 24 hours, during which you can cancel it. Someone who steals your session cannot quietly widen what
          this key may do.
        </p>
      </Notice>
      <TextAreaField
        {...bind('symbols')}
        label="Markets"
        help={`Up to ${MAX_SYMBOLS} markets as BASE/QUOTE, one per line or separated by commas, e.g. BTC/USDT. Futures: BTC/USDT:USDT.`}
        className="field__input--mono"
        rows={3}
        spellCheck={false}
      />
      <TextField {...bind('maxOrderNotional')} label="Largest order" help="In the quote currency (USDT for BTC/USDT), e.g. 250." inputMode="decimal" autoComplete="off" className="field__input--short" />
      <TextField {...bind('max24hNotional')} label="Largest total per 24 hours" help="All orders of this key within any 24 hours, in the quote currency." inputMode="decimal" autoComplete="off" className="field__input--short" />
      <TextField
        {...bind('maxOrdersPerMinute')}
        label="Orders per minute"
        help={`${MIN_ORDERS_PER_MINUTE} to ${MAX_ORDERS_PER_MINUTE}.`}
        inputMode="numeric"
        autoComplete="off"
        className="field__input--short"
      />
      <TextField
        {...bind('priceBandPct')}
        label="Price band (%)"
        help="How far from the current market price a limit order may be, in percent, e.g. 5."
        inputMode="decimal"
        autoComplete="off"
        className="field__input--short"
      />
      <div className="limits-preview" aria-live="polite">
        {changes === undefined || isUnchanged ? null : changes.widening.length === 0 ? (
          <p>This change only lowers limits: it applies at once.</p>
        ) : (
          <>
            <p>Needs a passkey confirmation or a 24-hour wait: this change {changes.widening.map((change) => change.text).join('; ')}.</p>
            {changes.narrowing.length === 0 ? null : <p>It also {changes.narrowing.map((change) => change.text).join('; ')}.</p>}
          </>
        )}
      </div>
      <ActionError action={action} fields={limitsFieldLabels} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy || isUnchanged}>
          {action.isBusy ? 'Saving…' : 'Save limits'}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
