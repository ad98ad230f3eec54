import { useRef, useState, type FormEvent } from 'react'
import { changeEmail, changePassword, setAntiPhishingCode } from '../../api/account/mutations'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { PasswordField } from '../../components/password-field'
import { StatusBadge } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import { ANTI_PHISHING_MAX, antiPhishingProblem, emailProblem } from '../../lib/account-validation'
import { useAppSession, useMe } from '../../lib/session-context'
import { fieldErrorOf } from '../../lib/api'
import { useAction } from '../../lib/use-action'
import { SectionCard } from './section-card'

/** Email, password and anti-phishing code: one small form each. */

export const EmailSection = () => {
  const me = useMe()
  const { client } = useAppSession()
  const [newEmail, setNewEmail] = useState('')
  const [emailError, setEmailError] = useState<string | undefined>(undefined)
  const [sentTo, setSentTo] = useState<string | undefined>(undefined)
  const emailRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem =
      emailProblem(newEmail) ??
      (newEmail.trim().toLowerCase() === me.user.email.toLowerCase() ? 'That is already your address.' : undefined)
    setEmailError(problem)
    if (problem !== undefined) return emailRef.current?.focus()
    const address = newEmail.trim()
    void action.run(async () => {
      await changeEmail(client, address)
      setSentTo(address)
      setNewEmail('')
    })
  }

  return (
    <SectionCard id="email" title="Email address">
      <p>
        {me.user.email}{' '}
        <StatusBadge tone={me.user.emailVerified ? 'ok' : 'pending'} label={me.user.emailVerified ? 'Verified' : 'Not verified'} />
      </p>
      {me.user.emailVerified ? null : <p className="field__help">Open the link we emailed to this address to verify it.</p>}
      {sentTo === undefined ? null : (
        <Notice tone="success">
          We sent a confirmation link to <strong>{sentTo}</strong>. Your address changes when you open it; your current address was
          told about the request.
        </Notice>
      )}
      <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField
          id="new-email"
          name="newEmail"
          label="New email address"
          type="email"
          autoComplete="email"
          inputMode="email"
          spellCheck={false}
          value={newEmail}
          error={emailError ?? fieldErrorOf(action.error, 'newEmail')}
          ref={emailRef}
          onChange={(event) => {
            setNewEmail(event.target.value)
            setEmailError(undefined)
          }}
        />
        <ActionError action={action} fields={{ newEmail: 'New email address' }} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Sending…' : 'Change email'}
          </button>
        </div>
      </form>
    </SectionCard>
  )
}

/** A wrong current password is FORBIDDEN (src/auth/account-service.ts); a weak new one PASSWORD_REJECTED. */
const passwordFieldsByCode = { FORBIDDEN: 'currentPassword', PASSWORD_REJECTED: 'newPassword' } as const

export const PasswordSection = () => {
  const { client } = useAppSession()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [errors, setErrors] = useState<{ current?: string; next?: string }>({})
  const [isChanged, setIsChanged] = useState(false)
  const currentRef = useRef<HTMLInputElement>(null)
  const nextRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const found = {
      ...(current === '' ? { current: 'Enter your current password.' } : {}),
      ...(next === '' ? { next: 'Choose a new password.' } : next === current ? { next: 'Choose a password different from the current one.' } : {}),
    }
    setErrors(found)
    if (found.current !== undefined) return currentRef.current?.focus()
    if (found.next !== undefined) return nextRef.current?.focus()
    setIsChanged(false)
    void action.run(async () => {
      await changePassword(client, current, next)
      setCurrent('')
      setNext('')
      setIsChanged(true)
    })
  }

  return (
    <SectionCard id="password" title="Change password" intro="Changing it signs out every other session.">
      {isChanged ? <Notice tone="success">Password changed. Your other sessions were signed out.</Notice> : null}
      <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <PasswordField
          id="current-password"
          name="currentPassword"
          label="Current password"
          autoComplete="current-password"
          value={current}
          error={errors.current ?? fieldErrorOf(action.error, 'currentPassword', passwordFieldsByCode)}
          ref={currentRef}
          onChange={(event) => {
            setCurrent(event.target.value)
            setErrors((previous) => ({ ...previous, current: undefined }))
          }}
        />
        <PasswordField
          id="new-password"
          name="newPassword"
          label="New password"
          help="At least 15 characters, or fewer with a second factor. A passphrase of a few unrelated words works well."
          autoComplete="new-password"
          value={next}
          error={errors.next ?? fieldErrorOf(action.error, 'newPassword', passwordFieldsByCode)}
          ref={nextRef}
          onChange={(event) => {
            setNext(event.target.value)
            setErrors((previous) => ({ ...previous, next: undefined }))
          }}
        />
        <ActionError action={action} fields={{ currentPassword: 'Current password', newPassword: 'New password' }} fieldsByCode={passwordFieldsByCode} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </SectionCard>
  )
}

export const AntiPhishingSection = () => {
  const me = useMe()
  const { client, refreshMe } = useAppSession()
  const current = me.user.antiPhishingCode
  const [code, setCode] = useState(current ?? '')
  const [codeError, setCodeError] = useState<string | undefined>(undefined)
  const [savedCode, setSavedCode] = useState<string | undefined>(undefined)
  const codeRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem = antiPhishingProblem(code)
    setCodeError(problem)
    if (problem !== undefined) return codeRef.current?.focus()
    const trimmed = code.trim()
    void action.run(async () => {
      await setAntiPhishingCode(client, trimmed)
      setSavedCode(trimmed)
      await refreshMe()
    })
  }

  return (
    <SectionCard
      id="anti-phishing"
      title="Anti-phishing code"
      intro="A word only you and Bulwark know. Every email from Bulwark shows it; an email without it is not from us."
    >
      <p>
        {current === null ? (
          'No code set yet.'
        ) : (
          <>
            Current code: <code className="inline-code">{current}</code>
          </>
        )}
      </p>
      {savedCode === undefined ? null : (
        <Notice tone="success">
          Saved. Emails from Bulwark now show <code className="inline-code">{savedCode}</code>.
        </Notice>
      )}
      <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField
          id="anti-phishing-code"
          name="antiPhishingCode"
          label="New anti-phishing code"
          help={`4 to ${ANTI_PHISHING_MAX} letters, digits or dashes.`}
          className="field__input--mono field__input--short"
          autoComplete="off"
          spellCheck={false}
          maxLength={ANTI_PHISHING_MAX}
          value={code}
          error={codeError ?? fieldErrorOf(action.error, 'code')}
          ref={codeRef}
          onChange={(event) => {
            setCode(event.target.value)
            setCodeError(undefined)
          }}
        />
        <ActionError action={action} fields={{ code: 'New anti-phishing code' }} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Saving…' : 'Save code'}
          </button>
        </div>
      </form>
    </SectionCard>
  )
}
