import type { SignalView } from '../../api/trading/queries'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { asSentence } from '../../lib/account-format'
import { DataTable } from '../../components/data-table'
import { words } from './live-state'

/** Every signal the bot received, with its verdict: accepted, or refused with the code and why. */
export const SignalLog = ({ signals }: { signals: readonly SignalView[] }) =>
  signals.length === 0 ? (
    <p className="empty">No signals received yet.</p>
  ) : (
    <DataTable label="Signal log" head={['Received', 'Source', 'Action', 'Signal id', 'Verdict', 'Why', 'From']}>
      {signals.map((signal) => (
        <tr key={signal.id}>
          <td>
            <TimeText iso={signal.receivedAt} />
          </td>
          <td>{words(signal.source)}</td>
          <td>{signal.action === null ? '—' : <code className="trading-code">{signal.action}</code>}</td>
          <td>{signal.signalId ?? '—'}</td>
          <td>
            <StatusBadge tone={signal.verdict === 'accepted' ? 'ok' : 'bad'} label={signal.verdict === 'accepted' ? 'Accepted' : 'Rejected'} />
          </td>
          <td className="trading-wrap">
            {signal.code === null ? null : <code className="trading-code">{signal.code}</code>} {/^[a-z]+_/.test(signal.message) ? signal.message : asSentence(signal.message)}
          </td>
          <td>{signal.sourceIp ?? '—'}</td>
        </tr>
      ))}
    </DataTable>
  )
