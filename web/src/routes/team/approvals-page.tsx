import { useCallback, useEffect, useId, useRef, useState } from 'react'
import { approveRequest, cancelRequest, rejectRequest } from '../../api/approvals/mutations'
import { fetchApprovals } from '../../api/approvals/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { DataTable } from '../../components/data-table'
import { ErrorNotice } from '../../components/error-notice'
import { Notice } from '../../components/notice'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TextAreaField } from '../../components/text-area-field'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { ApiError } from '../../lib/api'
import { useAppSession, useMe } from '../../lib/session-context'
import { approvalDetailRows, approvalKindLabel, approvalStateText, approvalStateTone, personText, sortApprovals, timeLeftText } from '../../lib/team-format'
import type { Approval } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { NoWorkspace } from '../monitoring/no-workspace'
import { useLiveResource } from '../trading/use-live-refresh'
import './team.css'

const NOTE_MAX = 500

/** What the page says after a decision, above the lists (the decided request leaves the pending list). */
type Outcome = { tone: 'success' | 'info'; text: string } | { tone: 'error'; error: ApiError }

const outcomeOf = (decided: Approval, verb: 'approved' | 'rejected' | 'cancelled'): Outcome => {
  if (decided.state === 'failed') {
    return { tone: 'error', error: new ApiError('APPLY_FAILED', `Approved, but applying it failed: ${decided.note ?? 'the server gave no reason'}. Nothing changed.`) }
  }
  if (verb === 'approved') return { tone: 'success', text: `Approved and applied: ${decided.summary}.` }
  return { tone: 'info', text: verb === 'rejected' ? `Rejected: ${decided.summary}. Nothing changed.` : `Cancelled: ${decided.summary}. Nothing changed.` }
}

type RowProps = { workspace: Workspace; approval: Approval; onDecided: (outcome: Outcome) => void }

/** What the change carries, for the approver to check against the summary. */
const ApprovalDetails = ({ approval }: { approval: Approval }) => {
  const rows = approvalDetailRows(approval.details)
  if (rows.length === 0) return null
  return (
    <dl className="details" aria-label={`Details of: ${approval.summary}`}>
      {rows.map((row) => (
        <div key={row.label} className="details__row">
          <dt>{row.label}</dt>
          <dd>{row.value}</dd>
        </div>
      ))}
    </dl>
  )
}

const PendingRow = ({ workspace, approval, onDecided }: RowProps) => {
  const { client } = useAppSession()
  const me = useMe()
  const ids = useId()
  const action = useAction()
  const [isRejecting, setIsRejecting] = useState(false)
  const [note, setNote] = useState('')
  const [noteProblem, setNoteProblem] = useState<string | undefined>(undefined)
  const isMine = approval.requestedBy?.userId === me.user.id
  const now = new Date()

  const reject = () => {
    if (note.trim().length > NOTE_MAX) {
      setNoteProblem(`Use at most ${NOTE_MAX} characters.`)
      return
    }
    void action.run(async () => onDecided(outcomeOf(await rejectRequest(client, workspace.id, approval.id, note), 'rejected')))
  }

  return (
    <li className="row">
      <div className="row__main">
        <p className="approval__summary">{approval.summary}</p>
        <p className="row__title">
          <span className="tag">{approvalKindLabel(approval.kind)}</span>
          <StatusBadge tone="pending" label={timeLeftText(approval.expiresAt, now)} />
          {isMine ? <span className="tag">You asked for this</span> : null}
        </p>
        <p className="row__meta">
          Asked by {isMine ? 'you' : personText(approval.requestedBy)} <TimeText iso={approval.requestedAt} />
          {approval.canDecide || isMine ? '' : ' · an owner or admin other than the requester decides'}
        </p>
        <ApprovalDetails approval={approval} />
        <ActionError action={action} />
        {isRejecting ? (
          <div className="approval__reject" role="group" aria-label={`Reject: ${approval.summary}`}>
            <TextAreaField
              id={`${ids}-note`}
              label="Why (optional, the requester sees it)"
              rows={2}
              maxLength={NOTE_MAX}
              value={note}
              error={noteProblem}
              onChange={(event) => {
                setNote(event.target.value)
                setNoteProblem(undefined)
              }}
            />
            <div className="form__actions">
              <button type="button" className="button button--danger button--small" disabled={action.isBusy} onClick={reject}>
                {action.isBusy ? 'Rejecting…' : 'Reject the request'}
              </button>
              <button type="button" className="button button--secondary button--small" onClick={() => setIsRejecting(false)}>
                Back
              </button>
            </div>
          </div>
        ) : null}
      </div>
      <div className="row__actions">
        {approval.canDecide && !isRejecting ? (
          <>
            <button
              type="button"
              className="button button--primary button--small"
              aria-label={`Approve: ${approval.summary}`}
              disabled={action.isBusy}
              onClick={() => void action.run(async () => onDecided(outcomeOf(await approveRequest(client, workspace.id, approval.id), 'approved')))}
            >
              {action.isBusy ? 'Approving…' : 'Approve'}
            </button>
            <button type="button" className="button button--secondary button--small" aria-label={`Reject: ${approval.summary}`} onClick={() => setIsRejecting(true)}>
              Reject
            </button>
          </>
        ) : null}
        {isMine ? (
          <ConfirmAction
            label="Cancel request"
            accessibleLabel={`Cancel your request: ${approval.summary}`}
            question="Cancel your request? Nothing changes."
            confirmLabel="Yes, cancel it"
            cancelLabel="Keep it"
            isBusy={action.isBusy}
            onConfirm={() => void action.run(async () => onDecided(outcomeOf(await cancelRequest(client, workspace.id, approval.id), 'cancelled')))}
          />
        ) : null}
      </div>
    </li>
  )
}

