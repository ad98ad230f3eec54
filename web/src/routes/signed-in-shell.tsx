import { lazy, useCallback, useEffect, useId, useState } from 'react'
import { fetchAlerts } from '../api/alerts/queries'
import type { VersionInfo } from '../api/system/queries'
import { AppHeader } from '../components/app-header'
import { LazyPage } from '../components/lazy-page'
import { Link } from '../components/link'
import type { Me, Workspace } from '../lib/account-parsers'
import { routePaths, type Route } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useDocumentTitle } from '../lib/use-document-title'
import { navigate, useRoute } from '../lib/use-route'
import { useResource, type Resource } from '../lib/use-resource'
import { chooseWorkspace, readSavedWorkspaceId, saveWorkspaceId } from '../lib/workspace'
import { AlertsPage } from './alerts-page'
import { ExchangesPage } from './exchanges/exchanges-page'
import { OverviewPage } from './overview-page'
import { SecurityPage } from './security/security-page'
import { NotFoundPage } from './simple-pages'
import { TokensPage } from './tokens-page'

const UNREAD_REFRESH_MS = 60_000

// Its chart library is most of its weight: only those who open the Demo page download it.
const DemoPage = lazy(() => import('./demo/demo-page').then((module) => ({ default: module.DemoPage })))
// The trading pages bring the API's zod schemas (client-side checks): loaded when opened.
const SmartTradesPage = lazy(() => import('./trading/smart-trades-page').then((module) => ({ default: module.SmartTradesPage })))
const BotsPage = lazy(() => import('./trading/bots-page').then((module) => ({ default: module.BotsPage })))

type NavItem = { to: string; label: string; isCurrent: (route: Route) => boolean }

const navItems: readonly NavItem[] = [
  { to: routePaths.home, label: 'Overview', isCurrent: (route) => route.name === 'home' },
  { to: routePaths.exchanges, label: 'Exchanges', isCurrent: (route) => route.name === 'exchanges' },
  { to: routePaths.demo, label: 'Demo', isCurrent: (route) => route.name === 'demo' },
  { to: routePaths.smartTrades, label: 'Smart Trades', isCurrent: (route) => route.name === 'smartTrades' },
  { to: routePaths.bots, label: 'Bots', isCurrent: (route) => route.name === 'bots' },
  { to: routePaths.security, label: 'Security', isCurrent: (route) => route.name === 'security' },
  { to: routePaths.tokens, label: 'API tokens', isCurrent: (route) => route.name === 'tokens' },
]

const AccountBar = ({ me }: { me: Me }) => {
  const { signOut } = useAppSession()
  const [isSigningOut, setIsSigningOut] = useState(false)
  return (
    <div className="account-bar">
      <span className="account-bar__email" title={me.user.email}>
        <span className="visually-hidden">Signed in as </span>
        {me.user.email}
      </span>
      <button
        type="button"
        className="button button--secondary button--small"
        disabled={isSigningOut}
        onClick={() => {
          setIsSigningOut(true)
          void signOut()
        }}
      >
        Sign out
      </button>
    </div>
  )
}

const UnreadBadge = ({ unread }: { unread: Resource<number | undefined> }) => {
  const count = unread.status === 'success' ? unread.data : undefined
  if (count === undefined || count === 0) return null
  return (
    <span className="count-badge">
      <span aria-hidden="true">{count > 99 ? '99+' : count}</span>
      <span className="visually-hidden">, {count} unread</span>
    </span>
  )
}

type NavProps = {
  route: Route
  workspaces: readonly Workspace[]
  workspace: Workspace | undefined
  onSelectWorkspace: (id: string) => void
  unread: Resource<number | undefined>
}

const MainNav = ({ route, workspaces, workspace, onSelectWorkspace, unread }: NavProps) => {
  const selectId = useId()
  return (
    <div className="nav-row">
      <nav aria-label="Main" className="nav">
        <ul className="nav__list">
          {navItems.map((item) => (
            <li key={item.to}>
              <Link to={item.to} className="nav__link" aria-current={item.isCurrent(route) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
          <li>
            <Link to={routePaths.alerts} className="nav__link" aria-current={route.name === 'alerts' ? 'page' : undefined}>
              Alerts
              <UnreadBadge unread={unread} />
            </Link>
          </li>
        </ul>
      </nav>
      {workspaces.length > 1 && workspace !== undefined ? (
        <div className="workspace-picker">
          <label htmlFor={selectId} className="workspace-picker__label">
            Workspace
          </label>
          <select id={selectId} className="field__input field__input--compact" value={workspace.id} onChange={(event) => onSelectWorkspace(event.target.value)}>
            {workspaces.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
    </div>
  )
}

/** The signed-in dashboard: header with navigation, account and unread alerts, and the pages. */
export const SignedInShell = ({ me, version }: { me: Me; version: Resource<VersionInfo> }) => {
  const route = useRoute()
  const { client } = useAppSession()
  const [savedWorkspaceId, setSavedWorkspaceId] = useState(readSavedWorkspaceId)
  const workspace = chooseWorkspace(me.workspaces, savedWorkspaceId)
  const workspaceId = workspace?.id
  useDocumentTitle(route)

  const loadUnread = useCallback(
    async (signal: AbortSignal) =>
      workspaceId === undefined ? undefined : (await fetchAlerts(client, workspaceId, true, signal)).length,
    [client, workspaceId],
  )
  const unread = useResource(loadUnread, { refreshMs: UNREAD_REFRESH_MS })

  // The signed-out pages have nothing to show a signed-in person (e.g. right after signing in).
  const isSignedOutPage = route.name === 'signIn' || route.name === 'signUp' || route.name === 'forgotPassword'
  useEffect(() => {
    if (isSignedOutPage) navigate(routePaths.home, { replace: true })
  }, [isSignedOutPage])

  const selectWorkspace = (id: string) => {
    saveWorkspaceId(id)
    setSavedWorkspaceId(id)
  }

  const page = (() => {
    switch (route.name) {
      case 'security':
        return <SecurityPage />
      case 'tokens':
        return <TokensPage workspaces={me.workspaces} defaultWorkspaceId={workspaceId} />
      case 'exchanges':
        return <ExchangesPage workspace={workspace} />
      case 'demo':
        return (
          <LazyPage loadingLabel="Loading the Demo page">
            <DemoPage workspace={workspace} />
          </LazyPage>
        )
      case 'smartTrades':
        return (
          <LazyPage loadingLabel="Loading the Smart Trades page">
            <SmartTradesPage workspace={workspace} itemId={route.id} />
          </LazyPage>
        )
      case 'bots':
        return (
          <LazyPage loadingLabel="Loading the Bots page">
            <BotsPage workspace={workspace} itemId={route.id} />
          </LazyPage>
        )
      case 'alerts':
        return <AlertsPage workspace={workspace} onChanged={unread.reload} />
      case 'notFound':
        return <NotFoundPage path={route.path} />
      default:
        return <OverviewPage />
    }
  })()

  return (
    <div className="app app--wide">
      <AppHeader
        version={version}
        account={<AccountBar me={me} />}
        nav={<MainNav route={route} workspaces={me.workspaces} workspace={workspace} onSelectWorkspace={selectWorkspace} unread={unread.resource} />}
      />
      <main className="app-main">{page}</main>
    </div>
  )
}
