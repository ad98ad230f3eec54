import { lazy, useCallback, useEffect, useId, useState, type ReactNode } from 'react'
import { fetchApprovals } from '../api/approvals/queries'
import { fetchLockStatus } from '../api/incident/queries'
import { fetchUnreadCount } from '../api/notifications/queries'
import type { VersionInfo } from '../api/system/queries'
import { AppHeader } from '../components/app-header'
import { ConnectionState } from '../components/connection-state'
import { LazyPage } from '../components/lazy-page'
import { Link } from '../components/link'
import { NewWorkspaceDialog } from '../components/new-workspace-dialog'
import { MainNav, MenuButton, useMenuPanel } from '../components/side-nav'
import { SkipLink } from '../components/skip-link'
import type { Me, Workspace } from '../lib/account-parsers'
import { WorkspaceLockContext } from '../lib/lock-context'
import { LiveProvider, useLiveState, useLiveTopics, useLiveUnread } from '../lib/live-events'
import { itemPathFor, routePaths, type Route } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useDocumentTitle } from '../lib/use-document-title'
import { navigate, usePathname, useRoute } from '../lib/use-route'
import { useResource, type Resource } from '../lib/use-resource'
import type { UnreadStream } from '../lib/use-unread-stream'
import { chooseWorkspace, readSavedWorkspaceId, saveWorkspaceId } from '../lib/workspace'
import { readPendingInvitation } from '../lib/pending-invitation'
import type { LockStatus } from '../lib/incident-parsers'
import { AlertsPage } from './alerts-page'
import { ExchangesPage } from './exchanges/exchanges-page'
import { OverviewPage } from './overview-page'
import { SecurityPage } from './security/security-page'
import { SettingsPage } from './settings-page'
import { LockdownButton } from './monitoring/lockdown-dialog'
import { useLockChange } from './monitoring/lock-events'
import { canLockDown } from './monitoring/no-workspace'
import { NotFoundPage } from './simple-pages'
import { TokensPage } from './tokens-page'

const UNREAD_REFRESH_MS = 60_000
const APPROVALS_REFRESH_MS = 60_000
const MAIN_ID = 'main'
const NAV_PANEL_ID = 'main-nav-panel'
const LOCK_REFRESH_MS = 30_000

// Its chart library is most of its weight: only those who open the Demo page download it.
const DemoPage = lazy(() => import('./demo/demo-page').then((module) => ({ default: module.DemoPage })))
// The trading pages bring the API's zod schemas (client-side checks): loaded when opened.
// The Trade page: the Smart Trade form beside a live chart (the chart library loads with it).
const TradePage = lazy(() => import('./trade/trade-page').then((module) => ({ default: module.TradePage })))
const SmartTradesPage = lazy(() => import('./trading/smart-trades-page').then((module) => ({ default: module.SmartTradesPage })))
const BotsPage = lazy(() => import('./trading/bots-page').then((module) => ({ default: module.BotsPage })))
// The security center's pages (key health, activity, audit, notifications, incidents): loaded when opened.
const SecurityCenterPage = lazy(() => import('./monitoring/security-center-page').then((module) => ({ default: module.SecurityCenterPage })))
const ActivityPage = lazy(() => import('./monitoring/activity-page').then((module) => ({ default: module.ActivityPage })))
const AuditPage = lazy(() => import('./monitoring/audit-page').then((module) => ({ default: module.AuditPage })))
const NotificationsPage = lazy(() => import('./monitoring/notifications-page').then((module) => ({ default: module.NotificationsPage })))
const IncidentsPage = lazy(() => import('./monitoring/incidents-page').then((module) => ({ default: module.IncidentsPage })))
// Teams (members, invitations, four-eyes approvals, workspace policies): loaded when opened.
const TeamPage = lazy(() => import('./team/team-page').then((module) => ({ default: module.TeamPage })))
const ApprovalsPage = lazy(() => import('./team/approvals-page').then((module) => ({ default: module.ApprovalsPage })))
const PoliciesPage = lazy(() => import('./team/policies-page').then((module) => ({ default: module.PoliciesPage })))

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

type WorkspacePickerProps = {
  workspaces: readonly Workspace[]
  workspace: Workspace | undefined
  onSelect: (id: string) => void
  onCreate: () => void
}

