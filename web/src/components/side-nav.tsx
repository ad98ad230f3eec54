import { useEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react'
import { mainNavEntry, routePaths, type MainNavEntry, type Route } from '../lib/router'
import { Link } from './link'
import { NavIcon } from './nav-icons'

type Item = { entry: MainNavEntry; to: string; label: string }
type Group = { title: string | undefined; items: readonly Item[] }

/** The main navigation; the names are a contract (the browser tests and /tmp/briefs/nav.md use them). */
const groups: readonly Group[] = [
  {
    title: 'Trading',
    items: [
      { entry: 'home', to: routePaths.home, label: 'Overview' },
      { entry: 'trade', to: routePaths.trade, label: 'Trade' },
      { entry: 'bots', to: routePaths.bots, label: 'Bots' },
      { entry: 'exchanges', to: routePaths.exchanges, label: 'Exchange accounts' },
      { entry: 'demo', to: routePaths.demo, label: 'Demo accounts' },
    ],
  },
  {
    title: 'Watching',
    items: [
      { entry: 'activity', to: routePaths.activity, label: 'Activity' },
      { entry: 'audit', to: routePaths.audit, label: 'Audit' },
      { entry: 'alerts', to: routePaths.alerts, label: 'Alerts' },
      { entry: 'securityCenter', to: routePaths.securityCenter, label: 'Security center' },
    ],
  },
  {
    title: 'Team',
    items: [
      { entry: 'team', to: routePaths.team, label: 'Team' },
      { entry: 'approvals', to: routePaths.approvals, label: 'Approvals' },
    ],
  },
  { title: undefined, items: [{ entry: 'settings', to: routePaths.settings, label: 'Settings' }] },
]

/** A count beside a link: the number is shown, and read out with its word ("N unread", "N waiting"). */
const CountBadge = ({ count, word, tone = 'alert' }: { count: number | undefined; word: string; tone?: 'alert' | 'waiting' }) => {
  if (count === undefined || count === 0) return null
  return (
    <span className={tone === 'waiting' ? 'count-badge count-badge--waiting' : 'count-badge'}>
      <span aria-hidden="true">{count > 99 ? '99+' : count}</span>
      <span className="visually-hidden">
        , {count} {word}
      </span>
    </span>
  )
}

type MainNavProps = {
  route: Route
  unreadCount: number | undefined
  /** Four-eyes requests waiting in the workspace (beside "Approvals"). */
  pendingApprovals?: number | undefined
  /** Called when a link is followed (the phone-width panel closes). */
  onFollow?: () => void
}

/** The grouped main navigation: a sidebar on wide screens, the Menu's panel on narrow ones. */
export const MainNav = ({ route, unreadCount, pendingApprovals, onFollow }: MainNavProps) => {
  const current = mainNavEntry(route)
  return (
    <nav aria-label="Main" className="side-nav">
      {groups.map((group, index) => {
        const titleId = group.title === undefined ? undefined : `side-nav-group-${index}`
        return (
          <div key={group.title ?? index} className="side-nav__group">
            {group.title === undefined ? null : (
              <span id={titleId} className="side-nav__title">
                {group.title}
              </span>
            )}
            <ul className="side-nav__list" aria-labelledby={titleId}>
              {group.items.map((item) => (
                <li key={item.entry}>
                  <Link to={item.to} className="side-nav__link" aria-current={current === item.entry ? 'page' : undefined} onClick={onFollow}>
                    <NavIcon entry={item.entry} />
                    <span className="side-nav__label">{item.label}</span>
                    {item.entry === 'alerts' ? <CountBadge count={unreadCount} word="unread" /> : null}
                    {item.entry === 'approvals' ? <CountBadge count={pendingApprovals} word="waiting" tone="waiting" /> : null}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        )
      })}
    </nav>
  )
}

export type MenuPanel = {
  isOpen: boolean
  toggle: () => void
  close: () => void
  buttonRef: RefObject<HTMLButtonElement | null>
  panelRef: RefObject<HTMLDivElement | null>
  /** Escape inside the panel or on the button closes it and hands focus back to the button. */
  onKeyDown: (event: KeyboardEvent) => void
}

/**
 * The narrow-screen menu's state. It belongs to the page it was opened on, so any navigation (a link,
 * the back button) closes it. Opening moves focus to the current page's link (or the first one).
 */
export const useMenuPanel = (pathname: string): MenuPanel => {
  const [openedAt, setOpenedAt] = useState<string | undefined>(undefined)
  const isOpen = openedAt === pathname
  const buttonRef = useRef<HTMLButtonElement>(null)
  const panelRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!isOpen) return
    const links = panelRef.current?.querySelectorAll<HTMLAnchorElement>('a[href]')
    const target = panelRef.current?.querySelector<HTMLAnchorElement>('a[aria-current="page"]') ?? links?.[0]
    target?.focus()
  }, [isOpen])

  const close = () => setOpenedAt(undefined)
  return {
    isOpen,
    toggle: () => setOpenedAt(isOpen ? undefined : pathname),
    close,
    buttonRef,
    panelRef,
    onKeyDown: (event) => {
      if (event.key !== 'Escape' || !isOpen) return
      event.preventDefault()
      close()
      buttonRef.current?.focus()
    },
  }
}

const menuPath = 'M4 7h16M4 12h16M4 17h16'
const closePath = 'M6 6l12 12M18 6 6 18'

/** "Menu", shown below 900 px (CSS): opens and closes the navigation panel it controls. */
export const MenuButton = ({ menu, controls }: { menu: MenuPanel; controls: string }) => (
  <button
    type="button"
    ref={menu.buttonRef}
    className="menu-button"
    aria-expanded={menu.isOpen}
    aria-controls={controls}
    onClick={menu.toggle}
    onKeyDown={menu.onKeyDown}
  >
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path d={menu.isOpen ? closePath : menuPath} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
    Menu
  </button>
)
