import type { ReactNode } from 'react'
import type { BotView } from '../../api/trading/queries'
import { Notice } from '../../components/notice'
import { StatusBadge, type StatusTone } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { asSentence, plural } from '../../lib/account-format'
import { pnlClass } from '../../lib/demo-format'
import { DataTable } from '../../components/data-table'
import {
  exitReasonWords,
  orderKeyWords,
  phaseWords,
  readLive,
  stopPlacementHelp,
  stopPlacementText,
  words,
  type LivePosition,
  type LiveSignalBot,
  type LiveTarget,
  type LiveTrade,
  type LiveView,
  type StopPlacement,
} from './live-state'

/** A bot's PnL from the order journal: realized (fees included) and unrealized, in the quote currency. */
export const PnlSummary = ({ pnl, feesOther = [] }: { pnl: BotView['pnl']; feesOther?: readonly [string, string][] }) => (
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
        {feesOther.length === 0 ? null : (
          <span className="trading-subtle"> and {feesOther.map(([currency, amount]) => `${amount} ${currency}`).join(', ')} (no price known, left out of the PnL)</span>
        )}
      </dd>
    </div>
  </dl>
)

const Row = ({ label, children }: { label: string; children: ReactNode }) => (
  <div className="details__row">
    <dt>{label}</dt>
    <dd>{children}</dd>
  </div>
)

/** The base and quote currency of "BTC/USDT" or "BTC/USDT:USDT". */
const currenciesOf = (symbol: string | null): { base: string; quote: string } => {
  const [base = '', rest = ''] = (symbol ?? '').split('/')
  return { base, quote: rest.split(':')[0] ?? '' }
}

const withUnit = (amount: string, unit: string): string => (unit === '' ? amount : `${amount} ${unit}`)

/** Target statuses (smart-trade.ts targetStatus): filled is done, refused or lost needs a look. */
const targetTone = (status: string | null): StatusTone => {
  if (status === 'filled') return 'ok'
  if (status === 'rejected') return 'bad'
  if (status === 'unknown') return 'warn'
  return 'pending'
}

const targetPrice = (target: LiveTarget, quote: string): string =>
  target.price !== null ? withUnit(target.price, quote) : target.percent !== null ? `${target.percent} % from the entry` : '—'

const PlacementTag = ({ placement }: { placement: StopPlacement }) => (
  <span className={`tag trading-tag trading-tag--${placement}`}>{stopPlacementText[placement]}</span>
)

const TargetsTable = ({ targets, quote, base }: { targets: readonly LiveTarget[]; quote: string; base: string }) => (
  <DataTable label="Take-profit targets" head={['Target', 'Price', 'Amount', 'Share', 'Status']} numeric={[1, 2, 3]}>
    {targets.map((target) => (
      <tr key={target.index}>
        <th scope="row">{target.index}</th>
        <td className="num">{targetPrice(target, quote)}</td>
        <td className="num">{target.amount === null ? '—' : withUnit(target.amount, base)}</td>
        <td className="num">{target.sharePercent === null ? '—' : `${target.sharePercent} %`}</td>
        <td>{target.status === null ? '—' : <StatusBadge tone={targetTone(target.status)} label={words(target.status)} />}</td>
      </tr>
    ))}
  </DataTable>
)

/** The stop, where it lives and why, and how it moves (trailing, breakeven). */
const StopRow = ({ trade, quote }: { trade: LiveTrade; quote: string }) => {
  const moves: string[] = []
  if (trade.trailingStop !== null) {
    moves.push(`trails ${trade.trailingStop.percent} % behind the best price${trade.trailingStop.bestPrice === null ? '' : ` (best so far ${withUnit(trade.trailingStop.bestPrice, quote)})`}`)
  }
  if (trade.breakeven?.enabled === true) moves.push(trade.breakeven.done ? 'moved to breakeven' : 'moves to breakeven after target 1')
  return (
    <Row label="Stop">
      <span className="trading-stop">
        <span className="num">{trade.stopPrice === null ? 'none' : withUnit(trade.stopPrice, quote)}</span>
        {trade.stopPlacement === null ? null : <PlacementTag placement={trade.stopPlacement} />}
      </span>
      {moves.length === 0 ? null : <span className="trading-help">{asSentence(moves.join('; '))}.</span>}
      {trade.stopPlacement === null || trade.finishedAt !== null ? null : (
        <span className="field__help trading-help">{trade.stopPlacementReason === null ? stopPlacementHelp[trade.stopPlacement] : `${asSentence(trade.stopPlacementReason)}.`}</span>
      )}
    </Row>
  )
}

