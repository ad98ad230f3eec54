import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { logout } from '../../api/auth/mutations'
import { lockDown } from '../../api/incident/mutations'
import { fetchKeyHealth } from '../../api/security/queries'
import { fetchSettings } from '../../api/settings/queries'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { ordersConsequence, ordersModeText } from '../../lib/monitoring-format'
import { lockdownOrderModes, type LockdownOrdersMode } from '../../lib/notification-parsers'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { navigate } from '../../lib/use-route'
import { useResource } from '../../lib/use-resource'
import { ActionProblem } from './action-problem'
import { saveLockdownReceipt } from './lockdown-receipt'

const MAX_REASON = 300

/**
 * "Lock everything down?": says exactly what happens before it happens, then POSTs the lockdown (the
 * API client asks for a fresh step-up first). The lockdown ends every session of the workspace, this
 * one too, so on success the page signs this browser out itself (whatever the server's timing) and
 * shows the "locked down" page, which stays up while signed out.
 */
const LockdownDialog = ({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) => {
  const { client, recheckSession } = useAppSession()
  const dialogRef = useRef<HTMLDialogElement>(null)
  const action = useAction()
  const ids = useId()
  const loadSettings = useCallback((signal: AbortSignal) => fetchSettings(client, workspace.id, signal), [client, workspace.id])
  const settings = useResource(loadSettings)
  const loadKeys = useCallback((signal: AbortSignal) => fetchKeyHealth(client, workspace.id, signal), [client, workspace.id])
  const keys = useResource(loadKeys)
  const [chosenMode, setChosenMode] = useState<LockdownOrdersMode | undefined>(undefined)
  const [reason, setReason] = useState('')

  useEffect(() => {
    const dialog = dialogRef.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])

  const configuredMode = settings.resource.status === 'success' ? settings.resource.data.lockdown.orders : 'cancel'
  const mode = chosenMode ?? configuredMode
  const keyCount = keys.resource.status === 'success' ? keys.resource.data.filter((key) => key.state !== 'destroyed').length : undefined

  const confirm = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = reason.trim()
    void action.run(async () => {
      const result = await lockDown(client, workspace.id, { ...(trimmed === '' ? {} : { reason: trimmed.slice(0, MAX_REASON) }), orders: mode })
      saveLockdownReceipt({ workspaceName: workspace.name, incidentId: result.incident.id, keysDisabled: result.keysDisabled, ordersMode: mode, at: result.incident.openedAt })
      // The server ends every session of the workspace in a moment; this browser's ends now.
      try {
        await logout(client)
      } catch {
        // Already ended by the lockdown: that is the point.
      }
      navigate(routePaths.lockedDown)
      recheckSession()
    })
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog dialog--wide lockdown-dialog"
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-intro`}
      onCancel={(event) => {
        event.preventDefault()
        if (!action.isBusy) onClose()
      }}
    >
      <h2 id={`${ids}-title`} className="card__title lockdown-dialog__title">
        Lock everything down?
      </h2>
      <p id={`${ids}-intro`} className="lockdown-dialog__intro">
        Use this if you think someone else is using your account or your exchange keys. It acts at once on <strong>{workspace.name}</strong>:
      </p>
      <ul className="lockdown-dialog__list">
        <li>
          {keyCount === undefined ? 'Every exchange key' : keyCount === 0 ? 'Every exchange key (there are none yet)' : `Every exchange key (${plural(keyCount, 'key', 'keys')})`} is
          disabled in the signer: from that moment it refuses every request.
        </li>
        <li>Every bot and Smart Trade stops, and trading is halted.</li>
        <li>{ordersConsequence(mode)}</li>
        <li>Everyone in the workspace is signed out, you included, and its API tokens stop working.</li>
        <li>Every member gets an alert and an email.</li>
      </ul>
      <p className="hint">
        The workspace stays locked until an owner or admin unlocks it with their password and second factor, a link emailed to them, and a waiting period. Keys
        then come back one at a time, each checked at the exchange again.
      </p>
      <form className="form form--spaced" onSubmit={confirm} noValidate aria-busy={action.isBusy}>
        <SelectField
          id={`${ids}-orders`}
          label="Open orders"
          value={mode}
          onChange={(event) => setChosenMode(lockdownOrderModes.find((option) => option === event.target.value) ?? 'cancel')}
          help={mode === configuredMode ? 'As set for this workspace under Notifications → Lockdown.' : 'Only for this lockdown; the workspace setting stays as it is.'}
          disabled={action.isBusy}
        >
          {lockdownOrderModes.map((option) => (
            <option key={option} value={option}>
              {ordersModeText[option]}
            </option>
          ))}
        </SelectField>
        <TextField
          id={`${ids}-reason`}
          label="Reason (optional)"
          help="Shown in the incident, the alert and the emails."
          value={reason}
          maxLength={MAX_REASON}
          onChange={(event) => setReason(event.target.value)}
          disabled={action.isBusy}
        />
        <ActionProblem action={action} kind="lockdown" />
        <div className="form__actions">
          <button type="submit" className="button button--danger" disabled={action.isBusy}>
            {action.isBusy ? 'Locking down…' : 'Yes, lock everything down'}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose} disabled={action.isBusy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  )
}

/** The red button, always in the page header for those who may pull the brake. */
export const LockdownButton = ({ workspace }: { workspace: Workspace }) => {
  const [isOpen, setIsOpen] = useState(false)
  const buttonRef = useRef<HTMLButtonElement>(null)
  return (
    <>
      <button type="button" ref={buttonRef} className="button button--danger button--small lockdown-button" onClick={() => setIsOpen(true)}>
        Lock everything down
      </button>
      {isOpen ? (
        <LockdownDialog
          workspace={workspace}
          onClose={() => {
            setIsOpen(false)
            buttonRef.current?.focus()
          }}
        />
      ) : null}
    </>
  )
}
