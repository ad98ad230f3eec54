import { useId, useState, type FormEvent } from 'react'
import { stepUpPasskeyOptions } from '../../api/auth/mutations'
import { requestUnlock } from '../../api/incident/mutations'
import { Link } from '../../components/link'
import { PasswordField } from '../../components/password-field'
import { TextField } from '../../components/text-field'
import type { Workspace } from '../../lib/account-parsers'
import { isOtpShaped, normalizeOtp } from '../../lib/account-format'
import type { UnlockRequested } from '../../lib/incident-parsers'
import { canUsePasskeys, signWithPasskey } from '../../lib/passkey'
import { routePaths } from '../../lib/router'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { ActionProblem } from './action-problem'

type Method = 'totp' | 'passkey'

/**
 * Step one of the unlock (R19): the password AND a second factor — an authenticator code or a passkey
 * (a recovery code does not count here). The server then emails the confirmation link.
 */
export const UnlockForm = ({ workspace, onRequested }: { workspace: Workspace; onRequested: (result: UnlockRequested) => void }) => {
  const { client } = useAppSession()
  const { security } = useMe()
  const ids = useId()
  const action = useAction()
  const methods: Method[] = [...(security.totp ? (['totp'] as const) : []), ...(security.passkeys > 0 && canUsePasskeys() ? (['passkey'] as const) : [])]
  const [method, setMethod] = useState<Method | undefined>(methods[0])
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [errors, setErrors] = useState<{ password?: string; code?: string }>({})

  if (method === undefined) {
    return (
      <div className="notice notice--warning" role="status">
        <p className="notice__message">Unlocking needs a second factor on your account.</p>
        <p>
          Add an authenticator app under <Link to={routePaths.security}>Security</Link> (a passkey works too, in a browser that supports it), or ask another owner or
          admin of {workspace.name} to unlock it.
        </p>
      </div>
    )
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const otp = normalizeOtp(code)
    const found = { ...(password === '' ? { password: 'Enter your password.' } : {}), ...(method === 'totp' && !isOtpShaped(otp) ? { code: 'Enter the 6-digit code your authenticator app shows now.' } : {}) }
    setErrors(found)
    if (Object.keys(found).length > 0) return
    void action.run(async () => {
      const result =
        method === 'totp'
          ? await requestUnlock(client, workspace.id, { password, totp: otp })
          : await requestUnlock(client, workspace.id, { password, passkey: await signWithPasskey(await stepUpPasskeyOptions(client)) })
      setPassword('')
      setCode('')
      onRequested(result)
    })
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label="Unlock the workspace">
      <PasswordField
        id={`${ids}-password`}
        label="Your password"
        autoComplete="current-password"
        value={password}
        error={errors.password}
        disabled={action.isBusy}
        onChange={(event) => setPassword(event.target.value)}
      />
      {methods.length > 1 ? (
        <fieldset className="choices">
          <legend className="field__label">Second factor</legend>
          {methods.map((option) => (
            <label key={option} className="choice">
              <input type="radio" name={`${ids}-method`} value={option} checked={method === option} onChange={() => setMethod(option)} />
              {option === 'totp' ? 'Authenticator app' : 'Passkey'}
            </label>
          ))}
        </fieldset>
      ) : null}
      {method === 'totp' ? (
        <TextField
          id={`${ids}-code`}
          label="Authenticator code"
          help="The 6-digit code your authenticator app shows for Bulwark."
          className="field__input--mono"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={12}
          value={code}
          error={errors.code}
          disabled={action.isBusy}
          onChange={(event) => setCode(event.target.value)}
        />
      ) : (
        <p className="field__help">After the button, use the passkey on this device, your phone, or a security key.</p>
      )}
      <ActionProblem action={action} kind="unlock" />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Checking…' : 'Request the unlock'}
        </button>
      </div>
    </form>
  )
}
