import { useCallback } from 'react'
import { fetchChannels, fetchDeliveries } from '../../api/notifications/queries'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge, type StatusTone } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { alertTitle, severityLabel } from '../../lib/account-format'
import type { Delivery } from '../../lib/notification-parsers'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { DataTable } from '../../components/data-table'
import { usePages } from './use-pages'

const deliveryState: Record<string, { tone: StatusTone; text: string }> = {
  pending: { tone: 'pending', text: 'Waiting' },
  delivered: { tone: 'ok', text: 'Delivered' },
  failed: { tone: 'warn', text: 'Failed, retrying' },
  dead: { tone: 'bad', text: 'Gave up' },
}

const stateOf = (delivery: Delivery) => deliveryState[delivery.state] ?? { tone: 'pending' as const, text: delivery.state }

/** Each alert sent to a channel: state, attempts and the channel's last answer. */
export const DeliveriesCard = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadChannels = useCallback((signal: AbortSignal) => fetchChannels(client, workspace.id, signal), [client, workspace.id])
  const channels = useResource(loadChannels)
  const names = new Map((channels.resource.status === 'success' ? channels.resource.data : []).map((channel) => [channel.id, channel.label]))
  const loadPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => fetchDeliveries(client, workspace.id, cursor, signal).then((page) => ({ items: page.items, next: page.nextBefore })),
    [client, workspace.id],
  )
  const pages = usePages(loadPage)

  return (
    <section className="card mon-section" aria-labelledby="deliveries-title">
      <div className="card__header">
        <h3 id="deliveries-title" className="card__title">
          Delivery log
        </h3>
        <button type="button" className="button button--secondary button--small" onClick={pages.reload}>
          Refresh
        </button>
      </div>
      <ResourceView resource={pages.resource} loadingLabel="Loading deliveries" onRetry={pages.reload}>
        {(list) =>
          list.items.length === 0 ? (
            <p className="empty">Nothing sent to a channel yet.</p>
          ) : (
            <DataTable spaced label="Deliveries" head={['Time', 'Channel', 'Alert', 'State', 'Attempts', 'Last answer']} numeric={[4]}>
              {list.items.map((delivery) => {
                const state = stateOf(delivery)
                return (
                  <tr key={delivery.id}>
                    <td>
                      <TimeText iso={delivery.createdAt} />
                    </td>
                    <td>{names.get(delivery.channelId) ?? 'Removed channel'}</td>
                    <td>
                      {alertTitle(delivery.rule)} <span className="mon-sub">{severityLabel[delivery.severity]}</span>
                    </td>
                    <td>
                      <StatusBadge tone={state.tone} label={state.text} />
                    </td>
                    <td className="num">{delivery.attempts}</td>
                    <td className="cell-wrap">
                      {delivery.lastStatus === null ? '' : `HTTP ${delivery.lastStatus}`}
                      {delivery.lastError === null ? '' : `${delivery.lastStatus === null ? '' : ': '}${delivery.lastError}`}
                      {delivery.lastStatus === null && delivery.lastError === null ? '—' : ''}
                    </td>
                  </tr>
                )
              })}
            </DataTable>
          )
        }
      </ResourceView>
      {pages.moreButton('Show older deliveries')}
    </section>
  )
}
