import { useCallback, useEffect, useRef, useState } from 'react'
import { reenableKey } from '../../api/incident/mutations'
import { fetchIncident, fetchIncidents, fetchLockStatus } from '../../api/incident/queries'
import { fetchKeyHealth } from '../../api/security/queries'
import { Link } from '../../components/link'
import { Notice } from '../../components/notice'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { formatDateTime } from '../../lib/account-format'
import type { IncidentDetail, UnlockRequested } from '../../lib/incident-parsers'
import {
  formatCountdown,
  incidentStateText,
  incidentStateTone,
  keyStateText,
  keyStateTone,
  ordersConsequence,
  timelineText,
  triggerText,
  unlockStage,
} from '../../lib/monitoring-format'
import type { KeyHealth } from '../../lib/monitoring-parsers'
import { itemPathFor, routePaths, type Route } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'
import { ActionProblem } from './action-problem'
import { NoWorkspace, isOwnerOrAdmin } from './no-workspace'
import { announceLockChange } from './lock-events'
import { SectionNav } from './section-nav'
import { UnlockForm } from './unlock-form'

/** While something is still happening (steps finishing, the unlock under way) the page asks often. */
const ACTIVE_REFRESH_MS = 3_000
const QUIET_REFRESH_MS = 60_000

const Timeline = ({ incident }: { incident: IncidentDetail }) => (
  <ol className="mon-timeline" aria-label="Timeline">
    {incident.timeline.map((event) => {
      const text = timelineText(event)
      const tone = event.outcome === 'failure' ? 'bad' : event.outcome === 'skipped' ? 'pending' : 'ok'
      return (
        <li key={event.id} className={`mon-timeline__item mon-timeline__item--${tone}`}>
          <p className="mon-timeline__title">
            <StatusBadge tone={tone} label={event.outcome === 'failure' ? 'Failed' : event.outcome === 'skipped' ? 'Skipped' : 'Done'} /> {text.title}
          </p>
          <p className="row__meta">
            <time dateTime={event.at}>{formatDateTime(event.at)}</time>
            {text.detail === undefined ? null : ` · ${text.detail}`}
          </p>
        </li>
      )
    })}
  </ol>
)

/** Ticks every second until `until`, then calls `onDone` once. */
const Countdown = ({ until, onDone }: { until: string; onDone: () => void }) => {
  const [now, setNow] = useState(() => Date.now())
  const end = new Date(until).getTime()
  const left = end - now
  useEffect(() => {
    if (left <= 0) {
      onDone()
      return
    }
    const timer = setTimeout(() => setNow(Date.now()), Math.min(1000, left))
    return () => clearTimeout(timer)
  }, [left, onDone])
  return (
    <p className="mon-countdown">
      {left > 0 ? (
        <>
          Opens in <strong className="mon-countdown__time">{formatCountdown(left)}</strong>, at {formatDateTime(until)}.
        </>
      ) : (
        'The waiting period is over: opening the workspace…'
      )}
    </p>
  )
}

const KeyReenableRow = ({ workspace, keyHealth, onChanged }: { workspace: Workspace; keyHealth: KeyHealth; onChanged: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const [pending, setPending] = useState(false)
  const name = `${keyHealth.label} (${keyHealth.exchange})`
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          {name} <StatusBadge tone={keyStateTone(keyHealth.state)} label={keyStateText[keyHealth.state] ?? keyHealth.state} />
        </p>
        {keyHealth.disabledReason === null ? null : <p className="row__meta">{keyHealth.disabledReason}</p>}
        {pending ? (
          <Notice tone="info">
            <p className="notice__message">Re-verified at the exchange. Waiting for your confirmation.</p>
            <p>
              Confirm it with your passkey under <Link to={routePaths.exchanges}>Exchanges → Pending changes</Link>; without a passkey it applies after the announced delay.
            </p>
          </Notice>
        ) : null}
        <ActionProblem action={action} kind="reenable" />
      </div>
      {keyHealth.state === 'disabled' && !pending ? (
        <div className="row__actions">
          <button
            type="button"
            className="button button--secondary button--small"
            aria-label={`Re-enable ${name}`}
            disabled={action.isBusy}
            onClick={() =>
              void action.run(async () => {
                await reenableKey(client, workspace.id, keyHealth.keyId)
                setPending(true)
                onChanged()
              })
            }
          >
            {action.isBusy ? 'Checking at the exchange…' : 'Re-enable'}
          </button>
        </div>
      ) : null}
    </li>
  )
}

