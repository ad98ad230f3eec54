import { useCallback, useId, useState } from 'react'
import { cancelDemoOrder } from '../../api/demo/mutations'
import { fetchDemoBalance, fetchDemoFills, fetchDemoOrders, fetchDemoPnl, fetchDemoPositions, fetchDemoSettings } from '../../api/demo/queries'
import { ActionError } from '../../components/action-error'
import { SelectField } from '../../components/select-field'
import { TimeText } from '../../components/time-text'
import { accountKindLabels, isoOf } from '../../lib/demo-format'
import { symbolParts } from '../../lib/demo-order-validation'
import { symbolSettingsOf, type BalanceLine, type DemoAccount, type DemoFeed, type DemoFill, type DemoMarket, type DemoOrder, type DemoPnl, type DemoPosition, type DemoSettings } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { Resource } from '../../lib/use-resource'
import { useLiveResource } from '../trading/use-live-refresh'
import { BalancesTable, FillsTable, OpenOrdersTable, PnlSummary, PositionsTable } from './account-tables'
import { CandleChart } from './candle-chart'
import { FeedStatus } from './feed-status'
import { FuturesSettings, PositionModeSetting } from './futures-settings'
import { OrderForm } from './order-form'
import { PolledView, useKeptData } from './polled'

// Reloaded on the live stream's topics; unrealized PnL moves with prices, which are not a topic.
const PRICE_REFRESH_MS = 15_000
const FILLS_LIMIT = 100

/** `settings` is null for spot accounts, which have none. */
type Snapshot = { balance: BalanceLine[]; openOrders: DemoOrder[]; fills: DemoFill[]; positions: DemoPosition[]; pnl: DemoPnl; settings: DemoSettings | null }

const emptySnapshot: Snapshot = {
  balance: [],
  openOrders: [],
  fills: [],
  positions: [],
  pnl: { equity: '0', realizedPnl: '0', unrealizedPnl: '0', fees: '0', funding: '0' },
  settings: null,
}

/** Last, bid, ask, and for perpetuals mark and funding: what the order is measured against. */
const MarketFacts = ({ market }: { market: DemoMarket }) => (
  <dl className="details market-facts" aria-label={`${market.symbol} prices`}>
    <div className="details__row">
      <dt>Last</dt>
      <dd className="num">{market.last ?? 'no trade yet'}</dd>
    </div>
    <div className="details__row">
      <dt>Bid / ask</dt>
      <dd className="num">
        {market.bid ?? '—'} / {market.ask ?? '—'}
      </dd>
    </div>
    {market.kind === 'linear' ? (
      <>
        <div className="details__row">
          <dt>Mark</dt>
          <dd className="num">{market.mark ?? '—'}</dd>
        </div>
        <div className="details__row">
          <dt>Funding rate</dt>
          <dd className="num">
            {market.fundingRate ?? '—'}
            {market.nextFundingTimeMs === null ? null : (
              <>
                {' '}
                (next <TimeText iso={isoOf(market.nextFundingTimeMs)} />)
              </>
            )}
          </dd>
        </div>
      </>
    ) : null}
    <div className="details__row">
      <dt>Filters</dt>
      <dd>
        tick {market.tickSize}, lot {market.lotSize}, minimum value {market.minNotional}
        {market.maxLeverage === null ? '' : `, leverage up to ${market.maxLeverage}×`}
      </dd>
    </div>
  </dl>
)

type Props = {
  workspaceId: string
  account: DemoAccount
  markets: Resource<DemoMarket[]>
  onRetryMarkets: () => void
  feed: Resource<DemoFeed>
}

