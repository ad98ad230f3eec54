import { useCallback, useState } from 'react'
import { fetchDemoAccounts, fetchDemoFeed, fetchDemoMarkets } from '../../api/demo/queries'
import { PageHeading } from '../../components/page-heading'
import type { Workspace } from '../../lib/account-parsers'
import type { DemoAccount } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { AccountPanel } from './account-panel'
import { CreateDemoAccountForm, DemoAccountList } from './demo-accounts'
import { FeedStatus } from './feed-status'
import { useKeptData } from './polled'
import { useLiveResource } from '../trading/use-live-refresh'
import './demo.css'

const FEED_REFRESH_MS = 5_000
const MARKETS_REFRESH_MS = 5_000
const ACCOUNTS_FALLBACK_MS = 60_000

const DemoWorkspace = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadFeed = useCallback((signal: AbortSignal) => fetchDemoFeed(client, workspace.id, signal), [client, workspace.id])
  const feed = useResource(loadFeed, { refreshMs: FEED_REFRESH_MS })
  const loadMarkets = useCallback((signal: AbortSignal) => fetchDemoMarkets(client, workspace.id, signal), [client, workspace.id])
  const markets = useResource(loadMarkets, { refreshMs: MARKETS_REFRESH_MS })
  const loadAccounts = useCallback((signal: AbortSignal) => fetchDemoAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useLiveResource(loadAccounts, ['accounts'], { fallbackMs: ACCOUNTS_FALLBACK_MS })
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined)

  const keptAccounts = useKeptData(accounts.resource)
  const list = keptAccounts ?? []
  const selected = list.find((account) => account.id === selectedId) ?? list[0]

  const showCreated = (account: DemoAccount) => {
    setSelectedId(account.id)
    accounts.reload()
  }

  return (
    <>
      <FeedStatus feed={feed.resource} isAnnounced />
      <section className="card" aria-labelledby="demo-accounts-title">
        <h3 id="demo-accounts-title" className="card__title">
          Demo accounts in {workspace.name}
        </h3>
        <DemoAccountList
          workspaceId={workspace.id}
          accounts={accounts.resource}
          kept={keptAccounts}
          onRetry={accounts.reload}
          selectedId={selected?.id}
          onSelect={setSelectedId}
          onChanged={accounts.reload}
        />
        <h4 id="demo-create-title" className="subsection__title demo-create-title">
          Create a demo account
        </h4>
        <CreateDemoAccountForm workspaceId={workspace.id} onCreated={showCreated} />
      </section>
      {selected === undefined ? null : (
        // A reset starts the account afresh: the panel (form, settings) starts afresh with it.
        <AccountPanel
          key={`${selected.id} ${selected.resetCount}`}
          workspaceId={workspace.id}
          account={selected}
          markets={markets.resource}
          onRetryMarkets={markets.reload}
          feed={feed.resource}
        />
      )}
    </>
  )
}

/**
 * Demo Spot and Demo Futures: paper trading on the platform's own simulated exchange, with the data
 * source always on show. Loaded on demand (its chart library is large).
 */
export const DemoPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <div className="demo-page">
    <div className="page-intro">
      <PageHeading id="demo-title" title="Demo exchange" className="page-title" />
      <p className="card__intro">
        Paper trading with virtual money on Demo Spot and Demo Futures, with the fills, fees and filters of a real exchange. Try every strategy here before it
        trades real funds.
      </p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there are no demo accounts to show.</p>
      </section>
    ) : (
      <DemoWorkspace key={workspace.id} workspace={workspace} />
    )}
  </div>
)
