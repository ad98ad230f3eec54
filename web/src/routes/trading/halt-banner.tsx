import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { haltTrading, resumeTrading } from '../../api/trading/mutations'
import { fetchHalt } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { asSentence } from '../../lib/account-format'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useKeptData } from '../demo/polled'
import { canHalt, canResume } from './trading-format'
import { useLiveResource } from './use-live-refresh'
import { useWorkspaceLocked } from '../../lib/lock-context'

const MAX_REASON = 200

/** "Stop all trading": asks for a reason (kept with the halt and in the alert), then halts. */
const HaltForm = ({ workspace, onHalted }: { workspace: Workspace; onHalted: () => void }) => {
  const { client } = useAppSession()
  const [isAsking, setIsAsking] = useState(false)
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState<string | undefined>(undefined)
  const action = useAction()
  const startRef = useRef<HTMLButtonElement>(null)
  const hasAskedRef = useRef(false)
  const fieldId = useId()

  useEffect(() => {
    if (!isAsking && hasAskedRef.current) startRef.current?.focus()
  }, [isAsking])

  if (!isAsking) {
    return (
      <button
        type="button"
        ref={startRef}
        className="button button--danger"
        onClick={() => {
          hasAskedRef.current = true
          setIsAsking(true)
        }}
      >
        Stop all trading
      </button>
    )
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = reason.trim()
    if (trimmed === '') {
      setReasonError('Say why, for the alert and for whoever lifts the halt.')
      return
    }
    setReasonError(undefined)
    void action.run(async () => {
      await haltTrading(client, workspace.id, trimmed)
      setIsAsking(false)
      setReason('')
      onHalted()
    })
  }

  const question = `Stop every bot and Smart Trade in ${workspace.name}?`
  return (
    <form className="confirm trading-halt-form" aria-label={question} onSubmit={submit} noValidate aria-busy={action.isBusy}>
      <p className="confirm__question">{question}</p>
      <p>Every bot stops acting at once and no new order is sent until an owner or admin lifts the halt.</p>
      <TextField
        id={fieldId}
        label="Reason"
        maxLength={MAX_REASON}
        autoComplete="off"
        autoFocus
        value={reason}
        error={reasonError}
        onChange={(event) => setReason(event.target.value)}
      />
      <ActionError action={action} />
      <div className="confirm__actions">
        <button type="submit" className="button button--small button--danger" disabled={action.isBusy}>
          {action.isBusy ? 'Stopping…' : 'Yes, stop all trading'}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={() => setIsAsking(false)}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/**
 * The workspace's kill switch, on both trading pages: a banner while trading is halted (with lifting
 * for owners and admins, which needs step-up), and "Stop all trading" otherwise.
 */
export const HaltBanner = ({ workspace, onChanged }: { workspace: Workspace; onChanged: () => void }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchHalt(client, workspace.id, signal), [client, workspace.id])
  const { resource, reload } = useLiveResource(load, ['lock'])
  const halt = useKeptData(resource)
  const resume = useAction()
  const isLocked = useWorkspaceLocked()

  const changed = () => {
    reload()
    onChanged()
  }

  if (halt === undefined) {
    return resource.status === 'error' ? <p className="stale-note">Could not read the kill switch: {asSentence(resource.error.message)}</p> : null
  }

  if (halt.halted) {
    return (
      <section className="trading-halt trading-halt--on" aria-labelledby="trading-halt-title">
        <div role="status">
          <h3 id="trading-halt-title" className="trading-halt__title">
            Trading is halted
          </h3>
          <p>
            {halt.haltedAt === null ? 'No bot sends orders.' : <>No bot sends orders since <TimeText iso={halt.haltedAt} />.</>}
            {halt.reason === null ? null : <> Reason: “{halt.reason}”.</>}
          </p>
        </div>
        {canResume(workspace.role) && isLocked ? (
          <p>The halt can be lifted once the workspace is unlocked.</p>
        ) : canResume(workspace.role) ? (
          <div className="trading-halt__actions">
            <ConfirmAction
              label="Lift the halt"
              question="Lift the halt so bots and Smart Trades may trade again?"
              confirmLabel="Yes, lift it"
              tone="secondary"
              isBusy={resume.isBusy}
              onConfirm={() => void resume.run(async () => {
                await resumeTrading(client, workspace.id)
                changed()
              })}
            />
            <ActionError action={resume} />
          </div>
        ) : (
          <p className="field__help">An owner or admin of {workspace.name} can lift it.</p>
        )}
      </section>
    )
  }

  return (
    <section className="trading-halt" aria-labelledby="trading-kill-title">
      <div>
        <h3 id="trading-kill-title" className="trading-halt__title">
          Kill switch
        </h3>
        <p className="field__help">Stops every bot and Smart Trade in {workspace.name} at once.</p>
      </div>
      {canHalt(workspace.role) ? <HaltForm workspace={workspace} onHalted={changed} /> : null}
      {resource.status === 'error' ? <p className="stale-note">Not refreshed: {asSentence(resource.error.message)}</p> : null}
    </section>
  )
}
