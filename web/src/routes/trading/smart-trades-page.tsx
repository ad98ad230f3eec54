import { useCallback } from 'react'
import { fetchBots, fetchTradingAccounts, type BotView } from '../../api/trading/queries'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import type { Workspace } from '../../lib/account-parsers'
import { pnlClass } from '../../lib/demo-format'
import { itemPathFor } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { navigate } from '../../lib/use-route'
import { useResource } from '../../lib/use-resource'
import { PolledView, useKeptData } from '../demo/polled'
import { AccountRiskPanel } from './account-risk'
import { DataTable } from '../../components/data-table'
import { HaltBanner } from './halt-banner'
import { SmartTradeDetail } from './smart-trade-detail'
import { SmartTradeForm } from './smart-trade-form'
import { accountText, botStatusLabels, botStatusTones, canSetRisk, canTrade, phaseText, smartTradeHeadline, smartTradeOwnName } from './trading-format'
import { UnknownOrdersNotice } from './unknown-orders'
import { useLiveRefresh } from './use-live-refresh'
import '../demo/demo.css'
import './trading.css'

const LIST_REFRESH_MS = 5_000
const ACCOUNTS_REFRESH_MS = 60_000

const SmartTradeList = ({ trades }: { trades: readonly BotView[] }) =>
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

const WorkspaceSmartTrades = ({ workspace, itemId }: { workspace: Workspace; itemId: string | undefined }) => {
  const { client } = useAppSession()
  const refreshMs = useLiveRefresh(LIST_REFRESH_MS)
  const loadTrades = useCallback((signal: AbortSignal) => fetchBots(client, workspace.id, 'smart_trade', signal), [client, workspace.id])
  const trades = useResource(loadTrades, { refreshMs: itemId === undefined ? refreshMs : undefined })
  const keptTrades = useKeptData(trades.resource)
  const loadAccounts = useCallback((signal: AbortSignal) => fetchTradingAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useResource(loadAccounts, { refreshMs: ACCOUNTS_REFRESH_MS })

  return (
    <>
      <HaltBanner workspace={workspace} onChanged={trades.reload} />
      <UnknownOrdersNotice workspaceId={workspace.id} />
      {itemId === undefined ? (
        <>
          <section className="card" aria-labelledby="smart-trades-list-title">
            <h3 id="smart-trades-list-title" className="card__title">
              Smart Trades in {workspace.name}
            </h3>
            <PolledView resource={trades.resource} kept={keptTrades} loadingLabel="Loading Smart Trades" onRetry={trades.reload}>
              {(list) => <SmartTradeList trades={list} />}
            </PolledView>
          </section>
          {canTrade(workspace.role) ? (
            <section className="card" aria-labelledby="smart-trade-create-title">
              <h3 id="smart-trade-create-title" className="card__title">
                New Smart Trade
              </h3>
              <p className="card__intro">One position with its exits planned up front. It starts as soon as you submit it.</p>
              <ResourceView resource={accounts.resource} loadingLabel="Loading accounts" onRetry={accounts.reload}>
                {(list) => (
                  <SmartTradeForm
                    workspaceId={workspace.id}
                    accounts={list}
                    onCreated={(bot) => {
                      trades.reload()
                      navigate(itemPathFor('smartTrades', bot.id))
                    }}
                  />
                )}
              </ResourceView>
            </section>
          ) : (
            <p className="card__intro">Owners, admins and traders of {workspace.name} start Smart Trades; you can follow them here.</p>
          )}
          {canSetRisk(workspace.role) && accounts.resource.status === 'success' ? <AccountRiskPanel workspaceId={workspace.id} accounts={accounts.resource.data} /> : null}
        </>
      ) : (
        <SmartTradeDetail key={itemId} workspace={workspace} botId={itemId} onChanged={trades.reload} />
      )}
    </>
  )
}

/**
 * Smart Trades: one position with entry, take-profit ladder, stop and timeout, on a demo or a real
 * account. "/smart-trades/<id>" shows one. Loaded on demand with the Bots page's shared trading code.
 */
export const SmartTradesPage = ({ workspace, itemId }: { workspace: Workspace | undefined; itemId: string | undefined }) => (
  <div className="trading-page">
    <div className="page-intro">
      {/* Keyed: opening one trade (or going back) is a new page, whose heading takes focus. */}
      <PageHeading key={itemId ?? 'list'} id="smart-trades-title" title={itemId === undefined ? 'Smart Trades' : 'Smart Trade'} className="page-title" />
      <p className="card__intro">
        A trade with its exits planned: up to five take-profit targets, a stop loss that can trail or move to breakeven, and a timeout. On futures the stop rests
        on the exchange where it can hold stop orders; elsewhere Bulwark watches the price and triggers it.
      </p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there are no Smart Trades to show.</p>
      </section>
    ) : (
      <WorkspaceSmartTrades key={workspace.id} workspace={workspace} itemId={itemId} />
    )}
  </div>
)
