import { useRef, useState, type FormEvent } from 'react'
import { completeGeneratedAccount } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { CopyButton } from '../../components/copy-button'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import { finishConnectingHint } from '../../lib/exchange-errors'
import { refusalOf } from '../../lib/exchange-verdict'
import { prepareApiKey } from '../../lib/exchange-keypair'
import type { CatalogueEntry, ExchangeAccount } from '../../lib/exchange-parsers'
import { fieldErrorOf } from '../../lib/api'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useFocusOnMount } from '../../lib/use-focus'
import { ErrorHint } from './connect-error-hint'
import { RefusalPanel } from './verdict'
import type { Approval } from '../../lib/team-parsers'

type Props = {
  account: ExchangeAccount
  /** From publicKeyToRegister: checked to be a public key. */
  publicKeyPem: string
  /** undefined for an exchange the catalogue no longer lists. */
  entry: CatalogueEntry | undefined
  egressIps: readonly string[]
  workspaceId: string
  idPrefix: string
  /** Right after generating, the heading takes focus: the form that was there is gone. */
  isFocusedOnShow?: boolean
  /** The form's heading; the default names the account and the exchange. */
  title?: string
  laterLabel: string
  onLater: () => void
  onFinished: (account: ExchangeAccount) => void
  /** The workspace asks for four-eyes approvals: the verified key waits for a second owner or admin. */
  onWaiting: (approval: Approval) => void
}

const noAutofill = { autoComplete: 'off', autoCapitalize: 'off', autoCorrect: 'off', spellCheck: false } as const

/**
 * The second half of a generated Ed25519 key: register the public key at the exchange, then paste the
 * API key it issues. The API key alone cannot sign anything (the private key stays in the signer), so
 * it is kept in the field for another try when the exchange refuses it.
 */
export const FinishConnectingForm = ({ account, publicKeyPem, entry, egressIps, workspaceId, idPrefix, isFocusedOnShow = false, title, laterLabel, onLater, onFinished, onWaiting }: Props) => {
  const { client } = useAppSession()
  const [apiKey, setApiKey] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const action = useAction()
  const focusRef = useFocusOnMount<HTMLHeadingElement>()
  const apiKeyRef = useRef<HTMLInputElement>(null)
  const exchangeName = entry?.name ?? account.exchange
  const headingId = `${idPrefix}-title`
  const apiKeyId = `${idPrefix}-api-key`
  const hint = action.error === undefined ? undefined : finishConnectingHint(action.error, exchangeName)
  const refusal = action.error === undefined ? undefined : refusalOf(action.error, account.exchange, exchangeName)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const prepared = prepareApiKey(apiKey, exchangeName)
    if (!prepared.ok) {
      setProblem(prepared.problem)
      apiKeyRef.current?.focus()
      return
    }
    setProblem(undefined)
    void action.run(async () => {
      const result = await completeGeneratedAccount(client, workspaceId, account.id, prepared.apiKey)
      setApiKey('')
      if (result.status === 'pending') onWaiting(result.approval)
      else onFinished(result.value)
    })
  }

  return (
    <form className="form form--inline" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-labelledby={headingId}>
      <h4 id={headingId} className="subsection__title" tabIndex={-1} ref={isFocusedOnShow ? focusRef : undefined}>
        {title ?? `Finish connecting “${account.label}”: register the public key at ${exchangeName}`}
      </h4>
      <p className="field__help">
        Bulwark's signer generated this Ed25519 key pair and keeps its private key: it never leaves the signer, not even to this browser. {exchangeName} needs
        only the public key below.
      </p>
      <TextAreaField id={`${idPrefix}-public-key`} label={`Public key for ${exchangeName}`} className="field__input--mono" rows={4} readOnly value={publicKeyPem} {...noAutofill} />
      <div className="form__actions">
        <CopyButton text={publicKeyPem} label="Copy public key" className="button button--secondary button--small" />
      </div>
      <ol className="guide__steps">
        <li>
          At {exchangeName}, create an API key and choose “Self-generated”: paste the public key above as its Ed25519 key.
          {entry?.keyGuide?.url === undefined ? null : (
            <>
              {' '}
              <a href={entry.keyGuide.url} target="_blank" rel="noopener noreferrer">
                Open the API key page at {exchangeName}
                <span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            </>
          )}
        </li>
        {egressIps.length > 0 ? (
          <li>
            Restrict the key to trusted IPs and add these addresses (Bulwark calls {exchangeName} only from them):
            <ul className="ip-list" aria-label={`IP addresses to whitelist at ${exchangeName}`}>
              {egressIps.map((ip) => (
                <li key={ip}>
                  <code>{ip}</code>
                </li>
              ))}
            </ul>
            <div className="form__actions">
              <CopyButton text={egressIps.join('\n')} label={egressIps.length === 1 ? 'Copy IP address' : 'Copy IP addresses'} className="button button--secondary button--small" />
            </div>
          </li>
        ) : (
          <li>Restrict the key to trusted IPs if {exchangeName} lets you: this Bulwark has no fixed outgoing addresses configured, so ask your operator which to use.</li>
        )}
        <li>Then allow reading and {entry?.market === 'linear' ? 'futures trading' : 'trading'} only. Withdrawals, transfers and every other permission stay off.</li>
        <li>Save the key. Paste the API key {exchangeName} then shows into the field below.</li>
      </ol>
      <TextField
        {...noAutofill}
        id={apiKeyId}
        label={`API key from ${exchangeName}`}
        help={`Bulwark checks at ${exchangeName} that the key can trade and cannot withdraw before it is used.`}
        className="field__input--mono"
        value={apiKey}
        error={problem ?? fieldErrorOf(action.error, 'apiKey')}
        ref={apiKeyRef}
        onChange={(event) => {
          setApiKey(event.target.value)
          setProblem(undefined)
        }}
      />
      {refusal === undefined ? (
        <>
          <ActionError action={action} fields={{ apiKey: `API key from ${exchangeName}` }} />
          <ErrorHint hint={hint} />
        </>
      ) : (
        <RefusalPanel refusal={refusal} exchangeName={exchangeName} ref={action.errorRef} next="Then select Finish connecting again: the key pair stays in the signer, and the API key stays in the field." />
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? `Checking with ${exchangeName}…` : 'Finish connecting'}
        </button>
        <button type="button" className="button button--secondary" onClick={onLater}>
          {laterLabel}
        </button>
      </div>
    </form>
  )
}
