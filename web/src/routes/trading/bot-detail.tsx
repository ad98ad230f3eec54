import { useCallback, useState } from 'react'
import { commandBot, type BotCommand } from '../../api/trading/mutations'
import { fetchBot, fetchBotOrders, fetchBotSignals, type BotView, type TradingAccountView, type WebhookInfo } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { Link } from '../../components/link'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { PolledView, useKeptData } from '../demo/polled'
import { DemoRecordPanel } from './demo-record'
import { LiveStateView, PnlSummary, feesOtherOf } from './live-panel'
import { OrdersTable } from './orders-table'
import { SignalBotForm } from './signal-bot-form'
import { readSignalBotConfig, signalBotDraftFrom } from './signal-bot-draft'
import { SignalLog } from './signal-log'
import { accountText, botCommandsFor, botStatusLabels, botStatusTones, canTrade, statusLine, signalBotSymbols, signalSourceText } from './trading-format'
import { useLiveResource } from './use-live-refresh'
import { WebhookPanel } from './webhook-panel'

// Reloaded on the live stream's topics; unrealized PnL moves with prices, which are not a topic.
const PRICE_REFRESH_MS = 15_000

const commandLabels: Readonly<Record<BotCommand, string>> = { start: 'Start', pause: 'Pause', stop: 'Stop' }