/** Which workspace the pages show, for people in more than one, and "New workspace" for everyone. */
const WorkspacePicker = ({ workspaces, workspace, onSelect, onCreate }: WorkspacePickerProps) => {
  const selectId = useId()
  const newButton = (
    <button type="button" className="button button--secondary button--small workspace-picker__new" onClick={onCreate}>
      New workspace
    </button>
  )
  if (workspaces.length < 2 || workspace === undefined) return <div className="workspace-picker workspace-picker--single">{newButton}</div>
  return (
    <div className="workspace-picker">
      <label htmlFor={selectId} className="workspace-picker__label">
        Workspace
      </label>
      <select id={selectId} className="field__input field__input--compact workspace-picker__select" value={workspace.id} onChange={(event) => onSelect(event.target.value)}>
        {workspaces.map((option) => (
          <option key={option.id} value={option.id}>
            {option.name}
          </option>
        ))}
      </select>
      {newButton}
    </div>
  )
}

/** A page of Settings shows the way back to the hub above it. */
const settingsChildren: readonly Route['name'][] = ['security', 'tokens', 'notifications', 'policies']

const PageFrame = ({ route, children }: { route: Route; children: ReactNode }) =>
  settingsChildren.includes(route.name) ? (
    <>
      <p className="page-back">
        <Link to={routePaths.settings}>← Settings</Link>
      </p>
      {children}
    </>
  ) : (
    children
  )

type FrameProps = {
  me: Me
  version: Resource<VersionInfo>
  route: Route
  workspace: Workspace | undefined
  onSelectWorkspace: (id: string) => void
  /** After "New workspace": shows the new one. */
  onCreatedWorkspace: (id: string) => Promise<void>
}

/**
 * The signed-in dashboard: the header across the top (brand, workspace, live state, the lockdown
 * button, the account, the theme), the main navigation beside the page on wide screens and behind
 * "Menu" on narrow ones, and the page. The frame draws at once; only the page inside it waits for data.
 */
