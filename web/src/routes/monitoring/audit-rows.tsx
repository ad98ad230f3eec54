import { DataTable } from '../../components/data-table'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { detailLabel, detailValue } from '../../lib/account-format'
import { auditActorText, eventTypeLabel, outcomeLabel, outcomeTone } from '../../lib/monitoring-format'
import type { AuditEntry } from '../../lib/monitoring-parsers'
import { useMe } from '../../lib/session-context'

/** A few details inline; all of them on demand. */
const Details = ({ entry }: { entry: AuditEntry }) => {
  const pairs = Object.entries(entry.details)
  if (pairs.length === 0) return <>—</>
  return (
    <details className="mon-details">
      <summary>{pairs.slice(0, 2).map(([key, value]) => `${detailLabel(key)}: ${detailValue(value)}`).join(' · ').slice(0, 80)}</summary>
      <dl className="details">
        {pairs.map(([key, value]) => (
          <div key={key} className="details__row">
            <dt>{detailLabel(key)}</dt>
            <dd>{detailValue(value)}</dd>
          </div>
        ))}
        <div className="details__row">
          <dt>Hash</dt>
          <dd>
            <code>{entry.hash}</code>
          </dd>
        </div>
      </dl>
    </details>
  )
}

type AuditRowsProps = {
  entries: readonly AuditEntry[]
  label?: string
  /**
   * A person's own account events: no "Who" (it is them) and no sequence numbers, which in the shared
   * system chain would count everyone else's account events.
   */
  isOwnAccount?: boolean
}

/** Audit entries as a table: the workspace's chain, or a person's own account events. */
export const AuditRows = ({ entries, label = 'Audit entries', isOwnAccount = false }: AuditRowsProps) => {
  const selfId = useMe().user.id
  return (
    <DataTable
      spaced
      label={label}
      head={isOwnAccount ? ['Time', 'Event', 'Outcome', 'IP', 'Details'] : ['#', 'Time', 'Event', 'Who', 'Outcome', 'IP', 'Details']}
      numeric={isOwnAccount ? [] : [0]}
    >
      {entries.map((entry) => (
        <tr key={entry.seq}>
          {isOwnAccount ? null : <td className="num">{entry.seq}</td>}
          <td>
            <TimeText iso={entry.occurredAt} />
          </td>
          <td>
            {eventTypeLabel(entry.type)}
            <span className="mon-sub">
              <code>{entry.type}</code>
            </span>
          </td>
          {isOwnAccount ? null : <td title={entry.actor.id}>{auditActorText(entry.actor, selfId)}</td>}
          <td>
            <StatusBadge tone={outcomeTone(entry.outcome)} label={outcomeLabel(entry.outcome)} />
          </td>
          <td>{entry.ip ?? '—'}</td>
          <td className="cell-wrap">
            <Details entry={entry} />
          </td>
        </tr>
      ))}
    </DataTable>
  )
}
