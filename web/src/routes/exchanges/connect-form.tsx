import { useRef, useState, type FormEvent } from 'react'
import { connectExchangeAccount, generateEd25519Account } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { Link } from '../../components/link'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { ApiError } from '../../lib/api'
import { exchangeDisplayName, marketLabel } from '../../lib/exchange-badges'
import { generateErrorHint } from '../../lib/exchange-errors'
import { defaultConnectMethod, publicKeyToRegister, type ConnectMethod } from '../../lib/exchange-keypair'
import { isConnectable, type Catalogue, type CredentialField, type ExchangeAccount } from '../../lib/exchange-parsers'
import { prepareCredentials, type CredentialProblems } from '../../lib/exchange-sealing'
import { routePaths } from '../../lib/router'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { SignerKey } from '../../lib/use-signer-key'
import { ConnectErrorHint, ErrorHint } from './connect-error-hint'
import { CredentialInputFields, useCredentialInputs } from './credential-inputs'
import { ExchangeGuide } from './exchange-guide'
import { FinishConnectingForm } from './finish-connecting-form'
import { sealAndSend } from './seal-and-send'
import { SignerKeyNotice } from './signer-key-notice'

export const MAX_LABEL = 60

export const labelProblem = (label: string): string | undefined => {
  const trimmed = label.trim()
  if (trimmed === '') return 'Name the account, e.g. "Main" or "Bot 1": it tells keys on the same exchange apart.'
  if (trimmed.length > MAX_LABEL) return `Use at most ${MAX_LABEL} characters.`
  return undefined
}

type Generated = { account: ExchangeAccount; publicKeyPem: string }

type Props = {
  workspaceId: string
  catalogue: Catalogue
  signer: SignerKey
  /** After every change to the list: a key connected, or a key pair generated that waits for its API key. */
  onConnected: (account: ExchangeAccount) => void
}

/**
 * Choose the exchange, follow its guide, then either let the signer generate an Ed25519 key pair and
 * register its public key at the exchange, or paste a system-generated key: sealed in this browser,
 * relayed by the api, verified by the signer.
 */
export const ConnectForm = ({ workspaceId, catalogue, signer, onConnected }: Props) => {
  const { client, refreshMe } = useAppSession()
  const me = useMe()
  const [exchangeId, setExchangeId] = useState('')
  const [label, setLabel] = useState('')
  const [method, setMethod] = useState<ConnectMethod>('paste')
  const [generated, setGenerated] = useState<Generated | undefined>(undefined)
  /** The label of a generated key left for later: its row offers "Finish connecting". */
  const [waiting, setWaiting] = useState<string | undefined>(undefined)
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
    setMethod(defaultConnectMethod(catalogue.exchanges.find((candidate) => candidate.id === id)))
    inputs.clear() // a key for one exchange is never sent to another
  }

  const edited = (field: CredentialField) => setProblems((previous) => (previous[field] === undefined ? previous : { ...previous, [field]: undefined }))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setConnected(undefined)
    setWaiting(undefined)
    if (entry === undefined || !isConnectable(entry)) {
      setExchangeError(entry === undefined ? 'Choose the exchange the key is for.' : 'This dashboard cannot ask for the fields this exchange needs. Update Bulwark.')
      return exchangeRef.current?.focus()
    }
    const nameProblem = labelProblem(label)
    setLabelError(nameProblem)
    if (nameProblem !== undefined) return labelRef.current?.focus()
    if (method === 'generate' && entry.acceptsEd25519) {
      void action.run(async () => {
        const result = await generateEd25519Account(client, workspaceId, { exchange: entry.id, label: label.trim() })
        const publicKeyPem = publicKeyToRegister(result.publicKeyPem)
        onConnected(result.account)
        if (publicKeyPem === undefined) {
          throw new ApiError('BAD_RESPONSE', `The server did not send a public key for “${result.account.label}”. Remove the account and try again, or tell your operator.`)
        }
        setLabel('')
        setGenerated({ account: result.account, publicKeyPem })
      })
      return
    }
    const prepared = prepareCredentials(entry.credentials, inputs.read(), entry.credentialLabels)
    if (!prepared.ok) {
      setProblems(prepared.problems)
      const first = entry.credentials.find((field) => prepared.problems[field] !== undefined)
      if (first !== undefined) inputs.focus(first)
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
  const isGenerating = method === 'generate' && entry?.acceptsEd25519 === true

  if (generated !== undefined) {
    return (
      <FinishConnectingForm
        account={generated.account}
        publicKeyPem={generated.publicKeyPem}
        entry={catalogue.exchanges.find((candidate) => candidate.id === generated.account.exchange)}
        egressIps={catalogue.egressIps}
        workspaceId={workspaceId}
        idPrefix="connect-finish"
        isFocusedOnShow
        laterLabel="Finish later"
        onLater={() => {
          setWaiting(generated.account.label)
          setGenerated(undefined)
        }}
        onFinished={(account) => {
          setGenerated(undefined)
          setConnected(account)
          onConnected(account)
        }}
      />
    )
  }

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
      {entry?.acceptsEd25519 === true ? (
        <fieldset className="choices">
          <legend className="field__label">Key type at {entry.name}</legend>
          <label className="choice">
            <input type="radio" name="connect-method" value="generate" checked={method === 'generate'} onChange={() => setMethod('generate')} />
            Let Bulwark generate an Ed25519 key (recommended)
          </label>
          <label className="choice">
            <input type="radio" name="connect-method" value="paste" checked={method === 'paste'} onChange={() => setMethod('paste')} />
            System-generated key: paste the API key and secret
          </label>
        </fieldset>
      ) : null}
      {entry === undefined ? null : isGenerating ? (
        <p className="field__help">
          Bulwark's signer generates the key pair and keeps the private key: it never exists in this browser or at {entry.name}. You register the public key at{' '}
          {entry.name} as a self-generated key, then paste the API key {entry.name} issues for it.
        </p>
      ) : (
        <CredentialInputFields idPrefix="connect" entry={entry} inputs={inputs} problems={problems} onEdited={edited} />
      )}
      {isGenerating ? null : <SignerKeyNotice signer={signer} idPrefix="connect" />}
      <ActionError action={action} />
      {action.error === undefined ? null : isGenerating ? <ErrorHint hint={generateErrorHint(action.error)} /> : <ConnectErrorHint error={action.error} />}
      {connected === undefined ? null : (
        <Notice tone="success">
          <p>
            Connected “{connected.label}” on {exchangeDisplayName(connected.exchange, catalogue.exchanges)}. The key is stored sealed in the signer; its badges
            below show what {exchangeDisplayName(connected.exchange, catalogue.exchanges)} reported.
          </p>
        </Notice>
      )}
      {waiting === undefined ? null : (
        <Notice tone="info">
          <p>“{waiting}” waits for its API key. When you have it, use Finish connecting on its row above: the public key is shown there again.</p>
        </Notice>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {isGenerating ? (action.isBusy ? 'Generating…' : 'Generate key pair') : action.isBusy ? 'Sealing and connecting…' : 'Seal and connect'}
        </button>
      </div>
    </form>
  )
}
