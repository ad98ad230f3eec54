import { useCallback } from 'react'
import { fetchAlerts } from '../../api/alerts/queries'
import { fetchUnreadCount } from '../../api/notifications/queries'
import { Link } from '../../components/link'
import { StatusBadge, type StatusTone } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { AlertSeverity, Workspace } from '../../lib/account-parsers'
import { alertTitle, severityLabel } from '../../lib/account-format'
import { useLiveTopics, useLiveUnread } from '../../lib/live-events'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { CardBody, OverviewCard } from './overview-card'

const REFRESH_MS = 60_000
const SHOWN = 5
const severityTones: Readonly<Record<AlertSeverity, StatusTone>> = { info: 'pending', warning: 'warn', critical: 'bad' }

/** The unread count and the five newest alerts, each opening the Alerts page. */
export const AlertsCard = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadAlerts = useCallback((signal: AbortSignal) => fetchAlerts(client, workspace.id, false, signal), [client, workspace.id])
  const loadUnread = useCallback((signal: AbortSignal) => fetchUnreadCount(client, workspace.id, signal), [client, workspace.id])
  const alerts = useResource(loadAlerts, { refreshMs: REFRESH_MS })
  const polledUnread = useResource(loadUnread, { refreshMs: REFRESH_MS })
  useLiveTopics(['alerts'], () => {
    alerts.reload()
    polledUnread.reload()
  })
  // The live stream carries the count itself; the poll covers the time it is down.
  const liveUnread = useLiveUnread()
  const unread = liveUnread ?? (polledUnread.resource.status === 'success' ? polledUnread.resource.data : undefined)

  return (
    <OverviewCard id="overview-alerts-title" title="Recent alerts" more={{ to: routePaths.alerts, label: 'Alerts' }}>
      <p className="overview-alerts__unread" aria-live="polite">
        {unread === undefined ? '\u00a0' : unread === 0 ? 'No unread alerts.' : <strong>{unread === 1 ? '1 unread alert' : `${unread} unread alerts`}</strong>}
      </p>
      <CardBody resource={alerts.resource} rows={3} label="Loading alerts" onRetry={alerts.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">Nothing so far. Bulwark raises an alert for new sign-ins, key changes, refused calls and failed orders.</p>
          ) : (
            <ul className="overview-list" aria-label="Recent alerts">
              {list.slice(0, SHOWN).map((alert) => (
                <li key={alert.id} className={`overview-list__item overview-list__item--wrap${alert.readAt === null ? ' overview-list__item--unread' : ''}`}>
                  <span className="overview-list__main">
                    <Link to={routePaths.alerts} className="overview-list__name">
                      {alertTitle(alert.rule)}
                    </Link>{' '}
                    <span className="overview-list__sub">
                      <TimeText iso={alert.lastSeenAt} />
                      {alert.readAt === null ? ' · unread' : ''}
                    </span>
                  </span>
                  <StatusBadge tone={severityTones[alert.severity]} label={severityLabel[alert.severity]} />
                </li>
              ))}
            </ul>
          )
        }
      </CardBody>
    </OverviewCard>
  )
}
