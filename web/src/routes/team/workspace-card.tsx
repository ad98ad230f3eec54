import { useId, useRef, useState, type FormEvent } from 'react'
import { deleteWorkspace, renameWorkspace } from '../../api/team/mutations'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { WORKSPACE_NAME_MAX, workspaceNameProblem } from '../../components/new-workspace-dialog'
import { Notice } from '../../components/notice'
import { TextField } from '../../components/text-field'
import type { Workspace } from '../../lib/account-parsers'
import { fieldErrorOf } from '../../lib/api'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { navigate } from '../../lib/use-route'

/** The owner's: the workspace's name, and deleting it (its audit log stays for the record). */
export const WorkspaceCard = ({ workspace }: { workspace: Workspace }) => {
  const { client, refreshMe } = useAppSession()
  const ids = useId()
  const [name, setName] = useState(workspace.name)
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [isSaved, setIsSaved] = useState(false)
  const nameRef = useRef<HTMLInputElement>(null)
  const rename = useAction()
  const removal = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setIsSaved(false)
    const found = workspaceNameProblem(name)
    setProblem(found)
    if (found !== undefined) return nameRef.current?.focus()
    void rename.run(async () => {
      await renameWorkspace(client, workspace.id, name.trim())
      await refreshMe() // the header shows the new name
      setIsSaved(true)
    })
  }

  return (
    <section className="card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card__title">
        The workspace
      </h3>
      <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={rename.isBusy} aria-label="Rename the workspace">
        <TextField
          id={`${ids}-name`}
          name="name"
          label="Workspace name"
          maxLength={WORKSPACE_NAME_MAX}
          autoComplete="off"
          value={name}
          error={problem ?? fieldErrorOf(rename.error, 'name')}
          ref={nameRef}
          onChange={(event) => {
            setName(event.target.value)
            setProblem(undefined)
            setIsSaved(false)
          }}
        />
        <ActionError action={rename} fields={{ name: 'Workspace name' }} />
        {isSaved ? <Notice tone="success">Renamed.</Notice> : null}
        <div className="form__actions">
          <button type="submit" className="button button--secondary" disabled={rename.isBusy}>
            {rename.isBusy ? 'Saving…' : 'Rename'}
          </button>
        </div>
      </form>
      <h4 className="subsection__title team-subtitle">Delete the workspace</h4>
      <p className="card__intro">
        Remove its exchange accounts and stop its bots first. Every member loses access and its API tokens stop; its audit log is kept for the record. Your personal
        workspace cannot be deleted.
      </p>
      <ActionError action={removal} />
      <div className="form__actions form__actions--spaced">
        <ConfirmAction
          label="Delete workspace"
          question={`Delete ${workspace.name} for every member? This cannot be undone.`}
          confirmLabel="Yes, delete it"
          isBusy={removal.isBusy}
          onConfirm={() =>
            void removal.run(async () => {
              await deleteWorkspace(client, workspace.id)
              await refreshMe()
              navigate(routePaths.home)
            })
          }
        />
      </div>
    </section>
  )
}
