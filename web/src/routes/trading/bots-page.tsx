import { useCallback, useState } from 'react'
import type { CreatedSignalBot } from '../../api/trading/mutations'
import { fetchBots, fetchTradingAccounts, type BotView, type WebhookInfo } from '../../api/trading/queries'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import type { Workspace } from '../../lib/account-parsers'
import { pnlClass } from '../../lib/demo-format'
import { itemPathFor } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { navigate } from '../../lib/use-route'
import { PolledView, useKeptData } from '../demo/polled'
import { AccountRiskPanel } from './account-risk'
import { BotDetail } from './bot-detail'
import { DataTable } from '../../components/data-table'
import { HaltBanner } from './halt-banner'
import { useWorkspaceLocked } from '../../lib/lock-context'
import { SignalBotForm } from './signal-bot-form'
import { accountText, botStatusLabels, botStatusTones, canSetRisk, canTrade, signalBotSymbols, signalSourceText } from './trading-format'
import { UnknownOrdersNotice } from './unknown-orders'
import { useLiveResource } from './use-live-refresh'
import '../demo/demo.css'
import './trading.css'


const LIST_TOPICS = ['bots', 'orders'] as const

const BotList = ({ bots }: { bots: readonly BotView[] }) =>
  bots.length === 0 ? (
    <p className="empty">No Signal Bots yet.</p>
  ) : (
    <DataTable label="Signal Bots" head={['Name', 'Account', 'Signals', 'Symbols', 'Realized PnL', 'Status']} numeric={[4]}>
      {bots.map((bot) => (
        <tr key={bot.id}>
          <th scope="row">
            <Link to={itemPathFor('bots', bot.id)}>{bot.name}</Link>
          </th>
          <td>{accountText(bot.account)}</td>
          <td>{signalSourceText(bot)}</td>
          <td>{signalBotSymbols(bot)}</td>
          <td className={pnlClass(bot.pnl.realized)}>
            {bot.pnl.realized} {bot.pnl.currency}
          </td>
          <td>
            <StatusBadge tone={botStatusTones[bot.status]} label={botStatusLabels[bot.status]} />
          </td>
        </tr>
      ))}
    </DataTable>
  )

const WorkspaceBots = ({ workspace, itemId }: { workspace: Workspace; itemId: string | undefined }) => {
  const { client } = useAppSession()
  const loadBots = useCallback((signal: AbortSignal) => fetchBots(client, workspace.id, 'signal_bot', signal), [client, workspace.id])
  // PnL in the list is realized only: it moves with the journal, so the topics are enough. Not shown on a bot's page.
  const bots = useLiveResource(loadBots, itemId === undefined ? LIST_TOPICS : [])
  const keptBots = useKeptData(bots.resource)
  const loadAccounts = useCallback((signal: AbortSignal) => fetchTradingAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useLiveResource(loadAccounts, ['accounts'])
  const accountList = accounts.resource.status === 'success' ? accounts.resource.data : []
  // The create answer carries the webhook secret once; the new bot's page shows it without a step-up.
  const [created, setCreated] = useState<{ botId: string; webhook: WebhookInfo } | undefined>(undefined)

  const isLocked = useWorkspaceLocked()

  const showCreated = ({ bot, webhook }: CreatedSignalBot) => {
    setCreated(webhook === null ? undefined : { botId: bot.id, webhook })
    bots.reload()
    navigate(itemPathFor('bots', bot.id))
  }

  return (
    <>
      <HaltBanner workspace={workspace} onChanged={bots.reload} />
      <UnknownOrdersNotice workspaceId={workspace.id} />
      {itemId === undefined ? (
        <>
          <section className="card" aria-labelledby="bots-list-title">
            <h3 id="bots-list-title" className="card__title">
              Signal Bots in {workspace.name}
            </h3>
            <PolledView resource={bots.resource} kept={keptBots} loadingLabel="Loading Signal Bots" onRetry={bots.reload}>
              {(list) => <BotList bots={list} />}
            </PolledView>
          </section>
          {canTrade(workspace.role) && isLocked ? (
            <p className="card__intro">Nothing new can start while {workspace.name} is locked down: unlock it from the incident first.</p>
          ) : canTrade(workspace.role) ? (
            <section className="card" aria-labelledby="signal-bot-create-title">
              <h3 id="signal-bot-create-title" className="card__title">
                New Signal Bot
              </h3>
              <p className="card__intro">It starts on a demo account, as a draft: start it from its page once its webhook is in place.</p>
              <ResourceView resource={accounts.resource} loadingLabel="Loading accounts" onRetry={accounts.reload}>
                {(list) => <SignalBotForm mode="create" workspaceId={workspace.id} accounts={list} onCreated={showCreated} />}
              </ResourceView>
            </section>
          ) : (
            <p className="card__intro">Owners, admins and traders of {workspace.name} create and run bots; you can follow them here.</p>
          )}
          {canSetRisk(workspace.role) && accounts.resource.status === 'success' ? <AccountRiskPanel workspaceId={workspace.id} accounts={accounts.resource.data} /> : null}
        </>
      ) : (
        <BotDetail
          key={itemId}
          workspace={workspace}
          botId={itemId}
          accounts={accountList}
          webhook={created?.botId === itemId ? created.webhook : undefined}
          onChanged={bots.reload}
        />
      )}
    </>
  )
}

/**
 * Signal Bots: act on TradingView-style webhooks or built-in indicators, start on demo, move to a real
 * account by promotion. "/bots/<id>" shows one. Loaded on demand.
 */
export const BotsPage = ({ workspace, itemId }: { workspace: Workspace | undefined; itemId: string | undefined }) => (
  <div className="trading-page">
    <div className="page-intro">
      {/* Keyed: opening one bot (or going back) is a new page, whose heading takes focus. */}
      <PageHeading key={itemId ?? 'list'} id="bots-title" title={itemId === undefined ? 'Signal Bots' : 'Signal Bot'} className="page-title" />
      <p className="card__intro">
        Bots that trade on signals: alerts from TradingView (or any sender with the secret) or indicators computed here. Every bot proves itself on a demo account
        before it may trade real funds.
      </p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there are no bots to show.</p>
      </section>
    ) : (
      <WorkspaceBots key={workspace.id} workspace={workspace} itemId={itemId} />
    )}
  </div>
)
