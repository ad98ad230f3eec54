import { useCallback, useRef, useState } from 'react'
import { cancelSmartTrade, closeSmartTrade } from '../../api/trading/mutations'
import { fetchBot, fetchBotOrders, type BotView } from '../../api/trading/queries'
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
import { sendIdempotent, type PendingKey } from './idempotency'
import { LiveStateView, PnlSummary, feesOtherOf } from './live-panel'
import { OrdersTable } from './orders-table'
import { readSmartTradeConfig } from './smart-trade-draft'
import { SmartTradeEdit } from './smart-trade-edit'
import { accountText, botStatusLabels, botStatusTones, canTrade, isActive, statusLine, smartTradeHeadline, smartTradeOwnName } from './trading-format'
import { useLiveResource } from './use-live-refresh'

// Reloaded on the live stream's topics; unrealized PnL moves with prices, which are not a topic.
const PRICE_REFRESH_MS = 15_000

type TradeProps = { workspace: Workspace; bot: BotView; onChanged: () => void }

/** Close at market, cancel, and editing the exits, for someone who may trade and a trade still going. */
const TradeActions = ({ workspace, bot, onChanged }: TradeProps) => {
  const { client } = useAppSession()
  const action = useAction()
  const pendingClose = useRef<PendingKey | undefined>(undefined)
  const [isEditing, setIsEditing] = useState(false)
  const config = readSmartTradeConfig(bot.config)
  const { symbol } = smartTradeHeadline(bot)

  const close = () =>
    void action.run(async () => {
      await sendIdempotent(pendingClose, `close ${bot.id}`, (key) => closeSmartTrade(client, workspace.id, bot.id, key))
      onChanged()
    })
  const cancel = () =>
    void action.run(async () => {
      await cancelSmartTrade(client, workspace.id, bot.id)
      onChanged()
    })

  return (
    <div className="stack">
      <div className="trading-actions">
        <ConfirmAction
          label="Close at market"
          question={`Close ${symbol} at market? Its open orders are cancelled and the position is closed at the market price.`}
          confirmLabel="Yes, close it"
          isBusy={action.isBusy}
          onConfirm={close}
        />
        <ConfirmAction
          label="Cancel"
          accessibleLabel={`Cancel the Smart Trade ${symbol}`}
          question={`Cancel ${symbol}? Orders not yet filled are cancelled.`}
          confirmLabel="Yes, cancel it"
          cancelLabel="Keep it"
          isBusy={action.isBusy}
          onConfirm={cancel}
        />
        {config === undefined || isEditing ? null : (
          <button type="button" className="button button--secondary button--small" onClick={() => setIsEditing(true)}>
            Edit targets and stop
          </button>
        )}
      </div>
      <ActionError action={action} />
      {config !== undefined && isEditing ? (
        <SmartTradeEdit
          workspaceId={workspace.id}
          bot={bot}
          config={config}
          onCancel={() => setIsEditing(false)}
          onSaved={() => {
            setIsEditing(false)
            onChanged()
          }}
        />
      ) : null}
    </div>
  )
}

const TradeView = ({ workspace, bot, onChanged }: TradeProps) => {
  const { symbol, direction } = smartTradeHeadline(bot)
  const ownName = smartTradeOwnName(bot)
  return (
    <section className="card stack" aria-labelledby="smart-trade-title">
      <div className="card__header trading-header">
        <h3 id="smart-trade-title" className="card__title">
          {symbol} · {direction}
        </h3>
        <StatusBadge tone={botStatusTones[bot.status]} label={botStatusLabels[bot.status]} />
      </div>
      <p className="row__meta">
        {ownName === null ? null : <>{ownName} · </>}
        {accountText(bot.account)} · created <TimeText iso={bot.createdAt} />
      </p>
      <p className="trading-status" role="status">
        {statusLine(bot)}
      </p>
      <h4 className="subsection__title">Live state</h4>
      <LiveStateView bot={bot} />
      <h4 className="subsection__title">Profit and loss</h4>
      <PnlSummary pnl={bot.pnl} feesOther={feesOtherOf(bot)} />
      {canTrade(workspace.role) && isActive(bot.status) ? <TradeActions workspace={workspace} bot={bot} onChanged={onChanged} /> : null}
    </section>
  )
}

/** One Smart Trade, reloaded as it changes (live stream) while the page is visible: live state, PnL, actions, orders. */
export const SmartTradeDetail = ({ workspace, botId, onChanged }: { workspace: Workspace; botId: string; onChanged: () => void }) => {
  const { client } = useAppSession()
  const loadBot = useCallback((signal: AbortSignal) => fetchBot(client, workspace.id, botId, signal), [client, workspace.id, botId])
  const bot = useLiveResource(loadBot, ['bots', 'orders'], { whileLiveMs: PRICE_REFRESH_MS })
  const loadOrders = useCallback((signal: AbortSignal) => fetchBotOrders(client, workspace.id, botId, signal), [client, workspace.id, botId])
  const orders = useLiveResource(loadOrders, ['orders'])
  const keptBot = useKeptData(bot.resource)
  const keptOrders = useKeptData(orders.resource)

  const changed = () => {
    bot.reload()
    orders.reload()
    onChanged()
  }

  return (
    <>
      <p>
        <Link to={routePaths.smartTrades}>← All Smart Trades</Link>
      </p>
      <PolledView resource={bot.resource} kept={keptBot} loadingLabel="Loading the Smart Trade" onRetry={bot.reload}>
        {(data) => <TradeView workspace={workspace} bot={data} onChanged={changed} />}
      </PolledView>
      <section className="card" aria-labelledby="smart-trade-orders-title">
        <h3 id="smart-trade-orders-title" className="card__title">
          Orders
        </h3>
        <PolledView resource={orders.resource} kept={keptOrders} loadingLabel="Loading orders" onRetry={orders.reload}>
          {(list) => <OrdersTable orders={list} />}
        </PolledView>
      </section>
    </>
  )
}
