import { lazy, Suspense } from 'react'
import { fetchReadiness } from '../api/system/queries'
import { PageHeading } from '../components/page-heading'
import { READINESS_REFRESH_MS, ReadinessPanel } from '../components/readiness-panel'
import type { Workspace } from '../lib/account-parsers'
import { useLiveTopics } from '../lib/live-events'
import { useMe } from '../lib/session-context'
import { useResource } from '../lib/use-resource'
import { chooseWorkspace, readSavedWorkspaceId } from '../lib/workspace'
import { AccountsCard } from './overview/accounts-card'
import { AlertsCard } from './overview/alerts-card'
import { SecurityScorePanel, useSecurityScore } from './overview/security-score-panel'
import { OverviewCard, RowsSkeleton } from './overview/overview-card'
import './overview/overview.css'

const readinessOptions = { refreshMs: READINESS_REFRESH_MS }

// The trading tiles bring the trading schemas and words: loaded on demand, like the trading pages.
const TradingTiles = lazy(() => import('./overview/trading-cards').then((module) => ({ default: module.TradingTiles })))

/** The trading tiles' places while their code arrives: the same cards, so nothing moves. */
const TradingTilesSkeleton = () => (
  <>
    {['Open Smart Trades', 'Running bots', 'Profit and loss'].map((title, i) => (
      <OverviewCard key={title} id={`overview-trading-skeleton-${i}`} title={title}>
        <RowsSkeleton rows={2} label={`Loading ${title.toLowerCase()}`} />
      </OverviewCard>
    ))}
  </>
)

/** The workspace's tiles: each loads on its own, so one slow answer does not hold the others. */
const WorkspaceOverview = ({ workspace }: { workspace: Workspace }) => {
  const score = useSecurityScore(workspace.id)
  // Keys and factors move the score; the stream names accounts (keys) and alerts (a factor change raises one).
  useLiveTopics(['accounts', 'alerts'], score.reload)
  return (
    <>
      <div className="overview-grid__wide">
        <SecurityScorePanel resource={score.resource} onRetry={score.reload} variant="compact" />
      </div>
      <AccountsCard workspace={workspace} />
      <AlertsCard workspace={workspace} />
      <Suspense fallback={<TradingTilesSkeleton />}>
        <TradingTiles workspace={workspace} />
      </Suspense>
    </>
  )
}

/**
 * The signed-in start page: the security score with its next steps, accounts, Smart Trades and bots with
 * their profit, recent alerts, and the instance's readiness. `workspace` is the shell's choice; without
 * it the page makes the same choice (the saved one, else the first).
 */
export const OverviewPage = ({ workspace: chosen }: { workspace?: Workspace | undefined }) => {
  const me = useMe()
  const readiness = useResource(fetchReadiness, readinessOptions)
  const workspace = chosen ?? chooseWorkspace(me.workspaces, readSavedWorkspaceId())
  const name = me.user.displayName === null || me.user.displayName === '' ? undefined : me.user.displayName

  return (
    <>
      <div className="page-intro">
        <PageHeading id="overview-title" title="Overview" className="page-title" />
        <p className="card__intro">
          {name === undefined ? 'Welcome.' : `Welcome, ${name}.`} {workspace === undefined ? 'You are not a member of any workspace.' : `This is ${workspace.name} at a glance.`}
        </p>
      </div>
      <div className="overview-grid">
        {workspace === undefined ? null : <WorkspaceOverview key={workspace.id} workspace={workspace} />}
        <div className="overview-grid__wide overview-readiness">
          <ReadinessPanel readiness={readiness.resource} onRecheck={readiness.reload} />
        </div>
      </div>
    </>
  )
}