const ShellFrame = ({ me, version, route, workspace, onSelectWorkspace, onCreatedWorkspace }: FrameProps) => {
  const menu = useMenuPanel(usePathname())
  const { client } = useAppSession()
  const workspaceId = workspace?.id
  const [isCreating, setIsCreating] = useState(false)

  // The count comes with the workspace's live stream; the minute's poll covers a stream that is down
  // (and notices an ended session, which an EventSource cannot report).
  const loadUnread = useCallback(
    async (signal: AbortSignal) => (workspaceId === undefined ? undefined : await fetchUnreadCount(client, workspaceId, signal)),
    [client, workspaceId],
  )
  const polled = useResource(loadUnread, { refreshMs: UNREAD_REFRESH_MS })
  const live: UnreadStream = { count: useLiveUnread(), state: useLiveState() }
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
  useLiveTopics(['lock'], lockStatus.reload)

  // Four-eyes requests waiting in the workspace, beside "Approvals": reloaded when the live stream says the
  // requests moved; the slow poll covers a stream that is down.
  const loadPendingApprovals = useCallback(
    async (signal: AbortSignal) => (workspaceId === undefined ? undefined : (await fetchApprovals(client, workspaceId, 'pending', signal)).length),
    [client, workspaceId],
  )
  const pendingApprovals = useResource(loadPendingApprovals, { refreshMs: APPROVALS_REFRESH_MS })
  useLiveTopics(['approvals'], pendingApprovals.reload)

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
      case 'trade':
        return (
          <LazyPage loadingLabel="Loading the Trade page">
            <TradePage workspace={workspace} />
          </LazyPage>
        )
      case 'settings':
        return <SettingsPage />
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
        return <AlertsPage workspace={workspace} onChanged={unread.reload} live={live} />
      case 'securityCenter':
        return (
          <LazyPage loadingLabel="Loading the security center">
            <SecurityCenterPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'activity':
        return (
          <LazyPage loadingLabel="Loading the activity log">
            <ActivityPage workspace={workspace} />
          </LazyPage>
        )
      case 'audit':
        return (
          <LazyPage loadingLabel="Loading the audit log">
            <AuditPage workspace={workspace} />
          </LazyPage>
        )
      case 'notifications':
        return (
          <LazyPage loadingLabel="Loading the notification settings">
            <NotificationsPage workspace={workspace} />
          </LazyPage>
        )
      case 'incidents':
        return (
          <LazyPage loadingLabel="Loading incidents">
            <IncidentsPage workspace={workspace} route={route} />
          </LazyPage>
        )
      case 'team':
        return (
          <LazyPage loadingLabel="Loading the team">
            <TeamPage workspace={workspace} onCreateWorkspace={() => setIsCreating(true)} onChanged={pendingApprovals.reload} />
          </LazyPage>
        )
      case 'approvals':
        return (
          <LazyPage loadingLabel="Loading approvals">
            <ApprovalsPage workspace={workspace} onChanged={pendingApprovals.reload} />
          </LazyPage>
        )
      case 'policies':
        return (
          <LazyPage loadingLabel="Loading the workspace policies">
            <PoliciesPage workspace={workspace} />
          </LazyPage>
        )
      case 'notFound':
        return <NotFoundPage path={route.path} />
      default:
        return <OverviewPage />
    }
  })()

  return (
    <div className="shell">
      <SkipLink target={MAIN_ID} />
      <AppHeader
        version={version}
        menu={<MenuButton menu={menu} controls={NAV_PANEL_ID} />}
        context={<WorkspacePicker workspaces={me.workspaces} workspace={workspace} onSelect={onSelectWorkspace} onCreate={() => setIsCreating(true)} />}
        tools={
          <>
            <ConnectionState />
            <LockdownSlot workspace={workspace} lock={lock} />
            <AccountBar me={me} />
          </>
        }
      />
      <div id={NAV_PANEL_ID} ref={menu.panelRef} className={menu.isOpen ? 'shell__nav shell__nav--open' : 'shell__nav'} onKeyDown={menu.onKeyDown}>
        <MainNav
          route={route}
          unreadCount={unread.resource.status === 'success' ? unread.resource.data : undefined}
          pendingApprovals={pendingApprovals.resource.status === 'success' ? pendingApprovals.resource.data : undefined}
          onFollow={menu.close}
        />
      </div>
      <main id={MAIN_ID} className="shell__main" tabIndex={-1}>
        <div className="shell__content">
          {workspace !== undefined && lock?.locked === true && route.name !== 'incidents' ? <LockBanner workspace={workspace} lock={lock} /> : null}
          <WorkspaceLockContext value={lock?.locked === true}>
            <PageFrame route={route}>{page}</PageFrame>
          </WorkspaceLockContext>
        </div>
      </main>
      {isCreating ? (
        <NewWorkspaceDialog
          onClose={() => setIsCreating(false)}
          onCreated={async (created) => {
            await onCreatedWorkspace(created.id)
            setIsCreating(false)
          }}
        />
      ) : null}
    </div>
  )
}

/** The signed-in dashboard for the workspace chosen, with one live stream per tab for it. */
export const SignedInShell = ({ me, version }: { me: Me; version: Resource<VersionInfo> }) => {
  const route = useRoute()
  const { refreshMe } = useAppSession()
  const [savedWorkspaceId, setSavedWorkspaceId] = useState(readSavedWorkspaceId)
  const workspace = chooseWorkspace(me.workspaces, savedWorkspaceId)
  useDocumentTitle(route)

  // The signed-out pages have nothing to show a signed-in person (e.g. right after signing in); someone who
  // signed in to accept an invitation goes back to it.
  const isSignedOutPage = route.name === 'signIn' || route.name === 'signUp' || route.name === 'forgotPassword'
  useEffect(() => {
    if (isSignedOutPage) navigate(readPendingInvitation() === undefined ? routePaths.home : routePaths.invite, { replace: true })
  }, [isSignedOutPage])

  const selectWorkspace = (id: string) => {
    saveWorkspaceId(id)
    setSavedWorkspaceId(id)
  }

  /** A workspace just created: the list is read again (it is in /api/me), then the pages show it, starting with its team. */
  const showCreatedWorkspace = async (id: string) => {
    await refreshMe()
    selectWorkspace(id)
    navigate(routePaths.team)
  }

  const frame = (
    <ShellFrame me={me} version={version} route={route} workspace={workspace} onSelectWorkspace={selectWorkspace} onCreatedWorkspace={showCreatedWorkspace} />
  )
  // A new stream (and fresh page state) when the workspace changes.
  return workspace === undefined ? (
    frame
  ) : (
    <LiveProvider key={workspace.id} workspaceId={workspace.id}>
      {frame}
    </LiveProvider>
  )
}