/** After the unlock: keys come back one at a time, each re-verified and confirmed through the signer. */
const KeysBack = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchKeyHealth(client, workspace.id, signal), [client, workspace.id])
  const keys = useResource(load)
  return (
    <section className="card mon-section" aria-labelledby="keys-back-title">
      <h3 id="keys-back-title" className="card__title">
        Bring keys back
      </h3>
      <p className="card__intro">Each key is checked at the exchange again (no withdrawals, IP whitelist on) before it may trade. Bots stay stopped until you start them.</p>
      <ResourceView resource={keys.resource} loadingLabel="Loading keys" onRetry={keys.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">This workspace has no exchange keys.</p>
          ) : (
            <ul className="rows" aria-label="Keys to re-enable">
              {list.map((key) => (
                <KeyReenableRow key={key.keyId} workspace={workspace} keyHealth={key} onChanged={keys.reload} />
              ))}
            </ul>
          )
        }
      </ResourceView>
    </section>
  )
}

const UnlockSection = ({ workspace, incident, onChanged }: { workspace: Workspace; incident: IncidentDetail; onChanged: () => void }) => {
  const [requested, setRequested] = useState<UnlockRequested | undefined>(undefined)
  const [isAskingAgain, setIsAskingAgain] = useState(false)
  const stage = unlockStage(incident)
  const canUnlock = isOwnerOrAdmin(workspace.role)
  const { refreshMe } = useAppSession()
  // The unlock form offers the factors the account has now (one may have been added in another tab).
  // Once per mount: refreshMe changes with every session update, including the one it causes.
  const hasRefreshed = useRef(false)
  useEffect(() => {
    if (hasRefreshed.current) return
    hasRefreshed.current = true
    void refreshMe()
  }, [refreshMe])

  const body = (() => {
    if (stage === 'cooling_off' && incident.unlockNotBefore !== null) {
      return (
        <>
          <Notice tone="info">
            <p className="notice__message">Unlock confirmed. A waiting period gives everyone time to object: a new lockdown cancels it.</p>
          </Notice>
          <Countdown until={incident.unlockNotBefore} onDone={onChanged} />
        </>
      )
    }
    if (stage === 'awaiting_approval') {
      return (
        <Notice tone="info">
          <p className="notice__message">Waiting for approval: the waiting period is over, and a second owner or admin must approve the unlock within 24 hours.</p>
          <p>
            Until then {workspace.name} stays locked. <Link to={routePaths.approvals}>Follow it under Approvals</Link>
          </p>
        </Notice>
      )
    }
    if (stage === 'awaiting_email' && !isAskingAgain) {
      return (
        <>
          <Notice tone="info">
            <p className="notice__message">Check your email.</p>
            <p>
              {requested === undefined ? 'A confirmation link was emailed to whoever asked to unlock.' : `We emailed a confirmation link to ${requested.emailedTo}.`} Open it
              to confirm the unlock; it works once, for an hour. The workspace then opens after the waiting period
              {requested?.approvalRequired === true ? ', once a second owner or admin approves it' : ''}.
            </p>
          </Notice>
          {canUnlock ? (
            <div className="form__actions form__actions--spaced">
              <button type="button" className="button button--secondary" onClick={() => setIsAskingAgain(true)}>
                Send a new link
              </button>
            </div>
          ) : null}
        </>
      )
    }
    if (!canUnlock) return <p className="card__intro">Owners and admins of {workspace.name} unlock it, with their password and second factor.</p>
    return (
      <>
        <ol className="mon-steps">
          <li>Your password and second factor.</li>
          <li>A confirmation link, emailed to you.</li>
          <li>A waiting period, then the workspace opens.</li>
          <li>Keys come back one at a time.</li>
        </ol>
        <UnlockForm
          workspace={workspace}
          onRequested={(result) => {
            setRequested(result)
            setIsAskingAgain(false)
            onChanged()
          }}
        />
      </>
    )
  })()

  return (
    <section className="card mon-section" aria-labelledby="unlock-title">
      <h3 id="unlock-title" className="card__title">
        Unlock
      </h3>
      {body}
    </section>
  )
}

