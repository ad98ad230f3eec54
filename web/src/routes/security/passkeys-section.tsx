import { useId, useRef, useState, type FormEvent } from 'react'
import { addPasskey, deletePasskey, passkeyRegistrationOptions, renamePasskey } from '../../api/account/mutations'
import { fetchPasskeys } from '../../api/account/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { Notice } from '../../components/notice'
import { RecoveryCodesPanel } from '../../components/recovery-codes-panel'
import { ResourceView } from '../../components/resource-view'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import type { Passkey } from '../../lib/account-parsers'
import { canUsePasskeys, createPasskey } from '../../lib/passkey'
import { useAppSession, useClientResource, useMe } from '../../lib/session-context'
import { fieldErrorOf } from '../../lib/api'
import { useAction } from '../../lib/use-action'
import { SectionCard } from './section-card'

const MAX_NAME = 60

const nameProblem = (name: string): string | undefined => {
  const trimmed = name.trim()
  if (trimmed === '') return 'Give the passkey a name you will recognise, such as "Work laptop".'
  if (trimmed.length > MAX_NAME) return `Use at most ${MAX_NAME} characters.`
  return undefined
}

type RowProps = { passkey: Passkey; onChanged: () => void }

const PasskeyRow = ({ passkey, onChanged }: RowProps) => {
  const { client, refreshMe } = useAppSession()
  const [isRenaming, setIsRenaming] = useState(false)
  const [name, setName] = useState(passkey.name)
  const [nameError, setNameError] = useState<string | undefined>(undefined)
  const inputId = useId()
  const nameRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const rename = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem = nameProblem(name)
    setNameError(problem)
    if (problem !== undefined) return nameRef.current?.focus()
    void action
      .run(async () => {
        await renamePasskey(client, passkey.id, name.trim())
        onChanged()
      })
      .then((isDone) => isDone && setIsRenaming(false))
  }

  const remove = () =>
    void action.run(async () => {
      await deletePasskey(client, passkey.id)
      onChanged()
      await refreshMe()
    })

  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">{passkey.name}</p>
        <p className="row__meta">
          Added <TimeText iso={passkey.createdAt} /> · {passkey.lastUsedAt === null ? 'never used' : <>last used <TimeText iso={passkey.lastUsedAt} /></>} ·{' '}
          {passkey.backedUp || passkey.deviceType === 'multiDevice' ? 'synced' : 'this device only'}
        </p>
        {isRenaming ? (
          <form className="form form--inline" onSubmit={rename} noValidate aria-busy={action.isBusy}>
            <TextField
              id={inputId}
              label={`New name for ${passkey.name}`}
              value={name}
              error={nameError ?? fieldErrorOf(action.error, 'name')}
              ref={nameRef}
              maxLength={MAX_NAME}
              autoFocus
              onChange={(event) => {
                setName(event.target.value)
                setNameError(undefined)
              }}
            />
            <ActionError action={action} fields={{ name: `New name for ${passkey.name}` }} />
            <div className="form__actions">
              <button type="submit" className="button button--primary button--small" disabled={action.isBusy}>
                Save name
              </button>
              <button type="button" className="button button--secondary button--small" onClick={() => setIsRenaming(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
        {/* While renaming, the error is in the form, by its buttons. */}
        {isRenaming ? null : <ActionError action={action} />}
      </div>
      {isRenaming ? null : (
        <div className="row__actions">
          <button
            type="button"
            className="button button--secondary button--small"
            aria-label={`Rename passkey ${passkey.name}`}
            onClick={() => {
              setName(passkey.name)
              setIsRenaming(true)
            }}
          >
            Rename
          </button>
          <ConfirmAction
            label="Delete"
            accessibleLabel={`Delete passkey ${passkey.name}`}
            question={`Delete the passkey "${passkey.name}"? It will no longer sign you in.`}
            confirmLabel="Yes, delete"
            isBusy={action.isBusy}
            onConfirm={remove}
          />
        </div>
      )}
    </li>
  )
}

const AddPasskeyForm = ({ onAdded }: { onAdded: (passkey: { name: string; recoveryCodes: string[] }) => void }) => {
  const { client, refreshMe } = useAppSession()
  const [name, setName] = useState('')
  const [nameError, setNameError] = useState<string | undefined>(undefined)
  const nameRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const problem = nameProblem(name)
    setNameError(problem)
    if (problem !== undefined) return nameRef.current?.focus()
    void action.run(async () => {
      const options = await passkeyRegistrationOptions(client)
      const added = await addPasskey(client, await createPasskey(options), name.trim())
      setName('')
      await refreshMe()
      onAdded(added)
    })
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
      <TextField
        id="passkey-name"
        name="passkeyName"
        label="Passkey name"
        help="So you can tell your passkeys apart, e.g. the device or security key it lives on."
        maxLength={MAX_NAME}
        value={name}
        error={nameError ?? fieldErrorOf(action.error, 'name')}
        ref={nameRef}
        onChange={(event) => {
          setName(event.target.value)
          setNameError(undefined)
        }}
      />
      <ActionError action={action} fields={{ name: 'Passkey name' }} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Waiting for passkey…' : 'Add passkey'}
        </button>
      </div>
    </form>
  )
}

/** Passkeys: list with created and last used, add (with a name), rename, delete. */
export const PasskeysSection = () => {
  const me = useMe()
  const passkeys = useClientResource(fetchPasskeys)
  const [codes, setCodes] = useState<string[] | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const isSupported = canUsePasskeys()

  return (
    <SectionCard
      id="passkeys"
      title="Passkeys"
      intro="Sign in with your device's screen lock or a security key. Passkeys cannot be phished: they only work on this site."
    >
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ResourceView resource={passkeys.resource} loadingLabel="Loading passkeys" onRetry={passkeys.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">No passkeys yet.</p>
          ) : (
            <ul className="rows" aria-label="Your passkeys">
              {list.map((passkey) => (
                <PasskeyRow key={passkey.id} passkey={passkey} onChanged={passkeys.reload} />
              ))}
            </ul>
          )
        }
      </ResourceView>
      {codes !== undefined ? (
        <RecoveryCodesPanel codes={codes} account={me.user.email} onDone={() => setCodes(undefined)} />
      ) : isSupported ? (
        <AddPasskeyForm
          onAdded={(added) => {
            passkeys.reload()
            setNotice(`Passkey "${added.name}" added.`)
            if (added.recoveryCodes.length > 0) setCodes(added.recoveryCodes)
          }}
        />
      ) : (
        <Notice tone="info">This browser cannot create passkeys. Use a current Chrome, Edge, Firefox or Safari.</Notice>
      )}
    </SectionCard>
  )
}
