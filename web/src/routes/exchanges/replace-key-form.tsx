import { useState, type FormEvent } from 'react'
import { replaceExchangeKey } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import type { CatalogueEntry, CredentialField, ExchangeAccount } from '../../lib/exchange-parsers'
import { prepareCredentials, type CredentialProblems } from '../../lib/exchange-sealing'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { SignerKey } from '../../lib/use-signer-key'
import { ConnectErrorHint } from './connect-error-hint'
import { CredentialInputFields, useCredentialInputs } from './credential-inputs'
import { sealAndSend } from './seal-and-send'
import { SignerKeyNotice } from './signer-key-notice'
import type { Approval } from '../../lib/team-parsers'

type Props = {
  account: ExchangeAccount
  entry: CatalogueEntry
  workspaceId: string
  signer: SignerKey
  onCancel: () => void
  onReplaced: (account: ExchangeAccount) => void
  /** The workspace asks for four-eyes approvals: the old key keeps serving until a second owner or admin approves the new one. */
  onWaiting: (approval: Approval) => void
}

/** A new key for the same account: verified and stored by the signer before the old one is destroyed. */
export const ReplaceKeyForm = ({ account, entry, workspaceId, signer, onCancel, onReplaced, onWaiting }: Props) => {
  const { client, refreshMe } = useAppSession()
  const me = useMe()
  const [problems, setProblems] = useState<CredentialProblems>({})
  const inputs = useCredentialInputs()
  const action = useAction()
  const idPrefix = `replace-${account.id}`

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
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
        send: (envelope) => replaceExchangeKey(client, workspaceId, account.id, envelope),
      })
      if (result.status === 'pending') onWaiting(result.approval)
      else onReplaced(result.value)
    })
  }

  const edited = (field: CredentialField) => setProblems((previous) => (previous[field] === undefined ? previous : { ...previous, [field]: undefined }))

  return (
    <form className="form form--inline" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Replace the key of ${account.label}`}>
      <p className="field__help">
        Create a new key at {entry.name} first, with the same permissions and IP whitelist. Bulwark checks the new key and stores it before it destroys the
        old one; delete the old key at {entry.name} afterwards.
        {entry.acceptsEd25519
          ? ` This replaces it with a system-generated key (API key and secret). For a new Ed25519 key that Bulwark generates, connect a new account with it and remove this one.`
          : null}
      </p>
      <CredentialInputFields idPrefix={idPrefix} entry={entry} inputs={inputs} problems={problems} onEdited={edited} labelPrefix="New " />
      <SignerKeyNotice signer={signer} idPrefix={idPrefix} />
      <ActionError action={action} />
      {action.error === undefined ? null : <ConnectErrorHint error={action.error} />}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Sealing and replacing…' : 'Seal and replace key'}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
