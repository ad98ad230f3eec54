import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react'
import { claimInstance, type SetupResult } from '../api/setup/mutations'
import { asApiError, type ApiError } from '../lib/api'
import {
  DEFAULT_WORKSPACE_NAME,
  MIN_PASSWORD_LENGTH,
  characterCount,
  firstInvalidField,
  normalizeSetupFields,
  validateSetupFields,
  type SetupFieldErrors,
  type SetupFieldName,
  type SetupFields,
} from '../lib/setup-validation'
import { ErrorNotice } from './error-notice'
import { TextField } from './text-field'

export type ClaimedInstance = SetupResult & { email: string; workspaceName: string }

const emptyFields: SetupFields = { token: '', email: '', password: '', workspaceName: DEFAULT_WORKSPACE_NAME }

const passwordHelp = (password: string): string => {
  const length = characterCount(password)
  if (length > 0 && length < MIN_PASSWORD_LENGTH) return `At least ${MIN_PASSWORD_LENGTH} characters — ${length} so far.`
  return `At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a passphrase that is long and easy to type.`
}

/** "Claim this instance": creates the operator account with the one-time setup token. */
export const SetupForm = ({ onClaimed }: { onClaimed: (claimed: ClaimedInstance) => void }) => {
  const [fields, setFields] = useState<SetupFields>(emptyFields)
  const [fieldErrors, setFieldErrors] = useState<SetupFieldErrors>({})
  const [serverError, setServerError] = useState<ApiError | undefined>(undefined)
  const [isSending, setIsSending] = useState(false)
  const [isPasswordVisible, setIsPasswordVisible] = useState(false)
  const isSendingRef = useRef(false) // guards a second submit before the re-render disables the button
  const inputs = useRef<Partial<Record<SetupFieldName, HTMLInputElement | null>>>({})
  const errorRef = useRef<HTMLDivElement>(null)

  // The submit button was disabled while sending, which drops focus: hand it to the error instead.
  useEffect(() => {
    if (serverError === undefined) return
    if (serverError.code === 'FORBIDDEN') inputs.current.token?.focus()
    else errorRef.current?.focus()
  }, [serverError])

  const bind = (name: SetupFieldName) => ({
    name,
    value: fields[name],
    error: fieldErrors[name],
    ref: (element: HTMLInputElement | null) => {
      inputs.current[name] = element
    },
    onChange: (event: ChangeEvent<HTMLInputElement>) => {
      const { value } = event.target
      setFields((previous) => ({ ...previous, [name]: value }))
      setFieldErrors((previous) => {
        const next = { ...previous }
        delete next[name]
        return next
      })
    },
  })

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (isSendingRef.current) return
    const errors = validateSetupFields(fields)
    setFieldErrors(errors)
    setServerError(undefined)
    const firstInvalid = firstInvalidField(errors)
    if (firstInvalid !== undefined) {
      inputs.current[firstInvalid]?.focus()
      return
    }
    const body = normalizeSetupFields(fields)
    isSendingRef.current = true
    setIsSending(true)
    try {
      const result = await claimInstance(body)
      onClaimed({ ...result, email: body.email, workspaceName: body.workspaceName })
    } catch (error) {
      setServerError(asApiError(error))
    } finally {
      isSendingRef.current = false
      setIsSending(false)
    }
  }

  return (
    <section className="card setup" aria-labelledby="setup-title">
      <h2 id="setup-title" className="card__title">
        Claim this instance
      </h2>
      <p className="card__intro">
        Bulwark has no operator yet. Claim it with the one-time setup token to create the operator account and a first
        workspace.
      </p>
      <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-busy={isSending}>
        <TextField
          {...bind('token')}
          id="setup-token"
          label="Setup token"
          help="Printed in the terminal where the Bulwark server started for the first time. It works once."
          className="field__input--mono"
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          required
        />
        <TextField
          {...bind('email')}
          id="setup-email"
          label="Operator email"
          help="You will sign in with this address."
          type="email"
          autoComplete="email"
          inputMode="email"
          spellCheck={false}
          required
        />
        <TextField
          {...bind('password')}
          id="setup-password"
          label="Password"
          help={passwordHelp(fields.password)}
          type={isPasswordVisible ? 'text' : 'password'}
          autoComplete="new-password"
          minLength={MIN_PASSWORD_LENGTH}
          required
          trailing={
            <button
              type="button"
              className="button button--secondary button--inline"
              onClick={() => setIsPasswordVisible((visible) => !visible)}
              aria-controls="setup-password"
              aria-label={isPasswordVisible ? 'Hide password' : 'Show password'}
            >
              {isPasswordVisible ? 'Hide' : 'Show'}
            </button>
          }
        />
        <TextField
          {...bind('workspaceName')}
          id="setup-workspace"
          label="Workspace name"
          help="Your first workspace: exchange accounts and bots belong to a workspace."
          autoComplete="off"
          required
        />
        {serverError === undefined ? null : <ErrorNotice error={serverError} ref={errorRef} />}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={isSending}>
            {isSending ? 'Claiming…' : 'Claim instance'}
          </button>
        </div>
      </form>
    </section>
  )
}
