import { useRef, useState, type FormEvent } from 'react'
import { requestPasswordReset } from '../api/auth/mutations'
import { ActionError } from '../components/action-error'
import { Link } from '../components/link'
import { PageHeading } from '../components/page-heading'
import { TextField } from '../components/text-field'
import { emailProblem } from '../lib/account-validation'
import { fieldErrorOf } from '../lib/api'
import { routePaths } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useAction } from '../lib/use-action'
import { CheckEmailCard } from './check-email-card'

/** Asks for a reset link; the answer is the same whether or not the address has an account. */
export const ForgotPasswordPage = () => {
  const { client } = useAppSession()
  const [email, setEmail] = useState('')
  const [emailError, setEmailError] = useState<string | undefined>(undefined)
  const [sentTo, setSentTo] = useState<string | undefined>(undefined)
  const emailRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  if (sentTo !== undefined) {
    return (
      <CheckEmailCard>
        <p>
          If <strong>{sentTo}</strong> has an account, a link to choose a new password is on its way. It works for 30 minutes.
        </p>
      </CheckEmailCard>
    )
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem = emailProblem(email)
    setEmailError(problem)
    if (problem !== undefined) return emailRef.current?.focus()
    void action.run(async () => {
      await requestPasswordReset(client, email.trim())
      setSentTo(email.trim())
    })
  }

  return (
    <section className="card" aria-labelledby="forgot-title">
      <PageHeading id="forgot-title" title="Reset your password" />
      <p className="card__intro">Enter your account's email address and we will send you a link to choose a new password.</p>
      <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField
          id="forgot-email"
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          inputMode="email"
          spellCheck={false}
          value={email}
          error={emailError ?? fieldErrorOf(action.error, 'email')}
          ref={emailRef}
          onChange={(event) => {
            setEmail(event.target.value)
            setEmailError(undefined)
          }}
          required
        />
        <ActionError action={action} fields={{ email: 'Email' }} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Sending…' : 'Send reset link'}
          </button>
        </div>
      </form>
      <p className="card__links">
        <Link to={routePaths.signIn}>Back to sign in</Link>
      </p>
    </section>
  )
}
