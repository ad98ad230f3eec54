import { useRef, useState, type FormEvent } from 'react'
import { connectExchangeAccount, generateEd25519Account } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { TextField } from '../../components/text-field'
import { ApiError, fieldErrorOf } from '../../lib/api'
import { generateErrorHint } from '../../lib/exchange-errors'
import { publicKeyToRegister, type ConnectMethod } from '../../lib/exchange-keypair'
import type { CatalogueEntry, CredentialField, ExchangeAccount } from '../../lib/exchange-parsers'
import { prepareCredentials, type CredentialProblems } from '../../lib/exchange-sealing'
import { refusalOf } from '../../lib/exchange-verdict'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { SignerKey } from '../../lib/use-signer-key'
import { ConnectErrorHint, ErrorHint } from './connect-error-hint'
import { CredentialInputFields, useCredentialInputs } from './credential-inputs'
import { FinishConnectingForm } from './finish-connecting-form'
import { sealAndSend } from './seal-and-send'
import { SignerKeyNotice } from './signer-key-notice'
import { RefusalPanel } from './verdict'
import type { Approval } from '../../lib/team-parsers'

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
  entry: CatalogueEntry
  egressIps: readonly string[]
  signer: SignerKey
  method: ConnectMethod
  onMethodChange: (method: ConnectMethod) => void
  /** The list changed: a key connected, or a key pair generated that waits for its API key. */
  onChanged: () => void
  /** A key is connected (verified or stored unverified): the flow shows the verdict. */
  onConnected: (account: ExchangeAccount) => void
  /** The workspace asks for four-eyes approvals: the verified key waits for a second owner or admin. */
  onWaiting: (approval: Approval) => void
  /** A generated key pair is left for later: its row in the list offers "Finish connecting". */
  onLater: (account: ExchangeAccount) => void
  onShowGuide: () => void
}

/**
 * Step 3: name the account, then either paste a system-generated key (sealed in this browser to the
 * signer, relayed by the api, verified by the signer at the exchange) or let the signer generate an
 * Ed25519 key pair, register its public key at the exchange, and paste the API key it issues.
 * A refusal is shown here, beside the form, with the check that failed and the fix.
 */
export const ConnectForm = ({ workspaceId, entry, egressIps, signer, method, onMethodChange, onChanged, onConnected, onWaiting, onLater, onShowGuide }: Props) => {
  const { client, refreshMe } = useAppSession()
  const me = useMe()
  const [label, setLabel] = useState('')
  const [generated, setGenerated] = useState<Generated | undefined>(undefined)
  const [labelError, setLabelError] = useState<string | undefined>(undefined)
  const [problems, setProblems] = useState<CredentialProblems>({})
  const labelRef = useRef<HTMLInputElement>(null)
  const inputs = useCredentialInputs()
  const action = useAction()
  const isGenerating = method === 'generate' && entry.acceptsEd25519
  const refusal = action.error === undefined ? undefined : refusalOf(action.error, entry.id, entry.name)
  // A validation error from the server about the name lands on the name field.
  const labelFieldError = labelError ?? fieldErrorOf(action.error, 'label')

  const edited = (field: CredentialField) => setProblems((previous) => (previous[field] === undefined ? previous : { ...previous, [field]: undefined }))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const nameProblem = labelProblem(label)
    setLabelError(nameProblem)
    if (nameProblem !== undefined) return labelRef.current?.focus()
    if (isGenerating) {
      void action.run(async () => {
        const result = await generateEd25519Account(client, workspaceId, { exchange: entry.id, label: label.trim() })
        const publicKeyPem = publicKeyToRegister(result.publicKeyPem)
        onChanged()
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
      const result = await sealAndSend({
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
      onChanged()
      if (result.status === 'pending') onWaiting(result.approval)
      else onConnected(result.value)
    })
  }

  if (generated !== undefined) {
    return (
      <FinishConnectingForm
        account={generated.account}
        publicKeyPem={generated.publicKeyPem}
        entry={entry}
        egressIps={egressIps}
        workspaceId={workspaceId}
        idPrefix="connect-finish"
        title={`Bulwark generated the key pair for “${generated.account.label}”`}
        isFocusedOnShow
        laterLabel="Finish later"
        onLater={() => onLater(generated.account)}
        onFinished={(account) => {
          onChanged()
          onConnected(account)
        }}
        onWaiting={(approval) => {
          onChanged()
          onWaiting(approval)
        }}
      />
    )
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Connect a key for ${entry.name}`}>
      {entry.acceptsEd25519 ? (
        <fieldset className="choices">
          <legend className="field__label">Key type at {entry.name}</legend>
          <label className="choice">
            <input type="radio" name="connect-method" value="generate" checked={method === 'generate'} onChange={() => onMethodChange('generate')} />
            Let Bulwark generate the key (Ed25519, recommended): you only copy a public key to {entry.name}
          </label>
          <label className="choice">
            <input type="radio" name="connect-method" value="paste" checked={method === 'paste'} onChange={() => onMethodChange('paste')} />
            System-generated key: paste the API key and secret
          </label>
        </fieldset>
      ) : null}
      <TextField
        id="connect-label"
        name="label"
        label="Account name"
        help="Your name for this key in Bulwark, e.g. “Main” or “Grid bot”."
        maxLength={MAX_LABEL}
        autoComplete="off"
        value={label}
        error={labelFieldError}
        ref={labelRef}
        onChange={(event) => {
          setLabel(event.target.value)
          setLabelError(undefined)
          if (action.error?.field === 'label') action.clearError()
        }}
      />
      {isGenerating ? (
        <p className="field__help">
          Bulwark's signer generates the key pair and keeps the private key: it never exists in this browser or at {entry.name}. You get only the public key, to
          register at {entry.name} as a self-generated key, then paste the API key {entry.name} issues for it.
        </p>
      ) : (
        <>
          <CredentialInputFields idPrefix="connect" entry={entry} inputs={inputs} problems={problems} onEdited={edited} />
          <SignerKeyNotice signer={signer} idPrefix="connect" />
        </>
      )}
      {refusal !== undefined ? (
        <RefusalPanel
          refusal={refusal}
          exchangeName={entry.name}
          ref={action.errorRef}
          next={
            <>
              Then enter the key again above: the form dropped it when it was sealed.{' '}
              <button type="button" className="link-button" onClick={onShowGuide}>
                Show the guide again
              </button>
            </>
          }
        />
      ) : (
        <>
          <ActionError action={action} />
          {action.error === undefined ? null : isGenerating ? <ErrorHint hint={generateErrorHint(action.error)} /> : <ConnectErrorHint error={action.error} />}
        </>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {isGenerating ? (action.isBusy ? 'Generating…' : 'Generate key pair') : action.isBusy ? 'Sealing and connecting…' : 'Seal and connect'}
        </button>
      </div>
    </form>
  )
}