/** What a Smart Trade's machine reports: phase, position, entry, stop and where it lives, targets, exits. */
const TradeLive = ({ trade }: { trade: LiveTrade }) => {
  const { base, quote } = currenciesOf(trade.symbol)
  const ttp = trade.trailingTakeProfit
  return (
    <div className="stack">
      {trade.closeBlocked === null ? null : (
        <Notice tone="warning">
          <p>The market close was refused: {trade.closeBlocked}. The position stays open until you close the trade again.</p>
        </Notice>
      )}
      {trade.unknownOrders.length === 0 ? null : (
        <Notice tone="warning">
          <p>
            {plural(trade.unknownOrders.length, 'order', 'orders')} lost the exchange's answer ({trade.unknownOrders.map(orderKeyWords).join(', ')}). The trade waits for them to be found
            and never places them twice.
          </p>
        </Notice>
      )}
      <dl className="details" aria-label="Live state">
        {trade.phase === null ? null : <Row label="Phase">{phaseWords(trade.phase)}</Row>}
        {trade.position === null ? null : <Row label="Position">{withUnit(trade.position, base)}</Row>}
        <Row label="Average entry">{trade.averageEntry === null ? 'not filled yet' : withUnit(trade.averageEntry, quote)}</Row>
        <StopRow trade={trade} quote={quote} />
        {ttp === null ? null : (
          <Row label="Trailing take profit">
            {ttp.percent} % {ttp.armed ? `— following the price${ttp.peak === null ? '' : ` (peak ${withUnit(ttp.peak, quote)})`}` : '— starts at the last target'}
          </Row>
        )}
        {trade.timeoutAt === null ? null : (
          <Row label="Timeout">
            <TimeText iso={trade.timeoutAt} />
          </Row>
        )}
        {trade.openOrders.length === 0 ? null : <Row label="Open orders">{trade.openOrders.map(orderKeyWords).join(', ')}</Row>}
        {trade.exitReason === null || (trade.finishedAt !== null && trade.endReason !== null) ? null : <Row label="Exit">{exitReasonWords(trade.exitReason)}</Row>}
        {trade.openedAt === null ? null : (
          <Row label="Opened">
            <TimeText iso={trade.openedAt} />
          </Row>
        )}
        {trade.finishedAt === null ? null : (
          <Row label="Ended">
            <TimeText iso={trade.finishedAt} />
            {trade.endReason === null ? null : <> — {trade.endReason}</>}
          </Row>
        )}
      </dl>
      {trade.targets.length === 0 ? <p className="field__help">No take-profit targets: the trade closes by its stop, its timeout or by hand.</p> : <TargetsTable targets={trade.targets} quote={quote} base={base} />}
    </div>
  )
}

/** One line per target: "65280.51 · Open". */
const PositionTargets = ({ targets }: { targets: readonly LiveTarget[] }) =>
  targets.length === 0 ? (
    <>—</>
  ) : (
    <ul className="trading-cell-list">
      {targets.map((target) => (
        <li key={target.index}>
          {target.price ?? (target.percent === null ? '—' : `${target.percent} %`)}
          {target.status === null ? null : <span className="trading-subtle"> · {words(target.status)}</span>}
        </li>
      ))}
    </ul>
  )

const PositionsTable = ({ positions }: { positions: readonly LivePosition[] }) => (
  <DataTable label="Positions" head={['Symbol', 'Side', 'Phase', 'Amount', 'Average entry', 'Stop', 'Targets']} numeric={[3, 4, 5]}>
    {positions.map((position) => (
      <tr key={position.symbol}>
        <th scope="row">
          {position.symbol}
          {position.label === null ? null : <span className="trading-subtle"> {position.label}</span>}
          {position.queued === null ? null : (
            <span className="trading-reason">
              Queued: <code className="trading-code">{position.queued.action ?? position.queued.side ?? 'entry'}</code>
              {position.queued.since === null ? null : (
                <>
                  {' '}
                  (<TimeText iso={position.queued.since} />)
                </>
              )}
            </span>
          )}
        </th>
        <td>{position.side === null ? '—' : words(position.side)}</td>
        <td>
          {position.phase === null ? '—' : phaseWords(position.phase)}
          {position.exitReason === null ? null : <span className="trading-reason">{exitReasonWords(position.exitReason)}</span>}
        </td>
        <td className="num">{position.amount ?? '—'}</td>
        <td className="num">{position.averageEntry ?? '—'}</td>
        <td className="num">
          {position.stopPrice ?? '—'}
          {position.stopPlacement === null ? null : (
            <span className="trading-cell-tag">
              <PlacementTag placement={position.stopPlacement} />
            </span>
          )}
        </td>
        <td>
          <PositionTargets targets={position.targets} />
        </td>
      </tr>
    ))}
  </DataTable>
)

const verdictTone = (verdict: string | null): StatusTone => (verdict === 'accepted' ? 'ok' : verdict === 'refused' ? 'bad' : 'pending')

