import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { fetchDemoFeed, fetchDemoMarkets } from '../../api/demo/queries'
import { fetchBots, fetchTradingAccounts, type BotView, type TradingAccountView } from '../../api/trading/queries'
import { ErrorNotice } from '../../components/error-notice'
import { PageHeading } from '../../components/page-heading'
import type { Workspace } from '../../lib/account-parsers'
import type { DemoFeed, DemoMarket } from '../../lib/demo-parsers'
import type { LiveTopic } from '../../lib/live-events'
import { itemPathFor } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { navigate } from '../../lib/use-route'
import { useResource, type Resource } from '../../lib/use-resource'
import { PolledView, useKeptData } from '../demo/polled'
import { AccountRiskPanel } from '../trading/account-risk'
import { HaltBanner } from '../trading/halt-banner'
import { firstTradableAccount, SmartTradeForm } from '../trading/smart-trade-form'
import { accountKeyOf, emptySmartTradeDraft, isFuturesSymbol, tidySymbol, type SmartTradeDraft } from '../trading/smart-trade-draft'
import { canSetRisk, canTrade } from '../trading/trading-format'
import { useWorkspaceLocked } from '../../lib/lock-context'
import { UnknownOrdersNotice } from '../trading/unknown-orders'
import { useLiveRefresh, useLiveResource } from '../trading/use-live-refresh'
import { draftLines, dragPatch, type DraftLine, type MarketPrices } from './draft-lines'
import { SmartTradeList } from './smart-trade-list'
import '../demo/demo.css'
import '../trading/trading.css'
import './trade.css'

// The chart library is most of the page's weight: it arrives in its own chunk, after the form.
const TradeChart = lazy(() => import('./trade-chart').then((module) => ({ default: module.TradeChart })))

/** The list reloads when a trade's state or its orders change (and keeps polling, for when the stream is down). */
const LIST_TOPICS: readonly LiveTopic[] = ['bots', 'orders']
const ACCOUNTS_REFRESH_MS = 60_000
/** The last price (a market entry's line) and the feed's state, as often as the candles. */
const MARKET_REFRESH_MS = 3_000

/** The chart's box while its code, its markets or its symbol are missing: the same size, so nothing moves. */
const ChartPlaceholder = ({ children, isBusy = false }: { children?: ReactNode; isBusy?: boolean }) => (
  <div className="trade-chart-placeholder" aria-busy={isBusy || undefined}>
    {children}
  </div>
)

type ChartAreaProps = {
  workspaceId: string
  account: TradingAccountView | undefined
  symbol: string
  market: DemoMarket | undefined
  markets: Resource<DemoMarket[]>
  hasMarkets: boolean
  onRetryMarkets: () => void
  lines: readonly DraftLine[]
  onDragLine: (id: string, price: number) => void
  feed: Resource<DemoFeed>
}

/**
 * Which chart there is: the symbol's candles from the platform's market feed (the demo exchange's
 * prices; for a real exchange account the same feed, said to be a reference), or why there is none.
 */
const ChartArea = ({ workspaceId, account, symbol, market, markets, hasMarkets, onRetryMarkets, lines, onDragLine, feed }: ChartAreaProps) => {
  if (!hasMarkets) {
    if (markets.status === 'error') {
      return (
        <ChartPlaceholder>
          <ErrorNotice error={markets.error} />
          <button type="button" className="button button--secondary button--small" onClick={onRetryMarkets}>
            Try again
          </button>
        </ChartPlaceholder>
      )
    }
    return (
      <ChartPlaceholder isBusy>
        <p className="empty">Loading markets…</p>
      </ChartPlaceholder>
    )
  }
  if (symbol === '') {
    return (
      <ChartPlaceholder>
        <p className="empty">Type a symbol in the form to see its chart.</p>
      </ChartPlaceholder>
    )
  }
  if (market === undefined) {
    return (
      <ChartPlaceholder>
        <p className="empty">
          No chart for “{symbol}”: the platform&apos;s market feed does not carry it{account?.market === 'linear' ? ' (futures symbols look like BTC/USDT:USDT)' : ''}.
        </p>
      </ChartPlaceholder>
    )
  }
  const referenceNote =
    account?.kind === 'exchange'
      ? `Reference prices: the platform's market feed for ${market.symbol}, not ${account.label}'s own order book. Prices on the exchange, and your fills, may differ slightly.`
      : undefined
  return (
    <Suspense
      fallback={
        <ChartPlaceholder isBusy>
          <p className="empty">Loading the chart…</p>
        </ChartPlaceholder>
      }
    >
      <TradeChart workspaceId={workspaceId} market={market} lines={lines} onDragLine={onDragLine} feed={feed} referenceNote={referenceNote} />
    </Suspense>
  )
}

