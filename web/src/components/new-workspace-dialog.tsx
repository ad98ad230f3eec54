import { useEffect, useRef, useState, type FormEvent } from 'react'
import { createWorkspace } from '../api/team/mutations'
import { fieldErrorOf } from '../lib/api'
import { useAppSession } from '../lib/session-context'
import type { CreatedWorkspace } from '../lib/team-parsers'
import { useAction } from '../lib/use-action'
import { ActionError } from './action-error'
import { TextField } from './text-field'

export const WORKSPACE_NAME_MAX = 80

/** The name as it will be sent, or the problem with it. */
export const workspaceNameProblem = (name: string): string | undefined => {
  const trimmed = name.trim()
  if (trimmed === '') return 'Name the workspace, e.g. after the desk or fund it is for.'
  if (trimmed.length > WORKSPACE_NAME_MAX) return `Use at most ${WORKSPACE_NAME_MAX} characters.`
  return undefined
}

type Props = { onClose: () => void; onCreated: (workspace: CreatedWorkspace) => Promise<void> }

/**
 * "New workspace": a name, and the caller becomes its owner. Team workspaces start with four-eyes
 * approvals on. A native modal <dialog>: focus stays inside, Escape closes it.
 */
export const NewWorkspaceDialog = ({ onClose, onCreated }: Props) => {
  const { client } = useAppSession()
  const dialogRef = useRef<HTMLDialogElement>(null)
  const inputRef = useRef<HTMLInputElement>(null)
  const [name, setName] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const action = useAction()

  useEffect(() => {
    const dialog = dialogRef.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const found = workspaceNameProblem(name)
    setProblem(found)
    if (found !== undefined) return inputRef.current?.focus()
    void action.run(async () => onCreated(await createWorkspace(client, name.trim())))
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby="new-workspace-title"
      aria-describedby="new-workspace-intro"
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
    >
      <h2 id="new-workspace-title" className="card__title">
        New workspace
      </h2>
      <p id="new-workspace-intro" className="card__intro">
        A workspace has its own exchange accounts, bots, members and audit log. You will be its owner; invite others from its Team page. High-risk changes in it wait
        for a second owner or admin.
      </p>
      <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <TextField
          id="new-workspace-name"
          name="name"
          label="Workspace name"
          maxLength={WORKSPACE_NAME_MAX}
          autoComplete="off"
          value={name}
          error={problem ?? fieldErrorOf(action.error, 'name')}
          ref={inputRef}
          onChange={(event) => {
            setName(event.target.value)
            setProblem(undefined)
          }}
        />
        <ActionError action={action} fields={{ name: 'Workspace name' }} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Creating…' : 'Create workspace'}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  )
}
