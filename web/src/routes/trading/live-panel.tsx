import type { ReactNode } from 'react'
import type { BotView } from '../../api/trading/queries'
import { pnlClass } from '../../lib/demo-format'
import { DataTable } from './data-table'
import { readLive, stopPlacementHelp, stopPlacementText, words, type LiveTarget } from './live-state'

/** A bot's PnL: realized (fees included) and unrealized, in the quote currency. */
export const PnlSummary = ({ pnl }: { pnl: BotView['pnl'] }) => (
  <dl className="details trading-pnl" aria-label="Profit and loss">
    <div className="details__row">
      <dt>Realized PnL</dt>
      <dd className={pnlClass(pnl.realized)}>
        {pnl.realized} {pnl.currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Unrealized PnL</dt>
      <dd className={pnlClass(pnl.unrealized)}>
        {pnl.unrealized} {pnl.currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Fees paid</dt>
      <dd className="num">
        {pnl.fees} {pnl.currency}
      </dd>
    </div>
  </dl>
)

const targetText = (target: LiveTarget): string => target.price ?? (target.percent === null ? '—' : `+${target.percent} % from entry`)

const Row = ({ label, children }: { label: string; children: ReactNode }) => (
  <div className="details__row">
    <dt>{label}</dt>
    <dd>{children}</dd>
  </div>
)

/**
 * What the bot's state machine reports: phase, position, entry, stop and where the stop lives (on the
 * exchange, or triggered by Bulwark), the take-profit targets, open positions, and anything else.
 */
export const LiveStateView = ({ live }: { live: BotView['live'] }) => {
  const view = readLive(live)
  const isEmpty =
    view.phase === null && view.position === null && view.averageEntry === null && view.stopPrice === null && view.targets.length === 0 && view.positions.length === 0 && view.other.length === 0
  if (isEmpty) return <p className="empty">Nothing to report yet.</p>
  return (
    <div className="stack">
      <dl className="details" aria-label="Live state">
        {view.phase === null ? null : <Row label="Phase">{words(view.phase)}</Row>}
        {view.position === null ? null : <Row label="Position">{view.position}</Row>}
        {view.averageEntry === null ? null : <Row label="Average entry">{view.averageEntry}</Row>}
        {view.stopPrice === null && view.stopPlacement === null ? null : (
          <Row label="Stop">
            {view.stopPrice ?? 'not set yet'}
            {view.stopPlacement === null ? null : (
              <>
                {' '}
                <span className={`tag trading-tag trading-tag--${view.stopPlacement}`}>{stopPlacementText[view.stopPlacement]}</span>
                <span className="field__help trading-help">{stopPlacementHelp[view.stopPlacement]}</span>
              </>
            )}
          </Row>
        )}
        {view.other.map(([label, value]) => (
          <Row key={label} label={label}>
            {value}
          </Row>
        ))}
      </dl>
      {view.targets.length === 0 ? null : (
        <DataTable label="Take-profit targets" head={['Target', 'Price', 'Share', 'Status']}>
          {view.targets.map((target, index) => (
            <tr key={index}>
              <th scope="row">{index + 1}</th>
              <td className="num">{targetText(target)}</td>
              <td className="num">{target.sharePercent === null ? '—' : `${target.sharePercent} %`}</td>
              <td>{target.status === null ? '—' : words(target.status)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {view.positions.length === 0 ? null : (
        <DataTable label="Open positions" head={['Symbol', 'Side', 'Amount', 'Average entry']}>
          {view.positions.map((position, index) => (
            <tr key={`${position.symbol ?? ''}-${index}`}>
              <th scope="row">{position.symbol ?? '—'}</th>
              <td>{position.side === null ? '—' : words(position.side)}</td>
              <td className="num">{position.amount ?? '—'}</td>
              <td className="num">{position.averageEntry ?? '—'}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  )
}