type DeskProps = { workspace: Workspace; accounts: readonly TradingAccountView[]; onCreated: (bot: BotView) => void }

/**
 * The chart beside the form. The page holds the form's draft: the chart draws it as lines, and a
 * dragged line is written back into it (draft-lines.ts), so the form and the chart never disagree.
 */
const TradeDesk = ({ workspace, accounts, onCreated }: DeskProps) => {
  const { client } = useAppSession()
  const isTrader = canTrade(workspace.role)
  const isLocked = useWorkspaceLocked()
  const [draft, setDraft] = useState<SmartTradeDraft>(() => {
    const first = firstTradableAccount(accounts)
    return emptySmartTradeDraft(first === undefined ? '' : accountKeyOf(first))
  })
  const account = accounts.find((candidate) => accountKeyOf(candidate) === draft.accountKey) ?? firstTradableAccount(accounts) ?? accounts[0]

  const refreshMs = useLiveRefresh(MARKET_REFRESH_MS)
  const loadMarkets = useCallback((signal: AbortSignal) => fetchDemoMarkets(client, workspace.id, signal), [client, workspace.id])
  const markets = useResource(loadMarkets, { refreshMs })
  const keptMarkets = useKeptData(markets.resource)
  const loadFeed = useCallback((signal: AbortSignal) => fetchDemoFeed(client, workspace.id, signal), [client, workspace.id])
  const feed = useResource(loadFeed, { refreshMs })

  const kind = account?.market ?? 'spot'
  const accountMarkets = useMemo(() => (keptMarkets ?? []).filter((candidate) => candidate.kind === kind), [keptMarkets, kind])
  const symbol = tidySymbol(draft.symbol)
  const market = accountMarkets.find((candidate) => candidate.symbol === symbol)

  // A symbol to start from, once per account chosen, so the chart has something to show at once. It
  // follows a change of account (a futures account needs a futures symbol) until the person types their
  // own: a symbol typed (or cleared) is theirs and is never replaced.
  const prefill = useRef<{ accountKey: string; symbol: string } | undefined>(undefined)
  const firstSymbol = accountMarkets[0]?.symbol
  useEffect(() => {
    if (firstSymbol === undefined || prefill.current?.accountKey === draft.accountKey) return
    const ours = prefill.current?.symbol
    prefill.current = { accountKey: draft.accountKey, symbol: firstSymbol }
    setDraft((previous) =>
      previous.symbol.trim() === '' || previous.symbol === ours
        ? { ...previous, symbol: firstSymbol, ...(isFuturesSymbol(firstSymbol) ? {} : { direction: 'long' }) }
        : previous,
    )
  }, [firstSymbol, draft.accountKey])

  const last = market?.last ?? null
  const tickSize = market?.tickSize
  const lines = useMemo(() => (tickSize === undefined || !isTrader ? [] : draftLines(draft, { last, tickSize })), [draft, last, tickSize, isTrader])
  // The drag handler is stable (the chart keeps it between renders); it reads the latest prices here.
  const pricesRef = useRef<MarketPrices | undefined>(undefined)
  useEffect(() => {
    pricesRef.current = tickSize === undefined ? undefined : { last, tickSize }
  }, [last, tickSize])
  const dragLine = useCallback((id: string, price: number) => {
    const current = pricesRef.current
    if (current === undefined) return
    setDraft((previous) => {
      const patch = dragPatch(previous, id, price, current)
      return Object.keys(patch).length === 0 ? previous : { ...previous, ...patch }
    })
  }, [])

  // Demo accounts suggest the demo exchange's symbols; an exchange's own list is not known here.
  const symbolOptions = useMemo(() => (account?.kind === 'demo' ? accountMarkets.map((candidate) => candidate.symbol) : []), [account?.kind, accountMarkets])

  return (
    <div className="trade-desk">
      <section className="card trade-desk__chart" aria-labelledby="trade-chart-title">
        <h3 id="trade-chart-title" className="card__title">
          {market === undefined ? 'Chart' : `${market.symbol} chart`}
        </h3>
        <ChartArea
          workspaceId={workspace.id}
          account={account}
          symbol={symbol}
          market={market}
          markets={markets.resource}
          hasMarkets={keptMarkets !== undefined}
          onRetryMarkets={markets.reload}
          lines={lines}
          onDragLine={dragLine}
          feed={feed.resource}
        />
      </section>
      {isTrader && isLocked ? (
        <section className="card trade-desk__form">
          <p className="card__intro">Nothing new can start while {workspace.name} is locked down: unlock it from the incident first.</p>
        </section>
      ) : isTrader ? (
        <section className="card trade-desk__form" aria-labelledby="smart-trade-create-title">
          <h3 id="smart-trade-create-title" className="card__title">
            New Smart Trade
          </h3>
          <p className="card__intro">One position with its exits planned up front. It starts as soon as you submit it.</p>
          <SmartTradeForm workspaceId={workspace.id} accounts={accounts} draft={draft} onDraftChange={setDraft} symbolOptions={symbolOptions} onCreated={onCreated} />
        </section>
      ) : (
        <section className="card trade-desk__form">
          <p className="card__intro">Owners, admins and traders of {workspace.name} start Smart Trades; you can follow them here.</p>
        </section>
      )}
    </div>
  )
}

