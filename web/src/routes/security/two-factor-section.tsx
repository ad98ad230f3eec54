import { useRef, useState, type FormEvent } from 'react'
import { disableTotp, enableTotp, startTotpSetup } from '../../api/account/mutations'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { CopyButton } from '../../components/copy-button'
import { Notice } from '../../components/notice'
import { RecoveryCodesPanel } from '../../components/recovery-codes-panel'
import { StatusBadge } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import { groupSecret, isOtpShaped, normalizeOtp } from '../../lib/account-format'
import type { TotpSetup } from '../../lib/account-parsers'
import { useAppSession, useMe } from '../../lib/session-context'
import { fieldErrorOf } from '../../lib/api'
import { useAction } from '../../lib/use-action'
import { useFocusOnMount } from '../../lib/use-focus'
import { SectionCard } from './section-card'

type Stage = { step: 'idle' } | { step: 'enrol'; setup: TotpSetup } | { step: 'codes'; codes: string[] }

/** A wrong or reused first code is about the code field. */
const enrolFieldsByCode = { UNAUTHENTICATED: 'code', OTP_REPLAY: 'code' } as const

const Enrol = ({ setup, onEnabled, onCancel }: { setup: TotpSetup; onEnabled: (codes: string[]) => void; onCancel: () => void }) => {
  const { client, refreshMe } = useAppSession()
  const [code, setCode] = useState('')
  const [codeError, setCodeError] = useState<string | undefined>(undefined)
  const codeRef = useRef<HTMLInputElement>(null)
  const headingRef = useFocusOnMount<HTMLHeadingElement>()
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const normalized = normalizeOtp(code)
    if (!isOtpShaped(normalized)) {
      setCodeError('Enter the 6-digit code the app shows after adding Bulwark.')
      return codeRef.current?.focus()
    }
    void action.run(async () => {
      const codes = await enableTotp(client, normalized)
      await refreshMe()
      onEnabled(codes)
    })
  }

  return (
    <div className="stack">
      <h4 className="subsection__title" tabIndex={-1} ref={headingRef}>
        Add Bulwark to your authenticator app
      </h4>
      <div className="totp">
        <img className="totp__qr" src={setup.qrDataUrl} alt="QR code to scan with your authenticator app" width="200" height="200" />
        <div className="totp__manual">
          <p>Scan the code with your authenticator app, or type this setup key into it:</p>
          <p className="totp__secret">
            <span className="totp__secret-label">Setup key</span> <code>{groupSecret(setup.secret)}</code>
          </p>
          <div className="form__actions">
            <CopyButton text={setup.secret} label="Copy setup key" className="button button--secondary button--small" />
          </div>
        </div>
      </div>
      <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField
          id="totp-enable-code"
          name="code"
          label="Code from the app"
          help="The app shows a new 6-digit code every 30 seconds."
          className="field__input--mono field__input--short"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={12}
          value={code}
          error={codeError ?? fieldErrorOf(action.error, 'code', enrolFieldsByCode)}
          ref={codeRef}
          onChange={(event) => {
            setCode(event.target.value)
            setCodeError(undefined)
            if (fieldErrorOf(action.error, 'code', enrolFieldsByCode) !== undefined) action.clearError()
          }}
        />
        <ActionError action={action} fields={{ code: 'Code from the app' }} fieldsByCode={enrolFieldsByCode} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Checking…' : 'Turn on two-factor'}
          </button>
          <button type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  )
}

/** The authenticator app (TOTP): set up with a QR code and a first code, or turn off. */
export const TwoFactorSection = () => {
  const me = useMe()
  const { client, refreshMe } = useAppSession()
  const [stage, setStage] = useState<Stage>({ step: 'idle' })
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const action = useAction()
  const isOn = me.security.totp

  const start = () =>
    void action.run(async () => {
      setNotice(undefined)
      setStage({ step: 'enrol', setup: await startTotpSetup(client) })
    })

  const turnOff = () =>
    void action.run(async () => {
      await disableTotp(client)
      await refreshMe()
      setNotice('The authenticator app is turned off.')
    })

  return (
    <SectionCard
      id="two-factor"
      title="Authenticator app"
      intro="A code from an app on your phone (such as Aegis, Google Authenticator or 1Password), asked for when you sign in."
    >
      <p>
        <StatusBadge tone={isOn ? 'ok' : 'pending'} label={isOn ? 'On' : 'Off'} />
      </p>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      {stage.step === 'enrol' ? (
        <Enrol
          setup={stage.setup}
          onCancel={() => setStage({ step: 'idle' })}
          onEnabled={(codes) => {
            if (codes.length > 0) setStage({ step: 'codes', codes })
            else {
              setStage({ step: 'idle' })
              setNotice('The authenticator app is turned on.')
            }
          }}
        />
      ) : stage.step === 'codes' ? (
        <RecoveryCodesPanel
          codes={stage.codes}
          account={me.user.email}
          onDone={() => {
            setStage({ step: 'idle' })
            setNotice('The authenticator app is turned on.')
          }}
        />
      ) : (
        <>
          <ActionError action={action} />
          <div className="form__actions">
            {isOn ? (
              <ConfirmAction
                label="Turn off authenticator app"
                question="Turn off the authenticator app? Sign-in will no longer ask for its code."
                confirmLabel="Yes, turn it off"
                isBusy={action.isBusy}
                onConfirm={turnOff}
              />
            ) : (
              <button type="button" className="button button--primary" onClick={start} disabled={action.isBusy}>
                {action.isBusy ? 'Starting…' : 'Set up authenticator app'}
              </button>
            )}
          </div>
        </>
      )}
    </SectionCard>
  )
}
