import { useRef, useState, type FormEvent } from 'react'
import { register } from '../api/auth/mutations'
import { ActionError } from '../components/action-error'
import { Link } from '../components/link'
import { PageHeading } from '../components/page-heading'
import { PasswordField } from '../components/password-field'
import { TextField } from '../components/text-field'
import { emailProblem } from '../lib/account-validation'
import { fieldErrorOf } from '../lib/api'
import { routePaths } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { MIN_PASSWORD_LENGTH, characterCount } from '../lib/setup-validation'
import { isInvitationToken, readPendingInvitation, readPendingInvitationEmail } from '../lib/pending-invitation'
import { useAction } from '../lib/use-action'
import { CheckEmailCard } from './check-email-card'

type Field = 'email' | 'password' | 'displayName'

const fieldLabels: Readonly<Record<Field, string>> = { email: 'Email', password: 'Password', displayName: 'Display name' }
/** A rejected password is always about the password field. */
const fieldsByCode = { PASSWORD_REJECTED: 'password' } as const

const passwordHelp = (password: string): string => {
  const length = characterCount(password)
  if (length > 0 && length < MIN_PASSWORD_LENGTH) return `At least ${MIN_PASSWORD_LENGTH} characters — ${length} so far.`
  return `At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a passphrase that is long and easy to type.`
}

/**
 * Create an account. The server answers 202 whether or not the address is taken (no account
 * enumeration) and rejects weak passwords with PASSWORD_REJECTED and a reason, shown as they are.
 */
export const SignUpPage = () => {
  const { client } = useAppSession()
  // Someone who came from an invitation link signs up with the invited address, and the link's token goes
  // with it (the server lets the invitee in where sign-up is closed to others).
  const [invitationToken] = useState(() => {
    const token = readPendingInvitation()
    return token !== undefined && isInvitationToken(token) ? token : undefined
  })
  const [fields, setFields] = useState<Record<Field, string>>(() => ({ email: (invitationToken === undefined ? undefined : readPendingInvitationEmail()) ?? '', password: '', displayName: '' }))
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({})
  const [sentTo, setSentTo] = useState<string | undefined>(undefined)
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({})
  const action = useAction()

  if (sentTo !== undefined) {
    return (
      <CheckEmailCard>
        <p>
          If <strong>{sentTo}</strong> can be used for a new account, a link to verify it is on its way. Open it to finish creating
          your account; it works for 24 hours.
        </p>
        {invitationToken === undefined ? null : <p>Open it in this tab, then sign in: you come back to the invitation.</p>}
      </CheckEmailCard>
    )
  }

  /** The server's word on a field (a rejected password, a schema error) shows on the field, like the page's own checks. */
  const serverError = (name: Field): string | undefined => fieldErrorOf(action.error, name, fieldsByCode)

  const bind = (name: Field) => ({
    name,
    value: fields[name],
    error: errors[name] ?? serverError(name),
    ref: (element: HTMLInputElement | null) => {
      inputs.current[name] = element
    },
    onChange: (event: { target: { value: string } }) => {
      const { value } = event.target
      setFields((previous) => ({ ...previous, [name]: value }))
      setErrors((previous) => ({ ...previous, [name]: undefined }))
      if (serverError(name) !== undefined) action.clearError()
    },
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const length = characterCount(fields.password)
    const found: Partial<Record<Field, string>> = {
      email: emailProblem(fields.email),
      password:
        length === 0 ? 'Choose a password.' : length < MIN_PASSWORD_LENGTH ? `Use at least ${MIN_PASSWORD_LENGTH} characters; this one has ${length}.` : undefined,
    }
    setErrors(found)
    const firstInvalid = (['email', 'password'] as const).find((name) => found[name] !== undefined)
    if (firstInvalid !== undefined) return inputs.current[firstInvalid]?.focus()
    const email = fields.email.trim()
    const displayName = fields.displayName.trim()
    void action.run(async () => {
      await register(client, {
        email,
        password: fields.password,
        ...(displayName === '' ? {} : { displayName }),
        ...(invitationToken === undefined ? {} : { invitationToken }),
      })
      setSentTo(email)
    })
  }

  return (
    <section className="card" aria-labelledby="sign-up-title">
      <PageHeading id="sign-up-title" title="Create an account" />
      {invitationToken === undefined ? null : (
        <p className="card__intro">You were invited to a workspace. Verify your address, then sign in: the invitation waits in this tab.</p>
      )}
      <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField {...bind('email')} id="sign-up-email" label="Email" type="email" autoComplete="email" inputMode="email" spellCheck={false} required />
        <PasswordField
          {...bind('password')}
          id="sign-up-password"
          label="Password"
          help={passwordHelp(fields.password)}
          autoComplete="new-password"
          minLength={MIN_PASSWORD_LENGTH}
          required
        />
        <TextField {...bind('displayName')} id="sign-up-display-name" label="Display name" help="Optional. Shown to people in your workspaces." autoComplete="nickname" maxLength={80} />
        <ActionError action={action} fields={fieldLabels} fieldsByCode={fieldsByCode} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Creating…' : 'Create account'}
          </button>
        </div>
      </form>
      <p className="card__links">
        <Link to={routePaths.signIn}>I already have an account</Link>
      </p>
    </section>
  )
}
