import { useCallback } from 'react'
import { fetchBots, type BotView } from '../../api/trading/queries'
import { Link } from '../../components/link'
import { StatusBadge } from '../../components/status-badge'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { useLiveTopics } from '../../lib/live-events'
import { itemPathFor, routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useResource, type Resource } from '../../lib/use-resource'
import { accountText, botStatusLabels, botStatusTones, isActive } from '../trading/trading-format'
import { CardBody, NextStep, OverviewCard } from './overview-card'
import { pnlTotals, signedAmount, sumDecimals } from './overview-data'

/** The stream says when bots change; without it, a minute's poll keeps the numbers near. */
const REFRESH_MS = 60_000
const SHOWN = 5

type Bots = { smartTrades: BotView[]; signalBots: BotView[] }

/** Smart Trades and Signal Bots of the workspace, one resource for the three cards that read them. */
const useWorkspaceBots = (workspaceId: string) => {
  const { client } = useAppSession()
  const load = useCallback(
    async (signal: AbortSignal): Promise<Bots> => {
      const [smartTrades, signalBots] = await Promise.all([fetchBots(client, workspaceId, 'smart_trade', signal), fetchBots(client, workspaceId, 'signal_bot', signal)])
      return { smartTrades, signalBots }
    },
    [client, workspaceId],
  )
  const bots = useResource(load, { refreshMs: REFRESH_MS })
  useLiveTopics(['bots', 'orders'], bots.reload)
  return bots
}

const pnlTone = (value: string) => (value.startsWith('-') ? 'overview-pnl--loss' : value === '0' ? '' : 'overview-pnl--gain')

/** One bot: name and account, status, and its profit so far (realized + unrealized). */
const BotRow = ({ bot }: { bot: BotView }) => {
  const total = sumDecimals([bot.pnl.realized, bot.pnl.unrealized])
  return (
    <li className="overview-list__item overview-list__item--wrap">
      <span className="overview-list__main">
        <Link to={itemPathFor(bot.kind === 'smart_trade' ? 'smartTrades' : 'bots', bot.id)} className="overview-list__name">
          {bot.name}
        </Link>{' '}
        <span className="overview-list__sub">{accountText(bot.account)}</span>
      </span>
      <span className="overview-list__end">
        <StatusBadge tone={botStatusTones[bot.status]} label={botStatusLabels[bot.status]} />
        <span className={`overview-pnl ${pnlTone(total)}`}>
          {signedAmount(total)} {bot.pnl.currency}
        </span>
      </span>
    </li>
  )
}

const BotList = ({ bots, label, more }: { bots: BotView[]; label: string; more: { to: string; text: string } }) => (
  <>
    <ul className="overview-list" aria-label={label}>
      {bots.slice(0, SHOWN).map((bot) => (
        <BotRow key={bot.id} bot={bot} />
      ))}
    </ul>
    {bots.length > SHOWN ? (
      <p className="card__links">
        <Link to={more.to}>{more.text}</Link>
      </p>
    ) : null}
  </>
)

type CardProps = { workspace: Workspace; bots: Resource<Bots>; onRetry: () => void }

const canTrade = (role: string) => role === 'owner' || role === 'admin' || role === 'trader'

/** Open Smart Trades (running or paused). */
const SmartTradesCard = ({ workspace, bots, onRetry }: CardProps) => (
  <OverviewCard id="overview-smart-trades-title" title="Open Smart Trades" more={{ to: routePaths.trade, label: 'Trade' }}>
    <CardBody resource={bots} rows={3} label="Loading Smart Trades" onRetry={onRetry}>
      {({ smartTrades }) => {
        const open = smartTrades.filter((b) => isActive(b.status))
        if (open.length > 0) return <BotList bots={open} label="Open Smart Trades" more={{ to: routePaths.smartTrades, text: `All ${open.length} open Smart Trades` }} />
        return canTrade(workspace.role) ? (
          <NextStep to={routePaths.trade} hint={smartTrades.length === 0 ? 'A Smart Trade buys with a take-profit and a stop-loss set in advance.' : 'No Smart Trade is open right now.'}>
            Start a Smart Trade
          </NextStep>
        ) : (
          <p className="empty">No Smart Trade is open.</p>
        )
      }}
    </CardBody>
  </OverviewCard>
)

/** Signal Bots that are running or paused. */
const RunningBotsCard = ({ workspace, bots, onRetry }: CardProps) => (
  <OverviewCard id="overview-bots-title" title="Running bots" more={{ to: routePaths.bots, label: 'Bots' }}>
    <CardBody resource={bots} rows={2} label="Loading bots" onRetry={onRetry}>
      {({ signalBots }) => {
        const running = signalBots.filter((b) => isActive(b.status))
        if (running.length > 0) return <BotList bots={running} label="Running bots" more={{ to: routePaths.bots, text: `All ${running.length} running bots` }} />
        return canTrade(workspace.role) ? (
          <NextStep to={routePaths.bots} hint={signalBots.length === 0 ? 'A Signal Bot trades on TradingView alerts or indicator signals.' : 'No bot is running right now.'}>
            Create a Signal Bot
          </NextStep>
        ) : (
          <p className="empty">No bot is running.</p>
        )
      }}
    </CardBody>
  </OverviewCard>
)

/** Realized and unrealized profit across every Smart Trade and bot, per currency. */
const PnlCard = ({ bots, onRetry }: Omit<CardProps, 'workspace'>) => (
  <OverviewCard id="overview-pnl-title" title="Profit and loss">
    <CardBody resource={bots} rows={2} label="Loading profit and loss" onRetry={onRetry}>
      {({ smartTrades, signalBots }) => {
        const all = [...smartTrades, ...signalBots]
        const totals = pnlTotals(all)
        if (totals.length === 0) return <p className="empty">Nothing traded yet: profit and loss shows here once a Smart Trade or bot fills an order.</p>
        return (
          <>
            <table className="overview-pnl-table">
              <caption className="visually-hidden">Profit and loss per currency</caption>
              <thead>
                <tr>
                  <th scope="col">Currency</th>
                  <th scope="col">Realized</th>
                  <th scope="col">Unrealized</th>
                </tr>
              </thead>
              <tbody>
                {totals.map((t) => (
                  <tr key={`${t.isDemo ? 'demo' : 'real'}:${t.currency}`}>
                    <th scope="row">
                      {t.currency} {t.isDemo ? <span className="tag">demo</span> : null}
                    </th>
                    <td className={`overview-pnl ${pnlTone(t.realized)}`}>{signedAmount(t.realized)}</td>
                    <td className={`overview-pnl ${pnlTone(t.unrealized)}`}>{signedAmount(t.unrealized)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="overview-card__footer">
              Across {plural(all.length, 'Smart Trade or bot', 'Smart Trades and bots')}; unrealized counts open positions only. Play money is never added to real money.
            </p>
          </>
        )
      }}
    </CardBody>
  </OverviewCard>
)

/**
 * The overview's trading tiles. Loaded on demand by the overview (with the trading schemas and words
 * they need), so the first page's bundle does not carry them.
 */
export const TradingTiles = ({ workspace }: { workspace: Workspace }) => {
  const bots = useWorkspaceBots(workspace.id)
  return (
    <>
      <SmartTradesCard workspace={workspace} bots={bots.resource} onRetry={bots.reload} />
      <RunningBotsCard workspace={workspace} bots={bots.resource} onRetry={bots.reload} />
      <PnlCard bots={bots.resource} onRetry={bots.reload} />
    </>
  )
}