const HistoryTable = ({ list }: { list: readonly Approval[] }) => (
  <DataTable label="Decided requests" head={['Request', 'Outcome', 'Asked by', 'Decided by', 'When']} spaced>
    {list.map((approval) => (
      <tr key={approval.id}>
        <th scope="row" className="cell-wrap">
          {approval.summary}
          {approval.note === null ? null : <p className="approval__note">{approval.note}</p>}
        </th>
        <td>
          <StatusBadge tone={approvalStateTone[approval.state]} label={approvalStateText[approval.state]} />
        </td>
        <td>{personText(approval.requestedBy)}</td>
        <td>{approval.decidedBy === null ? (approval.state === 'expired' ? 'Nobody in 24 hours' : '—') : personText(approval.decidedBy)}</td>
        <td>
          <TimeText iso={approval.decidedAt ?? approval.expiresAt} />
        </td>
      </tr>
    ))}
  </DataTable>
)

const WorkspaceApprovals = ({ workspace, onChanged }: { workspace: Workspace; onChanged: () => void }) => {
  const { client } = useAppSession()
  const loadPending = useCallback((signal: AbortSignal) => fetchApprovals(client, workspace.id, 'pending', signal), [client, workspace.id])
  const loadDecided = useCallback((signal: AbortSignal) => fetchApprovals(client, workspace.id, 'decided', signal), [client, workspace.id])
  const pending = useLiveResource(loadPending, ['approvals'])
  const decided = useLiveResource(loadDecided, ['approvals'])
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined)
  // The decided request leaves the list with the button that was pressed: the outcome takes the focus.
  const outcomeRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (outcome !== undefined) outcomeRef.current?.focus()
  }, [outcome])

  const decidedOne = (next: Outcome) => {
    setOutcome(next)
    pending.reload()
    decided.reload()
    onChanged()
  }

  return (
    <>
      {outcome === undefined ? null : outcome.tone === 'error' ? (
        <ErrorNotice key={outcome.error.message} error={outcome.error} ref={outcomeRef} />
      ) : (
        <Notice key={outcome.text} tone={outcome.tone} ref={outcomeRef}>
          {outcome.text}
        </Notice>
      )}
      <section className="card" aria-labelledby="pending-title">
        <h3 id="pending-title" className="card__title">
          Waiting for approval
        </h3>
        <p className="card__intro">
          Approving applies the change at once and asks you to confirm it's you. You cannot approve your own request. A request nobody approves expires after 24 hours.
        </p>
        <ResourceView resource={pending.resource} loadingLabel="Loading pending requests" onRetry={pending.reload}>
          {(list) =>
            list.length === 0 ? (
              <p className="empty">Nothing is waiting.</p>
            ) : (
              <ul className="rows" aria-label="Pending requests">
                {sortApprovals(list).map((approval) => (
                  <PendingRow key={approval.id} workspace={workspace} approval={approval} onDecided={decidedOne} />
                ))}
              </ul>
            )
          }
        </ResourceView>
      </section>
      <section className="card" aria-labelledby="history-title">
        <h3 id="history-title" className="card__title">
          History
        </h3>
        <ResourceView resource={decided.resource} loadingLabel="Loading decided requests" onRetry={decided.reload}>
          {(list) => (list.length === 0 ? <p className="empty">No decisions yet.</p> : <HistoryTable list={sortApprovals(list)} />)}
        </ResourceView>
      </section>
    </>
  )
}

/** Four-eyes (R42): high-risk changes wait here for a second owner or admin; everyone sees them. */
export const ApprovalsPage = ({ workspace, onChanged }: { workspace: Workspace | undefined; onChanged: () => void }) => (
  <div className="team-page">
    <div className="page-intro">
      <PageHeading id="approvals-title" title="Approvals" className="page-title" />
      <p className="card__intro">
        Connecting or replacing a key, raising risk limits, promoting a bot to real funds, giving a member more rights, relaxing a policy and unlocking after a lockdown
        wait here until a second owner or admin approves them.
      </p>
    </div>
    {workspace === undefined ? <NoWorkspace what="is nothing to approve" /> : <WorkspaceApprovals key={workspace.id} workspace={workspace} onChanged={onChanged} />}
  </div>
)