/** One demo account: market, chart, order form, balances, PnL, positions, open orders and fills, reloaded as they change (live stream). */
export const AccountPanel = ({ workspaceId, account, markets, onRetryMarkets, feed }: Props) => {
  const { client } = useAppSession()
  const symbolId = useId()
  const isFutures = account.kind === 'futures'

  const loadSnapshot = useCallback(
    async (signal: AbortSignal): Promise<Snapshot> => {
      const [balance, openOrders, fills, positions, pnl, settings] = await Promise.all([
        fetchDemoBalance(client, workspaceId, account.id, signal),
        fetchDemoOrders(client, workspaceId, account.id, { status: 'open' }, signal),
        fetchDemoFills(client, workspaceId, account.id, { limit: FILLS_LIMIT }, signal),
        isFutures ? fetchDemoPositions(client, workspaceId, account.id, signal) : Promise.resolve([]),
        fetchDemoPnl(client, workspaceId, account.id, signal),
        isFutures ? fetchDemoSettings(client, workspaceId, account.id, signal) : Promise.resolve(null),
      ])
      return { balance, openOrders, fills, positions, pnl, settings }
    },
    [client, workspaceId, account.id, isFutures],
  )
  const snapshot = useLiveResource(loadSnapshot, ['orders', 'balances', 'positions', 'accounts'], { whileLiveMs: PRICE_REFRESH_MS })
  const kept = useKeptData(snapshot.resource)
  const data = kept ?? emptySnapshot

  const keptMarkets = useKeptData(markets)
  const accountMarkets = (keptMarkets ?? []).filter((market) => market.kind === (isFutures ? 'linear' : 'spot'))
  const [chosenSymbol, setChosenSymbol] = useState<string | undefined>(undefined)
  const market = accountMarkets.find((entry) => entry.symbol === chosenSymbol) ?? accountMarkets[0]

  const cancelAction = useAction()
  const [cancellingId, setCancellingId] = useState<string | undefined>(undefined)
  const cancel = (order: DemoOrder) => {
    setCancellingId(order.id)
    void cancelAction
      .run(async () => {
        await cancelDemoOrder(client, workspaceId, account.id, order.id)
      })
      .finally(() => {
        setCancellingId(undefined)
        snapshot.reload()
      })
  }

  const settle = market === undefined ? 'USDT' : symbolParts(market.symbol).quote
  const titleId = `demo-account-${account.id}-title`
  const hedged = data.settings?.hedged ?? false

  return (
    <>
      <section className="card demo-account" aria-labelledby={titleId}>
        <div className="card__header">
          <h3 id={titleId} className="card__title">
            {account.name} <span className="tag">{accountKindLabels[account.kind]}</span>
          </h3>
          <FeedStatus feed={feed} />
        </div>
        <PolledView resource={markets} kept={keptMarkets} loadingLabel="Loading markets" onRetry={onRetryMarkets}>
          {() =>
            market === undefined ? (
              <p className="empty">The demo exchange lists no {isFutures ? 'perpetual' : 'spot'} markets.</p>
            ) : (
              <div className="market-bar">
                <SelectField id={symbolId} label="Symbol" value={market.symbol} onChange={(event) => setChosenSymbol(event.target.value)}>
                  {accountMarkets.map((entry) => (
                    <option key={entry.symbol} value={entry.symbol}>
                      {entry.symbol}
                    </option>
                  ))}
                </SelectField>
                <MarketFacts market={market} />
              </div>
            )
          }
        </PolledView>
      </section>

      {market === undefined ? null : (
        <section className="card" aria-labelledby={`${titleId}-chart`}>
          <h3 id={`${titleId}-chart`} className="card__title">
            {market.symbol} chart
          </h3>
          <CandleChart workspaceId={workspaceId} market={market} openOrders={data.openOrders} fills={data.fills} feed={feed} />
        </section>
      )}

      <div className="demo-grid">
        {market === undefined ? null : (
          <section className="card" aria-labelledby={`${titleId}-order`}>
            <h3 id={`${titleId}-order`} className="card__title">
              Place an order
            </h3>
            <OrderForm key={market.symbol} workspaceId={workspaceId} account={account} market={market} hedged={hedged} onPlaced={snapshot.reload} />
          </section>
        )}
        <section className="card" aria-labelledby={`${titleId}-funds`}>
          <h3 id={`${titleId}-funds`} className="card__title">
            Balances and PnL
          </h3>
          <PolledView resource={snapshot.resource} kept={kept} loadingLabel="Loading balances" onRetry={snapshot.reload}>
            {(loaded) => (
              <div className="stack">
                <BalancesTable lines={loaded.balance} />
                <PnlSummary pnl={loaded.pnl} currency={settle} />
              </div>
            )}
          </PolledView>
        </section>
      </div>

      {isFutures ? (
        <section className="card positions-card" aria-labelledby={`${titleId}-positions`}>
          <h3 id={`${titleId}-positions`} className="card__title">
            Positions
          </h3>
          <PolledView resource={snapshot.resource} kept={kept} loadingLabel="Loading positions" onRetry={snapshot.reload}>
            {(loaded) => <PositionsTable positions={loaded.positions} />}
          </PolledView>
          {/* The fields start from the server's settings, so they wait for the first snapshot. */}
          {kept === undefined || kept.settings === null ? null : (
            <>
              <PositionModeSetting workspaceId={workspaceId} accountId={account.id} hedged={kept.settings.hedged} onChanged={snapshot.reload} />
              {market === undefined ? null : (
                <>
                  <h4 className="subsection__title">Leverage and margin for {market.symbol}</h4>
                  <FuturesSettings
                    key={market.symbol}
                    workspaceId={workspaceId}
                    accountId={account.id}
                    market={market}
                    current={symbolSettingsOf(kept.settings, market.symbol)}
                    onChanged={snapshot.reload}
                  />
                </>
              )}
            </>
          )}
        </section>
      ) : null}

      <section className="card" aria-labelledby={`${titleId}-orders`}>
        <h3 id={`${titleId}-orders`} className="card__title">
          Open orders
        </h3>
        <ActionError action={cancelAction} />
        <PolledView resource={snapshot.resource} kept={kept} loadingLabel="Loading open orders" onRetry={snapshot.reload}>
          {(loaded) => <OpenOrdersTable orders={loaded.openOrders} cancellingId={cancellingId} onCancel={cancel} />}
        </PolledView>
      </section>

      <section className="card" aria-labelledby={`${titleId}-fills`}>
        <h3 id={`${titleId}-fills`} className="card__title">
          Fills
        </h3>
        <PolledView resource={snapshot.resource} kept={kept} loadingLabel="Loading fills" onRetry={snapshot.reload}>
          {(loaded) => <FillsTable fills={loaded.fills} />}
        </PolledView>
      </section>
    </>
  )
}