/** What a Signal Bot's machine reports: its positions (one per symbol), totals, and what it did with each signal. */
const SignalBotLive = ({ bot }: { bot: LiveSignalBot }) => {
  const unknown = bot.positions.flatMap((position) => position.unknownOrders)
  return (
    <div className="stack">
      {bot.stopping === null || bot.finished ? null : (
        <Notice tone="warning">
          <p>Stopping{bot.stopping.reason === null ? '' : `: ${bot.stopping.reason}`}. No new entries; open positions are handled until they end.</p>
        </Notice>
      )}
      {unknown.length === 0 ? null : (
        <Notice tone="warning">
          <p>
            {plural(unknown.length, 'order', 'orders')} lost the exchange's answer ({unknown.join(', ')}). The bot waits for them to be found and never places them twice.
          </p>
        </Notice>
      )}
      <dl className="details" aria-label="Live state">
        <Row label="Positions">{bot.positions.some((position) => position.label !== null) ? plural(bot.positions.filter((position) => position.label !== null).length, 'open', 'open') : 'none open'}</Row>
        {bot.trades === null ? null : (
          <Row label="Trades">
            {bot.trades}
            {bot.wins === null || bot.losses === null ? null : ` (${plural(bot.wins, 'win', 'wins')}, ${plural(bot.losses, 'loss', 'losses')} closed)`}
          </Row>
        )}
        {bot.lastStopLossAt === null ? null : (
          <Row label="Last stop loss">
            <TimeText iso={bot.lastStopLossAt} />
          </Row>
        )}
      </dl>
      {bot.positions.length === 0 ? null : <PositionsTable positions={bot.positions} />}
      {bot.verdicts.length === 0 ? null : (
        <DataTable label="Decisions on signals" head={['When', 'Action', 'Symbol', 'Decision', 'Why']}>
          {bot.verdicts.map((verdict, index) => (
            <tr key={`${verdict.time ?? ''}-${index}`}>
              <td>{verdict.time === null ? '—' : <TimeText iso={verdict.time} />}</td>
              <td>{verdict.action === null ? '—' : <code className="trading-code">{verdict.action}</code>}</td>
              <td>{verdict.symbol ?? '—'}</td>
              <td>{verdict.verdict === null ? '—' : <StatusBadge tone={verdictTone(verdict.verdict)} label={words(verdict.verdict)} />}</td>
              <td className="trading-wrap">{verdict.reason === null ? '—' : asSentence(verdict.reason)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  )
}

const OtherValues = ({ other }: { other: readonly [string, string][] }) =>
  other.length === 0 ? null : (
    <dl className="details" aria-label="Other details">
      {other.map(([label, value]) => (
        <Row key={label} label={label}>
          {value}
        </Row>
      ))}
    </dl>
  )

/**
 * What the bot's state machine reports (src/trading/machines `live()`): for a Smart Trade its phase,
 * position, entry, stop and where the stop lives (on the exchange, or triggered by Bulwark), targets and
 * exit; for a Signal Bot its positions per symbol and what it decided about each signal.
 */
export const LiveStateView = ({ bot }: { bot: Pick<BotView, 'kind' | 'live' | 'status'> }) => {
  const view = readLive(bot.live, bot.kind)
  if (view.kind === 'empty') return <p className="empty">Nothing to report yet{bot.kind === 'signal_bot' ? ': start the bot to have it act on signals' : ''}.</p>
  if (view.kind === 'unknown') return <OtherValues other={view.other} />
  const unwatched = bot.status === 'running' ? [] : unwatchedStops(view)
  return (
    <div className="stack">
      {unwatched.length === 0 ? null : (
        <Notice tone="warning">
          <p>
            {bot.status === 'paused' ? 'Paused' : 'Not running'}: Bulwark is not watching the stop of {unwatched.join(', ')}. These stops are triggered by Bulwark, so the
            position has no stop until the bot runs again (or is closed).
          </p>
        </Notice>
      )}
      {view.kind === 'smart_trade' ? <TradeLive trade={view.trade} /> : <SignalBotLive bot={view.bot} />}
      <OtherValues other={view.other} />
    </div>
  )
}

const isZero = (amount: string | null): boolean => amount === null || /^-?0*(\.0*)?$/.test(amount)

/** Open positions whose stop only Bulwark triggers: "BTC/USDT at 45061.51". Nobody watches them while the bot does not run. */
const unwatchedStops = (view: Extract<LiveView, { kind: 'smart_trade' | 'signal_bot' }>): string[] => {
  const entries =
    view.kind === 'smart_trade'
      ? [{ symbol: view.trade.symbol ?? 'the trade', amount: view.trade.finishedAt === null ? view.trade.position : null, stopPrice: view.trade.stopPrice, stopPlacement: view.trade.stopPlacement }]
      : view.bot.positions
  return entries.filter((p) => !isZero(p.amount) && p.stopPrice !== null && p.stopPlacement === 'platform').map((p) => `${p.symbol} at ${p.stopPrice ?? ''}`)
}

/** Fees in a currency the machine could not value, for the PnL summary. */
export const feesOtherOf = (bot: Pick<BotView, 'kind' | 'live'>): [string, string][] => {
  const view = readLive(bot.live, bot.kind)
  return view.kind === 'smart_trade' ? view.trade.feesOther : view.kind === 'signal_bot' ? view.bot.feesOther : []
}
