import { StatusBadge } from '../../components/status-badge'
import { asSentence, formatDateTime } from '../../lib/account-format'
import { feedBadge, isoOf } from '../../lib/demo-format'
import type { DemoFeed } from '../../lib/demo-parsers'
import type { Resource } from '../../lib/use-resource'

type Props = {
  feed: Resource<DemoFeed>
  /** The page's one copy announces changes (role="status"); the copies beside each view stay quiet. */
  isAnnounced?: boolean
}

/**
 * Where the demo prices come from, shown wherever demo data is: never hidden, and a warning when the
 * source is unreachable or a fallback stands in for it. While it cannot be read, it says so. The time
 * is absolute, not "2 minutes ago": a relative time would change, and be announced, every minute.
 */
export const FeedStatus = ({ feed, isAnnounced = false }: Props) => {
  const content = (() => {
    switch (feed.status) {
      case 'loading':
        return <StatusBadge tone="pending" label="Checking the data source" />
      case 'error':
        return (
          <>
            <StatusBadge tone="warn" label="Data source unknown" />
            <span className="feed-status__warning">{asSentence(feed.error.message)}</span>
          </>
        )
      case 'success': {
        const badge = feedBadge(feed.data)
        return (
          <>
            <StatusBadge tone={badge.tone} label={badge.label} />
            {badge.warning === undefined ? null : (
              <span className="feed-status__warning">
                {asSentence(badge.warning)}
                {feed.data.sinceMs === null ? null : (
                  <>
                    {' '}
                    (since <time dateTime={isoOf(feed.data.sinceMs)}>{formatDateTime(isoOf(feed.data.sinceMs))}</time>)
                  </>
                )}
              </span>
            )}
          </>
        )
      }
    }
  })()
  return (
    <div className="feed-status" role={isAnnounced ? 'status' : undefined}>
      <span className="visually-hidden">Market data source: </span>
      {content}
    </div>
  )
}
