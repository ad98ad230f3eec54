import type { BotView } from '../../api/trading/queries'
import { DataTable } from '../../components/data-table'
import { Link } from '../../components/link'
import { StatusBadge } from '../../components/status-badge'
import { pnlClass } from '../../lib/demo-format'
import { itemPathFor } from '../../lib/router'
import { accountText, botStatusLabels, botStatusTones, phaseText, smartTradeHeadline, smartTradeOwnName } from '../trading/trading-format'

/** The workspace's Smart Trades, each linking to its page ("/smart-trades/<id>"). */
export const SmartTradeList = ({ trades }: { trades: readonly BotView[] }) =>
  trades.length === 0 ? (
    <p className="empty">No Smart Trades yet.</p>
  ) : (
    <DataTable label="Smart Trades" head={['Symbol', 'Direction', 'Account', 'Phase', 'Realized PnL', 'Unrealized PnL', 'Status']} numeric={[4, 5]}>
      {trades.map((bot) => {
        const { symbol, direction } = smartTradeHeadline(bot)
        return (
          <tr key={bot.id}>
            <th scope="row">
              <Link to={itemPathFor('smartTrades', bot.id)}>{symbol}</Link>
              {smartTradeOwnName(bot) === null ? null : <span className="trading-subtle"> {smartTradeOwnName(bot)}</span>}
            </th>
            <td>{direction}</td>
            <td>{accountText(bot.account)}</td>
            <td>{phaseText(bot) ?? '—'}</td>
            <td className={pnlClass(bot.pnl.realized)}>
              {bot.pnl.realized} {bot.pnl.currency}
            </td>
            <td className={pnlClass(bot.pnl.unrealized)}>
              {bot.pnl.unrealized} {bot.pnl.currency}
            </td>
            <td>
              <StatusBadge tone={botStatusTones[bot.status]} label={botStatusLabels[bot.status]} />
            </td>
          </tr>
        )
      })}
    </DataTable>
  )
