import { useId, useState, type FormEvent, type ReactNode } from 'react'
import { isOtpShaped, normalizeOtp } from '../lib/account-format'
import { fieldErrorOf } from '../lib/api'
import type { StepUpMethod } from '../lib/step-up'
import type { Action } from '../lib/use-action'
import { ActionError } from './action-error'
import { PasswordField } from './password-field'
import { TextField } from './text-field'

export type FactorInput =
  | { method: 'passkey' }
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'password'; password: string }

// Worded unlike the input labels ("Authenticator code", "Recovery code"), so each label names one control.
const methodLabels: Record<StepUpMethod, string> = {
  passkey: 'Use a passkey',
  totp: 'Use the authenticator app',
  recovery_code: 'Use a recovery code',
  password: 'Use your password',
}

type Props = {
  /** Prefix for input ids, so two forms never share one. */
  idPrefix: string
  /** Best first; the first is selected. */
  methods: readonly StepUpMethod[]
  /** The submit button for typed codes, e.g. "Verify" or "Confirm". */
  submitLabel: string
  isBusy: boolean
  onSubmit: (input: FactorInput) => void
  /** The request the form starts: its error shows on the input when it is about what was typed, else by the buttons. */
  action: Pick<Action, 'error' | 'errorRef' | 'clearError'>
  /**
   * The codes that mean "what was typed is wrong" for this request, e.g. UNAUTHENTICATED and OTP_REPLAY
   * at sign-in, FORBIDDEN and OTP_REPLAY for a step-up (which says FORBIDDEN so it is not read as signed out).
   */
  wrongProofCodes: readonly string[]
  /** Extra buttons beside the submit button, e.g. Cancel. */
  actions?: ReactNode
}

const inputLabels: Record<Exclude<StepUpMethod, 'passkey'>, string> = { totp: 'Authenticator code', recovery_code: 'Recovery code', password: 'Password' }

/**
 * "Confirm it's you" with one of the person's factors. Shared by the second step of sign-in and by
 * the step-up dialog, so both offer the same choices with the same names.
 */
export const FactorForm = ({ idPrefix, methods, submitLabel, isBusy, onSubmit, action, wrongProofCodes, actions }: Props) => {
  const [method, setMethod] = useState<StepUpMethod | undefined>(methods[0])
  const [value, setValue] = useState('')
  const [fieldError, setFieldError] = useState<string | undefined>(undefined)
  const groupName = useId()
  const inputId = `${idPrefix}-${method ?? 'none'}`
  // A wrong code or password lands on its input; a passkey has none, so its refusal stays by the buttons.
  const inputLabel = method === undefined || method === 'passkey' ? undefined : inputLabels[method]
  const fieldsByCode = inputLabel === undefined ? {} : Object.fromEntries(wrongProofCodes.map((code) => [code, 'proof']))
  const serverError = fieldErrorOf(action.error, 'proof', fieldsByCode)

  const choose = (next: StepUpMethod) => {
    setMethod(next)
    setValue('')
    setFieldError(undefined)
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (isBusy || method === undefined) return
    if (method === 'passkey') return onSubmit({ method })
    if (method === 'totp') {
      const code = normalizeOtp(value)
      if (!isOtpShaped(code)) return setFieldError('Enter the 6-digit code your authenticator app shows now.')
      return onSubmit({ method, code })
    }
    if (value.trim() === '') {
      return setFieldError(method === 'password' ? 'Enter your password.' : 'Enter one of your unused recovery codes.')
    }
    setFieldError(undefined)
    onSubmit(method === 'password' ? { method, password: value } : { method, code: value.trim() })
  }

  const bind = {
    id: inputId,
    value,
    error: fieldError ?? serverError,
    disabled: isBusy,
    onChange: (event: { target: { value: string } }) => {
      setValue(event.target.value)
      setFieldError(undefined)
      if (serverError !== undefined) action.clearError()
    },
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={isBusy}>
      {methods.length > 1 ? (
        <fieldset className="choices">
          <legend className="field__label">How do you want to confirm?</legend>
          {methods.map((option) => (
            <label key={option} className="choice">
              <input type="radio" name={groupName} value={option} checked={method === option} onChange={() => choose(option)} />
              {methodLabels[option]}
            </label>
          ))}
        </fieldset>
      ) : null}
      {method === 'passkey' ? (
        <p className="field__help">Use the passkey on this device, your phone, or a security key.</p>
      ) : method === 'totp' ? (
        <TextField
          {...bind}
          label="Authenticator code"
          help="The 6-digit code your authenticator app shows for Bulwark."
          className="field__input--mono"
          inputMode="numeric"
          autoComplete="one-time-code"
          autoFocus
          maxLength={12}
        />
      ) : method === 'recovery_code' ? (
        <TextField
          {...bind}
          label="Recovery code"
          help="One of the codes you saved when you set up two-factor. Each works once."
          className="field__input--mono"
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
        />
      ) : method === 'password' ? (
        <PasswordField {...bind} label="Password" autoComplete="current-password" autoFocus />
      ) : (
        <p className="field__help">There is no way to confirm it's you on this device.</p>
      )}
      <ActionError action={action} fields={inputLabel === undefined ? {} : { proof: inputLabel }} fieldsByCode={fieldsByCode} />
      <div className="form__actions">
        {method === undefined ? null : (
          <button type="submit" className="button button--primary" disabled={isBusy}>
            {method === 'passkey' ? (isBusy ? 'Waiting for passkey…' : 'Use passkey') : submitLabel}
          </button>
        )}
        {actions}
      </div>
    </form>
  )
}
