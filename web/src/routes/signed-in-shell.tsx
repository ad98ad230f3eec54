import { lazy, useCallback, useEffect, useId, useState } from 'react'
import { fetchLockStatus } from '../api/incident/queries'
import { alertStreamPath, fetchUnreadCount } from '../api/notifications/queries'
import type { VersionInfo } from '../api/system/queries'
import { AppHeader } from '../components/app-header'
import { LazyPage } from '../components/lazy-page'
import { Link } from '../components/link'
import type { Me, Workspace } from '../lib/account-parsers'
import { itemPathFor, routePaths, type Route } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useDocumentTitle } from '../lib/use-document-title'
import { navigate, useRoute } from '../lib/use-route'
import { useResource, type Resource } from '../lib/use-resource'
import { useUnreadStream } from '../lib/use-unread-stream'
import { chooseWorkspace, readSavedWorkspaceId, saveWorkspaceId } from '../lib/workspace'
import type { LockStatus } from '../lib/incident-parsers'
import { AlertsPage } from './alerts-page'
import { ExchangesPage } from './exchanges/exchanges-page'
import { OverviewPage } from './overview-page'
import { SecurityPage } from './security/security-page'
import { LockdownButton } from './monitoring/lockdown-dialog'
import { useLockChange } from './monitoring/lock-events'
import { canLockDown } from './monitoring/no-workspace'
import { NotFoundPage } from './simple-pages'
import { TokensPage } from './tokens-page'

const UNREAD_REFRESH_MS = 60_000
const LOCK_REFRESH_MS = 30_000

// Its chart library is most of its weight: only those who open the Demo page download it.
const DemoPage = lazy(() => import('./demo/demo-page').then((module) => ({ default: module.DemoPage })))
// The trading pages bring the API's zod schemas (client-side checks): loaded when opened.
const SmartTradesPage = lazy(() => import('./trading/smart-trades-page').then((module) => ({ default: module.SmartTradesPage })))
const BotsPage = lazy(() => import('./trading/bots-page').then((module) => ({ default: module.BotsPage })))
// The security center's pages (key health, activity, audit, notifications, incidents): loaded when opened.
const SecurityCenterPage = lazy(() => import('./monitoring/security-center-page').then((module) => ({ default: module.SecurityCenterPage })))
const ActivityPage = lazy(() => import('./monitoring/activity-page').then((module) => ({ default: module.ActivityPage })))
const AuditPage = lazy(() => import('./monitoring/audit-page').then((module) => ({ default: module.AuditPage })))
const NotificationsPage = lazy(() => import('./monitoring/notifications-page').then((module) => ({ default: module.NotificationsPage })))
const IncidentsPage = lazy(() => import('./monitoring/incidents-page').then((module) => ({ default: module.IncidentsPage })))

/** The pages under "Security center" in the main navigation (the alerts inbox keeps its own entry). */
const securityCenterRoutes: readonly Route['name'][] = ['securityCenter', 'activity', 'audit', 'notifications', 'incidents']

type NavItem = { to: string; label: string; isCurrent: (route: Route) => boolean }

const navItems: readonly NavItem[] = [
  { to: routePaths.home, label: 'Overview', isCurrent: (route) => route.name === 'home' },
  { to: routePaths.exchanges, label: 'Exchanges', isCurrent: (route) => route.name === 'exchanges' },
  { to: routePaths.demo, label: 'Demo', isCurrent: (route) => route.name === 'demo' },
  { to: routePaths.smartTrades, label: 'Smart Trades', isCurrent: (route) => route.name === 'smartTrades' },
  { to: routePaths.bots, label: 'Bots', isCurrent: (route) => route.name === 'bots' },
  { to: routePaths.securityCenter, label: 'Security center', isCurrent: (route) => securityCenterRoutes.includes(route.name) },
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

/** The brake, always at hand: the red button for those who may pull it; a link to the incident once pulled. */
const LockdownSlot = ({ workspace, lock }: { workspace: Workspace | undefined; lock: LockStatus | undefined }) => {
  if (workspace === undefined) return null
  if (lock?.locked === true) {
    return (
      <Link to={lock.incident === null ? routePaths.incidents : itemPathFor('incidents', lock.incident.id)} className="button button--secondary button--small lockdown-locked">
        Locked down: see the incident
      </Link>
    )
  }
  if (!canLockDown(workspace.role)) return null
  return <LockdownButton workspace={workspace} />
}

const LockBanner = ({ workspace, lock }: { workspace: Workspace; lock: LockStatus }) => (
  <div className="lock-banner" role="alert">
    <p className="lock-banner__title">{workspace.name} is locked down.</p>
    <p>
      Every exchange key refuses every request and bots are stopped. Changes wait until an owner or admin unlocks it
      {lock.incident?.state === 'unlocking' ? ' (an unlock is under way)' : ''}.{' '}
      <Link to={lock.incident === null ? routePaths.incidents : itemPathFor('incidents', lock.incident.id)}>Open the incident</Link>
    </p>
  </div>
)

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

  // The count comes live over server-sent events; the minute's poll covers a stream that is down (and
  // notices an ended session, which an EventSource cannot report).
  const loadUnread = useCallback(
    async (signal: AbortSignal) => (workspaceId === undefined ? undefined : await fetchUnreadCount(client, workspaceId, signal)),
    [client, workspaceId],
  )
  const polled = useResource(loadUnread, { refreshMs: UNREAD_REFRESH_MS })
  const live = useUnreadStream(workspaceId === undefined ? undefined : alertStreamPath(workspaceId))
  const unread: { resource: Resource<number | undefined>; reload: () => void } = {
    resource: live.state === 'live' && live.count !== undefined ? { status: 'success', data: live.count, isRefreshing: false, checkedAt: new Date() } : polled.resource,
    reload: polled.reload,
  }

  const loadLock = useCallback(
    async (signal: AbortSignal) => (workspaceId === undefined ? undefined : await fetchLockStatus(client, workspaceId, signal)),
    [client, workspaceId],
  )
  const lockStatus = useResource(loadLock, { refreshMs: LOCK_REFRESH_MS })
  const lock = lockStatus.resource.status === 'success' ? lockStatus.resource.data : undefined
  useLockChange(lockStatus.reload)

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
        return <AlertsPage workspace={workspace} onChanged={unread.reload} live={live} route={route} />
      case 'securityCenter':
        return (
          <LazyPage loadingLabel="Loading the security center">
            <SecurityCenterPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'activity':
        return (
          <LazyPage loadingLabel="Loading the activity log">
            <ActivityPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'audit':
        return (
          <LazyPage loadingLabel="Loading the audit log">
            <AuditPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'notifications':
        return (
          <LazyPage loadingLabel="Loading the notification settings">
            <NotificationsPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'incidents':
        return (
          <LazyPage loadingLabel="Loading incidents">
            <IncidentsPage workspace={workspace} route={route} />
          </LazyPage>
        )
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
        account={
          <>
            <LockdownSlot workspace={workspace} lock={lock} />
            <AccountBar me={me} />
          </>
        }
        nav={<MainNav route={route} workspaces={me.workspaces} workspace={workspace} onSelectWorkspace={selectWorkspace} unread={unread.resource} />}
      />
      <main className="app-main">
        {workspace !== undefined && lock?.locked === true && route.name !== 'incidents' ? <LockBanner workspace={workspace} lock={lock} /> : null}
        {page}
      </main>
    </div>
  )
}