/** Start, pause and stop, as the status allows; stop asks first. */
const BotControls = ({ workspaceId, bot, onChanged }: { workspaceId: string; bot: BotView; onChanged: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const { canStart, canPause, canStop } = botCommandsFor(bot.status)
  const send = (command: BotCommand) =>
    void action.run(async () => {
      await commandBot(client, workspaceId, bot.id, command)
      onChanged()
    })
  return (
    <div className="stack">
      <div className="trading-actions">
        {canStart ? (
          <button type="button" className="button button--primary button--small" disabled={action.isBusy} onClick={() => send('start')}>
            {bot.status === 'paused' ? 'Resume' : commandLabels.start}
          </button>
        ) : null}
        {canPause ? (
          <button type="button" className="button button--secondary button--small" disabled={action.isBusy} onClick={() => send('pause')}>
            {commandLabels.pause}
          </button>
        ) : null}
        {canStop ? (
          <ConfirmAction
            label={commandLabels.stop}
            accessibleLabel={`Stop the bot ${bot.name}`}
            question={`Stop "${bot.name}"? It stops acting on signals; open positions stay as they are.`}
            confirmLabel="Yes, stop it"
            isBusy={action.isBusy}
            onConfirm={() => send('stop')}
          />
        ) : null}
      </div>
      <ActionError action={action} />
    </div>
  )
}

type ViewProps = {
  workspace: Workspace
  bot: BotView
  accounts: readonly TradingAccountView[]
  webhook: WebhookInfo | undefined
  onChanged: () => void
}

const BotOverview = ({ workspace, bot, accounts, webhook, onChanged }: ViewProps) => {
  const [isEditing, setIsEditing] = useState(false)
  const config = readSignalBotConfig(bot.config)
  const mayTrade = canTrade(workspace.role)
  return (
    <>
      <section className="card stack" aria-labelledby="bot-title">
        <div className="card__header trading-header">
          <h3 id="bot-title" className="card__title">
            {bot.name}
          </h3>
          <StatusBadge tone={botStatusTones[bot.status]} label={botStatusLabels[bot.status]} />
        </div>
        <p className="row__meta">
          <span className={`tag trading-tag trading-tag--${bot.account.kind}`}>{bot.account.kind === 'demo' ? 'Demo' : 'Real money'}</span> {accountText(bot.account)} ·{' '}
          {signalSourceText(bot)} · {signalBotSymbols(bot)} · created <TimeText iso={bot.createdAt} />
          {bot.promotedAt === null ? null : (
            <>
              {' '}
              · promoted <TimeText iso={bot.promotedAt} />
            </>
          )}
        </p>
        <p className="trading-status" role="status">
          {statusLine(bot)}
        </p>
        {mayTrade ? <BotControls workspaceId={workspace.id} bot={bot} onChanged={onChanged} /> : null}
        <h4 className="subsection__title">Live state</h4>
        <LiveStateView bot={bot} />
        <h4 className="subsection__title">Profit and loss</h4>
        <PnlSummary pnl={bot.pnl} feesOther={feesOtherOf(bot)} />
      </section>
      {config?.source.kind === 'webhook' ? (
        <section className="card stack" aria-labelledby="bot-webhook-title">
          <h3 id="bot-webhook-title" className="card__title">
            Webhook
          </h3>
          <WebhookPanel workspaceId={workspace.id} botId={bot.id} initial={webhook} canManage={mayTrade} />
        </section>
      ) : null}
      {bot.account.kind === 'demo' ? (
        <section className="card stack" aria-labelledby="bot-record-title">
          <h3 id="bot-record-title" className="card__title">
            Demo record
          </h3>
          <DemoRecordPanel workspaceId={workspace.id} bot={bot} accounts={accounts} canPromote={mayTrade} onPromoted={onChanged} />
        </section>
      ) : null}
      {mayTrade && config !== undefined ? (
        <section className="card stack" aria-labelledby="bot-settings-title">
          <h3 id="bot-settings-title" className="card__title">
            Settings
          </h3>
          {isEditing ? (
            <SignalBotForm
              mode="edit"
              workspaceId={workspace.id}
              bot={bot}
              initial={signalBotDraftFrom(bot.name, bot.account.id, config)}
              onCancel={() => setIsEditing(false)}
              onSaved={() => {
                setIsEditing(false)
                onChanged()
              }}
            />
          ) : bot.status === 'running' ? (
            <p className="field__help">Pause or stop the bot to change its settings.</p>
          ) : (
            <div className="form__actions">
              <button type="button" className="button button--secondary" onClick={() => setIsEditing(true)}>
                Edit settings
              </button>
            </div>
          )}
        </section>
      ) : null}
    </>
  )
}

type Props = {
  workspace: Workspace
  botId: string
  accounts: readonly TradingAccountView[]
  /** The webhook from the create answer, when this bot was just created on this page. */
  webhook: WebhookInfo | undefined
  onChanged: () => void
}

/** One Signal Bot, reloaded as it changes (live stream) while the page is visible: controls, live state, orders, signals. */
export const BotDetail = ({ workspace, botId, accounts, webhook, onChanged }: Props) => {
  const { client } = useAppSession()
  const loadBot = useCallback((signal: AbortSignal) => fetchBot(client, workspace.id, botId, signal), [client, workspace.id, botId])
  const bot = useLiveResource(loadBot, ['bots', 'orders'], { whileLiveMs: PRICE_REFRESH_MS })
  const loadOrders = useCallback((signal: AbortSignal) => fetchBotOrders(client, workspace.id, botId, signal), [client, workspace.id, botId])
  const orders = useLiveResource(loadOrders, ['orders'])
  const loadSignals = useCallback((signal: AbortSignal) => fetchBotSignals(client, workspace.id, botId, signal), [client, workspace.id, botId])
  const signals = useLiveResource(loadSignals, ['signals'])
  const keptBot = useKeptData(bot.resource)
  const keptOrders = useKeptData(orders.resource)
  const keptSignals = useKeptData(signals.resource)

  const changed = () => {
    bot.reload()
    orders.reload()
    onChanged()
  }

  return (
    <>
      <p>
        <Link to={routePaths.bots}>← All Signal Bots</Link>
      </p>
      <PolledView resource={bot.resource} kept={keptBot} loadingLabel="Loading the bot" onRetry={bot.reload}>
        {(data) => <BotOverview workspace={workspace} bot={data} accounts={accounts} webhook={webhook} onChanged={changed} />}
      </PolledView>
      <section className="card" aria-labelledby="bot-orders-title">
        <h3 id="bot-orders-title" className="card__title">
          Orders
        </h3>
        <PolledView resource={orders.resource} kept={keptOrders} loadingLabel="Loading orders" onRetry={orders.reload}>
          {(list) => <OrdersTable orders={list} />}
        </PolledView>
      </section>
      <section className="card" aria-labelledby="bot-signals-title">
        <h3 id="bot-signals-title" className="card__title">
          Signal log
        </h3>
        <PolledView resource={signals.resource} kept={keptSignals} loadingLabel="Loading the signal log" onRetry={signals.reload}>
          {(list) => <SignalLog signals={list} />}
        </PolledView>
      </section>
    </>
  )
}