const TradeWorkspace = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadTrades = useCallback((signal: AbortSignal) => fetchBots(client, workspace.id, 'smart_trade', signal), [client, workspace.id])
  // Reloaded on the live topics; polled only for unrealized PnL while live, and as the fallback when not.
  const trades = useLiveResource(loadTrades, LIST_TOPICS)
  const keptTrades = useKeptData(trades.resource)
  const loadAccounts = useCallback((signal: AbortSignal) => fetchTradingAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useResource(loadAccounts, { refreshMs: ACCOUNTS_REFRESH_MS })
  const keptAccounts = useKeptData(accounts.resource)

  const showCreated = (bot: BotView) => {
    trades.reload()
    navigate(itemPathFor('smartTrades', bot.id))
  }

  return (
    <>
      <HaltBanner workspace={workspace} onChanged={trades.reload} />
      <UnknownOrdersNotice workspaceId={workspace.id} />
      {/* Kept through a failed refresh: the form (and what is typed in it) must not vanish with one poll. */}
      <PolledView resource={accounts.resource} kept={keptAccounts} loadingLabel="Loading accounts" onRetry={accounts.reload}>
        {(list) => <TradeDesk workspace={workspace} accounts={list} onCreated={showCreated} />}
      </PolledView>
      <section className="card" aria-labelledby="smart-trades-list-title">
        <h3 id="smart-trades-list-title" className="card__title">
          Smart Trades in {workspace.name}
        </h3>
        <PolledView resource={trades.resource} kept={keptTrades} loadingLabel="Loading Smart Trades" onRetry={trades.reload}>
          {(list) => <SmartTradeList trades={list} />}
        </PolledView>
      </section>
      {canSetRisk(workspace.role) && keptAccounts !== undefined ? <AccountRiskPanel workspaceId={workspace.id} accounts={keptAccounts} /> : null}
    </>
  )
}

/**
 * Trade: a Smart Trade planned on the chart. The candles of the chosen account's symbol beside the
 * form, with the entry, take-profit targets and stop drawn as lines that can be dragged; the
 * workspace's Smart Trades, the kill switch and the risk limits below. "/smart-trades" shows it too;
 * "/smart-trades/<id>" opens one trade.
 */
export const TradePage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <div className="trading-page trade-page">
    <div className="page-intro">
      <PageHeading id="trade-title" title="Trade" className="page-title" />
      <p className="card__intro">
        A Smart Trade is one position with its exits planned: up to five take-profit targets, a stop loss that can trail or move to breakeven, and a timeout. Set
        them in the form or drag their lines on the chart.
      </p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there is nothing to trade.</p>
      </section>
    ) : (
      <TradeWorkspace key={workspace.id} workspace={workspace} />
    )}
  </div>
)
