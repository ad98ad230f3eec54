import { useRef, useState, type FormEvent } from 'react'
import {
  login,
  loginPasskeyOptions,
  loginSecondFactor,
  passwordlessLogin,
  passwordlessOptions,
  type SecondFactor,
} from '../api/auth/mutations'
import { ActionError } from '../components/action-error'
import { FactorForm, type FactorInput } from '../components/factor-form'
import { Link } from '../components/link'
import { Notice } from '../components/notice'
import { PageHeading } from '../components/page-heading'
import { PasswordField } from '../components/password-field'
import { TextField } from '../components/text-field'
import type { SecondFactorMethod } from '../lib/account-parsers'
import { emailProblem } from '../lib/account-validation'
import { fieldErrorOf } from '../lib/api'
import { canUsePasskeys, signWithPasskey } from '../lib/passkey'
import { routePaths } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import type { StepUpMethod } from '../lib/step-up'
import { useAction } from '../lib/use-action'
import { useFocusOnMount } from '../lib/use-focus'

type Stage = { step: 'password' } | { step: 'second_factor'; ticket: string; methods: StepUpMethod[] }

const preferredOrder: readonly SecondFactorMethod[] = ['passkey', 'totp', 'recovery_code']

const signInFields = { email: 'Email', password: 'Password' } as const

/** A wrong or reused code at the second step. An expired sign-in is UNAUTHENTICATED too, but its message says to start over. */
const secondStepWrongProof = ['UNAUTHENTICATED', 'OTP_REPLAY'] as const

/** The server's methods, best first, without passkeys where this browser cannot use them. */
const secondFactorChoices = (methods: readonly SecondFactorMethod[], hasPasskeys: boolean): StepUpMethod[] =>
  preferredOrder.filter((method) => methods.includes(method) && (method !== 'passkey' || hasPasskeys))

const SecondStep = ({ ticket, methods, onStartOver }: { ticket: string; methods: StepUpMethod[]; onStartOver: () => void }) => {
  const { client, completeSignIn } = useAppSession()
  const action = useAction()
  const headingRef = useFocusOnMount<HTMLHeadingElement>()

  const verify = (input: FactorInput) =>
    void action.run(async () => {
      let factor: SecondFactor
      if (input.method === 'passkey') factor = { passkey: await signWithPasskey(await loginPasskeyOptions(client, ticket)) }
      else if (input.method === 'totp') factor = { totp: input.code }
      else if (input.method === 'recovery_code') factor = { recoveryCode: input.code }
      else throw new Error('the password was checked in the first step')
      await loginSecondFactor(client, ticket, factor)
      await completeSignIn()
    })

  return (
    <div className="stack">
      <h3 className="section__title" tabIndex={-1} ref={headingRef}>
        Confirm it's you
      </h3>
      <p className="section__intro">Your password was right. Your account also asks for a second factor.</p>
      {methods.length === 0 ? (
        <Notice tone="warning">
          None of your sign-in methods works in this browser. Use a browser with passkey support, or a recovery code.
        </Notice>
      ) : null}
      <FactorForm
        idPrefix="sign-in-factor"
        methods={methods}
        submitLabel={action.isBusy ? 'Verifying…' : 'Verify'}
        isBusy={action.isBusy}
        onSubmit={verify}
        action={action}
        wrongProofCodes={secondStepWrongProof}
        actions={
          <button type="button" className="button button--secondary" onClick={onStartOver}>
            Start over
          </button>
        }
      />
    </div>
  )
}

/**
 * Sign in with email and password (then a second factor when the account has one), or with a passkey
 * alone. Wrong-credential and lockout messages come from the server as they are.
 */
export const SignInCard = ({ intro }: { intro?: string }) => {
  const { client, session, completeSignIn } = useAppSession()
  const [stage, setStage] = useState<Stage>({ step: 'password' })
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [emailError, setEmailError] = useState<string | undefined>(undefined)
  const [passwordError, setPasswordError] = useState<string | undefined>(undefined)
  const emailRef = useRef<HTMLInputElement>(null)
  const passwordRef = useRef<HTMLInputElement>(null)
  const action = useAction()
  const hasPasskeys = canUsePasskeys()
  const notice = session.status === 'signed_out' ? session.notice : undefined

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem = emailProblem(email)
    setEmailError(problem)
    setPasswordError(password === '' ? 'Enter your password.' : undefined)
    if (problem !== undefined) return emailRef.current?.focus()
    if (password === '') return passwordRef.current?.focus()
    void action.run(async () => {
      const result = await login(client, { email: email.trim(), password })
      if (result.status === 'signed_in') return completeSignIn()
      setPassword('')
      setStage({ step: 'second_factor', ticket: result.ticket, methods: secondFactorChoices(result.methods, hasPasskeys) })
    })
  }

  const signInWithPasskey = () =>
    void action.run(async () => {
      const options = await passwordlessOptions(client)
      await passwordlessLogin(client, await signWithPasskey(options))
      await completeSignIn()
    })

  return (
    <section className="card" aria-labelledby="sign-in-title">
      <PageHeading id="sign-in-title" title="Sign in" />
      {intro === undefined ? null : <p className="card__intro">{intro}</p>}
      {notice === undefined || stage.step !== 'password' ? null : <Notice tone="info">{notice}</Notice>}
      {stage.step === 'second_factor' ? (
        <SecondStep ticket={stage.ticket} methods={stage.methods} onStartOver={() => setStage({ step: 'password' })} />
      ) : (
        <>
          <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy}>
            <TextField
              id="sign-in-email"
              name="email"
              label="Email"
              type="email"
              autoComplete="username webauthn"
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
            <PasswordField
              id="sign-in-password"
              name="password"
              label="Password"
              autoComplete="current-password"
              value={password}
              error={passwordError ?? fieldErrorOf(action.error, 'password')}
              ref={passwordRef}
              onChange={(event) => {
                setPassword(event.target.value)
                setPasswordError(undefined)
              }}
              required
            />
            {/* A wrong email or password is about the pair, so it stays here by the button; a malformed field is shown on it. */}
            <ActionError action={action} fields={signInFields} />
            <div className="form__actions">
              <button type="submit" className="button button--primary" disabled={action.isBusy}>
                {action.isBusy ? 'Signing in…' : 'Sign in'}
              </button>
              {hasPasskeys ? (
                <button type="button" className="button button--secondary" onClick={signInWithPasskey} disabled={action.isBusy}>
                  Sign in with a passkey
                </button>
              ) : null}
            </div>
          </form>
          <p className="card__links">
            <Link to={routePaths.forgotPassword}>Forgot your password?</Link>
            <Link to={routePaths.signUp}>Create an account</Link>
          </p>
        </>
      )}
    </section>
  )
}