const IncidentView = ({ workspace, incidentId, onChanged }: { workspace: Workspace; incidentId: string; onChanged: () => void }) => {
  const { client } = useAppSession()
  const [isActive, setIsActive] = useState(true)
  const load = useCallback((signal: AbortSignal) => fetchIncident(client, workspace.id, incidentId, signal), [client, workspace.id, incidentId])
  const incident = useResource(load, { refreshMs: isActive ? ACTIVE_REFRESH_MS : QUIET_REFRESH_MS })
  const data = incident.resource.status === 'success' ? incident.resource.data : undefined
  const isResolved = data?.state === 'resolved'
  const state = data?.state
  useEffect(() => {
    if (state === undefined) return
    setIsActive(state !== 'resolved')
    if (state === 'resolved') announceLockChange()
  }, [state])
  const { reload } = incident
  const changed = useCallback(() => {
    reload()
    onChanged()
  }, [reload, onChanged])

  return (
    <>
      <section className="card mon-section" aria-labelledby="incident-title">
        <ResourceView resource={incident.resource} loadingLabel="Loading the incident" onRetry={incident.reload}>
          {(detail) => (
            <>
              <div className="card__header">
                <h3 id="incident-title" className="card__title">
                  Incident of <time dateTime={detail.openedAt}>{formatDateTime(detail.openedAt)}</time>
                </h3>
                <StatusBadge tone={incidentStateTone[detail.state]} label={incidentStateText[detail.state]} />
              </div>
              <dl className="details">
                <div className="details__row">
                  <dt>Started with</dt>
                  <dd>{triggerText[detail.trigger] ?? detail.trigger}</dd>
                </div>
                <div className="details__row">
                  <dt>Reason</dt>
                  <dd>{detail.reason}</dd>
                </div>
                <div className="details__row">
                  <dt>Open orders</dt>
                  <dd>{ordersConsequence(detail.ordersMode)}</dd>
                </div>
                {detail.resolvedAt === null ? null : (
                  <div className="details__row">
                    <dt>Unlocked</dt>
                    <dd>
                      <TimeText iso={detail.resolvedAt} />
                    </dd>
                  </div>
                )}
              </dl>
              <h4 className="subsection__title mon-subtitle">Timeline</h4>
              <Timeline incident={detail} />
            </>
          )}
        </ResourceView>
      </section>
      {data === undefined ? null : isResolved ? <KeysBack workspace={workspace} /> : <UnlockSection workspace={workspace} incident={data} onChanged={changed} />}
    </>
  )
}

const WorkspaceIncidents = ({ workspace, itemId }: { workspace: Workspace; itemId: string | undefined }) => {
  const { client } = useAppSession()
  const loadStatus = useCallback((signal: AbortSignal) => fetchLockStatus(client, workspace.id, signal), [client, workspace.id])
  const status = useResource(loadStatus, { refreshMs: QUIET_REFRESH_MS })
  const loadList = useCallback((signal: AbortSignal) => fetchIncidents(client, workspace.id, signal), [client, workspace.id])
  const list = useResource(loadList, { refreshMs: QUIET_REFRESH_MS })
  // The open incident, else the newest one: after an unlock its page is where keys come back.
  const openId = status.resource.status === 'success' ? status.resource.data.incident?.id : undefined
  const newestId = list.resource.status === 'success' ? list.resource.data[0]?.id : undefined
  const shownId = itemId ?? openId ?? newestId
  const { reload: reloadStatus } = status
  const { reload: reloadList } = list
  const changed = useCallback(() => {
    reloadStatus()
    reloadList()
  }, [reloadStatus, reloadList])

  return (
    <>
      {status.resource.status === 'success' && !status.resource.data.locked && itemId === undefined ? (
        <Notice tone="success">
          <p className="notice__message">{workspace.name} is not locked down.</p>
        </Notice>
      ) : null}
      {shownId === undefined ? null : <IncidentView key={shownId} workspace={workspace} incidentId={shownId} onChanged={changed} />}
      <section className="card mon-section" aria-labelledby="incident-list-title">
        <h3 id="incident-list-title" className="card__title">
          All incidents
        </h3>
        <ResourceView resource={list.resource} loadingLabel="Loading incidents" onRetry={list.reload}>
          {(incidents) =>
            incidents.length === 0 ? (
              <p className="empty">No lockdown so far.</p>
            ) : (
              <ul className="rows" aria-label="Incidents">
                {incidents.map((incident) => (
                  <li key={incident.id} className="row">
                    <div className="row__main">
                      <p className="row__title">
                        <Link to={itemPathFor('incidents', incident.id)} aria-current={incident.id === shownId ? 'page' : undefined}>
                          {formatDateTime(incident.openedAt)}
                        </Link>
                        <StatusBadge tone={incidentStateTone[incident.state]} label={incidentStateText[incident.state]} />
                      </p>
                      <p className="row__meta">
                        {incident.reason} · started with {triggerText[incident.trigger] ?? incident.trigger}
                      </p>
                    </div>
                  </li>
                ))}
              </ul>
            )
          }
        </ResourceView>
      </section>
    </>
  )
}

/** Lockdowns of the workspace: the current one with its timeline and the unlock, then the history. */
export const IncidentsPage = ({ workspace, route }: { workspace: Workspace | undefined; route: Route }) => (
  <>
    <div className="page-intro">
      <PageHeading id="incidents-title" title="Incidents" className="page-title" />
      <p className="card__intro">What each lockdown did, step by step, and how the workspace is unlocked.</p>
    </div>
    <SectionNav route={route} />
    {workspace === undefined ? (
      <NoWorkspace what="are no incidents" />
    ) : (
      <WorkspaceIncidents key={workspace.id} workspace={workspace} itemId={route.name === 'incidents' ? route.id : undefined} />
    )}
  </>
)
