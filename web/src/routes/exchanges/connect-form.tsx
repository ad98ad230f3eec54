import { useRef, useState, type FormEvent } from 'react'
import { connectExchangeAccount } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { Link } from '../../components/link'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { exchangeDisplayName, marketLabel } from '../../lib/exchange-badges'
import { isConnectable, type Catalogue, type CredentialField, type ExchangeAccount } from '../../lib/exchange-parsers'
import { prepareCredentials, type CredentialProblems, type KeyKind } from '../../lib/exchange-sealing'
import { routePaths } from '../../lib/router'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { SignerKey } from '../../lib/use-signer-key'
import { ConnectErrorHint } from './connect-error-hint'
import { CredentialInputFields, useCredentialInputs } from './credential-inputs'
import { ExchangeGuide } from './exchange-guide'
import { sealAndSend } from './seal-and-send'
import { SignerKeyNotice } from './signer-key-notice'

export const MAX_LABEL = 60

export const labelProblem = (label: string): string | undefined => {
  const trimmed = label.trim()
  if (trimmed === '') return 'Name the account, e.g. "Main" or "Bot 1": it tells keys on the same exchange apart.'
  if (trimmed.length > MAX_LABEL) return `Use at most ${MAX_LABEL} characters.`
  return undefined
}

type Props = {
  workspaceId: string
  catalogue: Catalogue
  signer: SignerKey
  onConnected: (account: ExchangeAccount) => void
}

/** Choose the exchange, follow its guide, paste the key: sealed in this browser, relayed by the api, verified by the signer. */
export const ConnectForm = ({ workspaceId, catalogue, signer, onConnected }: Props) => {
  const { client, refreshMe } = useAppSession()
  const me = useMe()
  const [exchangeId, setExchangeId] = useState('')
  const [label, setLabel] = useState('')
  const [keyKind, setKeyKind] = useState<KeyKind>('hmac')
  const [exchangeError, setExchangeError] = useState<string | undefined>(undefined)
  const [labelError, setLabelError] = useState<string | undefined>(undefined)
  const [problems, setProblems] = useState<CredentialProblems>({})
  const [connected, setConnected] = useState<ExchangeAccount | undefined>(undefined)
  const exchangeRef = useRef<HTMLSelectElement>(null)
  const labelRef = useRef<HTMLInputElement>(null)
  const inputs = useCredentialInputs()
  const action = useAction()
  const entry = catalogue.exchanges.find((candidate) => candidate.id === exchangeId)
  const hasSecondFactor = me.security.totp || me.security.passkeys > 0

  const chooseExchange = (id: string) => {
    setExchangeId(id)
    setExchangeError(undefined)
    setProblems({})
    setKeyKind('hmac')
    inputs.clear() // a key for one exchange is never sent to another
  }

  const edited = (field: CredentialField) => setProblems((previous) => (previous[field] === undefined ? previous : { ...previous, [field]: undefined }))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setConnected(undefined)
    if (entry === undefined || !isConnectable(entry)) {
      setExchangeError(entry === undefined ? 'Choose the exchange the key is for.' : 'This dashboard cannot ask for the fields this exchange needs. Update Bulwark.')
      return exchangeRef.current?.focus()
    }
    const nameProblem = labelProblem(label)
    setLabelError(nameProblem)
    if (nameProblem !== undefined) return labelRef.current?.focus()
    const prepared = prepareCredentials(entry.credentials, inputs.read(keyKind), entry.credentialLabels, keyKind)
    if (!prepared.ok) {
      setProblems(prepared.problems)
      const first = entry.credentials.find((field) => prepared.problems[field] !== undefined)
      if (first !== undefined) inputs.focus(first, keyKind)
      return
    }
    setProblems({})
    void action.run(async () => {
      const account = await sealAndSend({
        client,
        me,
        refreshMe,
        signer,
        workspaceId,
        exchange: entry.id,
        fields: prepared.fields,
        clearInputs: inputs.clear,
        send: (envelope) => connectExchangeAccount(client, workspaceId, { exchange: entry.id, label: label.trim(), envelope }),
      })
      setLabel('')
      setConnected(account)
      onConnected(account)
    })
  }

  const connectable = catalogue.exchanges.filter(isConnectable)
  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
      {me.user.emailVerified ? null : (
        <Notice tone="warning">
          <p>Verify your email address first: Bulwark accepts exchange keys only from accounts with a verified address.</p>
        </Notice>
      )}
      {hasSecondFactor ? null : (
        <Notice tone="warning">
          <p>
            Turn on two-factor sign-in before connecting a key: <Link to={routePaths.security}>add an authenticator app or a passkey under Security</Link>.
          </p>
        </Notice>
      )}
      <SelectField
        id="connect-exchange"
        name="exchange"
        label="Exchange"
        value={exchangeId}
        error={exchangeError}
        ref={exchangeRef}
        onChange={(event) => chooseExchange(event.target.value)}
      >
        <option value="">Choose an exchange</option>
        {connectable.map((option) => (
          <option key={option.id} value={option.id}>
            {option.name} ({marketLabel(option.market)})
          </option>
        ))}
      </SelectField>
      {entry === undefined ? null : <ExchangeGuide entry={entry} egressIps={catalogue.egressIps} headingId="connect-guide-title" />}
      <TextField
        id="connect-label"
        name="label"
        label="Account name"
        help="Your name for this key in Bulwark, e.g. “Main” or “Grid bot”."
        maxLength={MAX_LABEL}
        autoComplete="off"
        value={label}
        error={labelError}
        ref={labelRef}
        onChange={(event) => {
          setLabel(event.target.value)
          setLabelError(undefined)
        }}
      />
      {entry === undefined ? null : (
        <CredentialInputFields idPrefix="connect" entry={entry} inputs={inputs} keyKind={keyKind} onKeyKindChange={setKeyKind} problems={problems} onEdited={edited} />
      )}
      <SignerKeyNotice signer={signer} idPrefix="connect" />
      <ActionError action={action} />
      {action.error === undefined ? null : <ConnectErrorHint error={action.error} />}
      {connected === undefined ? null : (
        <Notice tone="success">
          <p>
            Connected “{connected.label}” on {exchangeDisplayName(connected.exchange, catalogue.exchanges)}. The key is stored sealed in the signer; its badges
            below show what {exchangeDisplayName(connected.exchange, catalogue.exchanges)} reported.
          </p>
        </Notice>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Sealing and connecting…' : 'Seal and connect'}
        </button>
      </div>
    </form>
  )
}
