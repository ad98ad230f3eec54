import { useCallback, useEffect, useId, useRef, useState } from 'react'
import { markAlertRead } from '../api/alerts/mutations'
import { fetchAlerts } from '../api/alerts/queries'
import { ActionError } from '../components/action-error'
import { PageHeading } from '../components/page-heading'
import { ResourceView } from '../components/resource-view'
import { StatusBadge, type StatusTone } from '../components/status-badge'
import { TimeText } from '../components/time-text'
import { alertTitle, detailLabel, detailValue, formatDateTime, severityLabel } from '../lib/account-format'
import type { Alert, AlertSeverity, Workspace } from '../lib/account-parsers'
import { useAppSession } from '../lib/session-context'
import { useAction } from '../lib/use-action'
import { useResource } from '../lib/use-resource'
import { streamStateText, type UnreadStream } from '../lib/use-unread-stream'

const REFRESH_MS = 60_000

const severityTone: Record<AlertSeverity, StatusTone> = { info: 'pending', warning: 'warn', critical: 'bad' }

const AlertRow = ({ alert, workspaceId, onRead }: { alert: Alert; workspaceId: string; onRead: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const title = alertTitle(alert.rule)
  const details = Object.entries(alert.details)
  return (
    <li className={alert.readAt === null ? 'row row--unread' : 'row'}>
      <div className="row__main">
        <p className="row__title">
          <StatusBadge tone={severityTone[alert.severity]} label={severityLabel[alert.severity]} /> {title}
          {alert.readAt === null ? <span className="visually-hidden"> (unread)</span> : null}
        </p>
        <p className="row__meta">
          {alert.occurrences > 1 ? `${alert.occurrences} times, last ` : ''}
          <TimeText iso={alert.lastSeenAt} /> · first <time dateTime={alert.createdAt}>{formatDateTime(alert.createdAt)}</time>
        </p>
        {details.length === 0 ? null : (
          <dl className="details">
            {details.map(([key, value]) => (
              <div key={key} className="details__row">
                <dt>{detailLabel(key)}</dt>
                <dd>{detailValue(value)}</dd>
              </div>
            ))}
          </dl>
        )}
        <ActionError action={action} />
      </div>
      {alert.readAt === null ? (
        <div className="row__actions">
          <button
            type="button"
            className="button button--secondary button--small"
            aria-label={`Mark as read: ${title}`}
            disabled={action.isBusy}
            onClick={() =>
              void action.run(async () => {
                await markAlertRead(client, workspaceId, alert.id)
                onRead()
              })
            }
          >
            Mark as read
          </button>
        </div>
      ) : null}
    </li>
  )
}

const streamTone: Record<UnreadStream['state'], StatusTone> = { live: 'ok', connecting: 'pending', reconnecting: 'warn', offline: 'bad', unsupported: 'pending' }

/** The unread count as the live stream says it, and whether the stream is connected. */
const UnreadHeader = ({ live, listedUnread }: { live: UnreadStream; listedUnread: number | undefined }) => {
  const count = live.count ?? listedUnread
  return (
    <div className="inbox-header">
      <p className="inbox-header__count" aria-live="polite" aria-atomic="true">
        {count === undefined ? 'Counting unread alerts…' : count === 0 ? 'No unread alerts' : `${count} unread`}
      </p>
      <span className="inbox-header__state" title="New alerts and the unread count arrive here as they happen while the stream is live.">
        <StatusBadge tone={streamTone[live.state]} label={streamStateText[live.state]} />
      </span>
    </div>
  )
}

const AlertList = ({ workspace, onChanged, live }: { workspace: Workspace; onChanged: () => void; live: UnreadStream }) => {
  const { client } = useAppSession()
  const [isUnreadOnly, setIsUnreadOnly] = useState(false)
  const checkboxId = useId()
  const load = useCallback((signal: AbortSignal) => fetchAlerts(client, workspace.id, isUnreadOnly, signal), [client, workspace.id, isUnreadOnly])
  const alerts = useResource(load, { refreshMs: REFRESH_MS })
  const { reload } = alerts

  // A new count from the stream means alerts arrived or were read elsewhere: show the list as it is now.
  const lastCount = useRef(live.count)
  useEffect(() => {
    if (live.count === undefined || live.count === lastCount.current) return
    const isFirst = lastCount.current === undefined
    lastCount.current = live.count
    if (!isFirst) reload()
  }, [live.count, reload])

  const listedUnread = alerts.resource.status === 'success' && !isUnreadOnly ? alerts.resource.data.filter((alert) => alert.readAt === null).length : undefined

  const afterRead = () => {
    alerts.reload()
    onChanged()
  }

  return (
    <section className="card" aria-labelledby="alert-list-title">
      <UnreadHeader live={live} listedUnread={listedUnread} />
      <div className="card__header">
        <h3 id="alert-list-title" className="card__title">
          {workspace.name}
        </h3>
        <div className="checkbox">
          <input id={checkboxId} type="checkbox" checked={isUnreadOnly} onChange={(event) => setIsUnreadOnly(event.target.checked)} />
          <label htmlFor={checkboxId}>Show unread only</label>
        </div>
      </div>
      <ResourceView resource={alerts.resource} loadingLabel="Loading alerts" onRetry={alerts.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">{isUnreadOnly ? 'No unread alerts.' : 'No alerts.'}</p>
          ) : (
            <ul className="rows" aria-label="Alerts">
              {list.map((alert) => (
                <AlertRow key={alert.id} alert={alert} workspaceId={workspace.id} onRead={afterRead} />
              ))}
            </ul>
          )
        }
      </ResourceView>
    </section>
  )
}

type AlertsPageProps = { workspace: Workspace | undefined; onChanged: () => void; live: UnreadStream }

/**
 * The alerts inbox of the current workspace: the unread count live from the server's event stream (with
 * its connection state), the alerts by severity, and "mark as read", which updates every open count.
 */
export const AlertsPage = ({ workspace, onChanged, live }: AlertsPageProps) => (
  <>
    <div className="page-intro">
      <PageHeading id="alerts-title" title="Alerts" className="page-title" />
      <p className="card__intro">What Bulwark noticed in this workspace: sign-ins from new devices, refused requests, key problems.</p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there are no alerts to show.</p>
      </section>
    ) : (
      <AlertList key={workspace.id} workspace={workspace} onChanged={onChanged} live={live} />
    )}
  </>
)
